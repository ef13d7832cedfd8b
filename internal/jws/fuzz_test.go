package jws

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// strictB64 is the standard library's reference for the one spelling we
// accept: unpadded base64url with zero trailing bits.
var strictB64 = base64.RawURLEncoding.Strict()

// checkSplit: Split accepts exactly three non-empty segments within the
// size limit, and its parts rebuild the token. (The alphabet of each
// segment is Decode's job: every segment is decoded before a token is
// accepted, so Split does not scan the bytes twice; a segment with a byte
// outside base64url must then fail Decode.)
func checkSplit(t *testing.T, s string) {
	t.Helper()
	p, err := Split(s, 1024)
	segs := strings.Split(s, ".")
	wantOK := len(s) <= 1024 && len(segs) == 3 && segs[0] != "" && segs[1] != "" && segs[2] != ""
	for _, seg := range segs {
		for i := 0; i < len(seg); i++ {
			if decodeMap[seg[i]] == invalid && DecodedLen(len(seg)) >= 0 {
				if _, derr := Decode(make([]byte, DecodedLen(len(seg))), seg); derr == nil {
					t.Fatalf("Decode(%q) accepted a byte outside base64url", seg)
				}
			}
		}
	}
	if (err == nil) != wantOK {
		t.Fatalf("Split(%q): err %v, want ok=%v", s, err, wantOK)
	}
	if err == nil && (p.Header+"."+p.Payload+"."+p.Signature != s || p.SigningInput != p.Header+"."+p.Payload) {
		t.Fatalf("Split(%q): parts %+v", s, p)
	}
	// Only the signature empty: refused as unsigned, with the other parts.
	unsigned := len(s) <= 1024 && len(segs) == 3 && segs[0] != "" && segs[1] != "" && segs[2] == ""
	if (err == ErrUnsigned) != unsigned {
		t.Fatalf("Split(%q): err %v, want ErrUnsigned=%v", s, err, unsigned)
	}
	if unsigned && (p.Header != segs[0] || p.Payload != segs[1] || p.Signature != "" || p.SigningInput != segs[0]+"."+segs[1]) {
		t.Fatalf("Split(%q): unsigned parts %+v", s, p)
	}
}

// FuzzDecode compares Decode with encoding/base64's strict raw URL decoder
// on every input without \r or \n (which encoding/base64 silently skips and
// Decode refuses: that difference is the point of a strict decoder, and
// TestDecodeRefusesLineBreaks covers it). Both must accept the same inputs
// and produce the same bytes; whatever Decode accepts must re-encode to
// itself (one accepted spelling per byte string). The same input also goes
// through Split (see checkSplit).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "eyJhbGciOiJIUzI1NiJ9", "YQ", "YR", "YWI", "YWJ", "Y=", "YQ==", "+/", "-_", "a b", "\x00", "\xff\xfe", strings.Repeat("_", 4097)} {
		f.Add(s)
	}
	f.Add("a.b.c")
	f.Add("a.b.c.d.e")
	f.Add("a=.b.c")
	f.Add(strings.Repeat(".", 100))
	f.Fuzz(func(t *testing.T, s string) {
		checkSplit(t, s)
		n := DecodedLen(len(s))
		if (n < 0) != (len(s)%4 == 1) {
			t.Fatalf("DecodedLen(%d) = %d", len(s), n)
		}
		var got []byte
		var err error
		if n < 0 {
			_, err = Decode(nil, s)
			if err == nil {
				t.Fatalf("accepted impossible length %d", len(s))
			}
		} else {
			got = make([]byte, n)
			var m int
			m, err = Decode(got, s)
			if err == nil && m != n {
				t.Fatalf("wrote %d bytes, DecodedLen said %d", m, n)
			}
		}
		if strings.ContainsAny(s, "\r\n") {
			if err == nil {
				t.Fatalf("accepted a line break: %q", s)
			}
			return
		}
		want, werr := strictB64.DecodeString(s)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: ours err=%v, encoding/base64 err=%v", s, err, werr)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: ours %x, encoding/base64 %x", s, got, want)
		}
		if enc := string(AppendEncode(nil, got)); enc != s {
			t.Fatalf("%q decodes to %x which encodes to %q: two spellings accepted", s, got, enc)
		}
		if EncodedLen(len(got)) != len(s) {
			t.Fatalf("EncodedLen(%d) = %d, want %d", len(got), EncodedLen(len(got)), len(s))
		}
	})
}

// exactMembers decodes a JSON object with encoding/json into a map of raw
// members (exact-case names; encoding/json keeps the last of duplicates).
func exactMembers(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, strconv.ErrSyntax // JSON null
	}
	return m, nil
}

func jsonString(t *testing.T, raw json.RawMessage, what string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: ours read a string, encoding/json says %s: %v", what, raw, err)
	}
	return s
}

// FuzzParseHeader: nothing panics; whatever ParseHeader accepts,
// encoding/json accepts too, as an object whose exact-case "alg" is the
// same string, whose "kid" and "typ" are the same strings, and which has no
// "crit" and no "b64". TopLevelNames agrees with encoding/json's names.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		`{"alg":"HS256","typ":"JWT"}`, `{"alg":"RS256","kid":"k1"}`, `{"alg":"none"}`, `{"alg":"HS256","crit":["exp"],"exp":1}`,
		`{"alg":"HS256","b64":false}`, `{"alg":"HS256","alg":"none"}`, `{"\u0061lg":"HS256"}`, `{"Alg":"HS256"}`, `{"alg":"HS256","kid":5}`,
		`{"alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"a","y":"b"}}`, `{"alg":"HS256","kid":"\ud83d\ude00"}`, `{"alg":"HS256","kid":"\ud800"}`,
		`[]`, `"alg"`, `null`, `{"alg":"HS256"} `, `{"alg":"HS256"}x`, `{"alg":"HS256","x":[[[[[[]]]]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		names, nerr := TopLevelNames(b)
		m, jerr := exactMembers(b)
		if nerr == nil {
			if jerr != nil {
				t.Fatalf("TopLevelNames accepted %q, encoding/json: %v", b, jerr)
			}
			if len(names) != len(m) {
				t.Fatalf("TopLevelNames %q vs encoding/json %d members (%q)", names, len(m), b)
			}
			for _, n := range names {
				if _, ok := m[n]; !ok {
					t.Fatalf("name %q unknown to encoding/json in %q", n, b)
				}
			}
		}
		if err != nil {
			return
		}
		if jerr != nil {
			t.Fatalf("ParseHeader accepted %q, encoding/json: %v", b, jerr)
		}
		if nerr != nil {
			t.Fatalf("ParseHeader accepted %q, TopLevelNames: %v", b, nerr)
		}
		if got := jsonString(t, m["alg"], "alg"); got != h.Alg.String() || h.Alg == AlgInvalid {
			t.Fatalf("alg: ours %v, encoding/json %q", h.Alg, got)
		}
		if raw, ok := m["kid"]; ok != h.HasKid || ok && jsonString(t, raw, "kid") != string(h.Kid) {
			t.Fatalf("kid: ours %q/%v, encoding/json %s", h.Kid, h.HasKid, raw)
		}
		if raw, ok := m["typ"]; ok && jsonString(t, raw, "typ") != string(h.Typ) {
			t.Fatalf("typ: ours %q, encoding/json %s", h.Typ, raw)
		}
		if _, ok := m["crit"]; ok {
			t.Fatalf("accepted crit: %q", b)
		}
		if _, ok := m["b64"]; ok {
			t.Fatalf("accepted b64: %q", b)
		}
		if !utf8.Valid(b) {
			t.Fatalf("accepted invalid UTF-8: %q", b)
		}
	})
}

// numericDate is how encoding/json's value of a NumericDate maps to ours:
// a non-negative number, fractions truncated.
func jsonDate(t *testing.T, raw json.RawMessage, name string) int64 {
	t.Helper()
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: ours read a NumericDate, encoding/json says %s: %v", name, raw, err)
	}
	if f < 0 || f > MaxNumericDate || math.IsNaN(f) {
		t.Fatalf("%s: ours accepted %s, out of range", name, raw)
	}
	return int64(f)
}

// FuzzParseClaims: nothing panics; ParseClaims and the scanner-based
// parser it replaced return the same error or the same claims; whatever
// ParseClaims accepts,
// encoding/json accepts as an object holding the same sub, iss, jti, type,
// aid, csrf, acr (strings), exp, nbf, iat, auth_time (NumericDates), aud (string or list of
// strings), fresh (bool) and roles; members ours did not report are absent
// for encoding/json too.
func FuzzParseClaims(f *testing.F) {
	for _, s := range []string{
		`{"sub":"alice","exp":1800000900,"iat":1800000000,"nbf":1800000000,"jti":"j","type":"access","fresh":true,"aud":["a","b"],"roles":["admin"]}`,
		`{"sub":"a","aud":"x","exp":1.5}`, `{"sub":"a","exp":1e3}`, `{"sub":"a","exp":"1"}`, `{"sub":"a","exp":-1}`, `{"sub":"a","exp":null}`,
		`{"sub":"a","exp":1e300}`, `{"sub":"a","aud":[]}`, `{"sub":"a","aud":[1]}`, `{"sub":"a","roles":"admin"}`, `{"sub":"a","sub":"b"}`,
		`{"sub":"a","\u0073ub":"b"}`, `{"SUB":"a","Exp":1}`, `{"sub":"\u00e9\ud83d\ude00"}`, `{"sub":"a","x":{"y":[1,2,{"z":null}]}}`,
		`{"sub":"a","exp":253402300799}`, `{"sub":"a","exp":253402300800}`, `{"sub":"a","exp":0.0000001e10}`, `{"csrf":"c","aid":"f"}`,
		// The ten-digit fast path of dates and its edges.
		`{"exp":1795000900,"sub":"a"}`, `{"sub":"a","exp":1795000900}`, `{"exp":0795000900,"sub":"a"}`, `{"exp":1795000900.5,"sub":"a"}`,
		`{"exp":1795000900e0,"sub":"a"}`, `{"exp":17950009001,"sub":"a"}`, `{"exp":179500090,"sub":"a"}`, `{"exp":17950x0900,"sub":"a"}`,
		`{"exp":1795000900 ,"sub":"a"}`, `{"exp":-795000900,"sub":"a"}`, `{"exp":1795000900-,"sub":"a"}`,
		// String values around the eight-byte fast path.
		`{"sub":"abcdefg","jti":"abcdefgh","iss":"abcdefghi"}`, `{"sub":"\u0061bcdefgh"}`, `{"sub":"abcdefgh\"i"}`, `{"sub":"abcédefgh"}`,
		`{"sub":"abcdefgh`, "{\"sub\":\"abcdefghijklmnop\x01\"}", `{"jti":""}`,
		// The confirmation claim (RFC 7800): an object, kept as its text.
		`{"sub":"a","cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}`, `{"cnf":{ "jwk" : {"kty":"EC"} } ,"sub":"a"}`,
		`{"sub":"a","cnf":"x"}`, `{"sub":"a","cnf":[1]}`, `{"sub":"a","cnf":{}}`, `{"sub":"a","cnf":{"a":1,"a":2}}`, `{"cnf":{},"cnf":{}}`,
		// Recent authentication (RFC 9470): auth_time, a NumericDate of
		// nine bytes' name (past the word hash), and acr.
		`{"sub":"a","auth_time":1800000000,"acr":"urn:mace:incommon:iap:silver"}`, `{"auth_time":1.5,"sub":"a"}`,
		`{"sub":"a","auth_time":"1"}`, `{"sub":"a","acr":1}`, `{"sub":"a","auth_tim":1,"auth_timex":2,"acrs":"x"}`,
		`{"auth_time":1,"auth_time":2}`, `{"sub":"a","auth\u005ftime":1800000000}`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, typeOn bool) {
		typeName := ""
		if typeOn {
			typeName = "type"
		}
		var c, ref claimsView
		err := ParseClaims(b, typeName, &c)
		// The fast parser and the scanner-based one it replaced agree on
		// every input: the same error, or the same claims.
		if rerr := parseClaimsRef(b, typeName, &ref); rerr != err {
			t.Fatalf("ParseClaims: %v, scanner-based parser: %v (%q)", err, rerr, b)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(c, ref) {
			t.Fatalf("ParseClaims: %+v, scanner-based parser: %+v (%q)", c, ref, b)
		}
		m, err := exactMembers(b)
		if err != nil {
			t.Fatalf("ParseClaims accepted %q, encoding/json: %v", b, err)
		}
		str := func(name string, bit uint32, got string) {
			raw, ok := m[name]
			if ok != (c.Has&bit != 0) {
				t.Fatalf("%s presence: ours %v, encoding/json %v (%q)", name, c.Has&bit != 0, ok, b)
			}
			if ok && jsonString(t, raw, name) != got {
				t.Fatalf("%s: ours %q, encoding/json %s", name, got, raw)
			}
		}
		str("sub", HasSub, c.Sub)
		str("iss", HasIss, c.Iss)
		str("jti", HasJti, c.Jti)
		str("aid", HasAid, c.Aid)
		str("csrf", HasCSRF, c.CSRF)
		str("acr", HasACR, c.ACR)
		if typeOn {
			str("type", HasType, c.Type)
		} else if c.Has&HasType != 0 {
			t.Fatalf("type claim read while off")
		}
		date := func(name string, bit uint32, got int64) {
			raw, ok := m[name]
			if ok != (c.Has&bit != 0) {
				t.Fatalf("%s presence: ours %v, encoding/json %v (%q)", name, c.Has&bit != 0, ok, b)
			}
			if ok && jsonDate(t, raw, name) != got {
				t.Fatalf("%s: ours %d, encoding/json %s", name, got, raw)
			}
		}
		date("exp", HasExp, c.Exp)
		date("nbf", HasNbf, c.Nbf)
		date("auth_time", HasAuthTime, c.AuthTime)
		date("iat", HasIat, c.Iat/1000) // milliseconds: its whole seconds
		if raw, ok := m["iat"]; ok {
			var f float64
			_ = json.Unmarshal(raw, &f)
			if d := c.Iat - int64(math.Floor(f*1000)); d < -1 || d > 1 {
				t.Fatalf("iat: ours %d ms, encoding/json %s", c.Iat, raw)
			}
		}
		if raw, ok := m["cnf"]; ok != (c.Has&HasCnf != 0) {
			t.Fatalf("cnf presence differs (%q)", b)
		} else if ok && string(raw) != c.Cnf {
			t.Fatalf("cnf: ours %q, encoding/json %s", c.Cnf, raw)
		}
		if raw, ok := m["fresh"]; ok != (c.Has&HasFresh != 0) {
			t.Fatalf("fresh presence differs (%q)", b)
		} else if ok {
			var v bool
			if err := json.Unmarshal(raw, &v); err != nil || v != c.Fresh {
				t.Fatalf("fresh: ours %v, encoding/json %s", c.Fresh, raw)
			}
		}
		if raw, ok := m["aud"]; ok != (c.Has&HasAud != 0) {
			t.Fatalf("aud presence differs (%q)", b)
		} else if ok {
			var list []string
			var one string
			if json.Unmarshal(raw, &one) == nil && raw[0] == '"' {
				list = []string{one}
			} else if err := json.Unmarshal(raw, &list); err != nil || list == nil {
				t.Fatalf("aud: ours %q, encoding/json %s: %v", c.Aud, raw, err)
			}
			if !equalStrings(list, c.Aud) {
				t.Fatalf("aud: ours %q, encoding/json %q", c.Aud, list)
			}
		}
		if raw, ok := m["roles"]; ok != (c.Has&HasRoles != 0) {
			t.Fatalf("roles presence differs (%q)", b)
		} else if ok && c.Roles != nil {
			var list []string
			if err := json.Unmarshal(raw, &list); err != nil || !equalStrings(list, c.Roles) {
				t.Fatalf("roles: ours %q, encoding/json %s", c.Roles, raw)
			}
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
