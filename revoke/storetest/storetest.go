package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// Run runs the conformance suite against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) revoke.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, revoke.Store)
	}{
		{"Token", testToken},
		{"Forever", testForever},
		{"ExpiryNeverShortened", testExpiryNeverShortened},
		{"Family", testFamily},
		{"Subject", testSubject},
		{"SubjectMilliseconds", testSubjectMilliseconds},
		{"SubjectIssuerIsolation", testSubjectIssuerIsolation},
		{"SubjectCutoffNeverLowered", testSubjectNeverLowered},
		{"Expiry", testExpiry},
		{"HeldUntilExpiry", testHeldUntilExpiry},
		{"Consume", testConsume},
		{"ConsumeConcurrent", testConsumeConcurrent},
		{"Successor", testSuccessor},
		{"SuccessorConcurrent", testSuccessorConcurrent},
		{"Replay", testReplay},
		{"ReplayHeld", testReplayHeld},
		{"ReplayConcurrent", testReplayConcurrent},
		{"ReplayContext", testReplayContext},
		{"Context", testContext},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
	RunSessions(t, newStore)
}

// id returns a unique identifier with a readable label.
func id(label string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return label + "-" + hex.EncodeToString(b[:])
}

func hour() time.Time { return time.Now().Add(time.Hour) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func expect(t *testing.T, s revoke.Store, q revoke.Query, want bool) {
	t.Helper()
	got, err := s.IsRevoked(ctxT(t), q)
	if err != nil {
		t.Fatalf("IsRevoked(%+v): %v", q, err)
	}
	if got != want {
		t.Fatalf("IsRevoked(%+v) = %v, want %v", q, got, want)
	}
}

func testToken(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	jti, other := id("jti"), id("jti")
	t.Run("NotRevoked", func(t *testing.T) {
		expect(t, s, revoke.Query{JTI: jti, Issuer: "iss", Subject: id("sub"), IssuedAt: time.Now()}, false)
		expect(t, s, revoke.Query{}, false)
	})
	must(t, s.RevokeToken(ctx, jti, hour()))
	t.Run("Revoked", func(t *testing.T) {
		expect(t, s, revoke.Query{JTI: jti}, true)
		expect(t, s, revoke.Query{JTI: jti, Family: id("fam"), Issuer: "iss", Subject: id("sub"), IssuedAt: time.Now()}, true)
	})
	t.Run("OtherJTIUnaffected", func(t *testing.T) {
		expect(t, s, revoke.Query{JTI: other}, false)
		expect(t, s, revoke.Query{JTI: jti + "x"}, false)
		expect(t, s, revoke.Query{Family: jti}, false) // a jti is not a family
	})
	t.Run("Idempotent", func(t *testing.T) {
		must(t, s.RevokeToken(ctx, jti, hour()))
		expect(t, s, revoke.Query{JTI: jti}, true)
	})
}

func testForever(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	jti, fam, sub := id("jti"), id("fam"), id("sub")
	must(t, s.RevokeToken(ctx, jti, revoke.Forever))
	must(t, s.RevokeFamily(ctx, fam, revoke.Forever))
	cut := time.Now().Truncate(time.Second)
	must(t, s.RevokeSubject(ctx, "iss", sub, cut, revoke.Forever))
	expect(t, s, revoke.Query{JTI: jti}, true)
	expect(t, s, revoke.Query{Family: fam}, true)
	expect(t, s, revoke.Query{Issuer: "iss", Subject: sub, IssuedAt: cut}, true)
	expect(t, s, revoke.Query{Issuer: "iss", Subject: sub, IssuedAt: cut.Add(time.Second)}, false)
}

// testExpiryNeverShortened: revoking again with an earlier expiry (or one
// already past) must not un-revoke a live entry.
func testExpiryNeverShortened(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	past := time.Now().Add(-time.Minute)
	j1, j2, f1 := id("jti"), id("jti"), id("fam")
	must(t, s.RevokeToken(ctx, j1, revoke.Forever))
	must(t, s.RevokeToken(ctx, j1, past))
	must(t, s.RevokeToken(ctx, j2, hour()))
	must(t, s.RevokeToken(ctx, j2, past))
	must(t, s.RevokeFamily(ctx, f1, hour()))
	must(t, s.RevokeFamily(ctx, f1, past))
	expect(t, s, revoke.Query{JTI: j1}, true)
	expect(t, s, revoke.Query{JTI: j2}, true)
	expect(t, s, revoke.Query{Family: f1}, true)

	sub := id("sub")
	cut := time.Now().Truncate(time.Second)
	must(t, s.RevokeSubject(ctx, "iss", sub, cut, revoke.Forever))
	must(t, s.RevokeSubject(ctx, "iss", sub, cut, past))
	expect(t, s, revoke.Query{Issuer: "iss", Subject: sub, IssuedAt: cut}, true)
}

func testFamily(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	fam, other := id("fam"), id("fam")
	expect(t, s, revoke.Query{JTI: id("jti"), Family: fam}, false)
	must(t, s.RevokeFamily(ctx, fam, hour()))
	// Every token of the family, whatever its jti, and one without a jti.
	expect(t, s, revoke.Query{JTI: id("access"), Family: fam}, true)
	expect(t, s, revoke.Query{JTI: id("refresh"), Family: fam, Issuer: "iss", Subject: "s", IssuedAt: time.Now()}, true)
	expect(t, s, revoke.Query{Family: fam}, true)
	expect(t, s, revoke.Query{JTI: id("jti"), Family: other}, false)
	expect(t, s, revoke.Query{JTI: id("jti")}, false)
	expect(t, s, revoke.Query{JTI: fam}, false) // a family is not a jti
}

func testSubject(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	iss, sub := "https://issuer.example", id("user")
	cut := time.Now().Truncate(time.Second)
	q := func(iat time.Time) revoke.Query {
		return revoke.Query{JTI: id("jti"), Issuer: iss, Subject: sub, IssuedAt: iat}
	}
	expect(t, s, q(cut), false)
	must(t, s.RevokeSubject(ctx, iss, sub, cut, hour()))
	expect(t, s, q(cut), true)                           // iat == cutoff
	expect(t, s, q(cut.Add(-time.Hour)), true)           // earlier
	expect(t, s, q(cut.Add(999*time.Microsecond)), true) // truncates to the cutoff's ms
	expect(t, s, q(cut.Add(time.Millisecond)), false)    // cutoff + 1 ms: issued after it
	expect(t, s, q(cut.Add(time.Second)), false)         // cutoff + 1 s
	expect(t, s, q(time.Time{}), true)                   // no iat: epoch
	expect(t, s, q(time.Unix(0, 0)), true)               // the epoch itself
	expect(t, s, revoke.Query{Issuer: iss, Subject: sub + "x", IssuedAt: cut}, false)
	expect(t, s, revoke.Query{Issuer: iss, Subject: id("user"), IssuedAt: cut}, false)
}

// testSubjectMilliseconds: cutoffs have millisecond resolution, so a token
// issued a millisecond after "log out everywhere" (a new login) is not
// refused, while every token issued at or before it is. A token with a
// whole-second iat compares as that second's first millisecond.
func testSubjectMilliseconds(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	sub := id("user")
	base := time.Now().Truncate(time.Second)
	// A sub-millisecond cutoff is truncated: base+900.7 ms acts as base+900 ms.
	must(t, s.RevokeSubject(ctx, "iss", sub, base.Add(900700*time.Microsecond), hour()))
	q := func(iat time.Time) revoke.Query { return revoke.Query{Issuer: "iss", Subject: sub, IssuedAt: iat} }
	expect(t, s, q(base), true) // a whole-second iat in the cutoff's second
	expect(t, s, q(base.Add(-time.Second)), true)
	expect(t, s, q(base.Add(500*time.Millisecond)), true)
	expect(t, s, q(base.Add(900*time.Millisecond)), true)    // the cutoff's millisecond
	expect(t, s, q(base.Add(900999*time.Microsecond)), true) // still in it
	expect(t, s, q(base.Add(901*time.Millisecond)), false)   // the next one: a new login
	expect(t, s, q(base.Add(950*time.Millisecond)), false)   // later in the same second
	expect(t, s, q(base.Add(time.Second)), false)            // the next second
	expect(t, s, q(base.Add(1500*time.Millisecond)), false)
}

func testSubjectIssuerIsolation(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	sub := id("user")
	now := time.Now()
	must(t, s.RevokeSubject(ctx, "https://a.example", sub, now, hour()))
	expect(t, s, revoke.Query{Issuer: "https://a.example", Subject: sub, IssuedAt: now}, true)
	expect(t, s, revoke.Query{Issuer: "https://b.example", Subject: sub, IssuedAt: now}, false)
	expect(t, s, revoke.Query{Issuer: "", Subject: sub, IssuedAt: now}, false)

	// Issuer and subject must not be confused when concatenated.
	must(t, s.RevokeSubject(ctx, "x:", ":"+sub, now, hour()))
	expect(t, s, revoke.Query{Issuer: "x:", Subject: ":" + sub, IssuedAt: now}, true)
	expect(t, s, revoke.Query{Issuer: "x::", Subject: sub, IssuedAt: now}, false)
	expect(t, s, revoke.Query{Issuer: "x", Subject: "::" + sub, IssuedAt: now}, false)
}

func testSubjectNeverLowered(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	sub := id("user")
	cut := time.Now().Truncate(time.Second)
	q := func(iat time.Time) revoke.Query { return revoke.Query{Issuer: "iss", Subject: sub, IssuedAt: iat} }
	must(t, s.RevokeSubject(ctx, "iss", sub, cut, hour()))
	must(t, s.RevokeSubject(ctx, "iss", sub, cut.Add(-time.Hour), hour()))
	expect(t, s, q(cut), true)
	expect(t, s, q(cut.Add(time.Second)), false)
	// Raising works.
	must(t, s.RevokeSubject(ctx, "iss", sub, cut.Add(10*time.Second), hour()))
	expect(t, s, q(cut.Add(10*time.Second)), true)
	expect(t, s, q(cut.Add(11*time.Second)), false)
	// Lowering again still does not.
	must(t, s.RevokeSubject(ctx, "iss", sub, cut, hour()))
	expect(t, s, q(cut.Add(10*time.Second)), true)
}

func testExpiry(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	start := time.Now()
	exp := start.Add(time.Second)
	jti, fam, sub, used := id("jti"), id("fam"), id("user"), id("used")
	must(t, s.RevokeToken(ctx, jti, exp))
	must(t, s.RevokeFamily(ctx, fam, exp))
	must(t, s.RevokeSubject(ctx, "iss", sub, start, exp))
	c, isConsumer := s.(revoke.Consumer)
	if isConsumer {
		first, _, err := c.Consume(ctx, used, exp)
		must(t, err)
		if !first {
			t.Fatal("Consume of a fresh jti: first = false")
		}
	}

	// Entries whose expiry is already past are never visible.
	past := start.Add(-time.Second)
	pj, pf, ps := id("jti"), id("fam"), id("user")
	must(t, s.RevokeToken(ctx, pj, past))
	must(t, s.RevokeFamily(ctx, pf, past))
	must(t, s.RevokeSubject(ctx, "iss", ps, start, past))
	expect(t, s, revoke.Query{JTI: pj}, false)
	expect(t, s, revoke.Query{Family: pf}, false)
	expect(t, s, revoke.Query{Issuer: "iss", Subject: ps, IssuedAt: start}, false)

	if time.Since(start) > 800*time.Millisecond {
		t.Skip("store too slow to check one-second expiries reliably")
	}
	expect(t, s, revoke.Query{JTI: jti}, true)
	expect(t, s, revoke.Query{Family: fam}, true)
	expect(t, s, revoke.Query{Issuer: "iss", Subject: sub, IssuedAt: start}, true)

	time.Sleep(time.Until(exp.Add(150 * time.Millisecond)))
	expect(t, s, revoke.Query{JTI: jti}, false)
	expect(t, s, revoke.Query{Family: fam}, false)
	expect(t, s, revoke.Query{Issuer: "iss", Subject: sub, IssuedAt: start}, false)
	if isConsumer {
		first, _, err := c.Consume(ctx, used, hour())
		must(t, err)
		if !first {
			t.Fatal("Consume after the mark expired: first = false, want true")
		}
	}
	// A subject entry that expired does not keep its cutoff: a new, lower
	// cutoff applies as given.
	must(t, s.RevokeSubject(ctx, "iss", sub, start.Add(-time.Hour), hour()))
	expect(t, s, revoke.Query{Issuer: "iss", Subject: sub, IssuedAt: start.Add(-time.Hour)}, true)
	expect(t, s, revoke.Query{Issuer: "iss", Subject: sub, IssuedAt: start}, false)
}

// testHeldUntilExpiry polls entries whose expiry is a sub-second,
// sub-millisecond instant: every answer given before the expiry must still
// see the entry. A store that rounds an expiry down (to the second, to the
// millisecond) or lets its backend's clock end it early forgets a
// revocation while the verifier still accepts the token.
func testHeldUntilExpiry(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	start := time.Now()
	exp := start.Add(700*time.Millisecond + 456789*time.Nanosecond)
	jti, fam, sub, used := id("jti"), id("fam"), id("user"), id("used")
	must(t, s.RevokeToken(ctx, jti, exp))
	must(t, s.RevokeFamily(ctx, fam, exp))
	must(t, s.RevokeSubject(ctx, "iss", sub, start, exp))
	c, isConsumer := s.(revoke.Consumer)
	if isConsumer {
		if first, _, err := c.Consume(ctx, used, exp); err != nil || !first {
			t.Fatalf("Consume of a fresh jti = %v, %v", first, err)
		}
	}
	if time.Since(start) > 400*time.Millisecond {
		t.Skip("store too slow to poll a sub-second expiry reliably")
	}
	queries := map[string]revoke.Query{
		"token":   {JTI: jti},
		"family":  {Family: fam},
		"subject": {Issuer: "iss", Subject: sub, IssuedAt: start},
	}
	forgotten := map[string]bool{}
	polls := 0
	for time.Now().Before(exp.Add(300 * time.Millisecond)) {
		polls++
		for name, q := range queries {
			got, err := s.IsRevoked(ctx, q)
			answered := time.Now()
			if err != nil {
				t.Fatalf("IsRevoked(%s): %v", name, err)
			}
			if !got && answered.Before(exp) {
				t.Fatalf("%s entry forgotten %v before its expiry", name, exp.Sub(answered))
			}
			forgotten[name] = forgotten[name] || !got
		}
		if isConsumer && !forgotten["consume"] {
			first, _, err := c.Consume(ctx, used, exp)
			answered := time.Now()
			if err != nil {
				t.Fatalf("Consume: %v", err)
			}
			if first && answered.Before(exp) {
				t.Fatalf("consumed mark forgotten %v before its expiry", exp.Sub(answered))
			}
			forgotten["consume"] = first
		}
		time.Sleep(5 * time.Millisecond)
	}
	for name := range queries {
		if !forgotten[name] {
			t.Errorf("%s entry still seen 300ms after its expiry", name)
		}
	}
	if polls < 10 {
		t.Logf("only %d polls: the store is slow", polls)
	}
}

func consumer(t *testing.T, s revoke.Store) revoke.Consumer {
	c, ok := s.(revoke.Consumer)
	if !ok {
		t.Skip("store does not implement revoke.Consumer")
	}
	return c
}

// sameTime allows for stores that keep the first-use time at millisecond
// resolution.
func sameTime(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Millisecond && d < time.Millisecond
}

func testConsume(t *testing.T, s revoke.Store) {
	c := consumer(t, s)
	ctx := ctxT(t)
	jti := id("refresh")
	before := time.Now()
	first, used1, err := c.Consume(ctx, jti, hour())
	must(t, err)
	if !first {
		t.Fatal("first Consume: first = false")
	}
	time.Sleep(5 * time.Millisecond)
	first, used2, err := c.Consume(ctx, jti, hour())
	must(t, err)
	if first {
		t.Fatal("second Consume: first = true")
	}
	if used2.Before(before.Add(-time.Second)) || used2.After(time.Now()) {
		t.Fatalf("usedAt %v not within the call (%v .. now)", used2, before)
	}
	if !used1.IsZero() && !sameTime(used1, used2) {
		t.Fatalf("usedAt: first caller got %v, later caller %v", used1, used2)
	}
	first, used3, err := c.Consume(ctx, jti, hour())
	must(t, err)
	if first || !used3.Equal(used2) {
		t.Fatalf("third Consume = (%v, %v), want (false, %v)", first, used3, used2)
	}
	// Other jtis are independent; consuming is not revoking.
	first, _, err = c.Consume(ctx, id("refresh"), hour())
	must(t, err)
	if !first {
		t.Fatal("Consume of another jti: first = false")
	}
	expect(t, s, revoke.Query{JTI: jti}, false)
	// Forever works.
	fj := id("refresh")
	first, _, err = c.Consume(ctx, fj, revoke.Forever)
	must(t, err)
	if !first {
		t.Fatal("Consume(Forever): first = false")
	}
	if first, _, err = c.Consume(ctx, fj, revoke.Forever); err != nil || first {
		t.Fatalf("second Consume(Forever) = %v, %v", first, err)
	}
}

func testConsumeConcurrent(t *testing.T, s revoke.Store) {
	c := consumer(t, s)
	const n = 50
	for round := range 3 {
		jti := id("refresh")
		var (
			firsts, errs [n]bool
			times        [n]time.Time
			errv         [n]error
		)
		atOnce(n, func(i int) {
			first, at, err := c.Consume(context.Background(), jti, hour())
			firsts[i], times[i], errv[i], errs[i] = first, at, err, err != nil
		})
		winners := 0
		var later time.Time
		for i := range n {
			if errs[i] {
				t.Fatalf("round %d: Consume: %v", round, errv[i])
			}
			if firsts[i] {
				winners++
				continue
			}
			if later.IsZero() {
				later = times[i]
			} else if !times[i].Equal(later) {
				t.Fatalf("round %d: later callers disagree on usedAt: %v vs %v", round, later, times[i])
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d of %d concurrent Consume calls reported first, want exactly 1", round, winners, n)
		}
		if later.IsZero() {
			t.Fatalf("round %d: later callers got a zero usedAt", round)
		}
	}
}

func testContext(t *testing.T, s revoke.Store) {
	ctx := ctxT(t)
	jti := id("jti")
	must(t, s.RevokeToken(ctx, jti, hour()))

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()

	for name, c := range map[string]context.Context{"Cancelled": cancelled, "DeadlineExceeded": expired} {
		t.Run(name, func(t *testing.T) {
			for _, q := range []revoke.Query{{JTI: jti}, {JTI: id("jti"), Issuer: "iss", Subject: "s"}} {
				if _, err := s.IsRevoked(c, q); err == nil {
					t.Errorf("IsRevoked(%+v) with a done context: nil error", q)
				}
			}
			if err := s.RevokeToken(c, id("jti"), hour()); err == nil {
				t.Error("RevokeToken with a done context: nil error")
			}
			if err := s.RevokeFamily(c, id("fam"), hour()); err == nil {
				t.Error("RevokeFamily with a done context: nil error")
			}
			if err := s.RevokeSubject(c, "iss", id("user"), time.Now(), hour()); err == nil {
				t.Error("RevokeSubject with a done context: nil error")
			}
			if cs, ok := s.(revoke.Consumer); ok {
				if _, _, err := cs.Consume(c, id("refresh"), hour()); err == nil {
					t.Error("Consume with a done context: nil error")
				}
			}
			if errors.Is(c.Err(), context.DeadlineExceeded) != (name == "DeadlineExceeded") {
				t.Fatal("test context in the wrong state")
			}
		})
	}
	// The store still works with a live context afterwards.
	expect(t, s, revoke.Query{JTI: jti}, true)
}

func testConcurrent(t *testing.T, s revoke.Store) {
	const workers, ops = 8, 20
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	sub := id("user")
	cut := time.Now().Truncate(time.Second)
	must(t, s.RevokeSubject(ctxT(t), "iss", sub, cut, hour()))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			fail := func(format string, args ...any) {
				select {
				case errc <- fmt.Errorf(format, args...):
				default:
				}
			}
			for i := range ops {
				jti, fam := id("jti"), id("fam")
				var err error
				switch i % 3 {
				case 0:
					err = s.RevokeToken(ctx, jti, hour())
				case 1:
					err = s.RevokeFamily(ctx, fam, hour())
				case 2:
					err = s.RevokeSubject(ctx, "iss", sub, cut.Add(time.Duration(w-workers)*time.Second), hour())
				}
				if err != nil {
					fail("worker %d: revoke: %v", w, err)
					return
				}
				q := revoke.Query{JTI: jti, Family: fam, Issuer: "iss", Subject: sub, IssuedAt: cut.Add(time.Hour)}
				got, err := s.IsRevoked(ctx, q)
				if err != nil {
					fail("worker %d: IsRevoked: %v", w, err)
					return
				}
				if want := i%3 != 2; got != want {
					fail("worker %d op %d: IsRevoked = %v, want %v", w, i, got, want)
					return
				}
				got, err = s.IsRevoked(ctx, revoke.Query{Issuer: "iss", Subject: sub, IssuedAt: cut})
				if err != nil || !got {
					fail("worker %d: subject cutoff lowered under concurrency: %v, %v", w, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

// atOnce runs f(0) … f(n-1) in n goroutines released together, so that
// their store calls race, waits for all of them and returns the moment
// they were released.
func atOnce(n int, f func(i int)) time.Time {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	return began
}
