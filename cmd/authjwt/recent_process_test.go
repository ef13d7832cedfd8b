package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt"
)

// TestServeRecentAuthentication runs `authjwt serve` and checks RFC 9470
// recent authentication as the spec says it: /login and /fresh-login
// tokens carry the login time (auth_time), a refresh keeps it, and
// /protected-recent accepts a login at most 300 s old and refuses an older
// one (or none) with 401 authentication_too_old and max_age=300 in the
// challenge. Older logins are minted with the server's own key.
func TestServeRecentAuthentication(t *testing.T) {
	t.Parallel()
	p := startServe(t, "AUTHJWT_SECRET_KEY="+testSecret)
	before := time.Now().Unix()
	access, refresh := p.login("alice", "secret")
	after := time.Now().Unix()

	authTime := func(tok string) int64 {
		t.Helper()
		r := p.do(req{method: "GET", path: "/claims", token: tok})
		r.expect(t, "claims", 200, "")
		c, _ := r.body["claims"].(map[string]any)
		n, ok := c["auth_time"].(json.Number)
		v, err := n.Int64()
		if !ok || err != nil {
			t.Fatalf("no integer auth_time in %s", r.raw)
		}
		return v
	}
	login := authTime(access)
	if login < before || login > after {
		t.Fatalf("auth_time %v outside the login's seconds [%d, %d]", login, before, after)
	}
	p.do(req{method: "GET", path: "/protected-recent", token: access}).expect(t, "protected-recent after login", 200, "")

	// A refresh keeps the login's time: the refreshed token is no newer
	// login.
	r := p.do(req{method: "POST", path: "/refresh", token: refresh})
	r.expect(t, "refresh", 200, "")
	refreshed := r.str(t, "access_token")
	if got := authTime(refreshed); got != login {
		t.Fatalf("refreshed auth_time %v, want the login's %v", got, login)
	}
	if got := p.do(req{method: "GET", path: "/protected-recent", token: refreshed}); got.status != 200 || got.body["user"] != "alice" {
		t.Fatalf("protected-recent with a refreshed token of a recent login: %d %s", got.status, got.raw)
	}

	r = p.do(req{method: "POST", path: "/fresh-login", body: aliceBody})
	r.expect(t, "fresh-login", 200, "")
	if got := authTime(r.str(t, "access_token")); got < before {
		t.Fatalf("fresh-login auth_time %v before the test", got)
	}

	// Tokens of the server's key: a login ten minutes ago, and a token
	// that says nothing about the login.
	a, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	old, err := a.CreateAccessToken("alice", authjwt.WithFresh(true), authjwt.WithAuthTime(time.Now().Add(-10*time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	none, err := a.CreateAccessToken("alice", authjwt.WithFresh(true))
	if err != nil {
		t.Fatal(err)
	}
	edge, err := a.CreateAccessToken("alice", authjwt.WithAuthTime(time.Now().Add(-290*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	p.do(req{method: "GET", path: "/protected-recent", token: edge}).expect(t, "protected-recent, login 290 s ago", 200, "")
	for name, tok := range map[string]string{"login 10 minutes ago": old, "no auth_time": none} {
		r := p.do(req{method: "GET", path: "/protected-recent", token: tok})
		r.expect(t, "protected-recent, "+name, 401, "")
		if r.body["code"] != "authentication_too_old" {
			t.Fatalf("%s: %s, want code authentication_too_old", name, r.raw)
		}
		ch := r.header.Get("WWW-Authenticate")
		if !strings.HasPrefix(ch, `Bearer error="insufficient_user_authentication"`) || !strings.Contains(ch, ", max_age=300") {
			t.Fatalf("%s: WWW-Authenticate %q", name, ch)
		}
		// The seed's freshness is its own rule: the old login's token is
		// still fresh.
		p.do(req{method: "GET", path: "/protected-fresh", token: tok}).expect(t, "protected-fresh, "+name, 200, "")
	}
	// The OpenAPI document lists the route with its 401.
	doc := p.do(req{method: "GET", path: "/openapi.json"})
	var d struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(doc.raw), &d); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Paths["/protected-recent"]["get"].Responses["401"]; !ok {
		t.Fatalf("/openapi.json: /protected-recent without its 401: %v", d.Paths["/protected-recent"])
	}
}
