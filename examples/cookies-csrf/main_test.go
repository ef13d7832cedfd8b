package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
	"github.com/librenz/authjwt/revoke"
)

func TestCookiesCSRF(t *testing.T) {
	clock := authjwttest.NewClock(authjwttest.Epoch)
	store := revoke.NewMemory(revoke.WithClock(clock.Now))
	defer store.Close()
	cfg := authjwt.Config{
		Keys:          authjwt.KeyConfig{SecretKey: authjwttest.Secret},
		Now:           clock.Now,
		TokenLocation: []string{authjwt.LocationCookies},
		Revocation: authjwt.RevocationConfig{
			Enabled: true,
			Store:   store,
		},
	}
	app, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := authjwttest.New(t, cfg) // same settings: for cookie names and the CSRF header
	login := demotest.Call(t, app, "POST", "/login", demotest.Login)
	demotest.Expect(t, "login", login, 200, "Logged in")
	if n := len(login.Cookies()); n != 4 {
		t.Fatalf("%d cookies set, want 4", n)
	}
	for _, c := range login.Cookies() {
		if !c.Secure || c.SameSite != http.SameSiteLaxMode || (c.HttpOnly != (c.Name == "__Host-access_token" || c.Name == "__Host-refresh_token")) {
			t.Errorf("cookie %s: Secure %v HttpOnly %v SameSite %v", c.Name, c.Secure, c.HttpOnly, c.SameSite)
		}
	}
	cookies := func(r *http.Request) { authjwttest.AddCookies(r, login.Response) }
	csrf := func(r *http.Request) { authjwttest.SetCSRFHeader(a, r, false) }
	refreshCSRF := func(r *http.Request) { authjwttest.SetCSRFHeader(a, r, true) }

	demotest.Expect(t, "GET without CSRF header", demotest.Call(t, app, "GET", "/protected", nil, cookies), 200, "")
	demotest.Expect(t, "POST without CSRF header", demotest.Call(t, app, "POST", "/items", nil, cookies), 403, "Missing CSRF Token")
	demotest.Expect(t, "POST with a wrong CSRF header", demotest.Call(t, app, "POST", "/items", nil, cookies, func(r *http.Request) { r.Header.Set("X-CSRF-Token", "guess") }), 403, "CSRF double submitted tokens do not match")
	demotest.Expect(t, "POST from another site", demotest.Call(t, app, "POST", "/items", nil, cookies, csrf, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }), 403, "Cross-origin request refused")
	demotest.Expect(t, "POST with CSRF header", demotest.Call(t, app, "POST", "/items", nil, cookies, csrf), 201, "Item created")
	demotest.Expect(t, "refresh with the access CSRF value", demotest.Call(t, app, "POST", "/refresh", nil, cookies, csrf), 403, "CSRF double submitted tokens do not match")
	demotest.Expect(t, "refresh", demotest.Call(t, app, "POST", "/refresh", nil, cookies, refreshCSRF), 200, "Token refreshed")

	// Implicit refresh: 12 minutes later (3 left), any request renews the access cookie.
	clock.Advance(12 * time.Minute)
	res := demotest.Call(t, app, "GET", "/protected", nil, cookies)
	demotest.Expect(t, "near expiry", res, 200, "")
	renewed := false
	for _, c := range res.Cookies() {
		renewed = renewed || c.Name == "__Host-access_token"
	}
	if !renewed {
		t.Fatal("no renewed access cookie near expiry")
	}
	clock.Advance(5 * time.Minute) // the login's access token has expired ...
	demotest.Expect(t, "old cookie", demotest.Call(t, app, "GET", "/protected", nil, cookies), 401, "Signature has expired")
	renewedJar := func(r *http.Request) { cookies(r); authjwttest.AddCookies(r, res.Response) }
	demotest.Expect(t, "renewed cookie", demotest.Call(t, app, "GET", "/protected", nil, renewedJar), 200, "") // ... the renewed one has not

	out := demotest.Call(t, app, "DELETE", "/logout", nil, renewedJar, csrf)
	demotest.Expect(t, "logout", out, 200, "Logged out")
	after := func(r *http.Request) { renewedJar(r); authjwttest.AddCookies(r, out.Response) }
	demotest.Expect(t, "cookies deleted", demotest.Call(t, app, "GET", "/protected", nil, after), 401, "Missing cookie __Host-access_token")
	demotest.Expect(t, "revoked even if a copy was kept", demotest.Call(t, app, "GET", "/protected", nil, renewedJar), 401, "Token has been revoked")
}
