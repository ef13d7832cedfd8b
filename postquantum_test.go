package authjwt

import (
	"errors"
	"strings"
	"testing"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
)

// TestMLDSAUnavailableAtNew: a program built with a Go older than 1.27
// (no crypto/mldsa) refuses every ML-DSA setting at New, naming the
// setting (its AUTHJWT_* variable from the environment) and the Go
// version needed. Built with Go 1.27 the same settings pass this step
// (they then need an ML-DSA key: postquantum_go127_test.go).
func TestMLDSAUnavailableAtNew(t *testing.T) {
	if keys.PostQuantumAvailable() {
		t.Skip("this build has crypto/mldsa (Go 1.27 or later): see TestMLDSASignVerify")
	}
	testKeys()
	const want = "needs a program built with Go 1.27 or later"
	for _, c := range []struct {
		name, field string
		cfg         Config
	}{
		{"Keys.Algorithm", "Keys.Algorithm", Config{Keys: KeyConfig{PrivateKey: privPEM(t, keyFor("ES256")), Algorithm: keys.MLDSA44}}},
		{"Keys.DecodeAlgorithms", "Keys.DecodeAlgorithms", Config{Keys: KeyConfig{PrivateKey: privPEM(t, keyFor("ES256")), Algorithm: "ES256", DecodeAlgorithms: []string{"ES256", keys.MLDSA65}}}},
		{"Keys.Set DecodeAlgorithms", "Keys.DecodeAlgorithms", Config{Keys: KeyConfig{Set: keys.NewSet(), DecodeAlgorithms: []string{keys.MLDSA87}}}},
		{"trusted issuer", "TrustedIssuers[0].Algorithms", Config{Keys: KeyConfig{SecretKey: testSecret}, TrustedIssuers: []TrustedIssuer{{Issuer: "https://idp.example", Audience: []string{"api"}, Algorithms: []string{"ES256", keys.MLDSA44}, Keys: staticKeys{}}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != c.field || !strings.Contains(err.Error(), want) {
				t.Fatalf("New = %v, want a %s error with %q", err, c.field, want)
			}
		})
	}
	cfg, err := ConfigFromEnv([]string{"AUTHJWT_ALGORITHM=" + keys.MLDSA44, "AUTHJWT_PRIVATE_KEY=" + privPEM(t, keyFor("ES256"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "authjwt: AUTHJWT_ALGORITHM: ML-DSA-44 "+want) {
		t.Fatalf("New from the environment = %v", err)
	}
	// The algorithm stays known to the codec (its header parses) but no
	// gate allows it: a token naming it is refused by algorithm.
	if a, ok := jws.ParseAlg(keys.MLDSA44); !ok || a.Available() {
		t.Fatal("ML-DSA-44 should be known and unavailable")
	}
}
