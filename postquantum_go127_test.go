//go:build go1.27

package authjwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
)

var mldsaAlgs = []string{keys.MLDSA44, keys.MLDSA65, keys.MLDSA87}

func mldsaKey(t testing.TB, alg string) crypto.Signer {
	t.Helper()
	k, err := keys.GenerateMLDSAKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestMLDSASignVerify: each parameter set signs and verifies through the
// whole verifier, from a PKCS#8 PEM (as keygen writes it); the JWKS
// serves the AKP key with its alg; the key is bound to its algorithm.
func TestMLDSASignVerify(t *testing.T) {
	ctx := context.Background()
	for _, alg := range mldsaAlgs {
		t.Run(alg, func(t *testing.T) {
			k := mldsaKey(t, alg)
			a := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, k), Algorithm: alg}})
			if a.Config().MaxTokenSize != 16<<10 {
				t.Errorf("MaxTokenSize default = %d with %s, want 16 KiB", a.Config().MaxTokenSize, alg)
			}
			tok := must(a.CreateAccessToken("alice", WithClaims(map[string]any{"team": "pq"})))
			sig := tok[strings.LastIndexByte(tok, '.')+1:]
			if got, want := len(sig), jws.EncodedLen(jws.Alg(must(parseAlg(alg))).SignatureSize()); got != want {
				t.Fatalf("signature is %d base64url bytes, want %d", got, want)
			}
			if h := decodePart(t, tok, 0); h["alg"] != alg {
				t.Fatalf("header %v", h)
			}
			tk, err := a.Verify(ctx, tok, Requirement{})
			if err != nil || tk.Subject() != "alice" {
				t.Fatalf("Verify: %v", err)
			}
			// A changed signature byte and another key's signature fail.
			bad := []byte(tok)
			bad[len(bad)-10] ^= 'A' ^ 'B'
			if _, err := a.Verify(ctx, string(bad), Requirement{}); !errors.Is(err, ErrInvalidSignature) && !errors.Is(err, ErrMalformedToken) {
				t.Fatalf("tampered token: %v", err)
			}
			other := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, mldsaKey(t, alg)), Algorithm: alg}})
			if _, err := other.Verify(ctx, tok, Requirement{}); err == nil {
				t.Fatal("another key verified the token")
			}
			// JWKS: an AKP key with its alg, kid = RFC 9964 thumbprint.
			rec := httptest.NewRecorder()
			a.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
			var set struct{ Keys []map[string]string }
			json.Unmarshal(rec.Body.Bytes(), &set)
			kid := must(keys.Thumbprint(k.Public()))
			if len(set.Keys) != 1 || set.Keys[0]["kty"] != "AKP" || set.Keys[0]["alg"] != alg || set.Keys[0]["kid"] != kid || set.Keys[0]["pub"] == "" {
				t.Fatalf("JWKS = %s", rec.Body)
			}
			if _, ok := set.Keys[0]["priv"]; ok {
				t.Fatal("JWKS publishes the seed")
			}
		})
	}
}

func parseAlg(s string) (jws.Alg, error) {
	a, ok := jws.ParseAlg(s)
	if !ok {
		return 0, errors.New("unknown")
	}
	return a, nil
}

// TestMLDSABoundToKey: an ML-DSA key verifies only its own parameter
// set, and no other algorithm names it: a header naming ML-DSA-65 over an
// ML-DSA-44 key (or ES256 over an ML-DSA key) is refused.
func TestMLDSABoundToKey(t *testing.T) {
	k44 := mldsaKey(t, keys.MLDSA44)
	if _, err := New(Config{Keys: KeyConfig{PrivateKey: privPEM(t, k44), Algorithm: keys.MLDSA65}}); err == nil || !strings.Contains(err.Error(), "needs an ML-DSA-65 key, got an ML-DSA-44 key") {
		t.Fatalf("New(ML-DSA-65, 44 key) = %v", err)
	}
	if _, err := New(Config{Keys: KeyConfig{PrivateKey: privPEM(t, k44), Algorithm: keys.ES256}}); err == nil || !strings.Contains(err.Error(), "does not fit an ML-DSA-44 key") {
		t.Fatalf("New(ES256, 44 key) = %v", err)
	}
	if _, err := New(Config{Keys: KeyConfig{PrivateKey: privPEM(t, k44), Algorithm: keys.MLDSA44, DecodeAlgorithms: []string{keys.MLDSA44, keys.MLDSA87}}}); err == nil || !strings.Contains(err.Error(), "Keys.DecodeAlgorithms") {
		t.Fatalf("New(DecodeAlgorithms 44+87, 44 key) = %v", err)
	}
	// The codec re-checks the binding whatever the resolver hands it.
	var sig [2420]byte
	if jws.VerifyPublic(jws.MLDSA65, k44.Public(), "a.b", sig[:]) == nil || jws.VerifyPublic(jws.ES256, k44.Public(), "a.b", sig[:64]) == nil {
		t.Fatal("VerifyPublic accepted a mismatched key")
	}
	ec := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	if jws.VerifyPublic(jws.MLDSA44, &ec.PublicKey, "a.b", sig[:]) == nil {
		t.Fatal("VerifyPublic(ML-DSA-44, EC key) accepted")
	}
}

// TestMLDSASignatureBound: an ML-DSA signature may exceed the classical
// bound (MaxSignatureSize) but not MaxMLDSASignatureSize; a classical
// token is still refused past MaxSignatureSize before any key is used.
func TestMLDSASignatureBound(t *testing.T) {
	ctx := context.Background()
	a := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, mldsaKey(t, keys.MLDSA87)), Algorithm: keys.MLDSA87, DecodeAlgorithms: []string{keys.MLDSA87}}})
	tok := must(a.CreateAccessToken("alice"))
	long := tok + strings.Repeat("A", 8)
	if _, err := a.Verify(ctx, long, Requirement{}); !errors.Is(err, ErrMalformedToken) || !strings.Contains(err.Error(), "limit 4627 bytes") {
		t.Fatalf("ML-DSA-87 signature over the bound: %v", err)
	}
	h := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, MaxTokenSize: 16 << 10})
	ht := must(h.CreateAccessToken("alice"))
	if _, err := h.Verify(ctx, ht[:strings.LastIndexByte(ht, '.')+1]+strings.Repeat("A", 2000), Requirement{}); !errors.Is(err, ErrMalformedToken) || !strings.Contains(err.Error(), "limit 1024 bytes") {
		t.Fatalf("HS256 with a 1.5 KB signature: %v", err)
	}
}

// TestMLDSARotation: our keys move from ES256 to ML-DSA-44 with both
// published during the overlap: tokens of the old key keep verifying, new
// tokens are ML-DSA; then requiring post-quantum (Keys.DecodeAlgorithms only
// ML-DSA) refuses the classical tokens.
func TestMLDSARotation(t *testing.T) {
	ctx := context.Background()
	set := keys.NewSet()
	ec := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	old := must(set.AddSigner(must(keys.NewSigningKey(keys.ES256, ec))))
	pq := must(set.Add(must(keys.NewSigningKey(keys.MLDSA44, mldsaKey(t, keys.MLDSA44)))))
	// Accept both while rotating.
	a := mustNew(t, Config{Keys: KeyConfig{Set: set, DecodeAlgorithms: []string{keys.ES256, keys.MLDSA44}}})
	if a.Config().MaxTokenSize != 16<<10 {
		t.Errorf("MaxTokenSize = %d during the rotation", a.Config().MaxTokenSize)
	}
	classical := must(a.CreateAccessToken("alice"))
	rec := httptest.NewRecorder()
	a.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	published, skipped, err := keys.ParseJWKS(rec.Body.Bytes(), 0)
	if err != nil || len(skipped) != 0 || len(published) != 2 || published[0].KID != old.KID || published[1].KID != pq.KID || published[1].Alg != keys.MLDSA44 {
		t.Fatalf("JWKS during the overlap: %s (%v %v)", rec.Body, skipped, err)
	}
	if err := set.SetSigner(pq.KID); err != nil {
		t.Fatal(err)
	}
	post := must(a.CreateAccessToken("alice"))
	if h := decodePart(t, post, 0); h["alg"] != keys.MLDSA44 || h["kid"] != pq.KID {
		t.Fatalf("after SetSigner: header %v", h)
	}
	for name, tok := range map[string]string{"ES256": classical, "ML-DSA-44": post} {
		if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
			t.Fatalf("%s token during the overlap: %v", name, err)
		}
	}
	// Require post-quantum: the classical token is refused by algorithm.
	strict := mustNew(t, Config{Keys: KeyConfig{Set: set, DecodeAlgorithms: []string{keys.MLDSA44}}})
	if _, err := strict.Verify(ctx, classical, Requirement{}); !errors.Is(err, ErrInvalidAlgorithm) {
		t.Fatalf("classical token with PQ required: %v", err)
	}
	if _, err := strict.Verify(ctx, post, Requirement{}); err != nil {
		t.Fatalf("ML-DSA token with PQ required: %v", err)
	}
	// The old key leaves the set once its tokens have expired.
	if err := set.Remove(old.KID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, classical, Requirement{}); err == nil {
		t.Fatal("token of a removed key verified")
	}
}

// TestMLDSATrustedIssuerRotation: a provider rotating from ES256 to
// ML-DSA-65 publishes both keys in its JWKS; a trusted issuer accepting
// both verifies tokens of each, one requiring post-quantum refuses the
// ES256 token.
func TestMLDSATrustedIssuerRotation(t *testing.T) {
	ctx := context.Background()
	set := keys.NewSet()
	ec := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	must(set.AddSigner(must(keys.NewSigningKey(keys.ES256, ec))))
	pq := must(set.Add(must(keys.NewSigningKey(keys.MLDSA65, mldsaKey(t, keys.MLDSA65)))))
	var minter *Auth
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { minter.JWKSHandler().ServeHTTP(w, r) }))
	defer srv.Close()
	minter = mustNew(t, Config{Keys: KeyConfig{Set: set}, Claims: ClaimsConfig{EncodeIssuer: srv.URL}, TypeClaim: TypeClaimConfig{Skip: true}})
	esTok := must(minter.CreateAccessToken("u", WithAudience("api")))
	if err := set.SetSigner(pq.KID); err != nil {
		t.Fatal(err)
	}
	pqTok := must(minter.CreateAccessToken("u", WithAudience("api")))

	verifier := func(algs ...string) *Auth {
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TrustedIssuers: []TrustedIssuer{{
			Issuer: srv.URL, JWKSURL: srv.URL + "/jwks", Audience: []string{"api"}, Algorithms: algs, HTTPClient: srv.Client(),
		}}})
		t.Cleanup(func() { a.Close() })
		return a
	}
	both := verifier(keys.ES256, keys.MLDSA65)
	if both.Config().MaxTokenSize != 16<<10 {
		t.Errorf("MaxTokenSize = %d with an ML-DSA trusted issuer", both.Config().MaxTokenSize)
	}
	for name, tok := range map[string]string{"ES256": esTok, "ML-DSA-65": pqTok} {
		if _, err := both.Verify(ctx, tok, Requirement{}); err != nil {
			t.Fatalf("%s token, both accepted: %v", name, err)
		}
	}
	pqOnly := verifier(keys.MLDSA65)
	if _, err := pqOnly.Verify(ctx, esTok, Requirement{}); !errors.Is(err, ErrInvalidAlgorithm) {
		t.Fatalf("ES256 token, PQ required: %v", err)
	}
	if _, err := pqOnly.Verify(ctx, pqTok, Requirement{}); err != nil {
		t.Fatalf("ML-DSA-65 token, PQ required: %v", err)
	}
}

// TestMLDSACookieBudget: in cookie mode, New refuses an algorithm whose
// tokens cannot fit a browser cookie (4096 bytes for name and value);
// ML-DSA-44 fits, and the cookies it sets do; header mode takes any.
func TestMLDSACookieBudget(t *testing.T) {
	cookies := []string{LocationCookies}
	for _, alg := range []string{keys.MLDSA65, keys.MLDSA87} {
		_, err := New(Config{Keys: KeyConfig{PrivateKey: privPEM(t, mldsaKey(t, alg)), Algorithm: alg}, TokenLocation: cookies})
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != "Keys.Algorithm" || !strings.Contains(err.Error(), "do not fit a browser cookie") {
			t.Fatalf("New(%s, cookies) = %v", alg, err)
		}
		mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, mldsaKey(t, alg)), Algorithm: alg}})
	}
	// Long cookie names and a long issuer tip ML-DSA-44 over, too.
	k44 := mldsaKey(t, keys.MLDSA44)
	if _, err := New(Config{Keys: KeyConfig{PrivateKey: privPEM(t, k44), Algorithm: keys.MLDSA44}, TokenLocation: cookies, Claims: ClaimsConfig{EncodeIssuer: "https://" + strings.Repeat("i", 400) + ".example"}}); err == nil {
		t.Fatal("ML-DSA-44 with a 400-byte issuer fit a cookie")
	}
	a := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, k44), Algorithm: keys.MLDSA44}, TokenLocation: cookies})
	pair := must(a.CreatePair("alice@example.com"))
	rec := httptest.NewRecorder()
	if err := a.SetPairCookies(rec, pair); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.Result().Cookies() {
		if n := len(c.Name) + 1 + len(c.Value); n > 4096 {
			t.Fatalf("cookie %s is %d bytes", c.Name, n)
		}
	}
}
