package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"

	"github.com/librenz/authjwt/internal/jws"
)

// Algorithm names (RFC 7518 §3.1, RFC 8037, RFC 9864).
const (
	HS256   = "HS256"
	HS384   = "HS384"
	HS512   = "HS512"
	RS256   = "RS256"
	RS384   = "RS384"
	RS512   = "RS512"
	PS256   = "PS256"
	PS384   = "PS384"
	PS512   = "PS512"
	ES256   = "ES256"
	ES384   = "ES384"
	ES512   = "ES512"
	EdDSA   = "EdDSA"
	Ed25519 = "Ed25519" // RFC 9864 fully specified name; verifies with Ed25519 keys like EdDSA.

	// ML-DSA (FIPS 204) for JOSE, RFC 9964: post-quantum signatures with
	// AKP keys, in programs built with Go 1.27 or later (crypto/mldsa);
	// elsewhere every function of this package refuses them, saying so.
	MLDSA44 = "ML-DSA-44"
	MLDSA65 = "ML-DSA-65"
	MLDSA87 = "ML-DSA-87"
)

// MinRSABits is the smallest RSA modulus, in bits, that any function of this
// package accepts.
const MinRSABits = 2048

// MaxRSABits is the largest RSA modulus, in bits, accepted: the verifier
// refuses signatures longer than an RSA-8192 one (authjwt.MaxSignatureSize
// bytes), so a bigger key would sign tokens that never verify; bigger
// keys also make verification slow enough to be a denial-of-service vector.
const MaxRSABits = jws.MaxRSABits

type algFamily int

const (
	famHMAC algFamily = iota + 1
	famRSA
	famEC
	famEd25519
	famMLDSA
)

type algInfo struct {
	family algFamily
	curve  string  // EC curve name for famEC
	minLen int     // minimum HMAC secret length in bytes
	mldsa  jws.Alg // the parameter set's algorithm for famMLDSA
}

// infoOf describes alg from the codec's algorithm table (internal/jws),
// the one list of the algorithms authjwt implements: the names above are
// its names.
func infoOf(alg string) (algInfo, bool) {
	a, ok := jws.ParseAlg(alg)
	switch {
	case !ok:
		return algInfo{}, false
	case a.IsHMAC():
		return algInfo{family: famHMAC, minLen: a.Hash().Size()}, true
	case a.IsRSA():
		return algInfo{family: famRSA}, true
	case a.IsECDSA():
		return algInfo{family: famEC, curve: curveName(a.Curve())}, true
	case a.IsEdDSA():
		return algInfo{family: famEd25519}, true
	case a.IsMLDSA():
		return algInfo{family: famMLDSA, mldsa: a}, true
	}
	return algInfo{}, false
}

// IsPostQuantum reports whether alg is a post-quantum signature algorithm
// (ML-DSA-44, ML-DSA-65 or ML-DSA-87), whether or not this build
// implements it (see [PostQuantumAvailable]).
func IsPostQuantum(alg string) bool {
	a, _ := jws.ParseAlg(alg)
	return a.IsMLDSA()
}

// PostQuantumAvailable reports whether this program implements ML-DSA:
// it does when built with Go 1.27 or later, whose standard library has
// crypto/mldsa.
func PostQuantumAvailable() bool { return jws.MLDSABuilt }

// unavailable returns the error for an algorithm this build does not
// implement, or nil.
func unavailable(alg string) error {
	if a, ok := jws.ParseAlg(alg); ok && !a.Available() {
		return errors.New("authjwt: " + jws.MLDSAUnavailableReason(a))
	}
	return nil
}

// Algorithms returns the names of every algorithm this build supports, in
// a fixed order: ML-DSA-44, ML-DSA-65 and ML-DSA-87 only in a program
// built with Go 1.27 or later. "none" is never among them.
func Algorithms() []string {
	return slices.DeleteFunc(jws.AlgNames(), func(a string) bool { return unavailable(a) != nil })
}

// KnownAlgorithm reports whether alg is a signature algorithm this package
// knows. Names are case-sensitive; "none" is never known. The ML-DSA
// algorithms are known in every build, so that a build without them
// refuses them saying which Go they need ([CheckKey]).
func KnownAlgorithm(alg string) bool {
	_, ok := jws.ParseAlg(alg)
	return ok
}

// IsHMAC reports whether alg is one of HS256, HS384 or HS512.
func IsHMAC(alg string) bool {
	a, _ := jws.ParseAlg(alg)
	return a.IsHMAC()
}

// SameAlgorithm reports whether a and b name the same algorithm, treating
// "EdDSA" and "Ed25519" as equal (this package supports EdDSA with Ed25519
// keys only).
func SameAlgorithm(a, b string) bool {
	if a == b {
		return KnownAlgorithm(a)
	}
	x, _ := jws.ParseAlg(a)
	y, _ := jws.ParseAlg(b)
	return x.IsEdDSA() && y.IsEdDSA()
}

func curveName(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "P-256"
	case elliptic.P384():
		return "P-384"
	case elliptic.P521():
		return "P-521"
	}
	return ""
}

// CheckKey reports whether key fits alg: a []byte secret at least as long as
// the hash output for HS*, an *rsa.PublicKey or *rsa.PrivateKey of at least
// [MinRSABits] bits for RS* and PS*, an *ecdsa.PublicKey or *ecdsa.PrivateKey
// on P-256, P-384 or P-521 for ES256, ES384 and ES512 respectively, and an
// ed25519.PublicKey or ed25519.PrivateKey for EdDSA and Ed25519. Any
// crypto.Signer whose Public() fits is accepted, as is a [Key] whose Secret
// or Public fits. Errors start with "authjwt: " and say what is wrong.
func CheckKey(alg string, key any) error {
	info, ok := infoOf(alg)
	if !ok {
		if alg == "" || alg == "none" || alg == "None" || alg == "NONE" {
			return fmt.Errorf("authjwt: algorithm %q is not allowed", alg)
		}
		return fmt.Errorf("authjwt: unknown algorithm %q", alg)
	}
	if err := unavailable(alg); err != nil {
		return err
	}
	switch k := key.(type) {
	case Key:
		if k.Secret != nil {
			return CheckKey(alg, k.Secret)
		}
		if k.Public != nil {
			return CheckKey(alg, k.Public)
		}
		if k.Signer != nil {
			return CheckKey(alg, k.Signer)
		}
		return fmt.Errorf("authjwt: key %q holds no key material", k.KID)
	case *Key:
		if k == nil {
			return fmt.Errorf("authjwt: %s needs a key, got nil", alg)
		}
		return CheckKey(alg, *k)
	}
	if info.family == famHMAC {
		secret, ok := key.([]byte)
		if !ok {
			return fmt.Errorf("authjwt: %s needs a []byte secret, got %T", alg, key)
		}
		if len(secret) == 0 {
			return fmt.Errorf("authjwt: %s secret is empty", alg)
		}
		if len(secret) < info.minLen {
			return fmt.Errorf("authjwt: %s secret is %d bytes; at least %d are required", alg, len(secret), info.minLen)
		}
		return nil
	}
	return checkAsymmetric(alg, info, key)
}

func checkAsymmetric(alg string, info algInfo, key any) error {
	switch k := key.(type) {
	case nil:
		return fmt.Errorf("authjwt: %s needs a key, got nil", alg)
	case []byte:
		return fmt.Errorf("authjwt: %s is an asymmetric algorithm; a []byte secret does not fit", alg)
	case *rsa.PrivateKey:
		if k == nil {
			return fmt.Errorf("authjwt: %s needs a key, got nil", alg)
		}
		return checkAsymmetric(alg, info, &k.PublicKey)
	case *ecdsa.PrivateKey:
		if k == nil {
			return fmt.Errorf("authjwt: %s needs a key, got nil", alg)
		}
		return checkAsymmetric(alg, info, &k.PublicKey)
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return fmt.Errorf("authjwt: Ed25519 private key is %d bytes, want %d", len(k), ed25519.PrivateKeySize)
		}
		return checkAsymmetric(alg, info, k.Public())
	case *rsa.PublicKey:
		if info.family != famRSA {
			return fmt.Errorf("authjwt: %s does not fit an RSA key", alg)
		}
		return checkRSA(k)
	case *ecdsa.PublicKey:
		if info.family != famEC {
			return fmt.Errorf("authjwt: %s does not fit an ECDSA key", alg)
		}
		if k == nil || k.Curve == nil {
			return fmt.Errorf("authjwt: %s needs a key, got nil", alg)
		}
		if got := curveName(k.Curve); got != info.curve {
			if got == "" {
				got = k.Curve.Params().Name
			}
			return fmt.Errorf("authjwt: %s needs a %s key, got curve %s", alg, info.curve, got)
		}
		return nil
	case ed25519.PublicKey:
		if info.family != famEd25519 {
			return fmt.Errorf("authjwt: %s does not fit an Ed25519 key", alg)
		}
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("authjwt: Ed25519 public key is %d bytes, want %d", len(k), ed25519.PublicKeySize)
		}
		return nil
	case crypto.Signer:
		return checkAsymmetric(alg, info, k.Public())
	}
	// crypto/mldsa's types cannot be named in a build without it: an
	// ML-DSA public key (its private key is a crypto.Signer) is found here.
	if a, _, ok := jws.MLDSAKeyAlg(key); ok {
		if info.family != famMLDSA {
			return fmt.Errorf("authjwt: %s does not fit an %s key", alg, a)
		}
		if a != info.mldsa {
			return fmt.Errorf("authjwt: %s needs an %s key, got an %s key", alg, info.mldsa, a)
		}
		return nil
	}
	return fmt.Errorf("authjwt: unsupported key type %T for %s", key, alg)
}

func checkRSA(k *rsa.PublicKey) error {
	if k == nil || k.N == nil {
		return fmt.Errorf("authjwt: RSA key is nil")
	}
	if bits := k.N.BitLen(); bits < MinRSABits {
		return fmt.Errorf("authjwt: RSA key is %d bits; at least %d are required", bits, MinRSABits)
	} else if bits > MaxRSABits {
		return fmt.Errorf("authjwt: RSA key is %d bits; at most %d are accepted (the verifier refuses signatures over %d bytes, so tokens it signed would never verify)", bits, MaxRSABits, jws.MaxSignatureSize)
	}
	if k.N.Bit(0) == 0 {
		return fmt.Errorf("authjwt: RSA modulus is even")
	}
	if k.E < 3 || k.E%2 == 0 || int64(k.E) > 1<<31-1 {
		return fmt.Errorf("authjwt: RSA public exponent %d is not an odd number in [3, 2^31-1]", k.E)
	}
	return nil
}

// keyFamily returns the algorithm family of a public key, or 0.
func keyFamily(pub crypto.PublicKey) (algFamily, string) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return famRSA, ""
	case *ecdsa.PublicKey:
		return famEC, curveName(k.Curve)
	case ed25519.PublicKey:
		return famEd25519, ""
	}
	if a, _, ok := jws.MLDSAKeyAlg(pub); ok {
		return famMLDSA, a.String()
	}
	return 0, ""
}
