package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

// TestRoutesEveryAlgorithm walks every route of the spec under each
// algorithm family: the routes must not depend on the key type.
func TestRoutesEveryAlgorithm(t *testing.T) {
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			ts := startServer(t, authConfig(t, alg, clk), clk)
			a := ts.s.Auth()

			ts.do(req{method: "GET", path: "/healthz"}).expect(t, "healthz", 200, "")
			if r := ts.do(req{method: "GET", path: "/healthz"}); r.body["status"] != "ok" {
				t.Fatalf("healthz body %s", r.raw)
			}

			// Login: both tokens, fresh access, no-store.
			r := ts.do(req{method: "POST", path: "/login", body: `{"username":"alice","password":"secret"}`})
			r.expect(t, "login", 200, "")
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Fatalf("login Cache-Control %q", cc)
			}
			access, refresh := r.str(t, "access_token"), r.str(t, "refresh_token")

			r = ts.do(req{method: "GET", path: "/protected", token: access})
			r.expect(t, "protected", 200, "")
			if r.body["user"] != "alice" {
				t.Fatalf("protected body %s", r.raw)
			}
			ts.do(req{method: "GET", path: "/protected-fresh", token: access}).expect(t, "protected-fresh with fresh token", 200, "")

			// Refresh gives a non-fresh access token.
			r = ts.do(req{method: "POST", path: "/refresh", token: refresh})
			r.expect(t, "refresh", 200, "")
			if r.header.Get("Cache-Control") != "no-store" {
				t.Fatal("refresh without Cache-Control: no-store")
			}
			if _, ok := r.body["refresh_token"]; ok {
				t.Fatal("refresh without rotation returned a refresh token")
			}
			stale := r.str(t, "access_token")
			ts.do(req{method: "GET", path: "/protected", token: stale}).expect(t, "protected with refreshed token", 200, "")
			r = ts.do(req{method: "GET", path: "/protected-fresh", token: stale})
			r.expect(t, "protected-fresh with non-fresh token", 401, "Fresh token required")
			if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_user_authentication"`) {
				t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}

			// Fresh login: only a fresh access token.
			r = ts.do(req{method: "POST", path: "/fresh-login", body: `{"username":"alice","password":"secret"}`})
			r.expect(t, "fresh-login", 200, "")
			if _, ok := r.body["refresh_token"]; ok || r.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("fresh-login: %s (Cache-Control %q)", r.raw, r.header.Get("Cache-Control"))
			}
			ts.do(req{method: "GET", path: "/protected-fresh", token: r.str(t, "access_token")}).expect(t, "protected-fresh after fresh-login", 200, "")

			// Optional.
			r = ts.do(req{method: "GET", path: "/optional"})
			r.expect(t, "optional without token", 200, "")
			if v, ok := r.body["user"]; !ok || v != nil {
				t.Fatalf("optional without token: %s", r.raw)
			}
			if r = ts.do(req{method: "GET", path: "/optional", token: access}); r.body["user"] != "alice" {
				t.Fatalf("optional with token: %s", r.raw)
			}
			ts.do(req{method: "GET", path: "/optional", token: "not.a.token"}).expect(t, "optional with a bad token", 401, "")

			// Admin: alice yes, bob no.
			r = ts.do(req{method: "GET", path: "/admin", token: access})
			r.expect(t, "admin alice", 200, "")
			if r.body["ok"] != true {
				t.Fatalf("admin body %s", r.raw)
			}
			bobAccess, _ := ts.login("bob", "hunter2")
			r = ts.do(req{method: "GET", path: "/admin", token: bobAccess})
			r.expect(t, "admin bob", 403, "Not enough permissions")
			if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
				t.Fatalf("admin bob WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}

			// Claims and header.
			r = ts.do(req{method: "GET", path: "/claims", token: access})
			r.expect(t, "claims", 200, "")
			claims, _ := r.body["claims"].(map[string]any)
			header, _ := r.body["header"].(map[string]any)
			if claims["sub"] != "alice" || claims["type"] != "access" || claims["fresh"] != true || claims["jti"] == nil || claims["exp"] == nil {
				t.Fatalf("claims %s", r.raw)
			}
			if roles, _ := claims["roles"].([]any); len(roles) != 1 || roles[0] != "admin" {
				t.Fatalf("claims roles %v", claims["roles"])
			}
			if header["alg"] != alg {
				t.Fatalf("header alg %v, want %s", header["alg"], alg)
			}

			// JWKS: empty under HMAC, the key (kid = token kid) otherwise.
			r = ts.do(req{method: "GET", path: "/.well-known/jwks.json"})
			if r.status != 200 || !strings.Contains(r.header.Get("Cache-Control"), "max-age") {
				t.Fatalf("jwks: %d %q", r.status, r.header.Get("Cache-Control"))
			}
			var set struct {
				Keys []map[string]any `json:"keys"`
			}
			if err := json.Unmarshal([]byte(r.raw), &set); err != nil || set.Keys == nil {
				t.Fatalf("jwks body %q: %v", r.raw, err)
			}
			if alg == "HS256" {
				if len(set.Keys) != 0 || header["kid"] != nil {
					t.Fatalf("HMAC jwks %s, header %v", r.raw, header)
				}
			} else if len(set.Keys) != 1 || set.Keys[0]["kid"] != header["kid"] || set.Keys[0]["alg"] != alg || set.Keys[0]["d"] != nil {
				t.Fatalf("jwks %s, token header %v", r.raw, header)
			}

			// Partner: the claim is required.
			ts.do(req{method: "POST", path: "/partner", token: access}).expect(t, "partner without claim", 403, "Missing claim: partner")
			partner, err := a.CreateAccessToken("carol", authjwt.WithClaims(map[string]any{"partner": "acme"}))
			if err != nil {
				t.Fatal(err)
			}
			r = ts.do(req{method: "POST", path: "/partner", token: partner})
			r.expect(t, "partner with claim", 200, "")
			if r.body["partner"] != "acme" {
				t.Fatalf("partner body %s", r.raw)
			}

			// Revocation of one access token leaves its refresh token.
			a2, r2 := ts.login("alice", "secret")
			ts.do(req{method: "DELETE", path: "/access-revoke", token: a2}).expect(t, "access-revoke", 200, "Access token has been revoked")
			ts.do(req{method: "GET", path: "/protected", token: a2}).expect(t, "revoked access token", 401, "Token has been revoked")
			ts.do(req{method: "POST", path: "/refresh", token: r2}).expect(t, "refresh after access-revoke", 200, "")
			ts.do(req{method: "DELETE", path: "/refresh-revoke", token: r2}).expect(t, "refresh-revoke", 200, "Refresh token has been revoked")
			ts.do(req{method: "POST", path: "/refresh", token: r2}).expect(t, "revoked refresh token", 401, "Token has been revoked")
			ts.do(req{method: "DELETE", path: "/refresh-revoke", token: a2}).expect(t, "refresh-revoke with an access token", 401, "")

			// Logout revokes the pair, not other sessions.
			a3, r3 := ts.login("alice", "secret")
			ts.do(req{method: "DELETE", path: "/logout", token: a3}).expect(t, "logout", 200, "Logged out")
			ts.do(req{method: "GET", path: "/protected", token: a3}).expect(t, "access after logout", 401, "Token has been revoked")
			ts.do(req{method: "POST", path: "/refresh", token: r3}).expect(t, "refresh after logout", 401, "Token has been revoked")
			ts.do(req{method: "GET", path: "/protected", token: access}).expect(t, "other session after logout", 200, "")

			// Logout everywhere revokes every token of alice issued so far,
			// not bob's, and not alice's later logins.
			ts.clk.Advance(2 * time.Second)
			ts.do(req{method: "POST", path: "/logout-all", token: access}).expect(t, "logout-all", 200, "Logged out everywhere")
			ts.do(req{method: "GET", path: "/protected", token: access}).expect(t, "access after logout-all", 401, "Token has been revoked")
			ts.do(req{method: "POST", path: "/refresh", token: refresh}).expect(t, "refresh after logout-all", 401, "Token has been revoked")
			ts.do(req{method: "GET", path: "/protected", token: bobAccess}).expect(t, "bob after alice's logout-all", 200, "")
			ts.clk.Advance(time.Second)
			a4, _ := ts.login("alice", "secret")
			ts.do(req{method: "GET", path: "/protected", token: a4}).expect(t, "login after logout-all", 200, "")

			// Expiry, through the shared clock.
			ts.clk.Advance(16 * time.Minute)
			ts.do(req{method: "GET", path: "/protected", token: a4}).expect(t, "expired access token", 401, "Signature has expired")
		})
	}
}

// TestGuardErrors checks the library's statuses, messages and
// WWW-Authenticate headers through the routes.
func TestGuardErrors(t *testing.T) {
	clk := newClock()
	ts := startServer(t, authConfig(t, "HS256", clk), clk)
	access, refresh := ts.login("alice", "secret")
	other := startServer(t, authConfig(t, "ES256", clk), clk)
	foreign, _ := other.login("alice", "secret")

	tests := []struct {
		name      string
		r         req
		status    int
		detail    string
		wwwAuth   string // substring of WWW-Authenticate; "" for none expected
		noWWWAuth bool
	}{
		{"no credentials: 401, bare Bearer challenge", req{method: "GET", path: "/protected"}, 401, "Missing Authorization Header", "Bearer", false},
		{"another scheme counts as no credentials", req{method: "GET", path: "/protected", header: map[string]string{"Authorization": "Basic YWxpY2U6c2VjcmV0"}}, 401, "Bad Authorization header. Expected value 'Bearer <JWT>'", "Bearer", false},
		{"Bearer without a token is a malformed request", req{method: "GET", path: "/protected", header: map[string]string{"Authorization": "Bearer"}}, 400, "Bad Authorization header. Expected value 'Bearer <JWT>'", `error="invalid_request"`, false},
		{"garbage token", req{method: "GET", path: "/protected", token: "garbage"}, 401, "", `error="invalid_token"`, false},
		{"token signed by another server's key", req{method: "GET", path: "/protected", token: foreign}, 401, "Invalid algorithm on header", `error="invalid_token"`, false},
		{"refresh token on an access route", req{method: "GET", path: "/protected", token: refresh}, 401, "Only access tokens are allowed", `error="invalid_token"`, false},
		{"access token on the refresh route", req{method: "POST", path: "/refresh", token: access}, 401, "Only refresh tokens are allowed", `error="invalid_token"`, false},
		{"refresh token on the admin route", req{method: "GET", path: "/admin", token: refresh}, 401, "Only access tokens are allowed", `error="invalid_token"`, false},
		{"logout-all needs a token", req{method: "POST", path: "/logout-all"}, 401, "Missing Authorization Header", "Bearer", false},
		{"claims need a token", req{method: "GET", path: "/claims"}, 401, "Missing Authorization Header", "Bearer", false},
		{"unknown route: JSON 404", req{method: "GET", path: "/nope"}, 404, "Not Found", "", true},
		{"wrong method: JSON 405", req{method: "GET", path: "/login"}, 405, "Method Not Allowed", "", true},
		{"logout is DELETE only", req{method: "POST", path: "/logout", token: access}, 405, "Method Not Allowed", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(tt.r)
			r.expect(t, tt.name, tt.status, tt.detail)
			www := r.header.Get("WWW-Authenticate")
			if tt.wwwAuth != "" && !strings.Contains(www, tt.wwwAuth) {
				t.Fatalf("WWW-Authenticate %q, want it to contain %q", www, tt.wwwAuth)
			}
			if tt.noWWWAuth && www != "" {
				t.Fatalf("unexpected WWW-Authenticate %q", www)
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
			}
		})
	}
	if r := ts.do(req{method: "GET", path: "/login"}); r.header.Get("Allow") != "POST" {
		t.Fatalf("405 lost its Allow header: %v", r.header)
	}
}

// TestLoginBody checks the 422 answers to bodies that are not
// {"username","password"} and the 401 for wrong credentials.
func TestLoginBody(t *testing.T) {
	clk := newClock()
	ts := startServer(t, authConfig(t, "HS256", clk), clk)
	tests := []struct {
		name   string
		body   string
		ctype  string
		status int
		detail string // regexp
	}{
		{"empty body", "", "-", 422, `^Request body is empty: expected a JSON object`},
		{"not JSON", "username=alice&password=secret", "application/json", 422, `^Request body is not valid JSON`},
		{"a form, by its content type", `{"username":"alice","password":"secret"}`, "application/x-www-form-urlencoded", 422, `^Content-Type must be application/json, got "application/x-www-form-urlencoded"`},
		{"truncated JSON", `{"username":"alice"`, "", 422, `^Request body is not valid JSON`},
		{"an array", `["alice","secret"]`, "", 422, `^Request body must be a JSON object, got array`},
		{"null", `null`, "", 422, `^Fields required: username, password$`},
		{"password missing", `{"username":"alice"}`, "", 422, `^Field required: password$`},
		{"username missing", `{"password":"secret"}`, "", 422, `^Field required: username$`},
		{"username not a string", `{"username":1,"password":"secret"}`, "", 422, `^Field "username" must be a string, got number$`},
		{"unknown field", `{"username":"alice","password":"secret","admin":true}`, "", 422, `^Unknown field "admin"`},
		{"two JSON values", `{"username":"alice","password":"secret"}{}`, "", 422, `^Request body holds data after the JSON object`},
		{"too large", `{"username":"` + strings.Repeat("a", loginBodyLimit) + `","password":"x"}`, "", 413, `^Request body too large`},
		{"wrong password", `{"username":"alice","password":"hunter2"}`, "", 401, `^Bad username or password$`},
		{"unknown user", `{"username":"mallory","password":"secret"}`, "", 401, `^Bad username or password$`},
		{"case matters in usernames", `{"username":"Alice","password":"secret"}`, "", 401, `^Bad username or password$`},
		{"JSON with a charset", `{"username":"bob","password":"hunter2"}`, "application/json; charset=utf-8", 200, ``},
		{"no Content-Type but JSON", `{"username":"bob","password":"hunter2"}`, "-", 200, ``},
	}
	for _, tt := range tests {
		for _, path := range []string{"/login", "/fresh-login"} {
			t.Run(tt.name+path, func(t *testing.T) {
				r := ts.do(req{method: "POST", path: path, body: tt.body, ctype: tt.ctype})
				if r.status != tt.status {
					t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
				}
				if tt.status == 200 {
					return
				}
				d, _ := r.body["detail"].(string)
				if !regexp.MustCompile(tt.detail).MatchString(d) {
					t.Fatalf("detail %q does not match %q", d, tt.detail)
				}
				if r.body["code"] == nil {
					t.Fatalf("no code: %s", r.raw)
				}
				if (tt.status == 401) != strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("status %d with WWW-Authenticate %q", tt.status, r.header.Get("WWW-Authenticate"))
				}
			})
		}
	}
}

// TestRefreshRotation: with rotation, /refresh returns a new refresh token
// and the used one is refused; its reuse revokes the family.
func TestRefreshRotation(t *testing.T) {
	clk := newClock()
	cfg := authConfig(t, "HS256", clk)
	cfg.Revocation.Rotation = true
	ts := startServer(t, cfg, clk)
	_, r1 := ts.login("alice", "secret")
	r := ts.do(req{method: "POST", path: "/refresh", token: r1})
	r.expect(t, "first refresh", 200, "")
	r2, a2 := r.str(t, "refresh_token"), r.str(t, "access_token")
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatal("no Cache-Control: no-store")
	}
	ts.do(req{method: "GET", path: "/protected", token: a2}).expect(t, "new access token", 200, "")
	ts.do(req{method: "POST", path: "/refresh", token: r1}).expect(t, "reuse of the rotated token", 401, "Refresh token reuse detected")
	// The reuse revoked the family: the new refresh and access tokens too.
	ts.do(req{method: "POST", path: "/refresh", token: r2}).expect(t, "new refresh token after reuse", 401, "Token has been revoked")
	ts.do(req{method: "GET", path: "/protected", token: a2}).expect(t, "new access token after reuse", 401, "Token has been revoked")
}

// TestRefreshRotationDetails: rotation (Auth.Rotate) keeps the family's
// absolute expiry and the user's roles, and in cookie mode sets the new
// refresh cookie (and its CSRF cookie) without a token in the body.
func TestRefreshRotationDetails(t *testing.T) {
	t.Run("expiry and claims", func(t *testing.T) {
		clk := newClock()
		cfg := authConfig(t, "HS256", clk)
		cfg.Revocation.Rotation = true
		ts := startServer(t, cfg, clk)
		_, r1 := ts.login("alice", "secret")
		clk.Advance(time.Hour)
		r := ts.do(req{method: "POST", path: "/refresh", token: r1})
		r.expect(t, "refresh an hour later", 200, "")
		old, err := ts.s.auth.Verify(context.Background(), r1, authjwt.Requirement{Refresh: true})
		if err != nil {
			t.Fatal(err)
		}
		rotated, err := ts.s.auth.Verify(context.Background(), r.str(t, "refresh_token"), authjwt.Requirement{Refresh: true})
		if err != nil {
			t.Fatal(err)
		}
		if !rotated.ExpiresAt().Equal(old.ExpiresAt()) {
			t.Fatalf("rotated refresh token expires %v, the first one %v: rotation must not extend the session", rotated.ExpiresAt(), old.ExpiresAt())
		}
		if rotated.Family() != old.Family() || rotated.JTI() == old.JTI() {
			t.Fatalf("family %q/%q, jti %q/%q: same family, new jti expected", rotated.Family(), old.Family(), rotated.JTI(), old.JTI())
		}
		at := r.str(t, "access_token")
		ts.do(req{method: "GET", path: "/admin", token: at}).expect(t, "the rotated access token keeps alice's roles", 200, "")
		ts.do(req{method: "GET", path: "/protected-fresh", token: at}).expect(t, "a rotated access token is not fresh", 401, "")
	})
	t.Run("cookie mode", func(t *testing.T) {
		clk := newClock()
		cfg := authConfig(t, "HS256", clk)
		cfg.Revocation.Rotation = true
		cfg.TokenLocation = []string{authjwt.LocationCookies}
		cfg.Cookies.Insecure = true
		ts := startServer(t, cfg, clk)
		jar := func(r response) map[string]*http.Cookie {
			m := map[string]*http.Cookie{}
			for _, c := range r.cookie {
				m[c.Name] = c
			}
			return m
		}
		refresh := func(j map[string]*http.Cookie) response {
			return ts.do(req{method: "POST", path: "/refresh", cookies: []*http.Cookie{j["refresh_token"], j["csrf_refresh"]},
				header: map[string]string{"X-CSRF-Token": j["csrf_refresh"].Value}})
		}
		r := ts.do(req{method: "POST", path: "/login", body: `{"username":"alice","password":"secret"}`})
		r.expect(t, "login", 200, "")
		first := jar(r)
		r = refresh(first)
		r.expect(t, "refresh with cookies", 200, "Token refreshed")
		if strings.Contains(r.raw, "_token") {
			t.Fatalf("cookie-only rotation leaked a token: %s", r.raw)
		}
		second := jar(r)
		for _, name := range []string{"access_token", "csrf_access", "refresh_token", "csrf_refresh"} {
			if second[name] == nil || second[name].Value == "" {
				t.Fatalf("rotation did not set cookie %s (got %v)", name, r.cookie)
			}
		}
		if second["refresh_token"].Value == first["refresh_token"].Value {
			t.Fatal("the refresh cookie was not rotated")
		}
		refresh(first).expect(t, "the used refresh cookie again", 401, "Refresh token reuse detected")
		refresh(second).expect(t, "the rotated refresh cookie after the reuse", 401, "Token has been revoked")
	})
}

// TestRefreshAtEndOfLife: /refresh with rotation in the last seconds of
// a refresh token's life, in header and cookie mode, with a clock that
// moves on each read (time passing while the request is served). It never
// answers 500: either 200 with tokens that expire with the session at the
// latest, or 401 "Signature has expired" with the refresh token left
// unconsumed, so a retry is not taken as reuse.
func TestRefreshAtEndOfLife(t *testing.T) {
	for _, cookies := range []bool{false, true} {
		mode := map[bool]string{false: "headers", true: "cookies"}[cookies]
		for _, left := range []time.Duration{
			500 * time.Millisecond, time.Second, 1500 * time.Millisecond, 2 * time.Second, 3 * time.Second,
			authjwt.MinRotationLifetime, authjwt.MinRotationLifetime + time.Second, 10 * time.Second, time.Hour,
		} {
			t.Run(mode+"/"+left.String(), func(t *testing.T) {
				clk := newClock()
				cfg := authConfig(t, "HS256", clk)
				cfg.Revocation.Rotation = true
				if cookies {
					cfg.TokenLocation = []string{authjwt.LocationCookies}
					cfg.Cookies.Insecure = true
				}
				ts := startServer(t, cfg, clk)
				var r req
				var refresh string
				if cookies {
					lr := ts.do(req{method: "POST", path: "/login", body: `{"username":"alice","password":"secret"}`})
					lr.expect(t, "login", 200, "")
					jar := map[string]*http.Cookie{}
					for _, c := range lr.cookie {
						jar[c.Name] = c
					}
					refresh = jar["refresh_token"].Value
					r = req{method: "POST", path: "/refresh", cookies: []*http.Cookie{jar["refresh_token"], jar["csrf_refresh"]},
						header: map[string]string{"X-CSRF-Token": jar["csrf_refresh"].Value}}
				} else {
					_, refresh = ts.login("alice", "secret")
					r = req{method: "POST", path: "/refresh", token: refresh}
				}
				old, err := ts.s.auth.Verify(context.Background(), refresh, authjwt.Requirement{Refresh: true})
				if err != nil {
					t.Fatal(err)
				}
				clk.Advance(old.ExpiresAt().Sub(clk.Now()) - left)
				clk.Tick(100 * time.Millisecond)
				for attempt := range 2 {
					resp := ts.do(r)
					switch {
					case resp.status == 200:
						if left < authjwt.MinRotationLifetime {
							t.Fatalf("attempt %d: 200 with %v left, below MinRotationLifetime", attempt, left)
						}
						if attempt > 0 {
							t.Fatalf("attempt %d: a refresh token rotated twice", attempt)
						}
						return
					case resp.status == 401 && strings.Contains(resp.raw, "Signature has expired"):
						if left >= 10*time.Second {
							t.Fatalf("attempt %d: refused as expired with %v left: %s", attempt, left, resp.raw)
						}
						// Refused without consuming: the retry gets the same
						// answer, not "reuse detected".
					default:
						t.Fatalf("attempt %d: /refresh with %v left: %d %s", attempt, left, resp.status, resp.raw)
					}
				}
				first, _, err := cfg.Revocation.Store.(revoke.Consumer).Consume(context.Background(), old.JTI(), old.ExpiresAt())
				if err != nil || !first {
					t.Fatalf("the refused refresh token was consumed (first=%v, %v)", first, err)
				}
			})
		}
	}
}

// TestRefreshRetryWithinGrace: with Revocation.ReuseGrace, /refresh retried
// with the previous refresh token answers the same tokens as the first
// call (one successor, no fork); the successor rotates on; after the
// window the old token is reuse.
func TestRefreshRetryWithinGrace(t *testing.T) {
	clk := newClock()
	cfg := authConfig(t, "HS256", clk)
	cfg.Revocation.Rotation = true
	cfg.Revocation.ReuseGrace = 10 * time.Second
	ts := startServer(t, cfg, clk)
	_, r1 := ts.login("alice", "secret")
	first := ts.do(req{method: "POST", path: "/refresh", token: r1})
	first.expect(t, "first refresh", 200, "")
	for i := range 4 {
		clk.Advance(time.Second)
		again := ts.do(req{method: "POST", path: "/refresh", token: r1})
		again.expect(t, "retry within the grace window", 200, "")
		if again.str(t, "refresh_token") != first.str(t, "refresh_token") || again.str(t, "access_token") != first.str(t, "access_token") {
			t.Fatalf("retry %d answered other tokens than the first refresh: the session forked", i)
		}
	}
	r2 := first.str(t, "refresh_token")
	ts.do(req{method: "POST", path: "/refresh", token: r2}).expect(t, "the successor rotates on", 200, "")
	clk.Advance(10 * time.Second)
	ts.do(req{method: "POST", path: "/refresh", token: r1}).expect(t, "the first token after the window", 401, "Refresh token reuse detected")
}

// TestStoreUnavailable: revocation routes answer 503 when the store
// cannot record, and no route answers 200 when it cannot be asked.
func TestStoreUnavailable(t *testing.T) {
	clk := newClock()
	cfg := authConfig(t, "HS256", clk)
	cfg.Revocation.Store = revocableOnly{}
	ts := startServer(t, cfg, clk)
	access, refresh := ts.login("alice", "secret")
	for _, r := range []req{
		{method: "DELETE", path: "/access-revoke", token: access},
		{method: "DELETE", path: "/refresh-revoke", token: refresh},
		{method: "DELETE", path: "/logout", token: access},
		{method: "POST", path: "/logout-all", token: access},
	} {
		ts.do(r).expect(t, r.path+" with a store that cannot record", 503, "Revocation store unavailable")
	}

	cfg = authConfig(t, "HS256", clk)
	cfg.Revocation.Store = failingStore{}
	down := startServer(t, cfg, clk)
	access, _ = down.login("alice", "secret")
	for _, p := range []string{"/protected", "/admin", "/claims", "/optional"} {
		down.do(req{method: "GET", path: p, token: access}).expect(t, p+" with a store that cannot answer", 503, "Revocation store unavailable")
	}
}

// TestDenylistDisabled: without a store the revocation routes cannot work
// and say so rather than pretending: the library's ErrRevocationDisabled
// (501 revocation_disabled) since issue 15 item 3, 503 before. /logout
// still logs out (the spec since issue 16 item 8): 200 with
// "revoked": false, where it answered 501.
func TestDenylistDisabled(t *testing.T) {
	clk := newClock()
	cfg := authConfig(t, "HS256", clk)
	cfg.Revocation.Enabled, cfg.Revocation.Store = false, nil
	ts := startServer(t, cfg, clk)
	access, _ := ts.login("alice", "secret")
	ts.do(req{method: "GET", path: "/protected", token: access}).expect(t, "protected", 200, "")
	r := ts.do(req{method: "DELETE", path: "/logout", token: access})
	r.expect(t, "logout without a store", 200, "Logged out")
	if r.body["revoked"] != false {
		t.Fatalf("logout without a store: %s, want \"revoked\": false", r.raw)
	}
	ts.do(req{method: "DELETE", path: "/access-revoke", token: access}).expect(t, "access-revoke without a store", 501, "")
}

// TestCookieMode: login sets the pair and CSRF cookies with no token in
// the body; unsafe methods need the CSRF header; logout unsets the cookies.
func TestCookieMode(t *testing.T) {
	clk := newClock()
	cfg := authConfig(t, "HS256", clk)
	cfg.TokenLocation = []string{authjwt.LocationCookies}
	cfg.Cookies.Insecure = true
	ts := startServer(t, cfg, clk)

	r := ts.do(req{method: "POST", path: "/login", body: `{"username":"alice","password":"secret"}`})
	r.expect(t, "login", 200, "Logged in")
	if _, ok := r.body["access_token"]; ok || strings.Contains(r.raw, "refresh_token") {
		t.Fatalf("cookie-only login leaked a token in the body: %s", r.raw)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatal("login without Cache-Control: no-store")
	}
	jar := map[string]*http.Cookie{}
	for _, c := range r.cookie {
		jar[c.Name] = c
	}
	for _, name := range []string{"access_token", "refresh_token", "csrf_access", "csrf_refresh"} {
		if jar[name] == nil || jar[name].Value == "" {
			t.Fatalf("login did not set cookie %s (got %v)", name, r.cookie)
		}
	}
	if !jar["access_token"].HttpOnly || jar["csrf_access"].HttpOnly {
		t.Fatal("the token cookie must be HttpOnly and the CSRF cookie readable")
	}
	accessCookies := []*http.Cookie{jar["access_token"], jar["csrf_access"]}
	refreshCookies := []*http.Cookie{jar["refresh_token"], jar["csrf_refresh"]}

	r = ts.do(req{method: "GET", path: "/protected", cookies: accessCookies})
	r.expect(t, "protected with cookie", 200, "")
	ts.do(req{method: "POST", path: "/partner", cookies: accessCookies}).expect(t, "POST without CSRF header", 403, "Missing CSRF Token")
	ts.do(req{method: "DELETE", path: "/logout", cookies: accessCookies, header: map[string]string{"X-CSRF-Token": "wrong"}}).expect(t, "wrong CSRF header", 403, "CSRF double submitted tokens do not match")

	r = ts.do(req{method: "POST", path: "/refresh", cookies: refreshCookies, header: map[string]string{"X-CSRF-Token": jar["csrf_refresh"].Value}})
	r.expect(t, "refresh with cookie", 200, "")
	if _, ok := r.body["access_token"]; ok {
		t.Fatalf("cookie-only refresh leaked a token: %s", r.raw)
	}
	if !slices.ContainsFunc(r.cookie, func(c *http.Cookie) bool { return c.Name == "access_token" && c.Value != "" }) {
		t.Fatalf("refresh did not set the access cookie: %v", r.cookie)
	}

	r = ts.do(req{method: "DELETE", path: "/logout", cookies: accessCookies, header: map[string]string{"X-CSRF-Token": jar["csrf_access"].Value}})
	r.expect(t, "logout with cookie", 200, "Logged out")
	unset := map[string]bool{}
	for _, c := range r.cookie {
		if c.MaxAge < 0 && c.Value == "" {
			unset[c.Name] = true
		}
	}
	for _, name := range []string{"access_token", "refresh_token", "csrf_access", "csrf_refresh"} {
		if !unset[name] {
			t.Fatalf("logout did not unset %s: %v", name, r.cookie)
		}
	}
	ts.do(req{method: "GET", path: "/protected", cookies: accessCookies}).expect(t, "cookie after logout", 401, "Token has been revoked")
}

// TestDualMode: with headers and cookies, login returns the tokens and
// sets the cookies.
func TestDualMode(t *testing.T) {
	clk := newClock()
	cfg := authConfig(t, "HS256", clk)
	cfg.TokenLocation = []string{authjwt.LocationHeaders, authjwt.LocationCookies}
	cfg.Cookies.Insecure = true
	ts := startServer(t, cfg, clk)
	r := ts.do(req{method: "POST", path: "/login", body: `{"username":"bob","password":"hunter2"}`})
	r.expect(t, "login", 200, "")
	access := r.str(t, "access_token")
	if len(r.cookie) < 4 {
		t.Fatalf("dual-mode login set %d cookies", len(r.cookie))
	}
	ts.do(req{method: "GET", path: "/protected", token: access}).expect(t, "header token", 200, "")
}

// TestDemoPage: the page renders the mode and runs its script under the
// CSP nonce.
func TestDemoPage(t *testing.T) {
	for _, loc := range [][]string{{"headers"}, {"cookies"}, {"headers", "cookies"}} {
		t.Run(strings.Join(loc, ","), func(t *testing.T) {
			clk := newClock()
			cfg := authConfig(t, "HS256", clk)
			cfg.TokenLocation = loc
			cfg.Cookies.Insecure = true
			ts := startServer(t, cfg, clk)
			r := ts.do(req{method: "GET", path: "/"})
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Fatalf("GET /: %d %q", r.status, r.header.Get("Content-Type"))
			}
			if !strings.Contains(r.raw, `data-mode="`+strings.Join(loc, ",")+`"`) {
				t.Fatal("mode not rendered into the page")
			}
			m := regexp.MustCompile(`script-src 'nonce-([^']+)'`).FindStringSubmatch(r.header.Get("Content-Security-Policy"))
			if m == nil || !strings.Contains(r.raw, `<script nonce="`+m[1]+`">`) {
				t.Fatalf("script nonce does not match the CSP %q", r.header.Get("Content-Security-Policy"))
			}
			for _, p := range []string{"/login", "/refresh", "/logout", "/ws", "/admin", "/partner", "/logout-all", "/sessions", "/logout-others"} {
				if !strings.Contains(r.raw, p) {
					t.Fatalf("demo page does not use %s", p)
				}
			}
		})
	}
}

// TestNewServerErrors: bad configurations are refused before listening.
func TestNewServerErrors(t *testing.T) {
	clk := newClock()
	tests := []struct {
		name string
		mod  func(*authjwt.Config)
		want string
	}{
		{"unknown algorithm", func(c *authjwt.Config) { c.Keys.Algorithm = "none" }, "Keys.Algorithm"},
		{"HMAC without a secret", func(c *authjwt.Config) { c.Keys.SecretKey = "" }, "Keys.SecretKey"},
		{"short secret", func(c *authjwt.Config) { c.Keys.SecretKey = "short" }, "Keys.SecretKey"},
		{"denylist without store", func(c *authjwt.Config) { c.Revocation.Store = nil }, "Revocation.Store"},
		{"garbage public key", func(c *authjwt.Config) { c.Keys.Algorithm = "RS256"; c.Keys.SecretKey = ""; c.Keys.PublicKey = "nope" }, "Keys.PublicKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := authConfig(t, "HS256", clk)
			tt.mod(&cfg)
			_, err := newServer(serverConfig{Auth: cfg})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one naming %s", err, tt.want)
			}
		})
	}
}

// TestExtensionsReplacePlaceholders: a file that registers an extension
// takes over its placeholder route.
func TestExtensionsReplacePlaceholders(t *testing.T) {
	saved := extensions
	t.Cleanup(func() { extensions = saved })
	extensions = nil // only this test's extensions
	clk0 := newClock()
	base := startServer(t, authConfig(t, "HS256", clk0), clk0)
	for _, p := range placeholderPatterns {
		method, path, _ := strings.Cut(p, " ")
		base.do(req{method: method, path: path}).expect(t, "placeholder "+p, 501, "Not implemented yet: "+p)
	}
	addExtension(extension{Name: "test-ws", Patterns: []string{"GET /ws"}, Register: func(s *server, mux *http.ServeMux) error {
		mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]bool{"ws": true}) })
		return nil
	}})
	clk := newClock()
	ts := startServer(t, authConfig(t, "HS256", clk), clk)
	if r := ts.do(req{method: "GET", path: "/ws"}); r.status != 200 || r.body["ws"] != true {
		t.Fatalf("extension not served: %d %s", r.status, r.raw)
	}
	ts.do(req{method: "GET", path: "/docs"}).expect(t, "other placeholders stay", 501, "")

	addExtension(extension{Name: "clash", Patterns: []string{"POST /login"}, Register: func(*server, *http.ServeMux) error { return nil }})
	if _, err := newServer(serverConfig{Auth: authConfig(t, "HS256", clk)}); err == nil || !strings.Contains(err.Error(), "registered twice") {
		t.Fatalf("a clashing extension was accepted: %v", err)
	}
}

// TestRouteTable: every route of the spec is in the table (which an
// OpenAPI document can be generated from).
func TestRouteTable(t *testing.T) {
	clk := newClock()
	ts := startServer(t, authConfig(t, "HS256", clk), clk)
	var got []string
	for _, r := range ts.s.routes() {
		got = append(got, r.Pattern)
		if r.Guard == "" || r.Summary == "" || r.Handler == nil {
			t.Fatalf("incomplete route %+v", r)
		}
	}
	want := []string{"GET /{$}", "GET /healthz", "POST /login", "POST /fresh-login", "POST /refresh",
		"GET /protected", "GET /protected-fresh", "GET /protected-recent", "GET /optional", "GET /admin", "GET /claims",
		"POST /partner", "DELETE /access-revoke", "DELETE /refresh-revoke", "DELETE /logout",
		"POST /logout-all", "GET /sessions", "DELETE /sessions/{id}", "POST /logout-others", "GET /.well-known/jwks.json", "GET /.well-known/oauth-protected-resource"}
	if !slices.Equal(got, want) {
		t.Fatalf("routes\n got %v\nwant %v", got, want)
	}
}
