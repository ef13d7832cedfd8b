package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// TestDecodeRefusesLineBreaks pins the one deliberate difference from
// encoding/base64, whose decoders skip \r and \n: a token with a line break
// has two spellings, and a denylist keyed on the raw token could be evaded.
func TestDecodeRefusesLineBreaks(t *testing.T) {
	const s = "eyJhbGciOiJIUzI1NiJ9"
	if _, err := Decode(make([]byte, DecodedLen(len(s))), s); err != nil {
		t.Fatalf("baseline refused: %v", err)
	}
	for _, v := range []string{s[:4] + "\r\n" + s[4:], s[:8] + "\n\n" + s[8:], s[:5] + "\r" + s[5:], "\n" + s[:len(s)-1]} {
		if _, err := base64.RawURLEncoding.Strict().DecodeString(v); err != nil && !strings.Contains(v, "\r") {
			t.Logf("note: encoding/base64 refused %q too", v)
		}
		n := DecodedLen(len(v))
		if n < 0 {
			n = 0
		}
		if _, err := Decode(make([]byte, n+3), v); err == nil {
			t.Errorf("accepted %q", v)
		}
	}
}

// TestDecodeTable lists canonical and non-canonical spellings.
func TestDecodeTable(t *testing.T) {
	cases := []struct {
		in   string
		want string // "" with ok=false: refused
		ok   bool
		why  string
	}{
		{"", "", true, "empty is the encoding of nothing"},
		{"YQ", "a", true, "two chars, zero trailing bits"},
		{"YR", "", false, "non-zero trailing bits: a second spelling of \"a\""},
		{"YWI", "ab", true, "three chars, zero trailing bits"},
		{"YWJ", "", false, "non-zero trailing bits"},
		{"YQ==", "", false, "padding"},
		{"Y", "", false, "impossible length"},
		{"YWJj", "abc", true, "full quantum"},
		{"+/8", "", false, "standard alphabet"},
		{"-_8", "\xfb\xff", true, "URL alphabet"},
		{"YW Jj", "", false, "space"},
		{"YWJj\x00", "", false, "NUL"},
		{"YWJ\xc3", "", false, "non-ASCII"},
	}
	for _, c := range cases {
		n := DecodedLen(len(c.in))
		if n < 0 {
			n = 0
		}
		buf := make([]byte, n)
		m, err := Decode(buf, c.in)
		if (err == nil) != c.ok {
			t.Errorf("%q (%s): err %v", c.in, c.why, err)
			continue
		}
		if c.ok && string(buf[:m]) != c.want {
			t.Errorf("%q (%s): got %q", c.in, c.why, buf[:m])
		}
		if !c.ok && !errors.Is(err, ErrBase64) {
			t.Errorf("%q: error %v, want ErrBase64", c.in, err)
		}
	}
}

// TestParseHeaderTable covers the header refusals issue 8 lists.
func TestParseHeaderTable(t *testing.T) {
	cases := []struct {
		in   string
		want error
		why  string
	}{
		{`{"alg":"HS256","typ":"JWT"}`, nil, "baseline"},
		{`{"alg":"HS256","kid":"../../etc/passwd"}`, nil, "kid is opaque data here; the verifier never uses it as a path"},
		{`{"alg":"none"}`, ErrAlgKnown, "none"},
		{`{"alg":"None"}`, ErrAlgKnown, "none, capitalised"},
		{`{"alg":"NONE"}`, ErrAlgKnown, "none, upper case"},
		{`{"alg":"nOnE"}`, ErrAlgKnown, "none, mixed case"},
		{`{"alg":"none "}`, ErrAlgKnown, "none with a space"},
		{`{"alg":"\u006eone"}`, ErrAlgKnown, "none, escaped"},
		{`{"alg":"hs256"}`, ErrAlgKnown, "names are case-sensitive (RFC 7515 §4.1.1)"},
		{`{"alg":"HS256\u0000"}`, ErrAlgKnown, "NUL suffix"},
		{`{"alg":""}`, ErrAlgKnown, "empty alg"},
		{`{"alg":null}`, ErrHeaderType, "null alg"},
		{`{"alg":["HS256"]}`, ErrHeaderType, "alg as a list"},
		{`{"typ":"JWT"}`, ErrNoAlg, "missing alg"},
		{`{"Alg":"HS256"}`, ErrNoAlg, "case-variant member name is not alg"},
		{`{"alg":"HS256","alg":"none"}`, ErrDuplicate, "duplicate alg"},
		{`{"alg":"HS256","\u0061lg":"none"}`, ErrDuplicate, "duplicate alg via escape"},
		{`{"alg":"HS256","crit":["exp"],"exp":1}`, ErrCrit, "crit with an extension we do not understand"},
		{`{"alg":"HS256","crit":[]}`, ErrCrit, "empty crit is invalid too (RFC 7515 §4.1.11)"},
		{`{"alg":"HS256","b64":false,"crit":["b64"]}`, ErrB64, "RFC 7797 unencoded payload"},
		{`{"alg":"HS256","b64":true}`, ErrB64, "b64 without crit"},
		{`{"alg":"HS256","kid":5}`, ErrHeaderType, "non-string kid"},
		{`{"alg":"HS256","kid":{"$ne":""}}`, ErrHeaderType, "object kid (NoSQL injection shape)"},
		{`{"alg":"HS256","kid":["a"]}`, ErrHeaderType, "list kid"},
		{`{"alg":"HS256","typ":1}`, ErrHeaderType, "non-string typ"},
		{`["alg","HS256"]`, ErrNotObject, "array"},
		{`"HS256"`, ErrNotObject, "string"},
		{`null`, ErrNotObject, "null"},
		{`{"alg":"HS256"}{}`, ErrJSON, "two objects"},
		{`{"alg":"HS256",}`, ErrJSON, "trailing comma"},
		{`{'alg':'HS256'}`, ErrJSON, "single quotes"},
		{"{\"alg\":\"HS256\",\"x\":\"\xff\"}", ErrJSON, "invalid UTF-8"},
		{`{"alg":"HS256","x":` + strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2) + `}`, ErrDepth, "deep nesting"},
		{`{"alg":"HS256","x":"\ud800"}`, nil, "lone surrogate in an ignored member is skipped, not decoded"},
		{`{"alg":"HS256","kid":"\ud800"}`, ErrJSON, "lone surrogate in a decoded member"},
	}
	for _, c := range cases {
		_, err := ParseHeader([]byte(c.in))
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %s: got %v, want %v", c.why, c.in, err, c.want)
		}
	}
}

// TestParseHeaderTyp: typ is read as a string, unescaped, and its
// presence is told apart from an empty value (explicit typing of trusted
// issuers' tokens refuses "" but may accept no typ).
func TestParseHeaderTyp(t *testing.T) {
	for _, c := range []struct {
		in   string
		has  bool
		want string
	}{
		{`{"alg":"RS256"}`, false, ""},
		{`{"alg":"RS256","typ":""}`, true, ""},
		{`{"alg":"RS256","typ":"at+jwt"}`, true, "at+jwt"},
		{`{"alg":"RS256","typ":"at\u002bjwt"}`, true, "at+jwt"},
	} {
		h, err := ParseHeader([]byte(c.in))
		if err != nil || h.HasTyp != c.has || string(h.Typ) != c.want {
			t.Errorf("%s: HasTyp %v, Typ %q, %v", c.in, h.HasTyp, h.Typ, err)
		}
	}
}

// TestSplitDotFlood: a token of dots is refused at the third dot, without
// scanning the rest (CVE-2025-30204 class: strings.Split on attacker input
// allocates per dot).
func TestSplitDotFlood(t *testing.T) {
	flood := strings.Repeat(".", 1<<20)
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := Split(flood, 2<<20); !errors.Is(err, ErrSegments) {
			t.Fatalf("got %v", err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations for a dot flood", allocs)
	}
	if _, err := Split("a.b.c", 4); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("size limit: %v", err)
	}
}

// TestVerifyPublicKeyTypeMismatch: VerifyPublic re-checks that the key
// fits the algorithm and fails closed, whatever the signature.
func TestVerifyPublicKeyTypeMismatch(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ek384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	const in = "header.payload"
	keys := map[string]crypto.Signer{"RS256": rk, "PS256": rk, "ES256": ek, "ES384": ek384, "EdDSA": edk}
	sigs := map[string][]byte{}
	for name, k := range keys {
		alg, _ := ParseAlg(name)
		s, err := Sign(alg, k, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyPublic(alg, k.Public(), in, s); err != nil {
			t.Fatalf("%s baseline: %v", name, err)
		}
		sigs[name] = s
	}
	for sname, s := range sigs {
		for kname, k := range keys {
			for _, alg := range []Alg{RS256, PS256, ES256, ES384, EdDSA, Ed25519, HS256, AlgInvalid} {
				sameKey := k.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(keys[sname].Public())
				same := sameKey && (alg.String() == sname || alg == Ed25519 && sname == "EdDSA")
				if err := VerifyPublic(alg, k.Public(), in, s); (err == nil) != same {
					t.Errorf("%v with %s key over a %s signature: err %v", alg, kname, sname, err)
				}
			}
		}
	}
	// A private key, a nil key and a key of another library type are
	// never accepted as verification keys.
	for _, pub := range []crypto.PublicKey{rk, ek, edk, nil, []byte("secret")} {
		if VerifyPublic(RS256, pub, in, sigs["RS256"]) == nil || VerifyPublic(ES256, pub, in, sigs["ES256"]) == nil {
			t.Errorf("%T accepted as a public key", pub)
		}
	}
}

// TestHMACKeyExactLength: a truncated or extended MAC is refused
// (RFC 7518 §3.2 uses the full output).
func TestHMACKeyExactLength(t *testing.T) {
	k := NewHMACKey(HS256, []byte(strings.Repeat("k", 32)))
	mac := k.AppendSign(nil, "in")
	if k.Verify("in", mac) != nil {
		t.Fatal("baseline refused")
	}
	for _, m := range [][]byte{mac[:16], mac[:31], append(append([]byte{}, mac...), 0), nil, {}} {
		if k.Verify("in", m) == nil {
			t.Errorf("%d-byte MAC accepted", len(m))
		}
	}
}

// TestEightDigits checks the SWAR digit test and conversion against the
// obvious byte loop, on every single-byte change of a digit string.
func TestEightDigits(t *testing.T) {
	check := func(s string) {
		t.Helper()
		w := uint64(0)
		for k := 7; k >= 0; k-- {
			w = w<<8 | uint64(s[k])
		}
		want, digits := uint64(0), true
		for k := 0; k < 8; k++ {
			if s[k] < '0' || s[k] > '9' {
				digits = false
			}
			want = want*10 + uint64(s[k]-'0')
		}
		if got := eightDigits(w); got != digits {
			t.Fatalf("eightDigits(%q) = %v", s, got)
		}
		if digits && parseEight(w) != want {
			t.Fatalf("parseEight(%q) = %d, want %d", s, parseEight(w), want)
		}
	}
	for _, base := range []string{"00000000", "12345678", "99999999", "17950009", "90000001"} {
		check(base)
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(base)
				b[pos] = byte(c)
				check(string(b))
			}
		}
	}
}

// TestWordKey checks that wordKey and claimKey agree on every name, known
// or not, and that claimKey knows every row of the table by its name.
func TestWordKey(t *testing.T) {
	word := func(s string) uint64 {
		var w uint64
		for i := len(s) - 1; i >= 0; i-- {
			w = w<<8 | uint64(s[i])
		}
		return w
	}
	names := []string{"sub", "iss", "aud", "exp", "nbf", "iat", "jti", "fresh", "csrf", "aid", "roles", "cnf", "acr", "auth_time",
		"", "s", "su", "subs", "Sub", "type", "fresh!", "role", "rolesx", "csr", "xcsrf", "nonce", "at_hash"}
	for _, n := range names {
		if len(n) >= 8 {
			continue
		}
		if got, want := wordKey(word(n)), claimKey([]byte(n)); got != want {
			t.Errorf("wordKey(%q) = %d, claimKey = %d", n, got, want)
		}
	}
	for _, n := range names[:14] {
		if claimKey([]byte(n)) == int(ClaimOther) {
			t.Errorf("claimKey(%q) does not know it", n)
		}
	}
}

// TestDecodeLineBreaksEverywhere inserts one to three line breaks at every
// position of canonical encodings of 0 to 12 bytes: Decode refuses them
// all (it detects them by the decoded length, not by a scan).
func TestDecodeLineBreaksEverywhere(t *testing.T) {
	src := []byte("authjwt-line")
	for n := 0; n <= len(src); n++ {
		enc := base64.RawURLEncoding.EncodeToString(src[:n])
		for _, brk := range []string{"\n", "\r", "\r\n", "\n\n\n", "\r\r"} {
			for pos := 0; pos <= len(enc); pos++ {
				v := enc[:pos] + brk + enc[pos:]
				dst := make([]byte, max(DecodedLen(len(v)), 0)+4)
				if _, err := Decode(dst, v); err == nil {
					t.Fatalf("accepted %q", v)
				}
			}
		}
		if got, err := Decode(make([]byte, DecodedLen(len(enc))), enc); err != nil || got != n {
			t.Fatalf("refused canonical %q: %d %v", enc, got, err)
		}
	}
}

// TestDecodeAgainstStandardLibrary compares Decode with encoding/base64's
// strict unpadded URL decoder on every string of up to two bytes, on every
// string of three and four characters over an alphabet of edge cases
// (first and last letters of each range, the two URL characters, the
// standard alphabet's, padding, whitespace, dot, non-ASCII, and characters
// whose values leave trailing bits), and on random strings of every length
// up to 64 with one character replaced at every position. Line breaks,
// which the standard decoder skips, must be refused.
func TestDecodeAgainstStandardLibrary(t *testing.T) {
	check := func(s string) {
		t.Helper()
		n := DecodedLen(len(s))
		got := make([]byte, max(n, 0))
		m, err := Decode(got, s)
		want, werr := strictB64.DecodeString(s)
		if strings.ContainsAny(s, "\r\n") {
			werr = errors.New("line break")
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: Decode err %v, encoding/base64 err %v", s, err, werr)
		}
		if err == nil && (m != len(want) || string(got[:m]) != string(want)) {
			t.Fatalf("%q: Decode %x, encoding/base64 %x", s, got[:m], want)
		}
	}
	check("")
	for a := range 256 {
		check(string([]byte{byte(a)}))
		for b := range 256 {
			check(string([]byte{byte(a), byte(b)}))
		}
	}
	edge := "AQZagwz09-_+/= .\n\r\x00\x80\xffBCPRY"
	for _, a := range []byte(edge) {
		for _, b := range []byte(edge) {
			for _, c := range []byte(edge) {
				check(string([]byte{a, b, c}))
				for _, d := range []byte(edge) {
					check(string([]byte{a, b, c, d}))
				}
			}
		}
	}
	rnd := rand.Reader
	for n := 0; n <= 48; n++ {
		src := make([]byte, n)
		rnd.Read(src)
		enc := base64.RawURLEncoding.EncodeToString(src)
		check(enc)
		for pos := range len(enc) {
			for _, c := range []byte(edge) {
				b := []byte(enc)
				b[pos] = c
				check(string(b))
			}
		}
	}
}
