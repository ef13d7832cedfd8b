package authjwt

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"github.com/librenz/authjwt/revoke"
)

type ctxKeyTest struct{}

// kmsSigner is a ContextSigner standing for a KMS: it records the
// context of each call, and with block set waits for its cancellation.
type kmsSigner struct {
	key     ed25519.PrivateKey
	calls   atomic.Int32
	plain   atomic.Int32 // Sign calls: must stay 0
	lastVal atomic.Value // ctx.Value(ctxKeyTest{}) of the last call
	block   bool
	started chan struct{}
}

func (k *kmsSigner) Public() crypto.PublicKey { return k.key.Public() }

func (k *kmsSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	k.plain.Add(1)
	return k.key.Sign(rand, digest, opts)
}

func (k *kmsSigner) SignContext(ctx context.Context, rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	k.calls.Add(1)
	v, _ := ctx.Value(ctxKeyTest{}).(string)
	k.lastVal.Store(v)
	if k.block {
		close(k.started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return k.key.Sign(rand, digest, opts)
}

func newKMS(t *testing.T) (*kmsSigner, *Auth) {
	testKeys()
	k := &kmsSigner{key: edKey}
	store := revoke.NewMemory()
	t.Cleanup(func() { store.Close() })
	a := mustNew(t, Config{Keys: KeyConfig{Signer: k, Algorithm: "EdDSA"},
		Revocation: RevocationConfig{Enabled: true, Store: store, Rotation: true}})
	return k, a
}

func TestContextSignerGetsTheContext(t *testing.T) {
	k, a := newKMS(t)
	ctx := context.WithValue(context.Background(), ctxKeyTest{}, "request-1")
	at, err := a.CreateAccessTokenContext(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if k.calls.Load() != 1 || k.lastVal.Load() != "request-1" {
		t.Fatalf("SignContext calls %d, context value %v", k.calls.Load(), k.lastVal.Load())
	}
	if _, err := a.Verify(context.Background(), at, Requirement{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateRefreshTokenContext(ctx, "alice"); err != nil || k.calls.Load() != 2 {
		t.Fatalf("refresh: %v, %d calls", err, k.calls.Load())
	}
	p, err := a.CreatePairContext(context.WithValue(ctx, ctxKeyTest{}, "request-2"), "alice")
	if err != nil || k.calls.Load() != 4 || k.lastVal.Load() != "request-2" {
		t.Fatalf("pair: %v, %d calls, %v", err, k.calls.Load(), k.lastVal.Load())
	}
	// Rotate signs under its own context.
	rt := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
	if _, err := a.Rotate(context.WithValue(ctx, ctxKeyTest{}, "rotate"), rt); err != nil || k.lastVal.Load() != "rotate" {
		t.Fatalf("Rotate: %v, %v", err, k.lastVal.Load())
	}
	// Without a context: SignContext with context.Background, never Sign.
	if _, err := a.CreateAccessToken("alice"); err != nil || k.lastVal.Load() != "" {
		t.Fatalf("CreateAccessToken: %v, %v", err, k.lastVal.Load())
	}
	if k.plain.Load() != 0 {
		t.Fatalf("Sign called %d times beside SignContext", k.plain.Load())
	}
}

func TestContextSignerCancellation(t *testing.T) {
	k, a := newKMS(t)
	// Done before signing: ctx.Err(), the signer never called.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.CreateAccessTokenContext(done, "alice"); err != context.Canceled {
		t.Fatalf("cancelled context: %v", err)
	}
	if _, err := a.CreatePairContext(done, "alice"); !errors.Is(err, context.Canceled) {
		t.Fatalf("pair, cancelled context: %v", err)
	}
	if k.calls.Load() != 0 {
		t.Fatalf("signer called %d times with a done context", k.calls.Load())
	}
	hmac := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	if _, err := hmac.CreateAccessTokenContext(done, "alice"); err != context.Canceled {
		t.Fatalf("HMAC, cancelled context: %v", err)
	}

	// Cancelled while the KMS call runs: the call ends, with ctx.Err().
	k.block, k.started = true, make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := a.CreateAccessTokenContext(ctx, "alice")
		errc <- err
	}()
	<-k.started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while signing: %v", err)
	}
}
