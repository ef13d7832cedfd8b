package authjwt

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/internal/jws"
)

func TestCreateTokenClaims(t *testing.T) {
	clk := newClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, Claims: ClaimsConfig{EncodeIssuer: "https://id.example"}})
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
	// A UUID version 7 whose time is the token's issue time (issue 15,
	// item 4: subject cutoffs to the millisecond with an integer iat).
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(m["jti"].(string)) {
		t.Errorf("jti %v is not a UUID v7", m["jti"])
	} else if ms, ok := uuid7Millis(m["jti"].(string)); !ok || ms != now*1000 {
		t.Errorf("jti %v carries %d ms, want the issue time %d", m["jti"], ms, now*1000)
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
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now})
	m := decodePart(t, must(a.CreateAccessToken("a", WithExpiry(time.Hour))), 1)
	if m["exp"] != json.Number(itoa(now+3600)) {
		t.Errorf("override exp %v", m["exp"])
	}
	if _, err := a.CreateAccessToken("a", WithNoExpiry()); err == nil {
		t.Error("non-expiring token without Expiry.AllowNonExpiring")
	}
	if _, err := a.CreateAccessToken("a", WithExpiry(-time.Hour)); err == nil {
		t.Error("negative expiry accepted")
	}
	// Below one second, "exp" (now + d, truncated to the second) can be
	// the issue second itself: a token expired when created.
	clk.Add(600 * time.Millisecond)
	for _, d := range []time.Duration{time.Nanosecond, 399 * time.Millisecond, 999 * time.Millisecond} {
		if tok, err := a.CreateAccessToken("a", WithExpiry(d)); err == nil {
			_, verr := a.Verify(context.Background(), tok, Requirement{})
			t.Errorf("WithExpiry(%v) accepted (Verify: %v)", d, verr)
		}
	}
	if _, err := a.Verify(context.Background(), must(a.CreateAccessToken("a", WithExpiry(time.Second))), Requirement{}); err != nil {
		t.Errorf("WithExpiry(1s): %v", err)
	}
	clk.Add(-600 * time.Millisecond)
	b := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, Expiry: ExpiryConfig{AllowNonExpiring: true}})
	tok := must(b.CreateAccessToken("a", WithNoExpiry()))
	if _, ok := decodePart(t, tok, 1)["exp"]; ok {
		t.Error("exp present")
	}
	if _, err := b.Verify(context.Background(), tok, Requirement{}); err != nil {
		t.Error(err)
	}
	// Configured Never: the seed's authjwt_access_token_expires=False.
	c := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Expiry: ExpiryConfig{Access: Never}})
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
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
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
	a := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, k), Algorithm: "ES256"}})
	h := decodePart(t, must(a.CreateAccessToken("alice")), 0)
	kid, _ := h["kid"].(string)
	if len(kid) != 43 || strings.ContainsAny(kid, "+/=") {
		t.Fatalf("kid %q is not a base64url SHA-256 thumbprint", kid)
	}
}

// TestCreateRefusesInvalidUTF8: every string that reaches a token, through
// any option, is checked once, in the encoder (checkEncoded): invalid
// UTF-8 is ErrInvalidTokenOption, never a token the verifier refuses nor
// one whose value encoding/json silently replaced with U+FFFD. A valid
// U+FFFD, written raw or as the escape \ufffd by the caller, is kept.
// nestedN is a JSON value nested n levels below a claim's value: n lists.
func nestedN(n int) any {
	var v any = "leaf"
	for range n {
		v = []any{v}
	}
	return v
}

func nested33() any { return nestedN(jws.MaxDepth + 1) }

func TestCreateRefusesInvalidUTF8(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	type nested struct {
		Name string `json:"name"`
	}
	type withTag struct {
		Skip string `json:"-"`
		Keep string `json:"keep"`
	}
	const bad = "a\xffb"
	for _, c := range []struct {
		name string
		sub  string
		opts []TokenOption
		ok   bool
	}{
		{"subject", bad, nil, false},
		{"WithIssuer", "alice", []TokenOption{WithIssuer(bad)}, false},
		{"WithAudience one", "alice", []TokenOption{WithAudience(bad)}, false},
		{"WithAudience list", "alice", []TokenOption{WithAudience("api", bad)}, false},
		{"WithFamily", "alice", []TokenOption{WithFamily(bad)}, false},
		{"WithClaims map value", "alice", []TokenOption{WithClaims(map[string]any{"org": bad})}, false},
		{"WithClaims map key", "alice", []TokenOption{WithClaims(map[string]any{bad: "x"})}, false},
		{"WithClaims nested list", "alice", []TokenOption{WithClaims(map[string]any{"l": []any{"ok", map[string]any{"k": bad}}})}, false},
		{"WithClaims struct", "alice", []TokenOption{WithClaims(struct {
			N nested `json:"n"`
		}{nested{bad}})}, false},
		{"WithClaims MarshalJSON", "alice", []TokenOption{WithClaims(map[string]any{"m": json.RawMessage("\"" + bad + "\"")})}, false},
		{"WithHeaders value", "alice", []TokenOption{WithHeaders(map[string]any{"x-env": bad})}, false},
		{"WithHeaders key", "alice", []TokenOption{WithHeaders(map[string]any{bad: "x"})}, false},
		{"WithClaims nested beyond MaxDepth", "alice", []TokenOption{WithClaims(map[string]any{"deep": nested33()})}, false},
		{"WithClaims struct nested beyond MaxDepth", "alice", []TokenOption{WithClaims(struct {
			Deep any `json:"deep"`
		}{nested33()})}, false},
		{"WithClaims RawMessage beyond MaxDepth", "alice", []TokenOption{WithClaims(map[string]any{"deep": json.RawMessage(strings.Repeat("[", 34) + strings.Repeat("]", 34))})}, false},
		{"WithHeaders nested beyond MaxDepth", "alice", []TokenOption{WithHeaders(map[string]any{"x-deep": nested33()})}, false},
		{"WithClaims nested to MaxDepth", "alice", []TokenOption{WithClaims(map[string]any{"deep": nestedN(jws.MaxDepth)})}, true},
		{"WithHeaders nested to MaxDepth", "alice", []TokenOption{WithHeaders(map[string]any{"x-deep": nestedN(jws.MaxDepth)})}, true},
		{"valid U+FFFD raw", "\uFFFD", []TokenOption{WithIssuer("\uFFFD"), WithClaims(map[string]any{"r": "\uFFFD"})}, true},
		{"valid U+FFFD escaped by the caller", "alice", []TokenOption{WithClaims(map[string]any{"r": json.RawMessage(`"\ufffd"`)}),
			WithHeaders(map[string]any{"h": json.RawMessage(`"\uFFFD"`)})}, true},
		{"escaped backslash before ufffd", `\ufffd`, []TokenOption{WithClaims(map[string]any{"r": `\ufffd`})}, true},
		{"invalid UTF-8 in a field json ignores", "alice", []TokenOption{WithClaims(withTag{Skip: bad, Keep: "\uFFFD"})}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, err := a.CreateAccessToken(c.sub, c.opts...)
			if !c.ok {
				if !errors.Is(err, ErrInvalidTokenOption) {
					t.Fatalf("created %q, %v; want ErrInvalidTokenOption", tok, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Verify(context.Background(), tok, Requirement{}); err != nil {
				t.Fatalf("our own token refused: %v", err)
			}
		})
	}
	for _, s := range []string{"Claims.EncodeIssuer", "Claims.DecodeIssuer", "Keys.KeyID", "Keys.PublicKeyID", "TypeClaim.Access", "TypeClaim.Name", "Claims.DecodeAudience"} {
		cfg := Config{Keys: KeyConfig{SecretKey: testSecret}}
		if s == "Keys.PublicKeyID" { // the kid of tokens signed with PrivateKey
			cfg = Config{Keys: KeyConfig{PrivateKey: privPEM(t, keyFor("ES256")), Algorithm: "ES256"}}
		}
		if s == "Claims.DecodeAudience" {
			cfg.Claims.DecodeAudience = []string{bad}
		} else {
			fieldByPath(reflect.ValueOf(&cfg).Elem(), s).SetString(bad)
		}
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "authjwt: "+s+":") {
			t.Errorf("New with invalid UTF-8 in %s: %v", s, err)
		}
	}
}

// fieldByPath returns the field of the struct v named by a dotted path
// ("Keys.KeyID").
func fieldByPath(v reflect.Value, path string) reflect.Value {
	for _, name := range strings.Split(path, ".") {
		v = v.FieldByName(name)
	}
	return v
}
