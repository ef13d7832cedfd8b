package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

// FeedHooks are the store-specific actions [RunFeed] needs; a nil hook
// skips the subtests that use it.
type FeedHooks struct {
	// Reconnect breaks every connection the store holds to its server
	// (Redis CLIENT KILL, a pool reset), so that the next call reconnects.
	Reconnect func(t *testing.T, s revoke.Store)
	// Trim removes from the store's change log every change made so far,
	// live or not, as its own trimming would once they are old enough.
	Trim func(t *testing.T, s revoke.Store)
}

// RunFeed is the replica section of the conformance suite: every store
// implementing [revoke.Feed] passes it. newStore is as for [Run]. It
// checks the snapshot (every live entry, the join of repeated
// revocations, expiries never shortened), the order of changes, that a
// read's return proves freshness up to its issue time (seen), waiting and
// waking up, replay from a cursor (after a reconnect too), trimming
// (ErrFeedTrimmed, then a snapshot that holds everything) and, end to
// end, two authjwt instances with replicas over one store.
func RunFeed(t *testing.T, newStore func(t *testing.T) revoke.Store, hooks FeedHooks) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, revoke.Store, FeedHooks)
	}{
		{"SnapshotEmpty", testFeedSnapshotEmpty},
		{"SnapshotEntries", testFeedSnapshotEntries},
		{"SnapshotJoin", testFeedSnapshotJoin},
		{"Order", testFeedOrder},
		{"Freshness", testFeedFreshness},
		{"Wait", testFeedWait},
		{"Replay", testFeedReplay},
		{"ReplayAfterReconnect", testFeedReconnect},
		{"Trimmed", testFeedTrimmed},
		{"Expiry", testFeedExpiry},
		{"Concurrent", testFeedConcurrent},
		{"Replicas", testFeedReplicas},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if _, ok := s.(revoke.Feed); !ok {
				t.Fatalf("%T does not implement revoke.Feed", s)
			}
			tc.fn(t, s, hooks)
		})
	}
}

// collected gathers what a feed applies.
type collected struct{ entries []revoke.Entry }

func (c *collected) apply(e revoke.Entry) { c.entries = append(c.entries, e) }

// find returns the entries of kind and id (the issuer+"\x00"+subject of a
// subject entry).
func (c *collected) find(kind revoke.EntryKind, key string) []revoke.Entry {
	var out []revoke.Entry
	for _, e := range c.entries {
		k := e.ID
		if e.Kind == revoke.EntrySubject {
			k = e.Issuer + "\x00" + e.Subject
		}
		if e.Kind == kind && k == key {
			out = append(out, e)
		}
	}
	return out
}

func snapshot(t *testing.T, f revoke.Feed) (*collected, revoke.Cursor) {
	t.Helper()
	var c collected
	start := time.Now()
	cur, seen, err := f.Snapshot(ctxT(t), c.apply)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	checkSeen(t, "Snapshot", seen, start, time.Now())
	return &c, cur
}

func changes(t *testing.T, f revoke.Feed, after revoke.Cursor, wait time.Duration) (*collected, revoke.Cursor, time.Time) {
	t.Helper()
	var c collected
	start := time.Now()
	next, seen, err := f.Changes(ctxT(t), after, wait, c.apply)
	if err != nil {
		t.Fatalf("Changes(%q): %v", after, err)
	}
	checkSeen(t, "Changes", seen, start, time.Now())
	return &c, next, seen
}

// checkSeen: the proof is the issue time of a read made during the call.
func checkSeen(t *testing.T, call string, seen, start, end time.Time) {
	t.Helper()
	if seen.Before(start) || seen.After(end) {
		t.Errorf("%s: seen %v is outside the call (%v to %v): it must be the issue time of a read the call made", call, seen.Format(time.StampMicro), start.Format(time.StampMicro), end.Format(time.StampMicro))
	}
}

func feedOf(s revoke.Store) revoke.Feed { return s.(revoke.Feed) }

func testFeedSnapshotEmpty(t *testing.T, s revoke.Store, _ FeedHooks) {
	f := feedOf(s)
	c, cur := snapshot(t, f)
	if len(c.entries) != 0 {
		t.Errorf("a new store's snapshot has %d entries: %+v", len(c.entries), c.entries)
	}
	ch, next, _ := changes(t, f, cur, 0)
	if len(ch.entries) != 0 {
		t.Errorf("changes of a new store: %+v", ch.entries)
	}
	if next == "" {
		t.Error("Changes returned an empty cursor")
	}
}

func testFeedSnapshotEntries(t *testing.T, s revoke.Store, _ FeedHooks) {
	ctx := ctxT(t)
	jti, fam, iss, sub := id("jti"), id("fam"), id("iss"), id("sub")
	exp := time.Now().Add(time.Hour).Add(123456789 * time.Nanosecond)
	cut := time.UnixMilli(time.Now().UnixMilli())
	must(t, s.RevokeToken(ctx, jti, exp))
	must(t, s.RevokeFamily(ctx, fam, revoke.Forever))
	must(t, s.RevokeSubject(ctx, iss, sub, cut, exp))
	c, _ := snapshot(t, feedOf(s))
	if len(c.entries) != 3 {
		t.Errorf("snapshot: %d entries, want 3: %+v", len(c.entries), c.entries)
	}
	checkEntry(t, c.find(revoke.EntryToken, jti), exp, time.Time{})
	checkEntry(t, c.find(revoke.EntryFamily, fam), revoke.Forever, time.Time{})
	checkEntry(t, c.find(revoke.EntrySubject, iss+"\x00"+sub), exp, cut)
}

// checkEntry: one entry (or several, joined), never expiring before exp,
// with the cutoff to the millisecond.
func checkEntry(t *testing.T, es []revoke.Entry, exp, cutoff time.Time) {
	t.Helper()
	if len(es) == 0 {
		t.Errorf("missing entry (expiry %v)", exp)
		return
	}
	var latest time.Time
	forever := false
	var cut int64
	for _, e := range es {
		if e.Expires.IsZero() {
			forever = true
		} else if e.Expires.After(latest) {
			latest = e.Expires
		}
		cut = max(cut, e.Cutoff.UnixMilli())
	}
	switch {
	case exp.IsZero() && !forever:
		t.Errorf("%s %q: expiry %v, want Forever", es[0].Kind, es[0].ID, latest)
	case !exp.IsZero() && !forever && latest.Before(exp):
		t.Errorf("%s %q: expiry %v, before the %v it was revoked until", es[0].Kind, es[0].ID, latest, exp)
	case !exp.IsZero() && (forever || latest.After(exp.Add(time.Second))):
		t.Errorf("%s %q: expiry %v (forever %v), far after %v", es[0].Kind, es[0].ID, latest, forever, exp)
	}
	if !cutoff.IsZero() && cut != cutoff.UnixMilli() {
		t.Errorf("subject %q/%q: cutoff %d, want %d", es[0].Issuer, es[0].Subject, cut, cutoff.UnixMilli())
	}
}

func testFeedSnapshotJoin(t *testing.T, s revoke.Store, _ FeedHooks) {
	ctx := ctxT(t)
	jti, iss, sub := id("jti"), id("iss"), id("sub")
	later := time.Now().Add(2 * time.Hour)
	must(t, s.RevokeToken(ctx, jti, later))
	must(t, s.RevokeToken(ctx, jti, time.Now().Add(time.Hour)))
	cut := time.UnixMilli(time.Now().UnixMilli())
	must(t, s.RevokeSubject(ctx, iss, sub, cut, later))
	must(t, s.RevokeSubject(ctx, iss, sub, cut.Add(-time.Second), time.Now().Add(time.Hour)))
	c, _ := snapshot(t, feedOf(s))
	checkEntry(t, c.find(revoke.EntryToken, jti), later, time.Time{})
	checkEntry(t, c.find(revoke.EntrySubject, iss+"\x00"+sub), later, cut)
}

func testFeedOrder(t *testing.T, s revoke.Store, _ FeedHooks) {
	ctx := ctxT(t)
	f := feedOf(s)
	_, cur := snapshot(t, f)
	var want []string
	for i := range 25 {
		j := id(fmt.Sprintf("order%02d", i))
		want = append(want, j)
		if i%5 == 4 {
			must(t, s.RevokeFamily(ctx, j, hour()))
		} else {
			must(t, s.RevokeToken(ctx, j, hour()))
		}
	}
	// Read it all, in as many calls as the store takes.
	var got []revoke.Entry
	for range 100 {
		c, next, _ := changes(t, f, cur, 0)
		got = append(got, c.entries...)
		if len(c.entries) == 0 && next == cur {
			break
		}
		cur = next
	}
	var ids []string
	for _, e := range got {
		if e.Kind == revoke.EntryToken || e.Kind == revoke.EntryFamily {
			ids = append(ids, e.ID)
		}
	}
	// A snapshot's cursor may lag (an overlap): what follows must hold
	// the changes in order, possibly after entries already seen.
	i := 0
	for _, g := range ids {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Errorf("changes out of order or missing: got %v, want %v in that order", ids, want)
	}
	for _, e := range got {
		for k, w := range want {
			if e.ID == w && (k%5 == 4) != (e.Kind == revoke.EntryFamily) {
				t.Errorf("change %s: kind %s", w, e.Kind)
			}
		}
	}
	// Nothing new: the cursor stays, no entry comes.
	c, next, _ := changes(t, f, cur, 0)
	if len(c.entries) != 0 {
		t.Errorf("a read at the end returned %+v", c.entries)
	}
	if next != cur {
		t.Errorf("a read at the end moved the cursor from %q to %q", cur, next)
	}
}

func testFeedFreshness(t *testing.T, s revoke.Store, _ FeedHooks) {
	// Whatever was acknowledged before a read's seen is in its answer.
	ctx := ctxT(t)
	f := feedOf(s)
	_, cur := snapshot(t, f)
	for i := range 20 {
		j := id(fmt.Sprintf("fresh%d", i))
		must(t, s.RevokeToken(ctx, j, hour()))
		acked := time.Now()
		c, next, seen := changes(t, f, cur, 0)
		if seen.Before(acked) {
			t.Fatalf("seen %v is before the revocation was acknowledged (%v)", seen, acked)
		}
		if len(c.find(revoke.EntryToken, j)) == 0 {
			t.Fatalf("read %d: a revocation acknowledged before the read was issued is missing (got %+v)", i, c.entries)
		}
		cur = next
	}
}

func testFeedWait(t *testing.T, s revoke.Store, _ FeedHooks) {
	f := feedOf(s)
	_, cur := snapshot(t, f)
	// Drain what the snapshot's cursor may lag by.
	for {
		c, next, _ := changes(t, f, cur, 0)
		if len(c.entries) == 0 {
			break
		}
		cur = next
	}
	// No change: it returns within wait (plus latency), empty.
	const wait = 300 * time.Millisecond
	start := time.Now()
	c, _, _ := changes(t, f, cur, wait)
	if d := time.Since(start); d > wait+2*time.Second {
		t.Errorf("Changes with no change took %v, wait %v", d, wait)
	}
	if len(c.entries) != 0 {
		t.Errorf("entries from nowhere: %+v", c.entries)
	}
	// A change made while it waits ends the wait.
	j := id("wake")
	type result struct {
		c   collected
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		var r result
		_, _, r.err = f.Changes(context.Background(), cur, 10*time.Second, r.c.apply)
		r.at = time.Now()
		done <- r
	}()
	time.Sleep(100 * time.Millisecond)
	must(t, s.RevokeToken(ctxT(t), j, hour()))
	acked := time.Now()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		if len(r.c.find(revoke.EntryToken, j)) == 0 {
			// A polled store may answer empty sooner than wait.
			t.Logf("the read returned without the change (a polled store): %+v", r.c.entries)
		} else {
			t.Logf("woken %v after the revocation", r.at.Sub(acked))
		}
	case <-time.After(12 * time.Second):
		t.Fatal("Changes did not return within its wait")
	}
}

func testFeedReplay(t *testing.T, s revoke.Store, _ FeedHooks) {
	ctx := ctxT(t)
	f := feedOf(s)
	_, cur := snapshot(t, f)
	js := []string{id("r1"), id("r2"), id("r3")}
	for _, j := range js {
		must(t, s.RevokeToken(ctx, j, hour()))
	}
	c1, _, _ := changes(t, f, cur, 0)
	c2, _, _ := changes(t, f, cur, 0) // the same cursor again
	for _, j := range js {
		if len(c1.find(revoke.EntryToken, j)) == 0 || len(c2.find(revoke.EntryToken, j)) == 0 {
			t.Errorf("%s: not replayed from the same cursor (first %d, second %d entries)", j, len(c1.entries), len(c2.entries))
		}
	}
}

func testFeedReconnect(t *testing.T, s revoke.Store, h FeedHooks) {
	if h.Reconnect == nil {
		t.Skip("no Reconnect hook")
	}
	ctx := ctxT(t)
	f := feedOf(s)
	_, cur := snapshot(t, f)
	_, cur, _ = changes(t, f, cur, 0)
	j := id("gap")
	must(t, s.RevokeToken(ctx, j, hour()))
	h.Reconnect(t, s)
	// The first call after the break may fail; a retry from the same
	// cursor gets the change made during the gap.
	var got collected
	var err error
	for range 5 {
		got = collected{}
		_, _, err = f.Changes(ctxT(t), cur, 0, got.apply)
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Changes after a reconnect: %v", err)
	}
	if len(got.find(revoke.EntryToken, j)) == 0 {
		t.Errorf("the change made before the reconnect is not replayed: %+v", got.entries)
	}
}

func testFeedTrimmed(t *testing.T, s revoke.Store, h FeedHooks) {
	if h.Trim == nil {
		t.Skip("no Trim hook")
	}
	ctx := ctxT(t)
	f := feedOf(s)
	_, cur := snapshot(t, f)
	j1, exp := id("before"), hour()
	must(t, s.RevokeToken(ctx, j1, exp))
	_, cur, _ = changes(t, f, cur, 0)
	j2, j3 := id("trimmed"), id("trimmed")
	must(t, s.RevokeToken(ctx, j2, exp))
	must(t, s.RevokeFamily(ctx, j3, revoke.Forever))
	h.Trim(t, s)
	var c collected
	_, _, err := f.Changes(ctxT(t), cur, 0, c.apply)
	if !errors.Is(err, revoke.ErrFeedTrimmed) {
		t.Fatalf("Changes behind a trimmed log: %v (applied %+v), want ErrFeedTrimmed", err, c.entries)
	}
	// The fallback: a snapshot holds everything, and its cursor works.
	snap, cur2 := snapshot(t, f)
	checkEntry(t, snap.find(revoke.EntryToken, j1), exp, time.Time{})
	checkEntry(t, snap.find(revoke.EntryToken, j2), exp, time.Time{})
	checkEntry(t, snap.find(revoke.EntryFamily, j3), revoke.Forever, time.Time{})
	j4 := id("after")
	must(t, s.RevokeToken(ctx, j4, hour()))
	c2, _, _ := changes(t, f, cur2, 0)
	if len(c2.find(revoke.EntryToken, j4)) == 0 {
		t.Errorf("after the snapshot, a new change is missing: %+v", c2.entries)
	}
}

func testFeedExpiry(t *testing.T, s revoke.Store, _ FeedHooks) {
	ctx := ctxT(t)
	f := feedOf(s)
	short := id("short")
	exp := time.Now().Add(time.Second)
	must(t, s.RevokeToken(ctx, short, exp))
	keep, keepExp := id("keep"), hour()
	must(t, s.RevokeToken(ctx, keep, keepExp))
	c, cur := snapshot(t, f)
	checkEntry(t, c.find(revoke.EntryToken, short), exp, time.Time{})
	time.Sleep(time.Until(exp) + 200*time.Millisecond)
	c, _ = snapshot(t, f)
	for _, e := range c.find(revoke.EntryToken, short) {
		if e.Expires.IsZero() || e.Expires.After(time.Now()) {
			t.Errorf("an expired entry is in the snapshot as live: %+v", e)
		}
	}
	checkEntry(t, c.find(revoke.EntryToken, keep), keepExp, time.Time{})
	// Changes may still carry the expired entry (with its expiry), never
	// as live.
	ch, _, _ := changes(t, f, cur, 0)
	for _, e := range ch.find(revoke.EntryToken, short) {
		if e.Expires.IsZero() || e.Expires.After(time.Now()) {
			t.Errorf("an expired entry comes through Changes as live: %+v", e)
		}
	}
}

func testFeedConcurrent(t *testing.T, s revoke.Store, _ FeedHooks) {
	// Writers on many goroutines: a reader following the feed gets every
	// revocation acknowledged before its last read was issued.
	f := feedOf(s)
	_, cur := snapshot(t, f)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	var all []string
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				j := id(fmt.Sprintf("w%d-%d", w, i))
				if err := s.RevokeToken(context.Background(), j, hour()); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				all = append(all, j)
				mu.Unlock()
			}
		}()
	}
	seen := map[string]bool{}
	stop := make(chan struct{})
	go func() { wg.Wait(); close(stop) }()
	finished := false
	for {
		select {
		case <-stop:
			finished = true
		default:
		}
		c, next, _ := changes(t, f, cur, 20*time.Millisecond)
		for _, e := range c.entries {
			seen[e.ID] = true
		}
		cur = next
		if finished {
			// This read was issued after every write was acknowledged.
			break
		}
	}
	for _, j := range all {
		if !seen[j] {
			t.Errorf("%s: acknowledged, never delivered", j)
		}
	}
}

// testFeedReplicas runs two authjwt instances with replicas over the
// store: a revocation on one is refused on the other within a second.
func testFeedReplicas(t *testing.T, s revoke.Store, _ FeedHooks) {
	cfg := authjwt.Config{
		Keys: authjwt.KeyConfig{SecretKey: "storetest-replica-0123456789abcdef"},
		Revocation: authjwt.RevocationConfig{
			Store:        s,
			Timeout:      2 * time.Second,
			MaxStaleness: time.Second,
		},
	}
	a, err := authjwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := authjwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := ctxT(t)
	p, err := a.CreatePair(id("user"))
	must(t, err)
	tok, err := a.Verify(ctx, p.AccessToken, authjwt.Requirement{})
	must(t, err)
	if _, err := b.Verify(ctx, p.AccessToken, authjwt.Requirement{}); err != nil {
		t.Fatalf("instance b: %v", err)
	}
	must(t, a.RevokeFamily(ctx, tok))
	start := time.Now()
	for {
		_, err := b.Verify(ctx, p.RefreshToken, authjwt.Requirement{Refresh: true})
		if errors.Is(err, authjwt.ErrTokenRevoked) {
			t.Logf("refused on b %v after the revocation on a", time.Since(start))
			break
		}
		if err != nil {
			t.Fatalf("instance b: %v", err)
		}
		if time.Since(start) > time.Second {
			t.Fatal("instance b still accepts a family revoked on a after 1s (MaxStaleness)")
		}
		time.Sleep(time.Millisecond)
	}
}
