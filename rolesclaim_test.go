package authjwt

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestWithRolesDefaultClaim(t *testing.T) {
	ctx := context.Background()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	tok := must(a.CreateAccessToken("alice", WithRoles("admin", "viewer"), WithClaims(map[string]any{"org": "acme"})))
	if got := decodePart(t, tok, 1)["roles"]; len(got.([]any)) != 2 {
		t.Fatalf("roles claim: %v", got)
	}
	v := must(a.Verify(ctx, tok, Requirement{Roles: []string{"viewer"}}))
	if !slices.Equal(v.Roles(), []string{"admin", "viewer"}) {
		t.Fatalf("Roles: %v", v.Roles())
	}
	if org, _ := v.Claim("org"); org != "acme" {
		t.Fatalf("custom claims lost: %v", org)
	}
	if _, err := a.CreateAccessToken("alice", WithRoles("a"), WithClaims(map[string]any{"roles": []string{"b"}})); err == nil {
		t.Fatal("roles in WithRoles and WithClaims accepted")
	}
	// No roles: an empty list is written as given.
	v = must(a.Verify(ctx, must(a.CreateAccessToken("alice", WithRoles())), Requirement{}))
	if len(v.Roles()) != 0 {
		t.Fatalf("empty roles: %v", v.Roles())
	}
	if _, err := a.Verify(ctx, must(a.CreateAccessToken("alice", WithRoles())), Requirement{Roles: []string{"admin"}}); !errors.Is(err, ErrNotEnoughPerms) {
		t.Fatalf("empty roles granted admin: %v", err)
	}
}

func TestRolesClaimRenamed(t *testing.T) {
	ctx := context.Background()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Claims: ClaimsConfig{RolesClaim: "permissions"}})
	tok := must(a.CreateAccessToken("alice", WithRoles("admin")))
	claims := decodePart(t, tok, 1)
	if _, ok := claims["roles"]; ok {
		t.Fatalf("wrote roles: %v", claims)
	}
	if p, _ := claims["permissions"].([]any); len(p) != 1 || p[0] != "admin" {
		t.Fatalf("permissions claim: %v", claims)
	}
	v := must(a.Verify(ctx, tok, Requirement{Roles: []string{"admin"}}))
	if !slices.Equal(v.Roles(), []string{"admin"}) {
		t.Fatalf("Roles: %v", v.Roles())
	}
	// A "roles" claim grants nothing now.
	other := must(a.CreateAccessToken("alice", WithClaims(map[string]any{"roles": []string{"admin"}})))
	if _, err := a.Verify(ctx, other, Requirement{Roles: []string{"admin"}}); !errors.Is(err, ErrNotEnoughPerms) {
		t.Fatalf(`"roles" still read: %v`, err)
	}
	// A list holding anything but strings grants nothing, as for "roles".
	mixed := must(a.CreateAccessToken("alice", WithClaims(map[string]any{"permissions": []any{"admin", 1}})))
	if v := must(a.Verify(ctx, mixed, Requirement{})); len(v.Roles()) != 0 {
		t.Fatalf("mixed list: %v", v.Roles())
	}
	str := must(a.CreateAccessToken("alice", WithClaims(map[string]any{"permissions": "admin"})))
	if _, err := a.Verify(ctx, str, Requirement{Roles: []string{"admin"}}); !errors.Is(err, ErrNotEnoughPerms) {
		t.Fatalf("a string granted a role: %v", err)
	}
	// The middleware and Rotate's successors carry them.
	h := a.RequireRoles("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("RequireRoles: %d %s", w.Code, w.Body)
	}
}

func TestRolesClaimRefusedAtNew(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Claims: ClaimsConfig{RolesClaim: "sub"}}, "collides"},
		{Config{Claims: ClaimsConfig{RolesClaim: "csrf"}}, "collides"},
		{Config{Claims: ClaimsConfig{RolesClaim: "AID"}}, "collides"},
		{Config{Claims: ClaimsConfig{RolesClaim: "type"}}, "collides"},
		{Config{Claims: ClaimsConfig{RolesClaim: "kind"}, TypeClaim: TypeClaimConfig{Name: "kind"}}, "collides"},
		{Config{Claims: ClaimsConfig{RolesClaim: "realm_access.roles"}}, "top-level"},
		{Config{Claims: ClaimsConfig{RolesClaim: "a\xff"}}, "UTF-8"},
	} {
		tc.cfg.Keys.SecretKey = testSecret
		_, err := New(tc.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != "Claims.RolesClaim" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RolesClaim %q: %v", tc.cfg.Claims.RolesClaim, err)
		}
	}
	// With the type claim off, its name is free.
	if _, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, Claims: ClaimsConfig{RolesClaim: "type"}, TypeClaim: TypeClaimConfig{Skip: true}}); err != nil {
		t.Errorf("type claim off: %v", err)
	}
}

func TestRolesClaimFromEnv(t *testing.T) {
	t.Setenv("AUTHJWT_SECRET_KEY", testSecret)
	t.Setenv("AUTHJWT_ROLES_CLAIM", "perms")
	cfg, err := LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Claims.RolesClaim != "perms" {
		t.Fatalf("RolesClaim %q", cfg.Claims.RolesClaim)
	}
}
