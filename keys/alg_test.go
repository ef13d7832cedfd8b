package keys

import (
	"crypto/ed25519"
	"slices"
	"strings"
	"testing"
)

func TestKnownAlgorithm(t *testing.T) {
	for _, tc := range []struct {
		alg        string
		known, mac bool
	}{
		{"HS256", true, true}, {"HS384", true, true}, {"HS512", true, true},
		{"RS256", true, false}, {"RS384", true, false}, {"RS512", true, false},
		{"PS256", true, false}, {"PS384", true, false}, {"PS512", true, false},
		{"ES256", true, false}, {"ES384", true, false}, {"ES512", true, false},
		{"EdDSA", true, false}, {"Ed25519", true, false},
		{"none", false, false}, {"None", false, false}, {"", false, false},
		{"hs256", false, false}, {"ES256K", false, false}, {"Ed448", false, false}, {"RSA1_5", false, false},
	} {
		if got := KnownAlgorithm(tc.alg); got != tc.known {
			t.Errorf("KnownAlgorithm(%q) = %v, want %v", tc.alg, got, tc.known)
		}
		if got := IsHMAC(tc.alg); got != tc.mac {
			t.Errorf("IsHMAC(%q) = %v, want %v", tc.alg, got, tc.mac)
		}
	}
	if !SameAlgorithm("EdDSA", "Ed25519") || SameAlgorithm("ES256", "ES384") || SameAlgorithm("none", "none") {
		t.Error("SameAlgorithm wrong")
	}
}

func TestCheckKey(t *testing.T) {
	k := testKeys()
	secret32 := make([]byte, 32)
	for _, tc := range []struct {
		name    string
		alg     string
		key     any
		wantErr string // "" = fits
	}{
		{"hs256 32 bytes", "HS256", secret32, ""},
		{"hs512 64 bytes", "HS512", make([]byte, 64), ""},
		{"hs384 short", "HS384", secret32, "at least 48"},
		{"hs256 empty", "HS256", []byte{}, "empty"},
		{"hs256 string", "HS256", "secret", "needs a []byte"},
		{"hs256 rsa", "HS256", &k.rsa.PublicKey, "needs a []byte"},
		{"rs256 pub", "RS256", &k.rsa.PublicKey, ""},
		{"ps512 priv", "PS512", k.rsa, ""},
		{"rs256 signer", "RS256", signerWrapper{k.rsa}, ""},
		{"rs256 1024", "RS256", &k.rsa1024.PublicKey, "1024 bits; at least 2048"},
		{"rs256 secret", "RS256", secret32, "asymmetric"},
		{"rs256 ec", "RS256", &k.p256.PublicKey, "does not fit an ECDSA key"},
		{"es256 p256", "ES256", &k.p256.PublicKey, ""},
		{"es384 p384 priv", "ES384", k.p384, ""},
		{"es512 p521 signer", "ES512", signerWrapper{k.p521}, ""},
		{"es256 p384", "ES256", &k.p384.PublicKey, "needs a P-256 key, got curve P-384"},
		{"es512 p256", "ES512", k.p256, "needs a P-521 key"},
		{"es256 rsa", "ES256", k.rsa, "does not fit an RSA key"},
		{"eddsa pub", "EdDSA", k.ed.Public(), ""},
		{"ed25519 alias priv", "Ed25519", k.ed, ""},
		{"eddsa ec", "EdDSA", k.p256, "does not fit an ECDSA key"},
		{"eddsa short", "EdDSA", k.ed.Public().(ed25519.PublicKey)[:31], "32"},
		{"eddsa bytes", "EdDSA", []byte(k.ed.Public().(ed25519.PublicKey)), "asymmetric"},
		{"none", "none", secret32, "not allowed"},
		{"unknown", "XX1", secret32, "unknown algorithm"},
		{"nil", "RS256", nil, "got nil"},
		{"Key value", "RS256", Key{Public: &k.rsa.PublicKey}, ""},
		{"Key hmac", "HS256", Key{Secret: secret32}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckKey(tc.alg, tc.key)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckKey: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "authjwt: ") {
				t.Fatalf("CheckKey error = %v, want authjwt: ...%q", err, tc.wantErr)
			}
		})
	}
}

// TestAlgorithmTable: the names this package exports are the codec's
// algorithm table, in its order, and each is described by it.
func TestAlgorithmTable(t *testing.T) {
	want := []string{HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519}
	if PostQuantumAvailable() {
		want = append(want, MLDSA44, MLDSA65, MLDSA87)
	}
	for _, a := range []string{MLDSA44, MLDSA65, MLDSA87} {
		if !KnownAlgorithm(a) || !IsPostQuantum(a) {
			t.Errorf("%s is not known as post-quantum", a)
		}
	}
	if got := Algorithms(); !slices.Equal(got, want) {
		t.Fatalf("Algorithms() = %q, want %q", got, want)
	}
	for _, a := range want {
		if _, ok := infoOf(a); !ok || !KnownAlgorithm(a) {
			t.Errorf("%s is not described", a)
		}
	}
	for _, a := range []string{"", "none", "hs256", "HS1", "EdDSA "} {
		if KnownAlgorithm(a) {
			t.Errorf("%q is known", a)
		}
	}
}
