package main

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/librenz/authjwt"
)

// specRoutes are the routes of the reference-server spec, written out here
// (not taken from routes()) so that a route missing from the document
// fails the test. Guard "" means no security requirement.
var specRoutes = []struct{ method, path, guard string }{
	{"GET", "/", ""},
	{"GET", "/healthz", ""},
	{"POST", "/login", ""},
	{"POST", "/fresh-login", ""},
	{"POST", "/refresh", "refresh"},
	{"GET", "/protected", "access"},
	{"GET", "/protected-fresh", "access"},
	{"GET", "/protected-recent", "access"},
	{"GET", "/optional", "optional"},
	{"GET", "/admin", "access"},
	{"GET", "/claims", "access"},
	{"POST", "/partner", "access"},
	{"DELETE", "/access-revoke", "access"},
	{"DELETE", "/refresh-revoke", "refresh"},
	{"DELETE", "/logout", "access"},
	{"POST", "/logout-all", "access"},
	{"GET", "/sessions", "access"},
	{"DELETE", "/sessions/{id}", "access"},
	{"POST", "/logout-others", "access"},
	{"GET", "/ws", "access"},
	{"GET", "/.well-known/jwks.json", ""},
	{"GET", "/.well-known/oauth-protected-resource", ""},
	{"GET", "/openapi.json", ""},
	{"GET", "/docs", ""},
}

// fetchDoc returns /openapi.json raw and loaded with kin-openapi, after
// validating it as an OpenAPI 3.1 document.
func fetchDoc(t *testing.T, ts *testServer) ([]byte, *openapi3.T) {
	t.Helper()
	res, err := http.Get(ts.srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("loading the document: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3.1: %v", err)
	}
	return raw, doc
}

func TestOpenAPIDocument(t *testing.T) {
	bearer := map[string][]string{authjwt.SchemeBearer: {}}
	dpop := map[string][]string{authjwt.SchemeDPoP: {}}
	tests := []struct {
		name      string
		why       string
		locations []string
		schemes   []string
		// security for each guard, for the GET and unsafe methods
		access, accessUnsafe, refreshUnsafe, optional []map[string][]string
	}{
		{
			name: "headers", why: "the default documents HTTP bearer and DPoP (AUTHJWT_DPOP=allowed)",
			locations: []string{authjwt.LocationHeaders},
			schemes:   []string{authjwt.SchemeBearer, authjwt.SchemeDPoP},
			access:    []map[string][]string{bearer, dpop}, accessUnsafe: []map[string][]string{bearer, dpop},
			refreshUnsafe: []map[string][]string{bearer, dpop},
			optional:      []map[string][]string{{}, bearer, dpop},
		},
		{
			name: "cookies", why: "cookie mode documents cookies and CSRF headers, per method",
			locations:     []string{authjwt.LocationCookies},
			schemes:       []string{authjwt.SchemeAccessCookie, authjwt.SchemeAccessCSRF, authjwt.SchemeRefreshCookie, authjwt.SchemeRefreshCSRF},
			access:        []map[string][]string{{authjwt.SchemeAccessCookie: {}}},
			accessUnsafe:  []map[string][]string{{authjwt.SchemeAccessCookie: {}, authjwt.SchemeAccessCSRF: {}}},
			refreshUnsafe: []map[string][]string{{authjwt.SchemeRefreshCookie: {}, authjwt.SchemeRefreshCSRF: {}}},
			optional:      []map[string][]string{{}, {authjwt.SchemeAccessCookie: {}}},
		},
		{
			name: "both", why: "both locations are alternatives",
			locations:     []string{authjwt.LocationHeaders, authjwt.LocationCookies},
			schemes:       []string{authjwt.SchemeBearer, authjwt.SchemeDPoP, authjwt.SchemeAccessCookie, authjwt.SchemeAccessCSRF, authjwt.SchemeRefreshCookie, authjwt.SchemeRefreshCSRF},
			access:        []map[string][]string{bearer, dpop, {authjwt.SchemeAccessCookie: {}}},
			accessUnsafe:  []map[string][]string{bearer, dpop, {authjwt.SchemeAccessCookie: {}, authjwt.SchemeAccessCSRF: {}}},
			refreshUnsafe: []map[string][]string{bearer, dpop, {authjwt.SchemeRefreshCookie: {}, authjwt.SchemeRefreshCSRF: {}}},
			optional:      []map[string][]string{{}, bearer, dpop, {authjwt.SchemeAccessCookie: {}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			cfg := authConfig(t, "HS256", clk)
			cfg.TokenLocation = tt.locations
			ts := startServer(t, cfg, clk)
			raw, doc := fetchDoc(t, ts)

			var names []string
			for n := range doc.Components.SecuritySchemes {
				names = append(names, n)
			}
			sort.Strings(names)
			want := append([]string(nil), tt.schemes...)
			sort.Strings(want)
			if !reflect.DeepEqual(names, want) {
				t.Errorf("%s: schemes %v, want %v", tt.why, names, want)
			}
			if s := doc.Components.SecuritySchemes[authjwt.SchemeBearer]; s != nil {
				if v := s.Value; v.Type != "http" || v.Scheme != "bearer" || v.BearerFormat != "JWT" {
					t.Errorf("bearer scheme %+v", v)
				}
			}

			// The raw JSON, as Swagger UI reads it: security per operation.
			var generic struct {
				Paths map[string]map[string]struct {
					Security *[]map[string][]string `json:"security"`
				} `json:"paths"`
			}
			if err := json.Unmarshal(raw, &generic); err != nil {
				t.Fatal(err)
			}
			documented := 0
			for _, item := range generic.Paths {
				documented += len(item)
			}
			if documented != len(specRoutes) {
				t.Errorf("%d operations documented, the spec has %d routes", documented, len(specRoutes))
			}
			for _, r := range specRoutes {
				op, ok := generic.Paths[r.path][strings.ToLower(r.method)]
				if !ok {
					t.Errorf("%s %s missing from the document", r.method, r.path)
					continue
				}
				var wantSec []map[string][]string
				switch {
				case r.guard == "optional":
					wantSec = tt.optional
				case r.guard == "refresh":
					wantSec = tt.refreshUnsafe // /refresh and /refresh-revoke are POST and DELETE
				case r.guard == "access" && r.method == "GET":
					wantSec = tt.access
				case r.guard == "access":
					wantSec = tt.accessUnsafe
				}
				if wantSec == nil {
					if op.Security != nil {
						t.Errorf("%s %s: carries security %v, want none", r.method, r.path, *op.Security)
					}
					continue
				}
				if op.Security == nil || !reflect.DeepEqual(*op.Security, wantSec) {
					t.Errorf("%s %s: security %v, want %v", r.method, r.path, op.Security, wantSec)
				}
			}
		})
	}
}

// TestOpenAPIMatchesEnforcement requests every documented operation
// without credentials: those whose security has no empty alternative must
// be refused with 401, the others must not be.
func TestOpenAPIMatchesEnforcement(t *testing.T) {
	clk := newClock()
	ts := startServer(t, authConfig(t, "HS256", clk), clk)
	_, doc := fetchDoc(t, ts)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			required := op.Security != nil && len(*op.Security) > 0
			if required {
				for _, alt := range *op.Security {
					if len(alt) == 0 {
						required = false
					}
				}
			}
			res := ts.do(req{method: method, path: path, body: "{}"})
			if required && res.status != http.StatusUnauthorized {
				t.Errorf("%s %s is documented as guarded but answered %d without a token", method, path, res.status)
			}
			if !required && res.status == http.StatusUnauthorized && path != "/login" && path != "/fresh-login" {
				t.Errorf("%s %s is documented as open but answered 401", method, path)
			}
		}
	}
}

func TestDocsPage(t *testing.T) {
	clk := newClock()
	ts := startServer(t, authConfig(t, "HS256", clk), clk)
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(ts.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, page := get("/docs")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/docs: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("/docs CSP %q", csp)
	}
	// Offline: every asset comes from the server itself.
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, "src=\"//") {
		t.Errorf("the docs page references another origin:\n%s", page)
	}
	for _, tt := range []struct {
		path, ctype, contains string
		status                int
	}{
		{"/docs/swagger-ui-bundle.js", "text/javascript", "SwaggerUIBundle", 200},
		{"/docs/swagger-ui.css", "text/css", ".swagger-ui", 200},
		{"/docs/init.js", "text/javascript", "/openapi.json", 200},
		{"/docs/favicon-32x32.png", "image/png", "", 200},
		// The bundle's own index points at a public petstore: not served.
		{"/docs/index.html", "application/json", "not_found", 404},
		{"/docs/swagger-initializer.js", "application/json", "not_found", 404},
	} {
		res, body := get(tt.path)
		if res.StatusCode != tt.status || !strings.HasPrefix(res.Header.Get("Content-Type"), tt.ctype) || !strings.Contains(body, tt.contains) {
			t.Errorf("%s: %d %s (want %d %s containing %q)", tt.path, res.StatusCode, res.Header.Get("Content-Type"), tt.status, tt.ctype, tt.contains)
		}
	}
	if _, js := get("/docs/init.js"); !strings.Contains(js, "validatorUrl: null") {
		t.Error("init.js must turn the public validator off (offline, no leak)")
	}
}

func TestOperationID(t *testing.T) {
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/", "get_root"},
		{"GET", "/protected", "get_protected"},
		{"POST", "/fresh-login", "post_fresh_login"},
		{"GET", "/.well-known/jwks.json", "get_well_known_jwksjson"},
	} {
		if got := operationID(tt.method, tt.path); got != tt.want {
			t.Errorf("operationID(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

// TestOpenAPIDescriptionsLiteral reads the raw /openapi.json: the bearer
// scheme's header line is in it as written, "<JWT>" included (not
// "\u003cJWT\u003e"), and inside a code span, so that the docs page
// renders it instead of taking "<JWT>" for an HTML tag.
func TestOpenAPIDescriptionsLiteral(t *testing.T) {
	clk := newClock()
	ts := startServer(t, authConfig(t, "HS256", clk), clk)
	raw, doc := fetchDoc(t, ts)
	if want := "sent as `Authorization: Bearer <JWT>`."; !strings.Contains(string(raw), want) {
		t.Errorf("/openapi.json does not contain %q:\n%s", want, raw)
	}
	if s := doc.Components.SecuritySchemes[authjwt.SchemeBearer]; s == nil || !strings.Contains(s.Value.Description, "`Authorization: Bearer <JWT>`") {
		t.Errorf("bearer scheme description: %+v", s)
	}
}

// TestDocsPageCSRFSettings checks that the docs page carries the
// configured CSRF cookie and header names of each CSRF scheme, and the
// CSRF methods, for init.js's requestInterceptor; and none when CSRF
// protection is off or cookies are not a token location.
func TestDocsPageCSRFSettings(t *testing.T) {
	settings := func(t *testing.T, cfg authjwt.Config) docsSettings {
		t.Helper()
		clk := newClock()
		ts := startServer(t, cfg, clk)
		res, err := http.Get(ts.srv.URL + "/docs")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		_, rest, ok := strings.Cut(string(b), `data-authjwt="`)
		attr, _, ok2 := strings.Cut(rest, `"`)
		if !ok || !ok2 {
			t.Fatalf("/docs has no data-authjwt attribute:\n%s", b)
		}
		var set docsSettings
		if err := json.Unmarshal([]byte(html.UnescapeString(attr)), &set); err != nil {
			t.Fatalf("data-authjwt %q: %v", attr, err)
		}
		return set
	}

	cfg := authConfig(t, "HS256", newClock())
	cfg.TokenLocation = []string{authjwt.LocationCookies}
	cfg.Cookies.Access.CSRFName = "__Host-my_csrf_a"
	cfg.Cookies.Access.CSRFHeader = "X-My-CSRF-A"
	cfg.Cookies.Refresh.CSRFName = "__Host-my_csrf_r"
	cfg.Cookies.Refresh.CSRFHeader = "X-My-CSRF-R"
	cfg.Cookies.CSRFMethods = []string{"POST", "DELETE"}
	got := settings(t, cfg)
	want := docsSettings{
		CSRFMethods: []string{"POST", "DELETE"},
		CSRF: map[string]docsCSRF{
			authjwt.SchemeAccessCSRF:  {Cookie: "__Host-my_csrf_a", Header: "X-My-CSRF-A"},
			authjwt.SchemeRefreshCSRF: {Cookie: "__Host-my_csrf_r", Header: "X-My-CSRF-R"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cookie mode: page settings %+v, want %+v", got, want)
	}

	cfg.Cookies.UnsafeDisableCSRF = true
	if got := settings(t, cfg); len(got.CSRF) != 0 {
		t.Errorf("CSRF off: page settings %+v, want no CSRF scheme", got)
	}
	if got := settings(t, authConfig(t, "HS256", newClock())); len(got.CSRF) != 0 {
		t.Errorf("headers only: page settings %+v, want no CSRF scheme", got)
	}
}
