//go:build !go1.27

package keys

import (
	"context"
	"strings"
	"testing"
)

// TestMLDSAUnavailable: a build with a Go older than 1.27 has no
// crypto/mldsa; every ML-DSA use is refused naming the Go version needed,
// and an AKP key in a provider's JWKS is skipped, not fatal to the set.
func TestMLDSAUnavailable(t *testing.T) {
	if PostQuantumAvailable() {
		t.Fatal("PostQuantumAvailable in a build without crypto/mldsa")
	}
	want := "needs a program built with Go 1.27 or later"
	if _, err := GenerateMLDSAKey(MLDSA44); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("GenerateMLDSAKey: %v", err)
	}
	if err := CheckKey(MLDSA65, testKeys().p256); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("CheckKey: %v", err)
	}
	if _, err := ParseJWK([]byte(`{"kty":"AKP","alg":"ML-DSA-44","pub":"AAAA"}`)); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("ParseJWK: %v", err)
	}
	if _, err := NewRemote(context.Background(), RemoteConfig{JWKSURL: "https://idp.example/jwks", AllowedAlgorithms: []string{ES256, MLDSA44}, StartWithoutKeys: true}); err == nil || !strings.Contains(err.Error(), "AllowedAlgorithms: ML-DSA-44 "+want) {
		t.Errorf("NewRemote: %v", err)
	}
	es, err := NewSigningKey(ES256, testKeys().p256)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := PublicJWK(es)
	set := `{"keys":[{"kty":"AKP","alg":"ML-DSA-44","kid":"pq","pub":"AAAA"},{"kty":"EC","crv":"P-256","kid":"` + j.Kid + `","x":"` + j.X + `","y":"` + j.Y + `","alg":"ES256"}]}`
	got, skipped, err := ParseJWKS([]byte(set), 0)
	if err != nil || len(got) != 1 || got[0].Alg != ES256 || len(skipped) != 1 || !strings.Contains(skipped[0].Error(), want) {
		t.Fatalf("ParseJWKS: %v, %v, %+v", err, skipped, got)
	}
}
