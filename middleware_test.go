package authjwt

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

type testResp struct {
	status int
	body   map[string]any
	www    string
}

func do(t *testing.T, h http.Handler, method, target string, hdr map[string]string) testResp {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var body map[string]any
	if b, _ := io.ReadAll(w.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("body %q is not JSON: %v", b, err)
		}
	}
	return testResp{w.Code, body, w.Header().Get("WWW-Authenticate")}
}

// echoSub answers {"user": <sub or null>}.
var echoSub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	var user any
	if t := FromContext(r.Context()); t != nil {
		user = t.Subject()
	}
	json.NewEncoder(w).Encode(map[string]any{"user": user})
})

func TestHeaderExtraction(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	tok := must(a.CreateAccessToken("alice"))
	h := a.Required(echoSub)
	cases := []struct {
		name   string
		header string // Authorization value; "" for none
		status int
		detail string
		www    string // substring of WWW-Authenticate
	}{
		{"valid", "Bearer " + tok, 200, "", ""},
		{"scheme is case-insensitive", "bEaReR " + tok, 200, "", ""},
		{"missing header", "", 401, "Missing Authorization Header", "Bearer"},
		{"other scheme is no credentials", "Basic dXNlcjpwYXNz", 401, "Bad Authorization header. Expected value 'Bearer <JWT>'", "Bearer"},
		{"scheme without token", "Bearer", 400, "Bad Authorization header. Expected value 'Bearer <JWT>'", `error="invalid_request"`},
		{"scheme with empty token", "Bearer ", 400, "Bad Authorization header. Expected value 'Bearer <JWT>'", `error="invalid_request"`},
		{"extra parts", "Bearer " + tok + " extra", 400, "Bad Authorization header. Expected value 'Bearer <JWT>'", `error="invalid_request"`},
		{"bare token without scheme", tok, 401, "Bad Authorization header. Expected value 'Bearer <JWT>'", "Bearer"},
		{"malformed token", "Bearer abc.def", 401, "Invalid token", `error="invalid_token"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := map[string]string{}
			if c.header != "" {
				hdr["Authorization"] = c.header
			}
			r := do(t, h, "GET", "/", hdr)
			if r.status != c.status {
				t.Fatalf("status %d, want %d (%v)", r.status, c.status, r.body)
			}
			if c.status == 200 {
				if r.body["user"] != "alice" {
					t.Fatalf("body %v", r.body)
				}
				return
			}
			if r.body["detail"] != c.detail || r.body["code"] == "" {
				t.Fatalf("body %v, want detail %q", r.body, c.detail)
			}
			if !strings.Contains(r.www, c.www) {
				t.Fatalf("WWW-Authenticate %q, want %q", r.www, c.www)
			}
			if c.status == 401 && strings.HasPrefix(c.header, "Basic") && strings.Contains(r.www, "error=") {
				t.Fatalf("no-credentials 401 carries an error code: %q", r.www)
			}
		})
	}
}

func TestCustomHeaderNameAndType(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Header: HeaderConfig{Name: "Foo", Type: "JWT"}})
	tok := must(a.CreateAccessToken("alice"))
	h := a.Required(echoSub)
	if r := do(t, h, "GET", "/", map[string]string{"Foo": "JWT " + tok}); r.status != 200 {
		t.Fatalf("custom header: %d %v", r.status, r.body)
	}
	r := do(t, h, "GET", "/", map[string]string{"Authorization": "Bearer " + tok})
	if r.status != 401 || r.body["detail"] != "Missing Foo Header" {
		t.Fatalf("Authorization used despite custom header: %d %v", r.status, r.body)
	}
	if r := do(t, h, "GET", "/", map[string]string{"Foo": "Bearer " + tok}); r.status != 401 || r.body["detail"] != "Bad Foo header. Expected value 'JWT <JWT>'" {
		t.Fatalf("wrong type: %d %v", r.status, r.body)
	}
	bare := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Header: HeaderConfig{BareToken: true}})
	hb := bare.Required(echoSub)
	if r := do(t, hb, "GET", "/", map[string]string{"Authorization": tok}); r.status != 200 {
		t.Fatalf("bare token: %d %v", r.status, r.body)
	}
	if r := do(t, hb, "GET", "/", map[string]string{"Authorization": "Bearer " + tok}); r.status != 400 {
		t.Fatalf("bare mode accepted a scheme: %d", r.status)
	}
}

func TestNeverFromQuery(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	tok := must(a.CreateAccessToken("alice"))
	if r := do(t, a.Required(echoSub), "GET", "/?token="+tok+"&access_token="+tok, nil); r.status != 401 {
		t.Fatalf("token accepted from the query string: %d", r.status)
	}
}

func TestMiddlewareGuards(t *testing.T) {
	clk := newClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now})
	pair := must(a.CreatePair("alice", WithFresh(true), WithClaims(map[string]any{"roles": []string{"admin"}, "partner": "acme"})))
	stale := must(a.CreateAccessToken("bob", WithClaims(map[string]any{"roles": []string{}})))
	expired := must(a.CreateAccessToken("carol", WithExpiry(time.Second)))
	clk.Add(2 * time.Second)
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	cases := []struct {
		name   string
		h      http.Handler
		hdr    map[string]string
		status int
		detail string
		www    string
	}{
		{"required ok", a.Required(echoSub), bearer(pair.AccessToken), 200, "", ""},
		{"required refresh token", a.Required(echoSub), bearer(pair.RefreshToken), 401, "Only access tokens are allowed", `error="invalid_token"`},
		{"required expired", a.Required(echoSub), bearer(expired), 401, "Signature has expired", `error="invalid_token"`},
		{"optional without token", a.Optional(echoSub), nil, 200, "", ""},
		{"optional with token", a.Optional(echoSub), bearer(pair.AccessToken), 200, "", ""},
		{"optional with invalid token", a.Optional(echoSub), bearer("x.y.z"), 401, "Invalid token", ""},
		{"refresh ok", a.RefreshRequired(echoSub), bearer(pair.RefreshToken), 200, "", ""},
		{"refresh with access", a.RefreshRequired(echoSub), bearer(pair.AccessToken), 401, "Only refresh tokens are allowed", ""},
		{"fresh ok", a.FreshRequired(echoSub), bearer(pair.AccessToken), 200, "", ""},
		{"fresh with stale", a.FreshRequired(echoSub), bearer(stale), 401, "Fresh token required", `error="insufficient_user_authentication"`},
		{"role ok", a.RequireRoles("admin")(echoSub), bearer(pair.AccessToken), 200, "", ""},
		{"role missing", a.RequireRoles("admin")(echoSub), bearer(stale), 403, "Not enough permissions", `error="insufficient_scope"`},
		{"claim ok", a.RequireClaims("partner")(echoSub), bearer(pair.AccessToken), 200, "", ""},
		{"claim missing", a.RequireClaims("partner")(echoSub), bearer(stale), 403, "Missing claim: partner", `error="insufficient_scope"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, c.h, "GET", "/", c.hdr)
			if r.status != c.status {
				t.Fatalf("status %d, want %d (%v)", r.status, c.status, r.body)
			}
			if c.detail != "" && r.body["detail"] != c.detail {
				t.Fatalf("detail %v, want %q", r.body["detail"], c.detail)
			}
			if c.status == 200 && c.hdr != nil && r.body["user"] == nil {
				t.Fatal("token not in context")
			}
			if !strings.Contains(r.www, c.www) {
				t.Fatalf("WWW-Authenticate %q, want %q", r.www, c.www)
			}
		})
	}
}

func TestLegacyStatusCodes(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, LegacyStatusCodes: true})
	rt := must(a.CreateRefreshToken("alice"))
	h := a.Required(echoSub)
	if r := do(t, h, "GET", "/", map[string]string{"Authorization": "Bearer " + rt}); r.status != 422 || r.body["detail"] != "Only access tokens are allowed" {
		t.Fatalf("legacy wrong type: %d %v", r.status, r.body)
	}
	if r := do(t, h, "GET", "/", map[string]string{"Authorization": "Bearer"}); r.status != 422 {
		t.Fatalf("legacy bad header: %d", r.status)
	}
	if r := do(t, h, "GET", "/", nil); r.status != 401 {
		t.Fatalf("legacy missing header: %d", r.status)
	}
	// The seed answers an expired token with 401 (its AccessTokenExpired),
	// not with the 422 of its other decode errors.
	at := must(a.CreateAccessToken("alice", WithExpiry(time.Second)))
	late := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, LegacyStatusCodes: true, Now: func() time.Time { return time.Now().Add(time.Hour) }})
	if r := do(t, late.Required(echoSub), "GET", "/", map[string]string{"Authorization": "Bearer " + at}); r.status != 401 || r.body["detail"] != "Signature has expired" {
		t.Fatalf("legacy expired: %d %v", r.status, r.body)
	}
}

func TestCustomErrorHandlerAndHook(t *testing.T) {
	var events []VerifyEvent
	a := mustNew(t, Config{
		Keys: KeyConfig{SecretKey: testSecret},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("handler got %T", err)
			}
			w.WriteHeader(418)
		},
		Hooks: HookConfig{
			OnVerify: func(ctx context.Context, ev VerifyEvent) { events = append(events, ev) },
		},
	})
	tok := must(a.CreateAccessToken("alice"))
	h := a.Required(echoSub)
	if r := do(t, h, "GET", "/", map[string]string{"Authorization": "Bearer x.y.z"}); r.status != 418 {
		t.Fatalf("custom handler not used: %d", r.status)
	}
	do(t, h, "GET", "/", map[string]string{"Authorization": "Bearer " + tok})
	if len(events) != 2 || events[0].Err == nil || events[1].Err != nil || events[1].Source != "header" || events[1].Type != "access" {
		t.Fatalf("events %+v", events)
	}
}

func TestContextAccessors(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	type custom struct {
		Org  string   `json:"org"`
		Role []string `json:"roles"`
	}
	tok := must(a.CreateAccessToken("alice", WithClaims(custom{Org: "acme", Role: []string{"admin"}}), WithHeaders(map[string]any{"x-env": "test"})))
	var got custom
	var hdr map[string]any
	var all map[string]any
	var sub, jti string
	h := a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		got, err = ClaimsAs[custom](r.Context())
		if err != nil {
			t.Error(err)
		}
		tk := FromContext(r.Context())
		hdr, _ = tk.Header()
		all, _ = tk.Claims()
		sub, jti = Subject(r.Context()), JTI(r.Context())
	}))
	do(t, h, "GET", "/", map[string]string{"Authorization": "Bearer " + tok})
	if got.Org != "acme" || len(got.Role) != 1 || sub != "alice" || jti == "" {
		t.Fatalf("claims %+v sub %q jti %q", got, sub, jti)
	}
	if hdr["x-env"] != "test" || hdr["alg"] != "HS256" {
		t.Fatalf("header %v", hdr)
	}
	if all["org"] != "acme" || all["sub"] != "alice" {
		t.Fatalf("claims map %v", all)
	}
	if _, err := ClaimsAs[custom](context.Background()); err == nil {
		t.Fatal("ClaimsAs without a token succeeded")
	}
	uh, err := UnverifiedHeader(tok)
	if err != nil || uh["x-env"] != "test" {
		t.Fatalf("UnverifiedHeader %v %v", uh, err)
	}
}

func TestUserLoader(t *testing.T) {
	a := mustNew(t, Config{
		Keys: KeyConfig{SecretKey: testSecret},
		UserLoader: func(ctx context.Context, tk *Token) (any, error) {
			if tk.Subject() == "ghost" {
				return nil, nil
			}
			return "user:" + tk.Subject(), nil
		},
	})
	var u any
	h := a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { u = User(r.Context()) }))
	do(t, h, "GET", "/", map[string]string{"Authorization": "Bearer " + must(a.CreateAccessToken("alice"))})
	if u != "user:alice" {
		t.Fatalf("user %v", u)
	}
	r := do(t, h, "GET", "/", map[string]string{"Authorization": "Bearer " + must(a.CreateAccessToken("ghost"))})
	if r.status != 401 || r.body["detail"] != "User not found" {
		t.Fatalf("unknown user: %d %v", r.status, r.body)
	}
}

func TestRevocation(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := revoke.NewMemory(revoke.WithClock(clk.Now))
	defer store.Close()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: store}, Now: clk.Now})
	p1 := must(a.CreatePair("alice"))
	p2 := must(a.CreatePair("alice"))
	other := must(a.CreatePair("bob"))
	verify := func(tok string, refresh bool) error {
		_, err := a.Verify(ctx, tok, Requirement{Refresh: refresh})
		return err
	}
	for _, tok := range []string{p1.AccessToken, p2.AccessToken} {
		if err := verify(tok, false); err != nil {
			t.Fatalf("not revoked token refused: %v", err)
		}
	}
	// Revoke one access token.
	at := must(a.Verify(ctx, p1.AccessToken, Requirement{}))
	if err := a.Revoke(ctx, at); err != nil {
		t.Fatal(err)
	}
	if err := verify(p1.AccessToken, false); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("revoked access token: %v", err)
	}
	if err := verify(p1.RefreshToken, true); err != nil {
		t.Fatalf("refresh token revoked with its access token alone: %v", err)
	}
	// Logout: the family.
	if err := a.RevokeFamily(ctx, at); err != nil {
		t.Fatal(err)
	}
	if err := verify(p1.RefreshToken, true); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("refresh token of a logged-out pair: %v", err)
	}
	if err := verify(p2.AccessToken, false); err != nil {
		t.Fatalf("other session revoked: %v", err)
	}
	// Logout everywhere: every token of alice issued up to now.
	clk.Add(time.Second)
	if err := a.RevokeSubject(ctx, "", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := verify(p2.AccessToken, false); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("logout everywhere: %v", err)
	}
	if err := verify(other.AccessToken, false); err != nil {
		t.Fatalf("other subject affected: %v", err)
	}
	// A token issued in the next second is fine.
	clk.Add(time.Second)
	fresh := must(a.CreateAccessToken("alice"))
	if err := verify(fresh, false); err != nil {
		t.Fatalf("token issued after logout-all: %v", err)
	}
	// Only configured types are checked.
	b := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: store, Checks: []string{"refresh"}}, Now: clk.Now})
	if _, err := b.Verify(ctx, p1.AccessToken, Requirement{}); err != nil {
		t.Fatalf("access token checked although only refresh is: %v", err)
	}
}

func TestRevocationStoreFailsClosed(t *testing.T) {
	failing := revoke.Func(func(ctx context.Context, q revoke.Query) (bool, error) {
		return false, errors.New("connection refused")
	})
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: failing}})
	tok := must(a.CreateAccessToken("alice"))
	r := do(t, a.Required(echoSub), "GET", "/", map[string]string{"Authorization": "Bearer " + tok})
	if r.status != 503 || r.body["code"] != string(CodeStoreUnavailable) {
		t.Fatalf("store failure: %d %v", r.status, r.body)
	}
	slow := revoke.Func(func(ctx context.Context, q revoke.Query) (bool, error) {
		<-ctx.Done()
		return false, ctx.Err()
	})
	b := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: slow, Timeout: 50 * time.Millisecond}})
	start := time.Now()
	if _, err := b.Verify(context.Background(), tok, Requirement{}); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("slow store: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("store timeout not honoured: %v", d)
	}
	open := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: failing, UnsafeFailOpen: true}})
	if _, err := open.Verify(context.Background(), tok, Requirement{}); err != nil {
		t.Fatalf("fail-open: %v", err)
	}
	// A callback store (the seed's denylist loader).
	denied := map[string]bool{}
	cb := mustNew(t, Config{
		Keys: KeyConfig{SecretKey: testSecret},
		Revocation: RevocationConfig{
			Enabled: true,
			Store: revoke.Func(func(ctx context.Context, q revoke.Query) (bool, error) {
				return denied[q.JTI], nil
			}),
		},
	})
	vt := must(cb.Verify(context.Background(), tok, Requirement{}))
	denied[vt.JTI()] = true
	if _, err := cb.Verify(context.Background(), tok, Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("callback denylist: %v", err)
	}
}
