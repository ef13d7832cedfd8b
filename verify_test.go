package authjwt

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// signHS256 signs header.payload with HMAC-SHA256, independently of the
// library's codec.
func signHS256(secret, header, payload string) string {
	in := segs(header, payload)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(in))
	return in + "." + b64.EncodeToString(m.Sum(nil))
}

func TestVerifyClaimsTable(t *testing.T) {
	clk := newClock()
	now := clk.Now().Unix()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, Claims: ClaimsConfig{DecodeLeeway: 10 * time.Second}})
	hdr := `{"alg":"HS256","typ":"JWT"}`
	payload := func(extra string) string {
		base := fmt.Sprintf(`"sub":"alice","iat":%d,"nbf":%d,"jti":"j1","exp":%d,"type":"access","fresh":false`, now, now, now+900)
		if extra != "" {
			base += "," + extra
		}
		return "{" + base + "}"
	}
	raw := func(body string) string { return signHS256(testSecret, hdr, body) }
	cases := []struct {
		name string
		tok  string
		want error // nil: accepted
	}{
		{"baseline accepted", raw(payload("")), nil},
		{"expired beyond leeway", raw(fmt.Sprintf(`{"sub":"a","iat":%d,"exp":%d,"type":"access"}`, now-100, now-10)), ErrTokenExpired},
		{"expired within leeway", raw(fmt.Sprintf(`{"sub":"a","iat":%d,"exp":%d,"type":"access"}`, now-100, now-9)), nil},
		{"nbf in future beyond leeway", raw(fmt.Sprintf(`{"sub":"a","nbf":%d,"exp":%d,"type":"access"}`, now+11, now+900)), ErrTokenNotYetValid},
		{"nbf in future within leeway", raw(fmt.Sprintf(`{"sub":"a","nbf":%d,"exp":%d,"type":"access"}`, now+10, now+900)), nil},
		{"iat in the future", raw(fmt.Sprintf(`{"sub":"a","iat":%d,"exp":%d,"type":"access"}`, now+3600, now+9000)), ErrTokenNotYetValid},
		{"exp as string", raw(`{"sub":"a","exp":"9999999999","type":"access"}`), ErrInvalidClaim},
		{"exp null", raw(`{"sub":"a","exp":null,"type":"access"}`), ErrInvalidClaim},
		{"exp negative", raw(`{"sub":"a","exp":-1,"type":"access"}`), ErrInvalidClaim},
		{"exp huge", raw(`{"sub":"a","exp":1e300,"type":"access"}`), ErrInvalidClaim},
		{"exp float accepted", raw(fmt.Sprintf(`{"sub":"a","exp":%d.5,"type":"access"}`, now+100)), nil},
		{"missing exp when expiry configured", raw(`{"sub":"a","type":"access"}`), ErrInvalidClaim},
		{"missing sub", raw(fmt.Sprintf(`{"exp":%d,"type":"access"}`, now+100)), ErrInvalidClaim},
		{"sub not a string", raw(fmt.Sprintf(`{"sub":12,"exp":%d,"type":"access"}`, now+100)), ErrInvalidClaim},
		{"case-variant Exp is not exp", raw(`{"sub":"a","Exp":9999999999,"type":"access"}`), ErrInvalidClaim},
		{"duplicate exp", raw(fmt.Sprintf(`{"sub":"a","exp":%d,"exp":%d,"type":"access"}`, now-100, now+100)), ErrMalformedToken},
		{"duplicate via escape", raw(fmt.Sprintf(`{"sub":"a","exp":%d,"\u0065xp":%d,"type":"access"}`, now+100, now-100)), ErrMalformedToken},
		{"duplicate custom", raw(payload(`"x":1,"x":2`)), ErrMalformedToken},
		{"aud present, none configured", raw(payload(`"aud":"api"`)), ErrInvalidAudience},
		{"refresh token on access route", raw(strings.Replace(payload(""), `"type":"access"`, `"type":"refresh"`, 1)), ErrAccessRequired},
		{"no type claim", raw(fmt.Sprintf(`{"sub":"a","exp":%d}`, now+100)), ErrAccessRequired},
		{"payload not an object", raw(`["sub","a"]`), ErrMalformedToken},
		{"payload trailing garbage", raw(payload("") + "x"), ErrMalformedToken},
		{"deep nesting", raw(payload(`"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100))), ErrMalformedToken},
		{"fresh as string", raw(strings.Replace(payload(""), `"fresh":false`, `"fresh":"true"`, 1)), ErrInvalidClaim},
		{"invalid utf-8 in payload", raw("{\"sub\":\"\xff\",\"exp\":9999999999,\"type\":\"access\"}"), ErrMalformedToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := a.Verify(context.Background(), c.tok, Requirement{})
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestVerifyFormatTable(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	good := must(a.CreateAccessToken("alice"))
	if _, err := a.Verify(context.Background(), good, Requirement{}); err != nil {
		t.Fatalf("baseline refused: %v", err)
	}
	p := strings.Split(good, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)/2] == 'A' {
			b[len(b)/2] = 'B'
		} else {
			b[len(b)/2] = 'A'
		}
		return string(b)
	}
	now := time.Now().Unix()
	pl := fmt.Sprintf(`{"sub":"a","exp":%d,"type":"access"}`, now+100)
	cases := []struct {
		name string
		tok  string
		want error
	}{
		{"empty", "", ErrMalformedToken},
		{"one segment", p[0], ErrMalformedToken},
		{"two segments", p[0] + "." + p[1], ErrMalformedToken},
		{"four segments", good + ".x", ErrMalformedToken},
		{"JWE five segments", p[0] + "." + p[1] + "." + p[2] + ".a.b", ErrMalformedToken},
		{"empty header", "." + p[1] + "." + p[2], ErrMalformedToken},
		{"empty payload", p[0] + ".." + p[2], ErrMalformedToken},
		{"empty signature", p[0] + "." + p[1] + ".", ErrMalformedToken},
		{"padding", p[0] + "." + p[1] + "=." + p[2], ErrMalformedToken},
		{"line break in payload", p[0] + "." + p[1][:5] + "\r\n" + p[1][5:] + "." + p[2], ErrMalformedToken},
		{"space in signature", p[0] + "." + p[1] + "." + p[2][:4] + " " + p[2][4:], ErrMalformedToken},
		{"standard base64 chars", p[0] + "." + p[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(p[2]) + "+", ErrMalformedToken},
		{"tampered payload", p[0] + "." + flip(p[1]) + "." + p[2], nil},
		{"tampered signature", p[0] + "." + p[1] + "." + flip(p[2]), ErrInvalidSignature},
		{"truncated signature", p[0] + "." + p[1] + "." + p[2][:40], ErrInvalidSignature},
		{"dot flood", strings.Repeat(".", 100000), ErrTokenTooLarge},
		{"huge token", p[0] + "." + strings.Repeat("A", 10000) + "." + p[2], ErrTokenTooLarge},
		{"JSON serialization", `{"payload":"` + p[1] + `","signatures":[]}`, ErrMalformedToken},
		{"alg none", segs(`{"alg":"none"}`, pl) + ".", ErrInvalidAlgorithm}, // unsecured JWS: its alg is judged first
		{"alg none signed part", segs(`{"alg":"none"}`, pl) + ".AAAA", ErrInvalidAlgorithm},
		{"alg None", segs(`{"alg":"None"}`, pl) + ".AAAA", ErrInvalidAlgorithm},
		{"alg NONE", segs(`{"alg":"NONE"}`, pl) + ".AAAA", ErrInvalidAlgorithm},
		{"alg nOnE", segs(`{"alg":"nOnE"}`, pl) + ".AAAA", ErrInvalidAlgorithm},
		{"alg hs256 lowercase", signHS256(testSecret, `{"alg":"hs256"}`, pl), ErrInvalidAlgorithm},
		{"alg not allowed HS512", segs(`{"alg":"HS512"}`, pl) + ".AAAA", ErrInvalidAlgorithm},
		{"no alg", signHS256(testSecret, `{"typ":"JWT"}`, pl), ErrInvalidAlgorithm},
		{"alg not a string", signHS256(testSecret, `{"alg":256}`, pl), ErrMalformedToken},
		{"crit", signHS256(testSecret, `{"alg":"HS256","crit":["exp"]}`, pl), ErrMalformedToken},
		{"b64 false", signHS256(testSecret, `{"alg":"HS256","b64":false,"crit":["b64"]}`, pl), ErrMalformedToken},
		{"duplicate alg", signHS256(testSecret, `{"alg":"HS256","alg":"HS256"}`, pl), ErrMalformedToken},
		{"none then HS256", signHS256(testSecret, `{"alg":"none","alg":"HS256"}`, pl), ErrInvalidAlgorithm},
		{"header not object", signHS256(testSecret, `"HS256"`, pl), ErrMalformedToken},
		{"kid not a string", signHS256(testSecret, `{"alg":"HS256","kid":5}`, pl), ErrMalformedToken},
		{"embedded jwk ignored", signHS256(testSecret, `{"alg":"HS256","jwk":{"kty":"oct","k":"AAAA"},"jku":"http://127.0.0.1:1/x","x5u":"http://127.0.0.1:1/y"}`, pl), nil},
		{"kid traversal ignored", signHS256(testSecret, `{"alg":"HS256","kid":"../../../../dev/null"}`, pl), nil},
		{"wrong secret", signHS256(testSecret+"x", `{"alg":"HS256"}`, pl), ErrInvalidSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := a.Verify(context.Background(), c.tok, Requirement{})
			if c.name == "tampered payload" {
				if err == nil {
					t.Fatal("tampered payload accepted")
				}
				return
			}
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestIssuerAudience(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Claims: ClaimsConfig{EncodeIssuer: "https://id.example", DecodeIssuer: "https://id.example", DecodeAudience: []string{"api", "web"}}})
	ctx := context.Background()
	cases := []struct {
		name string
		opts []TokenOption
		want error
	}{
		{"aud string matches", []TokenOption{WithAudience("web")}, nil},
		{"aud list any-of", []TokenOption{WithAudience("other", "api")}, nil},
		{"aud list none match", []TokenOption{WithAudience("other", "more")}, ErrInvalidAudience},
		{"aud missing", nil, ErrInvalidAudience},
		{"issuer case differs", []TokenOption{WithAudience("api"), WithIssuer("https://ID.example")}, ErrInvalidIssuer},
		{"issuer trailing slash", []TokenOption{WithAudience("api"), WithIssuer("https://id.example/")}, ErrInvalidIssuer},
		{"other issuer", []TokenOption{WithAudience("api"), WithIssuer("https://evil.example")}, ErrInvalidIssuer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := must(a.CreateAccessToken("alice", c.opts...))
			_, err := a.Verify(ctx, tok, Requirement{})
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// Empty and non-string audience lists.
	now := time.Now().Unix()
	for _, aud := range []string{`[]`, `[1,"api"]`, `["api",null]`, `{"api":1}`} {
		tok := signHS256(testSecret, `{"alg":"HS256"}`, fmt.Sprintf(`{"sub":"a","iss":"https://id.example","exp":%d,"type":"access","aud":%s}`, now+100, aud))
		if _, err := a.Verify(ctx, tok, Requirement{}); err == nil {
			t.Errorf("aud %s accepted", aud)
		}
	}
}

func TestTokenTypesAndFreshness(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	ctx := context.Background()
	pair, err := a.CreatePair("alice", WithFresh(true))
	if err != nil {
		t.Fatal(err)
	}
	notFresh := must(a.CreateAccessToken("alice"))
	cases := []struct {
		name string
		tok  string
		req  Requirement
		want error
	}{
		{"access on access route", pair.AccessToken, Requirement{}, nil},
		{"refresh on access route", pair.RefreshToken, Requirement{}, ErrAccessRequired},
		{"access on refresh route", pair.AccessToken, Requirement{Refresh: true}, ErrRefreshRequired},
		{"refresh on refresh route", pair.RefreshToken, Requirement{Refresh: true}, nil},
		{"fresh on fresh route", pair.AccessToken, Requirement{Fresh: true}, nil},
		{"not fresh on fresh route", notFresh, Requirement{Fresh: true}, ErrFreshRequired},
		{"refresh on fresh route", pair.RefreshToken, Requirement{Fresh: true}, ErrAccessRequired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := a.Verify(ctx, c.tok, c.req)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	at, _ := a.Verify(ctx, pair.AccessToken, Requirement{})
	rt, _ := a.Verify(ctx, pair.RefreshToken, Requirement{Refresh: true})
	if at.Family() == "" || at.Family() != rt.Family() || at.Family() != pair.Family {
		t.Fatalf("pair does not share a family: %q %q %q", at.Family(), rt.Family(), pair.Family)
	}
	if at.JTI() == rt.JTI() {
		t.Fatal("pair shares a jti")
	}
}

func TestCustomTypeClaim(t *testing.T) {
	ctx := context.Background()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TypeClaim: TypeClaimConfig{Name: "token_kind", Access: "acc", Refresh: "ref"}})
	tok := must(a.CreateAccessToken("alice"))
	m := decodePart(t, tok, 1)
	if m["token_kind"] != "acc" || m["type"] != nil {
		t.Fatalf("type claim: %v", m)
	}
	if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
		t.Fatal(err)
	}
	rt := must(a.CreateRefreshToken("alice"))
	if _, err := a.Verify(ctx, rt, Requirement{}); !errors.Is(err, ErrAccessRequired) {
		t.Fatalf("refresh accepted as access: %v", err)
	}
	// Without type claims, tokens carry none and both routes accept both.
	b := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TypeClaim: TypeClaimConfig{Skip: true}})
	tok2 := must(b.CreateRefreshToken("alice"))
	if _, ok := decodePart(t, tok2, 1)["type"]; ok {
		t.Fatal("type claim present with TypeClaim.Skip")
	}
	if _, err := b.Verify(ctx, tok2, Requirement{}); err != nil {
		t.Fatal(err)
	}
}

func TestAlgorithmsRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"} {
		t.Run(alg, func(t *testing.T) {
			cfg := Config{Keys: KeyConfig{Algorithm: alg}}
			if strings.HasPrefix(alg, "HS") {
				cfg.Keys.SecretKey = strings.Repeat("0123456789abcdef", 4)
			} else {
				k := keyFor(alg)
				cfg.Keys.PrivateKey = privPEM(t, k)
				cfg.Keys.PublicKey = pubPEM(t, k.Public())
			}
			a := mustNew(t, cfg)
			tok := must(a.CreateAccessToken("alice", WithFresh(true)))
			h := decodePart(t, tok, 0)
			if h["alg"] != alg {
				t.Fatalf("alg header %v", h["alg"])
			}
			if !strings.HasPrefix(alg, "HS") && h["kid"] == nil {
				t.Fatal("asymmetric token without kid")
			}
			if strings.HasPrefix(alg, "HS") && h["kid"] != nil {
				t.Fatal("HMAC token with a kid nobody configured")
			}
			if _, ok := decodePart(t, tok, 1)["kid"]; ok {
				t.Fatal("kid in payload")
			}
			v, err := a.Verify(ctx, tok, Requirement{Fresh: true})
			if err != nil {
				t.Fatal(err)
			}
			if v.Subject() != "alice" || v.Algorithm() != alg {
				t.Fatalf("got %q %q", v.Subject(), v.Algorithm())
			}
			// A verify-only instance with the public key alone.
			if !strings.HasPrefix(alg, "HS") {
				vo := mustNew(t, Config{Keys: KeyConfig{PublicKey: cfg.Keys.PublicKey, Algorithm: alg}})
				if _, err := vo.Verify(ctx, tok, Requirement{}); err != nil {
					t.Fatalf("verify-only: %v", err)
				}
				if _, err := vo.CreateAccessToken("x"); err == nil {
					t.Fatal("verify-only instance signed a token")
				}
			}
		})
	}
}

func TestAlgorithmNotBoundToKey(t *testing.T) {
	ctx := context.Background()
	testKeys()
	rs := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, rsaKey), Algorithm: "RS256"}})
	ps := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, rsaKey), Algorithm: "PS256"}})
	psTok := must(ps.CreateAccessToken("alice"))
	if _, err := rs.Verify(ctx, psTok, Requirement{}); !errors.Is(err, ErrInvalidAlgorithm) {
		t.Fatalf("PS256 token accepted by an RS256 key: %v", err)
	}
	// An RSA public key used as an HMAC secret, in every encoding.
	pub := pubPEM(t, rsaKey.Public())
	now := time.Now().Unix()
	pl := fmt.Sprintf(`{"sub":"a","exp":%d,"type":"access"}`, now+100)
	for name, secret := range map[string]string{
		"PEM":                       pub,
		"PEM without final newline": strings.TrimSuffix(pub, "\n"),
	} {
		tok := signHS256(secret, `{"alg":"HS256"}`, pl)
		if _, err := rs.Verify(ctx, tok, Requirement{}); !errors.Is(err, ErrInvalidAlgorithm) {
			t.Errorf("%s: HS256 token signed with the public key: %v", name, err)
		}
	}
	// Mixed configuration: HS256 and RS256 both allowed, keys bound to each.
	mixed := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, rsaKey), SecretKey: testSecret, Algorithm: "RS256", DecodeAlgorithms: []string{"RS256", "HS256"}}})
	tok := signHS256(pub, `{"alg":"HS256"}`, pl)
	if _, err := mixed.Verify(ctx, tok, Requirement{}); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("public key accepted as HMAC secret: %v", err)
	}
	hs := must(mixed.CreateAccessToken("alice", WithAlgorithm("HS256")))
	if _, err := mixed.Verify(ctx, hs, Requirement{}); err != nil {
		t.Fatalf("dynamic algorithm: %v", err)
	}
	if _, err := mixed.CreateAccessToken("alice", WithAlgorithm("HS512")); err == nil {
		t.Fatal("signed with an algorithm outside DecodeAlgorithms")
	}
}

func TestECDSASignatureForms(t *testing.T) {
	ctx := context.Background()
	k := keyFor("ES256")
	a := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, k), Algorithm: "ES256"}})
	tok := must(a.CreateAccessToken("alice"))
	if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
		t.Fatal(err)
	}
	p := strings.Split(tok, ".")
	zero := make([]byte, 64)
	// r = s = 0 (CVE-2022-21449), r = s = N (out of range), wrong length.
	order, _ := b64.DecodeString("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE")
	nn := append(append([]byte{}, order...), order...)
	for name, sig := range map[string][]byte{
		"zero r and s": zero,
		"r and s = N":  nn,
		"too short":    zero[:63],
		"DER-ish":      append([]byte{0x30, 0x44, 0x02, 0x20}, zero[:60]...),
	} {
		bad := p[0] + "." + p[1] + "." + b64.EncodeToString(sig)
		if _, err := a.Verify(ctx, bad, Requirement{}); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestKID(t *testing.T) {
	ctx := context.Background()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret, KeyID: "k1"}})
	tok := must(a.CreateAccessToken("alice"))
	if decodePart(t, tok, 0)["kid"] != "k1" {
		t.Fatal("configured HMAC kid missing")
	}
	strict := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret, DecodeKID: "expected-kid"}})
	if _, err := strict.Verify(ctx, tok, Requirement{}); !errors.Is(err, ErrInvalidKID) {
		t.Fatalf("wrong kid accepted: %v", err)
	}
	ok := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret, DecodeKID: "k1"}})
	if _, err := ok.Verify(ctx, tok, Requirement{}); err != nil {
		t.Fatalf("matching kid refused: %v", err)
	}
	// Validation is opt-in: a foreign kid (as libre-fastapi-jwt's
	// "whoamikidding") is only a hint with a single key.
	now := time.Now().Unix()
	seedTok := signHS256(testSecret, `{"alg":"HS256","typ":"JWT","kid":"whoamikidding"}`, fmt.Sprintf(`{"sub":"a","exp":%d,"type":"access","fresh":false}`, now+100))
	if _, err := a.Verify(ctx, seedTok, Requirement{}); err != nil {
		t.Fatalf("seed-minted token refused: %v", err)
	}
}

// TestRequiredClaimNull: a required claim set to null counts as missing,
// as in the seed (claims.get(name) is None either way); every other
// value, false, 0 and "" included, is present.
func TestRequiredClaimNull(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	for _, c := range []struct {
		name    string
		claims  map[string]any
		present bool
	}{
		{"string", map[string]any{"partner": "acme"}, true},
		{"null", map[string]any{"partner": nil}, false},
		{"absent", map[string]any{"other": "x"}, false},
		{"false", map[string]any{"partner": false}, true},
		{"zero", map[string]any{"partner": 0}, true},
		{"empty string", map[string]any{"partner": ""}, true},
		{"empty object", map[string]any{"partner": map[string]any{}}, true},
		{"list holding null", map[string]any{"partner": []any{nil}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := must(a.CreateAccessToken("alice", WithClaims(c.claims)))
			_, err := a.Verify(context.Background(), tok, Requirement{Claims: []string{"partner"}})
			if c.present && err != nil {
				t.Fatalf("required claim present: %v", err)
			}
			if !c.present {
				if e := AsError(err); !errors.Is(err, ErrMissingClaim) || e.Message != "Missing claim: partner" {
					t.Fatalf("got %v, want Missing claim: partner", err)
				}
			}
		})
	}
}
