package interop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/librenz/authjwt"
)

const secret = "interop-secret-0123456789abcdef-0123456789abcdef-0123456789abcdef" // 65 bytes: long enough for HS512

var (
	keyOnce  sync.Once
	rsaKey   *rsa.PrivateKey
	ecKeys   map[string]*ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
	allAlgs  = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
	fixedNow = time.Unix(1_800_000_000, 0)
)

func genKeys() {
	keyOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		ecKeys = map[string]*ecdsa.PrivateKey{}
		for alg, c := range map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()} {
			if ecKeys[alg], err = ecdsa.GenerateKey(c, rand.Reader); err != nil {
				panic(err)
			}
		}
		if _, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
}

// signKey returns the key golang-jwt signs with for alg.
func signKey(alg string) any {
	genKeys()
	switch alg[:2] {
	case "HS":
		return []byte(secret)
	case "RS", "PS":
		return rsaKey
	case "ES":
		return ecKeys[alg]
	}
	return edKey
}

// verifyKey returns the key golang-jwt verifies with for alg.
func verifyKey(alg string) any {
	switch k := signKey(alg).(type) {
	case []byte:
		return k
	case crypto.Signer:
		return k.Public()
	}
	panic("unreachable")
}

// ourConfig returns an authjwt configuration for alg with a fixed clock,
// an issuer and an audience, so that every registered check is exercised.
func ourConfig(alg string) authjwt.Config {
	cfg := authjwt.Config{
		Keys: authjwt.KeyConfig{
			Algorithm: alg,
		},
		Claims: authjwt.ClaimsConfig{
			EncodeIssuer:   "https://issuer.example",
			DecodeIssuer:   "https://issuer.example",
			DecodeAudience: []string{"api"},
			DecodeLeeway:   5 * time.Second,
		},
		Now: func() time.Time { return fixedNow },
	}
	if alg[:2] == "HS" {
		cfg.Keys.SecretKey = secret
	} else {
		cfg.Keys.Signer = signKey(alg).(crypto.Signer)
	}
	return cfg
}

func ours(t testing.TB, alg string) *authjwt.Auth {
	t.Helper()
	a, err := authjwt.New(ourConfig(alg))
	if err != nil {
		t.Fatalf("New(%s): %v", alg, err)
	}
	return a
}

// theirParser is golang-jwt configured with the same policy as ourConfig:
// the one algorithm, exp required, iat checked, the same leeway, clock,
// issuer and audience.
func theirParser(alg string) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{alg}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second),
		jwt.WithTimeFunc(func() time.Time { return fixedNow }),
		jwt.WithIssuer("https://issuer.example"),
		jwt.WithAudience("api"),
	)
}

func theirKeyfunc(alg string) jwt.Keyfunc {
	return func(*jwt.Token) (any, error) { return verifyKey(alg), nil }
}
