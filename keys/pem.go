package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/librenz/authjwt/internal/jws"
)

// ParsePrivateKeyPEM parses one private key from PEM: PKCS#1 "RSA PRIVATE
// KEY", PKCS#8 "PRIVATE KEY" (RSA, ECDSA, Ed25519, ML-DSA) or SEC 1 "EC PRIVATE
// KEY"; with Go 1.27 or later, PKCS#8 ML-DSA keys as crypto/x509 reads them
// (a *mldsa.PrivateKey). "EC PARAMETERS" blocks, as written by openssl ecparam, are skipped,
// as is text before the first block. Encrypted keys, data without a PEM block,
// more than one key, and anything but whitespace after the key are refused.
// The key's strength is not judged here: see [CheckKey].
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	var signer crypto.Signer
	rest := data
	found := false
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			break
		}
		found = true
		rest = r
		if block.Type == "EC PARAMETERS" {
			continue
		}
		if signer != nil {
			return nil, fmt.Errorf("authjwt: PEM holds more than one block after the private key (%q)", block.Type)
		}
		s, err := parsePrivateBlock(block)
		if err != nil {
			return nil, err
		}
		signer = s
	}
	if !found {
		return nil, errors.New("authjwt: no PEM block found")
	}
	if signer == nil {
		return nil, errors.New("authjwt: PEM holds no private key")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("authjwt: trailing data after PEM private key")
	}
	return signer, nil
}

func parsePrivateBlock(block *pem.Block) (crypto.Signer, error) {
	if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, errors.New("authjwt: PEM private key is encrypted; decrypt it first")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("authjwt: bad PKCS#1 RSA private key: %w", err)
		}
		return k, nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("authjwt: bad SEC 1 EC private key: %w", err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			if !jws.MLDSABuilt && isMLDSAPKCS8(block.Bytes) {
				return nil, errors.New("authjwt: PKCS#8 key is an ML-DSA key; ML-DSA " + jws.MLDSANeeds())
			}
			return nil, fmt.Errorf("authjwt: bad PKCS#8 private key: %w", err)
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		case ed25519.PrivateKey:
			return k, nil
		case *ecdh.PrivateKey:
			return nil, errors.New("authjwt: PKCS#8 key is an X25519/ECDH key, which cannot sign")
		case crypto.Signer:
			if _, _, ok := jws.MLDSAKeyAlg(k); ok {
				return k, nil // *mldsa.PrivateKey
			}
			return nil, fmt.Errorf("authjwt: unsupported PKCS#8 key type %T", k)
		default:
			return nil, fmt.Errorf("authjwt: unsupported PKCS#8 key type %T", k)
		}
	}
	return nil, fmt.Errorf("authjwt: PEM block %q is not a private key", block.Type)
}

// ParsePublicKeyPEM parses one public key from PEM: SPKI "PUBLIC KEY",
// PKCS#1 "RSA PUBLIC KEY", or "CERTIFICATE" (the public key of the first
// certificate; further CERTIFICATE blocks of a chain are allowed and ignored).
// Given a private key PEM, it returns that key's public key. Only RSA, ECDSA
// (P-256, P-384, P-521), Ed25519 and (with Go 1.27 or later) ML-DSA keys
// are returned.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, rest := pem.Decode(data)
	for block != nil && block.Type == "EC PARAMETERS" {
		block, rest = pem.Decode(rest)
	}
	if block == nil {
		return nil, errors.New("authjwt: no PEM block found")
	}
	var pub crypto.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			if !jws.MLDSABuilt && isMLDSAPKCS8(block.Bytes) {
				return nil, errors.New("authjwt: SPKI key is an ML-DSA key; ML-DSA " + jws.MLDSANeeds())
			}
			return nil, fmt.Errorf("authjwt: bad SPKI public key: %w", err)
		}
		pub = k
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("authjwt: bad PKCS#1 RSA public key: %w", err)
		}
		pub = k
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("authjwt: bad certificate: %w", err)
		}
		pub = c.PublicKey
		for {
			b, r := pem.Decode(rest)
			if b == nil || b.Type != "CERTIFICATE" {
				break
			}
			rest = r
		}
	case "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		s, err := ParsePrivateKeyPEM(data)
		if err != nil {
			return nil, err
		}
		return s.Public(), nil
	default:
		return nil, fmt.Errorf("authjwt: PEM block %q is not a public key", block.Type)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("authjwt: trailing data after PEM public key")
	}
	if fam, _ := keyFamily(pub); fam == 0 {
		return nil, fmt.Errorf("authjwt: unsupported public key type %T", pub)
	}
	if ec, ok := pub.(*ecdsa.PublicKey); ok && curveName(ec.Curve) == "" {
		return nil, errors.New("authjwt: unsupported elliptic curve")
	}
	return pub, nil
}

// MarshalPublicKeyPEM encodes pub (or the public half of a private key or
// crypto.Signer) as an SPKI "PUBLIC KEY" PEM block.
func MarshalPublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	pub = publicOf(pub)
	if fam, _ := keyFamily(pub); fam == 0 {
		return nil, fmt.Errorf("authjwt: cannot encode %T as a public key", pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("authjwt: encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// publicOf returns the public key of a private key or signer, or k itself.
func publicOf(k any) crypto.PublicKey {
	switch v := k.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return v
	case crypto.Signer:
		return v.Public()
	}
	return k
}
