package main

import (
	"testing"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
)

func TestOpenAPI(t *testing.T) {
	app, err := newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	doc := demotest.Call(t, app, "GET", "/openapi.json", nil).Body
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	bearer, _ := schemes[authjwt.SchemeBearer].(map[string]any)
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Fatalf("bearer scheme %v", schemes)
	}
	paths := doc["paths"].(map[string]any)
	op := func(path, method string) map[string]any { return paths[path].(map[string]any)[method].(map[string]any) }
	if _, ok := op("/login", "post")["security"]; ok {
		t.Error("/login declares security")
	}
	// Bearer, or DPoP (allowed by default): either scheme alone suffices.
	only := func(sec any, name string) bool {
		m, ok := sec.(map[string]any)
		_, has := m[name]
		return ok && len(m) == 1 && has
	}
	if sec := op("/protected", "get")["security"].([]any); len(sec) != 2 || !only(sec[0], authjwt.SchemeBearer) || !only(sec[1], authjwt.SchemeDPoP) {
		t.Errorf("/protected security %v: want bearer, then DPoP", sec)
	}
	if sec := op("/optional", "get")["security"].([]any); len(sec) != 3 || len(sec[0].(map[string]any)) != 0 || !only(sec[1], authjwt.SchemeBearer) {
		t.Errorf("/optional security %v: want {} first (credentials optional), then bearer and DPoP", sec)
	}
	if _, ok := op("/protected", "get")["responses"].(map[string]any)["401"]; !ok {
		t.Error("/protected does not document its 401")
	}
	// The documented routes behave as documented.
	access := demotest.Call(t, app, "POST", "/login", demotest.Login).Str("access_token")
	demotest.Expect(t, "protected", demotest.Call(t, app, "GET", "/protected", nil, demotest.Bearer(access)), 200, "")
	demotest.Expect(t, "protected without token", demotest.Call(t, app, "GET", "/protected", nil), 401, "Missing Authorization Header")
	demotest.Expect(t, "optional", demotest.Call(t, app, "GET", "/optional", nil), 200, "")
}
