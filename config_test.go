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
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

func TestConfigDefaults(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	c := a.Config()
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"Keys.Algorithm", c.Keys.Algorithm, "HS256"},
		{"Header.Name", c.Header.Name, "Authorization"},
		{"Header.Type", c.Header.Type, "Bearer"},
		{"Expiry.Access", c.Expiry.Access, 15 * time.Minute},
		{"Expiry.Refresh", c.Expiry.Refresh, 14 * 24 * time.Hour},
		{"TokenLocation", strings.Join(c.TokenLocation, ","), "headers"},
		{"Cookies.Access.Name", c.Cookies.Access.Name, "__Host-access_token"},
		{"Cookies.Refresh.Name", c.Cookies.Refresh.Name, "__Host-refresh_token"},
		{"Cookies.Access.CSRFName", c.Cookies.Access.CSRFName, "__Host-csrf_access"},
		{"Cookies.Refresh.CSRFName", c.Cookies.Refresh.CSRFName, "__Host-csrf_refresh"},
		{"Cookies.Access.Path", c.Cookies.Access.Path, "/"},
		{"Cookies.SameSite", c.Cookies.SameSite, "lax"},
		{"Cookies.Insecure", c.Cookies.Insecure, false},
		{"Cookies.UnsafeDisableCSRF", c.Cookies.UnsafeDisableCSRF, false},
		{"Cookies.Access.CSRFHeader", c.Cookies.Access.CSRFHeader, "X-CSRF-Token"},
		{"Cookies.CSRFMethods", strings.Join(c.Cookies.CSRFMethods, ","), "POST,PUT,PATCH,DELETE"},
		{"TypeClaim.Name", c.TypeClaim.Name, "type"},
		{"TypeClaim.Access", c.TypeClaim.Access, "access"},
		{"TypeClaim.Refresh", c.TypeClaim.Refresh, "refresh"},
		{"Revocation.Enabled", c.Revocation.Enabled, false},
		{"Revocation.Checks", strings.Join(c.Revocation.Checks, ","), "access,refresh"},
		{"Claims.DecodeLeeway", c.Claims.DecodeLeeway, time.Duration(0)},
		{"MaxTokenSize", c.MaxTokenSize, 8192},
	}
	for _, k := range checks {
		if k.got != k.want {
			t.Errorf("%s = %v, want %v", k.name, k.got, k.want)
		}
	}
	// Plain-HTTP development: default names drop the prefix.
	b := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Cookies: CookieConfig{Insecure: true}, TokenLocation: []string{"cookies"}})
	if n := b.Config().Cookies.Access.Name; n != "access_token" {
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
		{"missing secret", Config{}, "Keys.SecretKey"},
		{"short secret", Config{Keys: KeyConfig{SecretKey: "short"}}, "Keys.SecretKey"},
		{"short secret HS512", Config{Keys: KeyConfig{SecretKey: testSecret, Algorithm: "HS512"}}, "Keys.SecretKey"},
		{"unknown algorithm", Config{Keys: KeyConfig{SecretKey: testSecret, Algorithm: "HS999"}}, "Keys.Algorithm"},
		{"none algorithm", Config{Keys: KeyConfig{SecretKey: testSecret, Algorithm: "none"}}, "Keys.Algorithm"},
		{"none in decode algorithms", Config{Keys: KeyConfig{SecretKey: testSecret, DecodeAlgorithms: []string{"HS256", "none"}}}, "Keys.DecodeAlgorithms"},
		{"asymmetric without keys", Config{Keys: KeyConfig{Algorithm: "RS256"}}, "Keys.PublicKey"},
		{"bad private PEM", Config{Keys: KeyConfig{PrivateKey: "not pem", Algorithm: "RS256"}}, "Keys.PrivateKey"},
		{"key type does not fit", Config{Keys: KeyConfig{PrivateKey: privPEM(t, rsaKey), Algorithm: "ES256"}}, "Keys.Algorithm"},
		{"EC curve does not fit", Config{Keys: KeyConfig{PrivateKey: privPEM(t, ecKey256), Algorithm: "ES384"}}, "Keys.Algorithm"},
		{"decode alg does not fit", Config{Keys: KeyConfig{PrivateKey: privPEM(t, rsaKey), Algorithm: "RS256", DecodeAlgorithms: []string{"RS256", "ES256"}}}, "Keys.DecodeAlgorithms"},
		{"public key mismatch", Config{Keys: KeyConfig{PrivateKey: privPEM(t, rsaKey), PublicKey: pubPEM(t, rsaKey2.Public()), Algorithm: "RS256"}}, "Keys.PublicKey"},
		{"type claim collides", Config{Keys: KeyConfig{SecretKey: testSecret}, TypeClaim: TypeClaimConfig{Name: "sub"}}, "TypeClaim.Name"},
		{"type claim collides case", Config{Keys: KeyConfig{SecretKey: testSecret}, TypeClaim: TypeClaimConfig{Name: "EXP"}}, "TypeClaim.Name"},
		{"same type values", Config{Keys: KeyConfig{SecretKey: testSecret}, TypeClaim: TypeClaimConfig{Access: "x", Refresh: "x"}}, "TypeClaim.Refresh"},
		{"denylist without store", Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true}}, "Revocation.Store"},
		{"bad samesite", Config{Keys: KeyConfig{SecretKey: testSecret}, Cookies: CookieConfig{SameSite: "sometimes"}}, "Cookies.SameSite"},
		{"unknown location", Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{"query"}}, "TokenLocation"},
		{"bad csrf method", Config{Keys: KeyConfig{SecretKey: testSecret}, Cookies: CookieConfig{CSRFMethods: []string{"FETCH"}}}, "Cookies.CSRFMethods"},
		{"bad denylist check", Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Checks: []string{"id"}}}, "Revocation.Checks"},
		{"negative expiry", Config{Keys: KeyConfig{SecretKey: testSecret}, Expiry: ExpiryConfig{Access: -5 * time.Second}}, "Expiry.Access"},
		{"negative leeway", Config{Keys: KeyConfig{SecretKey: testSecret}, Claims: ClaimsConfig{DecodeLeeway: -time.Second}}, "Claims.DecodeLeeway"},
		{"rotation without consumer", Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: revoke.Func(nil), Rotation: true}}, "Revocation.Rotation"},
		{"__Host- with insecure", Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{"cookies"}, Cookies: CookieConfig{Access: TokenCookie{Name: "__Host-a"}, Insecure: true}}, "Cookies.Access.Name"},
		{"__Host- with domain", Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{"cookies"}, Cookies: CookieConfig{Access: TokenCookie{Name: "__Host-a"}, Domain: "example.com"}}, "Cookies.Domain"},
		{"__Host- with path", Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{"cookies"}, Cookies: CookieConfig{Refresh: TokenCookie{Path: "/auth", Name: "__Host-r"}}}, "Cookies.Refresh.Path"},
		{"__Secure- with insecure", Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{"cookies"}, Cookies: CookieConfig{Access: TokenCookie{Name: "__Secure-a"}, Insecure: true}}, "Cookies.Access.Name"},
		{"samesite none insecure", Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{"cookies"}, Cookies: CookieConfig{Insecure: true, SameSite: "none"}}, "Cookies.SameSite"},
		{"bad trusted origin", Config{Keys: KeyConfig{SecretKey: testSecret}, Cookies: CookieConfig{TrustedOrigins: []string{"not an origin"}}}, "Cookies.TrustedOrigins"},
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
	a, err := New(Config{Keys: KeyConfig{SecretKey: "legacy", UnsafeAllowShortSecret: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateAccessToken("alice"); err != nil {
		t.Fatal(err)
	}
}

func TestRSAKeyTooSmall(t *testing.T) {
	k := mustRSA(t, 1024)
	_, err := New(Config{Keys: KeyConfig{PrivateKey: privPEM(t, k), Algorithm: "RS256"}})
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
		{"Keys.VerifyKey", Config{Keys: KeyConfig{VerifyKey: big8200, Algorithm: "RS256"}}, "Keys.VerifyKey"},
		{"Keys.PublicKey PEM", Config{Keys: KeyConfig{PublicKey: bigPEM, Algorithm: "PS256"}}, "Keys.PublicKey"},
		{"Keys.Signer", Config{Keys: KeyConfig{Signer: bigSigner{big8200}, Algorithm: "RS512"}}, "Keys.Signer"},
		{"decode only", Config{Keys: KeyConfig{SecretKey: testSecret, VerifyKey: big8200, DecodeAlgorithms: []string{"HS256", "RS256"}}}, "Keys.VerifyKey"},
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
		if _, err := New(Config{Keys: KeyConfig{VerifyKey: bigRSA(8192), Algorithm: "RS256"}}); err != nil {
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

// TestConfigTopLevelFields keeps Config grouped by concept (issue 18): a
// new setting goes into the section of the part that reads it, and the top
// level stays about 25 fields. Raise the bound only for a setting that
// belongs to no part.
func TestConfigTopLevelFields(t *testing.T) {
	const most = 25
	var exported []string
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		if f := ct.Field(i); f.IsExported() {
			exported = append(exported, f.Name)
		}
	}
	if len(exported) > most {
		t.Errorf("Config has %d top-level fields, more than %d: %v", len(exported), most, exported)
	}
}
