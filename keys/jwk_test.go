package keys

import (
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestThumbprintVectors(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"rfc7638_rsa.json", "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"},
		{"rfc8037_ed25519.json", "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
	} {
		k, err := ParseJWK(readTestdata(t, tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		got, err := Thumbprint(k.Public)
		if err != nil || got != tc.want {
			t.Errorf("%s: thumbprint %q, %v; want %q", tc.file, got, err, tc.want)
		}
	}
	if _, err := Thumbprint([]byte("secret")); err == nil {
		t.Error("thumbprint of a secret")
	}
}

func TestRFC7517Vectors(t *testing.T) {
	keys, skipped, err := ParseJWKS(readTestdata(t, "rfc7517_a1_public.json"), 0)
	if err != nil {
		t.Fatal(err)
	}
	// A.1's EC key is an encryption key ("use":"enc"): refused for signatures.
	if len(keys) != 1 || keys[0].KID != "2011-04-29" || keys[0].Alg != "RS256" {
		t.Fatalf("keys = %+v", keys)
	}
	var je *JWKError
	if len(skipped) != 1 || !errors.As(skipped[0], &je) || je.KID != "1" || !strings.Contains(je.Error(), `use is "enc"`) {
		t.Fatalf("skipped = %v", skipped)
	}
	k, err := ParseJWK(readTestdata(t, "rfc7517_b_x5c.json"))
	if err != nil {
		t.Fatalf("Appendix B: %v", err)
	}
	if k.KID != "1b94c" || k.Alg != "" {
		t.Fatalf("Appendix B key = %+v", k)
	}
	// The same x5c with another modulus must be refused.
	var obj map[string]any
	_ = json.Unmarshal(readTestdata(t, "rfc7517_b_x5c.json"), &obj)
	var other map[string]any
	_ = json.Unmarshal(readTestdata(t, "rfc7638_rsa.json"), &other)
	obj["n"] = other["n"]
	b, _ := json.Marshal(obj)
	if _, err := ParseJWK(b); err == nil || !strings.Contains(err.Error(), "x5c") {
		t.Fatalf("mismatched x5c: %v", err)
	}
}

func TestJWKRoundTrip(t *testing.T) {
	k := testKeys()
	for _, tc := range []struct {
		alg string
		s   crypto.Signer
	}{{"RS256", k.rsa}, {"PS384", k.rsa}, {"ES256", k.p256}, {"ES384", k.p384}, {"ES512", k.p521}, {"EdDSA", k.ed}, {"Ed25519", k.ed}} {
		key, err := NewSigningKey(tc.alg, tc.s)
		if err != nil {
			t.Fatal(err)
		}
		j, err := PublicJWK(key)
		if err != nil {
			t.Fatal(err)
		}
		if j.Use != "sig" || j.Alg != tc.alg || j.Kid != key.KID {
			t.Fatalf("jwk = %+v", j)
		}
		b, _ := json.Marshal(j)
		for _, m := range []string{`"d"`, `"p"`, `"q"`, `"dp"`, `"dq"`, `"qi"`, `"k"`} {
			if strings.Contains(string(b), m+":") {
				t.Fatalf("%s JWK leaks %s: %s", tc.alg, m, b)
			}
		}
		back, err := ParseJWK(b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.alg, err, b)
		}
		if back.KID != key.KID || back.Alg != tc.alg || !back.Public.(interface{ Equal(crypto.PublicKey) bool }).Equal(tc.s.Public()) {
			t.Fatalf("%s: round trip changed the key", tc.alg)
		}
		if tp, _ := Thumbprint(back.Public); tp != key.KID {
			t.Fatalf("%s: default kid %s is not the thumbprint %s", tc.alg, key.KID, tp)
		}
	}
	if _, err := PublicJWK(Key{KID: "h", Alg: "HS256", Secret: make([]byte, 32)}); err == nil {
		t.Fatal("PublicJWK emitted an HMAC key")
	}
}

func TestParseJWKRejects(t *testing.T) {
	rsaN := `"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"`
	ecXY := `"x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"`
	for _, tc := range []struct{ name, jwk, want string }{
		{"ok rsa", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB"}`, ""},
		{"ok ec", `{"kty":"EC","crv":"P-256",` + ecXY + `,"alg":"ES256","use":"sig"}`, ""},
		{"ok key_ops", `{"kty":"EC","crv":"P-256",` + ecXY + `,"key_ops":["verify"]}`, ""},
		{"unknown members ignored", `{"kty":"EC","crv":"P-256",` + ecXY + `,"ext":true,"x5t":"abc"}`, ""},
		{"not json", `nope`, "not JSON"},
		{"array", `[]`, "not an object"},
		{"trailing", `{"kty":"EC","crv":"P-256",` + ecXY + `} {}`, "trailing data"},
		{"duplicate member", `{"kty":"EC","crv":"P-256",` + ecXY + `,"x":"AAAA"}`, "duplicate"},
		{"case folded member", `{"KTY":"EC","crv":"P-256",` + ecXY + `}`, "no kty"},
		{"no kty", `{"n":` + rsaN + `,"e":"AQAB"}`, "no kty"},
		{"kty number", `{"kty":1}`, "not a string"},
		{"oct", `{"kty":"oct","k":"AyM32w"}`, `"k"`},
		{"oct without k", `{"kty":"oct"}`, `"oct"`},
		{"private rsa", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB","d":"AQAB"}`, `private or symmetric member "d"`},
		{"private ec", `{"kty":"EC","crv":"P-256",` + ecXY + `,"d":"870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE"}`, `"d"`},
		{"private okp", `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}`, `"d"`},
		{"use enc", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB","use":"enc"}`, "use"},
		{"use empty", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB","use":""}`, "use"},
		{"key_ops sign only", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB","key_ops":["sign"]}`, "key_ops"},
		{"alg none", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB","alg":"none"}`, "alg"},
		{"alg hmac on rsa", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB","alg":"HS256"}`, "alg"},
		{"alg es256 on rsa", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB","alg":"ES256"}`, "does not fit"},
		{"alg es384 on p256", `{"kty":"EC","crv":"P-256",` + ecXY + `,"alg":"ES384"}`, "does not fit"},
		{"alg rs256 on okp", `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"RS256"}`, "does not fit"},
		{"rsa e 1", `{"kty":"RSA","n":` + rsaN + `,"e":"AQ"}`, "exponent"},
		{"rsa e even", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAA"}`, "exponent"},
		{"rsa e huge", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAAAAAB"}`, "exponent"},
		{"rsa e leading zero", `{"kty":"RSA","n":` + rsaN + `,"e":"AAEAAQ"}`, "leading zero"},
		{"rsa small", `{"kty":"RSA","n":"rJBIp6T1YK-RtPyvYqFFlcucqewSAA_IReSFchE8qyiQrbARqRlXWkB2DR8j_pJQnIpYELbQWZC5Cd0PTGAU8rMbar2AW6zpmBbi7aQf17lUBdt8XI9M9rq7FPVQ1dDdUXm1SVH_9qqWhvMPR422SbfHBEzCAtzK0ANDRo6qz78","e":"AQAB"}`, "1024 bits"},
		{"rsa no e", `{"kty":"RSA","n":` + rsaN + `}`, `"e"`},
		{"rsa padded b64", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB="}`, "base64url"},
		{"rsa std b64", `{"kty":"RSA","n":` + strings.ReplaceAll(rsaN, "_", "/") + `,"e":"AQAB"}`, "base64url"},
		{"rsa newline in b64", `{"kty":"RSA","n":` + rsaN[:20] + `\n` + rsaN[20:] + `,"e":"AQAB"}`, "base64url"},
		{"ec off curve", `{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyN"}`, "base64url"},
		{"ec off curve 2", `{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyE"}`, "not on the curve"},
		{"ec wrong curve", `{"kty":"EC","crv":"P-384",` + ecXY + `}`, "48 bytes"},
		{"ec short x", `{"kty":"EC","crv":"P-256","x":"AAAA","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}`, "32 bytes"},
		{"ec secp256k1", `{"kty":"EC","crv":"secp256k1",` + ecXY + `}`, "not supported"},
		{"ec zero point", `{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`, "not on the curve"},
		{"okp x25519", `{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}`, "only Ed25519"},
		{"okp short", `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUQ"}`, "31 bytes"},
		{"x5c not array", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB","x5c":"MII"}`, "x5c"},
		{"x5c garbage", `{"kty":"RSA","n":` + rsaN + `,"e":"AQAB","x5c":["AAAA"]}`, "x5c"},
		{"unknown kty", `{"kty":"DSA"}`, "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJWK([]byte(tc.jwk))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "authjwt: ") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestWycheproofJWK runs the public key sets of Wycheproof's
// json_web_key_test.json through ParseJWKS: every key of a group whose tests
// are all "invalid" because of the key must be skipped, and the valid group's
// key accepted. Secret and private members of the private key sets
// (HMAC/AES) must never yield a key.
func TestWycheproofJWK(t *testing.T) {
	var file struct {
		TestGroups []struct {
			Comment string          `json:"comment"`
			Private json.RawMessage `json:"private"`
			Public  json.RawMessage `json:"public"`
			Tests   []struct {
				TcID    int    `json:"tcId"`
				Comment string `json:"comment"`
				Result  string `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(readTestdata(t, "wycheproof/json_web_key_test.json"), &file); err != nil {
		t.Fatal(err)
	}
	// Groups whose invalidity lies in the JWS, not the key, or that we do
	// not detect at the key level (ROCA fingerprinting is not implemented).
	notKeyLevel := map[string]bool{"rejectsModifiedSignature": true, "rejectsKeyWithRocaVulnerability": true}
	n := 0
	for _, g := range file.TestGroups {
		if len(g.Private) > 0 {
			// Secret and private entries are skipped one by one; public
			// entries beside them (the "mixed" set) stay usable, which is
			// safe: a token naming the symmetric kid finds no key.
			var doc struct{ Keys []map[string]any }
			_ = json.Unmarshal(g.Private, &doc)
			public := 0
			for _, e := range doc.Keys {
				if e["k"] == nil && e["d"] == nil {
					public++
				}
			}
			keys, _, err := ParseJWKS(g.Private, 0)
			if err != nil || len(keys) != public {
				t.Errorf("group %s: private key set gave %d keys, want %d (%v)", g.Comment, len(keys), public, err)
			}
			n++
		}
		if len(g.Public) == 0 {
			continue
		}
		keys, skipped, err := ParseJWKS(g.Public, 0)
		if err != nil {
			t.Errorf("group %s: %v", g.Comment, err)
			continue
		}
		for _, tc := range g.Tests {
			n++
			switch {
			case notKeyLevel[tc.Comment]:
			case tc.Result == "valid" && len(keys) != 1:
				t.Errorf("tc %d %s: valid key refused: %v", tc.TcID, tc.Comment, skipped)
			case tc.Result == "invalid" && len(keys) != 0:
				t.Errorf("tc %d %s (%s): invalid key accepted", tc.TcID, tc.Comment, g.Comment)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d vectors checked", n)
	}
}

func TestParseJWKS(t *testing.T) {
	k := testKeys()
	a, _ := NewVerifyKey("ES256", k.p256)
	b, _ := NewVerifyKey("EdDSA", k.ed)
	ja, _ := PublicJWK(a)
	jb, _ := PublicJWK(b)
	good, _ := json.Marshal(JWKS{Keys: []JWK{ja, jb}})
	dupB := jb
	dupB.Kid = ja.Kid
	dup, _ := json.Marshal(JWKS{Keys: []JWK{ja, dupB, jb}})
	for _, tc := range []struct {
		name        string
		doc         string
		max         int
		keys, skips int
		err         string
	}{
		{"good", string(good), 0, 2, 0, ""},
		{"bad key skipped", `{"keys":[{"kty":"oct","k":"AAAA"},` + string(good[9:len(good)-2]) + `]}`, 0, 2, 1, ""},
		{"duplicate kid", string(dup), 0, 1, 2, ""},
		{"empty", `{"keys":[]}`, 0, 0, 0, ""},
		{"not an object inside", `{"keys":[1,"a"]}`, 0, 0, 2, ""},
		{"too many", string(good), 1, 0, 0, "at most 1"},
		{"no keys", `{"kids":[]}`, 0, 0, 0, `no "keys"`},
		{"keys not array", `{"keys":{}}`, 0, 0, 0, "not an array"},
		{"html", `<html>`, 0, 0, 0, "not a JWK Set"},
		{"array", `[]`, 0, 0, 0, "not a JWK Set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, skipped, err := ParseJWKS([]byte(tc.doc), tc.max)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || keys != nil {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(keys) != tc.keys || len(skipped) != tc.skips {
				t.Fatalf("keys %d skipped %v err %v; want %d, %d", len(keys), skipped, err, tc.keys, tc.skips)
			}
		})
	}
}

func TestPublicJWKSOmitsHMAC(t *testing.T) {
	h, _ := NewHMACKey("HS256", "h", make([]byte, 32))
	e, _ := NewVerifyKey("EdDSA", testKeys().ed.Public().(ed25519.PublicKey))
	set, err := PublicJWKS([]Key{h, e})
	if err != nil || len(set.Keys) != 1 || set.Keys[0].Kty != "OKP" {
		t.Fatalf("%+v %v", set, err)
	}
}
