// Package adaptertest is test support for authjwt's framework adapters
// (authhuma, authgin, authecho) and for adapters written outside this
// repository: one table of requests that an adapter's tests send through
// its framework and through the library's net/http middleware, comparing
// the answers, and [ExampleFlow], the client flow every adapter example
// serves. It lives in the core module, beside revoke/storetest, so that
// the published adapter modules depend only on published modules. It is
// not meant for applications.
package adaptertest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

// Path is the route every case requests. An adapter's builder guards it,
// for GET and POST, with the case's requirement.
const Path = "/guarded"

// secret is the fixture's HMAC secret.
const secret = "adaptercases-secret-0123456789abcdef"

// Fixture is an Auth reading tokens from both headers and cookies, with a
// memory revocation store, and the tokens the cases use.
type Fixture struct {
	// Auth is the instance under test: build the framework handler with it.
	Auth *authjwt.Auth

	access, refresh, stale, expired, revoked, admin string
	// cookie-mode tokens with their CSRF values
	cookieAccess, cookieAccessCSRF   string
	cookieRefresh, cookieRefreshCSRF string
	accessCookieName                 string
	refreshCookieName                string
}

func config(now func() time.Time, store revoke.Store) authjwt.Config {
	return authjwt.Config{
		Keys:          authjwt.KeyConfig{SecretKey: secret},
		TokenLocation: []string{authjwt.LocationHeaders, authjwt.LocationCookies},
		Revocation: authjwt.RevocationConfig{
			Enabled: true,
			Store:   store,
		},
		Now: now,
	}
}

// NewFixture builds the Auth and mints the tokens.
func NewFixture(t testing.TB) *Fixture {
	t.Helper()
	store := revoke.NewMemory()
	a, err := authjwt.New(config(nil, store))
	if err != nil {
		t.Fatalf("adaptertest: New: %v", err)
	}
	// Same keys, one hour in the past: its 15-minute tokens have expired.
	past, err := authjwt.New(config(func() time.Time { return time.Now().Add(-time.Hour) }, store))
	if err != nil {
		t.Fatalf("adaptertest: New: %v", err)
	}
	f := &Fixture{Auth: a}
	must := func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("adaptertest: creating a token: %v", err)
		}
		return s
	}
	roles := func(r ...string) authjwt.TokenOption { return authjwt.WithClaims(map[string]any{"roles": r}) }
	f.access = must(a.CreateAccessToken("alice", authjwt.WithFresh(true), roles("admin")))
	f.stale = must(a.CreateAccessToken("bob", roles()))
	f.admin = f.access
	f.refresh = must(a.CreateRefreshToken("alice"))
	f.expired = must(past.CreateAccessToken("alice", authjwt.WithFresh(true)))
	f.revoked = must(a.CreateAccessToken("carol", authjwt.WithFresh(true)))
	tok, err := a.Verify(context.Background(), f.revoked, authjwt.Requirement{})
	if err != nil {
		t.Fatalf("adaptertest: %v", err)
	}
	if err := a.Revoke(context.Background(), tok); err != nil {
		t.Fatalf("adaptertest: Revoke: %v", err)
	}

	// Cookies as the library sets them, read back from a response.
	pair, err := a.CreatePair("dave")
	if err != nil {
		t.Fatalf("adaptertest: %v", err)
	}
	rec := httptest.NewRecorder()
	if err := a.SetPairCookies(rec, pair); err != nil {
		t.Fatalf("adaptertest: SetPairCookies: %v", err)
	}
	cfg := a.Config()
	f.accessCookieName, f.refreshCookieName = cfg.Cookies.Access.Name, cfg.Cookies.Refresh.Name
	for _, c := range rec.Result().Cookies() {
		switch c.Name {
		case cfg.Cookies.Access.Name:
			f.cookieAccess = c.Value
		case cfg.Cookies.Access.CSRFName:
			f.cookieAccessCSRF = c.Value
		case cfg.Cookies.Refresh.Name:
			f.cookieRefresh = c.Value
		case cfg.Cookies.Refresh.CSRFName:
			f.cookieRefreshCSRF = c.Value
		}
	}
	if f.cookieAccess == "" || f.cookieAccessCSRF == "" || f.cookieRefresh == "" || f.cookieRefreshCSRF == "" {
		t.Fatalf("adaptertest: SetPairCookies set %v", rec.Result().Cookies())
	}
	return f
}

// Case is one request of the table.
type Case struct {
	// Name names the case (a subtest).
	Name string
	// Why says what the case proves.
	Why string
	// Req is the requirement guarding [Path].
	Req authjwt.Requirement
	// Request builds a new request for the case.
	Request func() *http.Request
	// Status is the status net/http answers with (checked too, so that a
	// broken fixture cannot make every framework "agree" on nonsense).
	Status int
}

// Cases returns the table: missing, valid, expired, wrong type, not fresh,
// revoked, role missing, claim missing, optional, and cookies with and
// without CSRF.
func (f *Fixture) Cases() []Case {
	bearer := func(method, tok string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(method, Path, nil)
			if tok != "" {
				r.Header.Set("Authorization", "Bearer "+tok)
			}
			return r
		}
	}
	cookie := func(method, name, tok, csrf string, extra map[string]string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(method, Path, strings.NewReader(""))
			r.AddCookie(&http.Cookie{Name: name, Value: tok})
			if csrf != "" {
				r.Header.Set("X-CSRF-Token", csrf)
			}
			for k, v := range extra {
				r.Header.Set(k, v)
			}
			return r
		}
	}
	header := func(method, name, value string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(method, Path, nil)
			r.Header.Set(name, value)
			return r
		}
	}
	required := authjwt.Requirement{}
	return []Case{
		{"missing", "no credentials at all: 401 with the missing-header message", required, bearer("GET", ""), 401},
		{"valid", "a valid access token passes and its subject reaches the handler", required, bearer("GET", f.access), 200},
		{"valid POST header", "header tokens need no CSRF header on unsafe methods", required, bearer("POST", f.access), 200},
		{"expired", "an expired token is 401 'Signature has expired'", required, bearer("GET", f.expired), 401},
		{"wrong type refresh on access route", "a refresh token is refused where an access token is needed", required, bearer("GET", f.refresh), 401},
		{"wrong type access on refresh route", "an access token is refused where a refresh token is needed", authjwt.Requirement{Refresh: true}, bearer("POST", f.access), 401},
		{"refresh", "a refresh token passes a refresh guard", authjwt.Requirement{Refresh: true}, bearer("POST", f.refresh), 200},
		{"not fresh", "a non-fresh token is refused by a fresh guard", authjwt.Requirement{Fresh: true}, bearer("GET", f.stale), 401},
		{"fresh", "a fresh token passes a fresh guard", authjwt.Requirement{Fresh: true}, bearer("GET", f.access), 200},
		{"revoked", "a revoked token is 401 'Token has been revoked'", required, bearer("GET", f.revoked), 401},
		{"role missing", "a token without the role is 403", authjwt.Requirement{Roles: []string{"admin"}}, bearer("GET", f.stale), 403},
		{"role present", "a token with the role passes", authjwt.Requirement{Roles: []string{"admin"}}, bearer("GET", f.admin), 200},
		{"claim missing", "a missing required claim is 403 naming the claim", authjwt.Requirement{Claims: []string{"partner"}}, bearer("GET", f.access), 403},
		{"optional without token", "optional lets anonymous requests through, with no token in context", authjwt.Requirement{Optional: true}, bearer("GET", ""), 200},
		{"optional with token", "optional still exposes a valid token", authjwt.Requirement{Optional: true}, bearer("GET", f.access), 200},
		{"optional with expired token", "optional refuses an invalid token instead of ignoring it", authjwt.Requirement{Optional: true}, bearer("GET", f.expired), 401},
		{"bad header", "a malformed Authorization header is 400", required, header("GET", "Authorization", "Bearer a b"), 400},
		{"other scheme", "another scheme is no credentials for ours: 401", required, header("GET", "Authorization", "Basic Zm9vOmJhcg=="), 401},
		{"cookie GET", "a cookie on a safe method needs no CSRF header", required, cookie("GET", f.accessCookieName, f.cookieAccess, "", nil), 200},
		{"cookie POST without CSRF", "a cookie on an unsafe method without the CSRF header is 403", required, cookie("POST", f.accessCookieName, f.cookieAccess, "", nil), 403},
		{"cookie POST with CSRF", "the cookie with its CSRF header passes", required, cookie("POST", f.accessCookieName, f.cookieAccess, f.cookieAccessCSRF, nil), 200},
		{"cookie POST wrong CSRF", "a CSRF header of another token is 403 mismatch", required, cookie("POST", f.accessCookieName, f.cookieAccess, f.cookieRefreshCSRF, nil), 403},
		{"cookie POST cross-site", "a cross-site unsafe request is refused even with the CSRF value", required,
			cookie("POST", f.accessCookieName, f.cookieAccess, f.cookieAccessCSRF, map[string]string{"Sec-Fetch-Site": "cross-site"}), 403},
		{"refresh cookie POST with CSRF", "the refresh cookie with its own CSRF value passes a refresh guard", authjwt.Requirement{Refresh: true},
			cookie("POST", f.refreshCookieName, f.cookieRefresh, f.cookieRefreshCSRF, nil), 200},
	}
}

// Body is what the handler behind the guard answers on success.
type Body struct {
	// User is the verified token's subject, or nil without a token.
	User *string `json:"user"`
}

// BodyFor returns the success body for the tokens the handler found:
// fromFramework through the framework's own accessor, fromStd through
// authjwt.FromContext on the request's context. They must be the same
// token; ok is false (and the handler should answer 500) when they are not.
func BodyFor(fromFramework, fromStd *authjwt.Token) (b Body, ok bool) {
	if fromFramework != fromStd {
		return Body{}, false
	}
	if fromStd != nil {
		s := fromStd.Subject()
		b.User = &s
	}
	return b, true
}

// WriteUser is a handler body usable by every framework that exposes an
// http.ResponseWriter: it writes [BodyFor] as JSON, or 500 on a mismatch.
func WriteUser(w http.ResponseWriter, fromFramework, fromStd *authjwt.Token) {
	b, ok := BodyFor(fromFramework, fromStd)
	if !ok {
		http.Error(w, "framework and request contexts hold different tokens", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(b)
}

// Reference returns the net/http handler the frameworks are compared with:
// a's middleware in front of [WriteUser].
func Reference(a *authjwt.Auth, req authjwt.Requirement) http.Handler {
	return a.Middleware(req)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := authjwt.FromContext(r.Context())
		WriteUser(w, t, t)
	}))
}

// Builder returns the framework's handler serving [Path] (GET and POST)
// guarded by req with a, whose guarded handler answers like [WriteUser].
type Builder func(a *authjwt.Auth, req authjwt.Requirement) http.Handler

// Compare checks one answer against net/http's for the same case.
type Compare func(t *testing.T, c Case, want, got *httptest.ResponseRecorder)

// compared are the headers whose values must match exactly.
var compared = []string{"WWW-Authenticate", "Cache-Control", "X-Content-Type-Options"}

// Same requires the same status, the same body bytes, the same
// Content-Type media type and the same auth-related headers.
func Same(t *testing.T, c Case, want, got *httptest.ResponseRecorder) {
	t.Helper()
	SameStatusAndHeaders(t, c, want, got)
	if !bytes.Equal(bytes.TrimSpace(want.Body.Bytes()), bytes.TrimSpace(got.Body.Bytes())) {
		t.Errorf("%s\nbody: got %q\n     want %q", c.Why, got.Body.String(), want.Body.String())
	}
	if mt(want.Header().Get("Content-Type")) != mt(got.Header().Get("Content-Type")) {
		t.Errorf("%s\nContent-Type: got %q, want %q", c.Why, got.Header().Get("Content-Type"), want.Header().Get("Content-Type"))
	}
}

func mt(ct string) string {
	m, _, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(m)
}

// SameStatusAndHeaders requires the same status and the same
// auth-related headers (WWW-Authenticate, Cache-Control,
// X-Content-Type-Options) on errors.
func SameStatusAndHeaders(t *testing.T, c Case, want, got *httptest.ResponseRecorder) {
	t.Helper()
	if got.Code != want.Code {
		t.Errorf("%s\nstatus: got %d, want %d (body %q, want %q)", c.Why, got.Code, want.Code, got.Body.String(), want.Body.String())
	}
	if want.Code < 400 {
		return
	}
	for _, h := range compared {
		if g, w := got.Header().Get(h), want.Header().Get(h); g != w {
			t.Errorf("%s\n%s: got %q, want %q", c.Why, h, g, w)
		}
	}
}

// Detail returns the "detail" member of a JSON error body, or "".
func Detail(body []byte) string {
	var v struct {
		Detail string `json:"detail"`
	}
	json.Unmarshal(body, &v)
	return v.Detail
}

// Run sends every case through net/http and through build, checks net/http's
// status against the table, and compares the framework's answer with cmp
// (use [Same] unless the framework's body format differs by design).
func Run(t *testing.T, build Builder, cmp Compare) {
	t.Helper()
	f := NewFixture(t)
	for _, c := range f.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			want := httptest.NewRecorder()
			Reference(f.Auth, c.Req).ServeHTTP(want, c.Request())
			if want.Code != c.Status {
				t.Fatalf("net/http answered %d, the table says %d (%s): %s", want.Code, c.Status, c.Why, want.Body.String())
			}
			if c.Status == 200 && c.Name != "optional without token" {
				var b Body
				if json.Unmarshal(want.Body.Bytes(), &b) != nil || b.User == nil {
					t.Fatalf("net/http success body has no user: %s", want.Body.String())
				}
			}
			got := httptest.NewRecorder()
			build(f.Auth, c.Req).ServeHTTP(got, c.Request())
			cmp(t, c, want, got)
		})
	}
}

// ClaimsBug does not fit the fixture's access token, whose "roles" is a
// list: decoding into it is a bug of the application, not of the token.
type ClaimsBug struct {
	// Roles is a string here, a list in the token.
	Roles string `json:"roles"`
}

// ClaimsBugBody is a guarded handler's body that decodes the verified
// token into [ClaimsBug] with authjwt.ClaimsAs and answers the error with
// a.WriteError, as the documentation shows.
func ClaimsBugBody(a *authjwt.Auth) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, err := authjwt.ClaimsAs[ClaimsBug](r.Context())
		a.WriteError(w, r, err)
	}
}

// RunClaimsTypeMismatch checks that a claims type mismatch in a handler
// behind the framework's guard is answered 500 claims_type_mismatch
// (never 401 blaming the token), as through net/http. serve returns the
// framework's handler serving [Path] (GET), guarded by Required, whose
// body is body.
func RunClaimsTypeMismatch(t *testing.T, serve func(a *authjwt.Auth, body http.HandlerFunc) http.Handler) {
	t.Helper()
	f := NewFixture(t)
	for name, h := range map[string]http.Handler{
		"net/http":  f.Auth.Required(ClaimsBugBody(f.Auth)),
		"framework": serve(f.Auth, ClaimsBugBody(f.Auth)),
	} {
		r := httptest.NewRequest("GET", Path, nil)
		r.Header.Set("Authorization", "Bearer "+f.access)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var body struct {
			Code string `json:"code"`
		}
		json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusInternalServerError || body.Code != string(authjwt.CodeClaimsType) || w.Header().Get("WWW-Authenticate") != "" {
			t.Errorf("%s: %d %s (WWW-Authenticate %q), want 500 claims_type_mismatch", name, w.Code, w.Body, w.Header().Get("WWW-Authenticate"))
		}
	}
}
