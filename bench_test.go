package authjwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

const benchSecret = "0123456789abcdef0123456789abcdef"

func benchAuth(b *testing.B) *Auth {
	a, err := New(Config{Keys: KeyConfig{SecretKey: benchSecret}, Claims: ClaimsConfig{EncodeIssuer: "https://issuer.example", DecodeIssuer: "https://issuer.example", DecodeAudience: []string{"api"}}})
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkVerifyHS256 measures the hot path: verify an HS256 access token
// with full validation into the library's claims.
func BenchmarkVerifyHS256(b *testing.B) {
	a := benchAuth(b)
	tok, err := a.CreateAccessToken("alice", WithFresh(true), WithAudience("api"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		t, err := a.Verify(ctx, tok, Requirement{Fresh: true})
		if err != nil || t.Subject() != "alice" {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignHS256 measures creating an access token.
func BenchmarkSignHS256(b *testing.B) {
	a := benchAuth(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.CreateAccessToken("alice", WithFresh(true)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddlewareHS256 measures a request through Required.
func BenchmarkMiddlewareHS256(b *testing.B) {
	a := benchAuth(b)
	tok, _ := a.CreateAccessToken("alice", WithAudience("api"))
	h := a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkVerifyES256Cached measures re-verifying the same ES256 token
// with the verification cache on.
func BenchmarkVerifyES256Cached(b *testing.B) {
	a, err := New(Config{Keys: KeyConfig{PrivateKey: privPEM(b, keyFor("ES256")), Algorithm: "ES256"}, VerifyCacheSize: 1024})
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := a.CreateAccessToken("alice")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddlewareBaseline is the same request through a handler with no
// authentication, for the middleware's added cost.
func BenchmarkMiddlewareBaseline(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer x")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

// BenchmarkVerifyHS256Denylist measures verification with the in-memory
// revocation store checked.
func BenchmarkVerifyHS256Denylist(b *testing.B) {
	store := revoke.NewMemory()
	defer store.Close()
	a, err := New(Config{Keys: KeyConfig{SecretKey: benchSecret}, Revocation: RevocationConfig{Enabled: true, Store: store}})
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := a.CreateAccessToken("alice")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyHS256Replica measures verification checked against a
// revocation replica (Revocation.MaxStaleness) holding 100,000 entries,
// beside BenchmarkVerifyHS256Denylist (the memory store).
func BenchmarkVerifyHS256Replica(b *testing.B) {
	st := newLogStore(time.Now)
	defer st.Close()
	ctx := context.Background()
	for i := range 100_000 {
		if err := st.RevokeToken(ctx, fmt.Sprintf("0193aaaa-%04x-7000-8000-%012x", i&0xffff, i), time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	a, err := New(Config{Keys: KeyConfig{SecretKey: benchSecret}, Revocation: RevocationConfig{Store: st, MaxStaleness: time.Minute}})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	tok, _ := a.CreateAccessToken("alice")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddlewareDPoP measures a DPoP-protected request through
// Required, to compare with BenchmarkMiddlewareHS256: the same HS256
// access token, bound (cnf.jkt), under the DPoP scheme with a new ES256
// proof per request. The extra cost is the proof: its parse, one ES256
// verification, the jwk's parse and thumbprint, and the replay mark (the
// process-local memory here). Proofs are signed before the timer starts.
func BenchmarkMiddlewareDPoP(b *testing.B) {
	a := benchAuth(b)
	defer a.Close()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	jkt, _ := keys.Thumbprint(&k.PublicKey)
	tok, err := a.CreateAccessToken("alice", WithAudience("api"), WithDPoP(jkt))
	if err != nil {
		b.Fatal(err)
	}
	vk, _ := keys.NewVerifyKey("ES256", &k.PublicKey)
	j, _ := keys.PublicJWK(vk)
	j.Kid, j.Use, j.Alg = "", "", ""
	jwk, _ := json.Marshal(j)
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"dpop+jwt","alg":"ES256","jwk":` + string(jwk) + `}`))
	sum := sha256.Sum256([]byte(tok))
	ath := base64.RawURLEncoding.EncodeToString(sum[:])
	iat := time.Now().Unix()
	proofs := make([]string, b.N)
	for i := range proofs {
		payload := fmt.Sprintf(`{"jti":"bench-%d","htm":"GET","htu":"http://example.com/","iat":%d,"ath":"%s"}`, i, iat, ath)
		input := hdr + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
		sig, err := jws.Sign(jws.ES256, k, input)
		if err != nil {
			b.Fatal(err)
		}
		proofs[i] = input + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	h := a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "DPoP "+tok)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r.Header["Dpop"] = proofs[i : i+1]
		w.Code = 0
		h.ServeHTTP(w, r)
		if w.Code != 0 && w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkES256Signature is the floor of BenchmarkMiddlewareDPoP's extra
// cost: one ES256 signature verification (crypto/ecdsa, SHA-256 of a
// proof-sized input, the r||s form a JWS carries) and nothing else.
func BenchmarkES256Signature(b *testing.B) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	input := make([]byte, 400) // a DPoP proof's signing input is about this long
	for i := range input {
		input[i] = 'a' + byte(i%26)
	}
	sig, err := jws.Sign(jws.ES256, k, string(input))
	if err != nil {
		b.Fatal(err)
	}
	var r, s big.Int
	r.SetBytes(sig[:32])
	s.SetBytes(sig[32:])
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h := sha256.Sum256(input)
		if !ecdsa.Verify(&k.PublicKey, h[:], &r, &s) {
			b.Fatal("signature refused")
		}
	}
}
