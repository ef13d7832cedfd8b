package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// The replay section: what DPoP's jti replay detection needs of a
// [revoke.ReplayGuard]. Run runs it for every store implementing it.

func replayGuard(t *testing.T, s revoke.Store) revoke.ReplayGuard {
	g, ok := s.(revoke.ReplayGuard)
	if !ok {
		t.Skip("store does not implement revoke.ReplayGuard")
	}
	return g
}

func firstUse(t *testing.T, g revoke.ReplayGuard, key string, expires time.Time) bool {
	t.Helper()
	first, err := g.FirstUse(ctxT(t), key, expires)
	if err != nil {
		t.Fatalf("FirstUse(%q): %v", key, err)
	}
	return first
}

func testReplay(t *testing.T, s revoke.Store) {
	g := replayGuard(t, s)
	key := id("proof")
	if !firstUse(t, g, key, hour()) {
		t.Fatal("first FirstUse: first = false")
	}
	if firstUse(t, g, key, hour()) {
		t.Fatal("second FirstUse: first = true (a replayed proof would pass)")
	}
	if !firstUse(t, g, id("proof"), hour()) {
		t.Fatal("FirstUse of another key: first = false")
	}
	// Replay marks are not revocations, nor consumed refresh tokens.
	expect(t, s, revoke.Query{JTI: key}, false)
	if c, ok := s.(revoke.Consumer); ok {
		first, _, err := c.Consume(ctxT(t), key, hour())
		must(t, err)
		if !first {
			t.Fatal("Consume of a jti equal to a replay key: first = false (the marks share a namespace)")
		}
	}
	// An empty key is refused, not marked.
	if _, err := g.FirstUse(ctxT(t), "", hour()); err == nil {
		t.Fatal("FirstUse(\"\") succeeded")
	}
}

// testReplayHeld: a mark lives until its expiry, and not (much) longer.
func testReplayHeld(t *testing.T, s revoke.Store) {
	g := replayGuard(t, s)
	key := id("proof")
	exp := time.Now().Add(900 * time.Millisecond)
	if !firstUse(t, g, key, exp) {
		t.Fatal("first FirstUse: first = false")
	}
	time.Sleep(400 * time.Millisecond)
	if firstUse(t, g, key, exp) {
		t.Fatal("FirstUse before the mark's expiry: first = true")
	}
	time.Sleep(time.Until(exp) + 1100*time.Millisecond)
	if !firstUse(t, g, key, time.Now().Add(time.Hour)) {
		t.Fatal("FirstUse after the mark expired: first = false (marks must be forgotten, or the store grows without bound)")
	}
	if firstUse(t, g, key, hour()) {
		t.Fatal("FirstUse after the new mark: first = true")
	}
}

func testReplayConcurrent(t *testing.T, s revoke.Store) {
	g := replayGuard(t, s)
	const n = 50
	for round := range 3 {
		key := id("proof")
		var firsts [n]bool
		var errs [n]error
		atOnce(n, func(i int) {
			firsts[i], errs[i] = g.FirstUse(context.Background(), key, hour())
		})
		winners := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d: FirstUse: %v", round, errs[i])
			}
			if firsts[i] {
				winners++
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d of %d concurrent FirstUse calls reported first, want exactly 1", round, winners, n)
		}
	}
}

func testReplayContext(t *testing.T, s revoke.Store) {
	g := replayGuard(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if first, err := g.FirstUse(ctx, id("proof"), hour()); err == nil || first {
		t.Fatalf("FirstUse with a canceled context = (%v, %v), want an error", first, err)
	}
}
