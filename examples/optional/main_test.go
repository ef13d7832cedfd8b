package main

import (
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
)

func TestOptional(t *testing.T) {
	clock := authjwttest.NewClock(authjwttest.Epoch)
	app, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	res := demotest.Call(t, app, "GET", "/partially-protected", nil)
	demotest.Expect(t, "anonymous", res, 200, "")
	if v, ok := res.Body["user"]; !ok || v != nil {
		t.Fatalf("anonymous body %v", res.Body)
	}
	access := demotest.Call(t, app, "POST", "/login", demotest.Login).Str("access_token")
	res = demotest.Call(t, app, "GET", "/partially-protected", nil, demotest.Bearer(access))
	if res.StatusCode != 200 || res.Str("user") != "alice" {
		t.Fatalf("logged in: %d %v", res.StatusCode, res.Body)
	}
	demotest.Expect(t, "garbage token", demotest.Call(t, app, "GET", "/partially-protected", nil, demotest.Bearer("not.a.jwt")), 401, "Invalid token")
	clock.Advance(time.Hour)
	demotest.Expect(t, "expired token is not anonymous", demotest.Call(t, app, "GET", "/partially-protected", nil, demotest.Bearer(access)), 401, "Signature has expired")
}
