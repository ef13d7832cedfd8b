package authjwt

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/librenz/authjwt/keys"
)

func TestKeySetRotation(t *testing.T) {
	ctx := context.Background()
	testKeys()
	set := keys.NewSet()
	k1, err := set.AddSigner(must(keys.NewSigningKey("ES256", ecKey256)))
	if err != nil {
		t.Fatal(err)
	}
	a := mustNew(t, Config{Keys: KeyConfig{Set: set}})
	before := must(a.CreateAccessToken("alice"))
	if kid := decodePart(t, before, 0)["kid"]; kid != k1.KID {
		t.Fatalf("kid %v, want %s", kid, k1.KID)
	}
	// Publish a new key, then make it the signer, under concurrent traffic.
	k2, err := set.Add(must(keys.NewSigningKey("EdDSA", edKey)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var failures, checks int
	var mu sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				tok, err := a.CreateAccessToken("alice")
				if err == nil {
					_, err = a.Verify(ctx, tok, Requirement{})
				}
				mu.Lock()
				checks++
				if err != nil {
					failures++
				}
				mu.Unlock()
			}
		}()
	}
	during := must(a.CreateAccessToken("alice"))
	if err := set.SetSigner(k2.KID); err != nil {
		t.Fatal(err)
	}
	after := must(a.CreateAccessToken("alice"))
	close(stop)
	wg.Wait()
	if failures != 0 {
		t.Fatalf("%d of %d requests failed during rotation", failures, checks)
	}
	if h := decodePart(t, after, 0); h["kid"] != k2.KID || h["alg"] != "EdDSA" {
		t.Fatalf("after rotation: %v", h)
	}
	for name, tok := range map[string]string{"before": before, "during": during, "after": after} {
		if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// The JWKS publishes both keys, never a private member.
	w := httptest.NewRecorder()
	a.JWKSHandler().ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	body := w.Body.String()
	if !strings.Contains(body, k1.KID) || !strings.Contains(body, k2.KID) || strings.Contains(body, `"d"`) {
		t.Fatalf("JWKS %s", body)
	}
	// Retire the old key: its tokens fail, the new ones keep working.
	if err := set.Remove(k1.KID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, before, Requirement{}); !errors.Is(err, ErrInvalidKID) {
		t.Fatalf("retired key's token: %v", err)
	}
	if _, err := a.Verify(ctx, after, Requirement{}); err != nil {
		t.Fatal(err)
	}
}

func TestHMACSecretRotation(t *testing.T) {
	ctx := context.Background()
	set := keys.NewSet()
	old := must(set.AddSigner(must(keys.NewHMACKey("HS256", "2025", []byte(testSecret)))))
	a := mustNew(t, Config{Keys: KeyConfig{Set: set}})
	tokOld := must(a.CreateAccessToken("alice"))
	if _, err := set.AddSigner(must(keys.NewHMACKey("HS256", "2026", []byte(strings.Repeat("n", 32))))); err != nil {
		t.Fatal(err)
	}
	tokNew := must(a.CreateAccessToken("alice"))
	if decodePart(t, tokNew, 0)["kid"] != "2026" {
		t.Fatal("new secret does not sign")
	}
	for _, tok := range []string{tokOld, tokNew} {
		if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
			t.Fatal(err)
		}
	}
	// A token claiming the old kid but signed with nothing we hold.
	forged := signHS256(strings.Repeat("x", 32), `{"alg":"HS256","kid":"2025"}`, `{"sub":"a","exp":9999999999,"type":"access"}`)
	if _, err := a.Verify(ctx, forged, Requirement{}); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("forged: %v", err)
	}
	if err := set.Remove(old.KID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, tokOld, Requirement{}); err == nil {
		t.Fatal("retired secret still verifies")
	}
	// HMAC keys are never published.
	w := httptest.NewRecorder()
	a.JWKSHandler().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if strings.TrimSpace(w.Body.String()) != `{"keys":[]}` {
		t.Fatalf("JWKS under HMAC: %s", w.Body)
	}
}

func TestPublicKeyAndJWKS(t *testing.T) {
	k := keyFor("RS256")
	a := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, k), Algorithm: "RS256"}})
	pemText, thumb, err := a.PublicKey()
	if err != nil || !strings.Contains(pemText, "PUBLIC KEY") {
		t.Fatalf("Keys.PublicKey: %v %q", err, pemText)
	}
	tok := must(a.CreateAccessToken("alice"))
	if decodePart(t, tok, 0)["kid"] != thumb {
		t.Fatal("token kid is not the published thumbprint")
	}
	w := httptest.NewRecorder()
	a.JWKSHandler().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	jwks, skipped, err := keys.ParseJWKS(w.Body.Bytes(), 10)
	if err != nil || len(skipped) != 0 || len(jwks) != 1 || jwks[0].KID != thumb || jwks[0].Alg != "RS256" {
		t.Fatalf("JWKS: %v %v %+v", err, skipped, jwks)
	}
	if w.Header().Get("Cache-Control") == "" || w.Header().Get("ETag") == "" {
		t.Fatal("JWKS without caching headers")
	}
	h := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	if _, _, err := h.PublicKey(); err == nil {
		t.Fatal("HMAC instance returned a public key")
	}
}
