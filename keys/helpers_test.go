package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// testKeys are generated once per test binary: RSA generation is slow
// under -race.
type testKeySet struct {
	rsa, rsa2 *rsa.PrivateKey
	rsa1024   *rsa.PrivateKey
	p256      *ecdsa.PrivateKey
	p384      *ecdsa.PrivateKey
	p521      *ecdsa.PrivateKey
	ed        ed25519.PrivateKey
}

var testKeys = sync.OnceValue(func() *testKeySet {
	must := func(k crypto.Signer, err error) crypto.Signer {
		if err != nil {
			panic(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return &testKeySet{
		rsa:     must(rsa.GenerateKey(rand.Reader, 2048)).(*rsa.PrivateKey),
		rsa2:    must(rsa.GenerateKey(rand.Reader, 2048)).(*rsa.PrivateKey),
		rsa1024: must(rsa.GenerateKey(rand.Reader, 1024)).(*rsa.PrivateKey),
		p256:    must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)).(*ecdsa.PrivateKey),
		p384:    must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)).(*ecdsa.PrivateKey),
		p521:    must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader)).(*ecdsa.PrivateKey),
		ed:      ed,
	}
})

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signerWrapper hides the concrete key type behind crypto.Signer, like an
// HSM or KMS signer would.
type signerWrapper struct{ crypto.Signer }
