package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/keys"
)

// TestOurJWKSVerifiesWithJWX: the JWK Set our handler serves is parsed by
// lestrrat-go/jwx, which then verifies our tokens (selecting the key by
// kid) with the same claims; after a rotation the set holds both keys and
// tokens of each still verify.
func TestOurJWKSVerifiesWithJWX(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	set := keys.NewSet()
	if _, err := set.AddSigner(must(keys.NewSigningKey("ES256", ecKey))); err != nil {
		t.Fatal(err)
	}
	a, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{Set: set}, Claims: authjwt.ClaimsConfig{EncodeIssuer: "https://api.example"}})
	if err != nil {
		t.Fatal(err)
	}
	var toks []string
	toks = append(toks, must(a.CreateAccessToken("alice", authjwt.WithClaims(map[string]any{"org": "acme"}))))
	if _, err := set.AddSigner(must(keys.NewSigningKey("RS256", rsaKey))); err != nil {
		t.Fatal(err)
	}
	toks = append(toks, must(a.CreateAccessToken("alice", authjwt.WithClaims(map[string]any{"org": "acme"}))))
	if _, err := set.AddSigner(must(keys.NewSigningKey("EdDSA", edKey))); err != nil {
		t.Fatal(err)
	}
	toks = append(toks, must(a.CreateAccessToken("alice", authjwt.WithClaims(map[string]any{"org": "acme"}))))

	srv := httptest.NewServer(a.JWKSHandler())
	defer srv.Close()
	ks, err := jwk.Fetch(context.Background(), srv.URL)
	if err != nil {
		t.Fatalf("jwx cannot fetch our JWKS: %v", err)
	}
	if ks.Len() != 3 {
		t.Fatalf("jwx sees %d keys, want 3", ks.Len())
	}
	for i, tok := range toks {
		parsed, err := jwt.Parse([]byte(tok), jwt.WithKeySet(ks), jwt.WithValidate(true))
		if err != nil {
			t.Fatalf("token %d: jwx refuses it with our JWKS: %v", i, err)
		}
		sub, _ := parsed.Subject()
		var org string
		if err := parsed.Get("org", &org); err != nil || sub != "alice" || org != "acme" {
			t.Fatalf("token %d: jwx reads sub %q org %q (%v)", i, sub, org, err)
		}
	}
}

// TestJWXKeysAndTokensVerifyWithOurs: a JWK Set and tokens produced by
// lestrrat-go/jwx verify with ours, both as our own key set and as a
// trusted third-party issuer's JWKS fetched over HTTP.
func TestJWXKeysAndTokensVerifyWithOurs(t *testing.T) {
	const iss = "https://idp.example"
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	type pair struct {
		priv jwk.Key
		alg  jwa.SignatureAlgorithm
	}
	var pairs []pair
	pubSet := jwk.NewSet()
	for _, c := range []struct {
		raw any
		kid string
		alg jwa.SignatureAlgorithm
	}{{rsaKey, "rsa-1", jwa.RS256()}, {ecKey, "ec-1", jwa.ES384()}} {
		priv, err := jwk.Import(c.raw)
		if err != nil {
			t.Fatal(err)
		}
		priv.Set(jwk.KeyIDKey, c.kid)
		priv.Set(jwk.AlgorithmKey, c.alg)
		pub, err := priv.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		pub.Set(jwk.KeyUsageKey, "sig")
		pubSet.AddKey(pub)
		pairs = append(pairs, pair{priv, c.alg})
	}
	doc, err := json.Marshal(pubSet)
	if err != nil {
		t.Fatal(err)
	}
	parsedKeys, skipped, err := keys.ParseJWKS(doc, 10)
	if err != nil || len(skipped) != 0 || len(parsedKeys) != 2 {
		t.Fatalf("our JWKS parser on jwx's set: %v %v %d", err, skipped, len(parsedKeys))
	}
	// Serve it as a provider's JWKS.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	}))
	defer srv.Close()
	a, err := authjwt.New(authjwt.Config{
		Keys: authjwt.KeyConfig{SecretKey: "0123456789abcdef0123456789abcdef"},
		TrustedIssuers: []authjwt.TrustedIssuer{{
			Issuer: iss, JWKSURL: srv.URL, Audience: []string{"api"}, Algorithms: []string{"RS256", "ES384"},
			Remote: keys.RemoteConfig{AllowHTTP: true},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, p := range pairs {
		tok, err := jwt.NewBuilder().Issuer(iss).Subject("bob").Audience([]string{"api"}).
			IssuedAt(time.Now()).Expiration(time.Now().Add(time.Minute)).Claim("scope", "read").Build()
		if err != nil {
			t.Fatal(err)
		}
		signed, err := jwt.Sign(tok, jwt.WithKey(p.alg, p.priv))
		if err != nil {
			t.Fatal(err)
		}
		v, err := a.Verify(context.Background(), string(signed), authjwt.Requirement{})
		if err != nil {
			t.Fatalf("%s token from jwx refused: %v", p.alg, err)
		}
		if v.Subject() != "bob" || !v.IsThirdParty() {
			t.Fatalf("%s: sub %q third-party %v", p.alg, v.Subject(), v.IsThirdParty())
		}
		if s, _ := v.Claim("scope"); s != "read" {
			t.Fatalf("%s: scope %v", p.alg, s)
		}
	}
	// Its public keys in PEM also work as our verify-only configuration.
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	vo, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{PublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), Algorithm: "RS256"}, TypeClaim: authjwt.TypeClaimConfig{Skip: true}, Claims: authjwt.ClaimsConfig{DecodeAudience: []string{"api"}}})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := jwt.NewBuilder().Subject("carol").Audience([]string{"api"}).Expiration(time.Now().Add(time.Minute)).Build()
	signed, _ := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), pairs[0].priv))
	if v, err := vo.Verify(context.Background(), string(signed), authjwt.Requirement{}); err != nil || v.Subject() != "carol" {
		t.Fatalf("jwx RS256 token with our PEM configuration: %v", err)
	}
}
