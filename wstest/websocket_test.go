package wstest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

const secret = "wstest-secret-0123456789abcdef-0123456789"

func newAuth(t *testing.T, mutate func(*authjwt.Config)) *authjwt.Auth {
	t.Helper()
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Cookies: authjwt.CookieConfig{Insecure: true}}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := authjwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func cookiesOnly(c *authjwt.Config) { c.TokenLocation = []string{authjwt.LocationCookies} }

func mustTok(t *testing.T) func(string, error) string {
	return func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func verified(t *testing.T, a *authjwt.Auth, raw string, refresh bool) *authjwt.Token {
	t.Helper()
	tok, err := a.Verify(context.Background(), raw, authjwt.Requirement{Refresh: refresh})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// configs are the server configurations of the end-to-end table.
type configs struct {
	headers, cookies, noCSRF, trusted, noQuery *authjwt.Auth
}

func newConfigs(t *testing.T) configs {
	return configs{
		headers: newAuth(t, nil),
		cookies: newAuth(t, cookiesOnly),
		noCSRF:  newAuth(t, func(c *authjwt.Config) { cookiesOnly(c); c.Cookies.UnsafeDisableCSRF = true }),
		trusted: newAuth(t, func(c *authjwt.Config) {
			cookiesOnly(c)
			c.Cookies.TrustedOrigins = []string{"https://app.example.net"}
		}),
		noQuery: newAuth(t, func(c *authjwt.Config) { c.WebSocket.NoQueryToken = true }),
	}
}

type handshakeCase struct {
	name  string
	why   string
	auth  func(configs) *authjwt.Auth
	path  string
	query url.Values
	// origin: "self" for the server's own origin, "" for none.
	origin  string
	cookies map[string]string
	authz   string // Authorization header
	protos  []string
	opts    []authjwt.WebSocketOption

	// Refused handshakes.
	status int
	code   authjwt.Code
	detail string
	// Accepted ones.
	first string
	proto string
}

func TestWebSocketHandshake(t *testing.T) {
	cf := newConfigs(t)
	// Tokens. Cookie-mode tokens carry a csrf claim; noCSRF tokens do not.
	access := mustTok(t)(cf.headers.CreateAccessToken("alice"))
	fresh := mustTok(t)(cf.headers.CreateAccessToken("alice", authjwt.WithFresh(true)))
	refresh := mustTok(t)(cf.headers.CreateRefreshToken("alice"))
	pair := func() (authjwt.Pair, string, string) {
		p, err := cf.cookies.CreatePair("alice", authjwt.WithFresh(true))
		if err != nil {
			t.Fatal(err)
		}
		return p, verified(t, cf.cookies, p.AccessToken, false).CSRF(), verified(t, cf.cookies, p.RefreshToken, true).CSRF()
	}
	ck, csrfAccess, csrfRefresh := pair()
	noClaim, err := cf.noCSRF.CreatePair("alice", authjwt.WithFresh(true))
	if err != nil {
		t.Fatal(err)
	}
	allCookies := map[string]string{"access_token": ck.AccessToken, "refresh_token": ck.RefreshToken,
		"csrf_access": csrfAccess, "csrf_refresh": csrfRefresh}
	noClaimCookies := map[string]string{"access_token": noClaim.AccessToken, "refresh_token": noClaim.RefreshToken}

	hdr := func(c configs) *authjwt.Auth { return c.headers }
	cks := func(c configs) *authjwt.Auth { return c.cookies }
	off := func(c configs) *authjwt.Auth { return c.noCSRF }
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	const (
		missingAccess  = "Missing access token from Query or Path"
		missingRefresh = "Missing refresh token from Query or Path"
		onlyAccess     = "Only access tokens are allowed"
	)

	cases := []handshakeCase{
		// test_missing_token_websocket
		{name: "missing token required", why: "seed: ?token= is no token", auth: hdr, path: "/jwt-required", query: q("token", ""),
			status: 401, code: authjwt.CodeMissingToken, detail: missingAccess},
		{name: "missing token refresh", why: "seed: the refresh route names the refresh token", auth: hdr, path: "/jwt-refresh-required", query: q("token", ""),
			status: 401, code: authjwt.CodeMissingToken, detail: missingRefresh},
		{name: "missing token fresh", why: "seed", auth: hdr, path: "/fresh-jwt-required", query: q("token", ""),
			status: 401, code: authjwt.CodeMissingToken, detail: missingAccess},
		// test_only_access_token_allowed_websocket
		{name: "refresh on required", why: "seed: wrong token type", auth: hdr, path: "/jwt-required", query: q("token", refresh),
			status: 401, code: authjwt.CodeAccessRequired, detail: onlyAccess},
		{name: "refresh on optional", why: "seed: optional still refuses a wrong token", auth: hdr, path: "/jwt-optional", query: q("token", refresh),
			status: 401, code: authjwt.CodeAccessRequired, detail: onlyAccess},
		{name: "refresh on fresh", why: "seed", auth: hdr, path: "/fresh-jwt-required", query: q("token", refresh),
			status: 401, code: authjwt.CodeAccessRequired, detail: onlyAccess},
		// test_jwt_required_websocket
		{name: "valid access", why: "seed: a valid access token logs in", auth: hdr, path: "/jwt-required", query: q("token", access), first: greeting},
		// test_jwt_optional_websocket
		{name: "optional anonymous", why: "seed: no token is an anonymous user", auth: hdr, path: "/jwt-optional", query: q("token", ""), first: "hello anonym"},
		{name: "optional with token", why: "seed: a token identifies the user", auth: hdr, path: "/jwt-optional", query: q("token", access), first: "hello world"},
		// test_refresh_required_websocket
		{name: "access on refresh", why: "seed: only refresh tokens", auth: hdr, path: "/jwt-refresh-required", query: q("token", access),
			status: 401, code: authjwt.CodeRefreshRequired, detail: "Only refresh tokens are allowed"},
		{name: "refresh on refresh", why: "seed", auth: hdr, path: "/jwt-refresh-required", query: q("token", refresh), first: greeting},
		// test_fresh_jwt_required_websocket
		{name: "stale on fresh", why: "seed: fresh token required", auth: hdr, path: "/fresh-jwt-required", query: q("token", access),
			status: 401, code: authjwt.CodeFreshRequired, detail: "Fresh token required"},
		{name: "fresh on fresh", why: "seed", auth: hdr, path: "/fresh-jwt-required", query: q("token", fresh), first: greeting},

		// test_missing_cookie
		{name: "missing cookie required", why: "seed", auth: cks, path: "/jwt-required", query: q("csrf_token", ""), origin: "self",
			status: 401, code: authjwt.CodeMissingToken, detail: "Missing cookie access_token"},
		{name: "missing cookie refresh", why: "seed: the refresh cookie", auth: cks, path: "/jwt-refresh-required", query: q("csrf_token", ""), origin: "self",
			status: 401, code: authjwt.CodeMissingToken, detail: "Missing cookie refresh_token"},
		{name: "missing cookie fresh", why: "seed", auth: cks, path: "/fresh-jwt-required", query: q("csrf_token", ""), origin: "self",
			status: 401, code: authjwt.CodeMissingToken, detail: "Missing cookie access_token"},
	}
	// test_missing_csrf_token, test_missing_claim_csrf_in_token,
	// test_invalid_csrf_double_submit, test_valid_access_endpoint_with_csrf:
	// each on the four cookie routes, and the "CSRF protection off" halves.
	for _, r := range []struct {
		path, ok, csrf string
	}{
		{"/jwt-required", greeting, csrfAccess},
		{"/jwt-refresh-required", greeting, csrfRefresh},
		{"/fresh-jwt-required", greeting, csrfAccess},
		{"/jwt-optional", "hello world", csrfAccess},
	} {
		cases = append(cases,
			handshakeCase{name: "missing csrf token " + r.path, why: "seed: a cookie handshake needs ?csrf_token=", auth: cks, path: r.path,
				query: q("csrf_token", ""), origin: "self", cookies: allCookies, status: 403, code: authjwt.CodeCSRFMissing, detail: "Missing CSRF Token"},
			handshakeCase{name: "csrf off no token " + r.path, why: "seed: with CSRF protection off, no value is needed", auth: off, path: r.path,
				query: q("csrf_token", ""), origin: "self", cookies: noClaimCookies, first: r.ok},
			handshakeCase{name: "missing csrf claim " + r.path, why: "seed: a token created without csrf claim", auth: cks, path: r.path,
				query: q("csrf_token", "test"), origin: "self", cookies: noClaimCookies, status: 403, code: authjwt.CodeCSRFClaimMissing, detail: "Missing claim: csrf"},
			handshakeCase{name: "csrf off no claim " + r.path, why: "seed: the claim is not needed with CSRF protection off", auth: off, path: r.path,
				query: q("csrf_token", "test"), origin: "self", cookies: noClaimCookies, first: r.ok},
			handshakeCase{name: "csrf mismatch " + r.path, why: "seed: double-submitted values differ", auth: cks, path: r.path,
				query: q("csrf_token", "test"), origin: "self", cookies: allCookies, status: 403, code: authjwt.CodeCSRFMismatch, detail: "CSRF double submitted tokens do not match"},
			handshakeCase{name: "csrf off mismatch " + r.path, why: "seed", auth: off, path: r.path,
				query: q("csrf_token", "test"), origin: "self", cookies: allCookies, first: r.ok},
			handshakeCase{name: "valid csrf " + r.path, why: "seed: the matching value logs in (refresh routes use csrf_refresh)", auth: cks, path: r.path,
				query: q("csrf_token", r.csrf), origin: "self", cookies: allCookies, first: r.ok},
		)
	}
	cases = append(cases,
		// Subprotocol path.
		handshakeCase{name: "subprotocol bearer", why: "browsers send the token as a subprotocol; the server selects bearer",
			auth: hdr, path: "/jwt-required", protos: []string{"bearer", access}, first: greeting, proto: "bearer"},
		handshakeCase{name: "subprotocol app", why: "the application's own protocol is selected when offered",
			auth: hdr, path: "/jwt-required", protos: []string{"chat.v1", "bearer", access}, opts: []authjwt.WebSocketOption{authjwt.WithSubprotocols("chat.v1")},
			first: greeting, proto: "chat.v1"},
		handshakeCase{name: "subprotocol refused", why: "a subprotocol token is verified like any other",
			auth: hdr, path: "/jwt-required", protos: []string{"bearer", refresh}, status: 401, code: authjwt.CodeAccessRequired, detail: onlyAccess},
		handshakeCase{name: "subprotocol without query", why: "the subprotocol works with query tokens off",
			auth: func(c configs) *authjwt.Auth { return c.noQuery }, path: "/jwt-required", protos: []string{"bearer", access}, first: greeting, proto: "bearer"},
		handshakeCase{name: "authorization header", why: "non-browser clients",
			auth: hdr, path: "/jwt-required", authz: "Bearer " + access, first: greeting},
		// Query tokens off.
		handshakeCase{name: "query disabled", why: "WebSocket.NoQueryToken keeps tokens out of URLs",
			auth: func(c configs) *authjwt.Auth { return c.noQuery }, path: "/jwt-required", query: q("token", access),
			status: 401, code: authjwt.CodeMissingToken, detail: "Missing Authorization Header"},
		// Origin of cookie handshakes.
		handshakeCase{name: "origin cross-site", why: "cross-site WebSocket hijacking is refused",
			auth: cks, path: "/jwt-required", query: q("csrf_token", csrfAccess), origin: "https://evil.example", cookies: allCookies,
			status: 403, code: authjwt.CodeCrossOrigin},
		handshakeCase{name: "origin missing", why: "browsers always send Origin",
			auth: cks, path: "/jwt-required", query: q("csrf_token", csrfAccess), cookies: allCookies, status: 403, code: authjwt.CodeCrossOrigin},
		handshakeCase{name: "origin trusted", why: "Config.TrustedOrigins",
			auth: func(c configs) *authjwt.Auth { return c.trusted }, path: "/jwt-required", query: q("csrf_token", csrfAccess),
			origin: "https://app.example.net", cookies: allCookies, first: greeting},
		handshakeCase{name: "origin same", why: "the server's own origin",
			auth: func(c configs) *authjwt.Auth { return c.trusted }, path: "/jwt-required", query: q("csrf_token", csrfAccess),
			origin: "self", cookies: allCookies, first: greeting},
	)

	for _, sl := range serverLibs {
		servers := map[*authjwt.Auth]map[string]string{} // auth → opts key → url
		// Servers live as long as the whole test, not one subtest.
		serverFor := func(a *authjwt.Auth, opts []authjwt.WebSocketOption) string {
			key := ""
			if len(opts) > 0 {
				key = "opts"
			}
			if servers[a] == nil {
				servers[a] = map[string]string{}
			}
			if u, ok := servers[a][key]; ok {
				return u
			}
			srv := newServer(t, a, sl, opts...)
			servers[a][key] = srv.URL
			return srv.URL
		}
		for _, cl := range clientLibs {
			t.Run(sl.name+" server/"+cl.name+" client", func(t *testing.T) {
				for _, tc := range cases {
					t.Run(tc.name, func(t *testing.T) {
						base := serverFor(tc.auth(cf), tc.opts)
						runHandshake(t, base, cl, tc)
					})
				}
			})
		}
	}
}

func runHandshake(t *testing.T, base string, cl clientLib, tc handshakeCase) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(base, "http") + tc.path
	if len(tc.query) > 0 {
		u += "?" + tc.query.Encode()
	}
	h := http.Header{}
	switch tc.origin {
	case "":
	case "self":
		h.Set("Origin", base)
	default:
		h.Set("Origin", tc.origin)
	}
	for name, val := range tc.cookies {
		h.Add("Cookie", name+"="+val)
	}
	if tc.authz != "" {
		h.Set("Authorization", tc.authz)
	}
	c, resp, err := cl.dial(ctx, u, h, tc.protos)
	if resp != nil {
		// The response to a handshake never carries a token.
		var raw strings.Builder
		resp.Header.Write(&raw)
		for _, p := range tc.protos {
			if strings.Count(p, ".") == 2 && strings.Contains(raw.String(), p) {
				t.Errorf("response headers echo the token:\n%s", raw.String())
			}
		}
	}
	if tc.status != 0 {
		if err == nil {
			c.Close()
			t.Fatalf("handshake accepted, want %d (%s)", tc.status, tc.why)
		}
		if resp == nil {
			t.Fatalf("no response: %v", err)
		}
		if resp.StatusCode != tc.status {
			t.Errorf("status = %d, want %d (%s)", resp.StatusCode, tc.status, tc.why)
		}
		var body struct {
			Detail string `json:"detail"`
			Code   string `json:"code"`
		}
		raw := readBody(resp)
		if err := json.Unmarshal([]byte(raw), &body); err != nil {
			t.Fatalf("body %q is not the library's JSON: %v", raw, err)
		}
		if body.Code != string(tc.code) {
			t.Errorf("code = %q, want %q", body.Code, tc.code)
		}
		if tc.detail != "" && body.Detail != tc.detail {
			t.Errorf("detail = %q, want %q", body.Detail, tc.detail)
		}
		return
	}
	if err != nil {
		t.Fatalf("handshake refused: %v (status %v, body %q) (%s)", err, statusOf(resp), readBody(resp), tc.why)
	}
	defer c.Close()
	if got := c.Subprotocol(); got != tc.proto {
		t.Errorf("subprotocol = %q, want %q", got, tc.proto)
	}
	msg, err := c.Read(ctx)
	if err != nil || msg != tc.first {
		t.Fatalf("first message = %q, %v; want %q", msg, err, tc.first)
	}
	if err := c.Write(ctx, "ping"); err != nil {
		t.Fatal(err)
	}
	if msg, err := c.Read(ctx); err != nil || msg != "ping" {
		t.Fatalf("echo = %q, %v", msg, err)
	}
}

func statusOf(resp *http.Response) any {
	if resp == nil {
		return nil
	}
	return resp.StatusCode
}

// TestWebSocketAcceptFirst covers applications that accept every
// connection and authenticate after (the seed's style): the connection is
// closed with 1008 and the seed's message.
func TestWebSocketAcceptFirst(t *testing.T) {
	a := newAuth(t, nil)
	access := mustTok(t)(a.CreateAccessToken("alice"))
	refresh := mustTok(t)(a.CreateRefreshToken("alice"))
	for _, sl := range serverLibs {
		srv := newServer(t, a, sl)
		for _, cl := range clientLibs {
			t.Run(sl.name+" server/"+cl.name+" client", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()

				c, _, err := cl.dial(ctx, wsURL(srv, "/accept-first?token="+refresh), nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_, err = c.Read(ctx)
				code, reason, ok := closeOf(err)
				if !ok || code != 1008 || reason != "Only access tokens are allowed" {
					t.Fatalf("read err = %v; want close 1008 with the seed's message", err)
				}

				c2, _, err := cl.dial(ctx, wsURL(srv, "/accept-first?token="+access), nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer c2.Close()
				if msg, err := c2.Read(ctx); err != nil || msg != greeting {
					t.Fatalf("first message = %q, %v", msg, err)
				}
				_, err = c2.Read(ctx)
				if code, _, ok := closeOf(err); !ok || code != 1000 {
					t.Fatalf("read err = %v; want a normal closure", err)
				}
			})
		}
	}
}

// TestWebSocketExpiry: a connection is closed with 1008 when its token
// expires, in real time (tokens last 2 s; exp has one-second resolution,
// so 1–2 s remain at the handshake).
func TestWebSocketExpiry(t *testing.T) {
	a := newAuth(t, nil)
	for _, sl := range serverLibs {
		srv := newServer(t, a, sl)
		for _, cl := range clientLibs {
			t.Run(sl.name+" server/"+cl.name+" client", func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
				defer cancel()
				tok := mustTok(t)(a.CreateAccessToken("alice", authjwt.WithExpiry(2*time.Second)))
				start := time.Now()
				c, _, err := cl.dial(ctx, wsURL(srv, "/jwt-required"), nil, []string{"bearer", tok})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if msg, err := c.Read(ctx); err != nil || msg != greeting {
					t.Fatalf("first message = %q, %v", msg, err)
				}
				if err := c.Write(ctx, "still here"); err != nil {
					t.Fatal(err)
				}
				if msg, err := c.Read(ctx); err != nil || msg != "still here" {
					t.Fatalf("echo before expiry = %q, %v", msg, err)
				}
				_, err = c.Read(ctx)
				elapsed := time.Since(start)
				code, reason, ok := closeOf(err)
				if !ok || code != 1008 || reason != "Signature has expired" {
					t.Fatalf("read err = %v after %v; want close 1008 \"Signature has expired\"", err, elapsed)
				}
				if elapsed < 900*time.Millisecond || elapsed > 3*time.Second {
					t.Errorf("closed after %v; the token had 1-2 s left", elapsed)
				}
			})
		}
	}
}

// TestWebSocketRevoked: a connection is closed with 1008 soon after its
// token is revoked (the store is polled every 50 ms here).
func TestWebSocketRevoked(t *testing.T) {
	store := revoke.NewMemory()
	t.Cleanup(func() { store.Close() })
	a := newAuth(t, func(c *authjwt.Config) {
		c.Revocation.Enabled = true
		c.Revocation.Store = store
	})
	for _, sl := range serverLibs {
		srv := newServer(t, a, sl)
		for _, cl := range clientLibs {
			t.Run(sl.name+" server/"+cl.name+" client", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				raw := mustTok(t)(a.CreateAccessToken("alice"))
				c, _, err := cl.dial(ctx, wsURL(srv, "/jwt-required?token="+raw), nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if msg, err := c.Read(ctx); err != nil || msg != greeting {
					t.Fatalf("first message = %q, %v", msg, err)
				}
				// Several polls pass without revocation: the connection stays.
				time.Sleep(4 * revocationPoll)
				if err := c.Write(ctx, "ping"); err != nil {
					t.Fatal(err)
				}
				if msg, err := c.Read(ctx); err != nil || msg != "ping" {
					t.Fatalf("echo before revocation = %q, %v", msg, err)
				}
				if err := a.Revoke(ctx, verified(t, a, raw, false)); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				_, err = c.Read(ctx)
				code, reason, ok := closeOf(err)
				if !ok || code != 1008 || reason != "Token has been revoked" {
					t.Fatalf("read err = %v; want close 1008 \"Token has been revoked\"", err)
				}
				if d := time.Since(start); d > time.Second {
					t.Errorf("closed %v after revocation, polling every %v", d, revocationPoll)
				}
				// A new handshake with the revoked token is refused.
				_, resp, err := cl.dial(ctx, wsURL(srv, "/jwt-required?token="+raw), nil, nil)
				if err == nil || resp == nil || resp.StatusCode != 401 {
					t.Fatalf("revoked token accepted at the handshake: %v %v", err, statusOf(resp))
				}
			})
		}
	}
}
