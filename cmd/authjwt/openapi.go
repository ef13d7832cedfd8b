package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	swaggerFiles "github.com/swaggo/files/v2"

	"github.com/librenz/authjwt"
)

// The OpenAPI document and the docs page (Swagger UI 5.18.2, embedded by
// github.com/swaggo/files/v2, so the page works offline).
func init() {
	addExtension(extension{
		Name:     "openapi",
		Patterns: []string{"GET /openapi.json", "GET /docs", "GET /docs/{file}"},
		Register: func(s *server, mux *http.ServeMux) error {
			// No HTML escaping: the document is JSON served as such
			// (nosniff), and its readers should see "<JWT>", not
			// "\u003cJWT\u003e".
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(s.openAPI()); err != nil {
				return err
			}
			doc := buf.Bytes()
			page, err := s.docsPage()
			if err != nil {
				return err
			}
			mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				h.Set("Content-Type", "application/json")
				h.Set("Cache-Control", "no-cache")
				h.Set("X-Content-Type-Options", "nosniff")
				h.Set("Access-Control-Allow-Origin", "*")
				w.Write(doc)
			})
			mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) { serveDocsPage(w, page) })
			mux.HandleFunc("GET /docs/{file}", serveDocsAsset)
			return nil
		},
	})
}

// docsTemplate is the Swagger UI page. Its script is docs/init.js (no
// inline script, so the page's CSP can forbid them); data-authjwt carries
// the settings init.js needs, as JSON ([docsSettings]).
var docsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>authjwt reference server: API docs</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body data-authjwt="{{.}}">
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`))

// docsSettings are the parts of the configuration the docs page's script
// needs to send the CSRF header by itself in cookie mode.
type docsSettings struct {
	// CSRFMethods are the methods that need the CSRF header.
	CSRFMethods []string `json:"csrfMethods"`
	// CSRF maps a CSRF security scheme of the document (an operation
	// listing it needs that header) to its cookie and header names. It is
	// empty unless cookies are a token location with CSRF protection on.
	CSRF map[string]docsCSRF `json:"csrf"`
}

// docsCSRF names the cookie whose value goes into the header.
type docsCSRF struct {
	Cookie string `json:"cookie"`
	Header string `json:"header"`
}

// docsPage renders the docs page with the configuration's CSRF cookie and
// header names.
func (s *server) docsPage() ([]byte, error) {
	set := docsSettings{CSRFMethods: s.cfg.Cookies.CSRFMethods, CSRF: map[string]docsCSRF{}}
	if s.cookies && !s.cfg.Cookies.UnsafeDisableCSRF {
		set.CSRF[authjwt.SchemeAccessCSRF] = docsCSRF{Cookie: s.cfg.Cookies.Access.CSRFName, Header: s.cfg.Cookies.Access.CSRFHeader}
		set.CSRF[authjwt.SchemeRefreshCSRF] = docsCSRF{Cookie: s.cfg.Cookies.Refresh.CSRFName, Header: s.cfg.Cookies.Refresh.CSRFHeader}
	}
	js, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, string(js)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// docsInit starts Swagger UI on /openapi.json. validatorUrl null keeps the
// page from calling the public validator (offline, and no leak of the
// document).
//
// Its requestInterceptor sends the CSRF header in cookie mode: on a
// request of a CSRF method to the page's own origin, for each CSRF scheme
// the operation's security lists (accessCSRF or refreshCSRF), it copies
// the value of that scheme's CSRF cookie (script-readable by design) into
// that scheme's header, unless the request already has the header (typed
// in "Authorize"). So after POST /login from the page, every route works
// without copying anything by hand. Setting
// window.authjwtDocs.sendCSRF = false in the browser's console turns it
// off, to see the server refuse such a request.
const docsInit = `(function () {
  "use strict";
  var settings = JSON.parse(document.body.getAttribute("data-authjwt") || "{}");
  var csrf = settings.csrf || {};
  var methods = settings.csrfMethods || [];
  window.authjwtDocs = { sendCSRF: true, settings: settings };

  function cookie(name) {
    var parts = document.cookie.split(";");
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (eq >= 0 && parts[i].slice(0, eq).trim() === name) return parts[i].slice(eq + 1).trim();
    }
    return null;
  }

  // matches says whether a path fits a path template of the document,
  // "/items/{id}" matching "/items/42".
  function matches(tmpl, path) {
    var t = tmpl.split("/"), p = path.split("/");
    if (t.length !== p.length) return false;
    for (var i = 0; i < t.length; i++) {
      var param = t[i].charAt(0) === "{" && t[i].charAt(t[i].length - 1) === "}";
      if (param ? p[i] === "" : t[i] !== p[i]) return false;
    }
    return true;
  }

  // operation finds the document's operation for a request.
  function operation(method, path) {
    var spec = window.ui && window.ui.specSelectors.specJson().toJS();
    var paths = (spec && spec.paths) || {};
    for (var tmpl in paths) {
      if (matches(tmpl, path)) return paths[tmpl][method.toLowerCase()];
    }
    return null;
  }

  function addCSRF(req) {
    if (!window.authjwtDocs.sendCSRF) return req;
    var method = (req.method || "GET").toUpperCase();
    if (methods.indexOf(method) < 0) return req;
    var url = new URL(req.url, document.baseURI);
    if (url.origin !== window.location.origin) return req;
    var op = operation(method, url.pathname);
    if (!op || !op.security) return req;
    req.headers = req.headers || {};
    var have = {};
    Object.keys(req.headers).forEach(function (h) { have[h.toLowerCase()] = true; });
    op.security.forEach(function (alt) {
      Object.keys(alt).forEach(function (scheme) {
        var c = csrf[scheme];
        if (!c || have[c.header.toLowerCase()]) return;
        var v = cookie(c.cookie);
        if (v !== null) {
          req.headers[c.header] = v;
          have[c.header.toLowerCase()] = true;
        }
      });
    });
    return req;
  }

  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    requestInterceptor: addCSRF,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
`

// docsCSP allows only the server's own scripts; Swagger UI sets inline
// styles and data: images.
const docsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// docsModTime is the Last-Modified of the embedded assets (the start of
// the process: they change only with the binary).
var docsModTime = time.Now()

// docsAssets are the Swagger UI files the page uses, with their types.
var docsAssets = map[string]string{
	"swagger-ui.css":       "text/css; charset=utf-8",
	"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
	"favicon-32x32.png":    "image/png",
	"favicon-16x16.png":    "image/png",
}

func serveDocsPage(w http.ResponseWriter, page []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	w.Write(page)
}

func serveDocsAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if name == "init.js" {
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		w.Write([]byte(docsInit))
		return
	}
	ctype, ok := docsAssets[name]
	if !ok {
		writeJSON(w, http.StatusNotFound, errorBody{Detail: "Not Found", Code: "not_found"})
		return
	}
	b, err := fs.ReadFile(swaggerFiles.FS, name)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{Detail: "docs asset missing: " + name, Code: "internal_error"})
		return
	}
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(w, r, name, docsModTime, bytes.NewReader(b))
}

// guardRequirement returns the requirement enforcing a guard, and false
// for routes without a token guard (none, credentials).
func guardRequirement(guard string) (authjwt.Requirement, bool) {
	switch guard {
	case guardAccess:
		return authjwt.Requirement{}, true
	case guardFresh:
		return authjwt.Requirement{Fresh: true}, true
	case guardRecent:
		return authjwt.Requirement{MaxAuthAge: recentLogin}, true
	case guardRefresh:
		return authjwt.Requirement{Refresh: true}, true
	case guardOptional:
		return authjwt.Requirement{Optional: true}, true
	}
	if role, ok := strings.CutPrefix(guard, "role:"); ok {
		return authjwt.Requirement{Roles: []string{role}}, true
	}
	if claim, ok := strings.CutPrefix(guard, "claim:"); ok {
		return authjwt.Requirement{Claims: []string{claim}}, true
	}
	return authjwt.Requirement{}, false
}

// docRoute is a route as the document lists it.
type docRoute struct {
	method, path, guard, summary string
}

// documentedRoutes returns the spec's routes: the server's route table,
// and the routes files of their own add (WebSocket, OpenAPI, docs).
func (s *server) documentedRoutes() []docRoute {
	var out []docRoute
	for _, r := range s.routes() {
		method, path, _ := strings.Cut(r.Pattern, " ")
		path = strings.TrimSuffix(path, "{$}")
		out = append(out, docRoute{method, path, r.Guard, r.Summary})
	}
	return append(out,
		docRoute{"GET", "/ws", guardAccess, "WebSocket echo: the access token from ?token=, from Sec-WebSocket-Protocol \"bearer, <token>\", or from the cookies with ?csrf_token="},
		docRoute{"GET", "/openapi.json", guardNone, "this OpenAPI document"},
		docRoute{"GET", "/docs", guardNone, "the API docs page (Swagger UI)"},
	)
}

// Per-path response bodies (JSON schemas) of a success.
var (
	userSchema   = obj(map[string]any{"user": map[string]any{"type": []string{"string", "null"}}}, "user")
	detailSchema = obj(map[string]any{"detail": str()}, "detail")
	tokensSchema = obj(map[string]any{"access_token": str(), "refresh_token": str(), "detail": str()})
	okSchemas    = map[string]map[string]any{
		"/healthz":          obj(map[string]any{"status": str()}, "status"),
		"/login":            tokensSchema,
		"/fresh-login":      tokensSchema,
		"/refresh":          tokensSchema,
		"/protected":        userSchema,
		"/protected-fresh":  userSchema,
		"/protected-recent": userSchema,
		"/optional":         userSchema,
		"/admin":            obj(map[string]any{"ok": map[string]any{"type": "boolean"}}, "ok"),
		"/claims":           obj(map[string]any{"claims": map[string]any{"type": "object"}, "header": map[string]any{"type": "object"}}, "claims", "header"),
		"/partner":          obj(map[string]any{"partner": map[string]any{}}, "partner"),
		"/access-revoke":    detailSchema,
		"/refresh-revoke":   detailSchema,
		"/logout":           detailSchema,
		"/logout-all":       detailSchema,
		"/sessions": obj(map[string]any{"sessions": map[string]any{"type": "array", "items": obj(map[string]any{
			"id": str(), "created_at": dateTime(), "last_used_at": dateTime(), "user_agent": str(), "client_ip": str(),
			"current": map[string]any{"type": "boolean"}, "label": str(), "auth_time": dateTime(), "auth_method": str(),
		}, "id", "created_at", "last_used_at", "user_agent", "client_ip", "current")}}, "sessions"),
		"/sessions/{id}":         detailSchema,
		"/logout-others":         detailSchema,
		"/.well-known/jwks.json": obj(map[string]any{"keys": map[string]any{"type": "array", "items": map[string]any{"type": "object"}}}, "keys"),
		"/.well-known/oauth-protected-resource": obj(map[string]any{
			"resource":                          str(),
			"authorization_servers":             strList(),
			"scopes_supported":                  strList(),
			"bearer_methods_supported":          strList(),
			"dpop_signing_alg_values_supported": strList(),
			"dpop_bound_access_tokens_required": map[string]any{"type": "boolean"},
		}, "resource"),
		"/openapi.json": {"type": "object"},
		"/ws":           nil,
	}
)

func str() map[string]any { return map[string]any{"type": "string"} }

func dateTime() map[string]any { return map[string]any{"type": "string", "format": "date-time"} }

func strList() map[string]any { return map[string]any{"type": "array", "items": str()} }

func obj(props map[string]any, required ...string) map[string]any {
	m := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		m["required"] = required
	}
	return m
}

func errorResponse(status int) map[string]any {
	return map[string]any{
		"description": http.StatusText(status),
		"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}},
	}
}

// openAPI returns the OpenAPI 3.1 document of the server: every route of
// the spec, each guarded one with the security requirement its guard
// enforces (from the library's [authjwt.Auth.Security], so the docs page's
// "Authorize" sends what the guard reads), and the security schemes of
// the configuration.
func (s *server) openAPI() map[string]any {
	paths := map[string]any{}
	tags := map[string]bool{}
	for _, rt := range s.documentedRoutes() {
		tag := "public"
		op := map[string]any{
			"summary":     rt.summary,
			"operationId": operationID(rt.method, rt.path),
		}
		responses := map[string]any{}
		ok := map[string]any{"description": "OK"}
		switch rt.path {
		case "/", "/docs":
			ok["content"] = map[string]any{"text/html": map[string]any{"schema": str()}}
		case "/ws":
			responses["101"] = map[string]any{"description": "Switching Protocols: the WebSocket is open"}
			ok = nil
		default:
			if sc := okSchemas[rt.path]; sc != nil {
				ok["content"] = map[string]any{"application/json": map[string]any{"schema": sc}}
			}
		}
		if ok != nil {
			responses["200"] = ok
		}
		if req, guarded := guardRequirement(rt.guard); guarded {
			tag = "protected"
			if rt.guard == guardRefresh || strings.Contains(rt.path, "revoke") || strings.HasPrefix(rt.path, "/logout") || strings.HasPrefix(rt.path, "/sessions") {
				tag = "session"
			}
			op["security"] = s.auth.SecurityJSON(rt.method, req)
			for _, st := range s.auth.ErrorStatuses(req) {
				responses[fmt.Sprint(st)] = errorResponse(st)
			}
			op["description"] = "Guard: " + rt.guard + "."
		}
		if rt.guard == guardCredentials {
			tag = "session"
			op["requestBody"] = map[string]any{
				"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
					"$ref": "#/components/schemas/Credentials"}}},
			}
			for _, st := range []int{http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity} {
				responses[fmt.Sprint(st)] = errorResponse(st)
			}
		}
		if rt.path == "/sessions/{id}" {
			op["parameters"] = []any{map[string]any{"name": "id", "in": "path", "required": true,
				"description": "the session's id (as GET /sessions lists it)", "schema": str()}}
			responses["404"] = errorResponse(http.StatusNotFound)
		}
		if strings.HasPrefix(rt.path, "/sessions") || rt.path == "/logout-others" {
			responses["501"] = errorResponse(http.StatusNotImplemented)
			responses["503"] = errorResponse(http.StatusServiceUnavailable)
		}
		op["responses"] = responses
		op["tags"] = []string{tag}
		tags[tag] = true
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = op
	}
	intro := "Every route of the authjwt reference server. Log in with POST /login (alice/secret or bob/hunter2), then use \"Authorize\" with the access token."
	if s.cookies && !s.headers {
		intro = "Every route of the authjwt reference server, in cookie mode. Log in with POST /login (alice/secret or bob/hunter2): the browser keeps the token cookies and sends them by itself."
	} else if s.cookies {
		intro += " Or use the cookies POST /login sets: the browser sends them by itself."
	}
	if s.cookies && !s.cfg.Cookies.UnsafeDisableCSRF {
		intro += " On " + strings.Join(s.cfg.Cookies.CSRFMethods, ", ") + " requests this page copies the CSRF cookie into the CSRF header by itself, so the CSRF fields of \"Authorize\" can stay empty."
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "authjwt reference server",
			"version":     "1.0.0",
			"description": intro,
			"license":     map[string]any{"name": "MIT", "identifier": "MIT"},
		},
		"tags": []any{
			map[string]any{"name": "session", "description": "log in, refresh, revoke, log out"},
			map[string]any{"name": "protected", "description": "routes guarded by an access token"},
			map[string]any{"name": "public", "description": "routes without a guard"},
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": map[string]any{
				"Error": obj(map[string]any{"detail": str(), "code": str()}, "detail"),
				"Credentials": obj(map[string]any{
					"username": map[string]any{"type": "string", "examples": []string{"alice"}},
					"password": map[string]any{"type": "string", "format": "password", "examples": []string{"secret"}},
				}, "username", "password"),
			},
		},
	}
	s.auth.AddSecuritySchemes(doc)
	return doc
}

// operationID makes "get_protected" from GET /protected ("get_root" for /).
func operationID(method, path string) string {
	p := strings.Trim(path, "/")
	if p == "" {
		p = "root"
	}
	p = strings.NewReplacer("/", "_", "-", "_", ".", "", "{", "", "}", "").Replace(p)
	return strings.ToLower(method) + "_" + strings.Trim(p, "_")
}
