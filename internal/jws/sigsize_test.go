package jws

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
)

// TestSignatureSize: the fixed lengths SignatureSize reports are the
// lengths of the signatures the codec makes (ML-DSA's are checked by the
// signer itself, and by the root's Go 1.27 tests); RSA's depend on the key.
func TestSignatureSize(t *testing.T) {
	for _, alg := range []Alg{HS256, HS384, HS512} {
		out, err := NewHMACKey(alg, make([]byte, 64)).AppendSignature(nil, alg, "input")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(out), EncodedLen(alg.SignatureSize()); got != want {
			t.Errorf("%s: %d base64url bytes, SignatureSize says %d", alg, got, want)
		}
	}
	for _, alg := range []Alg{ES256, ES384, ES512, EdDSA, Ed25519} {
		var sig []byte
		var err error
		if alg.IsECDSA() {
			key, gerr := ecdsa.GenerateKey(alg.Curve(), rand.Reader)
			if gerr != nil {
				t.Fatal(gerr)
			}
			sig, err = Sign(alg, key, "input")
		} else {
			_, key, gerr := ed25519.GenerateKey(rand.Reader)
			if gerr != nil {
				t.Fatal(gerr)
			}
			sig, err = Sign(alg, key, "input")
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != alg.SignatureSize() {
			t.Errorf("%s: %d bytes, SignatureSize says %d", alg, len(sig), alg.SignatureSize())
		}
	}
	for _, alg := range []Alg{RS256, PS512} {
		if n := alg.SignatureSize(); n != 0 {
			t.Errorf("%s: SignatureSize %d, want 0 (the key decides)", alg, n)
		}
	}
}
