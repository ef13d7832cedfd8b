package authjwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

// Auth creates and verifies tokens and guards HTTP handlers. Create one
// with [New] and share it: it is safe for concurrent use.
type Auth struct {
	cfg Config // defaults applied

	signAlg jws.Alg
	allowed [16]bool // indexed by jws.Alg
	hmacKey [16]*jws.HMACKey
	hmacKID string
	pub     crypto.PublicKey
	pubKID  string
	signer  crypto.Signer

	// precomputed header segments for (alg, kid) without extra fields
	headerSeg [16]string

	now          func() time.Time
	log          *slog.Logger
	errorHandler func(http.ResponseWriter, *http.Request, error)
	compatMsgs   bool
	leeway       int64
	maxSize      int
	typeName     string
	keySet       *keys.Set
	hmacs        hmacCache
	lastHeader   atomic.Pointer[headerCache]
	trusted      map[string]*trustedIssuer
	ownIssuer    string // with trusted issuers: the iss that routes a token to us (see route)
	vcache       *verifyCache
	dec          *jws.Decoder  // reads every token (see verifyToken)
	enc          *jws.Encoder  // writes every token (see create)
	ring         keyRing       // our keys, as the decoder's resolver
	creds        *credentials  // reads a request's token (header, cookie, ...)
	policy       *claimsPolicy // what our tokens' claims must satisfy
	jar          *cookieJar    // writes the auth cookies
	userLoader   func(context.Context, *Token) (any, error)
	rev          *revoker // revocation: the store, its bound and failure policy
}

// registered claims the type claim may not be named after, and that custom
// claims may not overwrite.
var reservedClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
	"fresh": true, "csrf": true, "aid": true,
}

// internedClaims lists the claim values the verifier expects (token types,
// issuers, audiences): a token's claim equal to one of them shares the
// configuration's string instead of a copy. At most eight, the most
// common first, so that looking them up stays cheap.
func internedClaims(cfg Config) []string {
	var out []string
	add := func(s string) {
		if s != "" && len(out) < 8 && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if !cfg.TypeClaim.Skip {
		add(cfg.TypeClaim.Access)
		add(cfg.TypeClaim.Refresh)
	}
	add(cfg.DecodeIssuer)
	add(cfg.EncodeIssuer)
	for _, s := range cfg.DecodeAudience {
		add(s)
	}
	return out
}

// settingError names the setting at fault: a *ConfigError, which New
// translates to the AUTHJWT_* variable when the configuration came from
// the environment. Other settings mentioned in the message are fieldRef
// arguments, translated likewise.
func settingError(setting, format string, args ...any) error {
	return &ConfigError{Field: setting, format: format, args: args}
}

// New validates cfg, applies defaults and returns an Auth. Every
// misconfiguration is reported here as a *[ConfigError] naming the setting
// (its AUTHJWT_* variable when cfg came from [ConfigFromEnv]); none
// surfaces at the first request.
func New(cfg Config) (*Auth, error) {
	a, err := newAuth(cfg)
	if err != nil {
		return nil, cfg.origin.name(err)
	}
	return a, nil
}

// Close stops background work (the JWKS caches of trusted issuers). The
// Auth must not be used afterwards.
func (a *Auth) Close() error {
	for _, ti := range a.trusted {
		ti.close()
	}
	return nil
}

func newAuth(cfg Config) (*Auth, error) {
	a := &Auth{}
	if err := applyDefaults(&cfg); err != nil {
		return nil, err
	}
	a.cfg = cfg
	a.now = cfg.Now
	a.log = cfg.Logger
	a.errorHandler = cfg.ErrorHandler
	a.userLoader = cfg.UserLoader
	a.leeway = int64((cfg.DecodeLeeway + time.Second - 1) / time.Second)
	a.maxSize = cfg.MaxTokenSize
	if !cfg.TypeClaim.Skip {
		a.typeName = cfg.TypeClaim.Name
	}
	a.enc = jws.NewEncoder(a.typeName)

	if cfg.Keys.Set != nil {
		if err := a.useKeySet(cfg); err != nil {
			return nil, err
		}
	} else if err := a.loadKeys(cfg); err != nil {
		return nil, err
	}
	if err := validateRest(&cfg); err != nil {
		return nil, err
	}
	a.cfg.Cookies.SameSite = cfg.Cookies.SameSite // normalised by validateRest
	a.rev = newRevoker(&cfg, a.leeway)
	a.compatMsgs = cfg.Compat == CompatLibreFastAPIJWT
	a.policy = newPolicy(&cfg, a.leeway, a.compatMsgs)
	creds, err := newCredentials(&cfg)
	if err != nil {
		return nil, err
	}
	a.creds = creds
	a.jar = newCookieJar(&cfg.Cookies, cfg.Now, creds.cookies, creds.csrfOn)
	if a.creds.cookies {
		if err := validateCookies(&a.cfg); err != nil {
			return nil, err
		}
	}
	var own []string // the headers we write, recognised without decoding
	for i := jws.HS256; i < 16; i++ {
		if (a.allowed[i] || i == a.signAlg) && a.keySet == nil {
			a.headerSeg[i] = a.encodeHeader(i, a.kidFor(i))
			if a.allowed[i] {
				own = append(own, a.headerSeg[i])
			}
		}
	}
	if cfg.VerifyCacheSize < 0 {
		return nil, settingError("VerifyCacheSize", "negative size %d", cfg.VerifyCacheSize)
	}
	if cfg.VerifyCacheSize > 0 {
		a.vcache = newVerifyCache(cfg.VerifyCacheSize)
	}
	if err := a.loadTrusted(cfg.TrustedIssuers); err != nil {
		return nil, err
	}
	a.ring = keyRing{a: a, gate: jws.Gate{Allowed: a.allowed, KID: cfg.DecodeKID}}
	dec, err := jws.NewDecoder(jws.DecoderConfig{
		MaxSize: a.maxSize, TypeClaim: a.typeName, Interned: internedClaims(cfg),
		OwnHeaders: own, PayloadFirst: a.trusted != nil,
	})
	if err != nil {
		return nil, fmt.Errorf("authjwt: internal error: own header does not parse: %v", err)
	}
	a.dec = dec
	if needsSecret := a.hmacKey != [16]*jws.HMACKey{}; needsSecret {
		// A trusted provider's public keys are public too: none may be
		// our HMAC secret. (Keys a provider's JWKS serves later are not
		// known yet; the ones a KeySource holds now are checked.)
		var pubs []crypto.PublicKey
		for _, ti := range a.trusted {
			if ti.src == nil {
				continue
			}
			for _, k := range ti.src.Keys() {
				if k.Public != nil {
					pubs = append(pubs, k.Public)
				}
			}
		}
		if len(pubs) > 0 {
			if err := keys.CheckSecret([]byte(cfg.Keys.SecretKey), pubs...); err != nil {
				return nil, secretKeyError(err)
			}
		}
	}
	return a, nil
}

// loadKeys binds the configured secret and key pair to the algorithms
// they may sign and verify.
func (a *Auth) loadKeys(cfg Config) error {
	alg, ok := jws.ParseAlg(cfg.Algorithm)
	if !ok {
		return settingError("Algorithm", "unknown or forbidden algorithm %q (AUTHJWT_ALGORITHM)", cfg.Algorithm)
	}
	a.signAlg = alg
	decode := cfg.DecodeAlgorithms
	if len(decode) == 0 {
		decode = []string{cfg.Algorithm}
	}
	var decodeAlgs []jws.Alg
	for _, s := range decode {
		d, ok := jws.ParseAlg(s)
		if !ok {
			return settingError("DecodeAlgorithms", "unknown or forbidden algorithm %q (AUTHJWT_DECODE_ALGORITHMS)", s)
		}
		a.allowed[d] = true
		decodeAlgs = append(decodeAlgs, d)
	}
	needHMAC := alg.IsHMAC()
	needAsym := !alg.IsHMAC()
	for _, d := range decodeAlgs {
		if d.IsHMAC() {
			needHMAC = true
		} else {
			needAsym = true
		}
	}

	// HMAC secret.
	if needHMAC {
		if cfg.Keys.SecretKey == "" {
			return settingError("Keys.SecretKey", "required for %s (AUTHJWT_SECRET_KEY or AUTHJWT_SECRET_KEY_FILE)", hmacAlgsOf(alg, decodeAlgs))
		}
		if slices.Contains(placeholderSecrets, cfg.Keys.SecretKey) {
			return settingError("Keys.SecretKey", "is the example secret of the documentation, which anyone can read and sign with; generate one with `authjwt keygen --alg %s`", hmacAlgsOf(alg, decodeAlgs))
		}
		for _, d := range append([]jws.Alg{alg}, decodeAlgs...) {
			if !d.IsHMAC() {
				continue
			}
			min := d.Hash().Size()
			if len(cfg.Keys.SecretKey) < min {
				if !cfg.Keys.UnsafeAllowShortSecret {
					return settingError("Keys.SecretKey", "%s needs a secret of at least %d bytes (RFC 7518 §3.2), got %d; generate one with `authjwt keygen --alg %s`, or set Keys.UnsafeAllowShortSecret (AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET) to keep a legacy secret", d, min, len(cfg.Keys.SecretKey), d)
				}
				a.log.Warn("authjwt: HMAC secret shorter than RFC 7518 §3.2 allows is in use (Keys.UnsafeAllowShortSecret)", "alg", d.String(), "bytes", len(cfg.Keys.SecretKey), "min", min)
			}
			if a.hmacKey[d] == nil {
				a.hmacKey[d] = jws.NewHMACKey(d, []byte(cfg.Keys.SecretKey))
			}
		}
		// After the length check, which a short secret fails first.
		if n := distinctBytes(cfg.Keys.SecretKey); n < minSecretDistinct {
			if !cfg.Keys.UnsafeAllowShortSecret {
				return settingError("Keys.SecretKey", "has only %d distinct bytes (a repeated character, whitespace): not a random secret; generate one with `authjwt keygen --alg %s`, or set Keys.UnsafeAllowShortSecret (AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET) to keep a legacy secret", n, hmacAlgsOf(alg, decodeAlgs))
			}
			a.log.Warn("authjwt: HMAC secret with very few distinct bytes is in use (Keys.UnsafeAllowShortSecret)", "distinct", n)
		}
		a.hmacKID = cfg.Keys.KeyID
	}

	// Asymmetric keys.
	if needAsym {
		if err := a.loadAsymmetric(cfg, alg, decodeAlgs); err != nil {
			return err
		}
	}
	if needHMAC {
		// After the asymmetric keys, so that the secret is also compared
		// with the configured public key (published at the JWKS endpoint).
		var pubs []crypto.PublicKey
		if a.pub != nil {
			pubs = append(pubs, a.pub)
		}
		if err := keys.CheckSecret([]byte(cfg.Keys.SecretKey), pubs...); err != nil {
			return secretKeyError(err)
		}
	}
	if needHMAC && cfg.Keys.KeyID == "" && cfg.Compat == CompatLibreFastAPIJWT {
		a.hmacKID = a.compatHMACKID(cfg)
	}
	return nil
}

// useKeySet takes our keys from a rotating key set.
func (a *Auth) useKeySet(cfg Config) error {
	if cfg.Keys.SecretKey != "" || cfg.Keys.PrivateKey != "" || cfg.Keys.PublicKey != "" || cfg.Keys.Signer != nil || cfg.Keys.VerifyKey != nil {
		return settingError("Keys.Set", "set Keys.Set or Keys.SecretKey/PrivateKey/PublicKey/Signer/VerifyKey, not both")
	}
	if cfg.Keys.KeyID != "" || cfg.Keys.PublicKeyID != "" {
		return settingError("Keys.Set", "each key of a Keys.Set carries its own kid: Keys.KeyID and Keys.PublicKeyID are for Keys.SecretKey and Keys.PrivateKey")
	}
	a.keySet = cfg.Keys.Set
	if len(cfg.DecodeAlgorithms) == 0 {
		// Every key is bound to its own algorithm; allow them all here.
		for i := jws.HS256; i < 16; i++ {
			if i.String() != "" {
				a.allowed[i] = true
			}
		}
	} else {
		for _, s := range cfg.DecodeAlgorithms {
			d, ok := jws.ParseAlg(s)
			if !ok {
				return settingError("DecodeAlgorithms", "unknown or forbidden algorithm %q", s)
			}
			a.allowed[d] = true
		}
	}
	if k := cfg.Keys.Set.Signer(); k.Alg != "" {
		alg, _ := jws.ParseAlg(k.Alg)
		a.signAlg = alg
	}
	return nil
}

// placeholderSecrets are example secrets published in documentation (the
// README's quick start, the seed's settings): a service that copied one
// signs with a key anyone can read.
var placeholderSecrets = []string{
	"change-me-to-32-random-bytes-at-least!",
	"change-me-in-production",
}

// minSecretDistinct is the fewest distinct bytes a secret may have: a
// random secret of 32 bytes or more has far more (base64 or hex text of 32
// random bytes: about 16 or more), while a repeated character, whitespace
// or a short pattern has a handful.
const minSecretDistinct = 8

func distinctBytes(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

func hmacAlgsOf(alg jws.Alg, list []jws.Alg) string {
	if alg.IsHMAC() {
		return alg.String()
	}
	for _, d := range list {
		if d.IsHMAC() {
			return d.String()
		}
	}
	return "HMAC"
}

func (a *Auth) loadAsymmetric(cfg Config, alg jws.Alg, decodeAlgs []jws.Alg) error {
	if cfg.Keys.PrivateKey != "" && cfg.Keys.Signer != nil {
		return settingError("Keys.PrivateKey", "set Keys.PrivateKey or Keys.Signer, not both")
	}
	if cfg.Keys.PublicKey != "" && cfg.Keys.VerifyKey != nil {
		return settingError("Keys.PublicKey", "set Keys.PublicKey or Keys.VerifyKey, not both")
	}
	signer := cfg.Keys.Signer
	if cfg.Keys.PrivateKey != "" {
		s, err := keys.ParsePrivateKeyPEM([]byte(cfg.Keys.PrivateKey))
		if err != nil {
			return settingError("Keys.PrivateKey", "%v", strings.TrimPrefix(err.Error(), "authjwt: "))
		}
		signer = s
	}
	pub := cfg.Keys.VerifyKey
	if cfg.Keys.PublicKey != "" {
		p, err := keys.ParsePublicKeyPEM([]byte(cfg.Keys.PublicKey))
		if err != nil {
			return settingError("Keys.PublicKey", "%v", strings.TrimPrefix(err.Error(), "authjwt: "))
		}
		pub = p
	}
	if pub == nil && signer != nil {
		pub = signer.Public()
	}
	if pub == nil {
		return settingError("Keys.PublicKey", "%s needs a public key to verify (AUTHJWT_PUBLIC_KEY or AUTHJWT_PRIVATE_KEY, or their _FILE forms)", firstAsym(alg, decodeAlgs))
	}
	if signer != nil && !publicEqual(signer.Public(), pub) {
		return settingError("Keys.PublicKey", "does not match %s", fieldRef("Keys.PrivateKey"))
	}
	if r, ok := pub.(*rsa.PublicKey); ok && r.N != nil && r.N.BitLen() > keys.MaxRSABits {
		// Checked before the algorithm fit, so the error names the key's
		// own setting: such a key's signatures exceed MaxSignatureSize.
		return settingError(keySetting(cfg), "RSA key is %d bits; at most %d are accepted (keys.MaxRSABits): its signatures would exceed the verifier's %d-byte limit (MaxSignatureSize), so no token it signed would verify", r.N.BitLen(), keys.MaxRSABits, MaxSignatureSize)
	}
	if !alg.IsHMAC() {
		if signer == nil {
			// A verify-only service: allowed, but it cannot sign.
			a.log.Debug("authjwt: no private key configured; tokens can be verified but not created")
		}
		if err := keys.CheckKey(alg.String(), pub); err != nil {
			return settingError("Algorithm", "%s does not fit the configured key: %v", alg, strings.TrimPrefix(err.Error(), "authjwt: "))
		}
	}
	for _, d := range decodeAlgs {
		if d.IsHMAC() {
			continue
		}
		if err := keys.CheckKey(d.String(), pub); err != nil {
			return settingError("DecodeAlgorithms", "%s does not fit the configured key: %v", d, strings.TrimPrefix(err.Error(), "authjwt: "))
		}
	}
	kid := cfg.Keys.PublicKeyID
	if kid == "" {
		var err error
		if cfg.Compat == CompatLibreFastAPIJWT {
			kid, err = keys.SeedKID(pub)
		} else {
			kid, err = keys.Thumbprint(pub)
		}
		if err != nil {
			return settingError("Keys.PublicKey", "%v", strings.TrimPrefix(err.Error(), "authjwt: "))
		}
	}
	a.pub, a.pubKID, a.signer = pub, kid, signer
	return nil
}

// secretKeyError reports a Keys.SecretKey that keys.CheckSecret refused.
func secretKeyError(err error) error {
	return settingError("Keys.SecretKey", "%s: an asymmetric key belongs in Keys.PrivateKey/PublicKey (AUTHJWT_PRIVATE_KEY, AUTHJWT_PUBLIC_KEY); a public key used as an HMAC secret lets anyone forge tokens", strings.TrimPrefix(err.Error(), "authjwt: "))
}

// keySetting names the setting the asymmetric key came from.
func keySetting(cfg Config) string {
	switch {
	case cfg.Keys.PublicKey != "":
		return "Keys.PublicKey"
	case cfg.Keys.VerifyKey != nil:
		return "Keys.VerifyKey"
	case cfg.Keys.PrivateKey != "":
		return "Keys.PrivateKey"
	}
	return "Keys.Signer"
}

func firstAsym(alg jws.Alg, list []jws.Alg) string {
	if !alg.IsHMAC() {
		return alg.String()
	}
	for _, d := range list {
		if !d.IsHMAC() {
			return d.String()
		}
	}
	return alg.String()
}

func publicEqual(a, b crypto.PublicKey) bool {
	type eq interface{ Equal(crypto.PublicKey) bool }
	switch k := a.(type) {
	case *rsa.PublicKey:
		return k.Equal(b)
	case *ecdsa.PublicKey:
		return k.Equal(b)
	case ed25519.PublicKey:
		return k.Equal(b)
	case eq:
		return k.Equal(b)
	}
	return false
}

func (a *Auth) kidFor(alg jws.Alg) string {
	if alg.IsHMAC() {
		return a.hmacKID
	}
	return a.pubKID
}

// seedHMACKID is the kid libre-fastapi-jwt stamps on every token when no
// public key is configured.
const seedHMACKID = "whoamikidding"

// applyCompat applies the profile of c.Compat to the settings left at
// their zero value (or, from the environment, not set by a variable).
// The kids are the profile's too; loadKeys applies them.
func applyCompat(c *Config) error {
	switch c.Compat {
	case "":
		return nil
	case CompatLibreFastAPIJWT:
	default:
		return settingError("Compat", "unknown compatibility profile %q (the one profile is %q)", c.Compat, CompatLibreFastAPIJWT)
	}
	explicit := func(field string) bool { return c.origin != nil && c.origin.set[field] != "" }
	if c.Cookies.Access.CSRFName == "" {
		c.Cookies.Access.CSRFName = "csrf_access"
	}
	if c.Cookies.Refresh.CSRFName == "" {
		c.Cookies.Refresh.CSRFName = "csrf_refresh"
	}
	if c.Cookies.MaxAge == 0 {
		c.Cookies.MaxAge = 86400 * time.Second
	}
	if !explicit("LegacyStatusCodes") {
		c.LegacyStatusCodes = true
	}
	if !explicit("AllowRefreshWithoutIssuer") {
		c.AllowRefreshWithoutIssuer = true
	}
	return nil
}

// compatHMACKID is the seed's kid for HMAC tokens: the SPKI hash of the
// configured public key, whatever the algorithm, else "whoamikidding".
func (a *Auth) compatHMACKID(cfg Config) string {
	if a.pub != nil {
		return a.pubKID
	}
	var pub crypto.PublicKey
	switch {
	case cfg.Keys.VerifyKey != nil:
		pub = cfg.Keys.VerifyKey
	case cfg.Keys.Signer != nil:
		pub = cfg.Keys.Signer.Public()
	case cfg.Keys.PublicKey != "":
		pub, _ = keys.ParsePublicKeyPEM([]byte(cfg.Keys.PublicKey))
	case cfg.Keys.PrivateKey != "":
		if s, err := keys.ParsePrivateKeyPEM([]byte(cfg.Keys.PrivateKey)); err == nil {
			pub = s.Public()
		}
	}
	if pub != nil {
		if kid, err := keys.SeedKID(pub); err == nil {
			return kid
		}
	}
	return seedHMACKID
}

// maxTokenSizeLimit bounds Config.MaxTokenSize: 64 KiB, eight times the
// default and far beyond any header or cookie a server accepts, so that a
// token's decoded payload stays within jws.MaxPayloadSize.
const maxTokenSizeLimit = 64 << 10

func applyDefaults(c *Config) error {
	if err := applyCompat(c); err != nil {
		return err
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Algorithm, "HS256")
	def(&c.Header.Name, "Authorization")
	def(&c.Header.Type, "Bearer")
	def(&c.TypeClaim.Name, "type")
	def(&c.TypeClaim.Access, TypeAccess)
	def(&c.TypeClaim.Refresh, TypeRefresh)
	def(&c.Cookies.SameSite, "lax")
	def(&c.Cookies.Access.Path, "/")
	def(&c.Cookies.Refresh.Path, "/")
	def(&c.Cookies.Access.CSRFPath, "/")
	def(&c.Cookies.Refresh.CSRFPath, "/")
	def(&c.Cookies.Access.CSRFHeader, "X-CSRF-Token")
	def(&c.Cookies.Refresh.CSRFHeader, "X-CSRF-Token")
	def(&c.WebSocket.QueryParam, "token")
	def(&c.WebSocket.CSRFQueryParam, "csrf_token")
	// Default names take the strongest prefix the settings allow, so that
	// browsers never drop them: __Host- needs Secure, Path "/" and no
	// Domain; __Secure- needs Secure; plain HTTP gets no prefix.
	prefix := func(path string) string {
		switch {
		case c.Cookies.Insecure:
			return ""
		case c.Cookies.Domain != "" || path != "/":
			return "__Secure-"
		}
		return "__Host-"
	}
	def(&c.Cookies.Access.Name, prefix(c.Cookies.Access.Path)+"access_token")
	def(&c.Cookies.Refresh.Name, prefix(c.Cookies.Refresh.Path)+"refresh_token")
	def(&c.Cookies.Access.CSRFName, prefix(c.Cookies.Access.CSRFPath)+"csrf_access")
	def(&c.Cookies.Refresh.CSRFName, prefix(c.Cookies.Refresh.CSRFPath)+"csrf_refresh")
	if c.AccessTokenExpires == 0 {
		c.AccessTokenExpires = 15 * time.Minute
	}
	if c.RefreshTokenExpires == 0 {
		c.RefreshTokenExpires = 14 * 24 * time.Hour
	}
	if len(c.TokenLocation) == 0 {
		c.TokenLocation = []string{LocationHeaders}
	}
	if c.Revocation.Checks == nil {
		c.Revocation.Checks = []string{TypeAccess, TypeRefresh}
	}
	// A store is set to be consulted: it turns the denylist on, unless the
	// environment explicitly turned it off (refused by validateRest).
	if c.Revocation.Store != nil && !c.denylistExplicitlyOff() {
		c.Revocation.Enabled = true
	}
	if len(c.Cookies.CSRFMethods) == 0 {
		c.Cookies.CSRFMethods = []string{"POST", "PUT", "PATCH", "DELETE"}
	}
	if c.MaxTokenSize == 0 {
		c.MaxTokenSize = 8 << 10
	}
	if c.Revocation.Timeout == 0 {
		c.Revocation.Timeout = 2 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

func validateRest(c *Config) error {
	// Claim and header values written into every token: invalid UTF-8
	// there would make every token one the verifier refuses.
	for _, s := range []struct{ setting, v string }{
		{"EncodeIssuer", c.EncodeIssuer}, {"DecodeIssuer", c.DecodeIssuer}, {"Keys.KeyID", c.Keys.KeyID}, {"Keys.PublicKeyID", c.Keys.PublicKeyID},
		{"TypeClaim.Name", c.TypeClaim.Name}, {"TypeClaim.Access", c.TypeClaim.Access}, {"TypeClaim.Refresh", c.TypeClaim.Refresh},
	} {
		if !utf8.ValidString(s.v) {
			return settingError(s.setting, "%q is not valid UTF-8", s.v)
		}
	}
	for _, aud := range c.DecodeAudience {
		if !utf8.ValidString(aud) {
			return settingError("DecodeAudience", "%q is not valid UTF-8", aud)
		}
	}
	if c.AccessTokenExpires < 0 && c.AccessTokenExpires != Never {
		return settingError("AccessTokenExpires", "negative duration %v (use authjwt.Never for non-expiring tokens)", c.AccessTokenExpires)
	}
	if c.RefreshTokenExpires < 0 && c.RefreshTokenExpires != Never {
		return settingError("RefreshTokenExpires", "negative duration %v (use authjwt.Never for non-expiring tokens)", c.RefreshTokenExpires)
	}
	// "exp" is whole seconds (now + lifetime, truncated): a lifetime under
	// one second gives tokens that may be expired when they are created.
	for _, l := range []struct {
		setting string
		d       time.Duration
	}{{"AccessTokenExpires", c.AccessTokenExpires}, {"RefreshTokenExpires", c.RefreshTokenExpires}} {
		if l.d > 0 && l.d < time.Second {
			return settingError(l.setting, "%v is below one second: \"exp\" is in whole seconds, so a token could be expired when it is created", l.d)
		}
	}
	if c.DecodeLeeway < 0 {
		return settingError("DecodeLeeway", "negative duration %v", c.DecodeLeeway)
	}
	if c.DecodeLeeway > MaxDecodeLeeway {
		return settingError("DecodeLeeway", "%v is more than the maximum %v: a leeway is for clock skew, and a larger one keeps expired tokens valid", c.DecodeLeeway, MaxDecodeLeeway)
	}
	if c.MaxTokenSize < 256 {
		return settingError("MaxTokenSize", "%d bytes is too small (minimum 256)", c.MaxTokenSize)
	}
	if c.MaxTokenSize > maxTokenSizeLimit {
		return settingError("MaxTokenSize", "%d bytes is too large (maximum %d)", c.MaxTokenSize, maxTokenSizeLimit)
	}
	if c.Revocation.Timeout < 0 {
		return settingError("Revocation.Timeout", "negative duration %v", c.Revocation.Timeout)
	}
	if c.Revocation.ReuseGrace < 0 {
		return settingError("Revocation.ReuseGrace", "negative duration %v", c.Revocation.ReuseGrace)
	}
	if !c.TypeClaim.Skip {
		n := c.TypeClaim.Name
		if reservedClaims[strings.ToLower(n)] || n == "roles" {
			return settingError("TypeClaim.Name", "%q collides with a registered claim", n)
		}
		if c.TypeClaim.Access == c.TypeClaim.Refresh {
			return settingError("TypeClaim.Refresh", "must differ from %s (both %q)", fieldRef("TypeClaim.Access"), c.TypeClaim.Access)
		}
		// A type value that is the other type's default would make a
		// service with default settings take one type for the other.
		if c.TypeClaim.Access == TypeRefresh {
			return settingError("TypeClaim.Access", "%q is the refresh tokens' type value: access and refresh types swapped", c.TypeClaim.Access)
		}
		if c.TypeClaim.Refresh == TypeAccess {
			return settingError("TypeClaim.Refresh", "%q is the access tokens' type value: access and refresh types swapped", c.TypeClaim.Refresh)
		}
	}
	for _, loc := range c.TokenLocation {
		if loc != LocationHeaders && loc != LocationCookies {
			return settingError("TokenLocation", "unknown location %q (use \"headers\" and/or \"cookies\")", loc)
		}
	}
	for _, t := range c.Revocation.Checks {
		if t != TypeAccess && t != TypeRefresh {
			return settingError("Revocation.Checks", "unknown token type %q (use \"access\" and/or \"refresh\")", t)
		}
	}
	if c.Revocation.Enabled && c.Revocation.Store == nil {
		return settingError("Revocation.Store", "%s needs a revocation store (revoke.NewMemory(), a store module, or revoke.Func)", fieldRef("Revocation.Enabled"))
	}
	if c.Revocation.Store != nil && c.denylistExplicitlyOff() {
		return settingError("Revocation.Enabled", "is false, but a Revocation.Store (%T) is configured: it would record revocations that verification never checks; unset the variable (a Revocation.Store turns the denylist on) or remove the Revocation.Store", c.Revocation.Store)
	}
	if c.Revocation.Rotation {
		if c.Revocation.Store == nil || !c.Revocation.Enabled {
			return settingError("Revocation.Rotation", "needs %s and a Revocation.Store", fieldRef("Revocation.Enabled"))
		}
		if !slices.Contains(c.Revocation.Checks, TypeRefresh) {
			return settingError("Revocation.Rotation", "needs refresh tokens checked against the store (%s is %q): reuse detection revokes the family", fieldRef("Revocation.Checks"), c.Revocation.Checks)
		}
		if _, ok := c.Revocation.Store.(revoke.Consumer); !ok {
			return settingError("Revocation.Rotation", "the configured Revocation.Store (%T) cannot consume tokens atomically (revoke.Consumer)", c.Revocation.Store)
		}
	}
	switch strings.ToLower(c.Cookies.SameSite) {
	case "lax", "strict", "none":
		c.Cookies.SameSite = strings.ToLower(c.Cookies.SameSite)
	default:
		return settingError("Cookies.SameSite", "%q is not one of lax, strict, none (AUTHJWT_COOKIE_SAMESITE)", c.Cookies.SameSite)
	}
	valid := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	for _, m := range c.Cookies.CSRFMethods {
		if !slices.Contains(valid, strings.ToUpper(m)) {
			return settingError("Cookies.CSRFMethods", "%q is not an HTTP method (AUTHJWT_CSRF_METHODS)", m)
		}
	}
	if c.Cookies.MaxAge < 0 {
		return settingError("Cookies.MaxAge", "negative duration %v", c.Cookies.MaxAge)
	}
	if c.Header.BareToken && c.Header.Type != "Bearer" {
		return settingError("Header.Type", "set Header.Type or Header.BareToken, not both")
	}
	if strings.ContainsAny(c.Header.Type, " \t") {
		return settingError("Header.Type", "%q contains whitespace", c.Header.Type)
	}
	for _, h := range []struct{ setting, name string }{
		{"Header.Name", c.Header.Name},
		{"Cookies.Access.CSRFHeader", c.Cookies.Access.CSRFHeader},
		{"Cookies.Refresh.CSRFHeader", c.Cookies.Refresh.CSRFHeader},
	} {
		if !isToken(h.name) {
			return settingError(h.setting, "%q is not a header name a client can send (RFC 9110 §5.1: letters, digits and !#$%%&'*+-.^_`|~)", h.name)
		}
		if strings.EqualFold(h.name, "Cookie") {
			return settingError(h.setting, "%q is the header browsers fill with cookies: to read tokens from cookies, add \"cookies\" to %s", h.name, fieldRef("TokenLocation"))
		}
	}
	return nil
}

// validateCookies applies the cookie-prefix rules browsers enforce: a
// __Host- cookie must be Secure, with Path "/" and no Domain; a __Secure-
// cookie must be Secure; SameSite=None must be Secure. Browsers drop such
// cookies silently, so each message names the setting to change. It also
// refuses names, paths and a domain that net/http would drop or rewrite,
// and two auth cookies sharing a name (one would overwrite the other).
func validateCookies(c *Config) error {
	type ck struct{ setting, name, pathSetting, path string }
	list := []ck{
		{"Cookies.Access.Name", c.Cookies.Access.Name, "Cookies.Access.Path", c.Cookies.Access.Path},
		{"Cookies.Refresh.Name", c.Cookies.Refresh.Name, "Cookies.Refresh.Path", c.Cookies.Refresh.Path},
	}
	if !c.Cookies.UnsafeDisableCSRF {
		list = append(list,
			ck{"Cookies.Access.CSRFName", c.Cookies.Access.CSRFName, "Cookies.Access.CSRFPath", c.Cookies.Access.CSRFPath},
			ck{"Cookies.Refresh.CSRFName", c.Cookies.Refresh.CSRFName, "Cookies.Refresh.CSRFPath", c.Cookies.Refresh.CSRFPath})
	}
	if c.Cookies.Domain != "" {
		if err := (&http.Cookie{Name: "x", Domain: c.Cookies.Domain}).Valid(); err != nil {
			return settingError("Cookies.Domain", "%q is not a valid cookie domain (AUTHJWT_COOKIE_DOMAIN)", c.Cookies.Domain)
		}
	}
	seen := map[string]string{}
	for _, k := range list {
		if k.name == "" || !isToken(k.name) {
			return settingError(k.setting, "%q is not a valid cookie name", k.name)
		}
		if prev, ok := seen[k.name]; ok {
			return settingError(k.setting, "%q is also the %s: each auth cookie needs its own name", k.name, fieldRef(prev))
		}
		seen[k.name] = k.setting
		if k.path == "" || k.path[0] != '/' {
			return settingError(k.pathSetting, "%q must start with \"/\"", k.path)
		}
		if err := (&http.Cookie{Name: "x", Path: k.path}).Valid(); err != nil {
			return settingError(k.pathSetting, "%q is not a valid cookie path: %v", k.path, err)
		}
		lower := strings.ToLower(k.name)
		if strings.HasPrefix(lower, "__host-") {
			if c.Cookies.Insecure {
				return settingError(k.setting, "%q has the __Host- prefix, which browsers only accept on Secure cookies: remove Cookies.Insecure (AUTHJWT_COOKIE_SECURE=false) or rename the cookie", k.name)
			}
			if k.path != "/" {
				return settingError(k.setting, "%q has the __Host- prefix, which requires Path \"/\": set %s to \"/\" (got %q) or rename the cookie", k.name, fieldRef(k.pathSetting), k.path)
			}
			if c.Cookies.Domain != "" {
				return settingError(k.setting, "%q has the __Host- prefix, which forbids a Domain: unset Cookies.Domain (AUTHJWT_COOKIE_DOMAIN) or rename the cookie", k.name)
			}
		}
		if strings.HasPrefix(lower, "__secure-") && c.Cookies.Insecure {
			return settingError(k.setting, "%q has the __Secure- prefix, which browsers only accept on Secure cookies: remove Cookies.Insecure (AUTHJWT_COOKIE_SECURE=false) or rename the cookie", k.name)
		}
	}
	if strings.EqualFold(c.Cookies.SameSite, "none") && c.Cookies.Insecure {
		return settingError("Cookies.SameSite", "\"none\" requires Secure cookies: remove Cookies.Insecure (AUTHJWT_COOKIE_SECURE=false) or use lax/strict (AUTHJWT_COOKIE_SAMESITE)")
	}
	return nil
}

// isToken reports whether s is an RFC 9110 §5.6.2 token (header names,
// cookie names): one or more tchar.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// Config returns the configuration in effect, defaults applied. Secrets
// are included: do not log it.
func (a *Auth) Config() Config { return a.cfg }
