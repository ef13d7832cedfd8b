package authjwt

// Post-quantum signatures (ML-DSA, RFC 9964) in the root package: the
// setting checks that are theirs (a build without crypto/mldsa, the
// token-size budget of cookies, the default MaxTokenSize). The algorithm
// itself is the codec's (internal/jws/mldsa_go127.go), its keys are
// package keys' (keys/akp.go).

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"strings"

	"github.com/librenz/authjwt/internal/jws"
)

// MaxMLDSASignatureSize is the largest signature, in decoded bytes, of a
// token whose header names an ML-DSA algorithm (an ML-DSA-87 signature);
// every other token's is held to MaxSignatureSize.
const MaxMLDSASignatureSize = 4627 // pinned to the codec's by TestLimitsMatchCodec

var errMLDSASignatureTooLarge = ErrMalformedToken.with(nil, "Token signature too large (limit 4627 bytes for ML-DSA)")

// algAvailable refuses, naming the setting, an algorithm this build does
// not implement: ML-DSA in a program built with a Go older than 1.27.
func algAvailable(setting string, alg jws.Alg) error {
	if r := alg.UnavailableReason(); r != "" {
		return settingError(setting, "%v", r)
	}
	return nil
}

// Default token-size bounds (Config.MaxTokenSize): 8 KiB, or 16 KiB when
// ML-DSA tokens may be verified, whose signatures alone take 3,227
// (ML-DSA-44), 4,412 (ML-DSA-65) and 6,170 (ML-DSA-87) base64url bytes.
const (
	defaultMaxTokenSize      = 8 << 10
	defaultMaxTokenSizeMLDSA = 16 << 10
)

// defaultMaxTokenSizeFor returns the default MaxTokenSize of c: the larger
// bound when an ML-DSA algorithm is configured (Algorithm,
// Keys.DecodeAlgorithms, a trusted issuer's Algorithms) or a key of Keys.Set is
// bound to one.
func defaultMaxTokenSizeFor(c *Config) int {
	pq := func(list ...string) bool {
		for _, s := range list {
			if a, ok := jws.ParseAlg(s); ok && a.IsMLDSA() {
				return true
			}
		}
		return false
	}
	found := pq(c.Keys.DecodeAlgorithms...) || (c.Keys.Set == nil && pq(c.Keys.Algorithm))
	for _, ti := range c.TrustedIssuers {
		found = found || pq(ti.Algorithms...)
	}
	if c.Keys.Set != nil {
		for _, k := range c.Keys.Set.Keys() {
			found = found || pq(k.Alg)
		}
	}
	if found {
		return defaultMaxTokenSizeMLDSA
	}
	return defaultMaxTokenSize
}

// browserCookieLimit is the size of the name and value of one cookie that
// every browser keeps (RFC 6265 §6.1 asks for at least 4096 bytes; Chrome
// and Firefox keep no more for name and value together).
const browserCookieLimit = 4096

// checkCookieBudget refuses, in cookie mode, a configuration whose tokens
// cannot fit a browser cookie: the cookie's name, "=", and a token holding
// only the library's claims (an empty subject, the configured issuer, type
// claim, fresh, a family id, the CSRF claim) signed under our signing
// algorithm. A browser drops a larger cookie silently, so that every
// request after login would be unauthenticated. Only what we sign is
// judged: a verify-only configuration is not refused.
func (a *Auth) checkCookieBudget() error {
	alg := a.ring.signAlg
	if !alg.Known() {
		return nil
	}
	sk, err := a.ring.signingFor(alg, false)
	if err != nil || sk.header == "" {
		return nil
	}
	var pub crypto.PublicKey = a.ring.pub
	if a.cfg.Keys.Set != nil {
		pub = a.cfg.Keys.Set.Signer().Public
	}
	b64 := base64.RawURLEncoding
	sig := b64.EncodedLen(signatureSize(sk.alg, pub))
	setting := "Keys.Algorithm"
	if a.cfg.Keys.Set != nil {
		setting = "Keys.Set"
	}
	for _, c := range []struct {
		setting, name string
		refresh       bool
	}{
		{"Cookies.Access.Name", a.cfg.Cookies.Access.Name, false},
		{"Cookies.Refresh.Name", a.cfg.Cookies.Refresh.Name, true},
	} {
		payload, err := a.enc.AppendPayload(nil, a.libraryClaims(c.refresh))
		if err != nil {
			return nil
		}
		n := len(c.name) + 1 + len(sk.header) + 1 + b64.EncodedLen(len(payload)) + 1 + sig
		if n > browserCookieLimit {
			return settingError(setting, "%s tokens do not fit a browser cookie: the %s cookie %q would take at least %d bytes for its name and value (the library's claims alone, with an empty subject), over the %d bytes browsers keep, so browsers would drop it silently; choose an algorithm with shorter signatures (ML-DSA-44 rather than ML-DSA-65 or ML-DSA-87), shorten the issuer or the cookie names, or carry these tokens in headers (%s)",
				sk.alg, strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(c.setting, "Cookies."), ".Name")), c.name, n, browserCookieLimit, fieldRef("TokenLocation"))
		}
	}
	return nil
}

// libraryClaims returns the claims the library writes into every token of
// its kind, with an empty subject and placeholder ids of their real length.
func (a *Auth) libraryClaims(refresh bool) *jws.ClaimSet {
	const uuid = "00000000-0000-0000-0000-000000000000"
	var cs jws.ClaimSet
	now := a.now().Unix()
	cs.SetSubject("")
	cs.SetIssuedAt(now)
	cs.SetNotBefore(now)
	cs.SetID(uuid)
	life, typ := a.cfg.Expiry.Access, a.cfg.TypeClaim.Access
	if refresh {
		life, typ = a.cfg.Expiry.Refresh, a.cfg.TypeClaim.Refresh
	}
	if life != Never {
		cs.SetExpires(now + int64(life.Seconds()))
	}
	if a.cfg.Claims.EncodeIssuer != "" {
		cs.SetIssuer(a.cfg.Claims.EncodeIssuer)
	}
	cs.SetType(typ)
	if !refresh {
		cs.SetFresh(false)
	}
	cs.SetFamily(uuid) // CreatePair's tokens share one
	if a.creds.csrfClaims() {
		cs.SetCSRF(uuid)
	}
	return &cs
}

// signatureSize returns the size in bytes of alg's signatures with pub.
func signatureSize(alg jws.Alg, pub crypto.PublicKey) int {
	if alg.IsRSA() {
		if k, ok := pub.(*rsa.PublicKey); ok && k.N != nil {
			return (k.N.BitLen() + 7) / 8
		}
		return MaxSignatureSize
	}
	return alg.SignatureSize()
}
