package authjwt

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// TestTokenSize pins the size of Token to its allocation size class: a
// verification allocates one Token, and every byte of it is paid for on
// every request. A new field must come out of tokenBufSize.
func TestTokenSize(t *testing.T) {
	if got := unsafe.Sizeof(Token{}); got != 256 {
		t.Fatalf("Token is %d bytes, want 256 (a size class): adjust tokenBufSize", got)
	}
}

// TestVerifiedClaimsOwnTheirMemory: the payload is decoded into a scratch
// buffer on the verifier's stack; the claims of a verified token must not
// point into it. Tokens with escaped strings, lists, long strings (beyond
// Token.buf) and interned values are verified, kept, and checked again
// after many other verifications have reused the scratch space.
func TestVerifiedClaimsOwnTheirMemory(t *testing.T) {
	clk := newClock()
	now := clk.Now().Unix()
	a := mustNew(t, Config{
		Keys: KeyConfig{SecretKey: testSecret},
		Now:  clk.Now,
		Claims: ClaimsConfig{
			DecodeIssuer:   "https://issuer.example/",
			DecodeAudience: []string{"api", "web"},
		},
	})
	hdr := `{"alg":"HS256","typ":"JWT"}`
	long := strings.Repeat("x", 300) // past Token.buf and the stack scratch
	type want struct {
		sub, iss, jti, csrf, aid string
		aud, roles               []string
		custom                   string
	}
	cases := []struct {
		name    string
		payload string
		want    want
	}{
		{"plain",
			fmt.Sprintf(`{"sub":"alice","exp":%d,"type":"access","jti":"j-1","iss":"https://issuer.example/","aud":"api","nick":"al"}`, now+60),
			want{sub: "alice", iss: "https://issuer.example/", jti: "j-1", aud: []string{"api"}, custom: "al"}},
		{"escapes",
			fmt.Sprintf(`{"sub":"\u00e9l\u00e8ve \ud83d\ude00 \"q\" \\","exp":%d,"\u0074ype":"acc\u0065ss","jti":"a\/b","iss":"https:\/\/issuer.example\/","aud":["w\u0065b"],"roles":["\u0061dmin","x"],"csrf":"c\tc","nick":"\u00e9"}`, now+60),
			want{sub: "élève 😀 \"q\" \\", iss: "https://issuer.example/", jti: "a/b", csrf: "c\tc", aud: []string{"web"}, roles: []string{"admin", "x"}, custom: "é"}},
		{"long",
			fmt.Sprintf(`{"sub":"%s","exp":%d,"type":"access","iss":"https://issuer.example/","jti":"%s","aid":"%s","csrf":"%s","aud":["api","%s","web","b","c","d"],"roles":["%s","r2","r3","r4","r5","r6"],"nick":"%s"}`, long, now+60, long, long, long, long, long, long),
			want{sub: long, iss: "https://issuer.example/", jti: long, aid: long, csrf: long, aud: []string{"api", long, "web", "b", "c", "d"}, roles: []string{long, "r2", "r3", "r4", "r5", "r6"}, custom: long}},
	}
	ctx := context.Background()
	kept := make([]*Token, len(cases))
	check := func(i int) {
		t.Helper()
		tok, w := kept[i], cases[i].want
		if tok.Subject() != w.sub || tok.Issuer() != w.iss || tok.JTI() != w.jti || tok.CSRF() != w.csrf || tok.Family() != w.aid {
			t.Fatalf("%s: sub %q iss %q jti %q csrf %q aid %q", cases[i].name, tok.Subject(), tok.Issuer(), tok.JTI(), tok.CSRF(), tok.Family())
		}
		if tok.Type() != "access" || !slices.Equal(tok.Audience(), w.aud) || !slices.Equal(tok.Roles(), w.roles) {
			t.Fatalf("%s: type %q aud %q roles %q", cases[i].name, tok.Type(), tok.Audience(), tok.Roles())
		}
		var c struct {
			Nick string `json:"nick"`
		}
		if err := tok.Decode(&c); err != nil || c.Nick != w.custom {
			t.Fatalf("%s: custom claim %q, %v", cases[i].name, c.Nick, err)
		}
		if v, ok := tok.Claim("nick"); !ok || v != w.custom {
			t.Fatalf("%s: Claim(nick) = %v", cases[i].name, v)
		}
	}
	for i, c := range cases {
		tok, err := a.Verify(ctx, signHS256(testSecret, hdr, c.payload), Requirement{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		kept[i] = tok
		check(i)
	}
	// Overwrite the scratch space many times with other tokens.
	other := signHS256(testSecret, hdr, fmt.Sprintf(`{"sub":"%s","exp":%d,"type":"access","iss":"https://issuer.example/","aud":"api","jti":"%s"}`, strings.Repeat("Z", 200), now+60, strings.Repeat("Y", 200)))
	for range 100 {
		if _, err := a.Verify(ctx, other, Requirement{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range cases {
		check(i)
	}
	// Interned values share the configuration's strings.
	if p, q := unsafe.StringData(kept[0].Issuer()), unsafe.StringData(a.cfg.Claims.DecodeIssuer); p != q {
		t.Errorf("issuer not interned")
	}
	if p, q := unsafe.StringData(kept[0].Type()), unsafe.StringData(a.cfg.TypeClaim.Access); p != q {
		t.Errorf("type not interned")
	}
}
