package authjwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
)

// signProof returns a DPoP proof of header and payload signed by k.
func signProof(tb testing.TB, k *ecdsa.PrivateKey, header, payload string) string {
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	sig, err := jws.Sign(jws.ES256, k, input)
	if err != nil {
		tb.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// FuzzDPoPHeader feeds arbitrary DPoP header values, beside a bound
// token, through the middleware: nothing panics, every refusal is a 401
// with a DPoP challenge, and only a proof signed by the token's key is
// accepted (the seed proof, once: its replay is refused).
func FuzzDPoPHeader(f *testing.F) {
	clk := newClock()
	a := mustNew(f, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now})
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jkt, _ := keys.Thumbprint(&k.PublicKey)
	tok, err := a.CreateAccessToken("alice", WithDPoP(jkt))
	if err != nil {
		f.Fatal(err)
	}
	vk, _ := keys.NewVerifyKey("ES256", &k.PublicKey)
	j, _ := keys.PublicJWK(vk)
	j.Kid, j.Use, j.Alg = "", "", ""
	jwk, _ := json.Marshal(j)
	hdr := `{"typ":"dpop+jwt","alg":"ES256","jwk":` + string(jwk) + `}`
	sum := sha256.Sum256([]byte(tok))
	ath := base64.RawURLEncoding.EncodeToString(sum[:])
	valid := map[string]bool{}
	for i, htu := range []string{"http://example.com/r", "HTTP://Example.COM:80/r"} {
		p := signProof(f, k, hdr, fmt.Sprintf(`{"jti":"seed-%d","htm":"GET","htu":%q,"iat":%d,"ath":%q}`, i, htu, clk.Now().Unix(), ath))
		valid[p] = true
		f.Add(p)
	}
	f.Add(signProof(f, k, hdr, `{"jti":"x","htm":"GET","htu":"http://example.com/r?q","iat":1,"ath":"`+ath+`"}`))
	f.Add("e30.e30.e30")
	h := a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	f.Fuzz(func(t *testing.T, proof string) {
		r := httptest.NewRequest("GET", "http://example.com/r", nil)
		r.Header.Set("Authorization", "DPoP "+tok)
		r.Header["Dpop"] = []string{proof}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK:
			if !valid[proof] {
				t.Fatalf("accepted a proof that is not one signed here: %q", proof)
			}
			delete(valid, proof) // a replay must now be refused
		case http.StatusUnauthorized:
			if ch := w.Header().Get("WWW-Authenticate"); len(ch) < 5 || ch[:5] != "DPoP " {
				t.Fatalf("401 without a DPoP challenge: %q", ch)
			}
		default:
			t.Fatalf("status %d for proof %q: %s", w.Code, proof, w.Body)
		}
	})
}
