package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
	"github.com/librenz/authjwt/revoke"
)

func TestSessionsChi(t *testing.T) {
	clock := authjwttest.NewClock(authjwttest.Epoch)
	store := revoke.NewMemory(revoke.WithClock(clock.Now))
	defer store.Close()
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}, Now: clock.Now}
	cfg.Revocation.Store = store
	cfg.Sessions.Enabled = true
	n := &notifier{}
	app, err := newApp(cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	device := func(ua, addr string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("User-Agent", ua); r.RemoteAddr = addr }
	}
	login := func(user, pw, ua, addr string) (string, string) {
		res := demotest.Call(t, app, "POST", "/login", map[string]string{"username": user, "password": pw}, device(ua, addr))
		demotest.Expect(t, "login", res, 200, "")
		return res.Str("access_token"), res.Str("refresh_token")
	}
	list := func(token string) []map[string]any {
		res := demotest.Call(t, app, "GET", "/account/sessions", nil, demotest.Bearer(token))
		demotest.Expect(t, "sessions", res, 200, "")
		var out []map[string]any
		for _, s := range res.Body["sessions"].([]any) {
			out = append(out, s.(map[string]any))
		}
		return out
	}
	call := func(method, path, token string) demotest.Response {
		return demotest.Call(t, app, method, path, nil, demotest.Bearer(token))
	}

	phone, _ := login("alice", "secret", "Phone", "192.0.2.10:4000")
	clock.Advance(time.Second)
	laptop, laptopRefresh := login("alice", "secret", "Laptop", "198.51.100.7:5000")
	bob, _ := login("bob", "hunter2", "Bob's PC", "203.0.113.1:1")
	if got := n.messages(); len(got) != 3 || !strings.Contains(got[0], "from Phone at 192.0.2.10") {
		t.Fatalf("sign-in notices %q", got)
	}

	ss := list(laptop)
	if len(ss) != 2 || ss[0]["user_agent"] != "Laptop" || ss[0]["current"] != true || ss[1]["user_agent"] != "Phone" || ss[1]["client_ip"] != "192.0.2.10" {
		t.Fatalf("alice's sessions %v", ss)
	}
	phoneID := ss[1]["id"].(string)
	bobID := list(bob)[0]["id"].(string)

	// Only her own: bob's id is not found, and bob stays signed in.
	demotest.Expect(t, "ending bob's session as alice", call("DELETE", "/account/sessions/"+bobID, laptop), 404, "Session not found")
	demotest.Expect(t, "bob", call("GET", "/me", bob), 200, "")

	demotest.Expect(t, "sign out the phone", call("DELETE", "/account/sessions/"+phoneID, laptop), 200, "Session ended")
	demotest.Expect(t, "the phone is signed out", call("GET", "/me", phone), 401, "Token has been revoked")
	demotest.Expect(t, "the laptop refreshes", demotest.Call(t, app, "POST", "/refresh", nil, demotest.Bearer(laptopRefresh)), 200, "")

	tablet, _ := login("alice", "secret", "Tablet", "192.0.2.11:1")
	demotest.Expect(t, "sign out the others", call("POST", "/account/sessions/end-others", laptop), 200, "Other sessions ended")
	demotest.Expect(t, "the tablet is signed out", call("GET", "/me", tablet), 401, "Token has been revoked")
	if ss := list(laptop); len(ss) != 1 || ss[0]["current"] != true {
		t.Fatalf("after ending the others: %v", ss)
	}

	// The administrator's path: alice (an admin) ends bob's session; bob
	// cannot list hers.
	demotest.Expect(t, "bob on the admin route", call("GET", "/admin/users/alice/sessions/", bob), 403, "Not enough permissions")
	res := call("GET", "/admin/users/bob/sessions/", laptop)
	demotest.Expect(t, "admin lists bob's", res, 200, "")
	if got := res.Body["sessions"].([]any); len(got) != 1 || got[0].(map[string]any)["current"] != false {
		t.Fatalf("bob's sessions as the admin sees them: %v", got)
	}
	demotest.Expect(t, "admin ends bob's", call("DELETE", "/admin/users/bob/sessions/"+bobID, laptop), 200, "Session ended")
	demotest.Expect(t, "bob is signed out", call("GET", "/me", bob), 401, "Token has been revoked")

	// Everywhere, then a new login at once.
	demotest.Expect(t, "sign out everywhere", call("POST", "/account/sessions/end-all", laptop), 200, "Signed out everywhere")
	demotest.Expect(t, "the laptop too", call("GET", "/me", laptop), 401, "Token has been revoked")
	clock.Advance(time.Millisecond) // the test clock stands still otherwise; a real one moves by itself
	again, _ := login("alice", "secret", "Laptop", "198.51.100.7:5000")
	demotest.Expect(t, "a login right after", call("GET", "/me", again), 200, "")
	if ss := list(again); len(ss) != 1 {
		t.Fatalf("after signing out everywhere and in again: %v", ss)
	}
	demotest.Expect(t, "log out", call("DELETE", "/logout", again), 200, "Logged out")

	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "/account/sessions/end-others") {
		t.Fatalf("GET /: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}
