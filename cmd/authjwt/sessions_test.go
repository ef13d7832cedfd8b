package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// sessionList is GET /sessions as the holder of access sees it.
type sessionList []map[string]any

func listSessions(t *testing.T, do func(req) response, access string) sessionList {
	t.Helper()
	r := do(req{method: "GET", path: "/sessions", token: access})
	r.expect(t, "GET /sessions", 200, "")
	raw, ok := r.body["sessions"].([]any)
	if !ok {
		t.Fatalf("GET /sessions: %s, want {\"sessions\": [...]}", r.raw)
	}
	out := sessionList{}
	for _, s := range raw {
		m, ok := s.(map[string]any)
		if !ok {
			t.Fatalf("GET /sessions: entry %v is not an object", s)
		}
		for _, k := range []string{"id", "created_at", "last_used_at", "user_agent", "client_ip", "current"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("GET /sessions: entry %v lacks %q", m, k)
			}
		}
		for _, k := range []string{"created_at", "last_used_at"} {
			if _, err := time.Parse(time.RFC3339, m[k].(string)); err != nil {
				t.Fatalf("GET /sessions: %s %q is not RFC 3339: %v", k, m[k], err)
			}
		}
		out = append(out, m)
	}
	return out
}

func (l sessionList) ids() []string {
	var ids []string
	for _, s := range l {
		ids = append(ids, s["id"].(string))
	}
	return ids
}

func (l sessionList) current() string {
	cur := ""
	for _, s := range l {
		if s["current"] == true {
			if cur != "" {
				return "two current sessions"
			}
			cur = s["id"].(string)
		}
	}
	return cur
}

// loginAs logs in with a user agent and returns the pair.
func loginAs(t *testing.T, do func(req) response, user, pw, ua string) (access, refresh string) {
	t.Helper()
	r := do(req{method: "POST", path: "/login", body: `{"username":"` + user + `","password":"` + pw + `"}`, header: map[string]string{"User-Agent": ua}})
	r.expect(t, "login "+user, 200, "")
	return r.str(t, "access_token"), r.str(t, "refresh_token")
}

// TestSessionRoutes walks the spec's "Sessions" section on one server:
// list, end one (own subject only), end the others, log out everywhere
// and log in again within the same second.
func TestSessionRoutes(t *testing.T) {
	clk := newClock()
	clk.Tick(time.Millisecond)
	ts := startServer(t, authConfig(t, "HS256", clk), clk)
	do := ts.do
	a1, r1 := loginAs(t, do, "alice", "secret", "Phone/1")
	a2, r2 := loginAs(t, do, "alice", "secret", "Laptop/2")
	ab, _ := loginAs(t, do, "bob", "hunter2", "Bob/1")

	l := listSessions(t, do, a2)
	if len(l) != 2 || l[0]["user_agent"] != "Laptop/2" || l[1]["user_agent"] != "Phone/1" {
		t.Fatalf("alice's sessions %v, want Laptop/2 then Phone/1", l)
	}
	if l[0]["client_ip"] != "127.0.0.1" {
		t.Fatalf("client_ip %v, want 127.0.0.1", l[0]["client_ip"])
	}
	if l.current() != l[0]["id"] {
		t.Fatalf("current %q, want %v", l.current(), l[0]["id"])
	}
	if c := listSessions(t, do, a1).current(); c != l[1]["id"] {
		t.Fatalf("from the other session, current %q, want %v", c, l[1]["id"])
	}
	phone := l[1]["id"].(string)
	bobs := listSessions(t, do, ab)
	if len(bobs) != 1 {
		t.Fatalf("bob's sessions %v", bobs)
	}
	bobID := bobs[0]["id"].(string)

	// Another subject's session, guesses, and ids that cannot be one: 404
	// session_not_found, and nothing ends.
	for _, id := range []string{bobID, phone + "x", strings.ToUpper(phone), "00000000-0000-4000-8000-000000000000", "%2e%2e", strings.Repeat("a", 300)} {
		r := do(req{method: "DELETE", path: "/sessions/" + id, token: a2})
		r.expect(t, "DELETE /sessions/"+id, 404, "Session not found")
		if r.body["code"] != "session_not_found" {
			t.Fatalf("DELETE /sessions/%s: code %v", id, r.body["code"])
		}
	}
	do(req{method: "DELETE", path: "/sessions/" + phone, token: ab}).expect(t, "bob ending alice's session", 404, "Session not found")
	do(req{method: "GET", path: "/protected", token: ab}).expect(t, "bob's session after the attempts", 200, "")
	do(req{method: "GET", path: "/protected", token: a1}).expect(t, "alice's phone after bob's attempt", 200, "")

	// End the phone from the laptop.
	do(req{method: "DELETE", path: "/sessions/" + phone, token: a2}).expect(t, "ending the phone", 200, "Session ended")
	do(req{method: "GET", path: "/protected", token: a1}).expect(t, "the phone's access token", 401, "Token has been revoked")
	do(req{method: "POST", path: "/refresh", token: r1}).expect(t, "the phone's refresh token", 401, "Token has been revoked")
	do(req{method: "GET", path: "/protected", token: a2}).expect(t, "the laptop", 200, "")
	if ids := listSessions(t, do, a2).ids(); len(ids) != 1 || ids[0] == phone {
		t.Fatalf("after ending the phone: %v", ids)
	}
	do(req{method: "DELETE", path: "/sessions/" + phone, token: a2}).expect(t, "ending it again", 404, "Session not found")

	// A refresh moves last_used_at.
	before := listSessions(t, do, a2)[0]["last_used_at"]
	clk.Advance(2 * time.Minute)
	do(req{method: "POST", path: "/refresh", token: r2}).expect(t, "laptop refresh", 200, "")
	if after := listSessions(t, do, a2)[0]["last_used_at"]; after == before {
		t.Fatalf("last_used_at %v unchanged by a refresh", after)
	}

	// Three more logins; /logout-others keeps only the laptop.
	var others []string
	for i := range 3 {
		at, _ := loginAs(t, do, "alice", "secret", "Other/"+string(rune('a'+i)))
		others = append(others, at)
	}
	if n := len(listSessions(t, do, a2)); n != 4 {
		t.Fatalf("%d sessions, want 4", n)
	}
	do(req{method: "POST", path: "/logout-others", token: a2}).expect(t, "logout-others", 200, "Other sessions ended")
	for _, at := range others {
		do(req{method: "GET", path: "/protected", token: at}).expect(t, "another session after logout-others", 401, "Token has been revoked")
	}
	do(req{method: "GET", path: "/protected", token: a2}).expect(t, "the laptop after logout-others", 200, "")
	if l := listSessions(t, do, a2); len(l) != 1 || l.current() != l[0]["id"] {
		t.Fatalf("after logout-others: %v", l)
	}
	do(req{method: "GET", path: "/protected", token: ab}).expect(t, "bob after alice's logout-others", 200, "")

	// /logout-all, then a login at once: the new pair works, and is the
	// only session.
	do(req{method: "POST", path: "/logout-all", token: a2}).expect(t, "logout-all", 200, "Logged out everywhere")
	do(req{method: "GET", path: "/protected", token: a2}).expect(t, "the laptop after logout-all", 401, "Token has been revoked")
	n1, _ := loginAs(t, do, "alice", "secret", "New/1")
	do(req{method: "GET", path: "/protected", token: n1}).expect(t, "a login right after logout-all", 200, "")
	if l := listSessions(t, do, n1); len(l) != 1 || l.current() != l[0]["id"] || l[0]["user_agent"] != "New/1" {
		t.Fatalf("after logout-all and a login: %v", l)
	}
	// /logout ends the session too.
	do(req{method: "DELETE", path: "/logout", token: n1}).expect(t, "logout", 200, "Logged out")
	n2, _ := loginAs(t, do, "alice", "secret", "New/2")
	if l := listSessions(t, do, n2); len(l) != 1 || l[0]["user_agent"] != "New/2" {
		t.Fatalf("after logout and a login: %v", l)
	}
	// Ending its own session.
	own := listSessions(t, do, n2)[0]["id"].(string)
	do(req{method: "DELETE", path: "/sessions/" + own, token: n2}).expect(t, "ending its own session", 200, "Session ended")
	do(req{method: "GET", path: "/sessions", token: n2}).expect(t, "listing with the ended session's token", 401, "Token has been revoked")
}

// TestSessionRoutesCookieMode: the routes under cookie mode, with the
// CSRF header on the unsafe methods.
func TestSessionRoutesCookieMode(t *testing.T) {
	clk := newClock()
	clk.Tick(time.Millisecond)
	cfg := authConfig(t, "HS256", clk)
	cfg.TokenLocation = []string{"cookies"}
	cfg.Cookies.Insecure = true
	ts := startServer(t, cfg, clk)
	login := func(ua string) (cookies map[string]string, jar []*http.Cookie) {
		r := ts.do(req{method: "POST", path: "/login", body: `{"username":"alice","password":"secret"}`, header: map[string]string{"User-Agent": ua}})
		r.expect(t, "cookie login", 200, "Logged in")
		cookies = map[string]string{}
		for _, c := range r.cookie {
			cookies[c.Name] = c.Value
			jar = append(jar, c)
		}
		return cookies, jar
	}
	c1, jar1 := login("One")
	c2, jar2 := login("Two")
	list := ts.do(req{method: "GET", path: "/sessions", cookies: jar2})
	list.expect(t, "GET /sessions with cookies", 200, "")
	ss := list.body["sessions"].([]any)
	if len(ss) != 2 || ss[0].(map[string]any)["current"] != true {
		t.Fatalf("sessions in cookie mode: %s", list.raw)
	}
	oneID := ss[1].(map[string]any)["id"].(string)
	// Without the CSRF header: refused, nothing ends.
	ts.do(req{method: "DELETE", path: "/sessions/" + oneID, cookies: jar2}).expect(t, "DELETE without CSRF", 403, "Missing CSRF Token")
	ts.do(req{method: "GET", path: "/protected", cookies: jar1}).expect(t, "session one after a refused end", 200, "")
	csrf := map[string]string{"X-CSRF-Token": c2["csrf_access"]}
	ts.do(req{method: "DELETE", path: "/sessions/" + oneID, cookies: jar2, header: csrf}).expect(t, "DELETE with CSRF", 200, "Session ended")
	ts.do(req{method: "GET", path: "/protected", cookies: jar1}).expect(t, "session one after its end", 401, "Token has been revoked")
	_ = c1
	ts.do(req{method: "POST", path: "/logout-others", cookies: jar2, header: csrf}).expect(t, "logout-others with cookies", 200, "Other sessions ended")
	ts.do(req{method: "GET", path: "/protected", cookies: jar2}).expect(t, "session two after logout-others", 200, "")
}
