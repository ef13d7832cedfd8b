package storetest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/librenz/authjwt/revoke"
)

func successorConsumer(t *testing.T, s revoke.Store) revoke.SuccessorConsumer {
	c, ok := s.(revoke.SuccessorConsumer)
	if !ok {
		t.Skip("store does not implement revoke.SuccessorConsumer")
	}
	if _, ok := s.(revoke.Consumer); !ok {
		t.Fatal("a revoke.SuccessorConsumer must implement revoke.Consumer too")
	}
	return c
}

// testSuccessor: the first consume records its successor, later ones get
// it back (not their own); Consume and ConsumeWithSuccessor share marks.
func testSuccessor(t *testing.T, s revoke.Store) {
	c := successorConsumer(t, s)
	ctx := ctxT(t)
	jti := id("refresh")
	// Opaque text, including the separators stores might use.
	succ := "1:" + id("a") + ":" + id("r") + ": {\"x\":[]}"
	first, used1, rec, err := c.ConsumeWithSuccessor(ctx, jti, succ, hour())
	must(t, err)
	if !first || rec != succ {
		t.Fatalf("first ConsumeWithSuccessor = (%v, %q), want (true, %q)", first, rec, succ)
	}
	first, used2, rec, err := c.ConsumeWithSuccessor(ctx, jti, "other", hour())
	must(t, err)
	if first || rec != succ {
		t.Fatalf("second ConsumeWithSuccessor = (%v, %q), want (false, %q)", first, rec, succ)
	}
	if !sameTime(used1, used2) {
		t.Fatalf("usedAt: first caller got %v, later caller %v", used1, used2)
	}
	// Consume sees the same mark.
	if first, _, err := s.(revoke.Consumer).Consume(ctx, jti, hour()); err != nil || first {
		t.Fatalf("Consume after ConsumeWithSuccessor = %v, %v; want false", first, err)
	}
	// A mark made by Consume has no successor.
	plain := id("refresh")
	if first, _, err := s.(revoke.Consumer).Consume(ctx, plain, hour()); err != nil || !first {
		t.Fatalf("Consume = %v, %v", first, err)
	}
	first, _, rec, err = c.ConsumeWithSuccessor(ctx, plain, "late", hour())
	must(t, err)
	if first || rec != "" {
		t.Fatalf("ConsumeWithSuccessor after Consume = (%v, %q), want (false, \"\")", first, rec)
	}
	// The longest successor a store must keep.
	long := strings.Repeat("s", revoke.MaxSuccessorLen)
	lj := id("refresh")
	if _, _, _, err := c.ConsumeWithSuccessor(ctx, lj, long, revoke.Forever); err != nil {
		t.Fatalf("ConsumeWithSuccessor of a %d-byte successor: %v", len(long), err)
	}
	if _, _, rec, err := c.ConsumeWithSuccessor(ctx, lj, "x", revoke.Forever); err != nil || rec != long {
		t.Fatalf("the %d-byte successor came back as %d bytes (%v)", len(long), len(rec), err)
	}
}

// testSuccessorConcurrent: of many concurrent consumes of one jti, each
// offering its own successor, exactly one wins and every caller gets the
// winner's successor.
func testSuccessorConcurrent(t *testing.T, s revoke.Store) {
	c := successorConsumer(t, s)
	const n = 50
	for round := range 3 {
		jti := id("refresh")
		var (
			firsts [n]bool
			recs   [n]string
			errs   [n]error
		)
		atOnce(n, func(i int) {
			firsts[i], _, recs[i], errs[i] = c.ConsumeWithSuccessor(context.Background(), jti, "succ-"+strconv.Itoa(i), hour())
		})
		winner := -1
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d: ConsumeWithSuccessor: %v", round, errs[i])
			}
			if firsts[i] {
				if winner >= 0 {
					t.Fatalf("round %d: callers %d and %d both first", round, winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no caller was first", round)
		}
		want := "succ-" + strconv.Itoa(winner)
		for i := range n {
			if recs[i] != want {
				t.Fatalf("round %d: caller %d got successor %q, the winner (%d) recorded %q", round, i, recs[i], winner, want)
			}
		}
	}
}
