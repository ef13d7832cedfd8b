package keys

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// Thumbprint returns the RFC 7638 JWK thumbprint of pub, with SHA-256, in
// base64url without padding. RSA, ECDSA (P-256, P-384, P-521), Ed25519
// and ML-DSA keys are supported (an ML-DSA key's over its alg, kty and pub,
// as RFC 9964 defines it); a private key or crypto.Signer gives the
// thumbprint of its public key.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	j, err := publicJWKOf(publicOf(pub))
	if err != nil {
		return "", err
	}
	// RFC 7638 §3.2: the required members only, in lexicographic order, no
	// whitespace. Every value is base64url or a fixed name, so json.Marshal
	// of a string never needs escaping beyond the quotes.
	var canon string
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	switch j.Kty {
	case "RSA":
		canon = `{"e":` + q(j.E) + `,"kty":"RSA","n":` + q(j.N) + `}`
	case "EC":
		canon = `{"crv":` + q(j.Crv) + `,"kty":"EC","x":` + q(j.X) + `,"y":` + q(j.Y) + `}`
	case "OKP":
		canon = `{"crv":` + q(j.Crv) + `,"kty":"OKP","x":` + q(j.X) + `}`
	case "AKP":
		// RFC 9964: the required members of an AKP key are alg, kty, pub.
		canon = `{"alg":` + q(j.Alg) + `,"kty":"AKP","pub":` + q(j.Pub) + `}`
	default:
		return "", fmt.Errorf("authjwt: no thumbprint for key type %q", j.Kty)
	}
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// SeedKID returns the kid libre-fastapi-jwt (the seed) stamps for pub:
// base64url, without padding, of SHA-256 over the DER SubjectPublicKeyInfo.
// It is not the RFC 7638 thumbprint ([Thumbprint]); a service sharing keys
// with the seed signs with it ([Key.KID]) or accepts it as an alias
// ([Key.Aliases], [SeedKIDAliases]). A private key or crypto.Signer gives
// the kid of its public key.
func SeedKID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(publicOf(pub))
	if err != nil {
		return "", fmt.Errorf("authjwt: no SubjectPublicKeyInfo for %T: %v", pub, err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}
