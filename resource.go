package authjwt

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// OAuth 2.0 protected-resource metadata (RFC 9728): what a client needs to
// know to call this API — its resource identifier, the authorization
// servers whose tokens it accepts, how tokens are sent, the DPoP
// algorithms, the scopes — served at a well-known URL derived from the
// identifier, and advertised in every challenge (resource_metadata).

// WellKnownResourceMetadata is the well-known path suffix of RFC 9728 §3.
const WellKnownResourceMetadata = "/.well-known/oauth-protected-resource"

// resourceMetadataMaxAge is the Cache-Control max-age of the metadata.
const resourceMetadataMaxAge = "3600"

// resourceMeta is the metadata part: built by New from Config.Resource and
// the settings the document describes.
type resourceMeta struct {
	// identifier is Resource.Identifier; "" derives it from each request's
	// origin.
	identifier string
	// path is the metadata's path on this server (RFC 9728 §3.1), and url
	// its URL when identifier is set. alias is the path without the
	// identifier's trailing slash, when it has one ("" otherwise).
	path, url, alias string
	// doc is the document without "resource", as JSON members after it.
	doc []byte
	// static is the whole document when identifier is set.
	static []byte
	// origin replaces the request's origin when identifier is empty:
	// that of DPoP.ExternalURL, when set.
	origin string
}

// resourceDoc is the document's members other than "resource", in the
// order RFC 9728 §2 lists them.
type resourceDoc struct {
	AuthorizationServers []string `json:"authorization_servers,omitempty"`
	ScopesSupported      []string `json:"scopes_supported,omitempty"`
	BearerMethods        []string `json:"bearer_methods_supported"`
	DPoPAlgs             []string `json:"dpop_signing_alg_values_supported,omitempty"`
	DPoPRequired         bool     `json:"dpop_bound_access_tokens_required,omitempty"`
}

// resourceMetadataPath returns the path of the metadata of the resource
// whose identifier is u (RFC 9728 §3.1): the well-known suffix inserted
// between the host and the path. "Any terminating slash (/) following the
// host component" is removed first: a path that is "/" alone, the slash
// right after the host. A slash ending a longer path stays, since
// "https://x/v1/" and "https://x/v1" are two identifiers, whose documents
// (whose "resource" must equal each exactly) cannot share a URL; panva's
// oauth4webapi reads the rule so. alias is the path other clients derive
// by also removing that last slash, as RFC 8414 §3.1 has them do for
// issuers ("" when the path has no trailing slash).
func resourceMetadataPath(u *url.URL) (path, alias string) {
	p := u.EscapedPath()
	if p == "/" {
		p = ""
	}
	if t := strings.TrimRight(p, "/"); t != p {
		alias = WellKnownResourceMetadata + t
	}
	return WellKnownResourceMetadata + p, alias
}

// validateIdentifier checks a resource identifier (RFC 9728 §1.2, RFC 8707
// §2): an absolute https URL with a host, without user information,
// query or fragment.
func validateIdentifier(id string) (*url.URL, error) {
	u, err := url.Parse(id)
	if err != nil {
		return nil, settingError("Resource.Identifier", "%q is not a URL: %v", id, err)
	}
	switch {
	case !strings.HasPrefix(id, "https://"):
		return nil, settingError("Resource.Identifier", "%q is not an https URL (RFC 9728 §1.2: a resource identifier uses the https scheme)", id)
	case u.Host == "" || u.Hostname() == "":
		return nil, settingError("Resource.Identifier", "%q has no host", id)
	case u.User != nil:
		return nil, settingError("Resource.Identifier", "%q has user information", id)
	case u.Fragment != "" || strings.Contains(id, "#"):
		return nil, settingError("Resource.Identifier", "%q has a fragment (RFC 9728 §1.2: a resource identifier has none)", id)
	case u.RawQuery != "" || u.ForceQuery:
		return nil, settingError("Resource.Identifier", "%q has a query (RFC 8707 §2: a resource indicator should have none, and the metadata is located by its path)", id)
	}
	return u, nil
}

// newResourceMeta builds the metadata part, or returns nil when the
// metadata is off (Resource.Identifier empty and Resource.Metadata false).
// headers: tokens are read from the header; dp: the DPoP verifier.
func newResourceMeta(c *Config, headers bool, dp *dpopVerifier) (*resourceMeta, error) {
	r := &c.Resource
	for _, s := range r.Scopes {
		if s == "" || strings.ContainsAny(s, " \"\\") || !utf8.ValidString(s) {
			return nil, settingError("Resource.Scopes", "%q is not a scope (RFC 6749 §3.3: no spaces, quotes or backslashes)", s)
		}
	}
	if r.Identifier == "" && !r.Metadata {
		return nil, nil
	}
	m := &resourceMeta{identifier: r.Identifier, path: WellKnownResourceMetadata}
	if r.Identifier != "" {
		u, err := validateIdentifier(r.Identifier)
		if err != nil {
			return nil, err
		}
		m.path, m.alias = resourceMetadataPath(u)
		m.url = u.Scheme + "://" + u.Host + m.path
	}
	d := resourceDoc{ScopesSupported: r.Scopes, BearerMethods: []string{}}
	if c.Claims.EncodeIssuer != "" {
		d.AuthorizationServers = append(d.AuthorizationServers, c.Claims.EncodeIssuer)
	}
	for _, ti := range c.TrustedIssuers {
		if !slices.Contains(d.AuthorizationServers, ti.Issuer) {
			d.AuthorizationServers = append(d.AuthorizationServers, ti.Issuer)
		}
	}
	if headers && strings.EqualFold(c.Header.Name, "Authorization") && !c.Header.BareToken && strings.EqualFold(c.Header.Type, "Bearer") {
		// RFC 6750 §2.1; a cookie is no bearer method of RFC 6750, and a
		// query parameter is one route's choice, not the API's.
		d.BearerMethods = []string{"header"}
	}
	if dp != nil && dp.mode != DPoPOff {
		// RFC 9728 §2: the proof algorithms, and whether every token must
		// be DPoP-bound (a route's Requirement.DPoP may be stricter).
		d.DPoPAlgs = dp.algNames
		d.DPoPRequired = dp.mode == DPoPRequired
	}
	if dp != nil && dp.external != nil {
		m.origin = dp.external.Scheme + "://" + dp.external.Host
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	m.doc = b[1 : len(b)-1]
	if m.identifier != "" {
		m.static = m.document(m.identifier)
	}
	return m, nil
}

// document returns the JSON document for the resource identifier id.
func (m *resourceMeta) document(id string) []byte {
	q, _ := json.Marshal(id)
	b := make([]byte, 0, len(q)+len(m.doc)+16)
	b = append(b, `{"resource":`...)
	b = append(b, q...)
	if len(m.doc) > 0 {
		b = append(b, ',')
		b = append(b, m.doc...)
	}
	return append(b, "}\n"...)
}

// requestOrigin is the origin a request reached: https when it came over
// TLS, and its Host. It is the resource identifier when none is
// configured; behind a proxy that terminates TLS, configure one.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// metadataURL returns the metadata's URL for a challenge to r.
func (m *resourceMeta) metadataURL(r *http.Request) string {
	if m.url != "" {
		return m.url
	}
	return m.originOf(r) + m.path
}

// originOf is the resource identifier of a request when none is
// configured: DPoP.ExternalURL's origin, else the request's.
func (m *resourceMeta) originOf(r *http.Request) string {
	if m.origin != "" {
		return m.origin
	}
	return requestOrigin(r)
}

// ResourceMetadataPath returns the path at which to serve
// [Auth.ResourceMetadataHandler] (RFC 9728 §3.1):
// "/.well-known/oauth-protected-resource", followed by the path of
// [ResourceConfig.Identifier] when it has one other than "/"
// ("/.well-known/oauth-protected-resource/api/v1" for
// https://api.example.com/api/v1). It is the path the challenges
// advertise, and "" when the metadata is off. For an identifier whose path
// ends with a slash, see [Auth.ResourceMetadataPaths].
func (a *Auth) ResourceMetadataPath() string {
	if a.meta == nil {
		return ""
	}
	return a.meta.path
}

// ResourceMetadataPaths returns every path the handler answers at:
// [Auth.ResourceMetadataPath], and for an identifier whose path ends with
// a slash (https://api.example.com/v1/) also that path without it
// (/.well-known/oauth-protected-resource/v1), where clients applying RFC
// 8414's rule to RFC 9728 look. Mount the handler at each:
//
//	for _, p := range auth.ResourceMetadataPaths() {
//		mux.Handle("GET "+p, auth.ResourceMetadataHandler())
//	}
func (a *Auth) ResourceMetadataPaths() []string {
	if a.meta == nil {
		return nil
	}
	if a.meta.alias != "" {
		return []string{a.meta.path, a.meta.alias}
	}
	return []string{a.meta.path}
}

// ResourceMetadataURL returns the URL of the protected-resource metadata
// that the challenges to r advertise (resource_metadata, RFC 9728 §5.1),
// for an ErrorHandler of the application's own; "" when the metadata is
// off.
func (a *Auth) ResourceMetadataURL(r *http.Request) string {
	if a.meta == nil {
		return ""
	}
	return a.meta.metadataURL(r)
}

// ResourceMetadataHandler returns the handler of the protected-resource
// metadata (RFC 9728), to mount at [Auth.ResourceMetadataPath]:
//
//	mux.Handle("GET "+auth.ResourceMetadataPath(), auth.ResourceMetadataHandler())
//
// It answers GET and HEAD at [Auth.ResourceMetadataPaths] (404 elsewhere, 405 for other
// methods) with the JSON document: "resource" ([ResourceConfig.Identifier],
// or the request's origin without one), "authorization_servers"
// ([ClaimsConfig.EncodeIssuer] and every [TrustedIssuer]), "scopes_supported"
// ([ResourceConfig.Scopes]), "bearer_methods_supported" (["header"] when
// tokens come in the Authorization header with the Bearer scheme, else
// []), and, unless DPoP is off, "dpop_signing_alg_values_supported"
// ([DPoPConfig.Algorithms]) and "dpop_bound_access_tokens_required"
// (true when [DPoPConfig.Mode] is required). The document is public: it carries
// Cache-Control: public, max-age=3600 and Access-Control-Allow-Origin: *
// (browser clients discover it from other origins). With the metadata off
// ([ResourceConfig]) the handler answers 404.
func (a *Auth) ResourceMetadataHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if a.meta == nil || (r.URL.Path != a.meta.path && (a.meta.alias == "" || r.URL.Path != a.meta.alias)) {
			writeJSONStatus(w, http.StatusNotFound, errorBody{Detail: "Not Found", Code: "not_found"})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			writeJSONStatus(w, http.StatusMethodNotAllowed, errorBody{Detail: "Method Not Allowed", Code: "method_not_allowed"})
			return
		}
		body := a.meta.static
		if body == nil {
			body = a.meta.document(a.meta.originOf(r))
		}
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age="+resourceMetadataMaxAge)
		h.Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(body)
		}
	})
}

// writeJSONStatus writes v as JSON with status, not cached.
func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
