//go:build go1.27

package authjwt

import (
	"testing"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
)

// TestWycheproofMLDSA runs Wycheproof's ML-DSA verification files
// (testdata/vectors/wycheproof/mldsa_*_verify_test.json) through our
// verifier's signature layer: the public key as an AKP JWK parsed by
// package keys (a key Wycheproof marks invalid must be refused there or
// by the signature check), then jws.VerifyPublic under the file's
// algorithm. JOSE signs with the empty context (RFC 9964): a vector made
// with another context must not verify here, whatever its result.
func TestWycheproofMLDSA(t *testing.T) {
	type vec struct {
		TcID    int      `json:"tcId"`
		Comment string   `json:"comment"`
		Flags   []string `json:"flags"`
		Msg     string   `json:"msg"`
		Ctx     *string  `json:"ctx"`
		Sig     string   `json:"sig"`
		Result  string   `json:"result"`
	}
	var file struct {
		Algorithm  string `json:"algorithm"`
		TestGroups []struct {
			PublicKey string `json:"publicKey"`
			Tests     []vec  `json:"tests"`
		} `json:"testGroups"`
	}
	for _, f := range []string{"mldsa_44_verify_test.json", "mldsa_65_verify_test.json", "mldsa_87_verify_test.json"} {
		t.Run(f, func(t *testing.T) {
			readVector(t, "wycheproof/"+f, &file)
			alg, ok := jws.ParseAlg(file.Algorithm)
			if !ok || !alg.IsMLDSA() {
				t.Fatalf("algorithm %q", file.Algorithm)
			}
			var c tally
			otherCtx := 0
			for _, g := range file.TestGroups {
				jwk := `{"kty":"AKP","alg":"` + file.Algorithm + `","pub":"` + b64url(unhex(t, g.PublicKey)) + `"}`
				k, kerr := keys.ParseJWK([]byte(jwk))
				for _, v := range g.Tests {
					err := kerr
					if err == nil {
						err = jws.VerifyPublic(alg, k.Public, string(unhex(t, v.Msg)), unhex(t, v.Sig))
					}
					if v.Ctx != nil && *v.Ctx != "" {
						otherCtx++
						if err == nil {
							t.Errorf("%s #%d (%s): signature with context %q verified under the empty context", f, v.TcID, v.Comment, *v.Ctx)
						}
						continue
					}
					c.record(t, f, v.TcID, v.Comment, v.Result, err)
				}
			}
			c.check(t, f)
			t.Logf("%s: %d vectors with a non-empty context refused", f, otherCtx)
		})
	}
}

func b64url(b []byte) string { return string(jws.AppendEncode(nil, b)) }
