package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

// RunRotationRetry checks retry-safe refresh-token rotation through
// authjwt against s, which must implement [revoke.SuccessorConsumer]:
// many concurrent Rotate calls with one refresh token within
// RefreshReuseGrace all succeed and all return the same successor (one
// refresh token, one access token, one family), revoking that family
// ends every token they returned, and a use after the window is reuse.
func RunRotationRetry(t *testing.T, s revoke.Store) {
	t.Helper()
	if _, ok := s.(revoke.SuccessorConsumer); !ok {
		t.Fatalf("RunRotationRetry: %T does not implement revoke.SuccessorConsumer", s)
	}
	const grace = 2 * time.Second
	a, err := authjwt.New(authjwt.Config{
		Keys: authjwt.KeyConfig{SecretKey: id("storetest-rotation-secret") + id("k")},
		Revocation: authjwt.RevocationConfig{
			Enabled:    true,
			Store:      s,
			Rotation:   true,
			ReuseGrace: grace,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	p, err := a.CreatePair(id("user"))
	if err != nil {
		t.Fatal(err)
	}
	r0, err := a.Verify(ctx, p.RefreshToken, authjwt.Requirement{Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	var (
		pairs [n]authjwt.Pair
		errs  [n]error
	)
	began := atOnce(n, func(i int) { pairs[i], errs[i] = a.Rotate(context.Background(), r0) })
	if time.Since(began) > grace/2 {
		t.Skipf("store too slow (%v for %d rotations) to stay within the %v grace window", time.Since(began), n, grace)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Rotate %d of %d concurrent retries: %v", i, n, errs[i])
		}
		if pairs[i].RefreshToken != pairs[0].RefreshToken || pairs[i].AccessToken != pairs[0].AccessToken {
			t.Fatalf("retry %d got another successor than retry 0: %d concurrent retries forked the session", i, n)
		}
	}
	r1, err := a.Verify(ctx, pairs[0].RefreshToken, authjwt.Requirement{Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Family() != r0.Family() || r1.JTI() == r0.JTI() {
		t.Fatalf("successor family %q jti %q; presented family %q jti %q", r1.Family(), r1.JTI(), r0.Family(), r0.JTI())
	}
	// The successor rotates on: the chain continues from it.
	p2, err := a.Rotate(ctx, r1)
	if err != nil {
		t.Fatalf("rotating the successor: %v", err)
	}
	// Revoking the family ends every token the retries returned.
	if err := a.RevokeFamily(ctx, r1); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{pairs[0].AccessToken, pairs[0].RefreshToken, p2.AccessToken, p2.RefreshToken} {
		if _, err := a.Verify(ctx, tok, authjwt.Requirement{Refresh: tok == pairs[0].RefreshToken || tok == p2.RefreshToken}); !errors.Is(err, authjwt.ErrTokenRevoked) {
			t.Fatalf("a token of the revoked family: %v, want ErrTokenRevoked", err)
		}
	}
	// After the window, presenting the first token again is reuse.
	q, err := a.CreatePair(id("user"))
	if err != nil {
		t.Fatal(err)
	}
	rq, err := a.Verify(ctx, q.RefreshToken, authjwt.Requirement{Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Rotate(ctx, rq); err != nil {
		t.Fatal(err)
	}
	time.Sleep(grace + 100*time.Millisecond)
	if _, err := a.Rotate(ctx, rq); !errors.Is(err, authjwt.ErrRefreshReuse) {
		t.Fatalf("a use after the grace window: %v, want ErrRefreshReuse", err)
	}
}
