package authjwt

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

func TestVerifyCache(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := revoke.NewMemory(revoke.WithClock(clk.Now))
	defer store.Close()
	set := keys.NewSet()
	k1 := must(set.AddSigner(must(keys.NewSigningKey("ES256", keyFor("ES256")))))
	a := mustNew(t, Config{KeySet: set, VerifyCacheSize: 64, Now: clk.Now, DenylistEnabled: true, Store: store})
	tok := must(a.CreateAccessToken("alice", WithExpiry(time.Minute)))
	for range 3 {
		if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
			t.Fatal(err)
		}
	}
	if a.vcache.get(tok, a.keyVersion()) == nil {
		t.Fatal("verified token not cached")
	}
	// Requirements still apply on a hit.
	if _, err := a.Verify(ctx, tok, Requirement{Fresh: true}); !errors.Is(err, ErrFreshRequired) {
		t.Fatalf("fresh check skipped on a cache hit: %v", err)
	}
	// Revocation is still checked on a hit.
	v := must(a.Verify(ctx, tok, Requirement{}))
	if err := a.Revoke(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, tok, Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("revoked token served from the cache: %v", err)
	}
	// Expiry is still checked on a hit.
	tok2 := must(a.CreateAccessToken("bob", WithExpiry(time.Minute)))
	must(a.Verify(ctx, tok2, Requirement{}))
	clk.Add(2 * time.Minute)
	if _, err := a.Verify(ctx, tok2, Requirement{}); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired token served from the cache: %v", err)
	}
	// A changed key set is never served from the cache.
	tok3 := must(a.CreateAccessToken("carol"))
	must(a.Verify(ctx, tok3, Requirement{}))
	must(set.AddSigner(must(keys.NewSigningKey("EdDSA", keyFor("EdDSA")))))
	if err := set.Remove(k1.KID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, tok3, Requirement{}); err == nil {
		t.Fatal("token of a removed key served from the cache")
	}
	// Bounded: many tokens never grow the cache past its size.
	for range 200 {
		must(a.Verify(ctx, must(a.CreateAccessToken("x")), Requirement{}))
	}
	n := 0
	for i := range a.vcache.shards {
		n += len(a.vcache.shards[i].m)
	}
	if n > 64 {
		t.Fatalf("cache holds %d entries, bound is 64", n)
	}
}
