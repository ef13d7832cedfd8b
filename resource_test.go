package authjwt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestResourceMetadataPath: RFC 9728 §3.1 places the metadata of a
// resource with a path at the well-known suffix inserted between the host
// and the path, the terminating slash following the host removed; of one
// without, at the well-known path itself.
func TestResourceMetadataPath(t *testing.T) {
	for _, tc := range []struct {
		id, path, url string
		alias         string // the path without the identifier's trailing slash
	}{
		{"https://api.example.com", "/.well-known/oauth-protected-resource", "https://api.example.com/.well-known/oauth-protected-resource", ""},
		// A root path is the terminating slash following the host.
		{"https://api.example.com/", "/.well-known/oauth-protected-resource", "https://api.example.com/.well-known/oauth-protected-resource", ""},
		// RFC 9728 §3.1's own example.
		{"https://resource.example.com/resource1", "/.well-known/oauth-protected-resource/resource1", "https://resource.example.com/.well-known/oauth-protected-resource/resource1", ""},
		// A slash ending a longer path is the identifier's own: /mcp/ and
		// /mcp are two resources. The handler also answers without it.
		{"https://example.com/tenant/mcp/", "/.well-known/oauth-protected-resource/tenant/mcp/", "https://example.com/.well-known/oauth-protected-resource/tenant/mcp/",
			"/.well-known/oauth-protected-resource/tenant/mcp"},
		// Not appended after the path (/mcp/.well-known/…), the usual mistake.
		{"https://example.com:8443/mcp", "/.well-known/oauth-protected-resource/mcp", "https://example.com:8443/.well-known/oauth-protected-resource/mcp", ""},
		{"https://example.com/a%2Fb", "/.well-known/oauth-protected-resource/a%2Fb", "https://example.com/.well-known/oauth-protected-resource/a%2Fb", ""},
	} {
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Resource: ResourceConfig{Identifier: tc.id}})
		if got := a.ResourceMetadataPath(); got != tc.path {
			t.Errorf("%s: path %q, want %q", tc.id, got, tc.path)
		}
		want := []string{tc.path}
		if tc.alias != "" {
			want = append(want, tc.alias)
		}
		if got := a.ResourceMetadataPaths(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: paths %q, want %q", tc.id, got, want)
		}
		if tc.alias != "" {
			w := getMetadata(t, a, "GET", tc.alias, true)
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"resource":"`+tc.id+`"`) {
				t.Errorf("%s at %s: %d %s", tc.id, tc.alias, w.Code, w.Body)
			}
		}
		if got := a.ResourceMetadataURL(httptest.NewRequest("GET", "/", nil)); got != tc.url {
			t.Errorf("%s: URL %q, want %q", tc.id, got, tc.url)
		}
	}
	// Off by default: nothing served, nothing advertised.
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	if a.ResourceMetadataPath() != "" || a.ResourceMetadataURL(httptest.NewRequest("GET", "/", nil)) != "" {
		t.Fatal("metadata on without configuration")
	}
}

func TestResourceIdentifierRefused(t *testing.T) {
	for id, why := range map[string]string{
		"http://api.example.com":       "https",
		"api.example.com":              "https",
		"/api":                         "https",
		"HTTPS://api.example.com":      "https", // not as a client will compare it
		"https://":                     "no host",
		"https:///path":                "no host",
		"https://u:p@api.example.com":  "user information",
		"https://api.example.com/#top": "fragment",
		"https://api.example.com/#":    "fragment",
		"https://api.example.com/?x=1": "query",
		"https://api.example.com/?":    "query",
		"https://api.example.com/%zz":  "not a URL",
	} {
		_, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, Resource: ResourceConfig{Identifier: id}})
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != "Resource.Identifier" || !strings.Contains(err.Error(), why) {
			t.Errorf("%q: %v, want a Resource.Identifier error saying %q", id, err, why)
		}
	}
	// From the environment, the error names the variable.
	cfg, err := ConfigFromEnv([]string{"AUTHJWT_SECRET_KEY=" + testSecret, "AUTHJWT_RESOURCE=http://api.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "AUTHJWT_RESOURCE") {
		t.Fatalf("New: %v, want the variable named", err)
	}
	if _, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, Resource: ResourceConfig{Metadata: true, Scopes: []string{"a b"}}}); err == nil || !strings.Contains(err.Error(), "Resource.Scopes") {
		t.Fatalf("scope with a space: %v", err)
	}
}

func getMetadata(t *testing.T, a *Auth, method, target string, tls bool) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	if !tls {
		r.TLS = nil
	}
	w := httptest.NewRecorder()
	a.ResourceMetadataHandler().ServeHTTP(w, r)
	return w
}

func TestResourceMetadataDocument(t *testing.T) {
	a := mustNew(t, Config{
		Keys: KeyConfig{SecretKey: testSecret},
		Claims: ClaimsConfig{
			EncodeIssuer: "https://auth.example.com",
		},
		TrustedIssuers: []TrustedIssuer{
			{Issuer: "https://idp.example.org/", Keys: staticKeys{}},
			{Issuer: "https://login.example.net", Audience: []string{"api"}, Keys: staticKeys{}},
		},
		Resource: ResourceConfig{Identifier: "https://api.example.com/v1", Scopes: []string{"admin", "read"}},
	})
	w := getMetadata(t, a, "GET", "https://api.example.com/.well-known/oauth-protected-resource/v1", true)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" ||
		w.Header().Get("Cache-Control") != "public, max-age=3600" || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
	}
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"resource":                 "https://api.example.com/v1", // identical to the identifier (RFC 9728 §3.3)
		"authorization_servers":    []any{"https://auth.example.com", "https://idp.example.org/", "https://login.example.net"},
		"scopes_supported":         []any{"admin", "read"},
		"bearer_methods_supported": []any{"header"},
		// DPoP is allowed by default: its algorithms, bound tokens not required.
		"dpop_signing_alg_values_supported": []any{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"},
	}
	if !reflect.DeepEqual(doc, want) {
		t.Fatalf("document\n got %v\nwant %v", doc, want)
	}
	// HEAD: headers, no body. Other methods: 405. Other paths: 404 (the
	// handler may be mounted on a prefix).
	if w := getMetadata(t, a, "HEAD", "/.well-known/oauth-protected-resource/v1", true); w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("HEAD: %d %q", w.Code, w.Body)
	}
	if w := getMetadata(t, a, "POST", "/.well-known/oauth-protected-resource/v1", true); w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: %d %v", w.Code, w.Header())
	}
	for _, p := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/v1/", "/.well-known/oauth-protected-resource/v", "/v1/.well-known/oauth-protected-resource"} {
		if w := getMetadata(t, a, "GET", p, true); w.Code != 404 {
			t.Fatalf("%s: %d, want 404 (the metadata of another resource)", p, w.Code)
		}
	}

	// Cookies only: no RFC 6750 method; a custom header is none either.
	for name, cfg := range map[string]Config{
		"cookies":       {TokenLocation: []string{LocationCookies}},
		"custom header": {Header: HeaderConfig{Name: "X-Token"}},
		"bare token":    {Header: HeaderConfig{BareToken: true}},
	} {
		cfg.Keys.SecretKey = testSecret
		cfg.Resource.Identifier = "https://api.example.com"
		w := getMetadata(t, mustNew(t, cfg), "GET", "/.well-known/oauth-protected-resource", true)
		if !strings.Contains(w.Body.String(), `"bearer_methods_supported":[]`) || strings.Contains(w.Body.String(), "authorization_servers") {
			t.Fatalf("%s: %s", name, w.Body)
		}
	}
}

// TestResourceMetadataDPoP: the DPoP members follow Config.DPoP.
func TestResourceMetadataDPoP(t *testing.T) {
	for _, tc := range []struct {
		dpop DPoPConfig
		want string // the DPoP members, as written
	}{
		{DPoPConfig{Mode: DPoPRequired, Algorithms: []string{"ES256", "EdDSA"}},
			`"dpop_signing_alg_values_supported":["ES256","EdDSA"],"dpop_bound_access_tokens_required":true}`},
		{DPoPConfig{Mode: DPoPAllowed, Algorithms: []string{"PS256"}}, `"dpop_signing_alg_values_supported":["PS256"]}`},
		{DPoPConfig{Mode: DPoPOff}, `"bearer_methods_supported":["header"]}`},
	} {
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, DPoP: tc.dpop, Resource: ResourceConfig{Identifier: "https://api.example.com"}})
		w := getMetadata(t, a, "GET", "/.well-known/oauth-protected-resource", true)
		if body := strings.TrimSpace(w.Body.String()); !strings.HasSuffix(body, tc.want) {
			t.Errorf("%s: %s, want it to end with %s", tc.dpop.Mode, body, tc.want)
		}
	}
	// Behind a proxy, DPoP's external URL is the origin of the metadata
	// too (when no identifier is configured).
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, DPoP: DPoPConfig{ExternalURL: "https://api.example.com"}, Resource: ResourceConfig{Metadata: true}})
	w := getMetadata(t, a, "GET", "http://10.0.0.7:8080/.well-known/oauth-protected-resource", false)
	if !strings.HasPrefix(w.Body.String(), `{"resource":"https://api.example.com",`) {
		t.Fatalf("behind a proxy: %s", w.Body)
	}
	if got := a.ResourceMetadataURL(httptest.NewRequest("GET", "http://10.0.0.7:8080/x", nil)); got != "https://api.example.com"+WellKnownResourceMetadata {
		t.Fatalf("URL behind a proxy: %q", got)
	}
}

// TestResourceMetadataFromRequest: without an identifier, Metadata serves
// the document for the origin each request reached, and the challenges
// point there.
func TestResourceMetadataFromRequest(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Resource: ResourceConfig{Metadata: true}})
	for _, tc := range []struct {
		target string
		tls    bool
		want   string
	}{
		{"http://127.0.0.1:8000/.well-known/oauth-protected-resource", false, "http://127.0.0.1:8000"},
		{"https://api.example.com/.well-known/oauth-protected-resource", true, "https://api.example.com"},
	} {
		w := getMetadata(t, a, "GET", tc.target, tc.tls)
		var doc struct{ Resource string }
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 200 || doc.Resource != tc.want {
			t.Fatalf("%s: %d %s, want resource %q", tc.target, w.Code, w.Body, tc.want)
		}
		r := httptest.NewRequest("GET", tc.target, nil)
		if !tc.tls {
			r.TLS = nil
		}
		if got := a.ResourceMetadataURL(r); got != tc.want+WellKnownResourceMetadata {
			t.Fatalf("URL %q", got)
		}
	}
}

// TestResourceMetadataChallenges: every challenge (401, and 403
// insufficient_scope) carries resource_metadata (RFC 9728 §5.1); a 403
// without a challenge (CSRF) gets none.
func TestResourceMetadataChallenges(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{LocationHeaders, LocationCookies},
		Resource: ResourceConfig{Identifier: "https://api.example.com/v1"}})
	const meta = `resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/v1"`
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	tok := must(a.CreateAccessToken("alice"))
	for name, tc := range map[string]struct {
		req       Requirement
		header    string
		cookie    string
		status    int
		challenge string
	}{
		"no token":     {Requirement{}, "", "", 401, "Bearer " + meta},
		"bad token":    {Requirement{}, "Bearer x.y.z", "", 401, `Bearer error="invalid_token", error_description="Invalid token", ` + meta},
		"role missing": {Requirement{Roles: []string{"admin"}}, "Bearer " + tok, "", 403, `Bearer error="insufficient_scope", error_description="Not enough permissions", ` + meta},
		"recent login": {Requirement{MaxAuthAge: 60e9}, "Bearer " + tok, "", 401,
			`Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age=60, ` + meta},
		"csrf missing": {Requirement{}, "", tok, 403, ""},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: a.cfg.Cookies.Access.Name, Value: tc.cookie})
				r.Header.Set("Sec-Fetch-Site", "same-origin")
			}
			w := httptest.NewRecorder()
			a.Middleware(tc.req)(ok).ServeHTTP(w, r)
			if w.Code != tc.status || w.Header().Get("WWW-Authenticate") != tc.challenge {
				t.Fatalf("%d %q, want %d %q (%s)", w.Code, w.Header().Get("WWW-Authenticate"), tc.status, tc.challenge, w.Body)
			}
		})
	}
}

// TestTrustedIssuerResourceAudience: with a resource identifier, a trusted
// issuer without an Audience accepts the tokens minted for this resource
// (RFC 8707: "aud" is the resource indicator the client asked for), and
// only those.
func TestTrustedIssuerResourceAudience(t *testing.T) {
	ctx := context.Background()
	idp := newFakeIdP(t)
	const resource = "https://api.example.com/v1"
	a := mustNew(t, Config{
		Keys:           KeyConfig{SecretKey: testSecret},
		TrustedIssuers: []TrustedIssuer{{Issuer: idp.srv.URL, HTTPClient: idp.srv.Client()}},
		Resource:       ResourceConfig{Identifier: resource},
	})
	defer a.Close()
	if _, err := a.Verify(ctx, idp.token(t, nil, WithAudience(resource)), Requirement{}); err != nil {
		t.Fatalf("token for the resource: %v", err)
	}
	for _, aud := range []string{"my-api", "https://api.example.com", "https://api.example.com/v1/", "https://api.example.com/v2"} {
		if _, err := a.Verify(ctx, idp.token(t, nil, WithAudience(aud)), Requirement{}); !errors.Is(err, ErrInvalidAudience) {
			t.Fatalf("token for %q: %v, want invalid audience", aud, err)
		}
	}
	// An explicit Audience is the rule as configured.
	b := mustNew(t, Config{
		Keys:           KeyConfig{SecretKey: testSecret},
		TrustedIssuers: []TrustedIssuer{{Issuer: idp.srv.URL, Audience: []string{"my-api"}, HTTPClient: idp.srv.Client()}},
		Resource:       ResourceConfig{Identifier: resource},
	})
	defer b.Close()
	if _, err := b.Verify(ctx, idp.token(t, nil), Requirement{}); err != nil {
		t.Fatal(err)
	}
	// Without a resource identifier, an Audience is still required.
	if _, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, TrustedIssuers: []TrustedIssuer{{Issuer: idp.srv.URL}}}); err == nil ||
		!strings.Contains(err.Error(), "TrustedIssuers[0].Audience") || !strings.Contains(err.Error(), "Resource.Identifier") {
		t.Fatalf("no audience, no resource: %v", err)
	}
}
