//go:build go1.27

package keys

import (
	"bytes"
	"crypto/mldsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"strings"
	"testing"
)

var mldsaAlgs = []string{MLDSA44, MLDSA65, MLDSA87}

// TestAKPRoundTrip: an ML-DSA key is published as an AKP JWK with its
// alg (RFC 9964), parses back to the same key bound to the same alg, and
// its kid is the thumbprint over alg, kty and pub.
func TestAKPRoundTrip(t *testing.T) {
	for _, alg := range mldsaAlgs {
		t.Run(alg, func(t *testing.T) {
			priv, err := GenerateMLDSAKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			k, err := NewSigningKey(alg, priv)
			if err != nil {
				t.Fatal(err)
			}
			j, err := PublicJWK(k)
			if err != nil {
				t.Fatal(err)
			}
			raw := priv.Public().(*mldsa.PublicKey).Bytes()
			if j.Kty != "AKP" || j.Alg != alg || j.Pub != base64.RawURLEncoding.EncodeToString(raw) || j.X != "" || j.Crv != "" {
				t.Fatalf("JWK = %+v", j)
			}
			canon := `{"alg":"` + alg + `","kty":"AKP","pub":"` + j.Pub + `"}`
			sum := sha256.Sum256([]byte(canon))
			if want := base64.RawURLEncoding.EncodeToString(sum[:]); k.KID != want || j.Kid != want {
				t.Fatalf("kid %q, JWK kid %q, want the RFC 9964 thumbprint %q", k.KID, j.Kid, want)
			}
			b, _ := json.Marshal(j)
			back, err := ParseJWK(b)
			if err != nil {
				t.Fatal(err)
			}
			if back.Alg != alg || back.KID != k.KID || !priv.Public().(*mldsa.PublicKey).Equal(back.Public) {
				t.Fatalf("parsed back %+v", back)
			}
			// Bound to its parameter set: no other alg accepts it.
			for _, other := range append([]string{ES256, EdDSA, RS256}, mldsaAlgs...) {
				if got := back.Accepts(other); got != (other == alg) {
					t.Errorf("Accepts(%s) = %v", other, got)
				}
			}
		})
	}
}

// TestAKPRefused: the AKP JWKs RFC 9964 does not allow, or that do not
// hold what they claim, are refused with a reason.
func TestAKPRefused(t *testing.T) {
	priv44, _ := GenerateMLDSAKey(MLDSA44)
	pub44 := base64.RawURLEncoding.EncodeToString(priv44.Public().(*mldsa.PublicKey).Bytes())
	for _, c := range []struct{ name, jwk, want string }{
		{"no alg (RFC 9964 requires it)", `{"kty":"AKP","pub":"` + pub44 + `"}`, `lacks member "alg"`},
		{"alg of another parameter set", `{"kty":"AKP","alg":"ML-DSA-65","pub":"` + pub44 + `"}`, "not an ML-DSA-65 public key"},
		{"classical alg", `{"kty":"AKP","alg":"ES256","pub":"` + pub44 + `"}`, "not an ML-DSA algorithm"},
		{"no pub", `{"kty":"AKP","alg":"ML-DSA-44"}`, `lacks member "pub"`},
		{"short pub", `{"kty":"AKP","alg":"ML-DSA-44","pub":"` + pub44[:100] + `"}`, "not an ML-DSA-44 public key"},
		{"padded pub", `{"kty":"AKP","alg":"ML-DSA-44","pub":"` + pub44 + `="}`, "not unpadded base64url"},
		{"private seed", `{"kty":"AKP","alg":"ML-DSA-44","pub":"` + pub44 + `","priv":"AAAA"}`, `private or symmetric member "priv"`},
		{"use enc", `{"kty":"AKP","alg":"ML-DSA-44","use":"enc","pub":"` + pub44 + `"}`, `use is "enc"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseJWK([]byte(c.jwk))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseJWK: %v, want an error with %q", err, c.want)
			}
		})
	}
}

// TestMLDSAPEM: PKCS#8 and SPKI PEM as crypto/x509 writes them.
func TestMLDSAPEM(t *testing.T) {
	for _, alg := range mldsaAlgs {
		priv, _ := GenerateMLDSAKey(alg)
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if !priv.(*mldsa.PrivateKey).Equal(s) || CheckKey(alg, s) != nil {
			t.Fatalf("%s: parsed key differs or does not fit", alg)
		}
		pubPEM, err := MarshalPublicKeyPEM(priv)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ParsePublicKeyPEM(pubPEM)
		if err != nil {
			t.Fatal(err)
		}
		if !priv.Public().(*mldsa.PublicKey).Equal(pub) {
			t.Fatalf("%s: SPKI round trip", alg)
		}
		for _, other := range mldsaAlgs {
			if err := CheckKey(other, pub); (err == nil) != (other == alg) {
				t.Errorf("CheckKey(%s, %s key) = %v", other, alg, err)
			}
		}
		if err := CheckKey(ES256, pub); err == nil || !strings.Contains(err.Error(), "does not fit an "+alg+" key") {
			t.Errorf("CheckKey(ES256, %s key) = %v", alg, err)
		}
	}
}

// TestAKPPrivateFromSeedVectors: FIPS 204 key generation from a seed
// (Wycheproof's seed/public-key pairs): the private AKP form {alg, pub,
// priv} parses to the vector's public key, marshals back to the same
// members, and is refused when pub belongs to another seed.
func TestAKPPrivateFromSeedVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/wycheproof/mldsa_keygen_from_seed.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		TestGroups []struct {
			Algorithm, PrivateSeed, PublicKey string
			FirstTcID                         int `json:"firstTcId"`
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	enc := base64.RawURLEncoding.EncodeToString
	for i, g := range f.TestGroups {
		seed, _ := hex.DecodeString(g.PrivateSeed)
		pk, _ := hex.DecodeString(g.PublicKey)
		jwk := `{"kty":"AKP","alg":"` + g.Algorithm + `","pub":"` + enc(pk) + `","priv":"` + enc(seed) + `"}`
		k, err := ParsePrivateAKP([]byte(jwk))
		if err != nil {
			t.Fatalf("%s group of tc %d: %v", g.Algorithm, g.FirstTcID, err)
		}
		if !bytes.Equal(k.Public.(*mldsa.PublicKey).Bytes(), pk) || k.Alg != g.Algorithm {
			t.Fatalf("%s group of tc %d: wrong public key", g.Algorithm, g.FirstTcID)
		}
		out, err := MarshalPrivateAKP(k)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		json.Unmarshal(out, &m)
		if m["priv"] != enc(seed) || m["pub"] != enc(pk) || m["alg"] != g.Algorithm || m["kty"] != "AKP" || m["kid"] != k.KID {
			t.Fatalf("MarshalPrivateAKP = %s", out)
		}
		if j := i + 1; j < len(f.TestGroups) && f.TestGroups[j].Algorithm == g.Algorithm && f.TestGroups[j].PublicKey != g.PublicKey {
			other, _ := hex.DecodeString(f.TestGroups[j].PublicKey)
			bad := `{"kty":"AKP","alg":"` + g.Algorithm + `","pub":"` + enc(other) + `","priv":"` + enc(seed) + `"}`
			if _, err := ParsePrivateAKP([]byte(bad)); err == nil || !strings.Contains(err.Error(), "not the public key of its priv") {
				t.Fatalf("mismatched pub: %v", err)
			}
		}
		seen[g.Algorithm]++
	}
	for _, alg := range mldsaAlgs {
		if seen[alg] < 10 {
			t.Fatalf("%s: only %d seed vectors", alg, seen[alg])
		}
	}
	t.Logf("seed vectors per parameter set: %v", seen)
}

// TestCheckSecretMLDSA: an ML-DSA public key given as an HMAC secret
// (its AKP JWK, its pub, raw or base64url, its SPKI, its thumbprint) is
// refused, as every other public key is (algorithm confusion).
func TestCheckSecretMLDSA(t *testing.T) {
	priv, _ := GenerateMLDSAKey(MLDSA44)
	pub := priv.Public()
	k, _ := NewVerifyKey(MLDSA44, pub)
	j, _ := PublicJWK(k)
	jb, _ := json.Marshal(j)
	raw := pub.(*mldsa.PublicKey).Bytes()
	der, _ := x509.MarshalPKIXPublicKey(pub)
	for name, s := range map[string][]byte{
		"AKP JWK":        jb,
		"pub, base64url": []byte(j.Pub),
		"pub, raw":       raw,
		"SPKI, base64":   []byte(base64.StdEncoding.EncodeToString(der)),
		"thumbprint":     []byte(k.KID),
	} {
		if err := CheckSecret(s, pub); err == nil {
			t.Errorf("%s accepted as an HMAC secret", name)
		}
	}
}

// TestJWKSMixedRotation: a provider's JWKS during a rotation from ES256 to
// ML-DSA holds both keys; both parse, each bound to its alg.
func TestJWKSMixedRotation(t *testing.T) {
	es, err := NewSigningKey(ES256, testKeys().p256)
	if err != nil {
		t.Fatal(err)
	}
	pq, _ := GenerateMLDSAKey(MLDSA65)
	kpq, err := NewSigningKey(MLDSA65, pq)
	if err != nil {
		t.Fatal(err)
	}
	set, err := PublicJWKS([]Key{es, kpq})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(set)
	got, skipped, err := ParseJWKS(b, 0)
	if err != nil || len(skipped) != 0 || len(got) != 2 {
		t.Fatalf("ParseJWKS: %v, %v, %d keys", err, skipped, len(got))
	}
	if got[0].Alg != ES256 || got[1].Alg != MLDSA65 || got[1].KID != kpq.KID {
		t.Fatalf("keys %+v", got)
	}
}
