package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const aliceBody = `{"username":"alice","password":"secret"}`

// TestServeLoginCSRF: in cookie mode, /login and /fresh-login set auth
// cookies, so a cross-origin request (a no-cors fetch or a form from
// another site, carrying the attacker's credentials) is refused with 403
// before anything is set, by the check every cookie request gets.
func TestServeLoginCSRF(t *testing.T) {
	t.Parallel()
	p := startServe(t, "AUTHJWT_TOKEN_LOCATION=cookies", "AUTHJWT_COOKIE_SECURE=false")
	crossSite := map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Origin": "http://evil.example"}
	for _, c := range []struct {
		name   string
		path   string
		ctype  string
		header map[string]string
		status int
	}{
		{"no-cors fetch without Content-Type", "/login", "-", crossSite, 403},
		{"cross-site form", "/login", "application/x-www-form-urlencoded", crossSite, 403},
		{"old browser: foreign Origin only", "/login", "-", map[string]string{"Origin": "http://evil.example"}, 403},
		{"same-site is another origin", "/login", "", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"fresh-login cross-site", "/fresh-login", "-", crossSite, 403},
		{"same-origin page", "/login", "", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"same-origin fresh-login", "/fresh-login", "", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"not a browser (no Origin, no Fetch Metadata)", "/login", "", nil, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := p.do(req{method: "POST", path: c.path, body: aliceBody, ctype: c.ctype, header: c.header})
			if c.status == 403 {
				r.expect(t, c.name, 403, "Cross-origin request refused")
				if r.body["code"] != "cross_origin_request" || len(r.cookie) != 0 {
					t.Fatalf("code %v, cookies %v: want cross_origin_request and no cookie", r.body["code"], r.cookie)
				}
				return
			}
			r.expect(t, c.name, c.status, "Logged in")
			if len(r.cookie) == 0 {
				t.Fatalf("no cookie set: %v", r.header)
			}
		})
	}
}

// hiddenLen hides a body's length, so the client sends it chunked.
type hiddenLen struct{ io.Reader }

// TestServeErrorBodiesAreJSON: a header over the server's limit and a
// login body over its limit (announced or chunked, wherever the limit is
// reached) answer with the spec's JSON error body, 431 and 413; neither
// is net/http's plain text nor a 422.
func TestServeErrorBodiesAreJSON(t *testing.T) {
	t.Parallel()
	p := startServe(t)
	big := strings.Repeat("a", 70<<10)
	for _, c := range []struct {
		name, method, path string
		header             map[string]string
		status             int
		code               string
	}{
		{"70 KB header on /healthz", "GET", "/healthz", map[string]string{"X-Big": big}, 431, "request_header_too_large"},
		{"70 KB header on /login", "POST", "/login", map[string]string{"X-Big": big}, 431, "request_header_too_large"},
		{"70 KB header on an unknown route", "GET", "/nowhere", map[string]string{"X-Big": big}, 431, "request_header_too_large"},
		{"many headers adding up", "GET", "/healthz", manyHeaders(80, 1<<10), 431, "request_header_too_large"},
		{"60 KB header is within the limit", "GET", "/healthz", map[string]string{"X-Big": big[:60<<10]}, 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := p.do(req{method: c.method, path: c.path, header: c.header})
			if c.status == 200 {
				r.expect(t, c.name, 200, "")
				return
			}
			r.expect(t, c.name, c.status, "")
			if r.body["code"] != c.code || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("code %v, Content-Type %q, want %s in JSON", r.body["code"], r.header.Get("Content-Type"), c.code)
			}
		})
	}

	obj := `{"username":"alice","password":"secret"}`
	for _, c := range []struct {
		name    string
		body    string
		chunked bool
	}{
		{"a huge value", `{"username":"` + big + `","password":"x"}`, false},
		{"whitespace after the object", obj + strings.Repeat(" ", 70<<10), false},
		{"data after the object", obj + big, false},
		{"chunked: whitespace after the object", obj + strings.Repeat(" ", 70<<10), true},
		{"chunked: a huge value", `{"username":"` + big + `","password":"x"}`, true},
		{"chunked: whitespace before the object", strings.Repeat(" ", 70<<10) + obj, true},
	} {
		t.Run("login body: "+c.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(c.body)
			if c.chunked {
				body = hiddenLen{body}
			}
			hr, err := http.NewRequest("POST", p.base+"/login", body)
			if err != nil {
				t.Fatal(err)
			}
			hr.Header.Set("Content-Type", "application/json")
			res, err := p.client.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			var e struct{ Detail, Code string }
			if res.StatusCode != 413 || json.Unmarshal(b, &e) != nil || e.Code != "request_too_large" {
				t.Fatalf("%d %s, want 413 request_too_large", res.StatusCode, b)
			}
			if c.chunked != (hr.ContentLength <= 0) {
				t.Fatalf("chunked %v but ContentLength %d", c.chunked, hr.ContentLength)
			}
		})
	}
}

// TestServeMalformedRequestsAreJSON sends, over a raw connection, the
// requests net/http refuses by itself before any handler runs, and
// checks that each answer is the spec's JSON error body; a good request
// on a connection, then a malformed one, gets 200 then the JSON error.
func TestServeMalformedRequestsAreJSON(t *testing.T) {
	t.Parallel()
	p := startServe(t)
	addr := strings.TrimPrefix(p.base, "http://")
	for _, c := range []struct {
		name, raw string
		status    int
		code      string
	}{
		{"no Host", "GET /healthz HTTP/1.1\r\n\r\n", 400, "bad_request"},
		{"malformed header line", "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, "bad_request"},
		{"malformed URI", "GET %zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
		{"two Content-Lengths", "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", 400, "bad_request"},
		{"unknown HTTP version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"},
		{"unknown transfer coding", "POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "not_implemented"},
		{"header over net/http's own limit", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 300<<10) + "\r\n\r\n", 431, "request_header_too_large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(conn)
			// A request that parses first: the rewrite is per answer,
			// not per connection.
			if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"+c.raw); err != nil {
				t.Fatal(err)
			}
			for i, want := range []int{200, c.status} {
				res, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("answer %d: %v", i, err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				var e struct{ Detail, Code string }
				if res.StatusCode != want || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &e) != nil {
					t.Fatalf("answer %d: %d %q %s, want %d in JSON", i, res.StatusCode, res.Header.Get("Content-Type"), body, want)
				}
				if i == 1 && (e.Code != c.code || e.Detail == "") {
					t.Fatalf("%s, want code %s and a detail", body, c.code)
				}
			}
		})
	}
	// A hijacked connection (the WebSocket) passes through as it is,
	// even a message that reads like one of net/http's answers.
	t.Run("WebSocket echo untouched", func(t *testing.T) {
		at, _ := p.login("alice", "secret")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws?token="+at, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if _, msg, err := c.Read(ctx); err != nil || string(msg) != "Successful Login!" {
			t.Fatalf("greeting %q, %v", msg, err)
		}
		lookalike := "HTTP/1.1 400 Bad Request" + netHTTPErrorHeaders + "400 Bad Request"
		if err := c.Write(ctx, websocket.MessageText, []byte(lookalike)); err != nil {
			t.Fatal(err)
		}
		if _, msg, err := c.Read(ctx); err != nil || string(msg) != lookalike {
			t.Fatalf("echo %q, %v", msg, err)
		}
	})
}

func manyHeaders(n, size int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("X-H%d", i)] = strings.Repeat("v", size)
	}
	return m
}

// TestServeUnenforcedRevocation: no route reports a revocation the
// configuration does not enforce. With the denylist off, the revocation
// routes answer 501 revocation_disabled and /logout still unsets every
// auth cookie, answering 200 {"detail":"Logged out","revoked":false}
// (it was 503 with the cookies kept). With AUTHJWT_DENYLIST_TOKEN_CHECKS
// leaving a type out (on the shared Redis), revoking a token of that type
// is 501 and the token is not said to be revoked; the checked type's
// revocation works as before.
func TestServeUnenforcedRevocation(t *testing.T) {
	t.Parallel()
	t.Run("denylist off, cookie mode", func(t *testing.T) {
		t.Parallel()
		p := startServe(t, "AUTHJWT_DENYLIST_ENABLED=false", "AUTHJWT_TOKEN_LOCATION=headers,cookies", "AUTHJWT_COOKIE_SECURE=false")
		login := p.do(req{method: "POST", path: "/login", body: aliceBody})
		login.expect(t, "login", 200, "")
		access, refresh := login.str(t, "access_token"), login.str(t, "refresh_token")
		for _, r := range []req{
			{method: "DELETE", path: "/access-revoke", token: access},
			{method: "DELETE", path: "/refresh-revoke", token: refresh},
			{method: "POST", path: "/logout-all", token: access},
		} {
			res := p.do(r)
			res.expect(t, r.path, 501, "")
			if res.body["code"] != "revocation_disabled" {
				t.Fatalf("%s: %s, want code revocation_disabled", r.path, res.raw)
			}
		}
		var csrf string
		for _, c := range login.cookie {
			if c.Name == "csrf_access" {
				csrf = c.Value
			}
		}
		out := p.do(req{method: "DELETE", path: "/logout", cookies: login.cookie, header: map[string]string{"X-CSRF-Token": csrf}})
		out.expect(t, "logout", 200, "Logged out")
		if out.body["revoked"] != false {
			t.Fatalf("logout: %s, want \"revoked\": false", out.raw)
		}
		unset := map[string]bool{}
		for _, c := range out.cookie {
			if c.MaxAge < 0 && c.Value == "" {
				unset[c.Name] = true
			}
		}
		for _, name := range []string{"access_token", "refresh_token", "csrf_access", "csrf_refresh"} {
			if !unset[name] {
				t.Errorf("logout did not unset %s (Set-Cookie %v)", name, out.header.Values("Set-Cookie"))
			}
		}
	})

	for _, c := range []struct {
		checks            string
		revokedAccessCode int // /access-revoke
		refreshRevokeCode int // /refresh-revoke
		logoutRevoked     bool
	}{
		// Either way /logout and /logout-all are not enforced: with
		// refresh only, the access tokens keep working; with access
		// only, the refresh token still mints access tokens.
		{"refresh", 501, 200, false},
		{"access", 200, 501, false},
		{"access,refresh", 200, 200, true},
	} {
		t.Run("checks "+c.checks+" on Redis", func(t *testing.T) {
			t.Parallel()
			p := startServe(t, "AUTHJWT_DENYLIST_URL="+sharedRedisURL(t), "AUTHJWT_DENYLIST_TOKEN_CHECKS="+c.checks)
			access, refresh := p.login("alice", "secret")
			res := p.do(req{method: "DELETE", path: "/access-revoke", token: access})
			res.expect(t, "access-revoke", c.revokedAccessCode, "")
			after := p.do(req{method: "GET", path: "/protected", token: access})
			if c.revokedAccessCode == 501 {
				if res.body["code"] != "revocation_disabled" || after.status != 200 {
					t.Fatalf("access-revoke %s, then /protected %d: want 501 revocation_disabled and the token still (honestly) valid", res.raw, after.status)
				}
			} else if after.status != 401 {
				t.Fatalf("revoked access token: /protected %d", after.status)
			}
			res = p.do(req{method: "DELETE", path: "/refresh-revoke", token: refresh})
			res.expect(t, "refresh-revoke", c.refreshRevokeCode, "")
			if c.refreshRevokeCode == 501 && res.body["code"] != "revocation_disabled" {
				t.Fatalf("refresh-revoke: %s", res.raw)
			}

			for _, route := range []struct{ method, path, detail string }{
				{"DELETE", "/logout", "Logged out"},
				{"POST", "/logout-all", "Logged out everywhere"},
			} {
				access, refresh := p.login("alice", "secret")
				out := p.do(req{method: route.method, path: route.path, token: access})
				out.expect(t, route.path, 200, route.detail)
				// "revoked": false when a token it ends keeps working;
				// absent (the spec's plain answer) when all are dead.
				if revoked, said := out.body["revoked"]; said == c.logoutRevoked || (said && revoked != false) {
					t.Fatalf("%s with checks %s: %s", route.path, c.checks, out.raw)
				}
				// Every type that is checked is refused afterwards, and
				// one that is not keeps working: "revoked": false is
				// the truth.
				acc := p.do(req{method: "GET", path: "/protected", token: access}).status
				ref := p.do(req{method: "POST", path: "/refresh", token: refresh}).status
				wantAcc, wantRef := 200, 200
				if strings.Contains(c.checks, "access") {
					wantAcc = 401
				}
				if strings.Contains(c.checks, "refresh") {
					wantRef = 401
				}
				if acc != wantAcc || ref != wantRef {
					t.Fatalf("after %s with checks %s: /protected %d, /refresh %d; want %d, %d", route.path, c.checks, acc, ref, wantAcc, wantRef)
				}
			}
		})
	}
}
