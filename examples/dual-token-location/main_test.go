package main

import (
	"net/http"
	"testing"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
)

func TestDualTokenLocation(t *testing.T) {
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}, TokenLocation: []string{"headers", "cookies"}}
	app, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := authjwttest.New(t, cfg)
	alice := demotest.Call(t, app, "POST", "/login", demotest.Login)
	bob := demotest.Call(t, app, "POST", "/login", map[string]string{"username": "bob", "password": "hunter2"})
	aliceCookies := func(r *http.Request) {
		authjwttest.AddCookies(r, alice.Response)
		authjwttest.SetCSRFHeader(a, r, false)
	}

	cases := []struct {
		name, why    string
		setup        []func(*http.Request)
		status       int
		user, source string
	}{
		{"header", "a script or mobile app", []func(*http.Request){demotest.Bearer(bob.Str("access_token"))}, 200, "bob", "header"},
		{"cookies", "a browser", []func(*http.Request){aliceCookies}, 200, "alice", "cookie"},
		{"header wins", "a demotest.Bearer header is judged alone", []func(*http.Request){aliceCookies, demotest.Bearer(bob.Str("access_token"))}, 200, "bob", "header"},
		{"bad header, good cookies", "an invalid header is never saved by cookies", []func(*http.Request){aliceCookies, demotest.Bearer("x.y.z")}, 401, "", ""},
		{"other scheme", "Basic credentials are not ours: the cookies decide", []func(*http.Request){aliceCookies, func(r *http.Request) { r.SetBasicAuth("u", "p") }}, 200, "alice", "cookie"},
		{"nothing", "", nil, 401, "", ""},
	}
	for _, c := range cases {
		res := demotest.Call(t, app, "POST", "/protected", nil, c.setup...)
		if res.StatusCode != c.status || res.Str("user") != c.user || res.Str("source") != c.source {
			t.Errorf("%s: %d %v, want %d %s from %s (%s)", c.name, res.StatusCode, res.Body, c.status, c.user, c.source, c.why)
		}
	}

	res := demotest.Call(t, app, "POST", "/refresh", nil, func(r *http.Request) {
		authjwttest.AddCookies(r, alice.Response)
		authjwttest.SetCSRFHeader(a, r, true)
	})
	demotest.Expect(t, "refresh by cookie", res, 200, "")
	if len(res.Cookies()) == 0 {
		t.Error("a cookie refresh set no cookie")
	}
	res = demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(bob.Str("refresh_token")))
	demotest.Expect(t, "refresh by header", res, 200, "")
	if len(res.Cookies()) != 0 {
		t.Error("a header refresh set cookies")
	}
}
