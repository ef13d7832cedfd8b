package jws

import (
	"context"
	"encoding/base64"
	"runtime/debug"
	"testing"
)

// seedPayload is the claim set the bench module verifies (the seed's
// claims, in the seed's order, plus iss and aud), as json.Marshal writes it.
const seedPayload = `{"sub":"user-42@example.com","iat":1795000000,"nbf":1795000000,"jti":"3f2c9a0e-8d4b-4e5f-9a6b-7c8d9e0f1a2b","exp":1795000900,"type":"access","fresh":true,"iss":"https://auth.example.com","aud":"api.example.com"}`

// BenchmarkParseSpans times the claims parser of the verification path.
func BenchmarkParseSpans(b *testing.B) {
	p := []byte(seedPayload)
	var c claimsView
	if err := ParseClaims(p, "type", &c); err != nil || c.Sub != "user-42@example.com" || !c.Fresh || c.Exp != 1795000900 {
		b.Fatalf("baseline: %v %+v", err, c)
	}
	b.SetBytes(int64(len(p)))
	var r RawClaims
	for b.Loop() {
		r = RawClaims{}
		if err := ParseSpans(p, "type", &r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode compares Decode with encoding/base64's strict decoder
// on the encoded seed payload.
func BenchmarkDecode(b *testing.B) {
	enc := base64.RawURLEncoding.EncodeToString([]byte(seedPayload))
	dst := make([]byte, DecodedLen(len(enc)))
	b.Run("jws", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			if _, err := Decode(dst, enc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-base64", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		src := []byte(enc)
		for b.Loop() {
			if _, err := strictB64.Decode(dst, src); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// decoderFixture is an HS256 token of the seed payload with our own
// header, its decoder and resolver.
func decoderFixture(tb testing.TB) (string, *Decoder, KeyResolver) {
	e := NewEncoder("type")
	k := NewHMACKey(HS256, testSecret)
	hdr, _ := e.Header(HS256, "", nil)
	d, err := NewDecoder(DecoderConfig{MaxSize: 8192, TypeClaim: "type", OwnHeaders: []string{hdr},
		Interned: []string{"access", "https://auth.example.com", "api.example.com"}})
	if err != nil {
		tb.Fatal(err)
	}
	var s ClaimSet
	s.Custom = []byte(seedPayload[1 : len(seedPayload)-1])
	tok, err := e.Encode(hdr, &s, HS256, Key{HMAC: k})
	if err != nil {
		tb.Fatal(err)
	}
	return string(tok), d, hmacResolver(tb, k)
}

// TestDecoderAllocs guards the escape analysis of the decoder: a token
// whose strings fit the caller's buffer is verified without allocation
// (the Input and its buffers stay on the stack, through the resolver's
// interface call included).
func TestDecoderAllocs(t *testing.T) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				t.Skip("allocation counts are not meaningful under -race; run without it")
			}
		}
	}
	tok, d, r := decoderFixture(t)
	ctx := context.Background()
	var buf [256]byte
	n := testing.AllocsPerRun(100, func() {
		var in Input
		if err := d.Open(tok, &in); err != nil {
			t.Fatal(err)
		}
		if err := d.Verify(ctx, &in, r); err != nil {
			t.Fatal(err)
		}
		var c Claims
		d.Materialize(&in, &c, buf[:])
		if c.Sub() != "user-42@example.com" {
			t.Fatal(c.Sub())
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per verification, want 0", n)
	}
}

// BenchmarkDecoder times Open, Verify and Materialize of an HS256 token.
func BenchmarkDecoder(b *testing.B) {
	tok, d, r := decoderFixture(b)
	ctx := context.Background()
	var buf [256]byte
	b.ReportAllocs()
	for b.Loop() {
		var in Input
		if err := d.Open(tok, &in); err != nil {
			b.Fatal(err)
		}
		if err := d.Verify(ctx, &in, r); err != nil {
			b.Fatal(err)
		}
		var c Claims
		d.Materialize(&in, &c, buf[:])
	}
}
