package authjwt

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
)

type ctxTenant struct{}

// tenantClaims validates with a value receiver: the tenant must be the
// one the context names.
type tenantClaims struct {
	Tenant string `json:"tenant"`
}

func (c tenantClaims) Validate(ctx context.Context) error {
	if want, _ := ctx.Value(ctxTenant{}).(string); c.Tenant != want {
		return errors.New("tenant " + c.Tenant + " is not " + want)
	}
	return nil
}

// scopeClaims validates with a pointer receiver and may answer 403.
type scopeClaims struct {
	Scope string `json:"scope"`
}

var errScope = errors.New("unknown scope")

func (c *scopeClaims) Validate(ctx context.Context) error {
	switch c.Scope {
	case "read", "write":
		return nil
	case "none":
		return ErrNotEnoughPerms.with(errScope, "")
	}
	return errScope
}

// plainClaims has no Validate.
type plainClaims struct {
	Tenant string `json:"tenant"`
}

func TestClaimsAsValidate(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	ctxFor := func(claims map[string]any, tenant string) context.Context {
		tok := must(a.Verify(context.Background(), must(a.CreateAccessToken("alice", WithClaims(claims))), Requirement{}))
		return NewContext(context.WithValue(context.Background(), ctxTenant{}, tenant), tok)
	}

	c, err := ClaimsAs[tenantClaims](ctxFor(map[string]any{"tenant": "acme"}, "acme"))
	if err != nil || c.Tenant != "acme" {
		t.Fatalf("valid: %v %v", c, err)
	}
	_, err = ClaimsAs[tenantClaims](ctxFor(map[string]any{"tenant": "evil"}, "acme"))
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalidClaim || e.Status != 401 || e.Bearer != "invalid_token" || e.Err == nil || e.Err.Error() != "tenant evil is not acme" {
		t.Fatalf("value receiver failure: %#v", err)
	}
	w := httptest.NewRecorder()
	a.WriteError(w, httptest.NewRequest("GET", "/", nil), err)
	if w.Code != 401 || w.Body.String() != `{"detail":"Invalid claim","code":"invalid_claim"}`+"\n" {
		t.Fatalf("written: %d %s", w.Code, w.Body)
	}

	// Pointer receivers; a T that is itself a pointer.
	if _, err := ClaimsAs[scopeClaims](ctxFor(map[string]any{"scope": "read"}, "")); err != nil {
		t.Fatalf("pointer receiver, valid: %v", err)
	}
	_, err = ClaimsAs[scopeClaims](ctxFor(map[string]any{"scope": "admin"}, ""))
	if !errors.Is(err, ErrInvalidClaim) || !errors.Is(err, errScope) {
		t.Fatalf("pointer receiver failure: %v", err)
	}
	_, err = ClaimsAs[*scopeClaims](ctxFor(map[string]any{"scope": "admin"}, ""))
	if !errors.Is(err, ErrInvalidClaim) {
		t.Fatalf("*T failure: %v", err)
	}
	// An *Error from Validate is kept: a 403.
	_, err = ClaimsAs[scopeClaims](ctxFor(map[string]any{"scope": "none"}, ""))
	if AsError(err).Status != 403 || !errors.Is(err, ErrNotEnoughPerms) || !errors.Is(err, errScope) {
		t.Fatalf("*Error from Validate: %v", err)
	}

	// Type mismatches stay 500 and Validate is not reached.
	if _, err := ClaimsAs[tenantClaims](ctxFor(map[string]any{"tenant": 7}, "")); !errors.Is(err, ErrClaimsType) {
		t.Fatalf("type mismatch: %v", err)
	}
	// Without Validate, nothing is checked.
	if c, err := ClaimsAs[plainClaims](ctxFor(map[string]any{"tenant": "evil"}, "acme")); err != nil || c.Tenant != "evil" {
		t.Fatalf("no validator: %v %v", c, err)
	}
	if _, err := ClaimsAs[tenantClaims](context.Background()); !errors.Is(err, ErrMissingToken) {
		t.Fatalf("no token: %v", err)
	}
}
