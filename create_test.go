package authjwt

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCreateTokenClaims(t *testing.T) {
	clk := newClock()
	a := mustNew(t, Config{SecretKey: testSecret, Now: clk.Now, EncodeIssuer: "https://id.example"})
	now := clk.Now().Unix()
	tok := must(a.CreateAccessToken("alice", WithFresh(true), WithAudience("api")))
	m := decodePart(t, tok, 1)
	want := map[string]any{
		"sub": "alice", "iat": json.Number(itoa(now)), "nbf": json.Number(itoa(now)),
		"exp": json.Number(itoa(now + 900)), "iss": "https://id.example", "aud": "api",
		"type": "access", "fresh": true,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v (%T), want %v", k, m[k], m[k], v)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(m["jti"].(string)) {
		t.Errorf("jti %v is not a UUID v4", m["jti"])
	}
	if _, ok := m["csrf"]; ok {
		t.Error("csrf claim in header mode")
	}
	rt := decodePart(t, must(a.CreateRefreshToken("alice")), 1)
	if rt["type"] != "refresh" || rt["exp"] != json.Number(itoa(now+14*24*3600)) {
		t.Errorf("refresh claims %v", rt)
	}
	if _, ok := rt["fresh"]; ok {
		t.Error("refresh token carries fresh")
	}
	if _, err := a.CreateRefreshToken("alice", WithFresh(true)); err == nil {
		t.Error("fresh refresh token created")
	}
	list := decodePart(t, must(a.CreateAccessToken("alice", WithAudience("a", "b"))), 1)
	if aud, ok := list["aud"].([]any); !ok || len(aud) != 2 {
		t.Errorf("aud list %v", list["aud"])
	}
	// Subjects with characters JSON must escape round-trip.
	odd := "al\"ice\\\n<é>"
	v := must(a.Verify(context.Background(), must(a.CreateAccessToken(odd)), Requirement{}))
	if v.Subject() != odd {
		t.Errorf("subject %q", v.Subject())
	}
	if _, err := a.CreateAccessToken("\xff"); err == nil {
		t.Error("invalid UTF-8 subject accepted")
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestCreateExpiry(t *testing.T) {
	clk := newClock()
	now := clk.Now().Unix()
	a := mustNew(t, Config{SecretKey: testSecret, Now: clk.Now})
	m := decodePart(t, must(a.CreateAccessToken("a", WithExpiry(time.Hour))), 1)
	if m["exp"] != json.Number(itoa(now+3600)) {
		t.Errorf("override exp %v", m["exp"])
	}
	if _, err := a.CreateAccessToken("a", WithNoExpiry()); err == nil {
		t.Error("non-expiring token without AllowNonExpiringTokens")
	}
	if _, err := a.CreateAccessToken("a", WithExpiry(-time.Hour)); err == nil {
		t.Error("negative expiry accepted")
	}
	b := mustNew(t, Config{SecretKey: testSecret, Now: clk.Now, AllowNonExpiringTokens: true})
	tok := must(b.CreateAccessToken("a", WithNoExpiry()))
	if _, ok := decodePart(t, tok, 1)["exp"]; ok {
		t.Error("exp present")
	}
	if _, err := b.Verify(context.Background(), tok, Requirement{}); err != nil {
		t.Error(err)
	}
	// Configured Never: the seed's authjwt_access_token_expires=False.
	c := mustNew(t, Config{SecretKey: testSecret, AccessTokenExpires: Never})
	tok = must(c.CreateAccessToken("a"))
	if _, ok := decodePart(t, tok, 1)["exp"]; ok {
		t.Error("exp present with Never")
	}
	if _, err := c.Verify(context.Background(), tok, Requirement{}); err != nil {
		t.Error(err)
	}
	// The same token is refused where expiry is configured.
	if _, err := a.Verify(context.Background(), tok, Requirement{}); err == nil {
		t.Error("token without exp accepted where expiry is configured")
	}
}

func TestCustomClaimsCannotOverride(t *testing.T) {
	a := mustNew(t, Config{SecretKey: testSecret})
	for _, name := range []string{"sub", "iat", "nbf", "jti", "exp", "iss", "aud", "type", "fresh", "csrf", "aid"} {
		if _, err := a.CreateAccessToken("alice", WithClaims(map[string]any{name: "x"})); err == nil {
			t.Errorf("custom claim %q overrode a library claim", name)
		}
	}
	type S struct {
		Sub string `json:"sub"`
	}
	if _, err := a.CreateAccessToken("alice", WithClaims(S{"mallory"})); err == nil {
		t.Error("struct claims overrode sub")
	}
	if _, err := a.CreateAccessToken("alice", WithClaims([]int{1})); err == nil {
		t.Error("non-object claims accepted")
	}
	if _, err := a.CreateAccessToken("alice", WithClaims(map[string]any{"bad": func() {}})); err == nil {
		t.Error("unencodable claims accepted")
	}
	for _, h := range []string{"alg", "kid", "typ", "crit", "b64"} {
		if _, err := a.CreateAccessToken("alice", WithHeaders(map[string]any{h: "x"})); err == nil {
			t.Errorf("header %q overridable", h)
		}
	}
	tok := must(a.CreateAccessToken("alice", WithClaims(map[string]any{"org": "acme", "n": 3})))
	m := decodePart(t, tok, 1)
	if m["org"] != "acme" || m["n"] != json.Number("3") {
		t.Errorf("custom claims %v", m)
	}
}

func TestAsymmetricKIDIsThumbprint(t *testing.T) {
	k := keyFor("ES256")
	a := mustNew(t, Config{Algorithm: "ES256", PrivateKey: privPEM(t, k)})
	h := decodePart(t, must(a.CreateAccessToken("alice")), 0)
	kid, _ := h["kid"].(string)
	if len(kid) != 43 || strings.ContainsAny(kid, "+/=") {
		t.Fatalf("kid %q is not a base64url SHA-256 thumbprint", kid)
	}
}
