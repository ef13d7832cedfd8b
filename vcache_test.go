package authjwt

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
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

// TestVerifyCacheHitClaims: a token served from the verification cache
// reports the same claims and key id as its first verification, whose
// Token's buffer the cache entry shares, even after that Token is dropped
// and the garbage collector has run; subjects around the size of the
// Token's own string buffer (tokenBufSize) take both the inline and the
// overflow storage.
func TestVerifyCacheHitClaims(t *testing.T) {
	ctx := context.Background()
	set := keys.NewSet()
	k := must(set.AddSigner(must(keys.NewSigningKey("ES256", keyFor("ES256")))))
	a := mustNew(t, Config{KeySet: set, VerifyCacheSize: 64, DecodeAudience: []string{"api"}})
	for _, n := range []int{1, tokenBufSize - 72 - len(k.KID), tokenBufSize - 72 - len(k.KID) + 1, tokenBufSize, 3000} {
		sub := strings.Repeat("s", n)
		tok := must(a.CreateAccessToken(sub, WithAudience("api"), WithFamily("f0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"),
			WithClaims(map[string]any{"roles": []string{"admin", "ops"}})))
		check := func(v *Token) {
			t.Helper()
			if v.Subject() != sub || v.KeyID() != k.KID || v.Family() != "f0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b" || len(v.JTI()) != 36 ||
				v.Type() != "access" || !slices.Equal(v.Audience(), []string{"api"}) || !slices.Equal(v.Roles(), []string{"admin", "ops"}) {
				t.Fatalf("subject of %d bytes: sub %d bytes, kid %q, aid %q, jti %q, type %q, aud %q, roles %q",
					n, len(v.Subject()), v.KeyID(), v.Family(), v.JTI(), v.Type(), v.Audience(), v.Roles())
			}
		}
		first := must(a.Verify(ctx, tok, Requirement{}))
		check(first)
		first = nil
		runtime.GC()
		hit := must(a.Verify(ctx, tok, Requirement{}))
		if a.vcache.get(tok, a.keyVersion()) == nil {
			t.Fatal("not cached")
		}
		runtime.GC()
		check(hit)
	}
}
