package keys

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
)

// Key is one key: its id, the algorithm it is bound to, and its material.
// Asymmetric keys carry Public (and Signer when they can sign); HMAC keys
// carry Secret only. Treat a Key as immutable once built.
type Key struct {
	// KID is the key id ("kid"). Asymmetric keys built by this package
	// default to their RFC 7638 thumbprint.
	KID string
	// Alg is the algorithm this key is bound to. It is "" only for keys from
	// a remote JWKS whose JWK lacks "alg" and whose type fits more than one
	// allowed algorithm; use [Key.Accepts] to check a token's alg then.
	Alg string
	// Public is the public key; nil for HMAC keys.
	Public crypto.PublicKey
	// Secret is the HMAC secret; nil for asymmetric keys.
	Secret []byte
	// Signer signs with the private key; nil for verify-only keys.
	Signer crypto.Signer
	// Aliases are further kids this key answers to in a [Set] (legacy
	// kids, such as the seed's [SeedKID] for a key shared with a
	// libre-fastapi-jwt service). Tokens naming an alias verify with this
	// key under its Alg only, exactly as tokens naming KID; new tokens are
	// signed with KID. An alias may not be another key's kid or alias.
	Aliases []string
}

// NewSigningKey returns a Key that signs with signer under alg. Its KID is
// the RFC 7638 thumbprint of the public key.
func NewSigningKey(alg string, signer crypto.Signer) (Key, error) {
	if signer == nil {
		return Key{}, errors.New("authjwt: signer is nil")
	}
	if IsHMAC(alg) {
		return Key{}, fmt.Errorf("authjwt: %s needs a secret; use NewHMACKey", alg)
	}
	if err := CheckKey(alg, signer); err != nil {
		return Key{}, err
	}
	pub := signer.Public()
	kid, err := Thumbprint(pub)
	if err != nil {
		return Key{}, err
	}
	return Key{KID: kid, Alg: alg, Public: pub, Signer: signer}, nil
}

// NewVerifyKey returns a verify-only Key for pub under alg. Its KID is the
// RFC 7638 thumbprint of pub. A private key or crypto.Signer is reduced to
// its public key: the Key cannot sign.
func NewVerifyKey(alg string, pub crypto.PublicKey) (Key, error) {
	if IsHMAC(alg) {
		return Key{}, fmt.Errorf("authjwt: %s needs a secret; use NewHMACKey", alg)
	}
	pub = publicOf(pub)
	if err := CheckKey(alg, pub); err != nil {
		return Key{}, err
	}
	kid, err := Thumbprint(pub)
	if err != nil {
		return Key{}, err
	}
	return Key{KID: kid, Alg: alg, Public: pub}, nil
}

// NewHMACKey returns an HMAC Key for alg (HS256, HS384 or HS512) with the
// given kid, which may be "". The secret is copied and must be at least as
// long as the hash output (RFC 7518 §3.2), and must not be key material
// (see [CheckSecret]).
func NewHMACKey(alg, kid string, secret []byte) (Key, error) {
	if !IsHMAC(alg) {
		return Key{}, fmt.Errorf("authjwt: %q is not an HMAC algorithm", alg)
	}
	if err := CheckKey(alg, secret); err != nil {
		return Key{}, err
	}
	if err := CheckSecret(secret); err != nil {
		return Key{}, err
	}
	return Key{KID: kid, Alg: alg, Secret: bytes.Clone(secret)}, nil
}

// IsHMAC reports whether k is a symmetric (HMAC) key.
func (k Key) IsHMAC() bool { return k.Secret != nil }

// CanSign reports whether k can sign: it has a Signer or a Secret.
func (k Key) CanSign() bool { return k.Signer != nil || k.Secret != nil }

// Accepts reports whether a token whose header names alg may be verified
// with k: alg must equal k.Alg ("EdDSA" and "Ed25519" are the same here) or,
// when k.Alg is "", merely fit the key material. Callers still apply their
// own list of allowed algorithms.
func (k Key) Accepts(alg string) bool {
	if k.Alg != "" {
		return SameAlgorithm(alg, k.Alg) && CheckKey(alg, k) == nil
	}
	return KnownAlgorithm(alg) && CheckKey(alg, k) == nil
}

// Validate checks that k is consistent: a known Alg fitting its material
// (or, for Alg "", material that fits some algorithm), either Secret or
// Public but not both, and a Signer whose public key is Public.
func (k Key) Validate() error {
	switch {
	case k.Secret != nil && (k.Public != nil || k.Signer != nil):
		return fmt.Errorf("authjwt: key %q mixes an HMAC secret with an asymmetric key", k.KID)
	case k.Secret != nil:
		if k.Alg == "" || !IsHMAC(k.Alg) {
			return fmt.Errorf("authjwt: HMAC key %q needs an HS256, HS384 or HS512 alg, got %q", k.KID, k.Alg)
		}
		if err := CheckKey(k.Alg, k.Secret); err != nil {
			return err
		}
		return CheckSecret(k.Secret)
	case k.Public == nil && k.Signer == nil:
		return fmt.Errorf("authjwt: key %q holds no key material", k.KID)
	}
	pub := k.Public
	if pub == nil {
		pub = k.Signer.Public()
	}
	if k.Signer != nil {
		eq, ok := k.Signer.Public().(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !eq.Equal(pub) {
			return fmt.Errorf("authjwt: key %q: Signer does not match Public", k.KID)
		}
	}
	if k.Alg == "" {
		for _, a := range Algorithms() {
			if !IsHMAC(a) && CheckKey(a, pub) == nil {
				return nil
			}
		}
		return CheckKey(RS256, pub) // some error describing the key
	}
	if IsHMAC(k.Alg) {
		return fmt.Errorf("authjwt: key %q: %s needs a secret, not an asymmetric key", k.KID, k.Alg)
	}
	return CheckKey(k.Alg, pub)
}
