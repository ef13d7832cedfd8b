package authhuma_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/adapters/authhuma"
	"github.com/librenz/authjwt/authjwttest/adaptertest"
)

type userOut struct {
	Body adaptertest.Body
}

func userHandler(ctx context.Context, _ *struct{}) (*userOut, error) {
	b, ok := adaptertest.BodyFor(authhuma.Token(ctx), authjwt.FromContext(ctx))
	if !ok {
		return nil, huma.Error500InternalServerError("token mismatch")
	}
	return &userOut{Body: b}, nil
}

func newAPI(a *authjwt.Auth, opts ...authhuma.Option) (*http.ServeMux, huma.API, *authhuma.Guard) {
	mux := http.NewServeMux()
	api := humago.New(mux, huma.DefaultConfig("test", "1.0.0"))
	return mux, api, authhuma.New(api, a, opts...)
}

func builder(opts ...authhuma.Option) adaptertest.Builder {
	return func(a *authjwt.Auth, req authjwt.Requirement) http.Handler {
		mux, api, g := newAPI(a, opts...)
		huma.Get(api, adaptertest.Path, userHandler, g.Middleware(req))
		huma.Post(api, adaptertest.Path, userHandler, g.Middleware(req))
		return mux
	}
}

// sameUser compares success bodies by their user (huma adds "$schema").
func sameUser(t *testing.T, c adaptertest.Case, want, got *httptest.ResponseRecorder) {
	t.Helper()
	if want.Code != 200 {
		return
	}
	var w, g adaptertest.Body
	json.Unmarshal(want.Body.Bytes(), &w)
	if err := json.Unmarshal(got.Body.Bytes(), &g); err != nil {
		t.Errorf("%s: success body %q: %v", c.Why, got.Body.String(), err)
	}
	if !reflect.DeepEqual(w, g) {
		t.Errorf("%s: body %s, want %s", c.Why, got.Body.String(), want.Body.String())
	}
}

// TestSameAsNetHTTP sends the shared table through huma with huma errors:
// same statuses, auth headers, messages and users as net/http.
func TestSameAsNetHTTP(t *testing.T) {
	adaptertest.Run(t, builder(), func(t *testing.T, c adaptertest.Case, want, got *httptest.ResponseRecorder) {
		t.Helper()
		adaptertest.SameStatusAndHeaders(t, c, want, got)
		sameUser(t, c, want, got)
		if want.Code >= 400 {
			if g, w := adaptertest.Detail(got.Body.Bytes()), adaptertest.Detail(want.Body.Bytes()); g != w {
				t.Errorf("%s: detail %q, want %q", c.Why, g, w)
			}
			if ct := got.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: Content-Type %q: not a huma error", c.Why, ct)
			}
			var m huma.ErrorModel
			if json.Unmarshal(got.Body.Bytes(), &m) != nil || m.Status != want.Code || m.Title != http.StatusText(want.Code) {
				t.Errorf("%s: not huma's error model: %s", c.Why, got.Body.String())
			}
		}
	})
}

// TestSameAsNetHTTPLibraryErrors: with WithLibraryErrors, error answers
// are byte-identical to net/http's.
func TestSameAsNetHTTPLibraryErrors(t *testing.T) {
	adaptertest.Run(t, builder(authhuma.WithLibraryErrors()), func(t *testing.T, c adaptertest.Case, want, got *httptest.ResponseRecorder) {
		t.Helper()
		if want.Code >= 400 {
			adaptertest.Same(t, c, want, got)
			return
		}
		adaptertest.SameStatusAndHeaders(t, c, want, got)
		sameUser(t, c, want, got)
	})
}

// TestOpenAPIDocument checks that the declaration sets the documented
// security, errors and schemes.
func TestOpenAPIDocument(t *testing.T) {
	f := adaptertest.NewFixture(t)
	_, api, g := newAPI(f.Auth)
	huma.Get(api, "/open", userHandler)
	huma.Get(api, "/protected", userHandler, g.Required())
	huma.Get(api, "/optional", userHandler, g.Optional())
	huma.Post(api, "/refresh", userHandler, g.RefreshRequired())
	huma.Get(api, "/admin", userHandler, g.FreshRequired(), g.RequireRoles("admin"))
	huma.Post(api, "/partner", userHandler, g.RequireClaims("partner"))
	doc := api.OpenAPI()

	for _, name := range []string{authjwt.SchemeBearer, authjwt.SchemeAccessCookie, authjwt.SchemeAccessCSRF, authjwt.SchemeRefreshCookie, authjwt.SchemeRefreshCSRF} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Errorf("scheme %s not registered", name)
		}
	}
	if s := doc.Components.SecuritySchemes[authjwt.SchemeBearer]; s.Type != "http" || s.Scheme != "bearer" || s.BearerFormat != "JWT" {
		t.Errorf("bearer scheme %+v", s)
	}
	type want = []map[string][]string
	bearer := map[string][]string{authjwt.SchemeBearer: {}}
	dpop := map[string][]string{authjwt.SchemeDPoP: {}} // DPoP allowed, the default
	tests := []struct {
		path, method string
		why          string
		security     want
		errors       []string
	}{
		{"/open", "GET", "an unguarded operation has no security", nil, nil},
		{"/protected", "GET", "required: header or cookie (GET: no CSRF)", want{bearer, dpop, {authjwt.SchemeAccessCookie: {}}}, []string{"401", "403"}},
		{"/optional", "GET", "optional: the empty requirement first", want{{}, bearer, dpop, {authjwt.SchemeAccessCookie: {}}}, []string{"401"}},
		{"/refresh", "POST", "refresh POST: the refresh cookie with its CSRF header", want{bearer, dpop, {authjwt.SchemeRefreshCookie: {}, authjwt.SchemeRefreshCSRF: {}}}, []string{"401", "503"}},
		{"/admin", "GET", "fresh and roles combine on one operation", want{bearer, dpop, {authjwt.SchemeAccessCookie: {}}}, []string{"403"}},
		{"/partner", "POST", "claims POST: access cookie with CSRF header", want{bearer, dpop, {authjwt.SchemeAccessCookie: {}, authjwt.SchemeAccessCSRF: {}}}, []string{"403"}},
	}
	for _, tt := range tests {
		op := doc.Paths[tt.path].Get
		if tt.method == "POST" {
			op = doc.Paths[tt.path].Post
		}
		if op == nil {
			t.Fatalf("%s %s not in the document", tt.method, tt.path)
		}
		if !reflect.DeepEqual(op.Security, tt.security) {
			t.Errorf("%s %s: %s: security %v, want %v", tt.method, tt.path, tt.why, op.Security, tt.security)
		}
		for _, code := range tt.errors {
			if op.Responses[code] == nil {
				t.Errorf("%s %s: response %s not documented", tt.method, tt.path, code)
			}
		}
	}
	req, ok := authhuma.RequirementOf(doc.Paths["/admin"].Get)
	if !ok || !req.Fresh || !reflect.DeepEqual(req.Roles, []string{"admin"}) {
		t.Errorf("combined requirement %+v", req)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	json.Unmarshal(js, &generic)
	if generic["openapi"] != "3.1.0" {
		t.Errorf("openapi version %v", generic["openapi"])
	}
	// The whole document, schemes and requirements included, must be
	// valid OpenAPI 3.1.
	loader := openapi3.NewLoader()
	kdoc, err := loader.LoadFromData(js)
	if err != nil {
		t.Fatalf("loading the document: %v", err)
	}
	if err := kdoc.Validate(loader.Context); err != nil {
		t.Errorf("not valid OpenAPI 3.1: %v", err)
	}
	sec := generic["paths"].(map[string]any)["/optional"].(map[string]any)["get"].(map[string]any)["security"]
	if b, _ := json.Marshal(sec); string(b) != `[{},{"bearerAuth":[]},{"dpopAuth":[]},{"accessCookie":[]}]` {
		t.Errorf("optional security JSON %s", b)
	}
}

// TestCombinedEnforced checks the one middleware enforces the combined
// declaration (fresh AND role), as documented.
func TestCombinedEnforced(t *testing.T) {
	f := adaptertest.NewFixture(t)
	a := f.Auth
	mux, api, g := newAPI(a)
	huma.Get(api, "/admin", userHandler, g.FreshRequired(), g.RequireRoles("admin"))
	freshAdmin, _ := a.CreateAccessToken("alice", authjwt.WithFresh(true), authjwt.WithClaims(map[string]any{"roles": []string{"admin"}}))
	staleAdmin, _ := a.CreateAccessToken("alice", authjwt.WithClaims(map[string]any{"roles": []string{"admin"}}))
	freshUser, _ := a.CreateAccessToken("bob", authjwt.WithFresh(true))
	for _, tt := range []struct {
		why, token string
		want       int
	}{
		{"fresh admin passes", freshAdmin, 200},
		{"a stale admin token fails the fresh part", staleAdmin, 401},
		{"a fresh token without the role fails the role part", freshUser, 403},
	} {
		r := httptest.NewRequest("GET", "/admin", nil)
		r.Header.Set("Authorization", "Bearer "+tt.token)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		if rec.Code != tt.want {
			t.Errorf("%s: got %d, want %d: %s", tt.why, rec.Code, tt.want, rec.Body.String())
		}
	}
}

// TestLegacyStatus checks LegacyStatusCodes reaches huma errors too.
func TestLegacyStatus(t *testing.T) {
	a, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: "legacy-secret-0123456789abcdef-xyz"}, LegacyStatusCodes: true})
	if err != nil {
		t.Fatal(err)
	}
	mux, api, g := newAPI(a)
	huma.Get(api, "/p", userHandler, g.Required())
	r := httptest.NewRequest("GET", "/p", nil)
	r.Header.Set("Authorization", "Bearer not.a.jwt")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, r)
	if rec.Code != 422 {
		t.Errorf("legacy malformed token: %d, want 422 (%s)", rec.Code, rec.Body.String())
	}
}

// TestExampleBuilds compiles the example program.
func TestExampleBuilds(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH: run the tests with the Go toolchain installed")
	}
	out, err := exec.Command(goTool, "build", "-o", filepath.Join(t.TempDir(), "example"), "./example").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./example: %v\n%s", err, out)
	}
}

// TestLibraryErrorsDocumented checks that WithLibraryErrors documents the
// library's body, not huma's error model.
func TestLibraryErrorsDocumented(t *testing.T) {
	f := adaptertest.NewFixture(t)
	_, api, g := newAPI(f.Auth, authhuma.WithLibraryErrors())
	huma.Get(api, "/protected", userHandler, g.Required())
	r := api.OpenAPI().Paths["/protected"].Get.Responses["401"]
	if r == nil || r.Content["application/json"] == nil {
		t.Fatalf("401 not documented as application/json: %+v", r)
	}
	ref := r.Content["application/json"].Schema.Ref
	if ref != "#/components/schemas/ErrorBody" {
		t.Errorf("401 schema %q, want the library's ErrorBody", ref)
	}
	s := api.OpenAPI().Components.Schemas.Map()["ErrorBody"]
	if s == nil || s.Properties["detail"] == nil || s.Properties["code"] == nil {
		t.Errorf("ErrorBody schema %+v", s)
	}
}

// TestClaimsTypeMismatch: a huma handler whose claims type does not fit
// a valid token (adaptertest.ClaimsBug) and returns ClaimsAs's error
// gets a 500 problem, never a 401 or a challenge blaming the token.
func TestClaimsTypeMismatch(t *testing.T) {
	f := adaptertest.NewFixture(t)
	mux, api, g := newAPI(f.Auth)
	huma.Get(api, adaptertest.Path, func(ctx context.Context, _ *struct{}) (*userOut, error) {
		if _, err := authjwt.ClaimsAs[adaptertest.ClaimsBug](ctx); err != nil {
			if !errors.Is(err, authjwt.ErrClaimsType) {
				t.Errorf("ClaimsAs: %v, want ErrClaimsType", err)
			}
			return nil, err
		}
		return nil, huma.Error500InternalServerError("ClaimsBug fitted the token")
	}, g.Required())
	at, err := f.Auth.CreateAccessToken("alice", authjwt.WithClaims(map[string]any{"roles": []string{"admin"}}))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", adaptertest.Path, nil)
	r.Header.Set("Authorization", "Bearer "+at)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	var m huma.ErrorModel
	if w.Code != http.StatusInternalServerError || w.Header().Get("WWW-Authenticate") != "" ||
		json.Unmarshal(w.Body.Bytes(), &m) != nil || m.Status != http.StatusInternalServerError {
		t.Fatalf("%d %s (WWW-Authenticate %q), want a 500 problem without a challenge", w.Code, w.Body, w.Header().Get("WWW-Authenticate"))
	}
}
