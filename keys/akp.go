package keys

// AKP keys (RFC 9964): ML-DSA public keys as JWKs ({"kty":"AKP","alg":
// "ML-DSA-44","pub":...}), their private form (the 32-byte seed in
// "priv"), and ML-DSA key generation. crypto/mldsa exists from Go 1.27:
// the codec (internal/jws) holds the only code that names its types, and
// in older builds every function here refuses ML-DSA, saying which Go it
// needs.

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/librenz/authjwt/internal/jws"
)

// mldsaAlg returns the ML-DSA algorithm named alg, or an error that says
// why it is none (unknown, not ML-DSA, not in this build).
func mldsaAlg(alg string) (jws.Alg, error) {
	a, ok := jws.ParseAlg(alg)
	if !ok || !a.IsMLDSA() {
		return jws.AlgInvalid, fmt.Errorf("authjwt: %q is not an ML-DSA algorithm (ML-DSA-44, ML-DSA-65, ML-DSA-87)", alg)
	}
	if !a.Available() {
		return jws.AlgInvalid, errors.New("authjwt: " + jws.MLDSAUnavailableReason(a))
	}
	return a, nil
}

// parseAKPMembers reads an AKP JWK's public key. RFC 9964 makes "alg"
// required: it names the parameter set, and pub must be of its size.
func parseAKPMembers(obj jsonObject, alg string) (crypto.PublicKey, error) {
	if _, ok := obj["alg"]; !ok {
		return nil, errors.New("authjwt: AKP JWK lacks member \"alg\", which RFC 9964 requires")
	}
	a, err := mldsaAlg(alg)
	if err != nil {
		return nil, fmt.Errorf("authjwt: AKP JWK alg: %w", prefixless{err})
	}
	m, err := requireMembers(obj, "AKP", "pub")
	if err != nil {
		return nil, err
	}
	raw, err := decodeB64("pub", m[0])
	if err != nil {
		return nil, err
	}
	pub, err := jws.NewMLDSAPublicKey(a, raw)
	if err != nil {
		return nil, fmt.Errorf("authjwt: AKP JWK pub is not an %s public key (%d bytes)", a, len(raw))
	}
	return pub, nil
}

// PostQuantumAlgorithm returns the ML-DSA algorithm an ML-DSA key (public
// or private) is bound to by its parameter set, or "" for any other key.
func PostQuantumAlgorithm(key any) string {
	if a, _, ok := jws.MLDSAKeyAlg(key); ok {
		return a.String()
	}
	return ""
}

// GenerateMLDSAKey returns a new random ML-DSA private key for alg
// (ML-DSA-44, ML-DSA-65 or ML-DSA-87), a crypto.Signer (*mldsa.PrivateKey)
// that crypto/x509 marshals as PKCS#8.
func GenerateMLDSAKey(alg string) (crypto.Signer, error) {
	a, err := mldsaAlg(alg)
	if err != nil {
		return nil, err
	}
	return jws.GenerateMLDSAKey(a)
}

// NewMLDSAPrivateKey derives the ML-DSA private key of alg from its
// 32-byte seed (FIPS 204 ML-DSA.KeyGen_internal), the private form of
// RFC 9964.
func NewMLDSAPrivateKey(alg string, seed []byte) (crypto.Signer, error) {
	a, err := mldsaAlg(alg)
	if err != nil {
		return nil, err
	}
	if len(seed) != 32 {
		return nil, fmt.Errorf("authjwt: ML-DSA seed is %d bytes, want 32", len(seed))
	}
	return jws.NewMLDSAPrivateKey(a, seed)
}

// privateAKP is the private form of an AKP JWK (RFC 9964): the public
// members and the seed.
type privateAKP struct {
	Kty  string `json:"kty"`
	Kid  string `json:"kid,omitempty"`
	Use  string `json:"use,omitempty"`
	Alg  string `json:"alg"`
	Pub  string `json:"pub"`
	Priv string `json:"priv"`
}

// ParsePrivateAKP parses the private form of an AKP JWK (RFC 9964: kty
// "AKP", alg, pub, and priv, the 32-byte ML-DSA seed), as a key store or
// an identity provider's configuration holds it. The key is derived from
// the seed and its public key must equal pub: a JWK whose members
// disagree is refused. The Key signs; its KID is the JWK's kid, else the
// thumbprint. Any kty other than AKP is refused: private RSA, EC and OKP
// JWKs belong in PEM ([ParsePrivateKeyPEM]).
func ParsePrivateAKP(data []byte) (Key, error) {
	obj, err := decodeObject(data)
	if err != nil {
		return Key{}, err
	}
	kty, _, err := obj.str("kty")
	if err != nil {
		return Key{}, err
	}
	if kty != "AKP" {
		return Key{}, fmt.Errorf("authjwt: private JWK kty is %q; only AKP (ML-DSA) private JWKs are read, other private keys are read from PEM", kty)
	}
	privText, ok, err := obj.str("priv")
	if err != nil {
		return Key{}, err
	}
	if !ok {
		return Key{}, errors.New("authjwt: AKP private JWK lacks member \"priv\"")
	}
	seed, err := decodeB64("priv", privText)
	if err != nil {
		return Key{}, err
	}
	for _, m := range privateMembers {
		if _, ok := obj[m]; ok && m != "priv" {
			return Key{}, fmt.Errorf("authjwt: AKP JWK holds member %q, which no AKP key has", m)
		}
	}
	delete(obj, "priv")
	pubKey, err := parseJWKObject(obj)
	if err != nil {
		return Key{}, err
	}
	signer, err := NewMLDSAPrivateKey(pubKey.Alg, seed)
	if err != nil {
		return Key{}, err
	}
	_, derived, _ := jws.MLDSAKeyAlg(signer)
	_, given, _ := jws.MLDSAKeyAlg(pubKey.Public)
	if !bytes.Equal(derived, given) {
		return Key{}, errors.New("authjwt: AKP JWK pub is not the public key of its priv (seed)")
	}
	kid := pubKey.KID
	if kid == "" {
		if kid, err = Thumbprint(signer.Public()); err != nil {
			return Key{}, err
		}
	}
	return Key{KID: kid, Alg: pubKey.Alg, Public: signer.Public(), Signer: signer}, nil
}

// MarshalPrivateAKP returns the private form of an ML-DSA key as an AKP
// JWK (RFC 9964): kty, kid, alg, pub and priv, the seed. k.Signer must be
// an in-memory ML-DSA key (*mldsa.PrivateKey); a KMS or HSM key has no
// seed to give. The result is secret: store it as you would a private PEM.
func MarshalPrivateAKP(k Key) ([]byte, error) {
	if k.Signer == nil {
		return nil, fmt.Errorf("authjwt: key %q cannot sign: no private key to marshal", k.KID)
	}
	seed, ok := jws.MLDSASeed(k.Signer)
	if !ok {
		return nil, fmt.Errorf("authjwt: key %q is not an in-memory ML-DSA key (%T)", k.KID, k.Signer)
	}
	j, err := PublicJWK(k)
	if err != nil {
		return nil, err
	}
	return json.Marshal(privateAKP{Kty: j.Kty, Kid: j.Kid, Use: j.Use, Alg: j.Alg, Pub: j.Pub, Priv: b64.EncodeToString(seed)})
}

// mldsaOIDPrefix is the DER of id-ml-dsa-44/65/87 (2.16.840.1.101.3.4.3.17
// to .19, RFC 9881) but for its last byte.
var mldsaOIDPrefix = []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03}

// isMLDSAPKCS8 reports whether DER holds an ML-DSA algorithm identifier,
// to explain a key a build without crypto/mldsa cannot read.
func isMLDSAPKCS8(der []byte) bool {
	for i := bytes.Index(der, mldsaOIDPrefix); i >= 0 && i+len(mldsaOIDPrefix) < len(der); {
		if b := der[i+len(mldsaOIDPrefix)]; b >= 0x11 && b <= 0x13 {
			return true
		}
		j := bytes.Index(der[i+1:], mldsaOIDPrefix)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}
