package authjwt

// Attack suite of issue 8 §1. Every family starts from a baseline token
// that is accepted, through Auth.Verify and through the real middleware
// (a.Required), so that no test can pass by refusing everything; each
// variant then changes one thing an attacker controls.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

// ---- independent signing helpers (standard library crypto only) ----

// macToken signs the literal segments hseg.pseg with HMAC under h: the
// segments may be non-canonical on purpose, so that a refusal can only
// come from the defence under test, never from the signature.
func macToken(h func() hash.Hash, key []byte, hseg, pseg string) string {
	m := hmac.New(h, key)
	m.Write([]byte(hseg + "." + pseg))
	return hseg + "." + pseg + "." + b64.EncodeToString(m.Sum(nil))
}

func hs256(hseg, pseg string) string { return macToken(sha256.New, []byte(testSecret), hseg, pseg) }

func enc(s string) string { return b64.EncodeToString([]byte(s)) }

func digest(h crypto.Hash, in string) []byte {
	hh := h.New()
	hh.Write([]byte(in))
	return hh.Sum(nil)
}

// rawSign signs input under alg with key, independently of internal/jws.
func rawSign(t testing.TB, alg string, key crypto.Signer, input string) []byte {
	t.Helper()
	hashOf := map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}
	var sig []byte
	var err error
	switch {
	case strings.HasPrefix(alg, "RS"):
		h := hashOf[alg[2:]]
		sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), h, digest(h, input))
	case strings.HasPrefix(alg, "PS"):
		h := hashOf[alg[2:]]
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), h, digest(h, input), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case strings.HasPrefix(alg, "ES"):
		k := key.(*ecdsa.PrivateKey)
		r, s, e := ecdsa.Sign(rand.Reader, k, digest(hashOf[alg[2:]], input))
		if e != nil {
			t.Fatal(e)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		sig = make([]byte, 2*size)
		r.FillBytes(sig[:size])
		s.FillBytes(sig[size:])
	default:
		sig = ed25519.Sign(key.(ed25519.PrivateKey), []byte(input))
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func signedToken(t testing.TB, alg string, key crypto.Signer, header, payload string) string {
	in := enc(header) + "." + enc(payload)
	return in + "." + b64.EncodeToString(rawSign(t, alg, key, in))
}

// ---- harness ----

type attack struct {
	name string
	tok  string
	want error // nil: accepted (the attacker-controlled part is ignored)
	why  string
}

// runAttacks checks baseline, then every attack, through Verify and
// through a.Required with the token in the Authorization header.
func runAttacks(t *testing.T, a *Auth, baseline string, attacks []attack) {
	t.Helper()
	var reached atomic.Int32
	h := a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(200)
	}))
	through := func(tok string) int {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{"Bearer " + tok}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if _, err := a.Verify(context.Background(), baseline, Requirement{}); err != nil {
		t.Fatalf("baseline refused by Verify: %v", err)
	}
	if code := through(baseline); code != 200 || reached.Load() != 1 {
		t.Fatalf("baseline refused by the middleware: %d", code)
	}
	for _, c := range attacks {
		t.Run(c.name, func(t *testing.T) {
			_, err := a.Verify(context.Background(), c.tok, Requirement{})
			before := reached.Load()
			code := through(c.tok)
			if c.want == nil {
				if err != nil || code != 200 {
					t.Fatalf("refused (%v, %d) but should be accepted: %s", err, code, c.why)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify: got %v, want %v (%s)", err, c.want, c.why)
			}
			if code == 200 || reached.Load() != before {
				t.Fatalf("middleware let it through (%d): %s", code, c.why)
			}
			if code != 400 && code != 401 {
				t.Fatalf("middleware status %d, want 400 or 401", code)
			}
		})
	}
}

func atkClock() (*clock, int64) { c := newClock(); return c, c.Now().Unix() }

func accessPayload(now int64) string {
	return fmt.Sprintf(`{"sub":"alice","iat":%d,"nbf":%d,"jti":"j-1","exp":%d,"type":"access","fresh":false}`, now, now, now+900)
}

// ---- format ----

func TestAttackFormat(t *testing.T) {
	clk, now := atkClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now})
	hdr := `{"alg":"HS256","typ":"JWT"}`
	pl := accessPayload(now)
	H, P := enc(hdr), enc(pl)
	base := hs256(H, P)
	sig := strings.Split(base, ".")[2]
	std := base64.StdEncoding
	// bump flips the lowest bit of the last character: for a segment
	// whose length is not a multiple of 4, that bit is padding, so the
	// decoded bytes (and, for lenient decoders, the token) are unchanged.
	bump := func(s string) string {
		const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		i := strings.IndexByte(alpha, s[len(s)-1])
		return s[:len(s)-1] + string(alpha[i^1])
	}
	if len(P)%4 == 0 {
		P = enc(pl + " ")
		base = hs256(H, P)
	}
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	bigHeader := fmt.Sprintf(`{"alg":"HS256","x":"%s"}`, strings.Repeat("a", 600))
	atks := []attack{
		// segment counts and empty parts
		{"one segment", H, ErrMalformedToken, "no signature"},
		{"two segments", H + "." + P, ErrMalformedToken, "unsigned"},
		{"four segments", base + "." + sig, ErrMalformedToken, "trailing segment"},
		{"JWE compact (5 segments)", H + ".AAAA.AAAA." + P + "." + sig, ErrMalformedToken, "JWE is not accepted"},
		{"empty header", "." + P + "." + sig, ErrMalformedToken, "empty header"},
		{"empty payload", macToken(sha256.New, []byte(testSecret), H, ""), ErrMalformedToken, "empty payload, validly signed"},
		{"empty signature", H + "." + P + ".", ErrMalformedToken, "alg none style"},
		{"leading dot", "." + base, ErrMalformedToken, "extra empty segment"},
		{"trailing dot", base + ".", ErrMalformedToken, "extra empty segment"},
		// padding, whitespace, line breaks (signed over the literal bytes)
		{"padded header", hs256(H+strings.Repeat("=", (4-len(H)%4)%4+4), P), ErrMalformedToken, "padding"},
		{"padded payload", hs256(H, P+"=="), ErrMalformedToken, "padding"},
		{"padded signature", base + "=", ErrMalformedToken, "padding"},
		{"CRLF in payload", hs256(H, P[:10]+"\r\n"+P[10:]), ErrMalformedToken, "encoding/base64 skips \\r\\n: a second spelling"},
		{"LF in header", hs256(H[:4]+"\n"+H[4:], P), ErrMalformedToken, "line break"},
		{"CRLF in signature", base[:len(base)-5] + "\r\n" + base[len(base)-5:], ErrMalformedToken, "line break"},
		{"space in payload", hs256(H, P[:6]+" "+P[6:]), ErrMalformedToken, "whitespace"},
		{"tab in header", hs256("\t"+H, P), ErrMalformedToken, "whitespace"},
		{"trailing space", base + " ", ErrMalformedToken, "whitespace"},
		// non-canonical trailing bits
		{"non-canonical payload", hs256(H, bump(P)), ErrMalformedToken, "same bytes, other spelling"},
		{"non-canonical signature", bump(base), ErrMalformedToken, "same MAC, other spelling"},
		// alphabet
		{"standard alphabet payload", hs256(H, std.EncodeToString([]byte(pl+"\xfb\xff"))), ErrMalformedToken, "+ and / are not base64url"},
		{"percent-encoded", hs256(H, P[:4]+"%41"+P[4:]), ErrMalformedToken, "URL encoding"},
		{"NUL byte", hs256(H, P+"\x00"), ErrMalformedToken, "control byte"},
		{"non-ASCII", hs256(H, P+"é"), ErrMalformedToken, "UTF-8 byte"},
		// JSON serialization, JWE JSON
		{"flattened JSON JWS", fmt.Sprintf(`{"protected":"%s","payload":"%s","signature":"%s"}`, H, P, sig), ErrMalformedToken, "JSON serialization"},
		{"general JSON JWS", fmt.Sprintf(`{"payload":"%s","signatures":[{"protected":"%s","signature":"%s"}]}`, P, H, sig), ErrMalformedToken, "JSON serialization"},
		// b64 false and crit, signed
		{"b64 false", hs256(enc(`{"alg":"HS256","b64":false,"crit":["b64"]}`), P), ErrMalformedToken, "RFC 7797"},
		{"crit unknown", hs256(enc(`{"alg":"HS256","crit":["x-custom"],"x-custom":1}`), P), ErrMalformedToken, "RFC 7515 §4.1.11"},
		{"crit naming a registered header", hs256(enc(`{"alg":"HS256","crit":["alg"]}`), P), ErrMalformedToken, "crit must not list registered names; we understand none"},
		// duplicates and case variants
		{"duplicate alg in header", hs256(enc(`{"alg":"HS256","alg":"HS256"}`), P), ErrMalformedToken, "duplicate members"},
		{"duplicate sub", hs256(H, enc(strings.Replace(pl, `"sub":"alice"`, `"sub":"alice","sub":"admin"`, 1))), ErrMalformedToken, "parser differential: first vs last wins"},
		{"duplicate type via escape", hs256(H, enc(strings.Replace(pl, `"type":"access"`, `"type":"refresh","\u0074ype":"access"`, 1))), ErrMalformedToken, "escaped duplicate"},
		{"case-variant Exp only", hs256(H, enc(fmt.Sprintf(`{"sub":"alice","Exp":%d,"type":"access"}`, now+900))), ErrInvalidClaim, "Exp is not exp: missing exp"},
		{"case-variant SUB only", hs256(H, enc(fmt.Sprintf(`{"SUB":"alice","exp":%d,"type":"access"}`, now+900))), ErrInvalidClaim, "SUB is not sub: missing sub"},
		{"case-variant TYPE", hs256(H, enc(fmt.Sprintf(`{"sub":"alice","exp":%d,"TYPE":"access"}`, now+900))), ErrAccessRequired, "TYPE is not type"},
		{"case-variant ALG header", hs256(enc(`{"ALG":"HS256"}`), P), ErrInvalidAlgorithm, "ALG is not alg"},
		// non-object JSON
		{"payload array", hs256(H, enc(`[`+pl+`]`)), ErrMalformedToken, "not an object"},
		{"payload string", hs256(H, enc(`"alice"`)), ErrMalformedToken, "not an object"},
		{"payload number", hs256(H, enc(`1`)), ErrMalformedToken, "not an object"},
		{"payload null", hs256(H, enc(`null`)), ErrMalformedToken, "not an object"},
		{"header array", hs256(enc(`["HS256"]`), P), ErrMalformedToken, "not an object"},
		{"two payload objects", hs256(H, enc(pl+pl)), ErrMalformedToken, "trailing data"},
		{"invalid UTF-8 in header", hs256(enc("{\"alg\":\"HS256\",\"x\":\"\xff\"}"), P), ErrMalformedToken, "JSON text is UTF-8 (BCP §3.7)"},
		{"invalid UTF-8 in payload", hs256(H, enc(strings.Replace(pl, `"alice"`, "\"ali\xc3\x28ce\"", 1))), ErrMalformedToken, "JSON text is UTF-8"},
		{"overlong UTF-8 in payload", hs256(H, enc(strings.Replace(pl, `"alice"`, "\"\xc1\xa1lice\"", 1))), ErrMalformedToken, "overlong encoding of 'a'"},
		{"BOM before payload", hs256(H, enc("\ufeff"+pl)), ErrMalformedToken, "byte order mark"},
		// nesting and size
		{"deep payload", hs256(H, enc(strings.TrimSuffix(pl, "}")+`,"x":`+deep(40)+`}`)), ErrMalformedToken, "JSON depth"},
		{"deep header", hs256(enc(`{"alg":"HS256","x":`+deep(40)+`}`), P), ErrMalformedToken, "JSON depth"},
		{"header over 512 bytes", hs256(enc(bigHeader), P), ErrMalformedToken, "header size limit"},
		{"huge token", hs256(H, enc(strings.TrimSuffix(pl, "}")+`,"x":"`+strings.Repeat("a", 9000)+`"}`)), ErrTokenTooLarge, "token size limit"},
		{"dot flood", strings.Repeat(".", 1<<20), ErrTokenTooLarge, "CVE-2025-30204 class"},
		{"dot flood within size", "a" + strings.Repeat(".", 8000), ErrMalformedToken, "refused at the third dot"},
		{"signature over 1024 bytes", base + strings.Repeat("A", 1400), ErrMalformedToken, "signature size limit"},
		// accepted: whitespace inside JSON and unknown members are fine
		{"JSON whitespace is fine", hs256(H, enc(" \n"+strings.ReplaceAll(pl, ",", " ,\t")+"\r\n")), nil, "insignificant JSON whitespace"},
	}
	runAttacks(t, a, base, atks)
}

// ---- algorithms and keys ----

func TestAttackAlgNone(t *testing.T) {
	clk, now := atkClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now})
	pl := enc(accessPayload(now))
	base := hs256(enc(`{"alg":"HS256"}`), pl)
	var atks []attack
	for _, none := range []string{"none", "None", "NONE", "nOnE", "none ", " none", `none\u0000`, `\u006eone`, "", "null"} {
		h := enc(`{"alg":"` + none + `"}`)
		atks = append(atks,
			attack{"alg " + none + " empty sig", h + "." + pl + ".", ErrInvalidAlgorithm, "unsecured JWS: the algorithm is refused before the missing signature"},
			attack{"alg " + none + " with sig", h + "." + pl + "." + strings.Split(base, ".")[2], ErrInvalidAlgorithm, "not an algorithm"},
			attack{"alg " + none + " HMAC-signed", hs256(h, pl), ErrInvalidAlgorithm, "signed, but alg is still none"})
	}
	atks = append(atks,
		attack{"alg null", hs256(enc(`{"alg":null}`), pl), ErrMalformedToken, "non-string alg"},
		attack{"alg list", hs256(enc(`{"alg":["none","HS256"]}`), pl), ErrMalformedToken, "non-string alg"},
		attack{"alg missing", hs256(enc(`{"typ":"JWT"}`), pl), ErrInvalidAlgorithm, "missing alg"},
		attack{"HS512 with the same secret", macToken(sha512.New, []byte(testSecret), enc(`{"alg":"HS512"}`), pl), ErrInvalidAlgorithm, "only the configured algorithm"},
	)
	runAttacks(t, a, base, atks)
	if _, err := New(Config{Keys: KeyConfig{SecretKey: testSecret, Algorithm: "none"}}); err == nil {
		t.Error("New accepted Algorithm none")
	}
	if _, err := New(Config{Keys: KeyConfig{SecretKey: testSecret, DecodeAlgorithms: []string{"HS256", "none"}}}); err == nil {
		t.Error("New accepted none in DecodeAlgorithms")
	}
}

// publicEncodings returns every common encoding of pub that an attacker
// could try as an HMAC secret.
func publicEncodings(t testing.TB, pub crypto.PublicKey) map[string][]byte {
	t.Helper()
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemSPKI := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})
	out := map[string][]byte{
		"PEM SPKI":            pemSPKI,
		"PEM SPKI no newline": []byte(strings.TrimSuffix(string(pemSPKI), "\n")),
		"PEM SPKI CRLF":       []byte(strings.ReplaceAll(string(pemSPKI), "\n", "\r\n")),
		"DER SPKI":            spki,
		"base64 DER SPKI":     []byte(base64.StdEncoding.EncodeToString(spki)),
		"base64url DER SPKI":  []byte(b64.EncodeToString(spki)),
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		p1 := x509.MarshalPKCS1PublicKey(k)
		p1pem := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: p1})
		out["PEM PKCS#1"] = p1pem
		out["PEM PKCS#1 no newline"] = []byte(strings.TrimSuffix(string(p1pem), "\n"))
		out["DER PKCS#1"] = p1
		out["modulus bytes"] = k.N.Bytes()
		out["JWK"] = []byte(fmt.Sprintf(`{"kty":"RSA","n":"%s","e":"AQAB"}`, b64.EncodeToString(k.N.Bytes())))
	case *ecdsa.PublicKey:
		ecdh, _ := k.ECDH()
		pt := ecdh.Bytes()
		out["uncompressed point"] = pt
		size := (k.Curve.Params().BitSize + 7) / 8
		out["JWK"] = []byte(fmt.Sprintf(`{"kty":"EC","crv":"%s","x":"%s","y":"%s"}`, k.Curve.Params().Name, b64.EncodeToString(pt[1:1+size]), b64.EncodeToString(pt[1+size:])))
	case ed25519.PublicKey:
		out["raw 32 bytes"] = []byte(k)
		out["JWK"] = []byte(fmt.Sprintf(`{"kty":"OKP","crv":"Ed25519","x":"%s"}`, b64.EncodeToString(k)))
	}
	return out
}

// TestAttackPublicKeyAsHMACSecret: the classic RS256→HS256 confusion
// (RFC 8725 §2.1, §3.1), for RSA, EC and Ed25519 keys in every encoding,
// with each HMAC algorithm; against an asymmetric-only configuration
// (HS* not allowed) and a mixed one (HS* allowed with its own secret:
// the public key must still never be the HMAC key).
func TestAttackPublicKeyAsHMACSecret(t *testing.T) {
	testKeys()
	clk, now := atkClock()
	pl := accessPayload(now)
	for _, kc := range []struct {
		alg string
		key crypto.Signer
	}{{"RS256", rsaKey}, {"ES256", ecKey256}, {"EdDSA", edKey}} {
		for _, mixed := range []bool{false, true} {
			name := kc.alg + map[bool]string{false: " only", true: " mixed with HMAC"}[mixed]
			t.Run(name, func(t *testing.T) {
				cfg := Config{Keys: KeyConfig{PrivateKey: privPEM(t, kc.key), PublicKey: pubPEM(t, kc.key.Public()), Algorithm: kc.alg}, Now: clk.Now}
				if mixed {
					cfg.Keys.SecretKey = strings.Repeat("0123456789abcdef", 4)
					cfg.Keys.DecodeAlgorithms = []string{kc.alg, "HS256", "HS384", "HS512"}
				}
				a := mustNew(t, cfg)
				base := signedToken(t, kc.alg, kc.key, `{"alg":"`+kc.alg+`"}`, pl)
				want := ErrInvalidAlgorithm
				if mixed {
					want = ErrInvalidSignature
				}
				var atks []attack
				encs := publicEncodings(t, kc.key.Public())
				encs["configured Keys.PublicKey string"] = []byte(cfg.Keys.PublicKey)
				for encName, secret := range encs {
					for _, hc := range []struct {
						alg string
						h   func() hash.Hash
					}{{"HS256", sha256.New}, {"HS384", sha512.New384}, {"HS512", sha512.New}} {
						atks = append(atks, attack{hc.alg + " keyed with " + encName,
							macToken(hc.h, secret, enc(`{"alg":"`+hc.alg+`"}`), enc(pl)), want, "public key as HMAC secret"})
					}
				}
				runAttacks(t, a, base, atks)
			})
		}
	}
}

// TestAttackSecretThatIsAPublicKey: a configuration whose HMAC secret is
// a public key (the mistake behind PyJWT's CVE-2022-29217) must be refused
// by New, in every text encoding a key is pasted in, alone or beside the
// asymmetric key it copies.
func TestAttackSecretThatIsAPublicKey(t *testing.T) {
	testKeys()
	if _, err := New(Config{Keys: KeyConfig{SecretKey: strings.Repeat("0123456789abcdef", 2)}}); err != nil {
		t.Fatalf("baseline secret refused: %v", err)
	}
	for _, pub := range []crypto.PublicKey{rsaKey.Public(), ecKey256.Public(), edKey.Public()} {
		encs := publicEncodings(t, pub)
		for _, name := range []string{"PEM SPKI", "PEM SPKI no newline", "PEM SPKI CRLF", "PEM PKCS#1", "PEM PKCS#1 no newline", "JWK"} {
			secret, ok := encs[name]
			if !ok {
				continue
			}
			for _, s := range []string{string(secret), "  \n" + string(secret) + "\n"} {
				if _, err := New(Config{Keys: KeyConfig{SecretKey: s}}); err == nil {
					t.Errorf("%T %s accepted as an HMAC secret", pub, name)
				}
			}
		}
	}
	if _, err := New(Config{Keys: KeyConfig{PrivateKey: privPEM(t, rsaKey), SecretKey: pubPEM(t, rsaKey.Public()), Algorithm: "RS256", DecodeAlgorithms: []string{"RS256", "HS256"}}}); err == nil {
		t.Error("New accepted the RS256 public key's PEM as the HS256 secret alongside RS256")
	}
	for _, s := range []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0xNDk0ODQwNjU0MDk3NjY2NjY2NjY2NjY2NjY2NjY2 user@host", "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= x", privPEM(t, edKey)} {
		if _, err := New(Config{Keys: KeyConfig{SecretKey: s}}); err == nil {
			t.Errorf("key text accepted as an HMAC secret: %.30q", s)
		}
	}
}

// TestAttackAlgorithmNotBoundToKey: a token signed with the configured key
// but under another algorithm of the same family (RFC 8725 §3.1).
func TestAttackAlgorithmNotBoundToKey(t *testing.T) {
	testKeys()
	clk, now := atkClock()
	pl := accessPayload(now)
	other521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	cases := []struct {
		cfgAlg string
		key    crypto.Signer
		atks   func() []attack
	}{
		{"RS256", rsaKey, func() []attack {
			return []attack{
				{"PS256 with the RS256 key", signedToken(t, "PS256", rsaKey, `{"alg":"PS256"}`, pl), ErrInvalidAlgorithm, "PSS not allowed"},
				{"RS512 with the RS256 key", signedToken(t, "RS512", rsaKey, `{"alg":"RS512"}`, pl), ErrInvalidAlgorithm, "other hash"},
				{"RS256 header, PSS signature", enc(`{"alg":"RS256"}`) + "." + enc(pl) + "." + b64.EncodeToString(rawSign(t, "PS256", rsaKey, enc(`{"alg":"RS256"}`)+"."+enc(pl))), ErrInvalidSignature, "the header's alg decides the scheme"},
				{"RS256 by another RSA key", signedToken(t, "RS256", rsaKey2, `{"alg":"RS256"}`, pl), ErrInvalidSignature, "another key"},
			}
		}},
		{"PS256", rsaKey, func() []attack {
			return []attack{{"RS256 with the PS256 key", signedToken(t, "RS256", rsaKey, `{"alg":"RS256"}`, pl), ErrInvalidAlgorithm, "PKCS#1 v1.5 not allowed"}}
		}},
		{"ES256", ecKey256, func() []attack {
			return []attack{
				{"ES384 header, P-256 signature", enc(`{"alg":"ES384"}`) + "." + enc(pl) + "." + b64.EncodeToString(rawSign(t, "ES256", ecKey256, enc(`{"alg":"ES384"}`)+"."+enc(pl))), ErrInvalidAlgorithm, "curve bound to alg"},
				{"ES512 by a P-521 key", signedToken(t, "ES512", other521, `{"alg":"ES512"}`, pl), ErrInvalidAlgorithm, "not allowed"},
				{"EdDSA", signedToken(t, "EdDSA", edKey, `{"alg":"EdDSA"}`, pl), ErrInvalidAlgorithm, "other family"},
			}
		}},
		{"EdDSA", edKey, func() []attack {
			return []attack{{"Ed25519 name when EdDSA configured", signedToken(t, "EdDSA", edKey, `{"alg":"Ed25519"}`, pl), ErrInvalidAlgorithm, "RFC 9864 name is a distinct algorithm unless configured"}}
		}},
	}
	for _, c := range cases {
		t.Run(c.cfgAlg, func(t *testing.T) {
			a := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, c.key), Algorithm: c.cfgAlg}, Now: clk.Now})
			runAttacks(t, a, signedToken(t, c.cfgAlg, c.key, `{"alg":"`+c.cfgAlg+`"}`, pl), c.atks())
		})
	}
}

// countingServer answers every request and counts them: embedded key
// URLs point at it, and the count must stay zero.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestAttackEmbeddedKeys: jwk, jku, x5u and x5c headers carry the
// attacker's key or where to fetch it (RFC 8725 §3.10, CVE-2018-0114).
// They are ignored: the attacker's signature fails, our own token with
// the same headers still verifies, and no request ever leaves.
func TestAttackEmbeddedKeys(t *testing.T) {
	testKeys()
	clk, now := atkClock()
	pl := accessPayload(now)
	srv, hits := countingServer(t)
	evil := rsaKey2
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evil"}, NotBefore: time.Unix(0, 0), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, evil.Public(), evil)
	if err != nil {
		t.Fatal(err)
	}
	jwk := fmt.Sprintf(`{"kty":"RSA","n":"%s","e":"AQAB"}`, b64.EncodeToString(evil.N.Bytes()))
	x5c := base64.StdEncoding.EncodeToString(certDER)
	headers := map[string]string{
		"jwk":         `{"alg":"RS256","jwk":` + jwk + `}`,
		"jku":         `{"alg":"RS256","jku":"` + srv.URL + `/jwks.json"}`,
		"x5u":         `{"alg":"RS256","x5u":"` + srv.URL + `/cert.pem"}`,
		"x5c":         `{"alg":"RS256","x5c":["` + x5c + `"]}`,
		"all, kid":    `{"alg":"RS256","kid":"evil","jwk":` + jwk + `,"jku":"` + srv.URL + `/a","x5u":"` + srv.URL + `/b","x5c":["` + x5c + `"]}`,
		"jku in kid":  `{"alg":"RS256","kid":"` + srv.URL + `/kid"}`,
		"x5c small":   `{"alg":"RS256","x5c":["MIIBszCCAVmgAwIBAgIBATAKBggqhkjOPQQDAjAPMQ0wCwYDVQQDEwRldmls"]}`,
		"jwk oct key": `{"alg":"HS256","jwk":{"kty":"oct","k":"` + b64.EncodeToString([]byte("evil")) + `"}}`,
	}
	for _, cfg := range []Config{
		{Keys: KeyConfig{PrivateKey: privPEM(t, rsaKey), Algorithm: "RS256"}, Now: clk.Now},
		{Keys: KeyConfig{SecretKey: testSecret, PrivateKey: privPEM(t, rsaKey), Algorithm: "RS256", DecodeAlgorithms: []string{"RS256", "HS256"}}, Now: clk.Now},
	} {
		a := mustNew(t, cfg)
		var atks []attack
		for name, h := range headers {
			if strings.Contains(h, `"HS256"`) {
				atks = append(atks, attack{"embedded " + name + " (signed with its key)", macToken(sha256.New, []byte("evil"), enc(h), enc(pl)), map[bool]error{true: ErrInvalidSignature, false: ErrInvalidAlgorithm}[len(cfg.Keys.DecodeAlgorithms) > 0], "embedded symmetric key"})
				continue
			}
			if len(h) > 512 {
				// A real certificate chain does not fit the 512-byte header
				// limit: refused before any signature work.
				atks = append(atks, attack{"embedded " + name + " (header too large)", signedToken(t, "RS256", rsaKey, h, pl), ErrMalformedToken, "header size limit"})
				continue
			}
			atks = append(atks,
				attack{"embedded " + name + " signed by the attacker", signedToken(t, "RS256", evil, h, pl), ErrInvalidSignature, "embedded key not trusted"},
				attack{"embedded " + name + " signed by us", signedToken(t, "RS256", rsaKey, h, pl), nil, "the headers are ignored, not an error"})
		}
		runAttacks(t, a, signedToken(t, "RS256", rsaKey, `{"alg":"RS256"}`, pl), atks)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d outgoing request(s) to an embedded key URL", n)
	}
	// The server does count: a request here proves the counter works.
	resp, err := http.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
	}
	if hits.Load() != 1 {
		t.Fatal("counting server does not count")
	}
}

// TestAttackKID: kid values built for path traversal, SQL and shell
// injection, and non-string kids. With one key, a string kid is only a
// hint (never a path, query or command); with Keys.DecodeKID set, only that
// exact kid passes; a non-string kid is malformed.
func TestAttackKID(t *testing.T) {
	clk, now := atkClock()
	pl := enc(accessPayload(now))
	srv, hits := countingServer(t)
	hostile := []string{
		"../../../../../../dev/null", "/dev/null", `..\..\windows\win.ini`, "file:///etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"' OR '1'='1", `x' UNION SELECT 'AAAA' --`, "1; DROP TABLE keys; --", `"; DROP TABLE keys; --`,
		"$(curl " + srv.URL + ")", "`curl " + srv.URL + "`", "| nc 127.0.0.1 1", "; rm -rf /", srv.URL + "/kid",
		"\u0000", strings.Repeat("k", 300), "kid\nX-Injected: 1",
	}
	nonString := []string{`5`, `-1`, `1e999`, `null`, `true`, `{"$ne":""}`, `["a"]`, `{}`}
	t.Run("no DecodeKID", func(t *testing.T) {
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now})
		var atks []attack
		for _, k := range hostile {
			kj, _ := json.Marshal(k)
			atks = append(atks, attack{"kid " + k, hs256(enc(`{"alg":"HS256","kid":`+string(kj)+`}`), pl), nil, "a hint only: the one key verifies"},
				attack{"kid " + k + " wrong key", macToken(sha256.New, []byte(k+testSecret), enc(`{"alg":"HS256","kid":`+string(kj)+`}`), pl), ErrInvalidSignature, "kid never selects a secret"})
		}
		for _, k := range nonString {
			atks = append(atks, attack{"kid " + k, hs256(enc(`{"alg":"HS256","kid":`+k+`}`), pl), ErrMalformedToken, "kid must be a string"})
		}
		runAttacks(t, a, hs256(enc(`{"alg":"HS256"}`), pl), atks)
	})
	t.Run("Keys.DecodeKID", func(t *testing.T) {
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret, DecodeKID: "k1"}, Now: clk.Now})
		var atks []attack
		for _, k := range append(hostile, "K1", "k1 ", " k1", "k1\u0000", "") {
			kj, _ := json.Marshal(k)
			atks = append(atks, attack{"kid " + k, hs256(enc(`{"alg":"HS256","kid":`+string(kj)+`}`), pl), ErrInvalidKID, "only the configured kid"})
		}
		atks = append(atks, attack{"no kid", hs256(enc(`{"alg":"HS256"}`), pl), ErrInvalidKID, "kid required"})
		runAttacks(t, a, hs256(enc(`{"alg":"HS256","kid":"k1"}`), pl), atks)
	})
	if hits.Load() != 0 {
		t.Fatalf("%d request(s) caused by a kid", hits.Load())
	}
}

// TestAttackECDSASignatures: CVE-2022-21449 ("psychic signatures": r = s
// = 0), out-of-range r and s, DER-encoded and wrong-length signatures.
// A high-s signature (r, N-s) is valid ECDSA and is accepted: JOSE does
// not require low-s; revocation never keys on signature bytes
// (TestAttackRevocation shows that).
func TestAttackECDSASignatures(t *testing.T) {
	testKeys()
	clk, now := atkClock()
	pl := accessPayload(now)
	for _, c := range []struct {
		alg string
		key *ecdsa.PrivateKey
	}{{"ES256", ecKey256}, {"ES384", ecKey384}, {"ES512", ecKey521}} {
		t.Run(c.alg, func(t *testing.T) {
			a := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, c.key), Algorithm: c.alg}, Now: clk.Now})
			in := enc(`{"alg":"`+c.alg+`"}`) + "." + enc(pl)
			good := rawSign(t, c.alg, c.key, in)
			size := len(good) / 2
			N := c.key.Curve.Params().N
			r, s := new(big.Int).SetBytes(good[:size]), new(big.Int).SetBytes(good[size:])
			mk := func(r, s *big.Int) string {
				out := make([]byte, 2*size)
				r.FillBytes(out[:size])
				s.FillBytes(out[size:])
				return in + "." + b64.EncodeToString(out)
			}
			raw := func(b []byte) string { return in + "." + b64.EncodeToString(b) }
			zero, one := big.NewInt(0), big.NewInt(1)
			nm1 := new(big.Int).Sub(N, one)
			der, _ := ecdsa.SignASN1(rand.Reader, c.key, digest(map[string]crypto.Hash{"ES256": crypto.SHA256, "ES384": crypto.SHA384, "ES512": crypto.SHA512}[c.alg], in))
			atks := []attack{
				{"r=0 s=0", mk(zero, zero), ErrInvalidSignature, "CVE-2022-21449"},
				{"r=0", mk(zero, s), ErrInvalidSignature, "r out of range"},
				{"s=0", mk(r, zero), ErrInvalidSignature, "s out of range"},
				{"r=N s=N", mk(N, N), ErrInvalidSignature, "N ≡ 0 mod N"},
				{"r=N", mk(N, s), ErrInvalidSignature, "r out of range"},
				{"s=N", mk(r, N), ErrInvalidSignature, "s out of range"},
				{"r=N-1 s=N-1", mk(nm1, nm1), ErrInvalidSignature, "in range, wrong"},
				{"r=1 s=1", mk(one, one), ErrInvalidSignature, "in range, wrong"},
				{"all 0xff", raw(bytesOf(0xff, 2*size)), ErrInvalidSignature, "above N"},
				{"DER signature", raw(der), ErrInvalidSignature, "ASN.1 DER is not the JOSE form"},
				{"one byte short", raw(good[:2*size-1]), ErrInvalidSignature, "wrong length"},
				{"one byte long", raw(append(append([]byte{}, good...), 0)), ErrInvalidSignature, "wrong length"},
				{"leading zero", raw(append([]byte{0}, good...)), ErrInvalidSignature, "wrong length"},
				{"zero-padded s", raw(append(append(append([]byte{}, good[:size]...), 0), good[size:]...)), ErrInvalidSignature, "same r and s in a longer encoding: the length must be exact"},
				{"half", raw(good[:size]), ErrInvalidSignature, "r only"},
				{"swapped r and s", mk(s, r), ErrInvalidSignature, "wrong"},
				{"high-s twin", mk(r, new(big.Int).Sub(N, s)), nil, "(r, N-s) is valid ECDSA; accepted by design"},
			}
			if rn := new(big.Int).Add(r, N); rn.BitLen() <= 8*size {
				atks = append(atks, attack{"r+N", mk(rn, s), ErrInvalidSignature, "r ≡ r mod N but out of range"})
			}
			if sn := new(big.Int).Add(s, N); sn.BitLen() <= 8*size {
				atks = append(atks, attack{"s+N", mk(r, sn), ErrInvalidSignature, "s ≡ s mod N but out of range"})
			}
			runAttacks(t, a, raw(good), atks)
		})
	}
}

func bytesOf(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }

// TestAttackOtherSignatureForms: wrong-length RSA and Ed25519 signatures.
func TestAttackOtherSignatureForms(t *testing.T) {
	testKeys()
	clk, now := atkClock()
	pl := accessPayload(now)
	for _, c := range []struct {
		alg string
		key crypto.Signer
	}{{"RS256", rsaKey}, {"PS256", rsaKey}, {"EdDSA", edKey}} {
		t.Run(c.alg, func(t *testing.T) {
			a := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, c.key), Algorithm: c.alg}, Now: clk.Now})
			in := enc(`{"alg":"`+c.alg+`"}`) + "." + enc(pl)
			good := rawSign(t, c.alg, c.key, in)
			raw := func(b []byte) string { return in + "." + b64.EncodeToString(b) }
			atks := []attack{
				{"leading zero", raw(append([]byte{0}, good...)), ErrInvalidSignature, "length must be exact"},
				{"trailing zero", raw(append(append([]byte{}, good...), 0)), ErrInvalidSignature, "length must be exact"},
				{"truncated", raw(good[:len(good)-1]), ErrInvalidSignature, "length must be exact"},
				{"all zero", raw(make([]byte, len(good))), ErrInvalidSignature, "zero"},
			}
			if c.alg == "EdDSA" {
				// S + L: the same signature with a non-reduced scalar
				// (RFC 8032 §5.1.7 requires S < L).
				L, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
				sLE := append([]byte{}, good[32:]...)
				reverse(sLE)
				S := new(big.Int).SetBytes(sLE)
				S.Add(S, L)
				if S.BitLen() <= 256 {
					sb := S.FillBytes(make([]byte, 32))
					reverse(sb)
					atks = append(atks, attack{"S+L malleated", raw(append(append([]byte{}, good[:32]...), sb...)), ErrInvalidSignature, "non-canonical S"})
				}
			}
			runAttacks(t, a, raw(good), atks)
		})
	}
}

func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}

// ---- claims ----

func TestAttackClaims(t *testing.T) {
	clk, now := atkClock()
	const lw = 30
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, Claims: ClaimsConfig{DecodeLeeway: lw * time.Second, EncodeIssuer: "https://id.example", DecodeIssuer: "https://id.example", DecodeAudience: []string{"api"}}})
	H := enc(`{"alg":"HS256"}`)
	mk := func(members string) string {
		return hs256(H, enc(`{"sub":"alice","type":"access","iss":"https://id.example",`+members+`}`))
	}
	ok := fmt.Sprintf(`"aud":"api","exp":%d`, now+900)
	aud := `"aud":"api"`
	exp := fmt.Sprintf(`"exp":%d`, now+900)
	atks := []attack{
		// exp at the leeway boundary: refused when now >= exp + leeway
		{"exp = now-leeway", mk(fmt.Sprintf(`%s,"exp":%d`, aud, now-lw)), ErrTokenExpired, "boundary is exclusive"},
		{"exp = now-leeway+1", mk(fmt.Sprintf(`%s,"exp":%d`, aud, now-lw+1)), nil, "last accepted second"},
		{"exp = now-leeway+0.999", mk(fmt.Sprintf(`%s,"exp":%d.999`, aud, now-lw)), ErrTokenExpired, "fractions truncate: never longer than signed"},
		{"nbf = now+leeway", mk(fmt.Sprintf(`%s,%s,"nbf":%d`, aud, exp, now+lw)), nil, "last accepted nbf"},
		{"nbf = now+leeway+1", mk(fmt.Sprintf(`%s,%s,"nbf":%d`, aud, exp, now+lw+1)), ErrTokenNotYetValid, "beyond leeway"},
		{"iat = now+leeway", mk(fmt.Sprintf(`%s,%s,"iat":%d`, aud, exp, now+lw)), nil, "clock skew tolerated"},
		{"iat = now+leeway+1", mk(fmt.Sprintf(`%s,%s,"iat":%d`, aud, exp, now+lw+1)), ErrTokenNotYetValid, "iat in the future"},
		{"iat far future", mk(fmt.Sprintf(`%s,%s,"iat":%d`, aud, exp, now+86400*365)), ErrTokenNotYetValid, "iat in the future"},
		// types
		{"exp string", mk(aud + `,"exp":"9999999999"`), ErrInvalidClaim, "NumericDate is a number"},
		{"exp null", mk(aud + `,"exp":null`), ErrInvalidClaim, "null is not absent"},
		{"exp bool", mk(aud + `,"exp":true`), ErrInvalidClaim, "type"},
		{"exp list", mk(aud + `,"exp":[9999999999]`), ErrInvalidClaim, "type"},
		{"exp object", mk(aud + `,"exp":{"$gt":0}`), ErrInvalidClaim, "type"},
		{"exp negative", mk(aud + `,"exp":-1`), ErrInvalidClaim, "negative"},
		{"exp -0", mk(aud + `,"exp":-0`), ErrInvalidClaim, "negative zero"},
		{"exp huge", mk(aud + `,"exp":1e300`), ErrInvalidClaim, "beyond year 9999"},
		{"exp int64 overflow", mk(aud + `,"exp":99999999999999999999999`), ErrInvalidClaim, "overflow must not wrap"},
		{"exp 2^63", mk(aud + `,"exp":9223372036854775808`), ErrInvalidClaim, "overflow must not wrap"},
		{"exp float in range", mk(aud + fmt.Sprintf(`,"exp":%d.5`, now+100)), nil, "NumericDate may have fractions"},
		{"exp exponent form", mk(aud + `,"exp":2.5e9`), nil, "2500000000 is a valid NumericDate"},
		{"nbf string", mk(ok + `,"nbf":"0"`), ErrInvalidClaim, "type"},
		{"nbf null", mk(ok + `,"nbf":null`), ErrInvalidClaim, "type"},
		{"nbf negative", mk(ok + `,"nbf":-1`), ErrInvalidClaim, "negative"},
		{"iat string", mk(ok + `,"iat":"0"`), ErrInvalidClaim, "type"},
		{"iat huge", mk(ok + `,"iat":1e300`), ErrInvalidClaim, "range"},
		{"missing exp", mk(aud), ErrInvalidClaim, "expiry configured: exp required"},
		// aud
		{"aud list any-of", mk(exp + `,"aud":["x","api"]`), nil, "any-of"},
		{"aud missing", mk(exp), ErrInvalidAudience, "audience configured"},
		{"aud empty list", mk(exp + `,"aud":[]`), ErrInvalidAudience, "no audience"},
		{"aud empty string", mk(exp + `,"aud":""`), ErrInvalidAudience, "no audience"},
		{"aud case", mk(exp + `,"aud":"API"`), ErrInvalidAudience, "exact match"},
		{"aud list with non-string", mk(exp + `,"aud":["api",1]`), ErrInvalidClaim, "list of strings"},
		{"aud number", mk(exp + `,"aud":1`), ErrInvalidClaim, "type"},
		{"aud null", mk(exp + `,"aud":null`), ErrInvalidClaim, "type"},
		{"aud nested list", mk(exp + `,"aud":[["api"]]`), ErrInvalidClaim, "type"},
		{"aud object", mk(exp + `,"aud":{"api":true}`), ErrInvalidClaim, "type"},
		// iss
		{"iss case", hs256(H, enc(`{"sub":"alice","type":"access","iss":"https://ID.example",`+ok+`}`)), ErrInvalidIssuer, "exact match"},
		{"iss trailing slash", hs256(H, enc(`{"sub":"alice","type":"access","iss":"https://id.example/",`+ok+`}`)), ErrInvalidIssuer, "exact match"},
		{"iss missing", hs256(H, enc(`{"sub":"alice","type":"access",`+ok+`}`)), ErrInvalidIssuer, "issuer configured"},
		{"iss list", hs256(H, enc(`{"sub":"alice","type":"access","iss":["https://id.example"],`+ok+`}`)), ErrInvalidClaim, "type"},
		{"iss with NUL", hs256(H, enc(`{"sub":"alice","type":"access","iss":"https://id.example\u0000",`+ok+`}`)), ErrInvalidIssuer, "exact match"},
		// sub and type
		{"sub number", hs256(H, enc(`{"sub":1,"type":"access","iss":"https://id.example",`+ok+`}`)), ErrInvalidClaim, "StringOrURI"},
		{"type number", hs256(H, enc(`{"sub":"a","type":1,"iss":"https://id.example",`+ok+`}`)), ErrInvalidClaim, "type claim must be a string"},
		{"fresh string", mk(ok + `,"fresh":"true"`), ErrInvalidClaim, "boolean"},
		{"roles string grants nothing", mk(ok + `,"roles":"admin"`), nil, "accepted, but not as a role list (see below)"},
	}
	runAttacks(t, a, mk(ok), atks)
	// roles that are not a list of strings grant nothing.
	adm := a.RequireRoles("admin")(echoSub)
	for _, roles := range []string{`"admin"`, `["admin",1]`, `{"admin":true}`, `[["admin"]]`, `["ADMIN"]`} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+mk(ok+`,"roles":`+roles))
		w := httptest.NewRecorder()
		adm.ServeHTTP(w, r)
		if w.Code != 403 {
			t.Errorf("roles %s: status %d, want 403", roles, w.Code)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+mk(ok+`,"roles":["admin"]`))
	w := httptest.NewRecorder()
	adm.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("baseline roles refused: %d", w.Code)
	}
}

// ---- confusion ----

func TestAttackConfusion(t *testing.T) {
	clk, now := atkClock()
	ctx := context.Background()
	shared := strings.Repeat("0123456789abcdef", 4)
	svcA := mustNew(t, Config{Keys: KeyConfig{SecretKey: shared}, Now: clk.Now, Claims: ClaimsConfig{EncodeIssuer: "https://id.example", DecodeIssuer: "https://id.example", DecodeAudience: []string{"svc-a"}}})
	svcB := mustNew(t, Config{Keys: KeyConfig{SecretKey: shared}, Now: clk.Now, Claims: ClaimsConfig{EncodeIssuer: "https://id.example", DecodeIssuer: "https://id.example", DecodeAudience: []string{"svc-b"}}})
	otherIss := mustNew(t, Config{Keys: KeyConfig{SecretKey: shared}, Now: clk.Now, Claims: ClaimsConfig{EncodeIssuer: "https://other.example", DecodeIssuer: "https://other.example", DecodeAudience: []string{"svc-a"}}})
	pair := must(svcA.CreatePair("alice", WithAudience("svc-a")))

	t.Run("refresh as access, access as refresh", func(t *testing.T) {
		atks := []attack{{"refresh token on an access route", pair.RefreshToken, ErrAccessRequired, "RFC 8725 §3.11 explicit typing"}}
		runAttacks(t, svcA, pair.AccessToken, atks)
		rr := svcA.RefreshRequired(echoSub)
		for tok, want := range map[string]int{pair.RefreshToken: 200, pair.AccessToken: 401} {
			r := httptest.NewRequest("POST", "/refresh", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			rr.ServeHTTP(w, r)
			if w.Code != want {
				t.Errorf("refresh route: %d, want %d", w.Code, want)
			}
		}
		if _, err := svcA.Verify(ctx, pair.AccessToken, Requirement{Refresh: true}); !errors.Is(err, ErrRefreshRequired) {
			t.Errorf("access as refresh: %v", err)
		}
	})
	t.Run("another service, same key", func(t *testing.T) {
		tokB := must(svcB.CreateAccessToken("alice", WithAudience("svc-b")))
		tokNoAud := must(svcA.CreateAccessToken("alice"))
		runAttacks(t, svcA, pair.AccessToken, []attack{
			{"token for svc-b", tokB, ErrInvalidAudience, "RFC 8725 §3.9: audience"},
			{"token without aud", tokNoAud, ErrInvalidAudience, "audience configured"},
		})
		runAttacks(t, svcB, tokB, []attack{{"token for svc-a", pair.AccessToken, ErrInvalidAudience, "audience"}})
	})
	t.Run("another issuer, same key", func(t *testing.T) {
		tokO := must(otherIss.CreateAccessToken("alice", WithAudience("svc-a")))
		runAttacks(t, svcA, pair.AccessToken, []attack{{"token from other issuer", tokO, ErrInvalidIssuer, "RFC 8725 §3.8"}})
	})
	t.Run("OpenID Connect ID token as access token", func(t *testing.T) {
		// An ID token from the same issuer and key: aud is the client id,
		// nonce and at_hash present, no typ header, no type claim.
		id := macToken(sha256.New, []byte(shared), enc(`{"alg":"HS256"}`), enc(fmt.Sprintf(
			`{"iss":"https://id.example","sub":"alice","aud":"svc-a","exp":%d,"iat":%d,"auth_time":%d,"nonce":"n-0S6_WzA2Mj","at_hash":"77QmUPtjPfzWtF2AnpK9RQ","azp":"svc-a"}`,
			now+600, now, now)))
		idTyped := macToken(sha256.New, []byte(shared), enc(`{"alg":"HS256","typ":"JWT"}`), enc(fmt.Sprintf(
			`{"iss":"https://id.example","sub":"alice","aud":"svc-a","exp":%d,"iat":%d,"nonce":"n","type":"id"}`, now+600, now)))
		runAttacks(t, svcA, pair.AccessToken, []attack{
			{"ID token (no type claim)", id, ErrAccessRequired, "no access type claim"},
			{"ID token with another type value", idTyped, ErrAccessRequired, "type is not access"},
		})
	})
	t.Run("ID token with the type claim off", func(t *testing.T) {
		// TypeClaim.Skip removes explicit typing (BCP §3.11), so the
		// ID-token markers are all that tell an ID token from an access
		// token: they must be refused as for trusted issuers.
		noType := mustNew(t, Config{Keys: KeyConfig{SecretKey: shared}, Now: clk.Now, TypeClaim: TypeClaimConfig{Skip: true}, Claims: ClaimsConfig{EncodeIssuer: "https://id.example", DecodeIssuer: "https://id.example", DecodeAudience: []string{"svc-a"}}})
		idTok := func(marker string) string {
			return macToken(sha256.New, []byte(shared), enc(`{"alg":"HS256"}`), enc(fmt.Sprintf(
				`{"iss":"https://id.example","sub":"alice","aud":"svc-a","exp":%d,"iat":%d%s}`, now+600, now, marker)))
		}
		runAttacks(t, noType, idTok(""), []attack{
			{"nonce", idTok(`,"nonce":"n-0S6_WzA2Mj"`), ErrIDTokenRefused, "OIDC ID token"},
			{"at_hash", idTok(`,"at_hash":"77QmUPtjPfzWtF2AnpK9RQ"`), ErrIDTokenRefused, "OIDC ID token"},
			{"c_hash", idTok(`,"c_hash":"LDktKdoQak3Pk0cnXxCltA"`), ErrIDTokenRefused, "OIDC ID token"},
		})
	})
}

// ---- revocation ----

// TestAttackRevocation: revocation is keyed on verified claims (jti,
// family, subject), never on the token's bytes, so re-spelling a revoked
// token, or re-signing it with a different valid signature (ECDSA high-s),
// does not bring it back.
func TestAttackRevocation(t *testing.T) {
	testKeys()
	clk, _ := atkClock()
	ctx := context.Background()
	for _, alg := range []string{"HS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			cfg := Config{Keys: KeyConfig{Algorithm: alg}, Now: clk.Now, Revocation: RevocationConfig{Enabled: true, Store: revoke.NewMemory()}}
			if alg == "HS256" {
				cfg.Keys.SecretKey = testSecret
			} else {
				cfg.Keys.PrivateKey = privPEM(t, ecKey256)
			}
			a := mustNew(t, cfg)
			revoked := must(a.CreateAccessToken("alice"))
			live := must(a.CreateAccessToken("alice"))
			vt, err := a.Verify(ctx, revoked, Requirement{})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Revoke(ctx, vt); err != nil {
				t.Fatal(err)
			}
			p := strings.Split(revoked, ".")
			variants := []attack{
				{"as issued", revoked, ErrTokenRevoked, "revoked"},
				{"padding appended", revoked + "=", ErrMalformedToken, "padding"},
				{"CRLF in signature", p[0] + "." + p[1] + "." + p[2][:8] + "\r\n" + p[2][8:], ErrMalformedToken, "line break"},
				{"non-canonical last char", p[0] + "." + p[1] + "." + flipLowBit(p[2]), ErrMalformedToken, "trailing bits"},
			}
			if std := strings.NewReplacer("-", "+", "_", "/").Replace(p[1] + "." + p[2]); std != p[1]+"."+p[2] {
				variants = append(variants, attack{"standard alphabet", p[0] + "." + std, ErrMalformedToken, "alphabet"})
			}
			if alg == "ES256" {
				twin := highS(t, p[2])
				variants = append(variants, attack{"high-s twin signature", p[0] + "." + p[1] + "." + twin, ErrTokenRevoked, "a different valid signature: still revoked"})
				// The twin of a live token is accepted: the refusal above is
				// the revocation, not the signature.
				lp := strings.Split(live, ".")
				variants = append(variants, attack{"high-s twin of a live token", lp[0] + "." + lp[1] + "." + highS(t, lp[2]), nil, "valid signature"})
			}
			runAttacks(t, a, live, variants)
			// Revoking the family revokes the sibling refresh token; re-spelled
			// or not, and revoking a subject refuses its older tokens.
			pair := must(a.CreatePair("bob"))
			at, _ := a.Verify(ctx, pair.AccessToken, Requirement{})
			if err := a.RevokeFamily(ctx, at); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Verify(ctx, pair.RefreshToken, Requirement{Refresh: true}); !errors.Is(err, ErrTokenRevoked) {
				t.Errorf("family sibling: %v", err)
			}
			carol := must(a.CreateAccessToken("carol"))
			if err := a.RevokeSubject(ctx, "", "carol"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Verify(ctx, carol, Requirement{}); !errors.Is(err, ErrTokenRevoked) {
				t.Errorf("subject revoked: %v", err)
			}
		})
	}
}

// TestAttackRevocationBypass: the ways a revoked token came back to life
// (issue 15: revocation must never be weaker than acceptance). Each row is
// an attacker replaying a token its owner revoked.
func TestAttackRevocationBypass(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T, cfg Config) (*Auth, *clock) {
		clk, _ := atkClock()
		cfg.Keys.SecretKey, cfg.Now = testSecret, clk.Now
		if cfg.Revocation.Store == nil {
			cfg.Revocation.Store = revoke.NewMemory(revoke.WithClock(clk.Now), revoke.WithSweepInterval(0))
		}
		return mustNew(t, cfg), clk
	}
	t.Run("replay in the leeway after exp", func(t *testing.T) {
		for _, refresh := range []bool{false, true} {
			a, clk := setup(t, Config{Claims: ClaimsConfig{DecodeLeeway: 2 * time.Second}, Expiry: ExpiryConfig{Access: time.Minute, Refresh: time.Minute}})
			p := must(a.CreatePair("alice"))
			raw, req := p.AccessToken, Requirement{}
			if refresh {
				raw, req = p.RefreshToken, Requirement{Refresh: true}
			}
			tok := must(a.Verify(ctx, raw, req))
			if err := a.Revoke(ctx, tok); err != nil {
				t.Fatal(err)
			}
			for _, at := range []time.Duration{0, time.Minute, time.Minute + 1999*time.Millisecond} {
				clk.Add(at)
				if _, err := a.Verify(ctx, raw, req); !errors.Is(err, ErrTokenRevoked) {
					t.Errorf("refresh=%v, %v after issue: %v, want revoked", refresh, at, err)
				}
				clk.Add(-at)
			}
		}
	})
	t.Run("store configured without Revocation.Enabled", func(t *testing.T) {
		a, _ := setup(t, Config{})
		tok := must(a.Verify(ctx, must(a.CreateAccessToken("alice")), Requirement{}))
		if err := a.Revoke(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Verify(ctx, tok.Raw(), Requirement{}); !errors.Is(err, ErrTokenRevoked) {
			t.Errorf("revoked token with Config{Revocation.Store: …}: %v", err)
		}
	})
	t.Run("token minted in the same millisecond as log out everywhere", func(t *testing.T) {
		// A stolen refresh token used at the very moment of the logout: its
		// successor, minted at the cutoff's instant, is refused; the
		// owner's login after RevokeSubject returns works.
		a, clk := setup(t, Config{})
		stolen := must(a.CreatePair("alice"))
		if err := a.RevokeSubject(ctx, "", "alice"); err != nil {
			t.Fatal(err)
		}
		same := must(a.CreatePair("alice")) // the test clock did not move: the cutoff's millisecond
		clk.Add(time.Millisecond)
		login := must(a.CreatePair("alice"))
		for _, raw := range []string{stolen.AccessToken, same.AccessToken} {
			if _, err := a.Verify(ctx, raw, Requirement{}); !errors.Is(err, ErrTokenRevoked) {
				t.Errorf("token issued by the cutoff: %v, want revoked", err)
			}
		}
		if _, err := a.Verify(ctx, login.AccessToken, Requirement{}); err != nil {
			t.Errorf("login after log out everywhere: %v", err)
		}
	})
	t.Run("replays within the reuse grace window", func(t *testing.T) {
		// A stolen refresh token replayed within Revocation.ReuseGrace, over
		// and over: every replay gets the one successor of the family (no
		// forked chain outlives the family), revoking the family ends all
		// of them, and a replay after the window is reuse.
		a, clk := setup(t, Config{Revocation: RevocationConfig{Rotation: true, ReuseGrace: 10 * time.Second}})
		p := must(a.CreatePair("alice"))
		stolen := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
		var got []Pair
		for range 8 {
			np, err := a.Rotate(ctx, stolen)
			if err != nil {
				t.Fatalf("replay within the window: %v", err)
			}
			got = append(got, np)
			clk.Add(time.Second)
		}
		for i, np := range got {
			if np.RefreshToken != got[0].RefreshToken || np.AccessToken != got[0].AccessToken {
				t.Fatalf("replay %d got another pair than the first: the session forked", i)
			}
			if f := must(a.Verify(ctx, np.RefreshToken, Requirement{Refresh: true})).Family(); f != stolen.Family() {
				t.Fatalf("replay %d left the family: %q, want %q", i, f, stolen.Family())
			}
		}
		clk.Add(3 * time.Second) // past the grace window of the first use
		if _, err := a.Rotate(ctx, stolen); !errors.Is(err, ErrRefreshReuse) {
			t.Fatalf("replay after the window: %v, want ErrRefreshReuse", err)
		}
		for _, raw := range []string{got[0].AccessToken, got[0].RefreshToken} {
			if _, err := a.Verify(ctx, raw, Requirement{Refresh: raw == got[0].RefreshToken}); !errors.Is(err, ErrTokenRevoked) {
				t.Errorf("a successor after the reuse revoked the family: %v, want revoked", err)
			}
		}
	})
	t.Run("revocation of an unchecked type reports success", func(t *testing.T) {
		a, _ := setup(t, Config{Revocation: RevocationConfig{Checks: []string{TypeAccess}}})
		rt := must(a.Verify(ctx, must(a.CreateRefreshToken("alice")), Requirement{Refresh: true}))
		if err := a.Revoke(ctx, rt); !errors.Is(err, ErrRevocationDisabled) {
			t.Errorf("Revoke of an unchecked refresh token = %v, want ErrRevocationDisabled", err)
		}
	})
}

func flipLowBit(s string) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alpha, s[len(s)-1])
	return s[:len(s)-1] + string(alpha[i^1])
}

// highS returns the P-256 signature (r, N-s) for the encoded signature seg.
func highS(t *testing.T, seg string) string {
	sig, err := b64.DecodeString(seg)
	if err != nil || len(sig) != 64 {
		t.Fatalf("bad ES256 signature %q", seg)
	}
	N := elliptic.P256().Params().N
	s := new(big.Int).SetBytes(sig[32:])
	out := append([]byte{}, sig[:32]...)
	out = append(out, new(big.Int).Sub(N, s).FillBytes(make([]byte, 32))...)
	return b64.EncodeToString(out)
}

// ---- cookies and CSRF ----

// TestAttackCookies runs the cookie and CSRF families through the real
// middleware: every variant is a POST that would succeed with the right
// cookie and CSRF header (the baseline), with one thing changed.
func TestAttackCookies(t *testing.T) {
	a, _ := cookieAuth(t, Config{})
	headerOnly := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: newClock().Now})
	alice := must(a.CreateAccessToken("alice"))
	bob := must(a.CreateAccessToken("bob"))
	aliceCSRF := claimOf(t, alice, "csrf").(string)
	bobCSRF := claimOf(t, bob, "csrf").(string)
	noClaim := must(headerOnly.CreateAccessToken("alice")) // same key, no csrf claim
	if _, ok := decodePart(t, noClaim, 1)["csrf"]; ok {
		t.Fatal("setup: header-only token carries a csrf claim")
	}
	const tokName, csrfName = "__Host-access_token", "__Host-csrf_access"
	var reached atomic.Int32
	h := a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	type req struct {
		method  string
		cookies [][2]string
		hdr     map[string][]string
		target  string
	}
	run := func(q req) int {
		target := q.target
		if target == "" {
			target = "https://example.com/api"
		}
		r := httptest.NewRequest(q.method, target, nil)
		for _, c := range q.cookies {
			r.AddCookie(&http.Cookie{Name: c[0], Value: c[1]})
		}
		for k, v := range q.hdr {
			r.Header[http.CanonicalHeaderKey(k)] = v
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	good := func() req {
		return req{method: "POST", cookies: [][2]string{{tokName, alice}, {csrfName, aliceCSRF}},
			hdr: map[string][]string{"X-CSRF-Token": {aliceCSRF}, "Sec-Fetch-Site": {"same-origin"}, "Origin": {"https://example.com"}}}
	}
	if code := run(good()); code != 200 || reached.Load() != 1 {
		t.Fatalf("baseline refused: %d", code)
	}
	with := func(f func(*req)) req { q := good(); f(&q); return q }
	cases := []struct {
		name string
		q    req
		want int
		why  string
	}{
		{"tossed CSRF cookie and matching header", with(func(q *req) {
			q.cookies = [][2]string{{tokName, alice}, {csrfName, "attacker"}}
			q.hdr["X-CSRF-Token"] = []string{"attacker"}
		}), 403, "header compared with the signed claim, never the cookie"},
		{"two CSRF cookies, header matches the tossed one", with(func(q *req) {
			q.cookies = append(q.cookies, [2]string{csrfName, "attacker"})
			q.hdr["X-CSRF-Token"] = []string{"attacker"}
		}), 403, "cookie tossing"},
		{"no CSRF header", with(func(q *req) { delete(q.hdr, "X-CSRF-Token") }), 403, "double submit required"},
		{"empty CSRF header", with(func(q *req) { q.hdr["X-CSRF-Token"] = []string{""} }), 403, "empty is missing"},
		{"empty header, token without claim", with(func(q *req) {
			q.cookies = [][2]string{{tokName, noClaim}}
			q.hdr["X-CSRF-Token"] = []string{""}
		}), 403, "\"\" must not equal a missing claim"},
		{"header, token without claim", with(func(q *req) {
			q.cookies = [][2]string{{tokName, noClaim}}
			q.hdr["X-CSRF-Token"] = []string{"anything"}
		}), 403, "no claim: nothing to compare with"},
		{"alice's cookie, bob's CSRF", with(func(q *req) { q.hdr["X-CSRF-Token"] = []string{bobCSRF} }), 403, "CSRF is bound to the token"},
		{"bob's cookie, alice's CSRF", with(func(q *req) { q.cookies = [][2]string{{tokName, bob}, {csrfName, aliceCSRF}} }), 403, "CSRF is bound to the token"},
		{"CSRF header with case-changed value", with(func(q *req) { q.hdr["X-CSRF-Token"] = []string{strings.ToUpper(aliceCSRF)} }), 403, "exact comparison"},
		{"CSRF value as a prefix", with(func(q *req) { q.hdr["X-CSRF-Token"] = []string{aliceCSRF[:len(aliceCSRF)-1]} }), 403, "exact comparison"},
		{"duplicate token cookie", with(func(q *req) { q.cookies = append(q.cookies, [2]string{tokName, bob}) }), 401, "refuse rather than guess"},
		{"duplicate identical token cookie", with(func(q *req) { q.cookies = append(q.cookies, [2]string{tokName, alice}) }), 401, "refuse rather than guess"},
		{"method override GET", with(func(q *req) { delete(q.hdr, "X-CSRF-Token"); q.hdr["X-HTTP-Method-Override"] = []string{"GET"} }), 403, "override headers change nothing"},
		{"X-HTTP-Method GET", with(func(q *req) { delete(q.hdr, "X-CSRF-Token"); q.hdr["X-HTTP-Method"] = []string{"GET"} }), 403, "override headers change nothing"},
		{"X-Method-Override GET", with(func(q *req) { delete(q.hdr, "X-CSRF-Token"); q.hdr["X-Method-Override"] = []string{"GET"} }), 403, "override headers change nothing"},
		{"_method=GET query", with(func(q *req) { delete(q.hdr, "X-CSRF-Token"); q.target = "https://example.com/api?_method=GET" }), 403, "override parameters change nothing"},
		{"lower-case method", with(func(q *req) { delete(q.hdr, "X-CSRF-Token"); q.method = "post" }), 403, "methods compared upper-cased"},
		{"Sec-Fetch-Site cross-site", with(func(q *req) { q.hdr["Sec-Fetch-Site"] = []string{"cross-site"} }), 403, "cross-origin protection, even with a valid CSRF value"},
		{"Sec-Fetch-Site same-site", with(func(q *req) { q.hdr["Sec-Fetch-Site"] = []string{"same-site"} }), 403, "a sibling subdomain is another origin"},
		{"old browser, Origin evil", with(func(q *req) { delete(q.hdr, "Sec-Fetch-Site"); q.hdr["Origin"] = []string{"https://evil.example"} }), 403, "Origin must match Host"},
		{"old browser, Origin null", with(func(q *req) { delete(q.hdr, "Sec-Fetch-Site"); q.hdr["Origin"] = []string{"null"} }), 403, "sandboxed or file origin"},
		{"old browser, Origin other port", with(func(q *req) { delete(q.hdr, "Sec-Fetch-Site"); q.hdr["Origin"] = []string{"https://example.com:8443"} }), 403, "port is part of the origin"},
		{"old browser, Origin sibling", with(func(q *req) { delete(q.hdr, "Sec-Fetch-Site"); q.hdr["Origin"] = []string{"https://evil.example.com"} }), 403, "subdomain"},
		{"cross-site GET is a safe method", with(func(q *req) {
			q.method = "GET"
			delete(q.hdr, "X-CSRF-Token")
			q.hdr["Sec-Fetch-Site"] = []string{"cross-site"}
		}), 200, "GET needs neither (SameSite=Lax cookies; GET must not change state)"},
		{"old browser, Origin matches", with(func(q *req) { delete(q.hdr, "Sec-Fetch-Site") }), 200, "same origin"},
	}
	for _, name := range []string{"__host-access_token", "__Host-Access_Token", "access_token", "__Secure-access_token", "__Host-access-token", "__Host-access_token_", "_Host-access_token", "__Host-csrf_access"} {
		cases = append(cases, struct {
			name string
			q    req
			want int
			why  string
		}{"look-alike cookie " + name, with(func(q *req) { q.cookies = [][2]string{{name, alice}, {csrfName, aliceCSRF}} }), 401, "only the exact cookie name is read"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := reached.Load()
			code := run(c.q)
			if code != c.want {
				t.Fatalf("status %d, want %d (%s)", code, c.want, c.why)
			}
			if (code == 200) != (reached.Load() == before+1) {
				t.Fatal("handler reach does not match the status")
			}
		})
	}
}

// TestAttackTrustedIssuerConfusion: with a third-party issuer trusted
// beside our own tokens, its OpenID Connect ID tokens are refused as
// access tokens, and the token's iss selects the keys: a token claiming
// the third party's issuer but signed with our own secret, or with
// another key, is refused (keys never cross issuers).
func TestAttackTrustedIssuerConfusion(t *testing.T) {
	testKeys()
	clk, now := atkClock()
	k, err := keys.NewVerifyKey("RS256", rsaKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	const iss = "https://idp.example"
	a := mustNew(t, Config{
		Keys:           KeyConfig{SecretKey: testSecret},
		Now:            clk.Now,
		Logger:         discardLogger(),
		TrustedIssuers: []TrustedIssuer{{Issuer: iss, Audience: []string{"api"}, Algorithms: []string{"RS256"}, Keys: staticKeys{k}}},
	})
	hdr := `{"alg":"RS256","typ":"JWT","kid":"` + k.KID + `"}`
	claims := func(extra string) string {
		return fmt.Sprintf(`{"iss":"%s","sub":"alice","aud":"api","exp":%d,"iat":%d%s}`, iss, now+600, now, extra)
	}
	base := signedToken(t, "RS256", rsaKey, hdr, claims(""))
	runAttacks(t, a, base, []attack{
		{"ID token with nonce", signedToken(t, "RS256", rsaKey, hdr, claims(`,"nonce":"n-0S6_WzA2Mj"`)), ErrIDTokenRefused, "OIDC ID token is not an access token"},
		{"ID token with at_hash", signedToken(t, "RS256", rsaKey, hdr, claims(`,"at_hash":"77QmUPtjPfzWtF2AnpK9RQ"`)), ErrIDTokenRefused, "OIDC ID token"},
		{"ID token with c_hash", signedToken(t, "RS256", rsaKey, hdr, claims(`,"c_hash":"LDktKdoQak3Pk0cnXxCltA"`)), ErrIDTokenRefused, "OIDC ID token"},
		{"other audience", signedToken(t, "RS256", rsaKey, hdr, strings.Replace(claims(""), `"aud":"api"`, `"aud":"other"`, 1)), ErrInvalidAudience, "audience of the third party"},
		{"third-party iss, our HMAC secret", hs256(enc(`{"alg":"HS256"}`), enc(claims(`,"type":"access"`))), ErrInvalidAlgorithm, "keys never cross issuers"},
		{"third-party iss, another RSA key", signedToken(t, "RS256", rsaKey2, hdr, claims("")), ErrInvalidSignature, "only the issuer's keys"},
		{"our iss, third-party key", signedToken(t, "RS256", rsaKey, hdr, fmt.Sprintf(`{"sub":"alice","exp":%d,"type":"access"}`, now+600)), ErrInvalidAlgorithm, "our tokens use our algorithm and key"},
	})
}

// TestExtraDotsRefusedAsBySplit: every token with more than two dots is
// refused with jws.Split's own error before anything else is said about it,
// even one whose signature is valid over everything before its last dot,
// under an own or a foreign header, with or without the type claim, and
// with the verification cache on.
func TestExtraDotsRefusedAsBySplit(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	good := must(a.CreateAccessToken("alice"))
	p := strings.Split(good, ".")
	foreign := enc(`{"alg":"HS256","kid":"k1"}`)
	toks := []string{
		hs256(p[0], p[1]+"."+p[1]),     // valid HMAC over H.P.P
		hs256(p[0], p[1]+".x"),         // valid HMAC, short extra segment
		hs256(p[0]+"."+p[0], p[1]),     // extra dot in the header part
		hs256(foreign, p[1]+"."+p[1]),  // foreign header
		hs256(p[0], p[1]+".."),         // empty segments inside
		good + ".x", good + "." + p[2], // trailing segments
		p[0] + "." + p[1] + "." + p[1] + ".a.b", // JWE-like
		p[0] + ".." + p[1] + "." + p[2],
		"a.b.c.d",
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{
		{Keys: KeyConfig{SecretKey: testSecret}},
		{Keys: KeyConfig{SecretKey: testSecret}, TypeClaim: TypeClaimConfig{Skip: true}},
		{Keys: KeyConfig{PrivateKey: privPEM(t, ec), Algorithm: "ES256"}, VerifyCacheSize: 64},
	} {
		a := mustNew(t, cfg)
		for _, tok := range toks {
			_, serr := jws.Split(tok, a.maxSize)
			if serr == nil {
				t.Fatalf("%q: jws.Split accepted it", tok)
			}
			want := AsError(a.codecError(serr, tok, nil))
			_, err := a.Verify(context.Background(), tok, Requirement{})
			if e := AsError(err); e == nil || e.Code != want.Code || e.Error() != want.Error() {
				t.Errorf("Verify(%q) = %v, want %v", tok, err, want)
			}
		}
	}
}

// TestAttackKeyFetchRedirect: a trusted provider (or whoever controls its
// responses) redirects discovery or the JWK Set to plain http, where the
// attacker serves a discovery document naming the provider and a key set
// of the attacker's key. No hop leaves https, so the attacker's token
// never verifies: without keys the provider's tokens get 503, never 200.
// The same provider redirecting over https to its own keys works.
func TestAttackKeyFetchRedirect(t *testing.T) {
	testKeys()
	evilKey := must(keys.NewSigningKey("RS256", rsaKey2))
	evilSet := keys.NewSet()
	must(evilSet.AddSigner(evilKey))
	goodKey := must(keys.NewSigningKey("RS256", rsaKey))
	goodSet := keys.NewSet()
	must(goodSet.AddSigner(goodKey))

	var providerURL, evilTLSURL string
	// The attacker's servers: TLS for the key set, plain http for the
	// discovery document the redirect lands on.
	evilMux := http.NewServeMux()
	evilMux.Handle("/jwks", keys.Handler(evilSet))
	evilMux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"issuer": providerURL, "jwks_uri": evilTLSURL + "/jwks"})
	})
	evilTLS := httptest.NewTLSServer(evilMux)
	defer evilTLS.Close()
	evilTLSURL = evilTLS.URL
	evilHTTP := httptest.NewServer(evilMux)
	defer evilHTTP.Close()
	// Its own keys, over https, elsewhere.
	goodTLS := httptest.NewTLSServer(keys.Handler(goodSet))
	defer goodTLS.Close()

	for _, c := range []struct {
		name     string
		jwksURL  bool   // configure JWKSURL instead of discovery
		to       string // where the provider redirects
		attacker bool   // whose key verifies afterwards
	}{
		{"discovery redirected to http", false, evilHTTP.URL, true},
		{"JWKS redirected to http", true, evilHTTP.URL, true},
		{"JWKS redirected over https", true, goodTLS.URL, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			provider := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				to := c.to + r.URL.Path
				if c.to == goodTLS.URL {
					to = c.to
				}
				http.Redirect(w, r, to, http.StatusFound)
			}))
			defer provider.Close()
			providerURL = provider.URL
			ti := TrustedIssuer{Issuer: provider.URL, Audience: []string{"api"}, HTTPClient: provider.Client()}
			if c.jwksURL {
				ti.JWKSURL = provider.URL + "/jwks"
			}
			a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Logger: discardLogger(), TrustedIssuers: []TrustedIssuer{ti}})
			defer a.Close()
			now := time.Now().Unix()
			payload := fmt.Sprintf(`{"iss":%q,"sub":"mallory","aud":"api","exp":%d,"iat":%d,"roles":["admin"]}`, provider.URL, now+600, now)
			evilTok := signedToken(t, "RS256", rsaKey2, `{"alg":"RS256","typ":"JWT","kid":"`+evilKey.KID+`"}`, payload)
			goodTok := signedToken(t, "RS256", rsaKey, `{"alg":"RS256","typ":"JWT","kid":"`+goodKey.KID+`"}`, payload)
			_, evilErr := a.Verify(context.Background(), evilTok, Requirement{})
			_, goodErr := a.Verify(context.Background(), goodTok, Requirement{})
			if c.attacker {
				if !errors.Is(evilErr, ErrKeysUnavailable) || !errors.Is(goodErr, ErrKeysUnavailable) {
					t.Fatalf("attacker's token: %v, provider's token: %v; want keys_unavailable for both", evilErr, goodErr)
				}
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Authorization", "Bearer "+evilTok)
				w := httptest.NewRecorder()
				a.Required(echoSub).ServeHTTP(w, r)
				if w.Code != 503 {
					t.Fatalf("middleware: %d, want 503", w.Code)
				}
				return
			}
			if goodErr != nil || !errors.Is(evilErr, ErrInvalidKID) {
				t.Fatalf("provider's token: %v, attacker's token: %v", goodErr, evilErr)
			}
		})
	}
}

// TestAttackUntrustedIssuer: with trusted issuers configured, a token's
// iss chooses its verifier before its algorithm or any key is looked at.
// A token of an untrusted or mistyped issuer (a trailing slash missing or
// added, another case, another tenant) is refused as an untrusted issuer,
// whatever its algorithm, and not as a bad algorithm of our own; no
// request reaches the provider for it. Tokens without iss or with our own
// issuer (Claims.DecodeIssuer, or Claims.EncodeIssuer without it) stay ours.
func TestAttackUntrustedIssuer(t *testing.T) {
	testKeys()
	clk, now := atkClock()
	k := must(keys.NewVerifyKey("RS256", rsaKey.Public()))
	const iss = "https://tenant.eu.auth0.com/"
	var src countingKeys
	src.keys = staticKeys{k}
	hdr := `{"alg":"RS256","typ":"JWT","kid":"` + k.KID + `"}`
	provider := func(issuer string) string {
		return signedToken(t, "RS256", rsaKey, hdr, fmt.Sprintf(`{"iss":%q,"sub":"alice","aud":"api","exp":%d}`, issuer, now+600))
	}
	ours := func(issuer string) string {
		p := fmt.Sprintf(`{"sub":"alice","exp":%d,"type":"access"`, now+600)
		if issuer != "" {
			p += fmt.Sprintf(`,"iss":%q`, issuer)
		}
		return hs256(enc(`{"alg":"HS256","typ":"JWT"}`), enc(p+"}"))
	}
	for _, c := range []struct {
		name      string
		own       Config // our issuer settings
		ownIssuer string
	}{
		{"Claims.DecodeIssuer", Config{Claims: ClaimsConfig{DecodeIssuer: "https://api.example", EncodeIssuer: "https://api.example"}}, "https://api.example"},
		{"EncodeIssuer only", Config{Claims: ClaimsConfig{EncodeIssuer: "https://api.example"}}, "https://api.example"},
		{"no issuer of our own", Config{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.own
			cfg.Keys.SecretKey, cfg.Now, cfg.Logger = testSecret, clk.Now, discardLogger()
			cfg.TrustedIssuers = []TrustedIssuer{{Issuer: iss, Audience: []string{"api"}, Keys: &src}}
			a := mustNew(t, cfg)
			atks := []attack{
				{"missing trailing slash", provider(strings.TrimSuffix(iss, "/")), ErrUntrustedIssuer, "a mistyped issuer is untrusted, not a bad algorithm"},
				{"extra trailing slash", provider(iss + "/"), ErrUntrustedIssuer, "compared exactly"},
				{"other case", provider(strings.ToUpper(iss)), ErrUntrustedIssuer, "compared exactly"},
				{"other tenant", provider("https://evil.eu.auth0.com/"), ErrUntrustedIssuer, "not trusted"},
				{"empty iss", provider(""), ErrUntrustedIssuer, "an empty iss is an issuer nobody trusts"},
				{"untrusted iss, our HMAC secret", ours("https://evil.example"), ErrUntrustedIssuer, "the issuer decides before our keys are tried"},
			}
			if c.own.Claims.DecodeIssuer != "" {
				atks = append(atks, attack{"our own token without iss", ours(""), ErrInvalidIssuer, "a token without iss is ours, and our rules want our iss"})
			} else {
				atks = append(atks, attack{"our own token without iss", ours(""), nil, "a token without iss is ours"})
			}
			if c.ownIssuer != "" {
				atks = append(atks, attack{"our own token with our iss", ours(c.ownIssuer), nil, "our issuer is ours"})
			}
			before := src.lookups.Load()
			runAttacks(t, a, provider(iss), atks)
			if n := src.lookups.Load() - before; n != 2 {
				t.Fatalf("%d key lookups, want 2 (the baseline through Verify and the middleware): an untrusted issuer's token reached the provider's keys", n)
			}
		})
	}
}

// countingKeys is a KeySource that counts its lookups.
type countingKeys struct {
	keys    staticKeys
	lookups atomic.Int32
}

func (c *countingKeys) Keys() []keys.Key { c.lookups.Add(1); return c.keys.Keys() }
func (c *countingKeys) Lookup(ctx context.Context, kid string) (keys.Key, error) {
	c.lookups.Add(1)
	return c.keys.Lookup(ctx, kid)
}

// TestAttackProviderTokenTypes: a trusted provider signs more than access
// tokens with the same key, for the same audience: logout tokens, security
// event tokens, DPoP proofs, ID tokens. Explicit typing (RFC 8725 §3.11,
// RFC 9068 §2.1) refuses every typ but at+jwt (any case, with or without
// "application/", RFC 7515 §4.1.9) and, unless RequireAtJWT, "JWT" or no
// typ; a security event token is refused by its "events" claim even
// without a typ. With RequireAtJWT, ID tokens are refused by their type
// alone, nonce or not.
func TestAttackProviderTokenTypes(t *testing.T) {
	testKeys()
	clk, now := atkClock()
	k := must(keys.NewVerifyKey("RS256", rsaKey.Public()))
	const iss = "https://idp.example"
	claims := func(extra string) string {
		return fmt.Sprintf(`{"iss":"%s","sub":"alice","aud":"api","exp":%d,"iat":%d%s}`, iss, now+600, now, extra)
	}
	typed := func(typ, extra string) string {
		hdr := `{"alg":"RS256","kid":"` + k.KID + `"`
		if typ != "-" {
			hdr += `,"typ":` + typ
		}
		return signedToken(t, "RS256", rsaKey, hdr+"}", claims(extra))
	}
	const events = `,"events":{"http://schemas.openid.net/event/backchannel-logout":{}}`
	always := []attack{
		{"at+jwt", typed(`"at+jwt"`, ""), nil, "RFC 9068 access token"},
		{"AT+JWT", typed(`"AT+JWT"`, ""), nil, "media types are case-insensitive"},
		{"application/at+jwt", typed(`"application/at+jwt"`, ""), nil, "the prefix is optional"},
		{"Application/At+Jwt", typed(`"Application/At+Jwt"`, ""), nil, "in any case"},
		{"escaped at+jwt", typed(`"at\u002bjwt"`, ""), nil, "compared after unescaping"},
		{"logout+jwt", typed(`"logout+jwt"`, events), ErrAccessRequired, "OpenID Connect back-channel logout token"},
		{"application/logout+jwt", typed(`"application/logout+jwt"`, events), ErrAccessRequired, "logout token"},
		{"secevent+jwt", typed(`"secevent+jwt"`, events), ErrAccessRequired, "RFC 8417 security event token"},
		{"dpop+jwt", typed(`"dpop+jwt"`, `,"htm":"GET","htu":"https://api.example/"`), ErrAccessRequired, "RFC 9449 DPoP proof"},
		{"token-introspection+jwt", typed(`"token-introspection+jwt"`, ""), ErrAccessRequired, "RFC 9701 introspection response"},
		{"JOSE", typed(`"JOSE"`, ""), ErrAccessRequired, "not an access token's type"},
		{"empty typ", typed(`""`, ""), ErrAccessRequired, "an explicit type that says nothing"},
		{"at+jwt with a space", typed(`"at+jwt "`, ""), ErrAccessRequired, "exact media type"},
		{"at+jwt with a parameter", typed(`"at+jwt; charset=utf-8"`, ""), ErrAccessRequired, "exact media type"},
		{"other prefix", typed(`"text/at+jwt"`, ""), ErrAccessRequired, "only application/ is implied"},
		{"prefix only", typed(`"application/"`, ""), ErrAccessRequired, "no type"},
		{"logout token without typ", typed("-", events), ErrAccessRequired, "its events claim says what it is"},
		{"logout token typed JWT", typed(`"JWT"`, events), ErrAccessRequired, "its events claim says what it is"},
		{"at+jwt ID token with nonce", typed(`"at+jwt"`, `,"nonce":"n-0S6_WzA2Mj"`), ErrIDTokenRefused, "nonce is an ID token's"},
	}
	for _, c := range []struct {
		name   string
		strict bool
		rows   []attack
	}{
		{"default", false, []attack{
			{"JWT", typed(`"JWT"`, ""), nil, "Auth0, Entra ID, Keycloak send JWT"},
			{"jwt", typed(`"jwt"`, ""), nil, "in any case"},
			{"application/jwt", typed(`"application/jwt"`, ""), nil, "the prefix is optional"},
			{"no typ", typed("-", ""), nil, "Okta sends none"},
			{"ID token typed JWT with nonce", typed(`"JWT"`, `,"nonce":"n-0S6_WzA2Mj"`), ErrIDTokenRefused, "refused by its claims"},
			{"ID token without typ with at_hash", typed("-", `,"at_hash":"77QmUPtjPfzWtF2AnpK9RQ"`), ErrIDTokenRefused, "refused by its claims"},
		}},
		{"RequireAtJWT", true, []attack{
			{"JWT", typed(`"JWT"`, ""), ErrAccessRequired, "only at+jwt"},
			{"application/jwt", typed(`"application/jwt"`, ""), ErrAccessRequired, "only at+jwt"},
			{"no typ", typed("-", ""), ErrAccessRequired, "only at+jwt"},
			{"ID token typed JWT without nonce", typed(`"JWT"`, ""), ErrAccessRequired, "an ID token is refused by its type alone"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := mustNew(t, Config{
				Keys:           KeyConfig{SecretKey: testSecret},
				Now:            clk.Now,
				Logger:         discardLogger(),
				TrustedIssuers: []TrustedIssuer{{Issuer: iss, Audience: []string{"api"}, RequireAtJWT: c.strict, Keys: staticKeys{k}}},
			})
			runAttacks(t, a, typed(`"at+jwt"`, ""), append(append([]attack{}, always...), c.rows...))
		})
	}
}

// TestAttackProviderRoles: a provider's "roles" claim is the provider's,
// not ours. Without RolesClaim a provider token carries no roles, so
// "roles":["admin"] does not pass RequireRoles("admin") (403, through the
// middleware too); with RolesClaim the roles come from that claim only.
func TestAttackProviderRoles(t *testing.T) {
	testKeys()
	clk, now := atkClock()
	k := must(keys.NewVerifyKey("RS256", rsaKey.Public()))
	const iss = "https://idp.example"
	tok := func(extra string) string {
		return signedToken(t, "RS256", rsaKey, `{"alg":"RS256","typ":"JWT","kid":"`+k.KID+`"}`,
			fmt.Sprintf(`{"iss":"%s","sub":"mallory","aud":"api","exp":%d%s}`, iss, now+600, extra))
	}
	for _, c := range []struct {
		name       string
		rolesClaim string
		tok        string
		roles      []string // Token.Roles()
	}{
		{"no RolesClaim, roles claim", "", tok(`,"roles":["admin"]`), nil},
		{"no RolesClaim, roles as a string", "", tok(`,"roles":"admin"`), nil},
		{"RolesClaim elsewhere, roles claim", "realm_access.roles", tok(`,"roles":["admin"],"realm_access":{"roles":["user"]}`), []string{"user"}},
		{"RolesClaim scope, roles claim", "scope", tok(`,"roles":["admin"],"scope":"read write"`), []string{"read", "write"}},
		{"RolesClaim roles", "roles", tok(`,"roles":["admin"]`), []string{"admin"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := mustNew(t, Config{
				Keys:           KeyConfig{SecretKey: testSecret},
				Now:            clk.Now,
				Logger:         discardLogger(),
				TrustedIssuers: []TrustedIssuer{{Issuer: iss, Audience: []string{"api"}, RolesClaim: c.rolesClaim, Keys: staticKeys{k}}},
			})
			v, err := a.Verify(context.Background(), c.tok, Requirement{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.Roles(), c.roles) {
				t.Fatalf("roles %q, want %q", v.Roles(), c.roles)
			}
			admin := slices.Contains(c.roles, "admin")
			_, err = a.Verify(context.Background(), c.tok, Requirement{Roles: []string{"admin"}})
			if admin != (err == nil) || !admin && !errors.Is(err, ErrNotEnoughPerms) {
				t.Fatalf("admin route: %v", err)
			}
			r := httptest.NewRequest("GET", "/admin", nil)
			r.Header.Set("Authorization", "Bearer "+c.tok)
			w := httptest.NewRecorder()
			a.RequireRoles("admin")(echoSub).ServeHTTP(w, r)
			if want := map[bool]int{true: 200, false: 403}[admin]; w.Code != want {
				t.Fatalf("middleware: %d, want %d", w.Code, want)
			}
		})
	}
}

// selfSignedDER returns a self-signed certificate for k, in DER.
func selfSignedDER(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestAttackSecretInAnyKeyEncoding: the HMAC secret guard recognises key
// material in every common encoding, not only PEM armour and JWK text:
// lower-case armour, a PEM body without its armour lines, bare DER in
// base64 (either alphabet, padded or not) or hex, certificates and private
// keys, EC points; and, beside an asymmetric key (a mixed ES256+HS256
// set-up whose public key the JWKS endpoint publishes), any encoding of
// that very key: its coordinates, modulus, raw Ed25519 bytes or kid. New,
// keys.NewHMACKey and keys.Set.Add (in both orders) refuse each; random
// secrets in base64 or hex still pass.
func TestAttackSecretInAnyKeyEncoding(t *testing.T) {
	testKeys()
	std, url := base64.StdEncoding, base64.RawURLEncoding
	wrap := func(s string) string { // 64-column lines, as in a PEM body
		var b strings.Builder
		for len(s) > 64 {
			b.WriteString(s[:64] + "\n")
			s = s[64:]
		}
		return b.String() + s + "\n"
	}
	spki := func(k crypto.Signer) []byte { return must(x509.MarshalPKIXPublicKey(k.Public())) }
	pkcs8 := func(k crypto.Signer) []byte { return must(x509.MarshalPKCS8PrivateKey(k)) }
	ecPoint := must(ecKey256.PublicKey.ECDH()).Bytes()
	rsaPub := rsaKey.Public().(*rsa.PublicKey)
	standalone := []struct{ name, secret string }{
		{"lower-case PEM armour", strings.ToLower(pubPEM(t, ecKey256.Public()))},
		{"PEM armour, body lower-cased header only", strings.Replace(pubPEM(t, rsaKey.Public()), "BEGIN PUBLIC KEY", "begin public key", 1)},
		{"PEM body without armour lines", wrap(std.EncodeToString(spki(rsaKey)))},
		{"base64 DER SPKI", std.EncodeToString(spki(ecKey256))},
		{"base64 DER SPKI unpadded", base64.RawStdEncoding.EncodeToString(spki(rsaKey))},
		{"base64url DER SPKI", url.EncodeToString(spki(edKey))},
		{"base64url DER SPKI padded", base64.URLEncoding.EncodeToString(spki(ecKey256))},
		{"base64 DER SPKI in spaces", "  " + std.EncodeToString(spki(ecKey256)) + " \r\n"},
		{"hex DER SPKI", hex.EncodeToString(spki(ecKey256))},
		{"raw DER SPKI", string(spki(rsaKey))},
		{"base64 DER PKCS#1 public", std.EncodeToString(x509.MarshalPKCS1PublicKey(rsaPub))},
		{"base64 DER certificate", std.EncodeToString(selfSignedDER(t, ecKey256))},
		{"base64 DER PKCS#8 private key", std.EncodeToString(pkcs8(edKey))},
		{"base64 DER SEC 1 private key", std.EncodeToString(must(x509.MarshalECPrivateKey(ecKey256)))},
		{"base64 EC point", std.EncodeToString(ecPoint)},
		{"raw EC point", string(ecPoint)},
		{"JWK Set", `{"keys":[{"kty":"EC","crv":"P-256","x":"…","y":"…"}]}`},
	}
	for _, c := range standalone {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(Config{Keys: KeyConfig{SecretKey: c.secret}}); err == nil || !strings.Contains(err.Error(), "authjwt: Keys.SecretKey:") {
				t.Errorf("New: %v", err)
			}
			if _, err := keys.NewHMACKey("HS256", "h", []byte(c.secret)); err == nil {
				t.Error("keys.NewHMACKey accepted it")
			}
		})
	}
	// Encodings that only the configured key identifies.
	edPub := edKey.Public().(ed25519.PublicKey)
	ecKID := must(keys.Thumbprint(ecKey256.Public()))
	n := (len(ecPoint) - 1) / 2
	tied := []struct {
		name, secret string
		alg          string
		key          crypto.Signer
	}{
		{"ES256 x coordinate, base64url (as in the JWKS)", url.EncodeToString(ecPoint[1 : 1+n]), "ES256", ecKey256},
		{"ES256 y coordinate, hex", hex.EncodeToString(ecPoint[1+n:]), "ES256", ecKey256},
		{"ES256 kid (thumbprint)", ecKID, "ES256", ecKey256},
		{"EdDSA raw 32 bytes", string(edPub), "EdDSA", edKey},
		{"EdDSA x, base64url", url.EncodeToString(edPub), "EdDSA", edKey},
		{"RS256 modulus, base64url (the JWK n)", url.EncodeToString(rsaPub.N.Bytes()), "RS256", rsaKey},
	}
	for _, c := range tied {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Keys: KeyConfig{PrivateKey: privPEM(t, c.key), SecretKey: c.secret, Algorithm: c.alg, DecodeAlgorithms: []string{c.alg, "HS256"}}}
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "authjwt: Keys.SecretKey:") || !strings.Contains(err.Error(), "public key") {
				t.Errorf("New: %v", err)
			}
			hk := keys.Key{KID: "hmac", Alg: "HS256", Secret: []byte(c.secret)}
			pk := must(keys.NewSigningKey(c.alg, c.key))
			for _, order := range [][]keys.Key{{pk, hk}, {hk, pk}} {
				s := keys.NewSet()
				if _, err := s.Add(order[0]); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Add(order[1]); err == nil {
					t.Errorf("keys.Set accepted %s beside its public key (adding %s second)", c.name, order[1].KID)
				}
			}
		})
	}
	// A trusted provider's key is public too.
	t.Run("trusted issuer's key", func(t *testing.T) {
		k := must(keys.NewVerifyKey("ES256", ecKey256.Public()))
		cfg := Config{
			Keys:           KeyConfig{SecretKey: url.EncodeToString(ecPoint[1 : 1+n])},
			TrustedIssuers: []TrustedIssuer{{Issuer: "https://idp.example", Audience: []string{"api"}, Algorithms: []string{"ES256"}, Keys: staticKeys{k}}},
		}
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "authjwt: Keys.SecretKey:") {
			t.Errorf("New: %v", err)
		}
		cfg.Keys.SecretKey = testSecret
		if _, err := New(cfg); err != nil {
			t.Errorf("New with a random secret beside a trusted issuer: %v", err)
		}
	})
	// Random secrets, as keygen and openssl rand write them, still pass,
	// alone and beside every asymmetric key.
	for i := range 50 {
		raw := make([]byte, 32+i)
		rand.Read(raw)
		for _, s := range []string{std.EncodeToString(raw), url.EncodeToString(raw), hex.EncodeToString(raw), string(raw)} {
			for _, k := range []crypto.Signer{rsaKey, ecKey256, edKey} {
				if err := keys.CheckSecret([]byte(s), k.Public()); err != nil {
					t.Fatalf("random secret %q refused: %v", s, err)
				}
			}
		}
	}
}
