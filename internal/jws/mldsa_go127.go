//go:build go1.27

package jws

import (
	"crypto"
	"crypto/mldsa"
	"errors"
)

// MLDSABuilt reports whether this build implements ML-DSA (FIPS 204,
// RFC 9964): it does when built with Go 1.27 or later, whose standard
// library has crypto/mldsa.
const MLDSABuilt = true

// mldsaParams returns the parameter set of an ML-DSA algorithm.
func mldsaParams(alg Alg) (mldsa.Parameters, bool) {
	switch alg {
	case MLDSA44:
		return mldsa.MLDSA44(), true
	case MLDSA65:
		return mldsa.MLDSA65(), true
	case MLDSA87:
		return mldsa.MLDSA87(), true
	}
	return mldsa.Parameters{}, false
}

// verifyMLDSA checks an ML-DSA signature (RFC 9964 §3: over the signing
// input, with the empty context). The key's parameter set must be alg's.
func verifyMLDSA(alg Alg, pub crypto.PublicKey, input string, sig []byte) error {
	k, ok := pub.(*mldsa.PublicKey)
	if !ok || k == nil {
		return ErrSignature
	}
	p, ok := mldsaParams(alg)
	if !ok || k.Parameters() != p || len(sig) != p.SignatureSize() {
		return ErrSignature
	}
	if mldsa.Verify(k, readOnly(input), sig, nil) != nil {
		return ErrSignature
	}
	return nil
}

// MLDSAKeyAlg returns the ML-DSA algorithm of an ML-DSA public key, a
// private key or a crypto.Signer holding one, with the public key's
// encoding; ok is false for every other key.
func MLDSAKeyAlg(key any) (alg Alg, pub []byte, ok bool) {
	var k *mldsa.PublicKey
	switch v := key.(type) {
	case *mldsa.PublicKey:
		k = v
	case *mldsa.PrivateKey:
		if v != nil {
			k = v.PublicKey()
		}
	case crypto.Signer:
		k, _ = v.Public().(*mldsa.PublicKey)
	}
	if k == nil {
		return AlgInvalid, nil, false
	}
	switch k.Parameters() {
	case mldsa.MLDSA44():
		alg = MLDSA44
	case mldsa.MLDSA65():
		alg = MLDSA65
	case mldsa.MLDSA87():
		alg = MLDSA87
	default:
		return AlgInvalid, nil, false
	}
	return alg, k.Bytes(), true
}

// NewMLDSAPublicKey decodes an ML-DSA public key of alg's parameter set.
func NewMLDSAPublicKey(alg Alg, encoding []byte) (crypto.PublicKey, error) {
	p, ok := mldsaParams(alg)
	if !ok {
		return nil, errors.New("not an ML-DSA algorithm: " + alg.String())
	}
	return mldsa.NewPublicKey(p, encoding)
}

// NewMLDSAPrivateKey derives the ML-DSA private key of alg's parameter
// set from its 32-byte seed (FIPS 204 ML-DSA.KeyGen_internal).
func NewMLDSAPrivateKey(alg Alg, seed []byte) (crypto.Signer, error) {
	p, ok := mldsaParams(alg)
	if !ok {
		return nil, errors.New("not an ML-DSA algorithm: " + alg.String())
	}
	return mldsa.NewPrivateKey(p, seed)
}

// GenerateMLDSAKey returns a new random ML-DSA private key for alg.
func GenerateMLDSAKey(alg Alg) (crypto.Signer, error) {
	p, ok := mldsaParams(alg)
	if !ok {
		return nil, errors.New("not an ML-DSA algorithm: " + alg.String())
	}
	return mldsa.GenerateKey(p)
}

// MLDSASeed returns the 32-byte seed of an in-memory ML-DSA private key
// (the private form of RFC 9964), or false for any other signer.
func MLDSASeed(signer crypto.Signer) ([]byte, bool) {
	k, ok := signer.(*mldsa.PrivateKey)
	if !ok || k == nil {
		return nil, false
	}
	return k.Bytes(), true
}

func errMLDSAUnavailable(alg Alg) error { return errors.New(MLDSAUnavailableReason(alg)) }
