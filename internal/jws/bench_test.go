package jws

import (
	"encoding/base64"
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
