// Command openapi serves an OpenAPI 3.1 document whose security schemes
// come from the Auth (Auth.AddSecuritySchemes, Auth.SecurityJSON), so the
// docs page's "Authorize" button works: log in with POST /login, paste the
// access token, and call the protected routes from /docs.
//
//	go run ./openapi    # then open http://127.0.0.1:8000/docs
package main

import (
	"flag"
	"net/http"
	"strconv"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
)

func main() {
	flag.Parse()
	demo.Serve(newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: demo.Secret()}}))
}

// route is one operation: its guard (nil for none) and its summary.
type route struct {
	method, path, summary string
	req                   *authjwt.Requirement
	handler               http.HandlerFunc
}

func newApp(cfg authjwt.Config) (http.Handler, error) {
	auth, err := authjwt.New(cfg)
	if err != nil {
		return nil, err
	}
	user := func(w http.ResponseWriter, r *http.Request) {
		demo.JSON(w, http.StatusOK, map[string]string{"user": authjwt.Subject(r.Context())})
	}
	routes := []route{
		{"POST", "/login", "Log in with a username and password", nil, func(w http.ResponseWriter, r *http.Request) {
			u, ok := demo.LoginOr401(w, r)
			if !ok {
				return
			}
			pair, err := auth.CreatePair(u, authjwt.WithFresh(true))
			if err != nil {
				auth.WriteError(w, r, err)
				return
			}
			demo.JSON(w, http.StatusOK, pair)
		}},
		{"GET", "/protected", "Any access token", &authjwt.Requirement{}, user},
		{"GET", "/protected-fresh", "A fresh access token", &authjwt.Requirement{Fresh: true}, user},
		{"GET", "/optional", "Anonymous or logged in", &authjwt.Requirement{Optional: true}, user},
	}

	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "authjwt OpenAPI example", "version": "1.0.0"},
	}
	auth.AddSecuritySchemes(doc) // components.securitySchemes
	paths := map[string]any{}
	mux := http.NewServeMux()
	for _, rt := range routes {
		op := map[string]any{"summary": rt.summary, "responses": map[string]any{"200": map[string]any{"description": "OK"}}}
		var h http.Handler = rt.handler
		if rt.req != nil {
			op["security"] = auth.SecurityJSON(rt.method, *rt.req) // the ways this guard accepts a token
			for _, status := range auth.ErrorStatuses(*rt.req) {
				op["responses"].(map[string]any)[strconv.Itoa(status)] = map[string]any{"description": http.StatusText(status)}
			}
			h = auth.Middleware(*rt.req)(h)
		}
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[map[string]string{"GET": "get", "POST": "post"}[rt.method]] = op
		mux.Handle(rt.method+" "+rt.path, h)
	}
	doc["paths"] = paths
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) { demo.JSON(w, http.StatusOK, doc) })
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(docsPage))
	})
	return mux, nil
}

// docsPage is Swagger UI, loaded from a CDN.
const docsPage = `<!DOCTYPE html>
<title>API docs</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css">
<div id="ui"></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: '/openapi.json', dom_id: '#ui'});</script>
`
