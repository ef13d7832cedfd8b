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

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
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
	legacyStatus bool // LegacyStatusCodes
	onVerify     func(context.Context, VerifyEvent)
	life         lifetimes // of our tokens
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

// timing is the time as the parts read it.
func (a *Auth) timing() timing { return timing{now: a.now, leeway: a.leeway} }

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
	a.legacyStatus = cfg.LegacyStatusCodes
	a.onVerify = cfg.OnVerify
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
	a.compatMsgs = cfg.Compat == CompatLibreFastAPIJWT
	a.life = lifetimes{access: cfg.AccessTokenExpires, refresh: cfg.RefreshTokenExpires, nonExpiring: cfg.AllowNonExpiringTokens}
	a.rev = newRevoker(&cfg.Revocation, a.life, a.timing(), a.log)
	a.policy = newPolicy(&cfg.TypeClaim, cfg.DecodeIssuer, cfg.DecodeAudience, cfg.AllowRefreshWithoutIssuer, a.life, a.timing(), a.compatMsgs)
	creds, err := newCredentials(cfg.TokenLocation, &cfg.Header, &cfg.Cookies, &cfg.WebSocket, a.compatMsgs)
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
