package main

import (
	"testing"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
)

func TestMultipleFiles(t *testing.T) {
	app, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	alice := demotest.Call(t, app, "POST", "/login", demotest.Login)
	bob := demotest.Call(t, app, "POST", "/login", map[string]string{"username": "bob", "password": "hunter2"})
	demotest.Expect(t, "no token", demotest.Call(t, app, "GET", "/items", nil), 401, "Missing Authorization Header")
	res := demotest.Call(t, app, "GET", "/items", nil, demotest.Bearer(bob.Str("access_token")))
	if res.StatusCode != 200 || res.Str("user") != "bob" || len(res.Body["items"].([]any)) != 3 {
		t.Fatalf("GET /items: %d %v", res.StatusCode, res.Body)
	}
	demotest.Expect(t, "bob is no admin", demotest.Call(t, app, "POST", "/items", nil, demotest.Bearer(bob.Str("access_token"))), 403, "Not enough permissions")
	demotest.Expect(t, "alice is", demotest.Call(t, app, "POST", "/items", nil, demotest.Bearer(alice.Str("access_token"))), 201, "")
	refreshed := demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(alice.Str("refresh_token"))).Str("access_token")
	demotest.Expect(t, "roles survive a refresh", demotest.Call(t, app, "POST", "/items", nil, demotest.Bearer(refreshed)), 201, "")
}
