package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/librenz/authjwt/revoke"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix used when [Options.Prefix] is empty.
const DefaultPrefix = "authjwt:"

// Options configures a [Store].
type Options struct {
	// Prefix starts every key; default [DefaultPrefix]. Give each
	// application (or test) sharing a Redis its own prefix.
	Prefix string
	// Timeout, when positive, bounds every call in addition to its
	// context's deadline.
	Timeout time.Duration
	// Now is the clock used for first-use times recorded by Consume and
	// for the time to live of revocations; default [time.Now].
	Now func() time.Time
	// FeedRetention is how long the change log (the stream a replica
	// follows, see [Store.Changes]) keeps a change, on the Redis server's
	// clock; default [DefaultFeedRetention] (one hour). A replica cut off
	// for longer loads a snapshot when it is back. Every revocation is
	// logged, whether or not any instance runs a replica.
	FeedRetention time.Duration
}

// Store is a Redis-backed [revoke.Store], [revoke.Consumer],
// [revoke.SuccessorConsumer] and [revoke.SessionStore]. It does not own
// the client: closing the client is the caller's business. It is safe for
// concurrent use.
type Store struct {
	client   redis.UniversalClient
	prefix   string
	timeout  time.Duration
	now      func() time.Time
	ctxAware bool // the client applies context deadlines to socket I/O

	feedRetention time.Duration
}

var (
	_ revoke.Store             = (*Store)(nil)
	_ revoke.Consumer          = (*Store)(nil)
	_ revoke.SuccessorConsumer = (*Store)(nil)
)

// New returns a store that keeps its entries in client, which may be a
// single-node, Sentinel failover or Cluster client. See the package
// documentation for the key layout and for ContextTimeoutEnabled.
func New(client redis.UniversalClient, opts Options) *Store {
	s := &Store{
		client:  client,
		prefix:  opts.Prefix,
		timeout: opts.Timeout,
		now:     opts.Now,

		feedRetention: opts.FeedRetention,
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	switch c := client.(type) {
	case *redis.Client:
		s.ctxAware = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		s.ctxAware = c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		s.ctxAware = c.Options().ContextTimeoutEnabled
	}
	return s
}

// Prefix returns the key prefix in use.
func (s *Store) Prefix() string { return s.prefix }

func (s *Store) tokenKey(jti string) string     { return s.prefix + "t:" + jti }
func (s *Store) familyKey(family string) string { return s.prefix + "f:" + family }
func (s *Store) usedKey(jti string) string      { return s.prefix + "u:" + jti }
func (s *Store) subjectKey(issuer, subject string) string {
	var b strings.Builder
	b.Grow(len(s.prefix) + 2 + 20 + 1 + len(issuer) + len(subject))
	b.WriteString(s.prefix)
	b.WriteString("s:")
	b.WriteString(strconv.Itoa(len(issuer)))
	b.WriteByte(':')
	b.WriteString(issuer)
	b.WriteString(subject)
	return b.String()
}

// expiryMillis encodes an expiry for the scripts: Unix ms, 0 for Forever.
// A sub-millisecond remainder rounds up, never down: an entry may outlive
// its expiry by less than a millisecond, never end before it. A real
// expiry at or before the epoch becomes 1 ms (long past).
func expiryMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) != 0 && t.Unix() >= 0 {
		ms++
	}
	return max(ms, 1)
}

var (
	errEmptyID       = errors.New("redisstore: empty id")
	errLongSuccessor = fmt.Errorf("redisstore: successor longer than %d bytes", revoke.MaxSuccessorLen)
)

// run calls fn under the store's timeout, returning in time even when the
// client does not apply context deadlines itself.
func (s *Store) run(ctx context.Context, fn func(context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	if s.ctxAware || ctx.Done() == nil {
		return s.wrap(ctx, fn(ctx))
	}
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	select {
	case err := <-done:
		return s.wrap(ctx, err)
	case <-ctx.Done():
		return s.wrap(ctx, ctx.Err())
	}
}

func (s *Store) wrap(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w (%w)", cerr, err)
	}
	return fmt.Errorf("redisstore: %w: %w", revoke.ErrUnavailable, err)
}

// The revocation scripts give a key a time to live relative to the
// application's clock (ARGV "now", Unix ms) rather than an absolute
// PEXPIREAT: a Redis server whose clock runs ahead of the application's
// would otherwise forget entries early, while tokens are still accepted.
// Relative, the entry lives at least until its expiry on the application's
// clock (the call's latency only lengthens it).

// revokeIDScript stores an expiry (ARGV[1], Unix ms, 0 = forever) under
// KEYS[1] unless the key already lives at least as long; ARGV[2] is now.
var revokeIDScript = redis.NewScript(revokeIDLua)

const revokeIDLua = `
local new = tonumber(ARGV[1])
local old = redis.call('GET', KEYS[1])
if old then
  old = tonumber(old)
  if old and (old == 0 or (new ~= 0 and old >= new)) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
if new ~= 0 then redis.call('PEXPIRE', KEYS[1], new - tonumber(ARGV[2])) end
return 1
`

// revokeSubjectScript stores "m<cutoff ms>:<expiry ms>" under KEYS[1],
// keeping the larger cutoff and the later expiry of a live entry; ARGV[3]
// is now. An entry written before cutoffs had milliseconds,
// "<cutoff s>:<expiry ms>", refused every token of its cutoff's second:
// it is read as that second's last millisecond.
var revokeSubjectScript = redis.NewScript(revokeSubjectLua)

const revokeSubjectLua = `
local c = tonumber(ARGV[1])
local e = tonumber(ARGV[2])
local old = redis.call('GET', KEYS[1])
if old then
  local sep = string.find(old, ':', 1, true)
  if sep then
    local oc
    if string.sub(old, 1, 1) == 'm' then
      oc = tonumber(string.sub(old, 2, sep - 1))
    else
      oc = tonumber(string.sub(old, 1, sep - 1))
      if oc then oc = oc * 1000 + 999 end
    end
    local oe = tonumber(string.sub(old, sep + 1))
    if oc and oc > c then c = oc end
    if oe and (oe == 0 or (e ~= 0 and oe > e)) then e = oe end
  end
end
redis.call('SET', KEYS[1], string.format('m%d:%d', c, e))
if e ~= 0 then redis.call('PEXPIRE', KEYS[1], e - tonumber(ARGV[3])) end
return 1
`

// consumeScript sets KEYS[1] to ARGV[1] (the first-use time, then
// ":successor" when one is recorded) if absent, expiring at ARGV[2] (Unix
// ms, 0 = never). It returns {1, ARGV[1]} to the first caller and
// {0, stored value} to later ones.
var consumeScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  local e = tonumber(ARGV[2])
  if e ~= 0 then redis.call('PEXPIREAT', KEYS[1], e) end
  return {1, ARGV[1]}
end
return {0, redis.call('GET', KEYS[1])}
`)

// RevokeToken revokes the token with the given jti until expires.
func (s *Store) RevokeToken(ctx context.Context, jti string, expires time.Time) error {
	if jti == "" {
		return errEmptyID
	}
	return s.revokeID(ctx, s.tokenKey(jti), "t", jti, expires)
}

// RevokeFamily revokes every token of the family until expires.
func (s *Store) RevokeFamily(ctx context.Context, family string, expires time.Time) error {
	if family == "" {
		return errEmptyID
	}
	return s.revokeID(ctx, s.familyKey(family), "f", family, expires)
}

// revokeID writes key and logs the change (kind "t" or "f", id) to the
// feed.
func (s *Store) revokeID(ctx context.Context, key, kind, id string, expires time.Time) error {
	exp, now := expiryMillis(expires), s.now().UnixMilli()
	return s.logged(ctx, revokeIDLogScript, revokeIDScript, key, []any{exp, now}, "k", kind, "i", id, "e", exp)
}

// RevokeSubject revokes every token of (issuer, subject) issued at or before
// cutoff (truncated to the millisecond); a stored cutoff is never lowered.
func (s *Store) RevokeSubject(ctx context.Context, issuer, subject string, cutoff, expires time.Time) error {
	key := s.subjectKey(issuer, subject)
	c, exp, now := cutoff.UnixMilli(), expiryMillis(expires), s.now().UnixMilli()
	return s.logged(ctx, revokeSubjectLogScript, revokeSubjectScript, key, []any{c, exp, now}, "k", "s", "i", issuer, "u", subject, "c", c, "e", exp)
}

// IsRevoked reports whether q is revoked by its jti, its family or its
// subject's cutoff, in one pipelined round trip.
func (s *Store) IsRevoked(ctx context.Context, q revoke.Query) (bool, error) {
	var (
		tok, fam *redis.IntCmd
		sub      *redis.StringCmd
	)
	subKey := s.subjectKey(q.Issuer, q.Subject)
	err := s.run(ctx, func(ctx context.Context) error {
		pipe := s.client.Pipeline()
		if q.JTI != "" {
			tok = pipe.Exists(ctx, s.tokenKey(q.JTI))
		}
		if q.Family != "" {
			fam = pipe.Exists(ctx, s.familyKey(q.Family))
		}
		sub = pipe.Get(ctx, subKey)
		_, err := pipe.Exec(ctx)
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		// Exec reports only the first failed command; check each.
		if tok != nil && tok.Err() != nil {
			return tok.Err()
		}
		if fam != nil && fam.Err() != nil {
			return fam.Err()
		}
		if err := sub.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if tok != nil && tok.Val() > 0 || fam != nil && fam.Val() > 0 {
		return true, nil
	}
	v, err := sub.Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	cutoff, ok := parseCutoff(v)
	if !ok {
		return false, fmt.Errorf("redisstore: malformed subject entry %q", v)
	}
	iat := int64(0)
	if !q.IssuedAt.IsZero() {
		iat = q.IssuedAt.UnixMilli()
	}
	return iat <= cutoff, nil
}

// parseCutoff returns the cutoff of a subject entry in Unix milliseconds:
// "m<ms>:…", or "<s>:…" as written before cutoffs had milliseconds, which
// refused the whole second and so stands for its last millisecond.
func parseCutoff(v string) (int64, bool) {
	i := strings.IndexByte(v, ':')
	if i < 0 {
		return 0, false
	}
	if strings.HasPrefix(v, "m") {
		c, err := strconv.ParseInt(v[1:i], 10, 64)
		return c, err == nil
	}
	c, err := strconv.ParseInt(v[:i], 10, 64)
	return c*1000 + 999, err == nil
}

// Consume marks jti used until expires, atomically across every process
// sharing the Redis: exactly one caller gets first == true. usedAt has
// millisecond resolution; the first caller gets the same value it stored.
func (s *Store) Consume(ctx context.Context, jti string, expires time.Time) (bool, time.Time, error) {
	first, usedAt, _, err := s.consume(ctx, jti, "", expires)
	return first, usedAt, err
}

// ConsumeWithSuccessor is [Store.Consume] that stores successor in the
// same key, in the same atomic step; later callers get the successor the
// first caller stored (see [revoke.SuccessorConsumer]).
func (s *Store) ConsumeWithSuccessor(ctx context.Context, jti, successor string, expires time.Time) (bool, time.Time, string, error) {
	if len(successor) > revoke.MaxSuccessorLen {
		return false, time.Time{}, "", errLongSuccessor
	}
	return s.consume(ctx, jti, successor, expires)
}

func (s *Store) consume(ctx context.Context, jti, successor string, expires time.Time) (bool, time.Time, string, error) {
	if jti == "" {
		return false, time.Time{}, "", errEmptyID
	}
	key := s.usedKey(jti)
	value := strconv.FormatInt(s.now().UnixMilli(), 10)
	if successor != "" {
		value += ":" + successor
	}
	exp := expiryMillis(expires)
	var res []any
	err := s.run(ctx, func(ctx context.Context) error {
		var err error
		res, err = consumeScript.Run(ctx, s.client, []string{key}, value, exp).Slice()
		return err
	})
	if err != nil {
		return false, time.Time{}, "", err
	}
	if len(res) != 2 {
		return false, time.Time{}, "", fmt.Errorf("redisstore: unexpected Consume reply %v", res)
	}
	first, _ := res[0].(int64)
	str, _ := res[1].(string)
	used, recorded, _ := strings.Cut(str, ":")
	ms, perr := strconv.ParseInt(used, 10, 64)
	if perr != nil {
		return false, time.Time{}, "", fmt.Errorf("redisstore: malformed first-use time %q", str)
	}
	return first == 1, time.UnixMilli(ms), recorded, nil
}
