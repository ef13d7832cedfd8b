package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMultiInstance runs two server processes on one store, as a
// deployment behind a load balancer does, and checks that what one
// revokes the other refuses on the next request.
func TestMultiInstance(t *testing.T) {
	t.Parallel()
	stores := []struct {
		name string
		url  func(*testing.T) string
	}{
		{"redis", sharedRedisURL},
		{"postgres", sharedPostgresURL},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			env := []string{
				"AUTHJWT_SECRET_KEY=" + testSecret,
				"AUTHJWT_DENYLIST_URL=" + st.url(t),
				"AUTHJWT_REFRESH_TOKEN_ROTATION=true",
			}
			a, b := startServe(t, env...), startServe(t, env...)

			t.Run("access-revoke through one is refused by the other", func(t *testing.T) {
				for _, pair := range [][2]*serveProc{{a, b}, {b, a}} {
					one, other := pair[0], pair[1]
					at, _ := one.login("alice", "secret")
					other.do(req{method: "GET", path: "/protected", token: at}).expect(t, "before revoking", 200, "")
					one.do(req{method: "DELETE", path: "/access-revoke", token: at}).expect(t, "access-revoke", 200, "Access token has been revoked")
					other.do(req{method: "GET", path: "/protected", token: at}).expect(t, "revoked on the other instance", 401, "Token has been revoked")
				}
			})

			t.Run("logout through one revokes the pair on the other", func(t *testing.T) {
				at, rt := b.login("alice", "secret")
				a.do(req{method: "DELETE", path: "/logout", token: at}).expect(t, "logout", 200, "Logged out")
				b.do(req{method: "GET", path: "/protected", token: at}).expect(t, "access token after logout", 401, "Token has been revoked")
				b.do(req{method: "POST", path: "/refresh", token: rt}).expect(t, "refresh token after logout", 401, "Token has been revoked")
			})

			t.Run("rotation on one, replay on the other revokes the family", func(t *testing.T) {
				_, rt0 := a.login("alice", "secret")
				r := a.do(req{method: "POST", path: "/refresh", token: rt0})
				r.expect(t, "rotation", 200, "")
				at1, rt1 := r.str(t, "access_token"), r.str(t, "refresh_token")
				if rt1 == rt0 {
					t.Fatal("rotation returned the same refresh token")
				}
				b.do(req{method: "GET", path: "/protected", token: at1}).expect(t, "rotated access token on the other instance", 200, "")
				b.do(req{method: "POST", path: "/refresh", token: rt0}).expect(t, "replay of the used refresh token", 401, "Refresh token reuse detected")
				a.do(req{method: "POST", path: "/refresh", token: rt1}).expect(t, "new refresh token after the reuse", 401, "Token has been revoked")
				b.do(req{method: "POST", path: "/refresh", token: rt1}).expect(t, "new refresh token after the reuse", 401, "Token has been revoked")
				a.do(req{method: "GET", path: "/protected", token: at1}).expect(t, "access token of the family after the reuse", 401, "Token has been revoked")
			})

			t.Run("concurrent refreshes across instances: exactly one succeeds", func(t *testing.T) {
				_, rt := a.login("alice", "secret")
				const n = 8
				statuses := make([]int, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						p := a
						if i%2 == 1 {
							p = b
						}
						statuses[i] = p.do(req{method: "POST", path: "/refresh", token: rt}).status
					})
				}
				wg.Wait()
				ok := 0
				for _, s := range statuses {
					switch s {
					case 200:
						ok++
					case 401:
					default:
						t.Fatalf("statuses %v: only 200 and 401 expected", statuses)
					}
				}
				if ok != 1 {
					t.Fatalf("statuses %v: %d successes, want exactly 1", statuses, ok)
				}
			})

			// Last: it revokes every token of bob issued until now.
			t.Run("logout-all through one refuses the subject's older tokens on the other", func(t *testing.T) {
				at1, rt1 := a.login("bob", "hunter2")
				at2, _ := b.login("bob", "hunter2")
				alice, _ := a.login("alice", "secret")
				b.do(req{method: "POST", path: "/logout-all", token: at2}).expect(t, "logout-all", 200, "Logged out everywhere")
				cutoff := time.Now().Unix()
				a.do(req{method: "GET", path: "/protected", token: at1}).expect(t, "older access token", 401, "Token has been revoked")
				a.do(req{method: "GET", path: "/protected", token: at2}).expect(t, "the token that logged out", 401, "Token has been revoked")
				a.do(req{method: "POST", path: "/refresh", token: rt1}).expect(t, "older refresh token", 401, "Token has been revoked")
				a.do(req{method: "GET", path: "/protected", token: alice}).expect(t, "another subject's token", 200, "")
				// The cutoff has one-second resolution: a token issued in a
				// later second is accepted.
				time.Sleep(time.Until(time.Unix(cutoff+1, 50e6)))
				at3, _ := b.login("bob", "hunter2")
				a.do(req{method: "GET", path: "/protected", token: at3}).expect(t, "a login after logout-all", 200, "")
			})
		})
	}
}

// TestRestart revokes tokens, restarts the server on the same persistent
// store (SQLite, PostgreSQL, and MariaDB through the mysql:// URL) and
// secret, and checks that they stay refused while the others
// still work.
func TestRestart(t *testing.T) {
	t.Parallel()
	stores := []struct {
		name string
		url  func(*testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "revocations.db") }},
		{"postgres", sharedPostgresURL},
		{"mysql", sharedMySQLURL},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			env := []string{"AUTHJWT_SECRET_KEY=" + testSecret, "AUTHJWT_DENYLIST_URL=" + st.url(t)}
			first := startServe(t, env...)
			if !first.waitStdout(", store " + st.name + "://") {
				t.Errorf("start-up lines do not name the store: %s", first.stdout.String())
			}
			revoked, _ := first.login("alice", "secret")
			loggedOut, loggedOutRefresh := first.login("alice", "secret")
			kept, keptRefresh := first.login("bob", "hunter2")
			first.do(req{method: "DELETE", path: "/access-revoke", token: revoked}).expect(t, "access-revoke", 200, "")
			first.do(req{method: "DELETE", path: "/logout", token: loggedOut}).expect(t, "logout", 200, "")
			first.stop()

			second := startServe(t, env...)
			second.do(req{method: "GET", path: "/protected", token: revoked}).expect(t, "revoked access token after restart", 401, "Token has been revoked")
			second.do(req{method: "GET", path: "/protected", token: loggedOut}).expect(t, "logged-out access token after restart", 401, "Token has been revoked")
			second.do(req{method: "POST", path: "/refresh", token: loggedOutRefresh}).expect(t, "logged-out refresh token after restart", 401, "Token has been revoked")
			second.do(req{method: "GET", path: "/protected", token: kept}).expect(t, "a token never revoked, after restart", 200, "")
			second.do(req{method: "POST", path: "/refresh", token: keptRefresh}).expect(t, "a refresh token never revoked, after restart", 200, "")
		})
	}
}

// startPrivateRedis starts a redis-server of the test's own without
// persistence (a redisNode) and waits until it answers.
func startPrivateRedis(t *testing.T) *redisNode {
	t.Helper()
	return startRedisNode(t, "--save", "", "--appendonly", "no")
}

// TestStoreFault runs the server on a Redis the test controls: while
// Redis hangs or is down, requests get 503 within about the store timeout
// (never 200, never a hang); once it is back, requests succeed again
// without restarting the server.
func TestStoreFault(t *testing.T) {
	t.Parallel()
	rd := startPrivateRedis(t)
	const storeTimeout = 300 * time.Millisecond
	srv := startServe(t,
		"AUTHJWT_SECRET_KEY="+testSecret,
		"AUTHJWT_DENYLIST_URL=redis://"+rd.addr()+"/0",
		"AUTHJWT_STORE_TIMEOUT="+storeTimeout.String(),
	)
	at, _ := srv.login("alice", "secret")
	srv.do(req{method: "GET", path: "/protected", token: at}).expect(t, "Redis up", 200, "")

	// unavailable checks that a request fails with 503 in well under 2 s.
	unavailable := func(what string, r req) {
		t.Helper()
		start := time.Now()
		res := srv.do(r)
		took := time.Since(start)
		res.expect(t, what, 503, "Revocation store unavailable")
		if res.body["code"] != "revocation_store_unavailable" {
			t.Fatalf("%s: code %v, want revocation_store_unavailable", what, res.body["code"])
		}
		if took >= 2*time.Second {
			t.Fatalf("%s: 503 after %v; the store timeout is %v", what, took, storeTimeout)
		}
		t.Logf("%s: 503 after %v", what, took.Round(time.Millisecond))
	}
	// recovers waits until /protected answers 200 again.
	recovers := func(what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			res := srv.do(req{method: "GET", path: "/protected", token: at})
			if res.status == 200 {
				return
			}
			if res.status != 503 || time.Now().After(deadline) {
				t.Fatalf("%s: /protected %d %s, want 200 again", what, res.status, res.raw)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Redis hangs (SIGSTOP): connections stay open, no answer comes; only
	// the store timeout ends the request.
	rd.signal(syscall.SIGSTOP)
	unavailable("Redis hung: /protected", req{method: "GET", path: "/protected", token: at})
	unavailable("Redis hung: /logout-all", req{method: "POST", path: "/logout-all", token: at})
	rd.signal(syscall.SIGCONT)
	recovers("Redis resumed")

	// Redis dies.
	_, bobRefresh := srv.login("bob", "hunter2")
	rd.kill()
	unavailable("Redis down: /protected", req{method: "GET", path: "/protected", token: at})
	unavailable("Redis down: /access-revoke", req{method: "DELETE", path: "/access-revoke", token: at})
	r := srv.do(req{method: "POST", path: "/refresh", token: bobRefresh})
	r.expect(t, "Redis down: /refresh", 503, "Revocation store unavailable")
	// A login starts a session in the store: without it, 503, never a
	// pair whose session no list shows.
	unavailable("Redis down: /login", req{method: "POST", path: "/login", body: `{"username":"bob","password":"hunter2"}`})
	unavailable("Redis down: /sessions", req{method: "GET", path: "/sessions", token: at})

	// Redis comes back on the same port; the same server process recovers.
	rd.start()
	recovers("Redis restarted")
	if !srv.running() {
		t.Fatal("the server exited")
	}
	srv.do(req{method: "DELETE", path: "/access-revoke", token: at}).expect(t, "revoking once Redis is back", 200, "")
	srv.do(req{method: "GET", path: "/protected", token: at}).expect(t, "revoked once Redis is back", 401, "Token has been revoked")
}

// TestServeStoreUnreachable: a store that cannot be reached at start-up
// stops serve before it listens, with status 2 and one line naming
// AUTHJWT_DENYLIST_URL, within the start-up timeout.
func TestServeStoreUnreachable(t *testing.T) {
	t.Parallel()
	closed := func(t *testing.T) string { return "127.0.0.1:" + strconv.Itoa(freePort(t)) }
	// silent accepts connections and never answers: a hung server or a
	// firewall that swallows packets.
	silent := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var conns []net.Conn
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		t.Cleanup(func() {
			ln.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		})
		return ln.Addr().String()
	}
	tests := []struct {
		name string
		url  func(t *testing.T) string
		want string
	}{
		{"Redis: connection refused", func(t *testing.T) string { return "redis://" + closed(t) + "/0" }, "cannot reach redis://"},
		{"PostgreSQL: connection refused", func(t *testing.T) string { return "postgres://postgres@" + closed(t) + "/test" }, "cannot reach postgres://"},
		{"MySQL: connection refused", func(t *testing.T) string { return "mysql://root@" + closed(t) + "/test" }, "cannot reach mysql://"},
		{"Redis: no answer, bounded by the start-up timeout", func(t *testing.T) string { return "redis://" + silent(t) + "/0" }, "cannot reach redis://"},
		{"PostgreSQL: no answer, bounded by the start-up timeout", func(t *testing.T) string { return "postgres://postgres@" + silent(t) + "/test" }, "cannot reach postgres://"},
		{"SQLite: directory missing", func(t *testing.T) string { return "sqlite://" + t.TempDir() + "/missing/r.db" }, "cannot open sqlite://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			e := newEnv([]string{"AUTHJWT_DENYLIST_URL=" + tt.url(t)}, strings.NewReader(""), &stdout, &stderr)
			start := time.Now()
			code := runServe(e, []string{"--addr", "127.0.0.1:0"})
			took := time.Since(start)
			if code != exitUsage {
				t.Fatalf("exit status %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, stdout.String(), stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "authjwt: configuration error: AUTHJWT_DENYLIST_URL: "+tt.want) {
				t.Fatalf("stderr %q: want one line starting %q", stderr.String(), "authjwt: configuration error: AUTHJWT_DENYLIST_URL: "+tt.want)
			}
			if strings.Contains(stdout.String(), "listening") {
				t.Fatalf("listened: %s", stdout.String())
			}
			if took > storeStartupTimeout+3*time.Second {
				t.Fatalf("took %v; the start-up timeout is %v", took, storeStartupTimeout)
			}
			t.Logf("%v: %s", took.Round(time.Millisecond), lines[0])
		})
	}
}
