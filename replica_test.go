package authjwt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// logStore is a shared store with a change feed, in process: a
// revoke.Memory plus a log of its revocations, appended under the same
// lock as the write, which several Auths (instances) share. cut makes
// every feed read fail, as a partitioned link does, while the store keeps
// taking revocations from other instances.
type logStore struct {
	*revoke.Memory

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every append
	log     []revoke.Entry
	base    int // log[i] has position base+i+1; positions <= base trimmed
	cut     bool
	reads   int // Changes calls
	snaps   int // Snapshot calls
}

var _ revoke.Feed = (*logStore)(nil)

func newLogStore(now func() time.Time) *logStore {
	return &logStore{Memory: revoke.NewMemory(revoke.WithClock(now), revoke.WithSweepInterval(0)), changed: make(chan struct{})}
}

func (s *logStore) append(e revoke.Entry) {
	s.log = append(s.log, e)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *logStore) RevokeToken(ctx context.Context, jti string, exp time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Memory.RevokeToken(ctx, jti, exp); err != nil {
		return err
	}
	s.append(revoke.Entry{Kind: revoke.EntryToken, ID: jti, Expires: exp})
	return nil
}

func (s *logStore) RevokeFamily(ctx context.Context, family string, exp time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Memory.RevokeFamily(ctx, family, exp); err != nil {
		return err
	}
	s.append(revoke.Entry{Kind: revoke.EntryFamily, ID: family, Expires: exp})
	return nil
}

func (s *logStore) RevokeSubject(ctx context.Context, iss, sub string, cut, exp time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Memory.RevokeSubject(ctx, iss, sub, cut, exp); err != nil {
		return err
	}
	s.append(revoke.Entry{Kind: revoke.EntrySubject, Issuer: iss, Subject: sub, Cutoff: cut, Expires: exp})
	return nil
}

// Snapshot replays the whole log: the join of every entry is the state.
// Trimmed entries are kept in the Memory only, so a trimmed logStore
// snapshots from a copy of the log it keeps whole (all).
func (s *logStore) Snapshot(ctx context.Context, apply func(revoke.Entry)) (revoke.Cursor, time.Time, error) {
	seen := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snaps++
	if s.cut {
		return "", time.Time{}, errors.New("logStore: link cut")
	}
	for _, e := range s.all() {
		apply(e)
	}
	return revoke.Cursor(strconv.Itoa(s.base + len(s.log))), seen, nil
}

func (s *logStore) Changes(ctx context.Context, after revoke.Cursor, wait time.Duration, apply func(revoke.Entry)) (revoke.Cursor, time.Time, error) {
	pos, err := strconv.Atoi(string(after))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("logStore: bad cursor %q", after)
	}
	deadline := time.Now().Add(wait)
	for {
		seen := time.Now()
		s.mu.Lock()
		s.reads++
		if s.cut {
			s.mu.Unlock()
			select { // a partition: the read hangs until its deadline
			case <-ctx.Done():
			case <-time.After(wait):
			}
			return "", time.Time{}, errors.New("logStore: link cut")
		}
		if pos < s.base {
			s.mu.Unlock()
			return "", time.Time{}, fmt.Errorf("logStore: %w", revoke.ErrFeedTrimmed)
		}
		end := s.base + len(s.log)
		if end > pos || time.Until(deadline) <= 0 {
			for _, e := range s.log[pos-s.base:] {
				apply(e)
			}
			s.mu.Unlock()
			return revoke.Cursor(strconv.Itoa(end)), seen, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return "", time.Time{}, ctx.Err()
		case <-ch:
		case <-time.After(time.Until(deadline)):
		}
	}
}

// trimmed keeps what trim removed, for Snapshot.
var trimmedLogs sync.Map // *logStore → []revoke.Entry

func (s *logStore) all() []revoke.Entry {
	old, _ := trimmedLogs.Load(s)
	prev, _ := old.([]revoke.Entry)
	return append(append([]revoke.Entry(nil), prev...), s.log...)
}

// trim drops every logged change: a reader behind it must snapshot.
func (s *logStore) trim() {
	s.mu.Lock()
	defer s.mu.Unlock()
	trimmedLogs.Store(s, s.all())
	s.base += len(s.log)
	s.log = nil
}

func (s *logStore) setCut(cut bool) {
	s.mu.Lock()
	s.cut = cut
	s.mu.Unlock()
}

func (s *logStore) counts() (reads, snaps int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads, s.snaps
}

// noFeed is a store without a change feed.
type noFeed struct{ *revoke.Memory }

func replicaConfig(st revoke.Store, bound time.Duration, now func() time.Time) Config {
	return Config{
		Keys:       KeyConfig{SecretKey: testSecret},
		Now:        now,
		Revocation: RevocationConfig{Store: st, MaxStaleness: bound, Timeout: 200 * time.Millisecond},
	}
}

func TestReplicaConfig(t *testing.T) {
	mem := revoke.NewMemory()
	defer mem.Close()
	for _, tc := range []struct {
		name string
		rc   RevocationConfig
		want string // "" for accepted
	}{
		{"a callback store has no feed", RevocationConfig{Store: revoke.Func(func(context.Context, revoke.Query) (bool, error) { return false, nil }), MaxStaleness: time.Second}, "Revocation.MaxStaleness: a callback store (revoke.Func)"},
		{"a store without Feed", RevocationConfig{Store: noFeed{mem}, MaxStaleness: time.Second}, "has no change feed (revoke.Feed)"},
		{"fail-open would accept on staleness", RevocationConfig{Store: newLogStore(time.Now), MaxStaleness: time.Second, UnsafeFailOpen: true}, "cannot be combined with Revocation.UnsafeFailOpen"},
		{"negative", RevocationConfig{Store: mem, MaxStaleness: -time.Second}, "Revocation.MaxStaleness: negative duration"},
		{"too small to prove", RevocationConfig{Store: newLogStore(time.Now), MaxStaleness: time.Millisecond}, "is below 10ms"},
		{"the memory store needs no replica", RevocationConfig{Store: mem, MaxStaleness: time.Second}, ""},
		{"off", RevocationConfig{Store: noFeed{mem}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: tc.rc})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if a.rev.rep != nil {
					t.Error("a replica was started")
				}
				a.Close()
				return
			}
			if err == nil {
				a.Close()
				t.Fatalf("New accepted %+v", tc.rc)
			}
			if !contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want it to say %q", err, tc.want)
			}
		})
	}
	t.Run("the variable is named", func(t *testing.T) {
		cfg, err := ConfigFromEnv([]string{"AUTHJWT_SECRET_KEY=" + testSecret, "AUTHJWT_REVOCATION_MAX_STALENESS=1s"})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Revocation.Store = noFeed{mem}
		_, err = New(cfg)
		if err == nil || !contains(err.Error(), "AUTHJWT_REVOCATION_MAX_STALENESS") {
			t.Errorf("New: %v, want it to name AUTHJWT_REVOCATION_MAX_STALENESS", err)
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// eventually waits up to d for cond.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestReplicaPropagates(t *testing.T) {
	st := newLogStore(time.Now)
	defer st.Close()
	before := mustNew(t, replicaConfig(st, time.Second, nil))
	defer before.Close()
	// A revocation made before an instance starts reaches it by the
	// snapshot; one made after, by the feed.
	ctx := context.Background()
	early := must(before.CreatePair("early"))
	tEarly := must(before.Verify(ctx, early.AccessToken, Requirement{}))
	if err := before.RevokeFamily(ctx, tEarly); err != nil {
		t.Fatal(err)
	}
	a := mustNew(t, replicaConfig(st, time.Second, nil))
	defer a.Close()
	b := mustNew(t, replicaConfig(st, time.Second, nil))
	defer b.Close()
	if _, err := b.Verify(ctx, early.RefreshToken, Requirement{Refresh: true}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("a family revoked before start: %v, want ErrTokenRevoked", err)
	}

	tokens := []string{must(a.CreateAccessToken("u1")), must(a.CreateAccessToken("u2")), must(a.CreateAccessToken("u3"))}
	verified := must(a.Verify(ctx, tokens[0], Requirement{}))
	if err := a.Revoke(ctx, verified); err != nil {
		t.Fatal(err)
	}
	// Read-your-writes: the revoking instance refuses at once.
	if _, err := a.Verify(ctx, tokens[0], Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("revoking instance: %v, want ErrTokenRevoked", err)
	}
	eventually(t, time.Second, "instance b still accepts a token revoked on a", func() bool {
		_, err := b.Verify(ctx, tokens[0], Requirement{})
		return errors.Is(err, ErrTokenRevoked)
	})
	if err := a.RevokeSubject(ctx, "", "u2"); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "a subject cut-off does not reach b", func() bool {
		_, err := b.Verify(ctx, tokens[1], Requirement{})
		return errors.Is(err, ErrTokenRevoked)
	})
	if _, err := b.Verify(ctx, tokens[2], Requirement{}); err != nil {
		t.Fatalf("an unrevoked token: %v", err)
	}
	// The store is not asked on checks: b's reads are the feed's only.
	mem := revoke.Query{JTI: verified.JTI()}
	if rev, _ := b.rev.rep.isRevoked(mem); !rev {
		t.Error("the replica does not hold the revoked jti")
	}
}

func TestReplicaFailsClosedWhenStale(t *testing.T) {
	st := newLogStore(time.Now)
	defer st.Close()
	const bound = 200 * time.Millisecond
	a := mustNew(t, replicaConfig(st, bound, nil))
	defer a.Close()
	b := mustNew(t, replicaConfig(st, bound, nil))
	defer b.Close()
	ctx := context.Background()
	tok := must(a.CreateAccessToken("u"))
	other := must(a.CreateAccessToken("v"))
	if _, err := b.Verify(ctx, tok, Requirement{}); err != nil {
		t.Fatal(err)
	}

	st.setCut(true)
	cutAt := time.Now()
	verified := must(a.Verify(ctx, tok, Requirement{}))
	if err := a.Revoke(ctx, verified); err != nil { // the store takes it
		t.Fatal(err)
	}
	// b cannot see it: it must stop answering within the bound of its
	// last proof (which is at most cutAt), and never accept tok.
	for {
		_, err := b.Verify(ctx, tok, Requirement{})
		if errors.Is(err, ErrStoreUnavailable) {
			break
		}
		if err == nil && time.Since(cutAt) > bound {
			t.Fatalf("b accepted a token revoked elsewhere %v after its feed was cut (bound %v)", time.Since(cutAt), bound)
		}
		if err != nil && !errors.Is(err, ErrTokenRevoked) {
			t.Fatalf("b: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	if since := time.Since(cutAt); since > 2*bound {
		t.Errorf("b answered from memory %v after the cut, bound %v", since, bound)
	}
	if _, err := b.Verify(ctx, other, Requirement{}); !errors.Is(err, ErrStoreUnavailable) {
		t.Errorf("stale replica, unrevoked token: %v, want ErrStoreUnavailable (fail closed)", err)
	}
	var e *Error
	if _, err := b.Verify(ctx, other, Requirement{}); !errors.As(err, &e) || e.Status != 503 {
		t.Errorf("stale replica: %v, want a 503", err)
	}

	st.setCut(false)
	eventually(t, 2*time.Second, "b does not recover when the link returns", func() bool {
		_, err := b.Verify(ctx, other, Requirement{})
		return err == nil
	})
	if _, err := b.Verify(ctx, tok, Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("after recovery: %v, want the revocation made during the cut (replayed)", err)
	}
}

func TestReplicaSnapshotAfterTrim(t *testing.T) {
	st := newLogStore(time.Now)
	defer st.Close()
	b := mustNew(t, replicaConfig(st, time.Second, nil))
	defer b.Close()
	a := mustNew(t, replicaConfig(st, time.Second, nil))
	defer a.Close()
	ctx := context.Background()
	_, snaps := st.counts()

	st.setCut(true)
	tok := must(a.CreateAccessToken("u"))
	if err := a.Revoke(ctx, must(a.Verify(ctx, tok, Requirement{}))); err != nil {
		t.Fatal(err)
	}
	st.trim() // b's cursor is now behind the log
	st.setCut(false)
	eventually(t, 2*time.Second, "b does not reload past a trimmed log", func() bool {
		_, err := b.Verify(ctx, tok, Requirement{})
		return errors.Is(err, ErrTokenRevoked)
	})
	if _, now := st.counts(); now <= snaps {
		t.Errorf("snapshots: %d before, %d after: the revocation came without one", snaps, now)
	}
}

func TestReplicaExpiry(t *testing.T) {
	clk := newClock()
	st := newLogStore(clk.Now)
	defer st.Close()
	a := mustNew(t, replicaConfig(st, time.Second, clk.Now))
	defer a.Close()
	ctx := context.Background()
	tok := must(a.CreateAccessToken("u", WithExpiry(time.Minute)))
	verified := must(a.Verify(ctx, tok, Requirement{}))
	if err := a.Revoke(ctx, verified); err != nil {
		t.Fatal(err)
	}
	rep := a.rev.rep
	q := revoke.Query{JTI: verified.JTI()}
	keep := a.rev.retention(verified)
	// Kept until the retention instant, not a moment less.
	clk.Add(keep.Sub(clk.Now()) - time.Nanosecond)
	if rev, err := rep.isRevoked(q); err != nil || !rev {
		t.Fatalf("just before its expiry: %v %v, want revoked", rev, err)
	}
	rep.sweep()
	if rep.size() != 1 {
		t.Fatalf("swept a live entry: %d left", rep.size())
	}
	clk.Add(time.Nanosecond)
	if rev, _ := rep.isRevoked(q); rev {
		t.Error("still revoked at its expiry")
	}
	rep.sweep()
	if n := rep.size(); n != 0 {
		t.Errorf("%d entries left after the sweep", n)
	}
}

func TestReplicaJoin(t *testing.T) {
	// Entries only accumulate: a later expiry or cut-off wins whatever the
	// order, and a replayed entry changes nothing.
	clk := newClock()
	st := newLogStore(clk.Now)
	defer st.Close()
	a := mustNew(t, replicaConfig(st, time.Second, clk.Now))
	defer a.Close()
	p := a.rev.rep
	now := clk.Now()
	for _, id := range []string{"0190a3c4-1d2e-7f00-8a1b-2c3d4e5f6a7b", "not-a-uuid", "0190A3C4-1D2E-7F00-8A1B-2C3D4E5F6A7B"} {
		p.apply(revoke.Entry{Kind: revoke.EntryToken, ID: id, Expires: now.Add(time.Hour)})
		p.apply(revoke.Entry{Kind: revoke.EntryToken, ID: id, Expires: now.Add(time.Minute)})
		p.apply(revoke.Entry{Kind: revoke.EntryFamily, ID: id, Expires: revoke.Forever})
	}
	p.apply(revoke.Entry{Kind: revoke.EntrySubject, Issuer: "i", Subject: "s", Cutoff: now, Expires: now.Add(time.Hour)})
	p.apply(revoke.Entry{Kind: revoke.EntrySubject, Issuer: "i", Subject: "s", Cutoff: now.Add(-time.Second), Expires: now.Add(time.Minute)})
	clk.Add(30 * time.Minute)
	for _, id := range []string{"0190a3c4-1d2e-7f00-8a1b-2c3d4e5f6a7b", "not-a-uuid", "0190A3C4-1D2E-7F00-8A1B-2C3D4E5F6A7B"} {
		if rev, _ := p.isRevoked(revoke.Query{JTI: id}); !rev {
			t.Errorf("jti %s: the later expiry was lost", id)
		}
		if rev, _ := p.isRevoked(revoke.Query{Family: id}); !rev {
			t.Errorf("family %s: forever was lost", id)
		}
	}
	if rev, _ := p.isRevoked(revoke.Query{JTI: "0190a3c4-1d2e-7f00-8a1b-2c3d4e5f6a7c"}); rev {
		t.Error("another uuid is revoked")
	}
	if rev, _ := p.isRevoked(revoke.Query{Issuer: "i", Subject: "s", IssuedAt: now}); !rev {
		t.Error("the later cut-off was lost")
	}
	if rev, _ := p.isRevoked(revoke.Query{Issuer: "i", Subject: "s", IssuedAt: now.Add(time.Millisecond)}); rev {
		t.Error("a token issued after the cut-off is revoked")
	}
	if rev, _ := p.isRevoked(revoke.Query{Issuer: "j", Subject: "s"}); rev {
		t.Error("another issuer's subject is revoked")
	}
}

func TestReplicaLookupAllocs(t *testing.T) {
	st := newLogStore(time.Now)
	defer st.Close()
	a := mustNew(t, replicaConfig(st, time.Minute, nil))
	defer a.Close()
	p := a.rev.rep
	p.apply(revoke.Entry{Kind: revoke.EntryToken, ID: "0190a3c4-1d2e-7f00-8a1b-2c3d4e5f6a7b"})
	for _, q := range []revoke.Query{
		{JTI: "0190a3c4-1d2e-7f00-8a1b-2c3d4e5f6a7b"},
		{JTI: "0190a3c4-1d2e-7f00-8a1b-2c3d4e5f6a7c", Family: "0190a3c4-1d2e-7f00-8a1b-2c3d4e5f6a7d", Issuer: "iss", Subject: "sub", IssuedAt: time.Now()},
		{JTI: "other", Family: "other", Subject: "sub"},
	} {
		if n := testing.AllocsPerRun(1000, func() { p.isRevoked(q) }); n != 0 {
			t.Errorf("lookup %+v: %v allocations, want 0", q, n)
		}
	}
}

func TestReplicaClose(t *testing.T) {
	st := newLogStore(time.Now)
	defer st.Close()
	a := mustNew(t, replicaConfig(st, time.Second, nil))
	a.Close()
	a.Close() // idempotent
	r1, _ := st.counts()
	time.Sleep(100 * time.Millisecond)
	if r2, _ := st.counts(); r2 != r1 {
		t.Errorf("the feed is still read after Close: %d reads, then %d", r1, r2)
	}
}

// TestReplicaMemory holds a million live revocations (UUID jtis, as ours
// are) and measures the heap they take: at most 128 MB.
func TestReplicaMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million entries: not in -short")
	}
	st := newLogStore(time.Now)
	defer st.Close()
	a := mustNew(t, replicaConfig(st, time.Minute, nil))
	defer a.Close()
	p := a.rev.rep
	const n = 1_000_000
	exp := time.Now().Add(time.Hour)
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	var u [16]byte
	for i := range n {
		u[0], u[1], u[2], u[15], u[14] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i), byte(i*7)
		p.apply(revoke.Entry{Kind: revoke.EntryToken, ID: formatUUID(u), Expires: exp})
	}
	after := heap()
	if p.size() != n {
		t.Fatalf("%d entries, want %d", p.size(), n)
	}
	used := int64(after) - int64(before)
	t.Logf("%d live revocations: %.1f MB of heap (%.0f bytes each)", n, float64(used)/(1<<20), float64(used)/n)
	if used > 128<<20 {
		t.Errorf("%d MB for %d entries, want at most 128 MB", used>>20, n)
	}
	runtime.KeepAlive(p)
}

// TestReplicaMemoryFlat: over a long run in which revocations keep
// arriving and expiring (a steady 100,000 live, 3,000,000 applied in
// all), the replica's heap stays where it was once the steady state was
// reached, and what it holds is only what is live: entries leave as they
// expire, and their maps do not keep growing.
func TestReplicaMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("three million entries: not in -short")
	}
	clk := newClock()
	st := newLogStore(clk.Now)
	defer st.Close()
	a := mustNew(t, replicaConfig(st, time.Hour, clk.Now))
	defer a.Close()
	p := a.rev.rep
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	// Go's maps keep deleted slots until they rehash, so the heap climbs
	// for a few rounds and then levels off: steady is taken at round 20.
	const perRound, rounds, warm = 50_000, 60, 20
	var u [16]byte
	var steady uint64
	for r := range rounds {
		// This round's entries live for two rounds: at any time about
		// 2*perRound are live, of every kind the replica holds.
		exp := clk.Now().Add(2 * time.Second)
		for i := range perRound {
			n := r*perRound + i
			u[0], u[1], u[2], u[3], u[15] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n), byte(n*7)
			switch n % 10 {
			case 0:
				p.apply(revoke.Entry{Kind: revoke.EntryFamily, ID: formatUUID(u), Expires: exp})
			case 1:
				p.apply(revoke.Entry{Kind: revoke.EntrySubject, Issuer: "https://issuer.example", Subject: formatUUID(u), Cutoff: clk.Now(), Expires: exp})
			default:
				p.apply(revoke.Entry{Kind: revoke.EntryToken, ID: formatUUID(u), Expires: exp})
			}
		}
		clk.Add(time.Second)
		p.sweep()
		if n := p.size(); n > 2*perRound {
			t.Fatalf("round %d: %d entries held, at most %d are live", r, n, 2*perRound)
		}
		if r == warm {
			steady = heap()
		}
		if testing.Verbose() && r%10 == 9 {
			t.Logf("round %d: %d held, %.1f MB", r, p.size(), float64(heap())/(1<<20))
		}
	}
	end := heap()
	t.Logf("steady state (round %d): %.1f MB of heap; after %d rounds (%d entries applied): %.1f MB",
		warm, float64(steady)/(1<<20), rounds, rounds*perRound, float64(end)/(1<<20))
	// Flat: within a quarter of the steady state (Go maps may rehash to a
	// larger table once; they must not grow with the entries applied).
	if end > steady+steady/4 {
		t.Errorf("the heap grew from %.1f MB to %.1f MB while the live entries stayed at %d",
			float64(steady)/(1<<20), float64(end)/(1<<20), 2*perRound)
	}
	runtime.KeepAlive(p)
}

func formatUUID(u [16]byte) string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexd[c>>4], hexd[c&15])
	}
	return string(b)
}

func TestReplicaObservability(t *testing.T) {
	st := newLogStore(time.Now)
	defer st.Close()
	var mu sync.Mutex
	ops := map[string]int{}
	var logs strings.Builder
	cfg := replicaConfig(st, 200*time.Millisecond, nil)
	cfg.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	cfg.Hooks.OnStoreCall = func(_ context.Context, ev StoreEvent) {
		mu.Lock()
		ops[ev.Op]++
		mu.Unlock()
	}
	a := mustNew(t, cfg)
	defer a.Close()
	ctx := context.Background()
	tok := must(a.CreateAccessToken("u"))
	for range 10 {
		if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
			t.Fatal(err)
		}
	}
	st.setCut(true)
	time.Sleep(400 * time.Millisecond)
	st.setCut(false)
	eventually(t, 2*time.Second, "no recovery", func() bool {
		_, err := a.Verify(ctx, tok, Requirement{})
		return err == nil
	})
	mu.Lock()
	defer mu.Unlock()
	if ops[StoreOpFeedSnapshot] != 1 || ops[StoreOpFeedChanges] == 0 {
		t.Errorf("OnStoreCall saw %v, want one %s and some %s", ops, StoreOpFeedSnapshot, StoreOpFeedChanges)
	}
	if ops[StoreOpCheck] != 0 {
		t.Errorf("%d checks reported as store calls: the replica answered them", ops[StoreOpCheck])
	}
	out := logs.String()
	if n := strings.Count(out, "revocation store unavailable"); n != 1 || !strings.Contains(out, "op=feed") {
		t.Errorf("outage log: %d start lines, want 1 with op=feed:\n%s", n, out)
	}
}

type lockedWriter struct {
	w  *strings.Builder
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
