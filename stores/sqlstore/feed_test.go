package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// entries collects what a feed applies.
type entries []revoke.Entry

func (e *entries) apply(x revoke.Entry) { *e = append(*e, x) }

func (e entries) ids() []string {
	var out []string
	for _, x := range e {
		switch x.Kind {
		case revoke.EntrySubject:
			out = append(out, "s:"+x.Issuer+"/"+x.Subject)
		default:
			out = append(out, x.Kind.String()+":"+x.ID)
		}
	}
	return out
}

func ctx10(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func changes(t *testing.T, s *sqlstore.Store, after revoke.Cursor) (entries, revoke.Cursor, time.Time) {
	t.Helper()
	var got entries
	next, seen, err := s.Changes(ctx10(t), after, 0, got.apply)
	if err != nil {
		t.Fatalf("Changes(%q): %v", after, err)
	}
	return got, next, seen
}

func sameIDs(t *testing.T, what string, got entries, want ...string) {
	t.Helper()
	if g := strings.Join(got.ids(), " "); g != strings.Join(want, " ") {
		t.Fatalf("%s: got [%s], want [%s]", what, g, strings.Join(want, " "))
	}
}

// TestFeed checks the change log of every backend: the snapshot and the
// changes after its cursor, in order and with the calls' arguments; the
// freshness proof; expired changes skipped; trimming by age giving
// ErrFeedTrimmed (and only then); cursors that are not the log's.
func TestFeed(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			ctx := context.Background()

			t.Run("SnapshotThenChanges", func(t *testing.T) {
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				now := time.Now()
				exp := now.Add(time.Hour).Truncate(time.Millisecond)
				cut := now.Truncate(time.Millisecond)
				must(t, s.RevokeToken(ctx, "j1", exp))
				must(t, s.RevokeFamily(ctx, "f1", revoke.Forever))
				must(t, s.RevokeSubject(ctx, "iss", "u1", cut, exp))
				must(t, s.RevokeToken(ctx, "gone", now.Add(-time.Second))) // expired already
				// A subject row of an earlier version, cutoff in seconds.
				ins := "INSERT INTO " + s.Tables()[2] + " (issuer, subject, cutoff, expires_at) VALUES (?, ?, ?, ?)"
				if b.dialect == sqlstore.Postgres {
					ins = "INSERT INTO " + s.Tables()[2] + " (issuer, subject, cutoff, expires_at) VALUES ($1, $2, $3, $4)"
				}
				_, err := db.ExecContext(ctx, ins, "iss", "old", now.Unix(), exp.UnixMilli())
				must(t, err)

				var snap entries
				before := time.Now()
				cur, seen, err := s.Snapshot(ctx10(t), snap.apply)
				must(t, err)
				if seen.Before(before) || seen.After(time.Now()) {
					t.Fatalf("Snapshot seen %v, not the time of its read (after %v)", seen, before)
				}
				sort.Slice(snap, func(i, j int) bool {
					return strings.Join(entries{snap[i]}.ids(), "") < strings.Join(entries{snap[j]}.ids(), "")
				})
				sameIDs(t, "snapshot", snap, "family:f1", "s:iss/old", "s:iss/u1", "token:j1")
				for _, e := range snap {
					switch {
					case e.Kind == revoke.EntryFamily && !e.Expires.IsZero():
						t.Errorf("Forever family has expiry %v", e.Expires)
					case e.Kind == revoke.EntryToken && !e.Expires.Equal(exp):
						t.Errorf("token expiry %v, want %v", e.Expires, exp)
					case e.Subject == "u1" && (!e.Cutoff.Equal(cut) || !e.Expires.Equal(exp)):
						t.Errorf("subject cutoff %v exp %v, want %v %v", e.Cutoff, e.Expires, cut, exp)
					case e.Subject == "old" && e.Cutoff.UnixMilli() != now.Unix()*1000+999:
						t.Errorf("seconds cutoff read as %d ms, want the second's last ms", e.Cutoff.UnixMilli())
					}
				}

				got, next, _ := changes(t, s, cur)
				sameIDs(t, "changes after the snapshot's cursor", got)
				if next != cur {
					t.Fatalf("cursor moved from %q to %q with no change", cur, next)
				}
				must(t, s.RevokeToken(ctx, "j2", exp))
				must(t, s.RevokeSubject(ctx, "iss", "u2", cut, revoke.Forever))
				must(t, s.RevokeFamily(ctx, "f2", exp))
				must(t, s.RevokeToken(ctx, "j2", exp.Add(time.Hour))) // again, later expiry
				got, next, _ = changes(t, s, cur)
				sameIDs(t, "changes", got, "token:j2", "s:iss/u2", "family:f2", "token:j2")
				if !got[1].Expires.IsZero() || !got[1].Cutoff.Equal(cut) || !got[3].Expires.Equal(exp.Add(time.Hour)) {
					t.Fatalf("changes carry the wrong arguments: %+v", got)
				}
				got, again, _ := changes(t, s, next)
				sameIDs(t, "changes after the last cursor", got)
				if again != next {
					t.Fatalf("cursor moved from %q to %q with no change", next, again)
				}
				// Replaying from an older cursor (after a reconnect) gives
				// the same changes again.
				got, _, _ = changes(t, s, cur)
				sameIDs(t, "replay", got, "token:j2", "s:iss/u2", "family:f2", "token:j2")
			})

			t.Run("Freshness", func(t *testing.T) {
				// Whatever returned before a read's seen is in its answer.
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				cur, _, err := s.Snapshot(ctx10(t), func(revoke.Entry) {})
				must(t, err)
				for i := range 20 {
					jti := fmt.Sprintf("j%d", i)
					must(t, s.RevokeToken(ctx, jti, time.Now().Add(time.Hour)))
					returned := time.Now()
					got, next, seen := changes(t, s, cur)
					if !seen.After(returned) {
						t.Fatalf("seen %v is not after the revocation returned (%v)", seen, returned)
					}
					sameIDs(t, "changes", got, "token:"+jti)
					cur = next
				}
			})

			t.Run("ExpiredSkipped", func(t *testing.T) {
				clk := &fakeClock{t: time.Now()}
				s := newStore(t, db, b.dialect, sqlstore.Options{Now: clk.Now})
				cur, _, err := s.Snapshot(ctx10(t), func(revoke.Entry) {})
				must(t, err)
				must(t, s.RevokeToken(ctx, "short", clk.Now().Add(time.Second)))
				must(t, s.RevokeToken(ctx, "long", clk.Now().Add(time.Hour)))
				clk.Add(2 * time.Second)
				got, next, _ := changes(t, s, cur)
				sameIDs(t, "changes", got, "token:long")
				// Expired changes deleted: no snapshot needed.
				n, err := s.DeleteExpired(ctx)
				must(t, err)
				if n != 2 { // the token row and its change
					t.Fatalf("DeleteExpired removed %d rows, want 2", n)
				}
				got, _, _ = changes(t, s, cur)
				sameIDs(t, "changes after trimming expired ones", got, "token:long")
				got, _, _ = changes(t, s, next)
				sameIDs(t, "changes after the cursor", got)
			})

			t.Run("TrimmedByAge", func(t *testing.T) {
				clk := &fakeClock{t: time.Now()}
				s := newStore(t, db, b.dialect, sqlstore.Options{Now: clk.Now, FeedRetention: time.Minute})
				c0, _, err := s.Snapshot(ctx10(t), func(revoke.Entry) {})
				must(t, err)
				must(t, s.RevokeToken(ctx, "a", clk.Now().Add(time.Hour)))
				_, c1, _ := changes(t, s, c0)
				clk.Add(2 * time.Minute)
				must(t, s.RevokeToken(ctx, "b", clk.Now().Add(time.Hour)))
				n, err := s.DeleteExpired(ctx)
				must(t, err)
				if n != 1 {
					t.Fatalf("DeleteExpired removed %d rows, want a's change", n)
				}
				var got entries
				_, _, err = s.Changes(ctx10(t), c0, 0, got.apply)
				if !errors.Is(err, revoke.ErrFeedTrimmed) {
					t.Fatalf("Changes from a trimmed cursor: %v, want ErrFeedTrimmed", err)
				}
				got, _, _ = changes(t, s, c1)
				sameIDs(t, "changes after the trimmed part", got, "token:b")
				var snap entries
				c2, _, err := s.Snapshot(ctx10(t), snap.apply)
				must(t, err)
				sameIDs(t, "snapshot after trimming", snap, "token:a", "token:b")
				got, _, _ = changes(t, s, c2)
				sameIDs(t, "changes after the new snapshot", got)
				// Trimming again with nothing older does not move the
				// mark: c1 stays valid.
				_, err = s.DeleteExpired(ctx)
				must(t, err)
				got, _, _ = changes(t, s, c1)
				sameIDs(t, "changes after the trimmed part", got, "token:b")
			})

			t.Run("ForeignCursors", func(t *testing.T) {
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				must(t, s.RevokeToken(ctx, "a", time.Now().Add(time.Hour)))
				for _, c := range []revoke.Cursor{"", "x", "-1", "1-0", "999999"} {
					_, _, err := s.Changes(ctx10(t), c, 0, func(revoke.Entry) {})
					if !errors.Is(err, revoke.ErrFeedTrimmed) {
						t.Errorf("Changes(%q): %v, want ErrFeedTrimmed", c, err)
					}
				}
			})

			t.Run("WaitEndsWithARead", func(t *testing.T) {
				// A reader calling in a loop with nothing to read: each
				// call returns a proof from a read made during the call,
				// and the log is read once per wait, not more.
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				if b.dialect == sqlstore.Postgres {
					waitListening(t, s) // its start wakes readers
				}
				cur, _, err := s.Snapshot(ctx10(t), func(revoke.Entry) {})
				must(t, err)
				const wait = 150 * time.Millisecond
				var prev time.Time
				for i := range 4 {
					start := time.Now()
					next, seen, err := s.Changes(ctx10(t), cur, wait, func(revoke.Entry) {})
					must(t, err)
					if next != cur {
						t.Fatalf("cursor moved with no change")
					}
					if !seen.After(start) {
						t.Fatalf("call %d: seen %v is not from a read made during the call (started %v)", i, seen, start)
					}
					if i >= 2 && seen.Sub(prev) < wait-5*time.Millisecond {
						t.Fatalf("call %d: reads %v apart, less than the wait %v", i, seen.Sub(prev), wait)
					}
					if i >= 2 && seen.Sub(prev) > 2*wait {
						t.Fatalf("call %d: reads %v apart, more than twice the wait %v", i, seen.Sub(prev), wait)
					}
					prev = seen
				}
			})

			t.Run("WaitWokenByARevocation", func(t *testing.T) {
				// Another Store value on another *sql.DB: on PostgreSQL the
				// wake comes from NOTIFY; elsewhere from this process's
				// store, which is the one revoking.
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				writer := s
				if b.dialect == sqlstore.Postgres {
					var err error
					writer, err = sqlstore.New(b.open(t), sqlstore.Options{Dialect: b.dialect, TablePrefix: s.TablePrefix()})
					must(t, err)
					waitListening(t, s)
				}
				cur, _, err := s.Snapshot(ctx10(t), func(revoke.Entry) {})
				must(t, err)
				var lat []time.Duration
				for i := range 20 {
					jti := fmt.Sprintf("w%d", i)
					revokedAt := make(chan time.Time, 1)
					go func() {
						time.Sleep(20 * time.Millisecond)
						revokedAt <- time.Now()
						if err := writer.RevokeToken(ctx, jti, time.Now().Add(time.Hour)); err != nil {
							t.Error(err)
						}
					}()
					// Changes may return with none (woken by an earlier
					// commit or the listener's start); each call waits up
					// to 5 s, so only a wake can make this quick.
					var got entries
					start := time.Now()
					for len(got) == 0 {
						next, _, err := s.Changes(ctx10(t), cur, 5*time.Second, got.apply)
						must(t, err)
						if time.Since(start) > 2*time.Second {
							t.Fatalf("Changes waited %v for a revocation", time.Since(start))
						}
						cur = next
					}
					sameIDs(t, "woken changes", got, "token:"+jti)
					lat = append(lat, time.Since(<-revokedAt))
				}
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				t.Logf("revocation to Changes' return: median %v, max %v", lat[len(lat)/2], lat[len(lat)-1])
			})
		})
	}
}

// TestFeedSmallPool: with a pool of fewer than three connections the
// PostgreSQL store does not keep one for LISTEN (it would starve the
// reads), and its feed works by polling.
func TestFeedSmallPool(t *testing.T) {
	b := backends[0]
	db := b.open(t)
	db.SetMaxOpenConns(2)
	var feedErr error
	var mu sync.Mutex
	s := newStore(t, db, b.dialect, sqlstore.Options{MaxConns: -1, OnFeedError: func(err error) {
		mu.Lock()
		feedErr = err
		mu.Unlock()
	}})
	cur, _, err := s.Snapshot(ctx10(t), func(revoke.Entry) {})
	must(t, err)
	must(t, s.RevokeToken(context.Background(), "j", time.Now().Add(time.Hour)))
	var got entries
	for len(got) == 0 {
		next, _, err := s.Changes(ctx10(t), cur, 50*time.Millisecond, got.apply)
		must(t, err)
		cur = next
	}
	sameIDs(t, "changes", got, "token:j")
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		e := feedErr
		mu.Unlock()
		if e != nil {
			if !strings.Contains(e.Error(), "none to spare for LISTEN") {
				t.Fatalf("OnFeedError: %v", e)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("OnFeedError not called")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s.Listening() {
		t.Fatal("listening on a pool of 2")
	}
}

// TestFeedListenerIdle: a listener quiet for longer than its idle time
// pings its connection and goes on listening on it (pgx leaves the
// connection usable after the wait's deadline); notifications still wake
// readers.
func TestFeedListenerIdle(t *testing.T) {
	b := backends[0]
	db := b.open(t)
	old := sqlstore.SetListenIdle(50 * time.Millisecond)
	var mu sync.Mutex
	var errs []error
	s := newStore(t, db, b.dialect, sqlstore.Options{OnFeedError: func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}})
	sqlstore.SetListenIdle(old) // s took it in New
	waitListening(t, s)
	cur, _, err := s.Snapshot(ctx10(t), func(revoke.Entry) {})
	must(t, err)
	time.Sleep(400 * time.Millisecond) // several idle periods, each with a ping
	mu.Lock()
	if len(errs) > 0 {
		t.Fatalf("the listener failed while idle: %v", errs)
	}
	mu.Unlock()
	if !s.Listening() {
		t.Fatal("not listening after idle periods")
	}
	writer, err := sqlstore.New(b.open(t), sqlstore.Options{Dialect: b.dialect, TablePrefix: s.TablePrefix()})
	must(t, err)
	go func() {
		time.Sleep(50 * time.Millisecond)
		if err := writer.RevokeToken(context.Background(), "after-idle", time.Now().Add(time.Hour)); err != nil {
			t.Error(err)
		}
	}()
	start := time.Now()
	var got entries
	for len(got) == 0 {
		next, _, err := s.Changes(ctx10(t), cur, 5*time.Second, got.apply)
		must(t, err)
		cur = next
		if time.Since(start) > 2*time.Second {
			t.Fatal("no notification after the idle periods")
		}
	}
	sameIDs(t, "changes", got, "token:after-idle")
}

// waitListening starts s's PostgreSQL listener and waits until it
// listens.
func waitListening(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	_, _, err := s.Changes(ctx10(t), "0", 0, func(revoke.Entry) {}) // starts it
	must(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for !s.Listening() {
		if time.Now().After(deadline) {
			t.Fatal("the store does not LISTEN")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFeedNoSkippedChange: revoking transactions commit out of order (each
// waits a random time between its change row and its commit) while a
// reader follows the log; every change must reach the reader. With ids
// from a sequence or AUTO_INCREMENT, a reader that sees id 11 before 10
// commits moves its cursor past 10 and never delivers it.
func TestFeedNoSkippedChange(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			ctx := context.Background()
			s := newStore(t, db, b.dialect, sqlstore.Options{})
			sqlstore.SetBeforeCommit(s, func() { time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) })
			cur, _, err := s.Snapshot(ctx10(t), func(revoke.Entry) {})
			must(t, err)

			const writers, each = 8, 25
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						if err := s.RevokeToken(ctx, fmt.Sprintf("w%d-%d", w, i), time.Now().Add(time.Hour)); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()

			seen := map[string]int{}
			reads := 0
			follow := func() {
				next, _, err := s.Changes(ctx10(t), cur, time.Millisecond, func(e revoke.Entry) { seen[e.ID]++ })
				must(t, err)
				cur = next
				reads++
			}
			for running := true; running; {
				select {
				case <-done:
					running = false
				default:
					follow()
				}
			}
			follow() // every writer has returned: this read sees them all
			var missing []string
			for w := range writers {
				for i := range each {
					if id := fmt.Sprintf("w%d-%d", w, i); seen[id] != 1 {
						missing = append(missing, fmt.Sprintf("%s (%d times)", id, seen[id]))
					}
				}
			}
			if len(missing) > 0 {
				t.Fatalf("%d of %d changes not delivered exactly once over %d reads: %v", len(missing), writers*each, reads, missing)
			}
			t.Logf("%d changes, %d reads", writers*each, reads)
		})
	}
}

// TestFeedSnapshotMillion loads a snapshot of 1,000,000 live revocations
// (800,000 tokens, 100,000 families, 100,000 subjects) from PostgreSQL
// and requires it in at most 10 s (issue 20, item 4; about 1 s on the
// development machine). It runs only when asked, without -race (the
// bound is for a normal build), since the rows take about ten seconds to
// insert:
//
//	AUTHJWTTEST_SNAPSHOT_1M=1 go test -run TestFeedSnapshotMillion -v ./stores/sqlstore/
func TestFeedSnapshotMillion(t *testing.T) {
	if os.Getenv("AUTHJWTTEST_SNAPSHOT_1M") != "1" {
		t.Skip("inserts 1,000,000 rows: set AUTHJWTTEST_SNAPSHOT_1M=1")
	}
	b := backends[0]
	db := b.open(t)
	s := newStore(t, db, b.dialect, sqlstore.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exp := time.Now().Add(time.Hour).UnixMilli()
	tabs := s.Tables()
	for _, q := range []string{
		// Unlogged: the rows go in without WAL (three times faster
		// here); reading them is the same.
		"ALTER TABLE " + tabs[0] + " SET UNLOGGED",
		"ALTER TABLE " + tabs[1] + " SET UNLOGGED",
		"ALTER TABLE " + tabs[2] + " SET UNLOGGED",
		"INSERT INTO " + tabs[0] + " (id, expires_at) SELECT 'jti-' || g || '-0190f3c2-7b1a-7c3e-9d4f-a1b2c3d4e5f6', $1 FROM generate_series(1, 800000) g",
		"INSERT INTO " + tabs[1] + " (id, expires_at) SELECT 'fam-' || g || '-0190f3c2-7b1a-7c3e', $1 FROM generate_series(1, 100000) g",
		"INSERT INTO " + tabs[2] + " (issuer, subject, cutoff, expires_at) SELECT 'https://issuer.example', 'user-' || g, $1, $1 FROM generate_series(1, 100000) g",
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = []any{exp}
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "ANALYZE "+tabs[0]+", "+tabs[1]+", "+tabs[2]); err != nil {
		t.Fatal(err)
	}
	counts := map[revoke.EntryKind]int{}
	start := time.Now()
	_, _, err := s.Snapshot(ctx, func(e revoke.Entry) { counts[e.Kind]++ })
	took := time.Since(start)
	must(t, err)
	if counts[revoke.EntryToken] != 800000 || counts[revoke.EntryFamily] != 100000 || counts[revoke.EntrySubject] != 100000 {
		t.Fatalf("snapshot applied %v", counts)
	}
	t.Logf("snapshot of 1,000,000 entries from PostgreSQL: %v", took)
	if took > 10*time.Second {
		t.Fatalf("snapshot took %v, more than 10 s", took)
	}
}
