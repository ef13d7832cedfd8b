package revoke

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// forever is the internal expiry of entries stored with [Forever].
const forever = math.MaxInt64

// errEmptyID is returned when a jti or family id is empty: such an entry
// could never match a query, since an empty Query field means "none".
var errEmptyID = errors.New("revoke: empty id")

var errLongSuccessor = errors.New("revoke: successor longer than MaxSuccessorLen")

// MemoryOption configures a [Memory] store.
type MemoryOption func(*Memory)

// WithClock sets the clock used for expiry and for the first-use time
// returned by [Memory.Consume]; tests inject a fake one. The default is
// [time.Now]. A nil function is ignored.
func WithClock(now func() time.Time) MemoryOption {
	return func(m *Memory) {
		if now != nil {
			m.now = now
		}
	}
}

// WithSweepInterval sets how often the background sweeper removes expired
// entries (default one minute). Zero or a negative interval disables the
// sweeper; expired entries are then still invisible and are removed when
// a read finds them, and by [Memory.Sweep].
func WithSweepInterval(d time.Duration) MemoryOption {
	return func(m *Memory) { m.sweepEvery = d }
}

type subjectKey struct{ issuer, subject string }

type subjectEntry struct {
	cutoff  int64 // Unix milliseconds
	expires int64 // Unix nanoseconds, or forever
}

type usedEntry struct {
	usedAt    time.Time
	expires   int64 // Unix nanoseconds, or forever
	successor string
}

// Memory is an in-process [Store], [Consumer], [SuccessorConsumer] and
// [SessionStore]:
// revocations live in maps guarded by one read/write mutex, so they are
// lost when the process exits and are not shared between processes. Use it for single-instance
// deployments and tests.
//
// Expired entries are invisible at once; they are deleted when a read finds
// them and by a background sweeper that [Memory.Close] stops. A lookup that
// finds nothing takes a read lock and does not allocate.
type Memory struct {
	now        func() time.Time
	sweepEvery time.Duration

	mu       sync.RWMutex
	tokens   map[string]int64 // jti → expiry
	families map[string]int64 // family → expiry
	subjects map[subjectKey]subjectEntry
	used     map[string]usedEntry
	sessions map[subjectKey]map[string]*Session // see memory_session.go

	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

var (
	_ Store             = (*Memory)(nil)
	_ Consumer          = (*Memory)(nil)
	_ SuccessorConsumer = (*Memory)(nil)
	_ Closer            = (*Memory)(nil)
)

// NewMemory returns an empty in-memory store and starts its sweeper.
// Call [Memory.Close] to stop the sweeper.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{
		now:        time.Now,
		sweepEvery: time.Minute,
		tokens:     make(map[string]int64),
		families:   make(map[string]int64),
		subjects:   make(map[subjectKey]subjectEntry),
		used:       make(map[string]usedEntry),
		sessions:   make(map[subjectKey]map[string]*Session),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	for _, o := range opts {
		o(m)
	}
	if m.sweepEvery > 0 {
		go m.sweeper()
	} else {
		close(m.done)
	}
	return m
}

// expiryNanos converts an expiry to its internal form.
func expiryNanos(t time.Time) int64 {
	if t.IsZero() {
		return forever
	}
	return t.UnixNano()
}

// RevokeToken revokes the token with the given jti until expires. Revoking
// again never shortens a live entry's expiry.
func (m *Memory) RevokeToken(ctx context.Context, jti string, expires time.Time) error {
	return m.revokeID(ctx, m.tokens, jti, expires)
}

// RevokeFamily revokes every token of the family until expires. Revoking
// again never shortens a live entry's expiry.
func (m *Memory) RevokeFamily(ctx context.Context, family string, expires time.Time) error {
	return m.revokeID(ctx, m.families, family, expires)
}

func (m *Memory) revokeID(ctx context.Context, tab map[string]int64, id string, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if id == "" {
		return errEmptyID
	}
	exp := expiryNanos(expires)
	m.mu.Lock()
	if old, ok := tab[id]; !ok || old < exp {
		tab[id] = exp
	}
	m.mu.Unlock()
	return nil
}

// RevokeSubject revokes every token of (issuer, subject) issued at or before
// cutoff, truncated to the millisecond. A live entry's cutoff is never lowered
// and its expiry never shortened; an expired entry is replaced.
func (m *Memory) RevokeSubject(ctx context.Context, issuer, subject string, cutoff, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := subjectEntry{cutoff: cutoff.UnixMilli(), expires: expiryNanos(expires)}
	k := subjectKey{issuer, subject}
	now := m.now().UnixNano()
	m.mu.Lock()
	if old, ok := m.subjects[k]; ok && old.expires > now {
		e.cutoff = max(e.cutoff, old.cutoff)
		e.expires = max(e.expires, old.expires)
	}
	m.subjects[k] = e
	m.mu.Unlock()
	return nil
}

// IsRevoked reports whether q's jti, family or subject cutoff is revoked.
func (m *Memory) IsRevoked(ctx context.Context, q Query) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	// The clock is read only when an entry is found: most tokens checked
	// are not revoked, and a clock read costs as much as the lookups.
	var now int64
	clock := func() int64 {
		if now == 0 {
			now = m.now().UnixNano()
		}
		return now
	}
	iat := int64(0)
	if !q.IssuedAt.IsZero() {
		iat = q.IssuedAt.UnixMilli()
	}
	var expiredTok, expiredFam, expiredSub bool
	revoked := false

	m.mu.RLock()
	if q.JTI != "" {
		if exp, ok := m.tokens[q.JTI]; ok {
			if exp > clock() {
				revoked = true
			} else {
				expiredTok = true
			}
		}
	}
	if !revoked && q.Family != "" {
		if exp, ok := m.families[q.Family]; ok {
			if exp > clock() {
				revoked = true
			} else {
				expiredFam = true
			}
		}
	}
	if !revoked {
		if e, ok := m.subjects[subjectKey{q.Issuer, q.Subject}]; ok {
			if e.expires > clock() {
				revoked = iat <= e.cutoff
			} else {
				expiredSub = true
			}
		}
	}
	m.mu.RUnlock()

	if expiredTok || expiredFam || expiredSub {
		m.mu.Lock()
		if expiredTok {
			deleteExpired(m.tokens, q.JTI, now)
		}
		if expiredFam {
			deleteExpired(m.families, q.Family, now)
		}
		if expiredSub {
			k := subjectKey{q.Issuer, q.Subject}
			if e, ok := m.subjects[k]; ok && e.expires <= now {
				delete(m.subjects, k)
			}
		}
		m.mu.Unlock()
	}
	return revoked, nil
}

func deleteExpired(tab map[string]int64, id string, now int64) {
	if exp, ok := tab[id]; ok && exp <= now {
		delete(tab, id)
	}
}

// Consume marks jti used until expires. The first caller gets
// (true, now); later callers, while the mark lives, get false and the
// first caller's time. Once the mark has expired the next call is first
// again, so a mark whose expiry is already past does not guarantee
// exactly-once use (the token it guards has expired anyway).
func (m *Memory) Consume(ctx context.Context, jti string, expires time.Time) (bool, time.Time, error) {
	first, usedAt, _, err := m.ConsumeWithSuccessor(ctx, jti, "", expires)
	return first, usedAt, err
}

// ConsumeWithSuccessor is [Memory.Consume] that also records successor
// with the mark; later callers, while the mark lives, get the successor
// the first caller recorded (see [SuccessorConsumer]).
func (m *Memory) ConsumeWithSuccessor(ctx context.Context, jti, successor string, expires time.Time) (bool, time.Time, string, error) {
	if err := ctx.Err(); err != nil {
		return false, time.Time{}, "", err
	}
	if jti == "" {
		return false, time.Time{}, "", errEmptyID
	}
	if len(successor) > MaxSuccessorLen {
		return false, time.Time{}, "", errLongSuccessor
	}
	nowT := m.now()
	now := nowT.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.used[jti]; ok && e.expires > now {
		return false, e.usedAt, e.successor, nil
	}
	m.used[jti] = usedEntry{usedAt: nowT, expires: expiryNanos(expires), successor: successor}
	return true, nowT, successor, nil
}

// Sweep deletes every expired entry now and reports how many it removed.
// The background sweeper calls it; tests and applications that disable the
// sweeper may call it themselves.
func (m *Memory) Sweep() int {
	now := m.now().UnixNano()
	n := 0
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, exp := range m.tokens {
		if exp <= now {
			delete(m.tokens, k)
			n++
		}
	}
	for k, exp := range m.families {
		if exp <= now {
			delete(m.families, k)
			n++
		}
	}
	for k, e := range m.subjects {
		if e.expires <= now {
			delete(m.subjects, k)
			n++
		}
	}
	for k, e := range m.used {
		if e.expires <= now {
			delete(m.used, k)
			n++
		}
	}
	return n + m.sweepSessionsLocked(now)
}

// Len reports how many entries (expired or not) the store holds.
func (m *Memory) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.tokens) + len(m.families) + len(m.subjects) + len(m.used) + m.sessionCountLocked()
}

func (m *Memory) sweeper() {
	defer close(m.done)
	t := time.NewTicker(m.sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.Sweep()
		}
	}
}

// Close stops the background sweeper and waits for it to exit. The store
// keeps answering afterwards; Close is safe to call more than once.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() { close(m.stop) })
	<-m.done
	return nil
}
