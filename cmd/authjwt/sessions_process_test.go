package main

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sessionRow is one entry of GET /sessions.
type sessionRow struct {
	ID         string `json:"id"`
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at"`
	UserAgent  string `json:"user_agent"`
	ClientIP   string `json:"client_ip"`
	Current    bool   `json:"current"`
}

// sessions lists the sessions of token's subject through p.
func (p *serveProc) sessions(t *testing.T, token string) []sessionRow {
	t.Helper()
	r := p.do(req{method: "GET", path: "/sessions", token: token})
	r.expect(t, "GET /sessions on "+p.base, 200, "")
	var body struct {
		Sessions []sessionRow `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(r.raw), &body); err != nil || body.Sessions == nil {
		t.Fatalf("GET /sessions on %s: body %s: %v", p.base, r.raw, err)
	}
	for _, s := range body.Sessions {
		for _, ts := range []string{s.CreatedAt, s.LastUsedAt} {
			if _, err := time.Parse(time.RFC3339, ts); err != nil {
				t.Fatalf("GET /sessions: time %q is not RFC 3339: %s", ts, r.raw)
			}
		}
	}
	return body.Sessions
}

// loginUA logs user in through p with a User-Agent of its own.
func (p *serveProc) loginUA(t *testing.T, user, pw, ua string) (access, refresh string) {
	t.Helper()
	r := p.do(req{method: "POST", path: "/login", body: `{"username":"` + user + `","password":"` + pw + `"}`, header: map[string]string{"User-Agent": ua}})
	r.expect(t, "login "+user+" on "+p.base, 200, "")
	return r.str(t, "access_token"), r.str(t, "refresh_token")
}

// familyOf returns the family id ("aid") a token carries: its session's
// id.
func familyOf(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Aid string `json:"aid"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.Aid == "" {
		t.Fatalf("token without a family id: %s (%v)", payload, err)
	}
	return c.Aid
}

func rowIDs(rows []sessionRow) []string {
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	return ids
}

// agree lists the sessions of token's subject through every instance and
// fails unless the lists are equal and hold exactly want (ids, newest
// first), with current marking the presenting token's session.
func agree(t *testing.T, what, token string, want []string, procs ...*serveProc) []sessionRow {
	t.Helper()
	var first []sessionRow
	for i, p := range procs {
		rows := p.sessions(t, token)
		if got := rowIDs(rows); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %s lists %v, want %v", what, p.base, got, want)
		}
		cur := familyOf(t, token)
		for _, r := range rows {
			if r.Current != (r.ID == cur) {
				t.Fatalf("%s: %s marks %s current = %v; the token's session is %s", what, p.base, r.ID, r.Current, cur)
			}
		}
		if i == 0 {
			first = rows
		} else if !reflect.DeepEqual(rows, first) {
			t.Fatalf("%s: the instances disagree:\n%s: %+v\n%s: %+v", what, procs[0].base, first, p.base, rows)
		}
	}
	return first
}

// TestSessionsMultiInstance runs two server processes on one shared store
// (Redis, PostgreSQL), as a deployment behind a load balancer does: they
// list the same sessions, a session ended through one is refused by the
// other (on the next request with direct reads; within the staleness
// bound with the revocation replica on, where the server has it), "end
// the others" and "log out everywhere" hold on both, and no instance
// reaches another subject's session.
func TestSessionsMultiInstance(t *testing.T) {
	t.Parallel()
	stores := []struct {
		name string
		url  func(*testing.T) string
	}{
		{"redis", sharedRedisURL},
		{"postgres", sharedPostgresURL},
	}
	modes := []struct {
		name  string
		bound time.Duration
	}{{"direct", 0}}
	if replicaKnown() {
		modes = append(modes, struct {
			name  string
			bound time.Duration
		}{"replica", replicaBound})
	}
	for _, st := range stores {
		for _, mode := range modes {
			t.Run(st.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				url := st.url(t)
				sessionsOnTwo(t, url, storeBound(t, mode.bound, url))
			})
		}
	}
}

// refusedBy checks that p refuses token on method path as revoked: at
// once when bound is 0 (every check reads the store), else by the time
// bound has passed since endedAt (a request sent later than that and
// accepted fails the test).
func refusedBy(t *testing.T, what string, p *serveProc, method, path, token string, endedAt time.Time, bound time.Duration) {
	t.Helper()
	if bound == 0 {
		p.do(req{method: method, path: path, token: token}).expect(t, what, 401, "Token has been revoked")
		return
	}
	for {
		sent := time.Now()
		r := p.do(req{method: method, path: path, token: token})
		switch {
		case r.status == 401 && r.body["detail"] == "Token has been revoked":
			t.Logf("%s: refused %v after the session ended", what, sent.Sub(endedAt).Round(time.Millisecond))
			return
		case r.status == 200 && sent.Sub(endedAt) > bound:
			t.Fatalf("%s: %s accepted it %v after the session ended (bound %v)", what, p.base, sent.Sub(endedAt).Round(time.Millisecond), bound)
		case r.status != 200 && r.status != 503:
			t.Fatalf("%s: %d %s", what, r.status, r.raw)
		}
		if time.Since(endedAt) > 10*time.Second {
			t.Fatalf("%s: still not refused 10 s after the session ended: %d %s", what, r.status, r.raw)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sessionsOnTwo is TestSessionsMultiInstance on the store at url, with
// the replica's staleness bound (0: direct reads).
func sessionsOnTwo(t *testing.T, url string, bound time.Duration) {
	a, b := startServe(t, replicaEnv(url, bound, nil)...), startServe(t, replicaEnv(url, bound, nil)...)

	// Three devices of alice, logging in through either instance.
	laptop, laptopRT := a.loginUA(t, "alice", "secret", "laptop/1.0")
	phone, phoneRT := b.loginUA(t, "alice", "secret", "phone/2.0")
	tablet, _ := a.loginUA(t, "alice", "secret", "tablet/3.0")
	bobAT, _ := b.loginUA(t, "bob", "hunter2", "bob/1.0")
	idL, idP, idT := familyOf(t, laptop), familyOf(t, phone), familyOf(t, tablet)

	rows := agree(t, "three logins", laptop, []string{idT, idP, idL}, a, b)
	for i, ua := range []string{"tablet/3.0", "phone/2.0", "laptop/1.0"} {
		if rows[i].UserAgent != ua || rows[i].ClientIP != "127.0.0.1" {
			t.Errorf("session %s: user agent %q, client %q; want %q from 127.0.0.1", rows[i].ID, rows[i].UserAgent, rows[i].ClientIP, ua)
		}
	}
	agree(t, "seen by the phone", phone, []string{idT, idP, idL}, b, a)
	agree(t, "bob's", bobAT, []string{familyOf(t, bobAT)}, a, b)

	t.Run("a refresh on one is the last use on both", func(t *testing.T) {
		time.Sleep(20 * time.Millisecond)
		b.do(req{method: "POST", path: "/refresh", token: laptopRT}).expect(t, "refresh", 200, "")
		rows := agree(t, "after a refresh", laptop, []string{idT, idP, idL}, a, b)
		created, _ := time.Parse(time.RFC3339, rows[2].CreatedAt)
		used, _ := time.Parse(time.RFC3339, rows[2].LastUsedAt)
		if !used.After(created) {
			t.Errorf("the refreshed session: last used %s, created %s", rows[2].LastUsedAt, rows[2].CreatedAt)
		}
		if rows[1].LastUsedAt != rows[1].CreatedAt {
			t.Errorf("a session never refreshed: last used %s, created %s", rows[1].LastUsedAt, rows[1].CreatedAt)
		}
	})

	t.Run("another subject's session is not found", func(t *testing.T) {
		for _, p := range []*serveProc{a, b} {
			for _, id := range []string{idP, idP + "x", "00000000-0000-7000-8000-000000000000", strings.Repeat("a", 300)} {
				r := p.do(req{method: "DELETE", path: "/sessions/" + id, token: bobAT})
				r.expect(t, "bob ends "+id, 404, "Session not found")
				if r.body["code"] != "session_not_found" {
					t.Fatalf("bob ends %s: code %v", id, r.body["code"])
				}
			}
		}
		b.do(req{method: "GET", path: "/protected", token: phone}).expect(t, "the phone after bob's attempts", 200, "")
	})

	t.Run("a session ended on one is refused on the other", func(t *testing.T) {
		a.do(req{method: "DELETE", path: "/sessions/" + idP, token: laptop}).expect(t, "the laptop ends the phone's session", 200, "Session ended")
		ended := time.Now()
		refusedBy(t, "the phone's access token on the other instance", b, "GET", "/protected", phone, ended, bound)
		refusedBy(t, "the phone's refresh token on the other instance", b, "POST", "/refresh", phoneRT, ended, bound)
		b.do(req{method: "DELETE", path: "/sessions/" + idP, token: laptop}).expect(t, "ending it again on the other", 404, "Session not found")
		agree(t, "after ending the phone's", laptop, []string{idT, idL}, b, a)
		a.do(req{method: "GET", path: "/protected", token: tablet}).expect(t, "the tablet", 200, "")
	})

	t.Run("end the others on one, refused on the other", func(t *testing.T) {
		phone2, _ := a.loginUA(t, "alice", "secret", "phone/2.1")
		agree(t, "the phone again", laptop, []string{familyOf(t, phone2), idT, idL}, a, b)
		b.do(req{method: "POST", path: "/logout-others", token: laptop}).expect(t, "logout-others", 200, "Other sessions ended")
		ended := time.Now()
		for _, tok := range []string{tablet, phone2} {
			refusedBy(t, "another session after logout-others", a, "GET", "/protected", tok, ended, bound)
		}
		a.do(req{method: "GET", path: "/protected", token: laptop}).expect(t, "the session that ended the others", 200, "")
		agree(t, "after logout-others", laptop, []string{idL}, a, b)
		agree(t, "bob's, untouched", bobAT, []string{familyOf(t, bobAT)}, b, a)
	})

	t.Run("log out everywhere, then a login in the same second", func(t *testing.T) {
		a.do(req{method: "POST", path: "/logout-all", token: laptop}).expect(t, "logout-all", 200, "Logged out everywhere")
		ended := time.Now()
		again, _ := b.loginUA(t, "alice", "secret", "laptop/1.0")
		a.do(req{method: "GET", path: "/protected", token: again}).expect(t, "a login right after logout-all, on the other instance", 200, "")
		refusedBy(t, "the old session", b, "GET", "/protected", laptop, ended, bound)
		agree(t, "after logout-all and a new login", again, []string{familyOf(t, again)}, a, b)
	})
}
