package jws

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// staticKeys is a KeyResolver with one key, for the tests.
type staticKeys struct {
	gate Gate
	key  Key
}

func (s *staticKeys) Gate() *Gate { return &s.gate }

func (s *staticKeys) Key(_ context.Context, _ Alg, _ KID, i int) (Key, error) {
	if i > 0 {
		return Key{}, nil // no further key
	}
	return s.key, nil
}

func hmacResolver(t testing.TB, k *HMACKey) *staticKeys {
	t.Helper()
	r := &staticKeys{key: Key{HMAC: k}}
	r.gate.Allowed[k.Alg()] = true
	return r
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// roundTrip encodes s, signed with HS256, and decodes it again.
func roundTrip(t testing.TB, e *Encoder, d *Decoder, s *ClaimSet) (claimsView, error) {
	t.Helper()
	k := NewHMACKey(HS256, testSecret)
	hdr, err := e.Header(HS256, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.Encode(hdr, s, HS256, Key{HMAC: k})
	if err != nil {
		return claimsView{}, err
	}
	var in Input
	if err := d.Open(string(tok), &in); err != nil {
		t.Fatalf("Open(%s): %v", tok, err)
	}
	if err := d.Verify(context.Background(), &in, hmacResolver(t, k)); err != nil {
		t.Fatalf("Verify(%s): %v", tok, err)
	}
	var c Claims
	d.Materialize(&in, &c, nil)
	return viewOf(&c), nil
}

// FuzzRoundTrip: whatever the Encoder writes, the Decoder reads back as
// the same claims; what it refuses is a string that is not UTF-8 or an
// object claim that is not a JSON object the decoder takes.
func FuzzRoundTrip(f *testing.F) {
	f.Add("alice", "https://issuer.example", "api", "", "jti-1", "fam", "csrf", `{"jkt":"abc"}`, uint32(1795000900), uint32(1795000000), true, "admin,ops")
	f.Add("", "", "a", "b", "", "", "", "", uint32(0), uint32(0), false, "")
	f.Add("é\"\\\n<>&\x01", "\u2028", "x", "y", "\U0001F600", "a\x00b", "c", `{"jwk":{"kty":"EC","x":[1,2,{"y":null}]}}`, uint32(1), uint32(2), false, ",")
	f.Add("bad\xff", "i", "", "", "", "", "", `{"a":1,"a":2}`, uint32(5), uint32(5), true, "r")
	f.Add("s", "i", "", "", "", "", "", `[1]`, uint32(5), uint32(5), true, "")
	f.Fuzz(func(t *testing.T, sub, iss, aud1, aud2, jti, aid, csrf, cnf string, exp, iat uint32, fresh bool, roles string) {
		e := NewEncoder("type")
		d, err := NewDecoder(DecoderConfig{MaxSize: 64 << 10, TypeClaim: "type"})
		if err != nil {
			t.Fatal(err)
		}
		var s ClaimSet
		want := claimsView{Sub: sub, Iss: iss, Jti: jti, Aid: aid, CSRF: csrf, Cnf: cnf, Type: "access",
			Exp: int64(exp), Nbf: int64(iat), Iat: int64(iat) * 1000, Fresh: fresh}
		s.SetString(ClaimSubject, sub)
		s.SetDate(ClaimIssuedAt, int64(iat))
		s.SetDate(ClaimNotBefore, int64(iat))
		s.SetString(ClaimID, jti)
		s.SetDate(ClaimExpires, int64(exp))
		s.SetString(ClaimIssuer, iss)
		aud := []string{aud1}
		if aud2 != "" {
			aud = append(aud, aud2)
		}
		s.SetList(ClaimAudience, aud)
		want.Aud = aud
		s.SetString(ClaimType, "access")
		s.SetBool(ClaimFresh, fresh)
		s.SetString(ClaimFamily, aid)
		s.SetString(ClaimCSRF, csrf)
		if cnf != "" {
			s.SetString(ClaimConfirmation, cnf)
		}
		if roles != "" {
			want.Roles = strings.Split(roles, ",")
			s.SetList(ClaimRoles, want.Roles)
		}
		want.Has = s.Has()
		got, err := roundTrip(t, e, d, &s)
		strs := []string{sub, iss, aud1, aud2, jti, aid, csrf, cnf, roles}
		valid := true
		for _, v := range strs {
			valid = valid && utf8.ValidString(v)
		}
		cnfOK := cnf == "" || (strings.HasPrefix(strings.TrimLeft(cnf, " \t\r\n"), "{") && ValidObject([]byte(cnf)) == nil)
		if err != nil {
			if valid && cnfOK {
				t.Fatalf("Encode refused valid claims: %v", err)
			}
			if !valid && !errors.Is(err, ErrNotUTF8) && cnfOK {
				t.Fatalf("Encode: %v, want ErrNotUTF8", err)
			}
			return
		}
		if !valid || !cnfOK {
			t.Fatalf("Encode accepted invalid claims (utf8 %v, cnf %v)", valid, cnfOK)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
	})
}

// TestConfirmationClaim: "cnf" (RFC 7800) is one row of the table, an
// object claim: written as its JSON text, read back as it, refused when
// it is not an object, counted as present, and not custom data.
func TestConfirmationClaim(t *testing.T) {
	e := NewEncoder("")
	d, _ := NewDecoder(DecoderConfig{MaxSize: 8192})
	const cnf = `{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}`
	var s ClaimSet
	s.SetString(ClaimSubject, "alice")
	s.SetString(ClaimConfirmation, cnf)
	got, err := roundTrip(t, e, d, &s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cnf != cnf || got.Has != HasSub|HasCnf {
		t.Fatalf("cnf %q has %b", got.Cnf, got.Has)
	}
	if ClaimByName("cnf") != ClaimConfirmation || ClaimConfirmation.Name() != "cnf" {
		t.Fatal("cnf is not found by its name")
	}
	for _, bad := range []string{`"jkt"`, `[{}]`, `{"a":1,"a":2}`, `{"a":`, `{}x`} {
		var s ClaimSet
		s.SetString(ClaimConfirmation, bad)
		if _, err := e.AppendPayload(nil, &s); err == nil {
			t.Errorf("encoder wrote cnf %s", bad)
		}
	}
	for _, p := range []string{`{"cnf":"x"}`, `{"cnf":1}`, `{"cnf":[]}`, `{"cnf":null}`} {
		var r RawClaims
		if err := ParseSpans([]byte(p), "", &r); err != ErrClaimType {
			t.Errorf("ParseSpans(%s) = %v, want ErrClaimType", p, err)
		}
	}
	var r RawClaims
	p := []byte(`{"cnf": {"jwk":{"kty":"OKP"}} ,"x":1}`)
	if err := ParseSpans(p, "", &r); err != nil || string(r.Str(ClaimConfirmation).Bytes(p)) != `{"jwk":{"kty":"OKP"}}` || r.Has != HasCnf|HasCustom {
		t.Fatalf("ParseSpans: %v %q %b", err, r.Str(ClaimConfirmation).Bytes(p), r.Has)
	}
}

// TestEncoderChecksEveryString: every string the encoder writes is
// checked, not only the subject.
func TestEncoderChecksEveryString(t *testing.T) {
	e := NewEncoder("type")
	bad := "x\xffy"
	sets := map[string]func(*ClaimSet){
		"sub":    func(s *ClaimSet) { s.SetString(ClaimSubject, bad) },
		"iss":    func(s *ClaimSet) { s.SetString(ClaimIssuer, bad) },
		"jti":    func(s *ClaimSet) { s.SetString(ClaimID, bad) },
		"aid":    func(s *ClaimSet) { s.SetString(ClaimFamily, bad) },
		"csrf":   func(s *ClaimSet) { s.SetString(ClaimCSRF, bad) },
		"type":   func(s *ClaimSet) { s.SetString(ClaimType, bad) },
		"aud":    func(s *ClaimSet) { s.SetList(ClaimAudience, []string{"a", bad}) },
		"aud1":   func(s *ClaimSet) { s.SetList(ClaimAudience, []string{bad}) },
		"roles":  func(s *ClaimSet) { s.SetList(ClaimRoles, []string{bad}) },
		"cnf":    func(s *ClaimSet) { s.SetString(ClaimConfirmation, `{"a":"`+bad+`"}`) },
		"custom": func(s *ClaimSet) { s.Custom = []byte(`"n":"` + bad + `"`) },
		// A multi-byte sequence cut short, at the end and before ASCII.
		"sub cut":   func(s *ClaimSet) { s.SetString(ClaimSubject, "ali\xc3") },
		"iss cut":   func(s *ClaimSet) { s.SetString(ClaimIssuer, "\xe2\x82x") },
		"surrogate": func(s *ClaimSet) { s.SetString(ClaimSubject, "\xed\xa0\x80") },
	}
	// Valid UTF-8 of every length is written unchanged.
	var ok ClaimSet
	ok.SetString(ClaimSubject, "é€😀<\"")
	if p, err := e.AppendPayload(nil, &ok); err != nil || string(p) != `{"sub":"é€😀\u003c\""}` {
		t.Errorf("valid UTF-8: %s %v", p, err)
	}
	for name, set := range sets {
		var s ClaimSet
		s.SetString(ClaimSubject, "alice")
		set(&s)
		if _, err := e.AppendPayload(nil, &s); err != ErrNotUTF8 {
			t.Errorf("%s: %v, want ErrNotUTF8", name, err)
		}
	}
	if _, err := NewEncoder("t\xff").AppendPayload(nil, func() *ClaimSet { var s ClaimSet; s.SetString(ClaimType, "a"); return &s }()); err != ErrNotUTF8 {
		t.Errorf("type claim name: %v", err)
	}
	if _, err := e.HeaderJSON(HS256, bad, nil); err != ErrNotUTF8 {
		t.Errorf("kid: %v", err)
	}
	if _, err := e.HeaderJSON(HS256, "", []byte(`"x":"`+bad+`"`)); err != ErrNotUTF8 {
		t.Errorf("header extra: %v", err)
	}
	deep := `"x":` + strings.Repeat("[", 2*MaxDepth) + strings.Repeat("]", 2*MaxDepth)
	var s ClaimSet
	s.Custom = []byte(deep)
	if _, err := e.AppendPayload(nil, &s); err != ErrDepth {
		t.Errorf("deep custom: %v, want ErrDepth", err)
	}
}

// TestDecoderSteps: Open, Verify and Materialize on our own header (the
// fast path), a foreign one, a gate's refusals, and an Ed25519 signer.
func TestDecoderSteps(t *testing.T) {
	e := NewEncoder("type")
	k := NewHMACKey(HS256, testSecret)
	own, _ := e.Header(HS256, "k1", nil)
	d, err := NewDecoder(DecoderConfig{MaxSize: 8192, TypeClaim: "type", OwnHeaders: []string{own}, Interned: []string{"access"}})
	if err != nil {
		t.Fatal(err)
	}
	var s ClaimSet
	s.SetString(ClaimSubject, "alice")
	s.SetString(ClaimType, "access")
	id := []byte("01a3185c-5000-755a-b11a-4c1842c25fa9")
	s.SetBytes(ClaimID, id)
	id[0] = 'X' // copied: the claim set keeps its own
	s.SetBytes(ClaimFamily, []byte(strings.Repeat("f", 40)))
	tok, err := e.Encode(own, &s, HS256, Key{HMAC: k})
	if err != nil {
		t.Fatal(err)
	}
	r := hmacResolver(t, k)
	var in Input
	if err := d.Open(string(tok), &in); err != nil || in.Alg() != HS256 {
		t.Fatal(err)
	}
	if err := d.Verify(context.Background(), &in, r); err != nil {
		t.Fatal(err)
	}
	var c Claims
	d.Materialize(&in, &c, nil)
	if c.Sub() != "alice" || c.Type() != "access" || c.Kid() != "k1" || c.Jti() != "01a3185c-5000-755a-b11a-4c1842c25fa9" || c.Aid() != strings.Repeat("f", 40) {
		t.Fatalf("claims %+v", viewOf(&c))
	}
	// Gate refusals, in order: algorithm, typ, kid.
	for _, tc := range []struct {
		gate Gate
		want error
	}{
		{Gate{}, ErrAlgRefused},
		{Gate{Allowed: r.gate.Allowed, RequireAt: true}, ErrTypRefused},
		{Gate{Allowed: r.gate.Allowed, KID: "k2"}, ErrKIDRefused},
	} {
		var in Input
		_ = d.Open(string(tok), &in)
		if err := d.Verify(context.Background(), &in, &staticKeys{gate: tc.gate, key: r.key}); err != tc.want {
			t.Errorf("gate %+v: %v, want %v", tc.gate, err, tc.want)
		}
	}
	// A wrong signature; a wrong signature over a payload that is not
	// base64url is reported as malformed.
	bad := append([]byte(nil), tok...)
	bad[len(bad)-2] ^= 1
	in = Input{}
	_ = d.Open(string(bad), &in)
	if err := d.Verify(context.Background(), &in, r); err != ErrSignature {
		t.Errorf("tampered: %v", err)
	}
	// An unsecured token naming "none" is refused for its algorithm.
	none := string(AppendEncode(nil, []byte(`{"alg":"none"}`))) + ".e30."
	if err := d.Open(none, &in); err != ErrAlgKnown {
		t.Errorf("alg none: %v", err)
	}
	// Ed25519 through CryptoSigner.
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	hdr, _ := e.Header(EdDSA, "", nil)
	tok, err = e.Encode(hdr, &s, EdDSA, Key{Signer: priv})
	if err != nil {
		t.Fatal(err)
	}
	er := &staticKeys{key: Key{Public: pub}}
	er.gate.Allowed[EdDSA] = true
	in = Input{}
	if err := d.Open(string(tok), &in); err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(context.Background(), &in, er); err != nil {
		t.Fatal(err)
	}
}
