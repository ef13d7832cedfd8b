package jws

import "testing"

// seedPayload is the claim set the bench module verifies (the seed's
// claims, in the seed's order, plus iss and aud), as json.Marshal writes it.
const seedPayload = `{"sub":"user-42@example.com","iat":1795000000,"nbf":1795000000,"jti":"3f2c9a0e-8d4b-4e5f-9a6b-7c8d9e0f1a2b","exp":1795000900,"type":"access","fresh":true,"iss":"https://auth.example.com","aud":"api.example.com"}`

// BenchmarkParseSpans times the claims parser of the verification path.
func BenchmarkParseSpans(b *testing.B) {
	p := []byte(seedPayload)
	var c Claims
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
