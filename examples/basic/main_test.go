package main

import (
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
)

func TestBasic(t *testing.T) {
	clock := authjwttest.NewClock(authjwttest.Epoch)
	app, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	demotest.Expect(t, "wrong password", demotest.Call(t, app, "POST", "/login", map[string]string{"username": "alice", "password": "x"}), 401, "Bad username or password")
	demotest.Expect(t, "bad body", demotest.Call(t, app, "POST", "/login", nil), 422, "")
	demotest.Expect(t, "no token", demotest.Call(t, app, "GET", "/protected", nil), 401, "Missing Authorization Header")

	login := demotest.Call(t, app, "POST", "/login", demotest.Login)
	demotest.Expect(t, "login", login, 200, "")
	if login.Header.Get("Cache-Control") != "no-store" {
		t.Error("token response may be cached")
	}
	access, refresh := login.Str("access_token"), login.Str("refresh_token")
	res := demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(access))
	demotest.Expect(t, "protected", res, 200, "")
	if res.Str("user") != "alice" {
		t.Fatalf("user %v", res.Body)
	}
	demotest.Expect(t, "refresh token on an access route", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(refresh)), 401, "Only access tokens are allowed")
	clock.Advance(15 * time.Minute)
	demotest.Expect(t, "expired", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(access)), 401, "Signature has expired")
}
