package bench

// Verifiers and signers of the peer libraries and the standard-library floor.
// Every verifier is configured once (parser, options, keys) and then does,
// per token: signature check restricted to one alg, exp/nbf with leeway
// (where the peer has leeway), iss, aud, and type == "access" && fresh, into
// a typed struct. Checks a peer cannot express are done in code right after
// parsing, exactly where an application would put them.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	cristal "github.com/cristalhq/jwt/v4"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	gjwt "github.com/golang-jwt/jwt/v5"
	kataras "github.com/kataras/jwt"
	"github.com/lestrrat-go/jwx/v3/jwa"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"
)

// typedClaims is the typed result the peers without their own claim struct
// (jwx) are converted into.
type typedClaims struct {
	Subject   string
	ID        string
	Issuer    string
	Audience  []string
	IssuedAt  time.Time
	NotBefore time.Time
	Expiry    time.Time
	Type      string
	Fresh     bool
}

// ---------------------------------------------------------------- golang-jwt

type gjClaims struct {
	gjwt.RegisteredClaims
	Type  string `json:"type"`
	Fresh bool   `json:"fresh"`
}

// Validate is called by golang-jwt's validator after the registered claims.
func (c *gjClaims) Validate() error { return checkTypeFresh(c.Type, c.Fresh) }

func newGolangJWTVerifier(alg string, k *keySet) (verifyFunc, error) {
	p := gjwt.NewParser(
		gjwt.WithValidMethods([]string{alg}),
		gjwt.WithIssuer(benchIssuer),
		gjwt.WithAudience(benchAudience),
		gjwt.WithLeeway(leeway),
		gjwt.WithExpirationRequired(),
	)
	key := k.verifyKey(alg)
	keyFunc := func(*gjwt.Token) (any, error) { return key, nil }
	return func(tok string) (string, error) {
		var c gjClaims
		if _, err := p.ParseWithClaims(tok, &c, keyFunc); err != nil {
			return "", err
		}
		return c.Subject, nil
	}, nil
}

func newGolangJWTSigner(k *keySet) (signFunc, error) {
	key := k.hs
	return func() (string, error) {
		now := time.Now()
		c := &gjClaims{
			RegisteredClaims: gjwt.RegisteredClaims{
				Subject: benchSubject, IssuedAt: gjwt.NewNumericDate(now), NotBefore: gjwt.NewNumericDate(now),
				ID: newJTI(), ExpiresAt: gjwt.NewNumericDate(now.Add(15 * time.Minute)),
				Issuer: benchIssuer, Audience: gjwt.ClaimStrings{benchAudience},
			},
			Type: "access", Fresh: true,
		}
		return gjwt.NewWithClaims(gjwt.SigningMethodHS256, c).SignedString(key)
	}, nil
}

// ----------------------------------------------------------------------- jwx

func jwxAlg(alg string) jwa.SignatureAlgorithm {
	switch alg {
	case HS256:
		return jwa.HS256()
	case ES256:
		return jwa.ES256()
	case RS256:
		return jwa.RS256()
	case PS256:
		return jwa.PS256()
	case EdDSA:
		return jwa.EdDSA()
	}
	panic(alg)
}

func newJWXVerifier(alg string, k *keySet) (verifyFunc, error) {
	opts := []jwxjwt.ParseOption{
		jwxjwt.WithKey(jwxAlg(alg), k.verifyKey(alg)),
		jwxjwt.WithValidate(true),
		jwxjwt.WithIssuer(benchIssuer),
		jwxjwt.WithAudience(benchAudience),
		jwxjwt.WithAcceptableSkew(leeway),
		jwxjwt.WithRequiredClaim("exp"),
		jwxjwt.WithClaimValue("type", "access"),
		jwxjwt.WithClaimValue("fresh", true),
	}
	return func(tok string) (string, error) {
		t, err := jwxjwt.ParseString(tok, opts...)
		if err != nil {
			return "", err
		}
		// Into a typed struct, as an application would.
		var c typedClaims
		c.Subject, _ = t.Subject()
		c.ID, _ = t.JwtID()
		c.Issuer, _ = t.Issuer()
		c.Audience, _ = t.Audience()
		c.IssuedAt, _ = t.IssuedAt()
		c.NotBefore, _ = t.NotBefore()
		c.Expiry, _ = t.Expiration()
		if err := t.Get("type", &c.Type); err != nil {
			return "", err
		}
		if err := t.Get("fresh", &c.Fresh); err != nil {
			return "", err
		}
		if err := checkTypeFresh(c.Type, c.Fresh); err != nil { // already enforced by WithClaimValue; kept for symmetry
			return "", err
		}
		return c.Subject, nil
	}, nil
}

func newJWXSigner(k *keySet) (signFunc, error) {
	opt := jwxjwt.WithKey(jwa.HS256(), k.hs)
	aud := []string{benchAudience}
	return func() (string, error) {
		now := time.Now()
		t, err := jwxjwt.NewBuilder().
			Subject(benchSubject).IssuedAt(now).NotBefore(now).JwtID(newJTI()).
			Expiration(now.Add(15*time.Minute)).Claim("type", "access").Claim("fresh", true).
			Issuer(benchIssuer).Audience(aud).Build()
		if err != nil {
			return "", err
		}
		b, err := jwxjwt.Sign(t, opt)
		return string(b), err
	}, nil
}

// ------------------------------------------------------------------- go-jose

type joseClaims struct {
	josejwt.Claims
	Type  string `json:"type"`
	Fresh bool   `json:"fresh"`
}

func newGoJoseVerifier(alg string, k *keySet) (verifyFunc, error) {
	algs := []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)}
	key := k.verifyKey(alg)
	exp := josejwt.Expected{Issuer: benchIssuer, AnyAudience: josejwt.Audience{benchAudience}}
	return func(tok string) (string, error) {
		t, err := josejwt.ParseSigned(tok, algs)
		if err != nil {
			return "", err
		}
		var c joseClaims
		if err := t.Claims(key, &c); err != nil {
			return "", err
		}
		e := exp
		e.Time = time.Now()
		if c.Expiry == nil { // go-jose does not require exp on its own
			return "", errTime
		}
		if err := c.Claims.ValidateWithLeeway(e, leeway); err != nil {
			return "", err
		}
		if err := checkTypeFresh(c.Type, c.Fresh); err != nil {
			return "", err
		}
		return c.Subject, nil
	}, nil
}

func newGoJoseSigner(k *keySet) (signFunc, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: k.hs}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	return func() (string, error) {
		now := time.Now()
		c := joseClaims{
			Claims: josejwt.Claims{
				Subject: benchSubject, IssuedAt: josejwt.NewNumericDate(now), NotBefore: josejwt.NewNumericDate(now),
				ID: newJTI(), Expiry: josejwt.NewNumericDate(now.Add(15 * time.Minute)),
				Issuer: benchIssuer, Audience: josejwt.Audience{benchAudience},
			},
			Type: "access", Fresh: true,
		}
		return josejwt.Signed(signer).Claims(c).Serialize()
	}, nil
}

// ------------------------------------------------------------------- kataras

type katarasClaims struct {
	kataras.Claims
	Type  string `json:"type"`
	Fresh bool   `json:"fresh"`
}

func katarasAlg(alg string) kataras.Alg {
	switch alg {
	case HS256:
		return kataras.HS256
	case ES256:
		return kataras.ES256
	case RS256:
		return kataras.RS256
	case PS256:
		return kataras.PS256
	case EdDSA:
		return kataras.EdDSA
	}
	panic(alg)
}

// kataras has no clock-skew leeway for exp/nbf (its Leeway validator means
// "reject tokens expiring within d"); Future(leeway) tolerates an iat in the
// future. Issuer and audience via Expected.
func newKatarasVerifier(alg string, k *keySet) (verifyFunc, error) {
	a := katarasAlg(alg)
	key := k.verifyKey(alg)
	expected := kataras.Expected{Issuer: benchIssuer, Audience: kataras.Audience{benchAudience}}
	future := kataras.Future(leeway)
	return func(tok string) (string, error) {
		// kataras takes []byte; the conversion is part of using it with a header value.
		v, err := kataras.Verify(a, key, []byte(tok), future, expected)
		if err != nil {
			return "", err
		}
		if v.StandardClaims.Expiry == 0 {
			return "", errTime
		}
		var c katarasClaims
		if err := v.Claims(&c); err != nil {
			return "", err
		}
		if err := checkTypeFresh(c.Type, c.Fresh); err != nil {
			return "", err
		}
		return c.Subject, nil
	}, nil
}

func newKatarasSigner(k *keySet) (signFunc, error) {
	key := k.hs
	return func() (string, error) {
		now := time.Now()
		c := katarasClaims{
			Claims: kataras.Claims{
				Subject: benchSubject, IssuedAt: now.Unix(), NotBefore: now.Unix(), ID: newJTI(),
				Expiry: now.Add(15 * time.Minute).Unix(), Issuer: benchIssuer, Audience: kataras.Audience{benchAudience},
			},
			Type: "access", Fresh: true,
		}
		b, err := kataras.Sign(kataras.HS256, key, c)
		return string(b), err
	}, nil
}

// ----------------------------------------------------------------- cristalhq

type cristalClaims struct {
	cristal.RegisteredClaims
	Type  string `json:"type"`
	Fresh bool   `json:"fresh"`
}

func newCristalhqVerifier(alg string, k *keySet) (verifyFunc, error) {
	var (
		v   cristal.Verifier
		err error
	)
	switch alg {
	case HS256:
		v, err = cristal.NewVerifierHS(cristal.HS256, k.hs)
	case ES256:
		v, err = cristal.NewVerifierES(cristal.ES256, &k.ec.PublicKey)
	case RS256:
		v, err = cristal.NewVerifierRS(cristal.RS256, &k.rsa.PublicKey)
	case PS256:
		v, err = cristal.NewVerifierPS(cristal.PS256, &k.rsa.PublicKey)
	case EdDSA:
		v, err = cristal.NewVerifierEdDSA(k.edPub)
	}
	if err != nil {
		return nil, err
	}
	return func(tok string) (string, error) {
		// cristalhq verifies signature + alg; claims are validated by the caller.
		var c cristalClaims
		if err := cristal.ParseClaims([]byte(tok), v, &c); err != nil {
			return "", err
		}
		now := time.Now()
		if c.ExpiresAt == nil || !c.IsValidExpiresAt(now.Add(-leeway)) || !c.IsValidNotBefore(now.Add(leeway)) {
			return "", errTime
		}
		if !c.IsIssuer(benchIssuer) {
			return "", errIssuer
		}
		if !c.IsForAudience(benchAudience) {
			return "", errAudience
		}
		if err := checkTypeFresh(c.Type, c.Fresh); err != nil {
			return "", err
		}
		return c.Subject, nil
	}, nil
}

func newCristalhqSigner(k *keySet) (signFunc, error) {
	s, err := cristal.NewSignerHS(cristal.HS256, k.hs)
	if err != nil {
		return nil, err
	}
	b := cristal.NewBuilder(s)
	return func() (string, error) {
		now := time.Now()
		c := &cristalClaims{
			RegisteredClaims: cristal.RegisteredClaims{
				Subject: benchSubject, IssuedAt: cristal.NewNumericDate(now), NotBefore: cristal.NewNumericDate(now),
				ID: newJTI(), ExpiresAt: cristal.NewNumericDate(now.Add(15 * time.Minute)),
				Issuer: benchIssuer, Audience: cristal.Audience{benchAudience},
			},
			Type: "access", Fresh: true,
		}
		t, err := b.Build(c)
		if err != nil {
			return "", err
		}
		return t.String(), nil
	}, nil
}

// --------------------------------------------------------------------- floor
//
// The floor is the standard library doing only the unavoidable work: split
// on '.', base64url-decode the three parts, and check the signature. No JSON,
// so no claim is checked: it is a lower bound, not a verifier. Decode
// buffers and the HMAC state are pooled, and the token string is viewed as
// bytes without a copy (read-only), so the floor allocates only what
// crypto/* itself allocates (nothing for HS256).

var errFloor = errors.New("floor: invalid token")

// bytesOf views s as a read-only byte slice (no copy).
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

type floorState struct {
	mac hash.Hash // HS256 only
	sum [sha256.Size]byte
	der [72]byte
	hdr [256]byte
	pay [1024]byte
	sig [512]byte
}

func newFloorVerifier(alg string, k *keySet) (verifyFunc, error) {
	switch alg {
	case HS256, ES256, RS256, PS256, EdDSA:
	default:
		return nil, nil
	}
	pool := &sync.Pool{New: func() any {
		st := new(floorState)
		if alg == HS256 {
			st.mac = hmac.New(sha256.New, k.hs)
		}
		return st
	}}
	ecPub, rsaPub, edPub := &k.ec.PublicKey, &k.rsa.PublicKey, k.edPub
	pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
	return func(tok string) (string, error) {
		i := strings.IndexByte(tok, '.')
		j := strings.LastIndexByte(tok, '.')
		if i <= 0 || j <= i {
			return "", errFloor
		}
		st := pool.Get().(*floorState)
		defer pool.Put(st)
		hs, ps, ss := tok[:i], tok[i+1:j], tok[j+1:]
		if b64.DecodedLen(len(hs)) > len(st.hdr) || b64.DecodedLen(len(ps)) > len(st.pay) || b64.DecodedLen(len(ss)) > len(st.sig) {
			return "", errFloor // a real verifier would allocate; the bench tokens fit
		}
		if _, err := b64.Decode(st.hdr[:], bytesOf(hs)); err != nil {
			return "", errFloor
		}
		if _, err := b64.Decode(st.pay[:], bytesOf(ps)); err != nil {
			return "", errFloor
		}
		n, err := b64.Decode(st.sig[:], bytesOf(ss))
		if err != nil {
			return "", errFloor
		}
		input, sig := bytesOf(tok[:j]), st.sig[:n]
		var ok bool
		switch alg {
		case HS256:
			st.mac.Reset()
			st.mac.Write(input)
			ok = hmac.Equal(st.mac.Sum(st.sum[:0]), sig)
		case ES256:
			st.sum = sha256.Sum256(input)
			ok = len(sig) == 64 && ecdsa.VerifyASN1(ecPub, st.sum[:], ecdsaDER(st.der[:0], sig))
		case RS256:
			st.sum = sha256.Sum256(input)
			ok = rsa.VerifyPKCS1v15(rsaPub, crypto.SHA256, st.sum[:], sig) == nil
		case PS256:
			st.sum = sha256.Sum256(input)
			ok = rsa.VerifyPSS(rsaPub, crypto.SHA256, st.sum[:], sig, pss) == nil
		case EdDSA:
			ok = ed25519.Verify(edPub, input, sig)
		}
		if !ok {
			return "", errFloor
		}
		return "", nil
	}, nil
}

// newFloorSigner writes the claim set with strconv/append (no encoding/json),
// base64url-encodes, and HMACs with a pooled state.
func newFloorSigner(k *keySet) (signFunc, error) {
	header := b64.EncodeToString([]byte(stdHeader(HS256)))
	pool := &sync.Pool{New: func() any { return &floorState{mac: hmac.New(sha256.New, k.hs)} }}
	return func() (string, error) {
		st := pool.Get().(*floorState)
		defer pool.Put(st)
		now := time.Now().Unix()
		p := append(st.pay[:0], `{"sub":"`...)
		p = append(p, benchSubject...)
		p = append(p, `","iat":`...)
		p = strconv.AppendInt(p, now, 10)
		p = append(p, `,"nbf":`...)
		p = strconv.AppendInt(p, now, 10)
		p = append(p, `,"jti":"`...)
		p = append(p, newJTI()...)
		p = append(p, `","exp":`...)
		p = strconv.AppendInt(p, now+15*60, 10)
		p = append(p, `,"type":"access","fresh":true,"iss":"`...)
		p = append(p, benchIssuer...)
		p = append(p, `","aud":"`...)
		p = append(p, benchAudience...)
		p = append(p, `"}`...)

		out := make([]byte, 0, len(header)+1+b64.EncodedLen(len(p))+1+b64.EncodedLen(sha256.Size))
		out = append(out, header...)
		out = append(out, '.')
		out = b64.AppendEncode(out, p)
		st.mac.Reset()
		st.mac.Write(out)
		sig := st.mac.Sum(st.sum[:0])
		out = append(out, '.')
		out = b64.AppendEncode(out, sig)
		return unsafe.String(unsafe.SliceData(out), len(out)), nil
	}, nil
}

// referenceCheck is used by TestSignersAgree: decode any HS256 token with
// golang-jwt's full validation and the seed claim set.
func referenceCheck(k *keySet, tok string) error {
	v, err := newGolangJWTVerifier(HS256, k)
	if err != nil {
		return err
	}
	sub, err := v(tok)
	if err != nil {
		return err
	}
	if sub != benchSubject {
		return errors.New("subject mismatch: " + sub)
	}
	// and the claim set must be the seed's: sub iat nbf jti exp type fresh iss aud
	parts := strings.Split(tok, ".")
	p, err := b64.DecodeString(parts[1])
	if err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(p, &m); err != nil {
		return err
	}
	for _, c := range []string{"sub", "iat", "nbf", "jti", "exp", "type", "fresh", "iss", "aud"} {
		if _, ok := m[c]; !ok {
			return errors.New("missing claim " + c)
		}
	}
	return nil
}
