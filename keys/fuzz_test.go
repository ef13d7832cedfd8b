package keys

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"testing"
)

func jwkSeeds(f *testing.F) {
	for _, name := range []string{"rfc7638_rsa.json", "rfc8037_ed25519.json", "rfc7517_b_x5c.json"} {
		f.Add(readTestdata(f, name))
	}
	k := testKeys()
	for _, s := range []struct {
		alg string
		s   crypto.Signer
	}{{"ES256", k.p256}, {"ES384", k.p384}, {"ES512", k.p521}} {
		key, _ := NewSigningKey(s.alg, s.s)
		j, _ := PublicJWK(key)
		b, _ := json.Marshal(j)
		f.Add(b)
	}
	f.Add([]byte(`{"kty":"oct","k":"AAAA"}`))
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"AA","y":"AA","x":"BB"}`))
	for _, b := range akpSeeds() {
		f.Add(b)
	}
	f.Add([]byte(`{"kty":"AKP","alg":"ML-DSA-44","pub":"AAAA"}`))
}

// akpSeeds returns the public AKP JWKs of new ML-DSA keys, one per
// parameter set, in a build with crypto/mldsa (none otherwise).
func akpSeeds() [][]byte {
	var out [][]byte
	for _, alg := range []string{MLDSA44, MLDSA65, MLDSA87} {
		s, err := GenerateMLDSAKey(alg)
		if err != nil {
			continue // a build without crypto/mldsa
		}
		key, _ := NewSigningKey(alg, s)
		j, _ := PublicJWK(key)
		b, _ := json.Marshal(j)
		out = append(out, b)
	}
	return out
}

// FuzzParsePrivateAKP checks that ParsePrivateAKP never panics, and that
// every key it accepts signs with the public key its JWK names and
// marshals back to a JWK that parses to the same key.
func FuzzParsePrivateAKP(f *testing.F) {
	for _, alg := range []string{MLDSA44, MLDSA87} {
		if s, err := NewMLDSAPrivateKey(alg, make([]byte, 32)); err == nil {
			k, _ := NewSigningKey(alg, s)
			b, _ := MarshalPrivateAKP(k)
			f.Add(b)
		}
	}
	f.Add([]byte(`{"kty":"AKP","alg":"ML-DSA-44","pub":"AAAA","priv":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`))
	f.Add([]byte(`{"kty":"EC","priv":"AA"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePrivateAKP(data)
		if err != nil {
			return
		}
		if k.Signer == nil || CheckKey(k.Alg, k.Signer) != nil || k.Validate() != nil {
			t.Fatalf("accepted key is inconsistent: %+v", k)
		}
		b, err := MarshalPrivateAKP(k)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := ParsePrivateAKP(b)
		if err != nil || !k2.Public.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzParseJWK checks that ParseJWK never panics, and that every key it
// accepts fits its alg, survives a PublicJWK round trip, and has a thumbprint.
func FuzzParseJWK(f *testing.F) {
	jwkSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseJWK(data)
		if err != nil {
			return
		}
		if k.Public == nil || k.Secret != nil || k.Signer != nil {
			t.Fatalf("accepted key has wrong material: %+v", k)
		}
		if k.Alg != "" && CheckKey(k.Alg, k.Public) != nil {
			t.Fatalf("accepted alg %s does not fit", k.Alg)
		}
		if _, err := Thumbprint(k.Public); err != nil {
			t.Fatal(err)
		}
		j, err := PublicJWK(k)
		if err != nil {
			t.Fatalf("PublicJWK of accepted key: %v", err)
		}
		b, _ := json.Marshal(j)
		k2, err := ParseJWK(b)
		if err != nil || !k2.Public.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzParseJWKS checks that ParseJWKS never panics and keeps its limits.
func FuzzParseJWKS(f *testing.F) {
	f.Add(readTestdata(f, "rfc7517_a1_public.json"), 0)
	f.Add([]byte(`{"keys":[]}`), 1)
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"},{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"}]}`), 5)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		keys, skipped, err := ParseJWKS(data, max)
		if err != nil {
			if keys != nil || skipped != nil {
				t.Fatal("error with results")
			}
			return
		}
		limit := max
		if limit <= 0 {
			limit = DefaultMaxKeys
		}
		if len(keys)+len(skipped) > limit {
			t.Fatalf("%d keys + %d skipped over limit %d", len(keys), len(skipped), limit)
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if k.KID != "" && seen[k.KID] {
				t.Fatalf("duplicate kid %q kept", k.KID)
			}
			seen[k.KID] = true
			if k.Public == nil || k.Secret != nil {
				t.Fatal("bad key material")
			}
		}
	})
}

// FuzzParsePrivateKeyPEM checks that the PEM parsers never panic and that
// a parsed private key's public half parses the same through
// ParsePublicKeyPEM.
func FuzzParsePrivateKeyPEM(f *testing.F) {
	k := testKeys()
	for _, s := range []crypto.Signer{k.rsa, k.p256, k.ed} {
		der, _ := x509.MarshalPKCS8PrivateKey(s)
		f.Add(pemOf("PRIVATE KEY", der, nil))
	}
	f.Add(pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.rsa), nil))
	sec1, _ := x509.MarshalECPrivateKey(k.p384)
	f.Add(append(pemOf("EC PARAMETERS", []byte{6, 5, 43, 129, 4, 0, 34}, nil), pemOf("EC PRIVATE KEY", sec1, nil)...))
	f.Add(pemOf("ENCRYPTED PRIVATE KEY", []byte{1}, nil))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\njunk"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParsePrivateKeyPEM(data)
		pub, perr := ParsePublicKeyPEM(data)
		if err != nil {
			return
		}
		if perr != nil {
			t.Fatalf("private key parsed but public parse failed: %v", perr)
		}
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
			t.Fatal("public key differs")
		}
	})
}
