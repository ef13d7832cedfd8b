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
	if sec := op("/protected", "get")["security"].([]any); len(sec) != 1 {
		t.Errorf("/protected security %v", sec)
	}
	if sec := op("/optional", "get")["security"].([]any); len(sec) != 2 || len(sec[0].(map[string]any)) != 0 {
		t.Errorf("/optional security %v: want {} first (credentials optional)", sec)
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
