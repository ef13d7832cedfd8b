package authjwt

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/librenz/authjwt/revoke"
)

func TestSecuritySchemes(t *testing.T) {
	tests := []struct {
		name string
		why  string
		cfg  Config
		want map[string]SecurityScheme
	}{
		{
			name: "headers, DPoP off",
			why:  "without DPoP the configuration is exactly HTTP bearer with bearerFormat JWT, and nothing else",
			cfg:  Config{DPoP: DPoPConfig{Mode: DPoPOff}},
			want: map[string]SecurityScheme{
				SchemeBearer: {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
			},
		},
		{
			name: "headers, DPoP allowed (the default)",
			why:  "DPoP-bound tokens are a second HTTP scheme, DPoP (RFC 9449 §7.1)",
			cfg:  Config{},
			want: map[string]SecurityScheme{
				SchemeBearer: {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
				SchemeDPoP:   {Type: "http", Scheme: "DPoP"},
			},
		},
		{
			name: "cookies only",
			why:  "cookie mode documents both cookies and both CSRF headers, and no bearer header",
			cfg:  Config{TokenLocation: []string{LocationCookies}},
			want: map[string]SecurityScheme{
				SchemeAccessCookie:  {Type: "apiKey", In: "cookie", Name: "__Host-access_token"},
				SchemeRefreshCookie: {Type: "apiKey", In: "cookie", Name: "__Host-refresh_token"},
				SchemeAccessCSRF:    {Type: "apiKey", In: "header", Name: "X-CSRF-Token"},
				SchemeRefreshCSRF:   {Type: "apiKey", In: "header", Name: "X-CSRF-Token"},
			},
		},
		{
			name: "both, insecure names, custom CSRF header",
			why:  "names come from the configuration, not from constants",
			cfg: Config{
				TokenLocation: []string{LocationHeaders, LocationCookies},
				Cookies: CookieConfig{
					Access:   TokenCookie{CSRFHeader: "X-Access-CSRF"},
					Insecure: true,
				},
			},
			want: map[string]SecurityScheme{
				SchemeBearer:        {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
				SchemeDPoP:          {Type: "http", Scheme: "DPoP"},
				SchemeAccessCookie:  {Type: "apiKey", In: "cookie", Name: "access_token"},
				SchemeRefreshCookie: {Type: "apiKey", In: "cookie", Name: "refresh_token"},
				SchemeAccessCSRF:    {Type: "apiKey", In: "header", Name: "X-Access-CSRF"},
				SchemeRefreshCSRF:   {Type: "apiKey", In: "header", Name: "X-CSRF-Token"},
			},
		},
		{
			name: "cookies without CSRF",
			why:  "with CSRF protection off there is no CSRF header to document",
			cfg:  Config{TokenLocation: []string{LocationCookies}, Cookies: CookieConfig{UnsafeDisableCSRF: true}},
			want: map[string]SecurityScheme{
				SchemeAccessCookie:  {Type: "apiKey", In: "cookie", Name: "__Host-access_token"},
				SchemeRefreshCookie: {Type: "apiKey", In: "cookie", Name: "__Host-refresh_token"},
			},
		},
		{
			name: "custom header",
			why:  "OpenAPI's http bearer means the Authorization header: another header must be an apiKey",
			cfg:  Config{Header: HeaderConfig{Name: "X-Token", Type: "JWT"}},
			want: map[string]SecurityScheme{
				SchemeBearer: {Type: "apiKey", In: "header", Name: "X-Token"},
				SchemeDPoP:   {Type: "apiKey", In: "header", Name: "X-Token"},
			},
		},
		{
			name: "bare token",
			why:  "a token without a scheme word is not HTTP bearer either",
			cfg:  Config{Header: HeaderConfig{BareToken: true}},
			want: map[string]SecurityScheme{
				SchemeBearer: {Type: "apiKey", In: "header", Name: "Authorization"},
			},
		},
		{
			name: "case-insensitive bearer",
			why:  "the scheme word matches case-insensitively (RFC 7235), so 'bearer' is still HTTP bearer",
			cfg:  Config{Header: HeaderConfig{Type: "bearer"}},
			want: map[string]SecurityScheme{
				SchemeBearer: {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
				SchemeDPoP:   {Type: "http", Scheme: "DPoP"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Keys.SecretKey = testSecret
			a := mustNew(t, tt.cfg)
			got := a.SecuritySchemes()
			for k, s := range got {
				if s.Description == "" {
					t.Errorf("%s: no description", k)
				}
				s.Description = ""
				got[k] = s
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s\n got %+v\nwant %+v", tt.why, got, tt.want)
			}
		})
	}
}

func TestSecuritySchemesJSONShape(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{LocationHeaders, LocationCookies}})
	// The struct form and the map form must marshal to the same JSON, in
	// OpenAPI's field names.
	fromStruct, err := json.Marshal(a.SecuritySchemes())
	if err != nil {
		t.Fatal(err)
	}
	fromMap, err := json.Marshal(a.SecuritySchemesJSON())
	if err != nil {
		t.Fatal(err)
	}
	var generic, generic2 map[string]map[string]any
	if err := json.Unmarshal(fromStruct, &generic); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(fromMap, &generic2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(generic, generic2) {
		t.Errorf("struct and map forms differ:\n%s\n%s", fromStruct, fromMap)
	}
	want := map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
	for k, v := range want {
		if generic[SchemeBearer][k] != v {
			t.Errorf("bearer %s = %v, want %v", k, generic[SchemeBearer][k], v)
		}
	}
	if generic[SchemeAccessCookie]["in"] != "cookie" || generic[SchemeAccessCSRF]["in"] != "header" {
		t.Errorf("apiKey locations wrong: %s", fromStruct)
	}
}

func TestAddSecuritySchemes(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	doc := map[string]any{"components": map[string]any{"securitySchemes": map[string]any{"other": map[string]any{"type": "mutualTLS"}}}}
	a.AddSecuritySchemes(doc)
	ss := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	if _, ok := ss["other"]; !ok {
		t.Error("an existing scheme was dropped")
	}
	if b, _ := ss[SchemeBearer].(map[string]any); b["scheme"] != "bearer" {
		t.Errorf("bearer scheme not added: %v", ss)
	}
	empty := map[string]any{}
	a.AddSecuritySchemes(empty)
	if _, ok := empty["components"].(map[string]any)["securitySchemes"].(map[string]any)[SchemeBearer]; !ok {
		t.Error("components not created in an empty document")
	}
}

func TestSecurityRequirements(t *testing.T) {
	headers := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, DPoP: DPoPConfig{Mode: DPoPOff}})
	cookies := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{LocationCookies}})
	both := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{LocationHeaders, LocationCookies}})
	dpopAllowed := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	dpopRequired := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, DPoP: DPoPConfig{Mode: DPoPRequired}})
	dpop := SecurityRequirement{SchemeDPoP: {}}
	noCSRF := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{LocationCookies}, Cookies: CookieConfig{UnsafeDisableCSRF: true}})
	bearer := SecurityRequirement{SchemeBearer: {}}
	tests := []struct {
		name   string
		why    string
		a      *Auth
		method string
		req    Requirement
		want   []SecurityRequirement
	}{
		{"required header", "a guarded route needs the bearer token", headers, "GET", Requirement{}, []SecurityRequirement{bearer}},
		{"optional header", "optional puts the empty requirement first (OpenAPI's optional)", headers, "GET", Requirement{Optional: true},
			[]SecurityRequirement{{}, bearer}},
		{"roles add nothing", "roles are claims inside the token, not another credential", headers, "GET", Requirement{Roles: []string{"admin"}, Fresh: true},
			[]SecurityRequirement{bearer}},
		{"cookie GET", "safe methods need no CSRF header", cookies, "GET", Requirement{},
			[]SecurityRequirement{{SchemeAccessCookie: {}}}},
		{"cookie POST", "unsafe methods need the cookie and the CSRF header together", cookies, "POST", Requirement{},
			[]SecurityRequirement{{SchemeAccessCookie: {}, SchemeAccessCSRF: {}}}},
		{"cookie lower-case delete", "methods compare upper-cased, as the check does", cookies, "delete", Requirement{},
			[]SecurityRequirement{{SchemeAccessCookie: {}, SchemeAccessCSRF: {}}}},
		{"refresh cookie POST", "refresh routes read the refresh cookie and its CSRF header", cookies, "POST", Requirement{Refresh: true},
			[]SecurityRequirement{{SchemeRefreshCookie: {}, SchemeRefreshCSRF: {}}}},
		{"both optional POST", "either location is an alternative, after the empty one", both, "POST", Requirement{Optional: true},
			[]SecurityRequirement{{}, bearer, dpop, {SchemeAccessCookie: {}, SchemeAccessCSRF: {}}}},
		{"DPoP allowed", "a bound token under the DPoP scheme is an alternative to the bearer token", dpopAllowed, "GET", Requirement{},
			[]SecurityRequirement{bearer, dpop}},
		{"DPoP required on the route", "only a bound token passes", dpopAllowed, "GET", Requirement{DPoP: DPoPRequired},
			[]SecurityRequirement{dpop}},
		{"DPoP off on the route", "the DPoP scheme is not read there", dpopAllowed, "GET", Requirement{DPoP: DPoPOff},
			[]SecurityRequirement{bearer}},
		{"DPoP required", "the configuration refuses bearer tokens everywhere", dpopRequired, "POST", Requirement{Optional: true},
			[]SecurityRequirement{{}, dpop}},
		{"no CSRF", "without CSRF protection the cookie alone suffices", noCSRF, "POST", Requirement{},
			[]SecurityRequirement{{SchemeAccessCookie: {}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.a.Security(tt.method, tt.req)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s\n got %v\nwant %v", tt.why, got, tt.want)
			}
			// Every named scheme must exist in SecuritySchemes, else the
			// document is invalid.
			schemes := tt.a.SecuritySchemes()
			for _, r := range got {
				for name := range r {
					if _, ok := schemes[name]; !ok {
						t.Errorf("requirement names unknown scheme %q", name)
					}
				}
			}
			js, _ := json.Marshal(tt.a.SecurityJSON(tt.method, tt.req))
			want, _ := json.Marshal(tt.want)
			if string(js) != string(want) {
				t.Errorf("SecurityJSON = %s, want %s", js, want)
			}
		})
	}
	// Optional must marshal as {} (not null) so the document says "no
	// credentials" rather than something invalid.
	js, _ := json.Marshal(headers.Security("GET", Requirement{Optional: true}))
	if string(js) != `[{},{"bearerAuth":[]}]` {
		t.Errorf("optional JSON = %s", js)
	}
}

func TestErrorStatuses(t *testing.T) {
	plain := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	cookies := mustNew(t, Config{
		Keys:          KeyConfig{SecretKey: testSecret},
		TokenLocation: []string{LocationCookies},
		Revocation: RevocationConfig{
			Enabled: true,
			Store:   revoke.NewMemory(),
		},
		LegacyStatusCodes: true,
	})
	tests := []struct {
		name string
		why  string
		a    *Auth
		req  Requirement
		want []int
	}{
		{"plain", "a bad header is 400, a bad token 401", plain, Requirement{}, []int{400, 401}},
		{"roles", "a missing role is 403", plain, Requirement{Roles: []string{"x"}}, []int{400, 401, 403}},
		{"cookies legacy denylist", "CSRF is 403, legacy adds 422, a store outage 503", cookies, Requirement{}, []int{401, 403, 422, 503}},
	}
	for _, tt := range tests {
		if got := tt.a.ErrorStatuses(tt.req); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %s: got %v, want %v", tt.name, tt.why, got, tt.want)
		}
	}
}

// renderCode renders the CommonMark of a scheme description as far as
// these descriptions use it: text, and code spans (a run of n backticks up
// to the next run of exactly n, one leading and trailing space stripped
// when both are there). Outside code spans it refuses every character a
// renderer could take for markup (HTML, entities, emphasis, links,
// escapes), since that text would not show as written: "<JWT>" written
// plainly is an HTML tag, and Swagger UI showed "Bearer '." for it.
func renderCode(desc string) (string, error) {
	var out strings.Builder
	run := func(i int) int {
		n := 0
		for i+n < len(desc) && desc[i+n] == '`' {
			n++
		}
		return n
	}
	for i := 0; i < len(desc); {
		c := desc[i]
		if c != '`' {
			if strings.IndexByte("<>&*_[]\\", c) >= 0 {
				return "", fmt.Errorf("%q outside a code span at %d", c, i)
			}
			out.WriteByte(c)
			i++
			continue
		}
		n := run(i)
		j := i + n
		end := -1
		for k := j; k < len(desc); {
			if m := run(k); m > 0 {
				if m == n {
					end = k
					break
				}
				k += m
				continue
			}
			k++
		}
		if end < 0 {
			return "", fmt.Errorf("code span opened at %d is not closed", i)
		}
		code := desc[j:end]
		if len(code) >= 2 && code[0] == ' ' && code[len(code)-1] == ' ' && strings.Trim(code, " ") != "" {
			code = code[1 : len(code)-1]
		}
		out.WriteString(code)
		i = end + n
	}
	return out.String(), nil
}

func TestMDCode(t *testing.T) {
	for _, s := range []string{"Authorization: Bearer <JWT>", "__Host-csrf_access", "a`b", "`x", "x`", "a``b`c", " lead", "<JWT>"} {
		got, err := renderCode("as " + mdCode(s) + ".")
		if err != nil || got != "as "+s+"." {
			t.Errorf("mdCode(%q) = %q renders as %q (%v), want %q", s, mdCode(s), got, err, "as "+s+".")
		}
	}
	if got := mdCodeList([]string{"POST", "PUT", "DELETE"}); got != "`POST`, `PUT` and `DELETE`" {
		t.Errorf("mdCodeList = %q", got)
	}
}

// TestSecuritySchemeDescriptionsRender checks that every description shows
// the header line and the configured names literally once rendered as
// CommonMark (OpenAPI's description format), in the JSON and on a docs
// page alike.
func TestSecuritySchemeDescriptionsRender(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want map[string]string // scheme -> text its rendered description contains
	}{
		{
			name: "bearer",
			cfg:  Config{},
			want: map[string]string{SchemeBearer: "sent as Authorization: Bearer <JWT>."},
		},
		{
			name: "custom header",
			cfg:  Config{Header: HeaderConfig{Name: "X-Token", Type: "JWT"}},
			want: map[string]string{SchemeBearer: "sent as X-Token: JWT <JWT>."},
		},
		{
			name: "bare token",
			cfg:  Config{Header: HeaderConfig{BareToken: true}},
			want: map[string]string{SchemeBearer: "sent as Authorization: <JWT>."},
		},
		{
			name: "cookies",
			cfg:  Config{TokenLocation: []string{LocationCookies}},
			want: map[string]string{
				SchemeAccessCookie:  "cookie __Host-access_token set by",
				SchemeRefreshCookie: "cookie __Host-refresh_token set by",
				SchemeAccessCSRF:    "The value of the __Host-csrf_access cookie, required with the access cookie on POST, PUT, PATCH and DELETE requests.",
				SchemeRefreshCSRF:   "The value of the __Host-csrf_refresh cookie, required with the refresh cookie on POST, PUT, PATCH and DELETE requests.",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Keys.SecretKey = testSecret
			a := mustNew(t, tt.cfg)
			schemes := a.SecuritySchemesJSON()
			for name, want := range tt.want {
				desc, _ := schemes[name].(map[string]any)["description"].(string)
				got, err := renderCode(desc)
				if err != nil {
					t.Errorf("%s description %q does not render as written: %v", name, desc, err)
					continue
				}
				if !strings.Contains(got, want) {
					t.Errorf("%s description renders as %q, want it to contain %q", name, got, want)
				}
			}
		})
	}
}
