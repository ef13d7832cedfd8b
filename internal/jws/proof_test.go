package jws

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func b64s(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// signedProof returns header.payload.signature signed with k under ES256.
func signedProof(t testing.TB, k *ecdsa.PrivateKey, header, payload string) string {
	input := b64s(header) + "." + b64s(payload)
	sig, err := Sign(ES256, k, input)
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

const (
	proofHeader  = `{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}}`
	proofPayload = `{"jti":"e1j3V_bKic8-LAEB","htm":"GET","htu":"https://resource.example.org/protectedresource","iat":1562262618,"ath":"fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo","nonce":"n"}`
)

func TestParseProof(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p, err := ParseProof(signedProof(t, k, proofHeader, proofPayload))
	if err != nil {
		t.Fatal(err)
	}
	if p.Alg != ES256 || p.JTI != "e1j3V_bKic8-LAEB" || p.HTM != "GET" || p.HTU != "https://resource.example.org/protectedresource" ||
		!p.HasIAT || p.IAT != 1562262618 || p.ATH != "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo" || p.Nonce != "n" {
		t.Fatalf("parsed %+v", p)
	}
	if !strings.HasPrefix(string(p.JWK), `{"kty":"EC"`) || !strings.HasSuffix(string(p.JWK), `}`) {
		t.Fatalf("jwk %s", p.JWK)
	}
	if err := p.Verify(&k.PublicKey); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err := p.Verify(&other.PublicKey); err != ErrSignature {
		t.Fatalf("Verify with another key: %v", err)
	}

	refused := []struct {
		name, header, payload string
		want                  error
	}{
		{"typ JWT", strings.Replace(proofHeader, "dpop+jwt", "JWT", 1), proofPayload, ErrProofTyp},
		{"no typ", strings.Replace(proofHeader, `"typ":"dpop+jwt",`, "", 1), proofPayload, ErrProofTyp},
		{"no jwk", `{"typ":"dpop+jwt","alg":"ES256"}`, proofPayload, ErrProofJWK},
		{"jwk a string", `{"typ":"dpop+jwt","alg":"ES256","jwk":"k"}`, proofPayload, ErrProofJWK},
		{"alg none", strings.Replace(proofHeader, `"ES256"`, `"none"`, 1), proofPayload, ErrAlgKnown},
		{"no alg", strings.Replace(proofHeader, `"alg":"ES256",`, "", 1), proofPayload, ErrNoAlg},
		{"crit", strings.Replace(proofHeader, `{"typ"`, `{"crit":["x"],"typ"`, 1), proofPayload, ErrCrit},
		{"duplicate typ", strings.Replace(proofHeader, `{"typ"`, `{"typ":"dpop+jwt","typ"`, 1), proofPayload, ErrDuplicate},
		{"duplicate htu", proofHeader, strings.Replace(proofPayload, `{"jti"`, `{"htu":"https://evil.example/","jti"`, 1), ErrDuplicate},
		{"iat a string", proofHeader, strings.Replace(proofPayload, `1562262618`, `"1562262618"`, 1), ErrClaimType},
		{"htm a number", proofHeader, strings.Replace(proofPayload, `"GET"`, `1`, 1), ErrClaimType},
		{"payload an array", proofHeader, `[]`, ErrNotObject},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseProof(signedProof(t, k, tc.header, tc.payload)); err != tc.want {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := ParseProof(b64s(proofHeader) + "." + b64s(proofPayload) + "."); err != ErrUnsigned {
		t.Fatalf("unsigned proof: %v", err)
	}
	if _, err := ParseProof(strings.Repeat("a", MaxProofSize+1)); err != ErrTooLarge {
		t.Fatalf("large proof: %v", err)
	}
}

// FuzzParseProof: the proof parser never panics, and whatever it accepts
// encoding/json reads the same way (the header's typ and jwk, the
// payload's string members and iat).
func FuzzParseProof(f *testing.F) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.Add(signedProof(f, k, proofHeader, proofPayload))
	f.Add(signedProof(f, k, `{"typ":"application/DPoP+JWT","alg":"ES256","jwk":{"kty":"EC"},"kid":"x"}`, `{"iat":1.5,"x":[1,{"a":null}],"htm":"P\u004fST"}`))
	f.Add(signedProof(f, k, proofHeader, `{}`))
	f.Add("e30.e30.e30")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProof(s)
		if err != nil {
			return
		}
		parts := strings.Split(s, ".")
		hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
		pay, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var h map[string]json.RawMessage
		if err := json.Unmarshal(hdr, &h); err != nil {
			t.Fatalf("accepted a header encoding/json refuses: %q: %v", hdr, err)
		}
		var typ string
		if json.Unmarshal(h["typ"], &typ) != nil || !strings.EqualFold(strings.TrimPrefix(strings.ToLower(typ), "application/"), "dpop+jwt") {
			t.Fatalf("accepted typ %s", h["typ"])
		}
		var jwk map[string]json.RawMessage
		if err := json.Unmarshal(p.JWK, &jwk); err != nil {
			t.Fatalf("jwk %q is not an object: %v", p.JWK, err)
		}
		var c map[string]json.RawMessage
		if err := json.Unmarshal(pay, &c); err != nil {
			t.Fatalf("accepted a payload encoding/json refuses: %q: %v", pay, err)
		}
		for name, got := range map[string]string{"jti": p.JTI, "htm": p.HTM, "htu": p.HTU, "ath": p.ATH, "nonce": p.Nonce} {
			raw, ok := c[name]
			if !ok {
				if got != "" {
					t.Fatalf("%s: got %q, absent for encoding/json", name, got)
				}
				continue
			}
			var want string
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("%s: accepted %s, not a string for encoding/json", name, raw)
			}
			if want != got && utf8.ValidString(got) {
				t.Fatalf("%s: got %q, encoding/json %q", name, got, want)
			}
		}
		raw, ok := c["iat"]
		if p.HasIAT != ok {
			t.Fatalf("iat present: got %v, encoding/json %v", p.HasIAT, ok)
		}
		if ok {
			var iat float64
			if err := json.Unmarshal(raw, &iat); err != nil || iat < 0 || (iat < 1e15 && int64(iat) != p.IAT) {
				t.Fatalf("iat: got %d, encoding/json %s", p.IAT, raw)
			}
		}
	})
}
