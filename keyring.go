package authjwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/internal/keyhook"
	"github.com/librenz/authjwt/keys"
)

// ErrNoSigningKey is returned when no configured key can sign.
var ErrNoSigningKey = errors.New("authjwt: no private key, signer or secret configured for this algorithm")

// hmacCache keeps one pooled HMAC key per (secret, alg) found in a key
// set, so rotation does not cost an hmac.New per request.
type hmacCache struct{ m sync.Map } // string(alg)+secret -> jws.Key

func (c *hmacCache) get(alg jws.Alg, secret []byte) jws.Key {
	key := alg.String() + "\x00" + string(secret)
	if v, ok := c.m.Load(key); ok {
		return v.(jws.Key)
	}
	v, _ := c.m.LoadOrStore(key, jws.Key{HMAC: jws.NewHMACKey(alg, secret)})
	return v.(jws.Key)
}

// headerCache remembers the encoded header of the last (alg, kid) a key
// set signed with.
type headerCache struct {
	alg jws.Alg
	kid string
	seg string
}

// keyRing owns our keys: it loads them from Config.Keys (a rotating
// Keys.Set, or the static SecretKey / PrivateKey / PublicKey / Signer /
// VerifyKey), signs new tokens, publishes the public keys, and is the
// decoder's resolver for our tokens (gate: Keys.DecodeAlgorithms, Keys.DecodeKID).
type keyRing struct {
	gate    jws.Gate // Allowed is indexed by jws.Alg
	signAlg jws.Alg
	// set holds our keys: Keys.Set, or the static keys as a one-key (or,
	// secret and key pair, two-key) set that New builds.
	set *keys.Set

	hmacs      hmacCache // the set's secrets, pooled per (secret, alg)
	lastHeader atomic.Pointer[headerCache]

	// Static keys never rotate, so New also binds them once to every
	// algorithm they serve (a secret every configured HMAC algorithm, a
	// key pair every configured one of its family, whatever kid a token
	// names, as ever): fixed, the verification key per algorithm (the
	// HS256 fast path: a pooled HMAC key, no lookup), and fixedSign, the
	// signing key and header per algorithm. Both are empty with Keys.Set.
	fixed     [jws.NumAlgs]jws.Key
	fixedSign [jws.NumAlgs]signing
	own       []string // fixedSign's headers, recognised byte for byte by the decoder

	// Loading state of the static keys (see loadKeys).
	hmacKey [jws.NumAlgs]jws.Key // the secret, bound to each HMAC algorithm it serves
	secret  bool                 // a secret is configured
	hmacKID string
	pub     crypto.PublicKey
	pubKID  string
	signer  crypto.Signer

	enc *jws.Encoder
	log *slog.Logger
}

// newKeyRing loads the keys of cfg (defaults applied).
func newKeyRing(cfg *Config, enc *jws.Encoder, log *slog.Logger) (*keyRing, error) {
	r := &keyRing{enc: enc, log: log}
	if cfg.Keys.Set != nil {
		if err := r.useKeySet(*cfg); err != nil {
			return nil, err
		}
	} else if err := r.loadKeys(*cfg); err != nil {
		return nil, err
	}
	r.gate.KID = cfg.Keys.DecodeKID
	return r, nil
}

// encodeHeader returns the encoded header segment for alg and kid.
func (r *keyRing) encodeHeader(alg jws.Alg, kid string) string {
	seg, err := r.enc.Header(alg, kid, nil)
	if err != nil {
		return "" // kids are checked by New; a key set's are its own
	}
	return seg
}

// checkTrusted refuses an HMAC secret that is a trusted provider's public
// key: those are public too. (Keys a provider's JWKS serves later are not
// known yet; the ones a KeySource holds now are checked.)
func (r *keyRing) checkTrusted(trusted map[string]*trustedIssuer, secret string) error {
	if !r.secret {
		return nil
	}
	var pubs []crypto.PublicKey
	for _, ti := range trusted {
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
		if err := keys.CheckSecret([]byte(secret), pubs...); err != nil {
			return secretKeyError(err)
		}
	}
	return nil
}

// Gate returns what we accept of a header.
func (r *keyRing) Gate() *jws.Gate { return &r.gate }

// bindKey binds one key to alg for the decoder.
func bindKey(hmacs *hmacCache, k keys.Key, alg jws.Alg) (jws.Key, error) {
	if !k.Accepts(alg.String()) {
		return jws.Key{}, ErrInvalidAlgorithm
	}
	if k.Secret != nil {
		return hmacs.get(alg, k.Secret), nil
	}
	return jws.Key{Public: k.Public}, nil
}

// Key returns the i-th key to try for a token of ours under alg: with a
// key set, the key its kid names, or each candidate in turn for a token
// without kid; otherwise the configured key. A zero Key: no further key.
func (r *keyRing) Key(_ context.Context, alg jws.Alg, kid jws.KID, i int) (jws.Key, error) {
	if k := r.fixed[alg]; k.HMAC != nil || k.Public != nil {
		// A static key serves every token of its algorithm.
		if i > 0 {
			return jws.Key{}, nil
		}
		return k, nil
	}
	if kid.Present() {
		if i > 0 {
			return jws.Key{}, nil
		}
		k, ok := r.set.Lookup(string(kid.Bytes()))
		if !ok {
			return jws.Key{}, ErrInvalidKID.with(nil, "Unknown kid on header")
		}
		return bindKey(&r.hmacs, k, alg)
	}
	n := 0
	for k := range r.set.Candidates(alg.String()) {
		if !k.Accepts(alg.String()) {
			continue
		}
		if n == i {
			return bindKey(&r.hmacs, k, alg)
		}
		n++
	}
	if i == 0 {
		return jws.Key{}, ErrInvalidKID.with(nil, "Missing kid on header")
	}
	return jws.Key{}, nil
}

// signingKey returns the key new tokens are signed with under alg (the
// configured algorithm unless overridden), with its kid and header.
type signing struct {
	alg    jws.Alg
	key    jws.Key // its HMAC key, or its Signer
	kid    string
	header string
	err    error // fixedSign: why alg cannot sign
}

func (r *keyRing) signingFor(alg jws.Alg, override bool) (signing, error) {
	if fs := &r.fixedSign[alg]; fs.alg.Known() {
		// A static key signs under every algorithm it serves.
		if fs.err != nil {
			return signing{}, fs.err
		}
		return *fs, nil
	}
	k := r.set.Signer()
	if !k.CanSign() {
		return signing{}, ErrNoSigningKey
	}
	ka, ok := jws.ParseAlg(k.Alg)
	if !ok {
		return signing{}, ErrNoSigningKey
	}
	if override && !keys.SameAlgorithm(alg.String(), k.Alg) {
		return signing{}, errors.New("authjwt: WithAlgorithm: the key set's signer is bound to " + k.Alg)
	}
	s := signing{alg: ka, kid: k.KID}
	if k.Secret != nil {
		s.key = r.hmacs.get(ka, k.Secret)
	} else {
		s.key.Signer = k.Signer
	}
	if hc := r.lastHeader.Load(); hc != nil && hc.alg == ka && hc.kid == k.KID {
		s.header = hc.seg
	} else {
		s.header = r.encodeHeader(ka, k.KID)
		r.lastHeader.Store(&headerCache{ka, k.KID, s.header})
	}
	return s, nil
}

// Keys returns our public verification keys (never a private or symmetric
// key), for JWKS publication. See [Auth.JWKSHandler].
func (a *Auth) Keys() []keys.Key { return a.ring.published() }

// published returns the public keys, for Keys.
func (r *keyRing) published() []keys.Key {
	var out []keys.Key
	for _, k := range r.set.Keys() {
		if k.Secret == nil && k.Public != nil {
			out = append(out, keys.Key{KID: k.KID, Alg: k.Alg, Public: k.Public})
		}
	}
	return out
}

// JWKSHandler serves our public keys as a JWK Set, for
// /.well-known/jwks.json (RFC 7517), with Cache-Control and ETag. Under
// HMAC the set is empty: secrets are never published.
func (a *Auth) JWKSHandler() http.Handler { return keys.Handler(a) }

// PublicKey returns the public verification key (the signer's, with a
// Keys.Set) as PEM, like the seed's get_public_key(), with its RFC 7638
// thumbprint. The thumbprint is the key's default kid, but not the kid of
// its tokens when Keys.PublicKeyID, the compatibility profile or a
// Keys.Set kid says otherwise: [Auth.Keys] has that. It fails under HMAC.
func (a *Auth) PublicKey() (pemText, thumbprint string, err error) {
	ks := a.Keys()
	if len(ks) == 0 {
		return "", "", errors.New("authjwt: no public key configured (HMAC algorithms have none)")
	}
	k := ks[0]
	if s := a.ring.set.Signer(); s.Public != nil {
		k = keys.Key{KID: s.KID, Alg: s.Alg, Public: s.Public}
	}
	return keys.PublicKeyPEM(k)
}

func (r *keyRing) loadKeys(cfg Config) error {
	alg, ok := jws.ParseAlg(cfg.Keys.Algorithm)
	if !ok {
		return settingError("Keys.Algorithm", "unknown or forbidden algorithm %q (AUTHJWT_ALGORITHM)", cfg.Keys.Algorithm)
	}
	if err := algAvailable("Keys.Algorithm", alg); err != nil {
		return err
	}
	r.signAlg = alg
	decode := cfg.Keys.DecodeAlgorithms
	if len(decode) == 0 {
		decode = []string{cfg.Keys.Algorithm}
	}
	var decodeAlgs []jws.Alg
	for _, s := range decode {
		d, ok := jws.ParseAlg(s)
		if !ok {
			return settingError("Keys.DecodeAlgorithms", "unknown or forbidden algorithm %q (AUTHJWT_DECODE_ALGORITHMS)", s)
		}
		if err := algAvailable("Keys.DecodeAlgorithms", d); err != nil {
			return err
		}
		r.gate.Allowed[d] = true
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
				r.log.Warn("authjwt: HMAC secret shorter than RFC 7518 §3.2 allows is in use (Keys.UnsafeAllowShortSecret)", "alg", d.String(), "bytes", len(cfg.Keys.SecretKey), "min", min)
			}
			if r.hmacKey[d].HMAC == nil {
				r.hmacKey[d] = jws.Key{HMAC: jws.NewHMACKey(d, []byte(cfg.Keys.SecretKey))}
				r.secret = true
			}
		}
		// After the length check, which a short secret fails first.
		if n := distinctBytes(cfg.Keys.SecretKey); n < minSecretDistinct {
			if !cfg.Keys.UnsafeAllowShortSecret {
				return settingError("Keys.SecretKey", "has only %d distinct bytes (a repeated character, whitespace): not a random secret; generate one with `authjwt keygen --alg %s`, or set Keys.UnsafeAllowShortSecret (AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET) to keep a legacy secret", n, hmacAlgsOf(alg, decodeAlgs))
			}
			r.log.Warn("authjwt: HMAC secret with very few distinct bytes is in use (Keys.UnsafeAllowShortSecret)", "distinct", n)
		}
		r.hmacKID = cfg.Keys.KeyID
	}

	// Asymmetric keys.
	if needAsym {
		if err := r.loadAsymmetric(cfg, alg, decodeAlgs); err != nil {
			return err
		}
	}
	if needHMAC {
		// After the asymmetric keys, so that the secret is also compared
		// with the configured public key (published at the JWKS endpoint).
		var pubs []crypto.PublicKey
		if r.pub != nil {
			pubs = append(pubs, r.pub)
		}
		if err := keys.CheckSecret([]byte(cfg.Keys.SecretKey), pubs...); err != nil {
			return secretKeyError(err)
		}
	}
	if needHMAC && cfg.Keys.KeyID == "" && cfg.Compat == CompatLibreFastAPIJWT {
		r.hmacKID = r.compatHMACKID(cfg)
	}
	r.bindStatic(cfg.Keys.SecretKey)
	return nil
}

// bindStatic puts the loaded static keys into r.set and binds them to
// their algorithms (fixed, fixedSign, own).
func (r *keyRing) bindStatic(secret string) {
	var list []keys.Key
	signer := -1
	if r.secret {
		alg := r.signAlg
		for i := range jws.NumAlgs {
			if !alg.IsHMAC() && r.hmacKey[i].HMAC != nil {
				alg = i
			}
		}
		if r.signAlg.IsHMAC() {
			signer = len(list)
		}
		list = append(list, keys.Key{KID: r.hmacKID, Alg: alg.String(), Secret: []byte(secret)})
	}
	if r.pub != nil {
		alg := r.signAlg
		for i := range jws.NumAlgs {
			if alg.IsHMAC() && r.gate.Allowed[i] && !i.IsHMAC() {
				alg = i
			}
		}
		if !r.signAlg.IsHMAC() && r.signer != nil {
			signer = len(list)
		}
		list = append(list, keys.Key{KID: r.pubKID, Alg: alg.String(), Public: r.pub, Signer: r.signer})
	}
	r.set = keyhook.StaticSet(list, signer).(*keys.Set)
	for i := range jws.NumAlgs {
		if !i.Known() {
			continue
		}
		kid := r.kidFor(i)
		fs := signing{alg: i, kid: kid}
		switch {
		case i.IsHMAC() && r.hmacKey[i].HMAC != nil:
			r.fixed[i] = r.hmacKey[i]
			fs.key = r.hmacKey[i]
		case i.IsHMAC():
			fs.err = errors.New("authjwt: WithAlgorithm: no HMAC secret configured for " + i.String())
		case r.pub != nil:
			r.fixed[i] = jws.Key{Public: r.pub}
			fs.key.Signer = r.signer
			if r.signer == nil {
				fs.err = ErrNoSigningKey
			}
		default:
			fs.err = ErrNoSigningKey
		}
		if r.gate.Allowed[i] || i == r.signAlg {
			fs.header = r.encodeHeader(i, kid)
			if r.gate.Allowed[i] {
				r.own = append(r.own, fs.header)
			}
		}
		r.fixedSign[i] = fs
	}
}

// useKeySet takes our keys from a rotating key set.
func (r *keyRing) useKeySet(cfg Config) error {
	if cfg.Keys.SecretKey != "" || cfg.Keys.PrivateKey != "" || cfg.Keys.PublicKey != "" || cfg.Keys.Signer != nil || cfg.Keys.VerifyKey != nil {
		return settingError("Keys.Set", "set Keys.Set or Keys.SecretKey/PrivateKey/PublicKey/Signer/VerifyKey, not both")
	}
	if cfg.Keys.KeyID != "" || cfg.Keys.PublicKeyID != "" {
		return settingError("Keys.Set", "each key of a Keys.Set carries its own kid: Keys.KeyID and Keys.PublicKeyID are for Keys.SecretKey and Keys.PrivateKey")
	}
	r.set = cfg.Keys.Set
	if len(cfg.Keys.DecodeAlgorithms) == 0 {
		// Every key is bound to its own algorithm; allow them all here.
		for i := range jws.NumAlgs {
			if i.Known() && i.Available() {
				r.gate.Allowed[i] = true
			}
		}
	} else {
		for _, s := range cfg.Keys.DecodeAlgorithms {
			d, ok := jws.ParseAlg(s)
			if !ok {
				return settingError("Keys.DecodeAlgorithms", "unknown or forbidden algorithm %q", s)
			}
			if err := algAvailable("Keys.DecodeAlgorithms", d); err != nil {
				return err
			}
			r.gate.Allowed[d] = true
		}
	}
	if k := cfg.Keys.Set.Signer(); k.Alg != "" {
		alg, _ := jws.ParseAlg(k.Alg)
		r.signAlg = alg
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

func (r *keyRing) loadAsymmetric(cfg Config, alg jws.Alg, decodeAlgs []jws.Alg) error {
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
	if rk, ok := pub.(*rsa.PublicKey); ok && rk.N != nil && rk.N.BitLen() > keys.MaxRSABits {
		// Checked before the algorithm fit, so the error names the key's
		// own setting: such a key's signatures exceed MaxSignatureSize.
		return settingError(keySetting(cfg), "RSA key is %d bits; at most %d are accepted (keys.MaxRSABits): its signatures would exceed the verifier's %d-byte limit (MaxSignatureSize), so no token it signed would verify", rk.N.BitLen(), keys.MaxRSABits, MaxSignatureSize)
	}
	if !alg.IsHMAC() {
		if signer == nil {
			// A verify-only service: allowed, but it cannot sign.
			r.log.Debug("authjwt: no private key configured; tokens can be verified but not created")
		}
		if err := keys.CheckKey(alg.String(), pub); err != nil {
			return settingError("Keys.Algorithm", "%s does not fit the configured key: %v", alg, strings.TrimPrefix(err.Error(), "authjwt: "))
		}
	}
	for _, d := range decodeAlgs {
		if d.IsHMAC() {
			continue
		}
		if err := keys.CheckKey(d.String(), pub); err != nil {
			return settingError("Keys.DecodeAlgorithms", "%s does not fit the configured key: %v", d, strings.TrimPrefix(err.Error(), "authjwt: "))
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
	r.pub, r.pubKID, r.signer = pub, kid, signer
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

func (r *keyRing) kidFor(alg jws.Alg) string {
	if alg.IsHMAC() {
		return r.hmacKID
	}
	return r.pubKID
}

// seedHMACKID is the kid libre-fastapi-jwt stamps on every token when no
// public key is configured.
const seedHMACKID = "whoamikidding"

// compatHMACKID is the seed's kid for HMAC tokens: the SPKI hash of the
// configured public key, whatever the algorithm, else "whoamikidding".
func (r *keyRing) compatHMACKID(cfg Config) string {
	if r.pub != nil {
		return r.pubKID
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
