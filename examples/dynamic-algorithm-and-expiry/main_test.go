package main

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
)

func TestDynamicAlgorithmAndExpiry(t *testing.T) {
	clock := authjwttest.NewClock(authjwttest.Epoch)
	app, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := authjwttest.New(t, authjwt.Config{Now: clock.Now, Keys: authjwt.KeyConfig{Algorithm: "HS384", DecodeAlgorithms: []string{"HS384", "HS512"}}, Claims: authjwt.ClaimsConfig{DecodeAudience: []string{"downloads"}}})
	header := func(tok string) string {
		h, err := authjwt.UnverifiedHeader(tok)
		if err != nil {
			t.Fatal(err)
		}
		return h["alg"].(string)
	}
	login := demotest.Call(t, app, "POST", "/login", demotest.Login)
	remember := demotest.Call(t, app, "POST", "/login?remember=1", demotest.Login)
	if header(login.Str("access_token")) != "HS384" || header(login.Str("refresh_token")) != "HS512" {
		t.Fatalf("algorithms %s / %s", header(login.Str("access_token")), header(login.Str("refresh_token")))
	}
	res := demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(login.Str("access_token")))
	if res.Str("alg") != "HS384" || int64(res.Body["expires_at"].(float64)) != authjwttest.Epoch.Add(15*time.Minute).Unix() {
		t.Fatalf("protected: %v", res.Body)
	}

	clock.Advance(25 * time.Hour)
	demotest.Expect(t, "one-day refresh token", demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(login.Str("refresh_token"))), 401, "Signature has expired")
	fresh := demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(remember.Str("refresh_token")))
	demotest.Expect(t, "remember-me refresh token", fresh, 200, "")

	link := demotest.Call(t, app, "POST", "/download-link", nil, demotest.Bearer(fresh.Str("access_token"))).Str("url")
	u, _ := url.Parse(link)
	tok := u.Query().Get("token")
	demotest.Expect(t, "link token on our routes", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(tok)), 401, "Invalid audience")
	if _, err := a.Verify(t.Context(), tok, authjwt.Requirement{}); err != nil {
		t.Fatalf("download service refused the link token: %v", err)
	}
	clock.Advance(61 * time.Second)
	if _, err := a.Verify(t.Context(), tok, authjwt.Requirement{}); !errors.Is(err, authjwt.ErrTokenExpired) {
		t.Fatalf("link token after 61s: %v", err)
	}
	if !strings.HasPrefix(link, "/download?token=") {
		t.Fatal(link)
	}
}
