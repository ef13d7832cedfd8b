package authjwt

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

func TestRotation(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := revoke.NewMemory(revoke.WithClock(clk.Now))
	defer store.Close()
	a := mustNew(t, Config{SecretKey: testSecret, DenylistEnabled: true, Store: store, RefreshTokenRotation: true, Now: clk.Now})
	p0 := must(a.CreatePair("alice", WithFresh(true)))
	r0 := must(a.Verify(ctx, p0.RefreshToken, Requirement{Refresh: true}))
	clk.Add(time.Hour)
	p1, err := a.Rotate(ctx, r0)
	if err != nil {
		t.Fatal(err)
	}
	r1 := must(a.Verify(ctx, p1.RefreshToken, Requirement{Refresh: true}))
	a1 := must(a.Verify(ctx, p1.AccessToken, Requirement{}))
	if r1.Family() != r0.Family() || a1.Family() != r0.Family() {
		t.Fatal("rotation left the family")
	}
	if !r1.ExpiresAt().Equal(r0.ExpiresAt()) {
		t.Fatalf("rotation extended the session: %v -> %v", r0.ExpiresAt(), r1.ExpiresAt())
	}
	if a1.Fresh() {
		t.Fatal("rotated access token is fresh")
	}
	// The old refresh token presented again: reuse, the family dies.
	r0again := must(a.Verify(ctx, p0.RefreshToken, Requirement{Refresh: true}))
	if _, err := a.Rotate(ctx, r0again); !errors.Is(err, ErrRefreshReuse) {
		t.Fatalf("reuse: %v", err)
	}
	for _, tok := range []string{p1.RefreshToken, p0.RefreshToken} {
		if _, err := a.Verify(ctx, tok, Requirement{Refresh: true}); !errors.Is(err, ErrTokenRevoked) {
			t.Fatalf("family member still valid after reuse: %v", err)
		}
	}
	if _, err := a.Verify(ctx, p1.AccessToken, Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("access token of the family still valid: %v", err)
	}
	// Another session is unaffected.
	other := must(a.CreatePair("alice"))
	if _, err := a.Verify(ctx, other.AccessToken, Requirement{}); err != nil {
		t.Fatal(err)
	}
}

func TestRotationConcurrentExactlyOnce(t *testing.T) {
	ctx := context.Background()
	store := revoke.NewMemory()
	defer store.Close()
	a := mustNew(t, Config{SecretKey: testSecret, DenylistEnabled: true, Store: store, RefreshTokenRotation: true})
	p := must(a.CreatePair("alice"))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, reuse := 0, 0
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true})
			if err == nil {
				_, err = a.Rotate(ctx, r)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrRefreshReuse), errors.Is(err, ErrTokenRevoked):
				reuse++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || reuse != 31 {
		t.Fatalf("%d successes, %d refusals; want exactly one success", ok, reuse)
	}
}

func TestRotationGrace(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := revoke.NewMemory(revoke.WithClock(clk.Now))
	defer store.Close()
	a := mustNew(t, Config{SecretKey: testSecret, DenylistEnabled: true, Store: store, RefreshTokenRotation: true, RefreshReuseGrace: 10 * time.Second, Now: clk.Now})
	p := must(a.CreatePair("alice"))
	r := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
	if _, err := a.Rotate(ctx, r); err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Second)
	if _, err := a.Rotate(ctx, r); err != nil {
		t.Fatalf("retry within the grace window: %v", err)
	}
	clk.Add(10 * time.Second)
	if _, err := a.Rotate(ctx, r); !errors.Is(err, ErrRefreshReuse) {
		t.Fatalf("reuse after the grace window: %v", err)
	}
	b := mustNew(t, Config{SecretKey: testSecret})
	if _, err := b.Rotate(ctx, r); err == nil {
		t.Fatal("Rotate without RefreshTokenRotation")
	}
}
