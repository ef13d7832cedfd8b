package authjwttest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
)

// TestDPoPKey: the helpers make proofs the library accepts, for every
// key type, and their options change exactly what they say.
func TestDPoPKey(t *testing.T) {
	a, clock := authjwttest.New(t, authjwt.Config{})
	h := a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(authjwt.FromContext(r.Context()).DPoPThumbprint()))
	}))
	for _, alg := range []string{"", "ES384", "ES512", "RS256", "PS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			key := authjwttest.NewDPoPKey(t, alg)
			key.Now = clock.Now
			if len(key.Thumbprint()) != 43 {
				t.Fatalf("thumbprint %q", key.Thumbprint())
			}
			if _, ok := key.PublicJWK()["d"]; ok {
				t.Fatal("the proof's jwk holds the private key")
			}
			tok := authjwttest.AccessToken(t, a, "alice", authjwt.WithDPoP(key.Thumbprint()))
			r := httptest.NewRequest("GET", "https://api.example.com/x?y=1", nil)
			key.SetDPoP(t, r, tok)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 || w.Body.String() != key.Thumbprint() {
				t.Fatalf("SetDPoP: %d %s", w.Code, w.Body)
			}
		})
	}
	key := authjwttest.NewDPoPKey(t, "")
	if key.Key.Alg != "ES256" {
		t.Fatalf("default alg %q", key.Key.Alg)
	}
	proof := key.Proof(t, "POST", "https://a.example/t", authjwttest.ProofNonce("n1"), authjwttest.ProofJTI("j1"),
		authjwttest.ProofClaim("extra", 1), authjwttest.ProofClaim("htm", nil), authjwttest.ProofHeader("kid", "k"))
	parts := strings.Split(proof, ".")
	var hdr, claims map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(parts[0])
	json.Unmarshal(b, &hdr)
	b, _ = base64.RawURLEncoding.DecodeString(parts[1])
	json.Unmarshal(b, &claims)
	if hdr["typ"] != "dpop+jwt" || hdr["alg"] != "ES256" || hdr["kid"] != "k" || hdr["jwk"] == nil {
		t.Fatalf("header %v", hdr)
	}
	if claims["nonce"] != "n1" || claims["jti"] != "j1" || claims["extra"] != float64(1) || claims["htu"] != "https://a.example/t" {
		t.Fatalf("claims %v", claims)
	}
	if _, ok := claims["htm"]; ok {
		t.Fatalf("ProofClaim(htm, nil) left htm: %v", claims)
	}
	if _, ok := claims["ath"]; ok {
		t.Fatal("a proof without ProofAccessToken carries ath")
	}
	if got := authjwttest.RequestURL(httptest.NewRequest("GET", "http://Example.COM:8080/a/b?q=1#f", nil)); got != "http://example.com:8080/a/b" {
		t.Fatalf("RequestURL = %q", got)
	}
}
