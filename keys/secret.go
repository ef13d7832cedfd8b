package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/librenz/authjwt/internal/jws"
)

// CheckSecret reports an error when an HMAC secret is key material rather
// than a random secret: the configuration mistake behind algorithm
// confusion (RFC 8725 §2.1, PyJWT's CVE-2022-29217), where a public key,
// which anyone can read, ends up as the key that signs tokens. It refuses
//
//   - PEM armour in any case ("-----BEGIN", "-----begin"), JWK and JWK Set
//     JSON, and OpenSSH public keys;
//   - a public key, certificate or private key in DER (SPKI/PKIX, PKCS#1,
//     X.509 certificate, PKCS#8, SEC 1), given raw, in base64 (standard or
//     URL alphabet, padded or not, with line breaks: a PEM body without its
//     armour lines) or in hex, and uncompressed EC points;
//   - any encoding of one of public (the configuration's and key set's
//     public keys, which are published at the JWKS endpoint): its DER
//     forms, its raw bytes (Ed25519 key, EC point, RSA modulus, ML-DSA key, JWK
//     coordinates) and its RFC 7638 thumbprint (the kid), raw, base64 or
//     hex.
//
// A random secret (keygen's, or any base64 or hex of random bytes) never
// matches. CheckSecret is for configuration time; it is not cheap.
func CheckSecret(secret []byte, public ...crypto.PublicKey) error {
	if what := keyText(secret); what != "" {
		return fmt.Errorf("authjwt: the HMAC secret is %s, not a random secret", what)
	}
	cands := decodings(secret)
	for _, c := range cands {
		if what := derKey(c.b); what != "" {
			return fmt.Errorf("authjwt: the HMAC secret is %s%s, not a random secret", what, c.how)
		}
	}
	for _, pub := range public {
		for _, m := range publicMaterial(pub) {
			for _, c := range cands {
				if bytes.Equal(c.b, m.b) {
					return fmt.Errorf("authjwt: the HMAC secret is a configured public key's %s%s: anyone could sign tokens with it", m.what, c.how)
				}
			}
		}
	}
	return nil
}

// keyText recognises key formats by their text.
func keyText(secret []byte) string {
	t := strings.ToLower(strings.TrimSpace(string(secret)))
	switch {
	case strings.Contains(t, "-----begin"):
		return "a PEM block"
	case strings.HasPrefix(t, "{") && (strings.Contains(t, `"kty"`) || strings.Contains(t, `"keys"`)):
		return "a JSON Web Key"
	case strings.HasPrefix(t, "ssh-") || strings.HasPrefix(t, "ecdsa-sha2-") || strings.HasPrefix(t, "sk-ssh-") || strings.HasPrefix(t, "sk-ecdsa-"):
		return "an OpenSSH key"
	}
	return ""
}

type decoding struct {
	b   []byte
	how string // " (base64)", ...
}

// decodings returns the secret as given and every decoding of it as
// base64 or hex, ignoring surrounding and embedded whitespace.
func decodings(secret []byte) []decoding {
	out := []decoding{{secret, ""}}
	compact := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, string(secret))
	if compact != string(secret) {
		out = append(out, decoding{[]byte(compact), ""})
	}
	unpadded := strings.TrimRight(compact, "=")
	for _, e := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := e.DecodeString(unpadded); err == nil && len(b) > 0 {
			out = append(out, decoding{b, " (base64)"})
		}
	}
	h := strings.TrimPrefix(strings.TrimPrefix(compact, "0x"), "0X")
	if b, err := hex.DecodeString(strings.ReplaceAll(h, ":", "")); err == nil && len(b) > 0 {
		out = append(out, decoding{b, " (hex)"})
	}
	return out
}

// derKey recognises DER key material and uncompressed EC points.
func derKey(b []byte) string {
	if len(b) > 0 && b[0] == 0x30 { // an ASN.1 SEQUENCE
		if _, err := x509.ParsePKIXPublicKey(b); err == nil {
			return "an SPKI public key"
		}
		if _, err := x509.ParsePKCS1PublicKey(b); err == nil {
			return "a PKCS#1 public key"
		}
		if _, err := x509.ParseCertificate(b); err == nil {
			return "a certificate"
		}
		if _, err := x509.ParsePKCS8PrivateKey(b); err == nil {
			return "a PKCS#8 private key"
		}
		if _, err := x509.ParsePKCS1PrivateKey(b); err == nil {
			return "a PKCS#1 private key"
		}
		if _, err := x509.ParseECPrivateKey(b); err == nil {
			return "a SEC 1 private key"
		}
	}
	if len(b) > 0 && b[0] == 4 {
		for _, c := range []ecdh.Curve{ecdh.P256(), ecdh.P384(), ecdh.P521()} {
			if _, err := c.NewPublicKey(b); err == nil {
				return "an EC public key point"
			}
		}
	}
	return ""
}

type material struct {
	b    []byte
	what string
}

// publicMaterial returns the byte strings that identify pub publicly.
func publicMaterial(pub crypto.PublicKey) []material {
	pub = publicOf(pub)
	var out []material
	if der, err := x509.MarshalPKIXPublicKey(pub); err == nil {
		out = append(out, material{der, "SPKI DER"})
	}
	if kid, err := Thumbprint(pub); err == nil {
		if tp, err := base64.RawURLEncoding.DecodeString(kid); err == nil {
			out = append(out, material{tp, "RFC 7638 thumbprint (kid)"})
		}
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		out = append(out, material{x509.MarshalPKCS1PublicKey(k), "PKCS#1 DER"}, material{k.N.Bytes(), "modulus"})
	case *ecdsa.PublicKey:
		if e, err := k.ECDH(); err == nil {
			pt := e.Bytes()
			n := (len(pt) - 1) / 2
			out = append(out, material{pt, "EC point"}, material{pt[1 : 1+n], "x coordinate"}, material{pt[1+n:], "y coordinate"})
		}
	case ed25519.PublicKey:
		out = append(out, material{[]byte(k), "raw Ed25519 key"})
	}
	if _, raw, ok := jws.MLDSAKeyAlg(pub); ok {
		out = append(out, material{raw, "raw ML-DSA public key (an AKP JWK's pub)"})
	}
	// The digest of each, too: a secret derived as sha256(public key).
	for _, m := range out[:len(out):len(out)] {
		d := sha256.Sum256(m.b)
		out = append(out, material{d[:], "SHA-256 of the " + m.what})
	}
	return out
}
