package authjwt

import (
	"net/http"
	"strings"
)

// Names of the OpenAPI security schemes returned by [Auth.SecuritySchemes],
// as they appear under components.securitySchemes and in security
// requirements.
const (
	// SchemeBearer is the token in the configured header (HTTP bearer
	// with bearerFormat JWT for "Authorization: Bearer <JWT>").
	SchemeBearer = "bearerAuth"
	// SchemeAccessCookie is the access-token cookie.
	SchemeAccessCookie = "accessCookie"
	// SchemeAccessCSRF is the CSRF header sent with the access cookie on
	// unsafe methods.
	SchemeAccessCSRF = "accessCSRF"
	// SchemeRefreshCookie is the refresh-token cookie.
	SchemeRefreshCookie = "refreshCookie"
	// SchemeRefreshCSRF is the CSRF header sent with the refresh cookie on
	// unsafe methods.
	SchemeRefreshCSRF = "refreshCSRF"
	// SchemeDPoP is a DPoP-bound token (RFC 9449): HTTP scheme DPoP,
	// "Authorization: DPoP <JWT>" with a proof in the DPoP header.
	SchemeDPoP = "dpopAuth"
)

// SecurityScheme is an OpenAPI 3.1 Security Scheme Object, reduced to the
// fields authjwt's schemes use. It marshals to the OpenAPI JSON shape.
type SecurityScheme struct {
	// Type is "http" or "apiKey".
	Type string `json:"type"`
	// Description tells a reader of the docs what to put in the field. It
	// is CommonMark, as OpenAPI says: header lines and configured names
	// are code spans, so that a renderer shows "<JWT>" and cookie names
	// literally instead of taking them for HTML or emphasis.
	Description string `json:"description,omitempty"`
	// Name is the header or cookie name (apiKey schemes).
	Name string `json:"name,omitempty"`
	// In is "header" or "cookie" (apiKey schemes).
	In string `json:"in,omitempty"`
	// Scheme is the HTTP authentication scheme ("bearer"; http schemes).
	Scheme string `json:"scheme,omitempty"`
	// BearerFormat is "JWT" (http bearer schemes).
	BearerFormat string `json:"bearerFormat,omitempty"`
}

// SecurityRequirement is an OpenAPI Security Requirement Object: every
// named scheme must be satisfied. The empty requirement ({}) means no
// credentials at all.
type SecurityRequirement map[string][]string

// SecuritySchemes returns the OpenAPI 3.1 security schemes implied by the
// configuration, keyed by the Scheme* names, for components.securitySchemes
// of any OpenAPI document:
//
//   - when headers are a token location, [SchemeBearer]: HTTP bearer with
//     bearerFormat JWT for the default "Authorization: Bearer", else an
//     apiKey in the configured header (another header name, another
//     scheme word, or a bare token, which OpenAPI's http type cannot say);
//   - when cookies are, the access and refresh cookies as apiKeys in
//     cookie and, unless CSRF protection is off, their CSRF headers as
//     apiKeys in header;
//   - when headers are a token location and DPoP is not off,
//     [SchemeDPoP]: HTTP scheme DPoP (registered by RFC 9449 §7.1), whose
//     description says that each request needs a new proof in the DPoP
//     header (which a docs page cannot sign: use a DPoP client).
func (a *Auth) SecuritySchemes() map[string]SecurityScheme {
	m := map[string]SecurityScheme{}
	cfg := &a.cfg
	if a.creds.headers {
		if strings.EqualFold(cfg.Header.Name, "Authorization") && !cfg.Header.BareToken && strings.EqualFold(cfg.Header.Type, "Bearer") {
			m[SchemeBearer] = SecurityScheme{
				Type: "http", Scheme: "bearer", BearerFormat: "JWT",
				Description: "An access token (or, on refresh routes, a refresh token) sent as " + mdCode("Authorization: Bearer <JWT>") + ".",
			}
		} else {
			format := cfg.Header.Type + " <JWT>"
			if cfg.Header.BareToken {
				format = "<JWT>"
			}
			m[SchemeBearer] = SecurityScheme{
				Type: "apiKey", In: "header", Name: cfg.Header.Name,
				Description: "An access token (or, on refresh routes, a refresh token) sent as " + mdCode(cfg.Header.Name+": "+format) + ".",
			}
		}
	}
	if a.creds.dp != nil && a.creds.headers && !a.creds.bareToken {
		d := SecurityScheme{
			Type: "http", Scheme: "DPoP",
			Description: "A DPoP-bound access token (RFC 9449; or, on refresh routes, refresh token) sent as " + mdCode(cfg.Header.Name+": DPoP <JWT>") +
				", with a new proof for each request in the " + mdCode("DPoP") + " header, signed by the key the token is bound to (algorithms: " + mdCodeList(a.dp.algNames) + ").",
		}
		if !strings.EqualFold(cfg.Header.Name, "Authorization") {
			// OpenAPI's http schemes mean the Authorization header.
			d.Type, d.Scheme, d.In, d.Name = "apiKey", "", "header", cfg.Header.Name
		}
		m[SchemeDPoP] = d
	}
	if a.creds.cookies {
		m[SchemeAccessCookie] = SecurityScheme{
			Type: "apiKey", In: "cookie", Name: cfg.Cookies.Access.Name,
			Description: "The access-token cookie " + mdCode(cfg.Cookies.Access.Name) + " set by the login route (HttpOnly: the browser sends it by itself).",
		}
		m[SchemeRefreshCookie] = SecurityScheme{
			Type: "apiKey", In: "cookie", Name: cfg.Cookies.Refresh.Name,
			Description: "The refresh-token cookie " + mdCode(cfg.Cookies.Refresh.Name) + " set by the login route (HttpOnly: the browser sends it by itself).",
		}
		if !cfg.Cookies.UnsafeDisableCSRF {
			methods := mdCodeList(cfg.Cookies.CSRFMethods)
			m[SchemeAccessCSRF] = SecurityScheme{
				Type: "apiKey", In: "header", Name: cfg.Cookies.Access.CSRFHeader,
				Description: "The value of the " + mdCode(cfg.Cookies.Access.CSRFName) + " cookie, required with the access cookie on " + methods + " requests.",
			}
			m[SchemeRefreshCSRF] = SecurityScheme{
				Type: "apiKey", In: "header", Name: cfg.Cookies.Refresh.CSRFHeader,
				Description: "The value of the " + mdCode(cfg.Cookies.Refresh.CSRFName) + " cookie, required with the refresh cookie on " + methods + " requests.",
			}
		}
	}
	return m
}

// mdCode returns s as a CommonMark code span. OpenAPI descriptions are
// CommonMark, which renderers such as Swagger UI turn into HTML: written
// plainly, "<JWT>" is an HTML tag and vanishes from the page, and names
// such as "__Host-csrf_access" may start emphasis. Inside a code span every
// character shows literally. The fence is one backtick longer than the
// longest run of backticks in s, and a space pads s when it starts or
// ends with a backtick or a space (the renderer strips one on each side).
func mdCode(s string) string {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if s != "" && (s[0] == '`' || s[0] == ' ' || s[len(s)-1] == '`' || s[len(s)-1] == ' ') {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdCodeList returns the items as code spans, "`A`, `B` and `C`".
func mdCodeList(items []string) string {
	out := ""
	for i, it := range items {
		switch {
		case i == 0:
		case i == len(items)-1:
			out += " and "
		default:
			out += ", "
		}
		out += mdCode(it)
	}
	return out
}

// SecuritySchemesJSON returns [Auth.SecuritySchemes] as plain maps, ready
// to merge into an OpenAPI document held as map[string]any.
func (a *Auth) SecuritySchemesJSON() map[string]any {
	out := map[string]any{}
	for name, s := range a.SecuritySchemes() {
		m := map[string]any{"type": s.Type}
		for k, v := range map[string]string{"description": s.Description, "name": s.Name, "in": s.In, "scheme": s.Scheme, "bearerFormat": s.BearerFormat} {
			if v != "" {
				m[k] = v
			}
		}
		out[name] = m
	}
	return out
}

// AddSecuritySchemes merges [Auth.SecuritySchemesJSON] into doc's
// components.securitySchemes, creating the objects as needed and keeping
// schemes already there under other names.
func (a *Auth) AddSecuritySchemes(doc map[string]any) {
	comp, _ := doc["components"].(map[string]any)
	if comp == nil {
		comp = map[string]any{}
		doc["components"] = comp
	}
	ss, _ := comp["securitySchemes"].(map[string]any)
	if ss == nil {
		ss = map[string]any{}
		comp["securitySchemes"] = ss
	}
	for k, v := range a.SecuritySchemesJSON() {
		ss[k] = v
	}
}

// Security returns the OpenAPI security requirements of an operation of
// the given method guarded by req: one alternative per way the guard
// accepts a token (the header; the cookie, with its CSRF header when the
// method needs it), and with req.Optional the empty requirement {} first,
// which is OpenAPI's way of saying that credentials are optional. Roles
// and claims are checked inside the token and add nothing here.
// The result is never nil for a configured Auth.
func (a *Auth) Security(method string, req Requirement) []SecurityRequirement {
	var out []SecurityRequirement
	if req.Optional {
		out = append(out, SecurityRequirement{})
	}
	dpop := DPoPOff
	if a.creds.dp != nil && a.creds.headers && !a.creds.bareToken {
		dpop = a.dp.modeFor(&req)
	}
	if dpop == DPoPRequired {
		// Only bound tokens pass.
		return append(out, SecurityRequirement{SchemeDPoP: {}})
	}
	if a.creds.headers {
		out = append(out, SecurityRequirement{SchemeBearer: {}})
	}
	if dpop == DPoPAllowed {
		out = append(out, SecurityRequirement{SchemeDPoP: {}})
	}
	if a.creds.cookies {
		cookie, csrf := SchemeAccessCookie, SchemeAccessCSRF
		if req.Refresh {
			cookie, csrf = SchemeRefreshCookie, SchemeRefreshCSRF
		}
		r := SecurityRequirement{cookie: {}}
		if a.creds.csrfNeeded(method) {
			r[csrf] = []string{}
		}
		out = append(out, r)
	}
	return out
}

// SecurityJSON is [Auth.Security] as plain values ([]any of
// map[string]any), ready to set as an operation's "security" in an
// OpenAPI document held as map[string]any.
func (a *Auth) SecurityJSON(method string, req Requirement) []any {
	reqs := a.Security(method, req)
	out := make([]any, len(reqs))
	for i, r := range reqs {
		m := map[string]any{}
		for k, v := range r {
			scopes := make([]any, len(v))
			for j, s := range v {
				scopes[j] = s
			}
			m[k] = scopes
		}
		out[i] = m
	}
	return out
}

// ErrorStatuses returns the error statuses an operation guarded by req may
// answer with, for its documented responses: 400 (malformed header, when
// headers are a location), 401 always, 403 when roles or claims are
// required or cookies are a location (CSRF and cross-origin checks), and
// 422 with [Config.LegacyStatusCodes], and 503 when revocation is checked.
func (a *Auth) ErrorStatuses(req Requirement) []int {
	var out []int
	if a.creds.headers {
		out = append(out, http.StatusBadRequest)
	}
	out = append(out, http.StatusUnauthorized)
	if len(req.Roles) > 0 || len(req.Claims) > 0 || a.creds.cookies {
		out = append(out, http.StatusForbidden)
	}
	if a.legacyStatus {
		out = append(out, http.StatusUnprocessableEntity)
	}
	if a.rev.on {
		out = append(out, http.StatusServiceUnavailable)
	}
	return out
}
