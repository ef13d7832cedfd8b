//go:build go1.27

package interop

// ML-DSA against lestrrat-go/jwx v4 (a second implementation of RFC 9964
// in Go, over the same crypto/mldsa but with its own JOSE and JWK code):
// our served AKP JWK parses there and its thumbprint equals our kid, our
// tokens verify there with it, and its tokens verify here.

import (
	"context"
	"crypto"
	"crypto/mldsa"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v4/jwa"
	jwkv4 "github.com/lestrrat-go/jwx/v4/jwk"
	jwsv4 "github.com/lestrrat-go/jwx/v4/jws"
	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/keys"
)

func TestMLDSAJWXv4(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		alg    string
		jalg   jwa.SignatureAlgorithm
		params mldsa.Parameters
	}{
		{keys.MLDSA44, jwa.MLDSA44(), mldsa.MLDSA44()},
		{keys.MLDSA65, jwa.MLDSA65(), mldsa.MLDSA65()},
		{keys.MLDSA87, jwa.MLDSA87(), mldsa.MLDSA87()},
	} {
		t.Run(c.alg, func(t *testing.T) {
			priv, err := keys.GenerateMLDSAKey(c.alg)
			if err != nil {
				t.Fatal(err)
			}
			a, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{Signer: priv, Algorithm: c.alg}})
			if err != nil {
				t.Fatal(err)
			}
			// Our JWKS, read by jwx.
			rec := httptest.NewRecorder()
			a.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
			set, err := jwkv4.Parse(rec.Body.Bytes())
			if err != nil {
				t.Fatalf("jwx parses our JWKS: %v", err)
			}
			k, ok := set.Key(0)
			if !ok || k.KeyType() != jwa.AKP() {
				t.Fatalf("jwx: key %v", k)
			}
			tp, err := k.Thumbprint(crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			kid, _ := k.KeyID()
			if b64.EncodeToString(tp) != kid {
				t.Errorf("jwx thumbprint %s, our kid %s", b64.EncodeToString(tp), kid)
			}
			tok, err := a.CreateAccessToken("go")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jwsv4.Verify([]byte(tok), jwsv4.WithKey(c.jalg, k)); err != nil {
				t.Fatalf("jwx refuses our token: %v", err)
			}
			if _, err := jwsv4.Verify([]byte(flipLastSigChar(tok)), jwsv4.WithKey(c.jalg, k)); err == nil {
				t.Fatal("jwx accepts a changed signature")
			}
			// jwx's token, verified here.
			theirs, err := mldsa.GenerateKey(c.params)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().Unix()
			payload := []byte(`{"sub":"jwx","iat":` + itoa(now) + `,"nbf":` + itoa(now) + `,"exp":` + itoa(now+300) + `,"jti":"jwx-1","type":"access","fresh":false}`)
			hdrs := jwsv4.NewHeaders()
			hdrs.Set("typ", "JWT")
			signed, err := jwsv4.Sign(payload, jwsv4.WithKey(c.jalg, theirs, jwsv4.WithProtectedHeaders(hdrs)))
			if err != nil {
				t.Fatal(err)
			}
			pubPEM, err := keys.MarshalPublicKeyPEM(theirs.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			v, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{PublicKey: string(pubPEM), Algorithm: c.alg}})
			if err != nil {
				t.Fatal(err)
			}
			tk, err := v.Verify(ctx, string(signed), authjwt.Requirement{})
			if err != nil || tk.Subject() != "jwx" {
				t.Fatalf("jwx's token refused: %v", err)
			}
		})
	}
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// flipLastSigChar changes one base64url character in the signature.
func flipLastSigChar(tok string) string {
	b := []byte(tok)
	i := len(b) - 10
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
