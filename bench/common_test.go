package bench

// Shared fixtures: keys, the claim set, stdlib token minting, the negative
// cases used by TestAgreement, and the registries that every benchmark loops
// over. Peers register in peers_test.go / middleware_test.go; authjwt
// registers itself from authjwt_test.go (build tag "authjwt").

import (
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
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Claim values shared by every implementation.
const (
	benchSecret   = "authjwt-bench-secret-key-0123456789abcdef" // 41 bytes (>= 32)
	benchIssuer   = "https://issuer.authjwt.bench"
	benchAudience = "authjwt-bench-api"
	benchSubject  = "alice"
	benchJTI      = "7f1e6a3c-2b4d-4e8f-9a0b-1c2d3e4f5a6b" // fixed uuid: same bytes every run
	// leeway is the clock-skew tolerance given to every peer that has one.
	leeway = 30 * time.Second
	// tokenTTL is long so a -count 6 run never outlives the token.
	tokenTTL = 24 * time.Hour
)

// Algorithms benchmarked.
const (
	HS256 = "HS256"
	ES256 = "ES256"
	RS256 = "RS256"
	PS256 = "PS256"
	EdDSA = "EdDSA"
)

var allAlgs = []string{HS256, ES256, RS256, PS256, EdDSA}

// keySet holds the process-wide keys. Asymmetric keys are generated once per
// process (Go's crypto ignores caller-supplied randomness, so they cannot be
// derived deterministically; verify cost does not depend on the key value).
type keySet struct {
	hs    []byte
	ec    *ecdsa.PrivateKey
	rsa   *rsa.PrivateKey // 2048-bit, e=65537; used by RS256 and PS256
	ed    ed25519.PrivateKey
	edPub ed25519.PublicKey
}

var keys = sync.OnceValue(func() *keySet {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	edPub, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return &keySet{hs: []byte(benchSecret), ec: ec, rsa: rk, ed: ed, edPub: edPub}
})

// signKey / verifyKey return the Go key value for alg ([]byte for HS256).
func (k *keySet) signKey(alg string) any {
	switch alg {
	case HS256:
		return k.hs
	case ES256:
		return k.ec
	case RS256, PS256:
		return k.rsa
	case EdDSA:
		return k.ed
	}
	panic("unknown alg " + alg)
}

func (k *keySet) verifyKey(alg string) any {
	switch alg {
	case HS256:
		return k.hs
	case ES256:
		return &k.ec.PublicKey
	case RS256, PS256:
		return &k.rsa.PublicKey
	case EdDSA:
		return k.edPub
	}
	panic("unknown alg " + alg)
}

// privatePEM / publicPEM: PKCS#8 "PRIVATE KEY" and PKIX "PUBLIC KEY" blocks.
func (k *keySet) privatePEM(alg string) string {
	der, err := x509.MarshalPKCS8PrivateKey(k.signKey(alg))
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func (k *keySet) publicPEM(alg string) string {
	der, err := x509.MarshalPKIXPublicKey(k.verifyKey(alg))
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// wireClaims is the claim set of the seed, in the seed's order.
type wireClaims struct {
	Sub   string `json:"sub"`
	Iat   int64  `json:"iat"`
	Nbf   int64  `json:"nbf"`
	Jti   string `json:"jti"`
	Exp   int64  `json:"exp"`
	Type  string `json:"type"`
	Fresh bool   `json:"fresh"`
	Iss   string `json:"iss"`
	Aud   string `json:"aud"`
}

func validClaims(now time.Time) wireClaims {
	return wireClaims{
		Sub: benchSubject, Iat: now.Unix(), Nbf: now.Unix(), Jti: benchJTI,
		Exp: now.Add(tokenTTL).Unix(), Type: "access", Fresh: true,
		Iss: benchIssuer, Aud: benchAudience,
	}
}

var b64 = base64.RawURLEncoding

// mint builds a compact JWS with the standard library only. header is the
// raw JSON header; alg selects the signature; key overrides the alg's key
// (used for the alg-confusion case).
func mint(header string, alg string, key any, c any) string {
	payload, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString(payload)
	return input + "." + b64.EncodeToString(rawSign(alg, key, []byte(input)))
}

func stdHeader(alg string) string { return `{"alg":"` + alg + `","typ":"JWT"}` }

func rawSign(alg string, key any, input []byte) []byte {
	switch alg {
	case "none":
		return nil
	case HS256, "HS384", "HS512":
		var h func() hash.Hash
		switch alg {
		case HS256:
			h = sha256.New
		case "HS384":
			h = sha512.New384
		default:
			h = sha512.New
		}
		m := hmac.New(h, key.([]byte))
		m.Write(input)
		return m.Sum(nil)
	case ES256:
		d := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), d[:])
		if err != nil {
			panic(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	case RS256:
		d := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, d[:])
		if err != nil {
			panic(err)
		}
		return sig
	case PS256:
		d := sha256.Sum256(input)
		sig, err := rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, d[:],
			&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			panic(err)
		}
		return sig
	case EdDSA:
		return ed25519.Sign(key.(ed25519.PrivateKey), input)
	}
	panic("unknown alg " + alg)
}

// fixture is the set of tokens used for one algorithm, minted once per process.
type fixture struct {
	alg   string
	valid string
	bad   []badToken
}

// badToken is a token every correct verifier must reject. sigOnly marks the
// cases that a signature check alone catches (the floor is held to these).
type badToken struct {
	name    string
	token   string
	sigOnly bool
	// freshOnly: bad only when a fresh token is required (Verify benchmarks
	// use Requirement{Fresh: true}); a plain "access token required"
	// middleware must accept it.
	freshOnly bool
}

var fixtures = sync.OnceValue(func() map[string]*fixture {
	k := keys()
	now := time.Now()
	out := make(map[string]*fixture, len(allAlgs))
	for _, alg := range allAlgs {
		sk := k.signKey(alg)
		h := stdHeader(alg)
		valid := mint(h, alg, sk, validClaims(now))
		f := &fixture{alg: alg, valid: valid}
		add := func(name string, sigOnly bool, tok string) {
			f.bad = append(f.bad, badToken{name: name, token: tok, sigOnly: sigOnly})
		}
		add("flipped-signature-bit", true, flipSigBit(valid))
		add("payload-swapped", true, swapPayload(valid, func(c *wireClaims) { c.Sub = "mallory" }, now))
		add("alg-none", true, mint(stdHeader("none"), "none", nil, validClaims(now)))
		add("truncated", true, valid[:strings.LastIndexByte(valid, '.')])
		if alg == HS256 {
			// Same secret, different HMAC: must fail the alg restriction.
			add("alg-HS512-same-key", true, mint(stdHeader("HS512"), "HS512", k.hs, validClaims(now)))
		} else {
			// Alg confusion: HS256 keyed with the public key's PEM.
			add("alg-confusion-HS256-pubkey", true, mint(stdHeader(HS256), HS256, []byte(k.publicPEM(alg)), validClaims(now)))
		}
		claimCase := func(name string, mut func(*wireClaims)) {
			c := validClaims(now)
			mut(&c)
			add(name, false, mint(h, alg, sk, c))
		}
		claimCase("expired", func(c *wireClaims) {
			c.Iat, c.Nbf, c.Exp = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		})
		claimCase("not-yet-valid", func(c *wireClaims) { c.Nbf = now.Add(time.Hour).Unix() })
		claimCase("wrong-issuer", func(c *wireClaims) { c.Iss = "https://evil.example" })
		claimCase("wrong-audience", func(c *wireClaims) { c.Aud = "other-api" })
		claimCase("refresh-token", func(c *wireClaims) { c.Type = "refresh" })
		claimCase("not-fresh", func(c *wireClaims) { c.Fresh = false })
		f.bad[len(f.bad)-1].freshOnly = true
		out[alg] = f
	}
	return out
})

func flipSigBit(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	sig, err := b64.DecodeString(tok[i+1:])
	if err != nil {
		panic(err)
	}
	sig[0] ^= 0x01
	return tok[:i+1] + b64.EncodeToString(sig)
}

// swapPayload keeps header and signature of tok and replaces the payload.
func swapPayload(tok string, mut func(*wireClaims), now time.Time) string {
	parts := strings.Split(tok, ".")
	c := validClaims(now)
	mut(&c)
	p, _ := json.Marshal(c)
	return parts[0] + "." + b64.EncodeToString(p) + "." + parts[2]
}

// newJTI returns a random RFC 4122 v4 uuid; every Sign implementation calls
// it once per token, so its cost is identical across implementations.
func newJTI() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// ---- registries ----

// verifyFunc verifies tok with full validation (signature, alg restriction,
// exp/nbf with leeway, iss, aud, type == "access", fresh == true) and returns
// the subject (the floor, which decodes no JSON, returns "").
type verifyFunc func(tok string) (subject string, err error)

type verifierImpl struct {
	name string
	// floor: does only decoding + signature work; held only to sigOnly cases.
	floor bool
	// new returns (nil, nil) when the implementation does not support alg.
	new func(alg string, k *keySet) (verifyFunc, error)
}

// signFunc creates a fresh HS256 access token (new iat/nbf/exp/jti each call).
type signFunc func() (string, error)

type signerImpl struct {
	name string
	new  func(k *keySet) (signFunc, error)
}

// mwImpl builds an http.Handler that authenticates with the implementation's
// own middleware and answers 200 on success.
type mwImpl struct {
	name string
	// noAuth marks the baselines (they accept everything).
	noAuth bool
	new    func(k *keySet) (http.Handler, error)
}

// Registries. Peers and the floor are listed here; authjwt_test.go prepends
// authjwt to each from its init().
var (
	verifierImpls = []verifierImpl{
		{name: "golang-jwt", new: newGolangJWTVerifier},
		{name: "jwx", new: newJWXVerifier},
		{name: "go-jose", new: newGoJoseVerifier},
		{name: "kataras", new: newKatarasVerifier},
		{name: "cristalhq", new: newCristalhqVerifier},
		{name: "floor", floor: true, new: newFloorVerifier},
	}
	signerImpls = []signerImpl{
		{name: "golang-jwt", new: newGolangJWTSigner},
		{name: "jwx", new: newJWXSigner},
		{name: "go-jose", new: newGoJoseSigner},
		{name: "kataras", new: newKatarasSigner},
		{name: "cristalhq", new: newCristalhqSigner},
		{name: "floor", new: newFloorSigner},
	}
	mwImpls = []mwImpl{
		{name: "jwtauth", new: newJwtauthMiddleware},
		{name: "echo-jwt", new: newEchoJWTMiddleware},
		{name: "gin-jwt", new: newGinJWTMiddleware},
		{name: "auth0", new: newAuth0Middleware},
		{name: "floor", new: newFloorMiddleware},
		{name: "baseline", noAuth: true, new: newBaselineMiddleware},
		{name: "baseline-echo", noAuth: true, new: newBaselineEcho},
		{name: "baseline-gin", noAuth: true, new: newBaselineGin},
	}
)

// subName is the sub-benchmark name. The "impl=" prefix makes it a benchstat
// name key, so `benchstat -col /impl` works (a bare "/golang-jwt" component
// would just be part of .name and could not be projected).
func subName(impl string) string { return "impl=" + impl }

// ---- claim checks shared by peers that need them done in code ----

var (
	errType     = fmt.Errorf("token type is not %q", "access")
	errNotFresh = fmt.Errorf("token is not fresh")
	errIssuer   = fmt.Errorf("bad issuer")
	errAudience = fmt.Errorf("bad audience")
	errTime     = fmt.Errorf("token expired or not yet valid")
)

func checkType(typ string) error {
	if typ != "access" {
		return errType
	}
	return nil
}

func checkTypeFresh(typ string, fresh bool) error {
	if typ != "access" {
		return errType
	}
	if !fresh {
		return errNotFresh
	}
	return nil
}

// ecdsaDER turns a JWS r||s signature into ASN.1 DER without big.Int
// (floor helper). dst must have room for 72 bytes.
func ecdsaDER(dst []byte, sig []byte) []byte {
	half := len(sig) / 2
	r, s := trimInt(sig[:half]), trimInt(sig[half:])
	lr, ls := intLen(r), intLen(s)
	dst = append(dst[:0], 0x30, byte(2+lr+2+ls))
	dst = appendInt(dst, r, lr)
	return appendInt(dst, s, ls)
}

func trimInt(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func intLen(b []byte) int {
	if b[0]&0x80 != 0 {
		return len(b) + 1
	}
	return len(b)
}

func appendInt(dst, b []byte, l int) []byte {
	dst = append(dst, 0x02, byte(l))
	if l > len(b) {
		dst = append(dst, 0)
	}
	return append(dst, b...)
}
