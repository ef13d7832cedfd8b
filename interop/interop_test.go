package interop

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/librenz/authjwt"
)

var b64 = base64.RawURLEncoding

// normalize turns json.Number into float64 so that our claims map (decoded
// with UseNumber) compares with golang-jwt's (float64).
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return f
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalize(e)
		}
		return m
	case jwt.MapClaims:
		return normalize(map[string]any(x))
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = normalize(e)
		}
		return s
	}
	return v
}

// sameClaims fails t unless the token we verified and the one golang-jwt
// verified carry the same claims: every member, and the registered ones
// through each library's typed accessors.
func sameClaims(t *testing.T, tok string, o *authjwt.Token, th *jwt.Token) {
	t.Helper()
	mc := th.Claims.(jwt.MapClaims)
	om, err := o.Claims()
	if err != nil {
		t.Fatalf("our claims map: %v", err)
	}
	if !reflect.DeepEqual(normalize(om), normalize(mc)) {
		t.Fatalf("claims differ for %q:\nours   %v\ntheirs %v", tok, normalize(om), normalize(mc))
	}
	if sub, _ := mc.GetSubject(); sub != o.Subject() {
		t.Fatalf("sub: ours %q, theirs %q", o.Subject(), sub)
	}
	exp, _ := mc.GetExpirationTime()
	if exp == nil || !exp.Time.Equal(o.ExpiresAt()) {
		t.Fatalf("exp: ours %v, theirs %v", o.ExpiresAt(), exp)
	}
	if iss, _ := mc.GetIssuer(); iss != o.Issuer() {
		t.Fatalf("iss: ours %q, theirs %q", o.Issuer(), iss)
	}
	aud, _ := mc.GetAudience()
	if len(aud) != len(o.Audience()) {
		t.Fatalf("aud: ours %q, theirs %q", o.Audience(), aud)
	}
	for i := range aud {
		if aud[i] != o.Audience()[i] {
			t.Fatalf("aud: ours %q, theirs %q", o.Audience(), aud)
		}
	}
	if typ, _ := mc["type"].(string); typ != o.Type() || typ != "access" {
		t.Fatalf("type: ours %q, theirs %v", o.Type(), mc["type"])
	}
	if nbf, _ := mc.GetNotBefore(); nbf != nil && !nbf.Time.Equal(o.NotBefore()) {
		t.Fatalf("nbf: ours %v, theirs %v", o.NotBefore(), nbf)
	}
	// golang-jwt keeps NumericDates to its TimePrecision (one second by
	// default); ours keeps iat to the millisecond (issue 15, item 4).
	if iat, _ := mc.GetIssuedAt(); iat != nil && !iat.Time.Equal(o.IssuedAt().Truncate(time.Second)) {
		t.Fatalf("iat: ours %v, theirs %v", o.IssuedAt(), iat)
	}
	if th.Method.Alg() != o.Algorithm() {
		t.Fatalf("alg: ours %q, theirs %q", o.Algorithm(), th.Method.Alg())
	}
}

// TestOursVerifiedByTheirs: a token we sign, with every algorithm, verifies
// with golang-jwt under the same policy, with the same claims.
func TestOursVerifiedByTheirs(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(alg, func(t *testing.T) {
			a := ours(t, alg)
			raw, err := a.CreateAccessToken("alice",
				authjwt.WithAudience("api", "other"),
				authjwt.WithFresh(true),
				authjwt.WithClaims(map[string]any{"roles": []string{"admin"}, "n": 1.5, "nested": map[string]any{"x": []any{1, "y", nil}}}))
			if err != nil {
				t.Fatal(err)
			}
			o, err := a.Verify(context.Background(), raw, authjwt.Requirement{})
			if err != nil {
				t.Fatalf("ours refuses its own token: %v", err)
			}
			th, err := theirParser(alg).Parse(raw, theirKeyfunc(alg))
			if err != nil {
				t.Fatalf("golang-jwt refuses our %s token: %v", alg, err)
			}
			sameClaims(t, raw, o, th)
			if th.Header["kid"] != nil && th.Header["kid"] != o.KeyID() {
				t.Fatalf("kid: ours %q, theirs %v", o.KeyID(), th.Header["kid"])
			}
			// A wrong key must fail for them too: the test can fail.
			if alg[:2] == "HS" {
				if _, err := theirParser(alg).Parse(raw, func(*jwt.Token) (any, error) { return []byte(secret + "x"), nil }); err == nil {
					t.Fatal("golang-jwt accepted a wrong secret")
				}
			}
		})
	}
}

// theirToken has golang-jwt sign the claims we would issue.
func theirToken(t testing.TB, alg string, claims jwt.MapClaims, hdr map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	for k, v := range hdr {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(signKey(alg))
	if err != nil {
		t.Fatalf("golang-jwt sign %s: %v", alg, err)
	}
	return s
}

func baseClaims() jwt.MapClaims {
	now := fixedNow.Unix()
	return jwt.MapClaims{
		"sub": "bob", "iss": "https://issuer.example", "aud": []string{"api"},
		"iat": now, "nbf": now, "exp": now + 900, "jti": "3f1c4a9e-0000-4000-8000-000000000001",
		"type": "access", "fresh": false, "roles": []string{"reader"}, "tenant": "acme",
	}
}

// TestTheirsVerifiedByOurs: a token golang-jwt signs, with every algorithm,
// verifies with ours with the same claims, with and without a foreign kid
// (a single configured key makes kid only a hint).
func TestTheirsVerifiedByOurs(t *testing.T) {
	for _, alg := range allAlgs {
		for _, hdr := range []map[string]any{nil, {"kid": "foreign-kid"}} {
			t.Run(alg, func(t *testing.T) {
				a := ours(t, alg)
				raw := theirToken(t, alg, baseClaims(), hdr)
				o, err := a.Verify(context.Background(), raw, authjwt.Requirement{})
				if err != nil {
					t.Fatalf("ours refuses golang-jwt's %s token: %v", alg, err)
				}
				th, err := theirParser(alg).Parse(raw, theirKeyfunc(alg))
				if err != nil {
					t.Fatal(err)
				}
				sameClaims(t, raw, o, th)
				if o.Subject() != "bob" || len(o.Roles()) != 1 || o.Roles()[0] != "reader" {
					t.Fatalf("claims %q %q", o.Subject(), o.Roles())
				}
			})
		}
	}
}

// TestTheirsRefusedByOursWhereStricter lists the tokens golang-jwt accepts
// and we refuse, on purpose: each row is a place where ours is stricter.
func TestTheirsRefusedByOursWhereStricter(t *testing.T) {
	a := ours(t, "HS256")
	good := theirToken(t, "HS256", baseClaims(), nil)
	if _, err := a.Verify(context.Background(), good, authjwt.Requirement{}); err != nil {
		t.Fatalf("baseline refused: %v", err)
	}
	pss := func() string {
		// PS256 with a maximal salt: RFC 7518 §3.5 says the salt is as
		// long as the hash; golang-jwt verifies with PSSSaltLengthAuto.
		genKeys()
		in := b64.EncodeToString([]byte(`{"alg":"PS256","typ":"JWT"}`)) + "." + b64.EncodeToString(must(json.Marshal(baseClaims())))
		d := sha256.Sum256([]byte(in))
		sig, err := rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		if err != nil {
			t.Fatal(err)
		}
		return in + "." + b64.EncodeToString(sig)
	}()
	cl := func(k string, v any) jwt.MapClaims { c := baseClaims(); c[k] = v; return c }
	// policy rows are refused by our application-level rules (type
	// claim, sub type) that golang-jwt does not know; the others are
	// JOSE-level strictness where golang-jwt accepts.
	cases := []struct {
		name, alg, tok string
		policy         bool
		why            string
	}{
		{"crit header", "HS256", theirToken(t, "HS256", baseClaims(), map[string]any{"crit": []string{"x"}, "x": 1}), false, "RFC 7515 §4.1.11: refuse crit we do not understand"},
		{"b64 false", "HS256", theirToken(t, "HS256", baseClaims(), map[string]any{"b64": false, "crit": []string{"b64"}}), false, "RFC 7797 unencoded payloads are not JWTs"},
		{"no type claim", "HS256", theirToken(t, "HS256", cl("type", nil), nil), true, "type null: not an access token"},
		{"refresh token", "HS256", theirToken(t, "HS256", cl("type", "refresh"), nil), true, "a refresh token on an access route"},
		{"sub not a string", "HS256", theirToken(t, "HS256", cl("sub", 42), nil), true, "RFC 7519 §4.1.2: sub is a StringOrURI"},
		{"exp too large", "HS256", theirToken(t, "HS256", cl("exp", 1e15), nil), false, "beyond year 9999"},
		{"non-canonical signature", "HS256", good[:len(good)-1] + string(nextB64(good[len(good)-1])), false, "trailing bits set: a second spelling"},
		{"PS256 salt not hash-sized", "PS256", pss, false, "RFC 7518 §3.5 fixes the salt length"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := theirParser(c.alg).Parse(c.tok, theirKeyfunc(c.alg)); err != nil && !c.policy {
				t.Fatalf("golang-jwt refuses it too (%v): the row no longer shows a difference", err)
			}
			if _, err := ours(t, c.alg).Verify(context.Background(), c.tok, authjwt.Requirement{}); err == nil {
				t.Fatalf("ours accepted it (%s)", c.why)
			}
		})
	}
}

// nextB64 returns the base64url character whose 6 bits differ from c's only
// in the lowest bit, which the last character of a 32-byte HMAC does not use.
func nextB64(c byte) byte {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < 64; i++ {
		if alpha[i] == c {
			return alpha[i^1]
		}
	}
	return c
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
