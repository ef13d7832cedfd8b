package main

import (
	"strings"
	"testing"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
)

func TestFreshness(t *testing.T) {
	app, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	login := demotest.Call(t, app, "POST", "/login", demotest.Login)
	fresh, refresh := login.Str("access_token"), login.Str("refresh_token")
	demotest.Expect(t, "fresh token on fresh route", demotest.Call(t, app, "GET", "/protected-fresh", nil, demotest.Bearer(fresh)), 200, "")

	stale := demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(refresh)).Str("access_token")
	demotest.Expect(t, "refreshed token on normal route", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(stale)), 200, "")
	res := demotest.Call(t, app, "GET", "/protected-fresh", nil, demotest.Bearer(stale))
	demotest.Expect(t, "refreshed token on fresh route", res, 401, "Fresh token required")
	if !strings.Contains(res.Header.Get("WWW-Authenticate"), `error="insufficient_user_authentication"`) {
		t.Errorf("WWW-Authenticate %q", res.Header.Get("WWW-Authenticate"))
	}

	demotest.Expect(t, "fresh-login wrong password", demotest.Call(t, app, "POST", "/fresh-login", map[string]string{"username": "alice", "password": "no"}), 401, "Bad username or password")
	res = demotest.Call(t, app, "POST", "/fresh-login", demotest.Login)
	if res.Str("refresh_token") != "" {
		t.Error("fresh-login returned a refresh token")
	}
	demotest.Expect(t, "fresh-login token", demotest.Call(t, app, "GET", "/protected-fresh", nil, demotest.Bearer(res.Str("access_token"))), 200, "")
}
