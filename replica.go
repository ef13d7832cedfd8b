package authjwt

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// replica is a local copy of the revocation state of a store with a
// [revoke.Feed] (Revocation.MaxStaleness): loaded from a snapshot in New,
// kept current by one goroutine reading the store's change log, and asked
// by check in place of the store.
//
// Its freshness is positive knowledge: seen is the local time up to which
// it has provably applied every change (the issue time of the latest read
// the feed answered, see [revoke.Feed]). A lookup answers only while seen
// is at most bound old; past that it fails, and check fails closed with
// ErrStoreUnavailable. A revocation acknowledged by the store more than
// bound before a lookup has therefore been applied when the lookup answers.
//
// The entries are split into shards, each behind its own RWMutex, so that
// a lookup takes a read lock on one small shard and the sweeper that
// forgets expired entries holds one shard at a time. Ids shaped as UUIDs
// (our jtis and family ids) are kept as 16 bytes.
type replica struct {
	feed    revoke.Feed
	bound   time.Duration // Revocation.MaxStaleness
	wait    time.Duration // how long one Changes call waits for a change
	timeout time.Duration // Revocation.Timeout, the bound on a read beyond wait
	now     func() time.Time
	rev     *revoker // for the hooks and the outage log

	base time.Time    // the origin of seen, with its monotonic reading
	seen atomic.Int64 // nanoseconds since base of the latest proof; <0 none

	seed   maphash.Seed
	shards [replicaShards]replicaShard
	// How many entries of each kind the shards hold (expired ones not yet
	// swept included): a lookup skips the kinds there are none of, often
	// families and subjects.
	nTokens, nFamilies, nSubjects atomic.Int64

	cursor revoke.Cursor // the feed goroutine's alone once started

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once

	// sweepEvery is how often expired entries are forgotten; tests
	// shorten it.
	sweepEvery time.Duration
}

const replicaShards = 64

type replicaShard struct {
	mu       sync.RWMutex
	tokens   map[[16]byte]int64 // UUID-shaped jti → expiry (Unix ns)
	families map[[16]byte]int64
	tokenS   map[string]int64 // other jtis
	familyS  map[string]int64
	subjects map[subjectID]replicaCutoff
	_        [40]byte // keep shards' locks on separate cache lines
}

type subjectID struct{ issuer, subject string }

type replicaCutoff struct {
	cutoff  int64 // Unix ms
	expires int64 // Unix ns
}

const replicaForever = math.MaxInt64

// replicaStartTimeout bounds the snapshot New loads, beyond
// Revocation.Timeout: a million entries load in a few seconds.
const replicaStartTimeout = 30 * time.Second

// errReplicaStale is wrapped by the error of a lookup refused because the
// replica's freshness is older than its bound.
var errReplicaStale = errors.New("authjwt: revocation replica is stale")

// newReplica loads the snapshot of feed and starts following its
// changes. It fails when the snapshot cannot be loaded.
func newReplica(rc *RevocationConfig, feed revoke.Feed, now func() time.Time, rev *revoker) (*replica, error) {
	p := &replica{
		feed:       feed,
		bound:      rc.MaxStaleness,
		wait:       rc.MaxStaleness / 4,
		timeout:    rc.Timeout,
		now:        now,
		rev:        rev,
		base:       time.Now(),
		seed:       maphash.MakeSeed(),
		sweepEvery: time.Minute,
	}
	p.seen.Store(-1)
	for i := range p.shards {
		s := &p.shards[i]
		s.tokens = make(map[[16]byte]int64)
		s.families = make(map[[16]byte]int64)
		s.tokenS = make(map[string]int64)
		s.familyS = make(map[string]int64)
		s.subjects = make(map[subjectID]replicaCutoff)
	}
	ctx, cancel := context.WithTimeout(context.Background(), replicaStartTimeout+rc.Timeout)
	defer cancel()
	if err := p.load(ctx); err != nil {
		return nil, err
	}
	// Catch up at once: a large snapshot's proof may be older than the
	// bound by the time it has loaded.
	if _, err := p.follow(ctx, 0); err != nil && !errors.Is(err, revoke.ErrFeedTrimmed) {
		return nil, err
	}
	run, stop := context.WithCancel(context.Background())
	p.stop, p.done = stop, make(chan struct{})
	go p.run(run)
	return p, nil
}

// close stops the feed goroutine and waits for it.
func (p *replica) close() {
	p.closeOnce.Do(func() {
		p.stop()
		<-p.done
	})
}

// Lookups.

// age returns how old the replica's proof of freshness is; a replica
// without one is infinitely stale.
func (p *replica) age() time.Duration {
	s := p.seen.Load()
	if s < 0 {
		return math.MaxInt64
	}
	return time.Since(p.base) - time.Duration(s)
}

// isRevoked answers q from memory, or fails with errReplicaStale when the
// replica cannot prove it has seen every change up to bound ago. It does
// not allocate unless it fails.
func (p *replica) isRevoked(q revoke.Query) (bool, error) {
	if age := p.age(); age > p.bound {
		return false, p.staleError(age)
	}
	var now int64 // read only when an entry is found
	live := func(exp int64) bool {
		if exp == replicaForever {
			return true
		}
		if now == 0 {
			now = p.now().UnixNano()
		}
		return exp > now
	}
	if q.JTI != "" && p.nTokens.Load() > 0 {
		if exp, ok := p.lookupID(q.JTI, false); ok && live(exp) {
			return true, nil
		}
	}
	if q.Family != "" && p.nFamilies.Load() > 0 {
		if exp, ok := p.lookupID(q.Family, true); ok && live(exp) {
			return true, nil
		}
	}
	if p.nSubjects.Load() == 0 {
		return false, nil
	}
	k := subjectID{q.Issuer, q.Subject}
	s := p.subjectShard(k)
	s.mu.RLock()
	c, ok := s.subjects[k]
	s.mu.RUnlock()
	if ok && live(c.expires) {
		iat := int64(0)
		if !q.IssuedAt.IsZero() {
			iat = q.IssuedAt.UnixMilli()
		}
		if iat <= c.cutoff {
			return true, nil
		}
	}
	// Entries are applied before seen is advanced: a proof read after the
	// lookups would be no older than the one read before them.
	return false, nil
}

func (p *replica) staleError(age time.Duration) error {
	if age == math.MaxInt64 {
		return fmt.Errorf("%w: no change feed read has answered yet (Revocation.MaxStaleness %v)", errReplicaStale, p.bound)
	}
	return fmt.Errorf("%w: every change is proven seen only up to %v ago, beyond Revocation.MaxStaleness %v", errReplicaStale, age.Round(time.Millisecond), p.bound)
}

func (p *replica) lookupID(id string, family bool) (int64, bool) {
	if u, ok := parseUUID(id); ok {
		s := &p.shards[u[15]%replicaShards]
		s.mu.RLock()
		m := s.tokens
		if family {
			m = s.families
		}
		exp, ok := m[u]
		s.mu.RUnlock()
		return exp, ok
	}
	s := &p.shards[maphash.String(p.seed, id)%replicaShards]
	s.mu.RLock()
	m := s.tokenS
	if family {
		m = s.familyS
	}
	exp, ok := m[id]
	s.mu.RUnlock()
	return exp, ok
}

func (p *replica) subjectShard(k subjectID) *replicaShard {
	h := maphash.String(p.seed, k.subject) ^ maphash.String(p.seed, k.issuer)>>1
	return &p.shards[h%replicaShards]
}

// Applying entries.

func expiresNanos(t time.Time) int64 {
	if t.IsZero() {
		return replicaForever
	}
	return t.UnixNano()
}

// apply adds one entry: the state is a join (later expiry, later cutoff).
func (p *replica) apply(e revoke.Entry) {
	exp := expiresNanos(e.Expires)
	switch e.Kind {
	case revoke.EntryToken, revoke.EntryFamily:
		if e.ID == "" {
			return
		}
		family := e.Kind == revoke.EntryFamily
		n := &p.nTokens
		if family {
			n = &p.nFamilies
		}
		if u, ok := parseUUID(e.ID); ok {
			s := &p.shards[u[15]%replicaShards]
			s.mu.Lock()
			m := s.tokens
			if family {
				m = s.families
			}
			if old, ok := m[u]; !ok || old < exp {
				if !ok {
					n.Add(1)
				}
				m[u] = exp
			}
			s.mu.Unlock()
			return
		}
		s := &p.shards[maphash.String(p.seed, e.ID)%replicaShards]
		s.mu.Lock()
		m := s.tokenS
		if family {
			m = s.familyS
		}
		if old, ok := m[e.ID]; !ok || old < exp {
			if !ok {
				n.Add(1)
			}
			m[e.ID] = exp
		}
		s.mu.Unlock()
	case revoke.EntrySubject:
		k := subjectID{e.Issuer, e.Subject}
		cut := e.Cutoff.UnixMilli()
		s := p.subjectShard(k)
		s.mu.Lock()
		if c, ok := s.subjects[k]; ok {
			cut, exp = max(c.cutoff, cut), max(c.expires, exp)
		} else {
			p.nSubjects.Add(1)
		}
		s.subjects[k] = replicaCutoff{cutoff: cut, expires: exp}
		s.mu.Unlock()
	}
}

// prove records seen as the replica's freshness, unless it has a newer
// one. A proof from the future (a store's clock reading it should not
// have) counts as now.
func (p *replica) prove(seen time.Time) {
	d := seen.Sub(p.base)
	if now := time.Since(p.base); d > now {
		d = now
	}
	for {
		old := p.seen.Load()
		if int64(d) <= old || p.seen.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// sweep forgets entries expired by now, one shard at a time.
func (p *replica) sweep() {
	for i := range p.shards {
		now := p.now().UnixNano()
		s := &p.shards[i]
		s.mu.Lock()
		p.nTokens.Add(-sweepMap(s.tokens, now) - sweepMap(s.tokenS, now))
		p.nFamilies.Add(-sweepMap(s.families, now) - sweepMap(s.familyS, now))
		var gone int64
		for k, c := range s.subjects {
			if c.expires <= now {
				delete(s.subjects, k)
				gone++
			}
		}
		p.nSubjects.Add(-gone)
		s.mu.Unlock()
	}
}

// sweepMap deletes the entries of m expired by now and returns how many.
func sweepMap[K comparable](m map[K]int64, now int64) int64 {
	var gone int64
	for k, exp := range m {
		if exp <= now {
			delete(m, k)
			gone++
		}
	}
	return gone
}

// size returns the number of entries held (expired ones not yet swept
// included).
func (p *replica) size() int {
	n := 0
	for i := range p.shards {
		s := &p.shards[i]
		s.mu.RLock()
		n += len(s.tokens) + len(s.families) + len(s.tokenS) + len(s.familyS) + len(s.subjects)
		s.mu.RUnlock()
	}
	return n
}

// Following the feed.

// load applies a snapshot and moves the cursor to it.
func (p *replica) load(ctx context.Context) error {
	start := p.rev.started()
	cur, seen, err := p.feed.Snapshot(ctx, p.apply)
	p.rev.report(ctx, StoreOpFeedSnapshot, start, err, false)
	if err != nil {
		return err
	}
	p.cursor = cur
	p.prove(seen)
	return nil
}

// follow reads the changes after the cursor, waiting up to wait, and
// returns how many it applied.
func (p *replica) follow(ctx context.Context, wait time.Duration) (int, error) {
	rctx, cancel := context.WithTimeout(ctx, wait+p.timeout)
	defer cancel()
	start := p.rev.started()
	n := 0
	next, seen, err := p.feed.Changes(rctx, p.cursor, wait, func(e revoke.Entry) {
		n++
		p.apply(e)
	})
	p.rev.report(ctx, StoreOpFeedChanges, start, err, false)
	if err != nil {
		return n, err
	}
	p.cursor = next
	p.prove(seen)
	return n, nil
}

// run follows the feed until ctx ends: Changes in a loop; a snapshot
// again when the log was trimmed past the cursor; after a failure, a
// retry from the same cursor after a pause that grows up to wait. Feed
// failures go to the outage log (op "feed").
func (p *replica) run(ctx context.Context) {
	defer close(p.done)
	sweep := time.NewTicker(p.sweepEvery)
	defer sweep.Stop()
	pause := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			p.sweep()
		default:
		}
		began := time.Now()
		n, err := p.follow(ctx, p.wait)
		if errors.Is(err, revoke.ErrFeedTrimmed) {
			lctx, cancel := context.WithTimeout(ctx, replicaStartTimeout+p.timeout)
			err = p.load(lctx)
			cancel()
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			p.rev.health.success(ctx, p.rev.log)
			pause = 0
			// A feed that answers "nothing" at once, without waiting,
			// is read at most every wait/4, not in a busy loop.
			if idle := p.wait/4 - time.Since(began); n == 0 && idle > 0 {
				sleepCtx(ctx, idle)
			}
			continue
		}
		p.rev.health.failure(ctx, p.rev.log, "feed", err, false)
		pause = min(max(2*pause, 10*time.Millisecond), max(p.wait, 10*time.Millisecond))
		sleepCtx(ctx, pause)
	}
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// parseUUID reads a UUID in its canonical 36-character lower-case form
// (any version; ours) into its 16 bytes. Ids are compared byte for byte,
// as stores do: an upper-case UUID is another id, kept as a string.
func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
			continue
		}
		hi, lo := hexNibble(s[i]), hexNibble(s[i+1])
		if hi > 15 || lo > 15 {
			return u, false
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, true
}

func hexNibble(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return 255
}
