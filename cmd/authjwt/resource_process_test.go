package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestServeResourceMetadata runs `authjwt serve` and reads its RFC 9728
// metadata as a client would: at the well-known URL derived from the
// resource identifier (its own origin by default, AUTHJWT_RESOURCE
// otherwise, with the path inserted after the host), and from the
// resource_metadata attribute of every 401 and 403 challenge.
func TestServeResourceMetadata(t *testing.T) {
	t.Parallel()
	metadata := func(t *testing.T, p *serveProc, path string) map[string]any {
		t.Helper()
		r := p.do(req{method: "GET", path: path})
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") ||
			r.header.Get("Cache-Control") != "public, max-age=3600" {
			t.Fatalf("GET %s: %d %v %s", path, r.status, r.header, r.raw)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.raw), &doc); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	challenge := func(t *testing.T, p *serveProc, r req, status int) string {
		t.Helper()
		res := p.do(r)
		if res.status != status {
			t.Fatalf("%s %s: %d %s, want %d", r.method, r.path, res.status, res.raw, status)
		}
		return res.header.Get("WWW-Authenticate")
	}

	t.Run("own origin", func(t *testing.T) {
		t.Parallel()
		p := startServe(t)
		doc := metadata(t, p, "/.well-known/oauth-protected-resource")
		want := map[string]any{
			"resource":                 p.base, // the origin the client called
			"bearer_methods_supported": []any{"header"},
			"scopes_supported":         []any{"admin"}, // the roles the server knows
		}
		for k, v := range want {
			if !reflect.DeepEqual(doc[k], v) {
				t.Errorf("%s = %v, want %v (document %v)", k, doc[k], v, doc)
			}
		}
		if _, ok := doc["authorization_servers"]; ok {
			t.Errorf("authorization_servers without an issuer: %v", doc)
		}
		// DPoP is allowed by default: its algorithms, bound tokens optional.
		if algs, _ := doc["dpop_signing_alg_values_supported"].([]any); len(algs) == 0 || doc["dpop_bound_access_tokens_required"] != nil {
			t.Errorf("DPoP members: %v", doc)
		}
		attr := `resource_metadata="` + p.base + `/.well-known/oauth-protected-resource"`
		bobAccess, _ := p.login("bob", "hunter2")
		for _, c := range []struct {
			r      req
			status int
		}{
			{req{method: "GET", path: "/protected"}, 401},
			{req{method: "GET", path: "/protected", token: "x.y.z"}, 401},
			{req{method: "GET", path: "/admin", token: bobAccess}, 403},
			{req{method: "GET", path: "/protected-recent", token: "x.y.z"}, 401},
		} {
			if ch := challenge(t, p, c.r, c.status); !strings.Contains(ch, attr) {
				t.Errorf("%s %s: WWW-Authenticate %q without %s", c.r.method, c.r.path, ch, attr)
			}
		}
	})

	t.Run("AUTHJWT_RESOURCE with a path", func(t *testing.T) {
		t.Parallel()
		const resource = "https://api.example.com/v1/"
		p := startServe(t, "AUTHJWT_RESOURCE="+resource, "AUTHJWT_ENCODE_ISSUER=https://auth.example.com",
			"AUTHJWT_TRUSTED_ISSUER=https://idp.example.org/", "AUTHJWT_TRUSTED_JWKS_URL=https://idp.example.org/jwks",
			"AUTHJWT_RESOURCE_SCOPES=admin,read", "AUTHJWT_DPOP=required", "AUTHJWT_DPOP_ALGORITHMS=ES256,EdDSA")
		doc := metadata(t, p, "/.well-known/oauth-protected-resource/v1/")
		if alias := metadata(t, p, "/.well-known/oauth-protected-resource/v1"); !reflect.DeepEqual(alias, doc) {
			t.Errorf("without the trailing slash: %v, want %v", alias, doc)
		}
		want := map[string]any{
			"resource":                          resource, // exactly as configured (RFC 9728 §3.3)
			"authorization_servers":             []any{"https://auth.example.com", "https://idp.example.org/"},
			"bearer_methods_supported":          []any{"header"},
			"scopes_supported":                  []any{"admin", "read"},
			"dpop_signing_alg_values_supported": []any{"ES256", "EdDSA"},
			"dpop_bound_access_tokens_required": true,
		}
		for k, v := range want {
			if !reflect.DeepEqual(doc[k], v) {
				t.Errorf("%s = %v, want %v (document %v)", k, doc[k], v, doc)
			}
		}
		// The root form is another resource's metadata.
		if r := p.do(req{method: "GET", path: "/.well-known/oauth-protected-resource"}); r.status != 404 {
			t.Errorf("root form: %d %s, want 404", r.status, r.raw)
		}
		attr := `resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/v1/"`
		if ch := challenge(t, p, req{method: "GET", path: "/protected"}, 401); !strings.Contains(ch, attr) || !strings.HasPrefix(ch, "DPoP ") {
			t.Errorf("WWW-Authenticate %q without %s", ch, attr)
		}
	})
}
