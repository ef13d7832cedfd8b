package main

import (
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
)

func TestRefresh(t *testing.T) {
	clock := authjwttest.NewClock(authjwttest.Epoch)
	app, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	login := demotest.Call(t, app, "POST", "/login", demotest.Login)
	demotest.Expect(t, "login", login, 200, "")
	access, refresh := login.Str("access_token"), login.Str("refresh_token")

	demotest.Expect(t, "access token on /refresh", demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(access)), 401, "Only refresh tokens are allowed")

	clock.Advance(20 * time.Minute)
	demotest.Expect(t, "expired access", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(access)), 401, "Signature has expired")
	res := demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(refresh))
	demotest.Expect(t, "refresh", res, 200, "")
	newAccess := res.Str("access_token")
	res = demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(newAccess))
	demotest.Expect(t, "new access token", res, 200, "")
	if res.Str("user") != "alice" {
		t.Fatalf("user %v", res.Body)
	}

	clock.Advance(14 * 24 * time.Hour)
	demotest.Expect(t, "expired refresh token", demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(refresh)), 401, "Signature has expired")
}
