package authjwt

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

func TestConfigDefaults(t *testing.T) {
	a := mustNew(t, Config{SecretKey: testSecret})
	c := a.Config()
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"Algorithm", c.Algorithm, "HS256"},
		{"HeaderName", c.HeaderName, "Authorization"},
		{"HeaderType", c.HeaderType, "Bearer"},
		{"AccessTokenExpires", c.AccessTokenExpires, 15 * time.Minute},
		{"RefreshTokenExpires", c.RefreshTokenExpires, 14 * 24 * time.Hour},
		{"TokenLocation", strings.Join(c.TokenLocation, ","), "headers"},
		{"AccessCookieName", c.AccessCookieName, "__Host-access_token"},
		{"RefreshCookieName", c.RefreshCookieName, "__Host-refresh_token"},
		{"AccessCSRFCookieName", c.AccessCSRFCookieName, "__Host-csrf_access"},
		{"RefreshCSRFCookieName", c.RefreshCSRFCookieName, "__Host-csrf_refresh"},
		{"AccessCookiePath", c.AccessCookiePath, "/"},
		{"CookieSameSite", c.CookieSameSite, "lax"},
		{"InsecureCookies", c.InsecureCookies, false},
		{"UnsafeDisableCSRF", c.UnsafeDisableCSRF, false},
		{"AccessCSRFHeaderName", c.AccessCSRFHeaderName, "X-CSRF-Token"},
		{"CSRFMethods", strings.Join(c.CSRFMethods, ","), "POST,PUT,PATCH,DELETE"},
		{"TokenTypeClaimName", c.TokenTypeClaimName, "type"},
		{"AccessTokenType", c.AccessTokenType, "access"},
		{"RefreshTokenType", c.RefreshTokenType, "refresh"},
		{"DenylistEnabled", c.DenylistEnabled, false},
		{"DenylistTokenChecks", strings.Join(c.DenylistTokenChecks, ","), "access,refresh"},
		{"DecodeLeeway", c.DecodeLeeway, time.Duration(0)},
		{"MaxTokenSize", c.MaxTokenSize, 8192},
	}
	for _, k := range checks {
		if k.got != k.want {
			t.Errorf("%s = %v, want %v", k.name, k.got, k.want)
		}
	}
	// Plain-HTTP development: default names drop the prefix.
	b := mustNew(t, Config{SecretKey: testSecret, InsecureCookies: true, TokenLocation: []string{"cookies"}})
	if n := b.Config().AccessCookieName; n != "access_token" {
		t.Errorf("insecure default access cookie = %q", n)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	testKeys()
	rsa1024 := "" // generated below only if needed
	_ = rsa1024
	cases := []struct {
		name    string
		cfg     Config
		setting string // must appear in the error
	}{
		{"missing secret", Config{}, "SecretKey"},
		{"short secret", Config{SecretKey: "short"}, "SecretKey"},
		{"short secret HS512", Config{SecretKey: testSecret, Algorithm: "HS512"}, "SecretKey"},
		{"unknown algorithm", Config{SecretKey: testSecret, Algorithm: "HS999"}, "Algorithm"},
		{"none algorithm", Config{SecretKey: testSecret, Algorithm: "none"}, "Algorithm"},
		{"none in decode algorithms", Config{SecretKey: testSecret, DecodeAlgorithms: []string{"HS256", "none"}}, "DecodeAlgorithms"},
		{"asymmetric without keys", Config{Algorithm: "RS256"}, "PublicKey"},
		{"bad private PEM", Config{Algorithm: "RS256", PrivateKey: "not pem"}, "PrivateKey"},
		{"key type does not fit", Config{Algorithm: "ES256", PrivateKey: privPEM(t, rsaKey)}, "Algorithm"},
		{"EC curve does not fit", Config{Algorithm: "ES384", PrivateKey: privPEM(t, ecKey256)}, "Algorithm"},
		{"decode alg does not fit", Config{Algorithm: "RS256", DecodeAlgorithms: []string{"RS256", "ES256"}, PrivateKey: privPEM(t, rsaKey)}, "DecodeAlgorithms"},
		{"public key mismatch", Config{Algorithm: "RS256", PrivateKey: privPEM(t, rsaKey), PublicKey: pubPEM(t, rsaKey2.Public())}, "PublicKey"},
		{"type claim collides", Config{SecretKey: testSecret, TokenTypeClaimName: "sub"}, "TokenTypeClaimName"},
		{"type claim collides case", Config{SecretKey: testSecret, TokenTypeClaimName: "EXP"}, "TokenTypeClaimName"},
		{"same type values", Config{SecretKey: testSecret, AccessTokenType: "x", RefreshTokenType: "x"}, "RefreshTokenType"},
		{"denylist without store", Config{SecretKey: testSecret, DenylistEnabled: true}, "Store"},
		{"bad samesite", Config{SecretKey: testSecret, CookieSameSite: "sometimes"}, "CookieSameSite"},
		{"unknown location", Config{SecretKey: testSecret, TokenLocation: []string{"query"}}, "TokenLocation"},
		{"bad csrf method", Config{SecretKey: testSecret, CSRFMethods: []string{"FETCH"}}, "CSRFMethods"},
		{"bad denylist check", Config{SecretKey: testSecret, DenylistTokenChecks: []string{"id"}}, "DenylistTokenChecks"},
		{"negative expiry", Config{SecretKey: testSecret, AccessTokenExpires: -5 * time.Second}, "AccessTokenExpires"},
		{"negative leeway", Config{SecretKey: testSecret, DecodeLeeway: -time.Second}, "DecodeLeeway"},
		{"rotation without consumer", Config{SecretKey: testSecret, DenylistEnabled: true, Store: revoke.Func(nil), RefreshTokenRotation: true}, "RefreshTokenRotation"},
		{"__Host- with insecure", Config{SecretKey: testSecret, TokenLocation: []string{"cookies"}, InsecureCookies: true, AccessCookieName: "__Host-a"}, "AccessCookieName"},
		{"__Host- with domain", Config{SecretKey: testSecret, TokenLocation: []string{"cookies"}, CookieDomain: "example.com", AccessCookieName: "__Host-a"}, "CookieDomain"},
		{"__Host- with path", Config{SecretKey: testSecret, TokenLocation: []string{"cookies"}, RefreshCookiePath: "/auth", RefreshCookieName: "__Host-r"}, "RefreshCookiePath"},
		{"__Secure- with insecure", Config{SecretKey: testSecret, TokenLocation: []string{"cookies"}, InsecureCookies: true, AccessCookieName: "__Secure-a"}, "AccessCookieName"},
		{"samesite none insecure", Config{SecretKey: testSecret, TokenLocation: []string{"cookies"}, InsecureCookies: true, CookieSameSite: "none"}, "CookieSameSite"},
		{"bad trusted origin", Config{SecretKey: testSecret, TrustedOrigins: []string{"not an origin"}}, "TrustedOrigins"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.setting) || !strings.HasPrefix(err.Error(), "authjwt: ") {
				t.Fatalf("error %q does not name %s", err, c.setting)
			}
		})
	}
}

func TestShortSecretEscapeHatch(t *testing.T) {
	a, err := New(Config{SecretKey: "legacy", UnsafeAllowShortSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateAccessToken("alice"); err != nil {
		t.Fatal(err)
	}
}

func TestRSAKeyTooSmall(t *testing.T) {
	k := mustRSA(t, 1024)
	_, err := New(Config{Algorithm: "RS256", PrivateKey: privPEM(t, k)})
	if err == nil || !strings.Contains(err.Error(), "2048") {
		t.Fatalf("1024-bit RSA key: %v", err)
	}
}

// bigRSA is an RSA public key of the given size that is never used to
// verify: an odd modulus with the top bit set (generating a real key above
// 8192 bits takes minutes).
func bigRSA(bits int) *rsa.PublicKey {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.SetBit(n, 0, 1)
	return &rsa.PublicKey{N: n, E: 65537}
}

// bigSigner is a crypto.Signer holding an oversized RSA public key.
type bigSigner struct{ pub *rsa.PublicKey }

func (s bigSigner) Public() crypto.PublicKey { return s.pub }
func (s bigSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("never called")
}

// TestRSAKeyAboveSignatureLimit: the verifier refuses signatures over
// MaxSignatureSize bytes (RSA-8192), so a bigger RSA key signs tokens
// that never verify. New refuses it, naming the key's setting and the
// limit; 8192 bits is still accepted.
func TestRSAKeyAboveSignatureLimit(t *testing.T) {
	if MaxSignatureSize*8 != keys.MaxRSABits {
		t.Fatalf("MaxSignatureSize %d bytes and keys.MaxRSABits %d disagree", MaxSignatureSize, keys.MaxRSABits)
	}
	big8200 := bigRSA(8200)
	der, err := x509.MarshalPKIXPublicKey(big8200)
	if err != nil {
		t.Fatal(err)
	}
	bigPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	for _, c := range []struct {
		name    string
		cfg     Config
		setting string
	}{
		{"VerifyKey", Config{Algorithm: "RS256", VerifyKey: big8200}, "VerifyKey"},
		{"PublicKey PEM", Config{Algorithm: "PS256", PublicKey: bigPEM}, "PublicKey"},
		{"Signer", Config{Algorithm: "RS512", Signer: bigSigner{big8200}}, "Signer"},
		{"decode only", Config{SecretKey: testSecret, DecodeAlgorithms: []string{"HS256", "RS256"}, VerifyKey: big8200}, "VerifyKey"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			if err == nil {
				t.Fatal("accepted an RSA key whose signatures the verifier refuses")
			}
			for _, want := range []string{"authjwt: " + c.setting + ":", "8200 bits", "8192", "MaxSignatureSize"} {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not contain %q", err, want)
				}
			}
		})
	}
	t.Run("8192 bits accepted", func(t *testing.T) {
		if _, err := New(Config{Algorithm: "RS256", VerifyKey: bigRSA(8192)}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("key set", func(t *testing.T) {
		if _, err := keys.NewVerifyKey("RS256", big8200); err == nil || !strings.Contains(err.Error(), "at most 8192") {
			t.Fatalf("keys.NewVerifyKey: %v", err)
		}
		if _, err := keys.NewSet().Add(keys.Key{KID: "big", Alg: "RS256", Public: big8200}); err == nil {
			t.Fatal("keys.Set.Add accepted an RSA key above the signature limit")
		}
	})
	t.Run("JWK", func(t *testing.T) {
		jwk := fmt.Sprintf(`{"kty":"RSA","n":%q,"e":"AQAB"}`, base64.RawURLEncoding.EncodeToString(big8200.N.Bytes()))
		if _, err := keys.ParseJWK([]byte(jwk)); err == nil {
			t.Fatal("keys.ParseJWK accepted an RSA key above the signature limit")
		}
	})
}
