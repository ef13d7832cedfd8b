package authjwt_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/keys"
)

const compatSecret = "compat-secret-0123456789abcdef-0123456789"

func compatECKey(t *testing.T) (privPEM string, key *ecdsa.PrivateKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), k
}

func headerKID(t *testing.T, raw string) any {
	t.Helper()
	h, err := authjwt.UnverifiedHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	return h["kid"]
}

// TestCompatProfileDefaults: AUTHJWT_COMPAT=libre-fastapi-jwt alone gives
// the seed's defaults where authjwt's differ.
func TestCompatProfileDefaults(t *testing.T) {
	cfg, err := authjwt.ConfigFromEnv([]string{
		"AUTHJWT_COMPAT=libre-fastapi-jwt",
		"AUTHJWT_SECRET_KEY=" + compatSecret,
		"AUTHJWT_TOKEN_LOCATION=headers,cookies",
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := authjwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := a.Config()
	if got.Cookies.Access.CSRFName != "csrf_access" || got.Cookies.Refresh.CSRFName != "csrf_refresh" ||
		got.Cookies.Access.Name != "__Host-access_token" || got.Cookies.Refresh.Name != "__Host-refresh_token" ||
		got.Cookies.MaxAge != 86400*time.Second || !got.LegacyStatusCodes || !got.Claims.AllowRefreshWithoutIssuer {
		t.Fatalf("profile not applied: %+v", got)
	}
	tok, err := a.CreateAccessToken("alice")
	if err != nil {
		t.Fatal(err)
	}
	if kid := headerKID(t, tok); kid != "whoamikidding" {
		t.Fatalf("HMAC kid %v, want the seed's whoamikidding", kid)
	}

	// With a key pair, every token carries the seed's SPKI hash, HMAC
	// ones too (the seed's dynamic-algorithm configuration).
	priv, key := compatECKey(t)
	a, err = authjwt.New(authjwt.Config{
		Compat: authjwt.CompatLibreFastAPIJWT,
		Keys: authjwt.KeyConfig{
			SecretKey:        compatSecret,
			PrivateKey:       priv,
			Algorithm:        "ES256",
			DecodeAlgorithms: []string{"ES256", "HS256"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := keys.SeedKID(key)
	es, _ := a.CreateAccessToken("alice")
	hs, err := a.CreateAccessToken("alice", authjwt.WithAlgorithm("HS256"))
	if err != nil {
		t.Fatal(err)
	}
	if headerKID(t, es) != want || headerKID(t, hs) != want {
		t.Fatalf("kids %v / %v, want the seed's %s", headerKID(t, es), headerKID(t, hs), want)
	}
	if ks := a.Keys(); len(ks) != 1 || ks[0].KID != want {
		t.Fatalf("published kid %+v, want %s", ks, want)
	}
	// PublicKey's second result stays the RFC 7638 thumbprint.
	if _, tp, err := a.PublicKey(); err != nil || tp == want {
		t.Fatalf("Keys.PublicKey thumbprint %q, %v", tp, err)
	} else if wantTP, _ := keys.Thumbprint(key); tp != wantTP {
		t.Fatalf("Keys.PublicKey thumbprint %q, want %q", tp, wantTP)
	}

	// Without the profile: authjwt's own defaults.
	plain, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: compatSecret}, TokenLocation: []string{"cookies"}})
	if err != nil {
		t.Fatal(err)
	}
	pc := plain.Config()
	if pc.Cookies.Access.CSRFName != "__Host-csrf_access" || pc.Cookies.MaxAge != 0 || pc.LegacyStatusCodes || pc.Claims.AllowRefreshWithoutIssuer {
		t.Fatalf("defaults changed without the profile: %+v", pc)
	}
	if tok, _ := plain.CreateAccessToken("alice"); headerKID(t, tok) != nil {
		t.Fatal("HMAC kid without the profile")
	}
}

// TestCompatExplicitSettingsWin: every item of the profile stays settable;
// a variable set explicitly (even to false) wins over the profile.
func TestCompatExplicitSettingsWin(t *testing.T) {
	priv, _ := compatECKey(t)
	base := []string{"AUTHJWT_COMPAT=libre-fastapi-jwt", "AUTHJWT_SECRET_KEY=" + compatSecret, "AUTHJWT_TOKEN_LOCATION=cookies"}
	tests := []struct {
		name  string
		env   []string
		check func(a *authjwt.Auth) bool
	}{
		{"statuses", []string{"AUTHJWT_LEGACY_STATUS_CODES=false"}, func(a *authjwt.Auth) bool { return !a.Config().LegacyStatusCodes }},
		{"issuer rule", []string{"AUTHJWT_ALLOW_REFRESH_WITHOUT_ISSUER=false"}, func(a *authjwt.Auth) bool { return !a.Config().Claims.AllowRefreshWithoutIssuer }},
		{"CSRF cookie names", []string{"AUTHJWT_ACCESS_CSRF_COOKIE_KEY=__Host-xa", "AUTHJWT_REFRESH_CSRF_COOKIE_KEY=__Host-xr"}, func(a *authjwt.Auth) bool {
			return a.Config().Cookies.Access.CSRFName == "__Host-xa" && a.Config().Cookies.Refresh.CSRFName == "__Host-xr"
		}},
		{"max age", []string{"AUTHJWT_COOKIE_MAX_AGE=60"}, func(a *authjwt.Auth) bool { return a.Config().Cookies.MaxAge == time.Minute }},
		{"HMAC kid", []string{"AUTHJWT_KEY_ID=k1"}, func(a *authjwt.Auth) bool {
			tok, _ := a.CreateAccessToken("alice")
			return headerKID(t, tok) == "k1"
		}},
		{"asymmetric kid", []string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PRIVATE_KEY=" + priv, "AUTHJWT_PUBLIC_KEY_ID=es-1"}, func(a *authjwt.Auth) bool {
			tok, _ := a.CreateAccessToken("alice")
			return headerKID(t, tok) == "es-1" && a.Keys()[0].KID == "es-1"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := authjwt.ConfigFromEnv(append(append([]string{}, base...), tt.env...))
			if err != nil {
				t.Fatal(err)
			}
			a, err := authjwt.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(a) {
				t.Fatalf("explicit setting lost under the profile: %+v", a.Config())
			}
		})
	}
}

// TestRefreshWithoutIssuer: Claims.DecodeIssuer holds on every token by default;
// Claims.AllowRefreshWithoutIssuer (and the profile) accepts only refresh tokens
// that carry no iss, never another issuer's, never access tokens.
func TestRefreshWithoutIssuer(t *testing.T) {
	const iss = "https://auth.example"
	minter := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: compatSecret}}) // no EncodeIssuer: the seed's refresh tokens
	other := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: compatSecret}, Claims: authjwt.ClaimsConfig{EncodeIssuer: "https://evil.example"}})
	noIssRefresh, _ := minter.CreateRefreshToken("alice")
	noIssAccess, _ := minter.CreateAccessToken("alice")
	otherRefresh, _ := other.CreateRefreshToken("alice")
	refresh := authjwt.Requirement{Refresh: true}

	strict := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: compatSecret}, Claims: authjwt.ClaimsConfig{DecodeIssuer: iss}})
	if _, err := strict.Verify(context.Background(), noIssRefresh, refresh); !errors.Is(err, authjwt.ErrInvalidIssuer) {
		t.Fatalf("strict default accepted a refresh token without iss: %v", err)
	}
	for _, a := range []*authjwt.Auth{
		mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: compatSecret}, Claims: authjwt.ClaimsConfig{DecodeIssuer: iss, AllowRefreshWithoutIssuer: true}}),
		mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: compatSecret}, Claims: authjwt.ClaimsConfig{DecodeIssuer: iss}, Compat: authjwt.CompatLibreFastAPIJWT}),
	} {
		if _, err := a.Verify(context.Background(), noIssRefresh, refresh); err != nil {
			t.Fatalf("refresh token without iss refused: %v", err)
		}
		if _, err := a.Verify(context.Background(), otherRefresh, refresh); !errors.Is(err, authjwt.ErrInvalidIssuer) {
			t.Fatalf("another issuer's refresh token: %v", err)
		}
		if _, err := a.Verify(context.Background(), noIssAccess, authjwt.Requirement{}); !errors.Is(err, authjwt.ErrInvalidIssuer) {
			t.Fatalf("access token without iss: %v", err)
		}
		if _, err := a.Verify(context.Background(), noIssAccess, authjwt.Requirement{Optional: true}); !errors.Is(err, authjwt.ErrInvalidIssuer) {
			t.Fatalf("access token without iss on an optional route: %v", err)
		}
	}
}

// TestCompatMessages: under the profile the seed's messages (its own and
// PyJWT's) replace authjwt's where they differ, with the same codes;
// without it authjwt's messages are unchanged.
func TestCompatMessages(t *testing.T) {
	sign := func(payload string) string {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
		p := base64.RawURLEncoding.EncodeToString([]byte(payload))
		m := hmac.New(sha256.New, []byte(compatSecret))
		m.Write([]byte(h + "." + p))
		return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	build := func(compat string) *authjwt.Auth {
		return mustNew(authjwt.Config{
			Compat: compat,
			Keys:   authjwt.KeyConfig{SecretKey: compatSecret},
			Claims: authjwt.ClaimsConfig{
				DecodeAudience: []string{"api"},
			},
			TypeClaim: authjwt.TypeClaimConfig{
				Access:  "at",
				Refresh: "rt",
			},
			TokenLocation: []string{"headers", "cookies"},
		})
	}
	seed, plain := build(authjwt.CompatLibreFastAPIJWT), build("")
	rt, _ := seed.CreateRefreshToken("alice", authjwt.WithAudience("api"))
	at, _ := seed.CreateAccessToken("alice", authjwt.WithAudience("api"))
	otherAud, _ := seed.CreateAccessToken("alice", authjwt.WithAudience("web"))
	intSub := sign(fmt.Sprintf(`{"sub":42,"iat":%d,"exp":%d,"type":"at","aud":"api"}`, now.Unix(), now.Unix()+60))
	tests := []struct {
		name       string
		do         func(a *authjwt.Auth) error
		code       authjwt.Code
		seed, ours string
	}{
		{"refresh token on an access route", func(a *authjwt.Auth) error {
			_, err := a.Verify(context.Background(), rt, authjwt.Requirement{})
			return err
		}, authjwt.CodeAccessRequired, "Only at tokens are allowed", "Only access tokens are allowed"},
		{"access token on a refresh route", func(a *authjwt.Auth) error {
			_, err := a.Verify(context.Background(), at, authjwt.Requirement{Refresh: true})
			return err
		}, authjwt.CodeRefreshRequired, "Only rt tokens are allowed", "Only refresh tokens are allowed"},
		{"audience mismatch", func(a *authjwt.Auth) error {
			_, err := a.Verify(context.Background(), otherAud, authjwt.Requirement{})
			return err
		}, authjwt.CodeInvalidAudience, "Audience doesn't match", "Invalid audience"},
		{"not enough segments", func(a *authjwt.Auth) error {
			_, err := a.Verify(context.Background(), "abc.def", authjwt.Requirement{})
			return err
		}, authjwt.CodeMalformedToken, "Not enough segments", "Invalid token"},
		{"numeric subject", func(a *authjwt.Auth) error {
			_, err := a.Verify(context.Background(), intSub, authjwt.Requirement{})
			return err
		}, authjwt.CodeInvalidClaim, "Subject must be a string", "Invalid claim"},
		{"no credentials, headers and cookies", func(a *authjwt.Auth) error {
			_, err := a.Check(httptest.NewRequest("GET", "/", nil), authjwt.Requirement{Refresh: true})
			return err
		}, authjwt.CodeMissingToken, "Missing or incorrect cookie. Expected: __Host-refresh_token", "Missing Authorization Header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, side := range []struct {
				a    *authjwt.Auth
				want string
			}{{seed, tt.seed}, {plain, tt.ours}} {
				var e *authjwt.Error
				if err := tt.do(side.a); !errors.As(err, &e) || e.Code != tt.code || e.Message != side.want {
					t.Errorf("compat %q: %v, want %s %q", side.a.Config().Compat, err, tt.code, side.want)
				}
			}
		})
	}
}
