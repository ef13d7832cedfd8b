package main

import (
	"testing"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
)

func TestAdditionalClaims(t *testing.T) {
	app, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	alice := demotest.Call(t, app, "POST", "/login", demotest.Login).Str("access_token")
	bob := demotest.Call(t, app, "POST", "/login", map[string]string{"username": "bob", "password": "hunter2"}).Str("access_token")

	res := demotest.Call(t, app, "GET", "/claims", nil, demotest.Bearer(alice))
	if res.StatusCode != 200 || res.Str("org") != "acme" || res.Str("sub") != "alice" || res.Str("type") != "access" {
		t.Fatalf("/claims: %d %v", res.StatusCode, res.Body)
	}
	if res := demotest.Call(t, app, "GET", "/org", nil, demotest.Bearer(bob)); res.Str("org") != "acme" {
		t.Fatalf("/org: %v", res.Body)
	}
	cases := []struct {
		name, why      string
		method, path   string
		token          string
		status         int
		detail, answer string
	}{
		{"admin", "alice has the admin role", "GET", "/admin", alice, 200, "", ""},
		{"not admin", "bob's roles are empty", "GET", "/admin", bob, 403, "Not enough permissions", ""},
		{"partner", "alice's token carries the claim", "POST", "/partner", alice, 200, "", "globex"},
		{"not partner", "omitempty left the claim out of bob's token", "POST", "/partner", bob, 403, "Missing claim: partner", ""},
	}
	for _, c := range cases {
		res := demotest.Call(t, app, c.method, c.path, nil, demotest.Bearer(c.token))
		demotest.Expect(t, c.name+" ("+c.why+")", res, c.status, c.detail)
		if c.answer != "" && res.Str("partner") != c.answer {
			t.Errorf("%s: %v", c.name, res.Body)
		}
	}
}
