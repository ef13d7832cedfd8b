package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"errors"
	"hash"
	"math/big"
	"runtime"
	"sync"
	"unsafe"
)

// Alg is a JWS algorithm this codec implements.
type Alg uint8

// The implemented algorithms. "none" is not one of them, by design.
const (
	AlgInvalid Alg = iota
	HS256
	HS384
	HS512
	RS256
	RS384
	RS512
	PS256
	PS384
	PS512
	ES256
	ES384
	ES512
	EdDSA
	Ed25519 // RFC 9864 fully specified name; verifies like EdDSA with Ed25519 keys
	// ML-DSA (FIPS 204, RFC 9964): implemented only in builds whose Go has
	// crypto/mldsa (Go 1.27 and later); see Available and mldsa_go127.go.
	MLDSA44
	MLDSA65
	MLDSA87
	numAlgs
)

// NumAlgs is the size of a table indexed by Alg; ranging over it
// (for a := range NumAlgs) visits every Alg, the zero one first.
const NumAlgs = numAlgs

// Known reports whether a names an algorithm (the zero Alg names none).
func (a Alg) Known() bool { return a > AlgInvalid && a < numAlgs }

// UnavailableReason says why a, a known algorithm, cannot be used in this
// build ("" when it can): ML-DSA needs Go 1.27.
func (a Alg) UnavailableReason() string {
	if !a.Known() || a.Available() {
		return ""
	}
	return MLDSAUnavailableReason(a)
}

// MaxRSABits is the largest RSA modulus, in bits, whose signatures the
// verifier reads: a signature is as long as the modulus, and the verifier
// refuses signatures over MaxSignatureSize bytes before decoding them.
// Key checks (New, package keys, keygen) use the same bound, so that no
// accepted key signs tokens that verification refuses.
const MaxRSABits = 8192

// MaxSignatureSize is the largest decoded signature the verifier reads
// under a classical algorithm, in bytes: an RSA-8192 signature (ES512's is
// 132 bytes). ML-DSA signatures are longer: see MaxMLDSASignatureSize.
const MaxSignatureSize = MaxRSABits / 8

// MaxMLDSASignatureSize is the largest decoded signature the verifier
// reads under an ML-DSA algorithm: an ML-DSA-87 signature (FIPS 204).
// Tokens of other algorithms are held to MaxSignatureSize.
const MaxMLDSASignatureSize = 4627

var algNames = [numAlgs]string{"", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87"}

// String returns the algorithm's registered name.
func (a Alg) String() string {
	if a >= numAlgs {
		return ""
	}
	return algNames[a]
}

// LookupAlg returns the algorithm with exactly this (case-sensitive) name.
func LookupAlg(name []byte) (Alg, bool) {
	for i := HS256; i < numAlgs; i++ {
		if algNames[i] == string(name) {
			return i, true
		}
	}
	return AlgInvalid, false
}

// AlgNames returns the names of every implemented algorithm, in the
// order of the enum (a new slice).
func AlgNames() []string { return append([]string(nil), algNames[HS256:]...) }

// ParseAlg is LookupAlg for strings.
func ParseAlg(name string) (Alg, bool) { return LookupAlg([]byte(name)) }

// IsHMAC reports whether a is HS256, HS384 or HS512.
func (a Alg) IsHMAC() bool { return a >= HS256 && a <= HS512 }

// IsRSA reports whether a is RS256/384/512 or PS256/384/512.
func (a Alg) IsRSA() bool { return a >= RS256 && a <= PS512 }

// IsPSS reports whether a is one of the RSA-PSS algorithms PS256/384/512.
func (a Alg) IsPSS() bool { return a >= PS256 && a <= PS512 }

// IsECDSA reports whether a is ES256, ES384 or ES512.
func (a Alg) IsECDSA() bool { return a >= ES256 && a <= ES512 }

// IsEdDSA reports whether a is EdDSA or its RFC 9864 name Ed25519.
func (a Alg) IsEdDSA() bool { return a == EdDSA || a == Ed25519 }

// IsMLDSA reports whether a is ML-DSA-44, ML-DSA-65 or ML-DSA-87.
func (a Alg) IsMLDSA() bool { return a >= MLDSA44 && a <= MLDSA87 }

// Available reports whether this build implements a: every algorithm
// does, except ML-DSA in builds with a Go older than 1.27.
func (a Alg) Available() bool {
	return a > AlgInvalid && a < numAlgs && (!a.IsMLDSA() || MLDSABuilt)
}

// SignatureSize returns the length in bytes of every signature of a, or
// 0 where it depends on the key (RSA: the modulus's length).
func (a Alg) SignatureSize() int {
	switch {
	case a.IsHMAC():
		return a.Hash().Size()
	case a.IsECDSA():
		return 2 * ((a.Curve().Params().BitSize + 7) / 8)
	case a.IsEdDSA():
		return ed25519.SignatureSize
	}
	switch a { // FIPS 204 Table 2
	case MLDSA44:
		return 2420
	case MLDSA65:
		return 3309
	case MLDSA87:
		return MaxMLDSASignatureSize
	}
	return 0
}

// Hash returns the hash function of the algorithm (0 for EdDSA).
func (a Alg) Hash() crypto.Hash {
	switch a {
	case HS256, RS256, PS256, ES256:
		return crypto.SHA256
	case HS384, RS384, PS384, ES384:
		return crypto.SHA384
	case HS512, RS512, PS512, ES512:
		return crypto.SHA512
	}
	return 0
}

// Curve returns the curve an ECDSA algorithm requires.
func (a Alg) Curve() elliptic.Curve {
	switch a {
	case ES256:
		return elliptic.P256()
	case ES384:
		return elliptic.P384()
	case ES512:
		return elliptic.P521()
	}
	return nil
}

// ErrSignature is returned for any signature that does not verify.
var ErrSignature = errors.New("signature verification failed")

// HMACKey is an HMAC secret with a pool of keyed hash states, so a
// verification costs no hmac.New.
type HMACKey struct {
	alg    Alg
	secret []byte
	pool   sync.Pool
}

// NewHMACKey returns a key for alg (one of HS256/384/512).
func NewHMACKey(alg Alg, secret []byte) *HMACKey {
	k := &HMACKey{alg: alg, secret: append([]byte(nil), secret...)}
	var h func() hash.Hash
	switch alg {
	case HS256:
		h = sha256.New
	case HS384:
		h = sha512.New384
	default:
		h = sha512.New
	}
	k.pool.New = func() any { return &hmacState{h: hmac.New(h, k.secret)} }
	return k
}

// hmacState is a keyed hash with room for its output, pooled together so
// that a verification allocates nothing.
type hmacState struct {
	h   hash.Hash
	buf [64]byte
}

// Alg returns the algorithm the key is bound to.
func (k *HMACKey) Alg() Alg { return k.alg }

// Secret returns the key bytes (not a copy; do not modify).
func (k *HMACKey) Secret() []byte { return k.secret }

// Verify checks an HMAC in constant time.
func (k *HMACKey) Verify(input string, sig []byte) error {
	st := k.pool.Get().(*hmacState)
	st.h.Reset()
	st.h.Write(readOnly(input))
	ok := hmac.Equal(st.h.Sum(st.buf[:0]), sig)
	k.pool.Put(st)
	if !ok {
		return ErrSignature
	}
	return nil
}

// AppendSign appends the HMAC of input to dst.
func (k *HMACKey) AppendSign(dst []byte, input string) []byte {
	st := k.pool.Get().(*hmacState)
	st.h.Reset()
	st.h.Write(readOnly(input))
	dst = append(dst, st.h.Sum(st.buf[:0])...)
	k.pool.Put(st)
	return dst
}

// VerifyPublic verifies sig over input with an asymmetric public key under
// alg. The key's type must fit alg (callers bind keys to algorithms in
// advance; this re-checks and fails closed).
func VerifyPublic(alg Alg, pub crypto.PublicKey, input string, sig []byte) error {
	switch {
	case alg.IsRSA():
		k, ok := pub.(*rsa.PublicKey)
		if !ok || len(sig) != k.Size() {
			return ErrSignature
		}
		var buf [64]byte
		h := alg.Hash()
		d := hashInto(buf[:0], h, input)
		var err error
		if alg.IsPSS() {
			err = rsa.VerifyPSS(k, h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
		} else {
			err = rsa.VerifyPKCS1v15(k, h, d, sig)
		}
		if err != nil {
			return ErrSignature
		}
		return nil
	case alg.IsECDSA():
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != alg.Curve() {
			return ErrSignature
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return ErrSignature
		}
		var buf [64]byte
		d := hashInto(buf[:0], alg.Hash(), input)
		// VerifyASN1 refuses r or s outside [1, N-1] (CVE-2022-21449);
		// the DER form is built here without big.Int.
		var der [2*66 + 16]byte
		if !ecdsa.VerifyASN1(k, d, p1363ToDER(der[:0], sig[:size], sig[size:])) {
			return ErrSignature
		}
		return nil
	case alg.IsEdDSA():
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
			return ErrSignature
		}
		if !ed25519.Verify(k, readOnly(input), sig) {
			return ErrSignature
		}
		return nil
	case alg.IsMLDSA():
		return verifyMLDSA(alg, pub, input, sig)
	}
	return ErrSignature
}

// readOnly views s as bytes without copying it, for functions that only
// read their input (hashes, signature checks): a signing input is as long
// as the token, and copying it would cost an allocation per verification.
func readOnly(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func hashInto(dst []byte, h crypto.Hash, input string) []byte {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(readOnly(input))
		return append(dst, s[:]...)
	case crypto.SHA384:
		s := sha512.Sum384(readOnly(input))
		return append(dst, s[:]...)
	default:
		s := sha512.Sum512(readOnly(input))
		return append(dst, s[:]...)
	}
}

// Sign signs input with a crypto.Signer under alg and returns the JWS
// signature (ECDSA in the fixed-width r||s form of RFC 7518 §3.4).
func Sign(alg Alg, signer crypto.Signer, input string) ([]byte, error) {
	switch {
	case alg.IsRSA():
		var buf [64]byte
		h := alg.Hash()
		d := hashInto(buf[:0], h, input)
		var opts crypto.SignerOpts = h
		if alg.IsPSS() {
			opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
		}
		return signer.Sign(rand.Reader, d, opts)
	case alg.IsECDSA():
		var buf [64]byte
		d := hashInto(buf[:0], alg.Hash(), input)
		der, err := signer.Sign(rand.Reader, d, alg.Hash())
		if err != nil {
			return nil, err
		}
		var esig struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(der, &esig); err != nil || len(rest) != 0 {
			return nil, errors.New("jws: signer returned a malformed ECDSA signature")
		}
		size := (alg.Curve().Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		esig.R.FillBytes(out[:size])
		esig.S.FillBytes(out[size:])
		return out, nil
	case alg.IsEdDSA():
		return signer.Sign(rand.Reader, []byte(input), crypto.Hash(0))
	case alg.IsMLDSA():
		// RFC 9964 §3: the signing input itself, with the empty context
		// (crypto.Hash(0): no pre-hash, as for Ed25519).
		if !MLDSABuilt {
			return nil, errMLDSAUnavailable(alg)
		}
		sig, err := signer.Sign(rand.Reader, []byte(input), crypto.Hash(0))
		if err == nil && len(sig) != alg.SignatureSize() {
			return nil, errors.New("jws: signer returned a signature of the wrong size for " + alg.String())
		}
		return sig, err
	}
	return nil, errors.New("jws: algorithm cannot sign with a crypto.Signer")
}

// p1363ToDER appends the DER encoding of the ECDSA signature (r, s), given
// as fixed-width big-endian integers, to dst.
func p1363ToDER(dst, r, s []byte) []byte {
	intLen := func(b []byte) (trimmed []byte, n int) {
		for len(b) > 1 && b[0] == 0 {
			b = b[1:]
		}
		n = len(b)
		if b[0]&0x80 != 0 {
			n++
		}
		return b, n
	}
	r, rn := intLen(r)
	s, sn := intLen(s)
	body := 2 + rn + 2 + sn
	dst = append(dst, 0x30)
	if body >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(body))
	for _, v := range [2]struct {
		b []byte
		n int
	}{{r, rn}, {s, sn}} {
		dst = append(dst, 0x02, byte(v.n))
		if v.n > len(v.b) {
			dst = append(dst, 0)
		}
		dst = append(dst, v.b...)
	}
	return dst
}

// MLDSAUnavailableReason says why alg (an ML-DSA algorithm) cannot be
// used in this build, naming the Go version needed, without a package
// prefix.
func MLDSAUnavailableReason(alg Alg) string { return alg.String() + " " + MLDSANeeds() }

// MLDSANeeds says what ML-DSA needs, after its name.
func MLDSANeeds() string {
	return "needs a program built with Go 1.27 or later (whose standard library has crypto/mldsa); this one was built with " + runtime.Version()
}
