package main

import (
	"net/http/httptest"
	"testing"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demotest"
	"github.com/librenz/authjwt/keys"
)

func TestAsymmetric(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			priv, err := generateKeyPEM(alg)
			if err != nil {
				t.Fatal(err)
			}
			app, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{PrivateKey: priv, Algorithm: alg}})
			if err != nil {
				t.Fatal(err)
			}
			access := demotest.Call(t, app, "POST", "/login", demotest.Login).Str("access_token")
			res := demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(access))
			demotest.Expect(t, "protected", res, 200, "")
			if res.Str("alg") != alg || res.Str("kid") == "" {
				t.Fatalf("token header: %v", res.Body)
			}

			// The JWKS publishes the key the token names.
			w := httptest.NewRecorder()
			app.ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
			list, skipped, err := keys.ParseJWKS(w.Body.Bytes(), 10)
			if err != nil || len(skipped) != 0 || len(list) != 1 || list[0].KID != res.Str("kid") || list[0].Alg != alg {
				t.Fatalf("JWKS %s: %v %v", w.Body, err, skipped)
			}

			// Another service verifies with the public key alone.
			pk := demotest.Call(t, app, "GET", "/public-key", nil)
			verifier, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{PublicKey: pk.Str("public_key"), Algorithm: alg}})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := verifier.Verify(t.Context(), access, authjwt.Requirement{Fresh: true})
			if err != nil || tok.Subject() != "alice" {
				t.Fatalf("verify-only service: %v", err)
			}
			if _, err := verifier.CreateAccessToken("mallory"); err == nil {
				t.Fatal("a verify-only service signed a token")
			}
		})
	}
	if _, err := generateKeyPEM("HS256"); err == nil {
		t.Error("-alg HS256 accepted")
	}
}
