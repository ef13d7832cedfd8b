package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/librenz/authjwt/internal/jws"
)

// JWK is the public part of a JSON Web Key (RFC 7517, RFC 7518 §6, RFC 8037):
// only members that describe public keys exist here, so a JWK value can never
// carry private or symmetric material. [ParseJWK] recognises the private
// members (d, p, q, dp, dq, qi, oth, k) only to refuse them.
type JWK struct {
	Kty string `json:"kty"`           // "RSA", "EC" or "OKP"
	Kid string `json:"kid,omitempty"` // key id
	Use string `json:"use,omitempty"` // "sig" when set
	Alg string `json:"alg,omitempty"` // algorithm the key is bound to
	N   string `json:"n,omitempty"`   // RSA modulus, base64url
	E   string `json:"e,omitempty"`   // RSA public exponent, base64url
	Crv string `json:"crv,omitempty"` // "P-256", "P-384", "P-521" or "Ed25519"
	X   string `json:"x,omitempty"`   // EC x coordinate or Ed25519 public key, base64url
	Y   string `json:"y,omitempty"`   // EC y coordinate, base64url
	Pub string `json:"pub,omitempty"` // AKP (ML-DSA) public key, base64url (RFC 9964)
}

// privateMembers are JWK members that hold private or symmetric key
// material ("priv": an AKP key's seed, RFC 9964).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"}

var b64 = base64.RawURLEncoding.Strict()

// decodeB64 decodes an unpadded base64url member, refusing padding, line
// breaks (which encoding/base64 would skip) and non-canonical trailing bits.
func decodeB64(name, s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("authjwt: JWK member %q is empty", name)
	}
	if strings.ContainsAny(s, "=\r\n") {
		return nil, fmt.Errorf("authjwt: JWK member %q is not unpadded base64url", name)
	}
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("authjwt: JWK member %q is not base64url: %w", name, err)
	}
	return b, nil
}

// PublicJWK returns the public JWK of k, with use "sig", k's alg and kid. It
// never emits private or symmetric material: an HMAC key is an error.
func PublicJWK(k Key) (JWK, error) {
	if k.Secret != nil {
		return JWK{}, fmt.Errorf("authjwt: key %q is an HMAC key; symmetric keys are never published", k.KID)
	}
	if err := k.Validate(); err != nil {
		return JWK{}, err
	}
	pub := k.Public
	if pub == nil {
		pub = k.Signer.Public()
	}
	j, err := publicJWKOf(pub)
	if err != nil {
		return JWK{}, err
	}
	j.Kid, j.Use, j.Alg = k.KID, "sig", k.Alg
	return j, nil
}

// publicJWKOf returns the key-type members of pub's JWK.
func publicJWKOf(pub crypto.PublicKey) (JWK, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.E <= 0 {
			return JWK{}, errors.New("authjwt: RSA key is nil or invalid")
		}
		e := big.NewInt(int64(k.E)).Bytes()
		return JWK{Kty: "RSA", N: b64.EncodeToString(k.N.Bytes()), E: b64.EncodeToString(e)}, nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return JWK{}, errors.New("authjwt: ECDSA key is nil")
		}
		crv := curveName(k.Curve)
		if crv == "" {
			return JWK{}, errors.New("authjwt: unsupported elliptic curve")
		}
		raw, err := k.Bytes()
		if err != nil {
			return JWK{}, fmt.Errorf("authjwt: invalid ECDSA key: %w", err)
		}
		n := (len(raw) - 1) / 2
		return JWK{Kty: "EC", Crv: crv, X: b64.EncodeToString(raw[1 : 1+n]), Y: b64.EncodeToString(raw[1+n:])}, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return JWK{}, errors.New("authjwt: Ed25519 public key has the wrong length")
		}
		return JWK{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(k)}, nil
	}
	if a, raw, ok := jws.MLDSAKeyAlg(pub); ok {
		return JWK{Kty: "AKP", Alg: a.String(), Pub: b64.EncodeToString(raw)}, nil
	}
	return JWK{}, fmt.Errorf("authjwt: unsupported public key type %T", pub)
}

// ParseJWK parses one public JSON Web Key. It refuses: private members and
// kty "oct"; duplicate or differently-cased members; use other than "sig";
// key_ops without "verify"; RSA keys under [MinRSABits] or with a bad
// exponent; EC points off their curve or with coordinates of the wrong
// length; OKP keys other than Ed25519 with a 32-byte x; an alg that is
// unknown or does not fit the key; an x5c whose first certificate holds
// another key. Key.Alg is "" when the JWK has no alg. Key.KID is the JWK's
// kid, which may be "".
func ParseJWK(data []byte) (Key, error) {
	obj, err := decodeObject(data)
	if err != nil {
		return Key{}, err
	}
	return parseJWKObject(obj)
}

func parseJWKObject(obj jsonObject) (Key, error) {
	for _, m := range privateMembers {
		if _, ok := obj[m]; ok {
			return Key{}, fmt.Errorf("authjwt: JWK holds private or symmetric member %q; only public keys are accepted", m)
		}
	}
	var f [4]string // kty, kid, use, alg
	for i, name := range []string{"kty", "kid", "use", "alg"} {
		s, _, err := obj.str(name)
		if err != nil {
			return Key{}, err
		}
		f[i] = s
	}
	kty, kid, use, alg := f[0], f[1], f[2], f[3]
	if _, ok := obj["use"]; ok && use != "sig" {
		return Key{}, fmt.Errorf("authjwt: JWK use is %q; only \"sig\" keys verify signatures", use)
	}
	if ops, ok, err := obj.strs("key_ops"); err != nil {
		return Key{}, err
	} else if ok && !contains(ops, "verify") {
		return Key{}, errors.New("authjwt: JWK key_ops does not include \"verify\"")
	}
	var pub crypto.PublicKey
	var err error
	switch kty {
	case "RSA":
		pub, err = parseRSAMembers(obj)
	case "EC":
		pub, err = parseECMembers(obj)
	case "OKP":
		pub, err = parseOKPMembers(obj)
	case "AKP":
		pub, err = parseAKPMembers(obj, alg)
	case "oct":
		err = errors.New("authjwt: JWK kty \"oct\" (symmetric key) is not accepted")
	case "":
		err = errors.New("authjwt: JWK has no kty")
	default:
		err = fmt.Errorf("authjwt: JWK kty %q is not supported", kty)
	}
	if err != nil {
		return Key{}, err
	}
	if _, ok := obj["alg"]; ok {
		if !KnownAlgorithm(alg) || IsHMAC(alg) {
			return Key{}, fmt.Errorf("authjwt: JWK alg %q is not a supported signature algorithm for kty %s", alg, kty)
		}
		if err := CheckKey(alg, pub); err != nil {
			return Key{}, fmt.Errorf("authjwt: JWK alg %q does not fit its %s key: %w", alg, kty, unwrapPrefix(err))
		}
	}
	if err := checkX5C(obj, pub); err != nil {
		return Key{}, err
	}
	return Key{KID: kid, Alg: alg, Public: pub}, nil
}

// unwrapPrefix keeps nested messages from repeating "authjwt: ".
type prefixless struct{ error }

func (p prefixless) Error() string { return strings.TrimPrefix(p.error.Error(), "authjwt: ") }
func (p prefixless) Unwrap() error { return p.error }

func unwrapPrefix(err error) error { return prefixless{err} }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func requireMembers(obj jsonObject, kty string, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		s, ok, err := obj.str(n)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("authjwt: %s JWK lacks member %q", kty, n)
		}
		out[i] = s
	}
	return out, nil
}

func parseRSAMembers(obj jsonObject) (crypto.PublicKey, error) {
	m, err := requireMembers(obj, "RSA", "n", "e")
	if err != nil {
		return nil, err
	}
	n, err := decodeB64("n", m[0])
	if err != nil {
		return nil, err
	}
	e, err := decodeB64("e", m[1])
	if err != nil {
		return nil, err
	}
	if n[0] == 0 || e[0] == 0 {
		return nil, errors.New("authjwt: RSA JWK n or e has a leading zero octet")
	}
	if len(e) > 4 {
		return nil, fmt.Errorf("authjwt: RSA JWK exponent is %d bytes; at most 4 are accepted", len(e))
	}
	if len(n) > MaxRSABits/8 {
		return nil, fmt.Errorf("authjwt: RSA JWK modulus is %d bits; at most %d are accepted", len(n)*8, MaxRSABits)
	}
	k := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if err := checkRSA(k); err != nil {
		return nil, err
	}
	return k, nil
}

func parseECMembers(obj jsonObject) (crypto.PublicKey, error) {
	m, err := requireMembers(obj, "EC", "crv", "x", "y")
	if err != nil {
		return nil, err
	}
	var curve elliptic.Curve
	var size int
	switch m[0] {
	case "P-256":
		curve, size = elliptic.P256(), 32
	case "P-384":
		curve, size = elliptic.P384(), 48
	case "P-521":
		curve, size = elliptic.P521(), 66
	default:
		return nil, fmt.Errorf("authjwt: EC JWK curve %q is not supported", m[0])
	}
	x, err := decodeB64("x", m[1])
	if err != nil {
		return nil, err
	}
	y, err := decodeB64("y", m[2])
	if err != nil {
		return nil, err
	}
	if len(x) != size || len(y) != size {
		return nil, fmt.Errorf("authjwt: %s JWK coordinates must be %d bytes each, got x=%d y=%d", m[0], size, len(x), len(y))
	}
	point := make([]byte, 0, 1+2*size)
	point = append(append(append(point, 4), x...), y...)
	k, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("authjwt: %s JWK point is not on the curve", m[0])
	}
	return k, nil
}

func parseOKPMembers(obj jsonObject) (crypto.PublicKey, error) {
	m, err := requireMembers(obj, "OKP", "crv", "x")
	if err != nil {
		return nil, err
	}
	if m[0] != "Ed25519" {
		return nil, fmt.Errorf("authjwt: OKP JWK curve %q is not supported; only Ed25519 signs", m[0])
	}
	x, err := decodeB64("x", m[1])
	if err != nil {
		return nil, err
	}
	if len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("authjwt: Ed25519 JWK x is %d bytes, want %d", len(x), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(x), nil
}

// checkX5C verifies that the first certificate of an x5c member, if any,
// holds pub (RFC 7517 §4.7). The chain itself is not verified: the JWK is
// trusted for where it came from, not for its certificate.
func checkX5C(obj jsonObject, pub crypto.PublicKey) error {
	chain, ok, err := obj.strs("x5c")
	if err != nil || !ok {
		return err
	}
	if len(chain) == 0 {
		return errors.New("authjwt: JWK x5c is empty")
	}
	der, err := base64.StdEncoding.Strict().DecodeString(chain[0])
	if err != nil {
		return fmt.Errorf("authjwt: JWK x5c[0] is not base64: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("authjwt: JWK x5c[0] is not a certificate: %w", err)
	}
	eq, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !eq.Equal(pub) {
		return errors.New("authjwt: JWK x5c[0] certificate holds a different key")
	}
	return nil
}
