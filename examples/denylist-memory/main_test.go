package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
	"github.com/librenz/authjwt/revoke"
)

func TestDenylistMemory(t *testing.T) {
	clock := authjwttest.NewClock(authjwttest.Epoch)
	store := revoke.NewMemory(revoke.WithClock(clock.Now))
	defer store.Close()
	app, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}, Now: clock.Now, Revocation: authjwt.RevocationConfig{Enabled: true, Store: store}})
	if err != nil {
		t.Fatal(err)
	}
	login := func() (string, string) {
		res := demotest.Call(t, app, "POST", "/login", demotest.Login)
		return res.Str("access_token"), res.Str("refresh_token")
	}

	a1, r1 := login()
	demotest.Expect(t, "revoke access", demotest.Call(t, app, "DELETE", "/access-revoke", nil, demotest.Bearer(a1)), 200, "Access token has been revoked")
	demotest.Expect(t, "revoked access", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(a1)), 401, "Token has been revoked")
	demotest.Expect(t, "its refresh token still works", demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(r1)), 200, "")
	demotest.Expect(t, "revoke refresh", demotest.Call(t, app, "DELETE", "/refresh-revoke", nil, demotest.Bearer(r1)), 200, "Refresh token has been revoked")
	demotest.Expect(t, "revoked refresh", demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(r1)), 401, "Token has been revoked")

	a2, r2 := login()
	a2b := demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(r2)).Str("access_token")
	a3, _ := login() // another device
	demotest.Expect(t, "logout", demotest.Call(t, app, "DELETE", "/logout", nil, demotest.Bearer(a2)), 200, "Logged out")
	demotest.Expect(t, "logout revokes the refresh token", demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(r2)), 401, "Token has been revoked")
	demotest.Expect(t, "and tokens refreshed from it", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(a2b)), 401, "Token has been revoked")
	demotest.Expect(t, "other sessions survive", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(a3)), 200, "")

	a4, r4 := login()
	demotest.Expect(t, "logout everywhere", demotest.Call(t, app, "POST", "/logout-all", nil, demotest.Bearer(a4)), 200, "Logged out everywhere")
	demotest.Expect(t, "other device after logout-all", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(a3)), 401, "Token has been revoked")
	demotest.Expect(t, "refresh after logout-all", demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(r4)), 401, "Token has been revoked")
	clock.Advance(time.Second)
	a5, _ := login()
	demotest.Expect(t, "a later login works", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(a5)), 200, "")

	// A failing store fails closed: 503, on the guarded route and on revocation.
	broken := revoke.Func(func(context.Context, revoke.Query) (bool, error) { return false, errors.New("down") })
	app2, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}, Now: clock.Now, Revocation: authjwt.RevocationConfig{Enabled: true, Store: broken}})
	if err != nil {
		t.Fatal(err)
	}
	demotest.Expect(t, "store down", demotest.Call(t, app2, "GET", "/protected", nil, demotest.Bearer(a5)), 503, "Revocation store unavailable")
}
