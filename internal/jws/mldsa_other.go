//go:build !go1.27

package jws

import (
	"crypto"
	"errors"
)

// MLDSABuilt reports whether this build implements ML-DSA (FIPS 204,
// RFC 9964): it does not, as it was built with a Go older than 1.27,
// whose standard library has no public crypto/mldsa.
const MLDSABuilt = false

func verifyMLDSA(Alg, crypto.PublicKey, string, []byte) error { return ErrSignature }

// MLDSAKeyAlg reports ok false: no ML-DSA key exists in this build.
func MLDSAKeyAlg(any) (Alg, []byte, bool) { return AlgInvalid, nil, false }

// NewMLDSAPublicKey fails: ML-DSA needs Go 1.27.
func NewMLDSAPublicKey(alg Alg, _ []byte) (crypto.PublicKey, error) {
	return nil, errMLDSAUnavailable(alg)
}

// NewMLDSAPrivateKey fails: ML-DSA needs Go 1.27.
func NewMLDSAPrivateKey(alg Alg, _ []byte) (crypto.Signer, error) {
	return nil, errMLDSAUnavailable(alg)
}

// GenerateMLDSAKey fails: ML-DSA needs Go 1.27.
func GenerateMLDSAKey(alg Alg) (crypto.Signer, error) { return nil, errMLDSAUnavailable(alg) }

// MLDSASeed reports false: no ML-DSA key exists in this build.
func MLDSASeed(crypto.Signer) ([]byte, bool) { return nil, false }

func errMLDSAUnavailable(alg Alg) error { return errors.New(MLDSAUnavailableReason(alg)) }
