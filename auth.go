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
	if !cfg.SkipTokenTypeClaim {
		add(cfg.AccessTokenType)
		add(cfg.RefreshTokenType)
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
	if !cfg.SkipTokenTypeClaim {
		a.typeName = cfg.TokenTypeClaimName
	}
	a.enc = jws.NewEncoder(a.typeName)

	if cfg.KeySet != nil {
		if err := a.useKeySet(cfg); err != nil {
			return nil, err
		}
	} else if err := a.loadKeys(cfg); err != nil {
		return nil, err
	}
	if err := validateRest(&cfg); err != nil {
		return nil, err
	}
	a.cfg.CookieSameSite = cfg.CookieSameSite // normalised by validateRest
	a.rev = newRevoker(&cfg, a.leeway)
	a.compatMsgs = cfg.Compat == CompatLibreFastAPIJWT
	a.policy = newPolicy(&cfg, a.leeway, a.compatMsgs)
	creds, err := newCredentials(&cfg)
	if err != nil {
		return nil, err
	}
	a.creds = creds
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
			if err := keys.CheckSecret([]byte(cfg.SecretKey), pubs...); err != nil {
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
		if cfg.SecretKey == "" {
			return settingError("SecretKey", "required for %s (AUTHJWT_SECRET_KEY or AUTHJWT_SECRET_KEY_FILE)", hmacAlgsOf(alg, decodeAlgs))
		}
		if slices.Contains(placeholderSecrets, cfg.SecretKey) {
			return settingError("SecretKey", "is the example secret of the documentation, which anyone can read and sign with; generate one with `authjwt keygen --alg %s`", hmacAlgsOf(alg, decodeAlgs))
		}
		for _, d := range append([]jws.Alg{alg}, decodeAlgs...) {
			if !d.IsHMAC() {
				continue
			}
			min := d.Hash().Size()
			if len(cfg.SecretKey) < min {
				if !cfg.UnsafeAllowShortSecret {
					return settingError("SecretKey", "%s needs a secret of at least %d bytes (RFC 7518 §3.2), got %d; generate one with `authjwt keygen --alg %s`, or set UnsafeAllowShortSecret (AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET) to keep a legacy secret", d, min, len(cfg.SecretKey), d)
				}
				a.log.Warn("authjwt: HMAC secret shorter than RFC 7518 §3.2 allows is in use (UnsafeAllowShortSecret)", "alg", d.String(), "bytes", len(cfg.SecretKey), "min", min)
			}
			if a.hmacKey[d] == nil {
				a.hmacKey[d] = jws.NewHMACKey(d, []byte(cfg.SecretKey))
			}
		}
		// After the length check, which a short secret fails first.
		if n := distinctBytes(cfg.SecretKey); n < minSecretDistinct {
			if !cfg.UnsafeAllowShortSecret {
				return settingError("SecretKey", "has only %d distinct bytes (a repeated character, whitespace): not a random secret; generate one with `authjwt keygen --alg %s`, or set UnsafeAllowShortSecret (AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET) to keep a legacy secret", n, hmacAlgsOf(alg, decodeAlgs))
			}
			a.log.Warn("authjwt: HMAC secret with very few distinct bytes is in use (UnsafeAllowShortSecret)", "distinct", n)
		}
		a.hmacKID = cfg.KeyID
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
		if err := keys.CheckSecret([]byte(cfg.SecretKey), pubs...); err != nil {
			return secretKeyError(err)
		}
	}
	if needHMAC && cfg.KeyID == "" && cfg.Compat == CompatLibreFastAPIJWT {
		a.hmacKID = a.compatHMACKID(cfg)
	}
	return nil
}

// useKeySet takes our keys from a rotating key set.
func (a *Auth) useKeySet(cfg Config) error {
	if cfg.SecretKey != "" || cfg.PrivateKey != "" || cfg.PublicKey != "" || cfg.Signer != nil || cfg.VerifyKey != nil {
		return settingError("KeySet", "set KeySet or SecretKey/PrivateKey/PublicKey/Signer/VerifyKey, not both")
	}
	if cfg.KeyID != "" || cfg.PublicKeyID != "" {
		return settingError("KeySet", "each key of a KeySet carries its own kid: KeyID and PublicKeyID are for SecretKey and PrivateKey")
	}
	a.keySet = cfg.KeySet
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
	if k := cfg.KeySet.Signer(); k.Alg != "" {
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
	if cfg.PrivateKey != "" && cfg.Signer != nil {
		return settingError("PrivateKey", "set PrivateKey or Signer, not both")
	}
	if cfg.PublicKey != "" && cfg.VerifyKey != nil {
		return settingError("PublicKey", "set PublicKey or VerifyKey, not both")
	}
	signer := cfg.Signer
	if cfg.PrivateKey != "" {
		s, err := keys.ParsePrivateKeyPEM([]byte(cfg.PrivateKey))
		if err != nil {
			return settingError("PrivateKey", "%v", strings.TrimPrefix(err.Error(), "authjwt: "))
		}
		signer = s
	}
	pub := cfg.VerifyKey
	if cfg.PublicKey != "" {
		p, err := keys.ParsePublicKeyPEM([]byte(cfg.PublicKey))
		if err != nil {
			return settingError("PublicKey", "%v", strings.TrimPrefix(err.Error(), "authjwt: "))
		}
		pub = p
	}
	if pub == nil && signer != nil {
		pub = signer.Public()
	}
	if pub == nil {
		return settingError("PublicKey", "%s needs a public key to verify (AUTHJWT_PUBLIC_KEY or AUTHJWT_PRIVATE_KEY, or their _FILE forms)", firstAsym(alg, decodeAlgs))
	}
	if signer != nil && !publicEqual(signer.Public(), pub) {
		return settingError("PublicKey", "does not match %s", fieldRef("PrivateKey"))
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
	kid := cfg.PublicKeyID
	if kid == "" {
		var err error
		if cfg.Compat == CompatLibreFastAPIJWT {
			kid, err = keys.SeedKID(pub)
		} else {
			kid, err = keys.Thumbprint(pub)
		}
		if err != nil {
			return settingError("PublicKey", "%v", strings.TrimPrefix(err.Error(), "authjwt: "))
		}
	}
	a.pub, a.pubKID, a.signer = pub, kid, signer
	return nil
}

// secretKeyError reports a SecretKey that keys.CheckSecret refused.
func secretKeyError(err error) error {
	return settingError("SecretKey", "%s: an asymmetric key belongs in PrivateKey/PublicKey (AUTHJWT_PRIVATE_KEY, AUTHJWT_PUBLIC_KEY); a public key used as an HMAC secret lets anyone forge tokens", strings.TrimPrefix(err.Error(), "authjwt: "))
}

// keySetting names the setting the asymmetric key came from.
func keySetting(cfg Config) string {
	switch {
	case cfg.PublicKey != "":
		return "PublicKey"
	case cfg.VerifyKey != nil:
		return "VerifyKey"
	case cfg.PrivateKey != "":
		return "PrivateKey"
	}
	return "Signer"
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
	if c.AccessCSRFCookieName == "" {
		c.AccessCSRFCookieName = "csrf_access"
	}
	if c.RefreshCSRFCookieName == "" {
		c.RefreshCSRFCookieName = "csrf_refresh"
	}
	if c.CookieMaxAge == 0 {
		c.CookieMaxAge = 86400 * time.Second
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
	case cfg.VerifyKey != nil:
		pub = cfg.VerifyKey
	case cfg.Signer != nil:
		pub = cfg.Signer.Public()
	case cfg.PublicKey != "":
		pub, _ = keys.ParsePublicKeyPEM([]byte(cfg.PublicKey))
	case cfg.PrivateKey != "":
		if s, err := keys.ParsePrivateKeyPEM([]byte(cfg.PrivateKey)); err == nil {
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
	def(&c.HeaderName, "Authorization")
	def(&c.HeaderType, "Bearer")
	def(&c.TokenTypeClaimName, "type")
	def(&c.AccessTokenType, TypeAccess)
	def(&c.RefreshTokenType, TypeRefresh)
	def(&c.CookieSameSite, "lax")
	def(&c.AccessCookiePath, "/")
	def(&c.RefreshCookiePath, "/")
	def(&c.AccessCSRFCookiePath, "/")
	def(&c.RefreshCSRFCookiePath, "/")
	def(&c.AccessCSRFHeaderName, "X-CSRF-Token")
	def(&c.RefreshCSRFHeaderName, "X-CSRF-Token")
	def(&c.WebSocketQueryParam, "token")
	def(&c.WebSocketCSRFQueryParam, "csrf_token")
	// Default names take the strongest prefix the settings allow, so that
	// browsers never drop them: __Host- needs Secure, Path "/" and no
	// Domain; __Secure- needs Secure; plain HTTP gets no prefix.
	prefix := func(path string) string {
		switch {
		case c.InsecureCookies:
			return ""
		case c.CookieDomain != "" || path != "/":
			return "__Secure-"
		}
		return "__Host-"
	}
	def(&c.AccessCookieName, prefix(c.AccessCookiePath)+"access_token")
	def(&c.RefreshCookieName, prefix(c.RefreshCookiePath)+"refresh_token")
	def(&c.AccessCSRFCookieName, prefix(c.AccessCSRFCookiePath)+"csrf_access")
	def(&c.RefreshCSRFCookieName, prefix(c.RefreshCSRFCookiePath)+"csrf_refresh")
	if c.AccessTokenExpires == 0 {
		c.AccessTokenExpires = 15 * time.Minute
	}
	if c.RefreshTokenExpires == 0 {
		c.RefreshTokenExpires = 14 * 24 * time.Hour
	}
	if len(c.TokenLocation) == 0 {
		c.TokenLocation = []string{LocationHeaders}
	}
	if c.DenylistTokenChecks == nil {
		c.DenylistTokenChecks = []string{TypeAccess, TypeRefresh}
	}
	// A store is set to be consulted: it turns the denylist on, unless the
	// environment explicitly turned it off (refused by validateRest).
	if c.Store != nil && !c.denylistExplicitlyOff() {
		c.DenylistEnabled = true
	}
	if len(c.CSRFMethods) == 0 {
		c.CSRFMethods = []string{"POST", "PUT", "PATCH", "DELETE"}
	}
	if c.MaxTokenSize == 0 {
		c.MaxTokenSize = 8 << 10
	}
	if c.StoreTimeout == 0 {
		c.StoreTimeout = 2 * time.Second
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
		{"EncodeIssuer", c.EncodeIssuer}, {"DecodeIssuer", c.DecodeIssuer}, {"KeyID", c.KeyID}, {"PublicKeyID", c.PublicKeyID},
		{"TokenTypeClaimName", c.TokenTypeClaimName}, {"AccessTokenType", c.AccessTokenType}, {"RefreshTokenType", c.RefreshTokenType},
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
	if c.StoreTimeout < 0 {
		return settingError("StoreTimeout", "negative duration %v", c.StoreTimeout)
	}
	if c.RefreshReuseGrace < 0 {
		return settingError("RefreshReuseGrace", "negative duration %v", c.RefreshReuseGrace)
	}
	if !c.SkipTokenTypeClaim {
		n := c.TokenTypeClaimName
		if reservedClaims[strings.ToLower(n)] || n == "roles" {
			return settingError("TokenTypeClaimName", "%q collides with a registered claim", n)
		}
		if c.AccessTokenType == c.RefreshTokenType {
			return settingError("RefreshTokenType", "must differ from %s (both %q)", fieldRef("AccessTokenType"), c.AccessTokenType)
		}
		// A type value that is the other type's default would make a
		// service with default settings take one type for the other.
		if c.AccessTokenType == TypeRefresh {
			return settingError("AccessTokenType", "%q is the refresh tokens' type value: access and refresh types swapped", c.AccessTokenType)
		}
		if c.RefreshTokenType == TypeAccess {
			return settingError("RefreshTokenType", "%q is the access tokens' type value: access and refresh types swapped", c.RefreshTokenType)
		}
	}
	for _, loc := range c.TokenLocation {
		if loc != LocationHeaders && loc != LocationCookies {
			return settingError("TokenLocation", "unknown location %q (use \"headers\" and/or \"cookies\")", loc)
		}
	}
	for _, t := range c.DenylistTokenChecks {
		if t != TypeAccess && t != TypeRefresh {
			return settingError("DenylistTokenChecks", "unknown token type %q (use \"access\" and/or \"refresh\")", t)
		}
	}
	if c.DenylistEnabled && c.Store == nil {
		return settingError("Store", "%s needs a revocation store (revoke.NewMemory(), a store module, or revoke.Func)", fieldRef("DenylistEnabled"))
	}
	if c.Store != nil && c.denylistExplicitlyOff() {
		return settingError("DenylistEnabled", "is false, but a Store (%T) is configured: it would record revocations that verification never checks; unset the variable (a Store turns the denylist on) or remove the Store", c.Store)
	}
	if c.RefreshTokenRotation {
		if c.Store == nil || !c.DenylistEnabled {
			return settingError("RefreshTokenRotation", "needs %s and a Store", fieldRef("DenylistEnabled"))
		}
		if !slices.Contains(c.DenylistTokenChecks, TypeRefresh) {
			return settingError("RefreshTokenRotation", "needs refresh tokens checked against the store (%s is %q): reuse detection revokes the family", fieldRef("DenylistTokenChecks"), c.DenylistTokenChecks)
		}
		if _, ok := c.Store.(revoke.Consumer); !ok {
			return settingError("RefreshTokenRotation", "the configured Store (%T) cannot consume tokens atomically (revoke.Consumer)", c.Store)
		}
	}
	switch strings.ToLower(c.CookieSameSite) {
	case "lax", "strict", "none":
		c.CookieSameSite = strings.ToLower(c.CookieSameSite)
	default:
		return settingError("CookieSameSite", "%q is not one of lax, strict, none (AUTHJWT_COOKIE_SAMESITE)", c.CookieSameSite)
	}
	valid := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	for _, m := range c.CSRFMethods {
		if !slices.Contains(valid, strings.ToUpper(m)) {
			return settingError("CSRFMethods", "%q is not an HTTP method (AUTHJWT_CSRF_METHODS)", m)
		}
	}
	if c.CookieMaxAge < 0 {
		return settingError("CookieMaxAge", "negative duration %v", c.CookieMaxAge)
	}
	if c.HeaderBareToken && c.HeaderType != "Bearer" {
		return settingError("HeaderType", "set HeaderType or HeaderBareToken, not both")
	}
	if strings.ContainsAny(c.HeaderType, " \t") {
		return settingError("HeaderType", "%q contains whitespace", c.HeaderType)
	}
	for _, h := range []struct{ setting, name string }{
		{"HeaderName", c.HeaderName},
		{"AccessCSRFHeaderName", c.AccessCSRFHeaderName},
		{"RefreshCSRFHeaderName", c.RefreshCSRFHeaderName},
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
		{"AccessCookieName", c.AccessCookieName, "AccessCookiePath", c.AccessCookiePath},
		{"RefreshCookieName", c.RefreshCookieName, "RefreshCookiePath", c.RefreshCookiePath},
	}
	if !c.UnsafeDisableCSRF {
		list = append(list,
			ck{"AccessCSRFCookieName", c.AccessCSRFCookieName, "AccessCSRFCookiePath", c.AccessCSRFCookiePath},
			ck{"RefreshCSRFCookieName", c.RefreshCSRFCookieName, "RefreshCSRFCookiePath", c.RefreshCSRFCookiePath})
	}
	if c.CookieDomain != "" {
		if err := (&http.Cookie{Name: "x", Domain: c.CookieDomain}).Valid(); err != nil {
			return settingError("CookieDomain", "%q is not a valid cookie domain (AUTHJWT_COOKIE_DOMAIN)", c.CookieDomain)
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
			if c.InsecureCookies {
				return settingError(k.setting, "%q has the __Host- prefix, which browsers only accept on Secure cookies: remove InsecureCookies (AUTHJWT_COOKIE_SECURE=false) or rename the cookie", k.name)
			}
			if k.path != "/" {
				return settingError(k.setting, "%q has the __Host- prefix, which requires Path \"/\": set %s to \"/\" (got %q) or rename the cookie", k.name, fieldRef(k.pathSetting), k.path)
			}
			if c.CookieDomain != "" {
				return settingError(k.setting, "%q has the __Host- prefix, which forbids a Domain: unset CookieDomain (AUTHJWT_COOKIE_DOMAIN) or rename the cookie", k.name)
			}
		}
		if strings.HasPrefix(lower, "__secure-") && c.InsecureCookies {
			return settingError(k.setting, "%q has the __Secure- prefix, which browsers only accept on Secure cookies: remove InsecureCookies (AUTHJWT_COOKIE_SECURE=false) or rename the cookie", k.name)
		}
	}
	if strings.EqualFold(c.CookieSameSite, "none") && c.InsecureCookies {
		return settingError("CookieSameSite", "\"none\" requires Secure cookies: remove InsecureCookies (AUTHJWT_COOKIE_SECURE=false) or use lax/strict (AUTHJWT_COOKIE_SAMESITE)")
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
