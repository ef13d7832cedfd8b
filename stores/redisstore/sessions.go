package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/librenz/authjwt/revoke"
	"github.com/redis/go-redis/v9"
)

var _ revoke.SessionStore = (*Store)(nil)

// Sessions live in four keys per (issuer, subject), all under one hash tag
// so that a Lua script may touch them together on a Redis Cluster:
//
//	<prefix>{S<len(issuer)>:<issuer><subject>}c   sorted set, score 0: <created>< id>, ordered by ZRANGEBYLEX
//	<prefix>{S<len(issuer)>:<issuer><subject>}e   sorted set: id, score = expiry Unix ms (+inf: Forever)
//	<prefix>{S<len(issuer)>:<issuer><subject>}d   hash: id -> <created><metadata>
//	<prefix>{S<len(issuer)>:<issuer><subject>}u   hash: id -> last use, Unix ms
//
// <created> is the creation time in Unix ms plus 2^63, as 16 lower-case hex
// digits: byte order of "c" members is then newest-first order reversed,
// and a cursor is an exclusive lex bound. Whether a session is live also
// depends on its family entry (<prefix>f:<id>) and its subject's cutoff
// (<prefix>s:…), which hash to other slots: reads fetch them in the same
// pipeline as the session keys.
func (s *Store) sessionKeys(issuer, subject string) []string {
	var b strings.Builder
	b.Grow(len(s.prefix) + 4 + 20 + len(issuer) + len(subject))
	b.WriteString(s.prefix)
	b.WriteString("{S")
	b.WriteString(strconv.Itoa(len(issuer)))
	b.WriteByte(':')
	b.WriteString(issuer)
	b.WriteString(subject)
	b.WriteByte('}')
	base := b.String()
	return []string{base + "c", base + "e", base + "d", base + "u"}
}

// createdHex encodes a creation time for the "c" members.
func createdHex(ms int64) string {
	return fmt.Sprintf("%016x", uint64(ms)^(1<<63))
}

func parseCreatedHex(h string) (int64, bool) {
	u, err := strconv.ParseUint(h, 16, 64)
	return int64(u ^ (1 << 63)), err == nil && len(h) == 16
}

// expScore is a session expiry as an "e" score.
func expScore(t time.Time) string {
	if t.IsZero() {
		return "+inf"
	}
	return strconv.FormatInt(expiryMillis(t), 10)
}

// encodeSession is the "d" value: <created hex>, then the expiry (Unix ms,
// 0 for Forever), the auth time (Unix ms, empty when unknown) and the
// strings, each as <decimal length>:<bytes>.
func encodeSession(x revoke.Session) string {
	var b strings.Builder
	b.WriteString(createdHex(x.CreatedAt.UnixMilli()))
	field := func(v string) {
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	if x.Expires.IsZero() {
		field("0")
	} else {
		field(strconv.FormatInt(expiryMillis(x.Expires), 10))
	}
	if x.AuthTime.IsZero() {
		field("")
	} else {
		field(strconv.FormatInt(x.AuthTime.UnixMilli(), 10))
	}
	for _, v := range []string{x.AuthMethod, x.UserAgent, x.ClientIP, x.Label} {
		field(v)
	}
	return b.String()
}

func decodeSession(issuer, subject, id, v, used string) (revoke.Session, error) {
	bad := fmt.Errorf("redisstore: malformed session entry %q", id)
	if len(v) < 16 {
		return revoke.Session{}, bad
	}
	created, ok := parseCreatedHex(v[:16])
	if !ok {
		return revoke.Session{}, bad
	}
	rest := v[16:]
	var f [6]string
	for i := range f {
		n, after, found := strings.Cut(rest, ":")
		l, err := strconv.Atoi(n)
		if !found || err != nil || l < 0 || l > len(after) {
			return revoke.Session{}, bad
		}
		f[i], rest = after[:l], after[l:]
	}
	x := revoke.Session{
		ID: id, Issuer: issuer, Subject: subject,
		CreatedAt:  time.UnixMilli(created),
		AuthMethod: f[2], UserAgent: f[3], ClientIP: f[4], Label: f[5],
	}
	if exp, err := strconv.ParseInt(f[0], 10, 64); err != nil {
		return revoke.Session{}, bad
	} else if exp != 0 {
		x.Expires = time.UnixMilli(exp)
	}
	if f[1] != "" {
		at, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return revoke.Session{}, bad
		}
		x.AuthTime = time.UnixMilli(at)
	}
	x.LastUsedAt = x.CreatedAt
	if used != "" {
		ms, err := strconv.ParseInt(used, 10, 64)
		if err != nil {
			return revoke.Session{}, bad
		}
		x.LastUsedAt = time.UnixMilli(ms)
	}
	return x, nil
}

// sessionLua is shared by the session scripts (KEYS: c, e, d, u; ARGV[1]
// is now, Unix ms): drop removes one session, prune the expired ones,
// retime gives every key the time to live of the latest expiry (relative
// to the application's clock, as revocations do).
const sessionLua = `
local now = tonumber(ARGV[1])
local function drop(id)
  local v = redis.call('HGET', KEYS[3], id)
  if v then redis.call('ZREM', KEYS[1], string.sub(v, 1, 16) .. id) end
  redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('ZREM', KEYS[2], id)
end
local function prune()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do drop(id) end
end
local function retime()
  local top = redis.call('ZREVRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #top == 0 then return end
  local e = top[2]
  for i = 1, 4 do
    if e == 'inf' or e == '+inf' then
      redis.call('PERSIST', KEYS[i])
    else
      local ttl = tonumber(e) - now
      if ttl < 1 then ttl = 1 end
      redis.call('PEXPIRE', KEYS[i], ttl)
    end
  end
end
`

// createSessionSrc (run with EVAL in a pipeline): ARGV now, id, created hex, "d" value, last use,
// expiry score, with data ("1": return every member's entry). It prunes,
// replaces the session, and returns the subject's sessions newest first:
// member, then (with data) "d" value, last use.
const createSessionSrc = sessionLua + `
prune()
local id = ARGV[2]
drop(id)
redis.call('ZADD', KEYS[1], 0, ARGV[3] .. id)
redis.call('ZADD', KEYS[2], ARGV[6], id)
redis.call('HSET', KEYS[3], id, ARGV[4])
redis.call('HSET', KEYS[4], id, ARGV[5])
retime()
local out = {}
for _, m in ipairs(redis.call('ZREVRANGEBYLEX', KEYS[1], '+', '-')) do
  out[#out + 1] = m
  if ARGV[7] == '1' then
    local sid = string.sub(m, 17)
    out[#out + 1] = redis.call('HGET', KEYS[3], sid) or ''
    out[#out + 1] = redis.call('HGET', KEYS[4], sid) or ''
  end
end
return out
`

// deleteSessionsScript: ARGV now, then the ids to delete.
var deleteSessionsScript = redis.NewScript(sessionLua + `
for i = 2, #ARGV do drop(ARGV[i]) end
prune()
retime()
return 1
`)

// touchSessionScript: ARGV now, id, at: raises the last use of a stored,
// unexpired session.
var touchSessionScript = redis.NewScript(sessionLua + `
local e = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not e then return 0 end
if e ~= 'inf' and e ~= '+inf' and tonumber(e) <= now then return 0 end
local old = tonumber(redis.call('HGET', KEYS[4], ARGV[2]) or '')
if old and old >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
return 1
`)

// readSessionsSrc (run with EVAL in a pipeline): ARGV now, max and min lex bounds, count, and an id
// (then max, min and count are ignored). It returns, for the unexpired
// sessions among the count newest within the bounds (or that id): member,
// "d" value, last use; then the last member looked at ("" when none) and
// how many it looked at, so that a caller can go on from there.
const readSessionsSrc = `
local now = tonumber(ARGV[1])
local ms
if ARGV[5] ~= '' then
  local v = redis.call('HGET', KEYS[3], ARGV[5])
  ms = {}
  if v then ms[1] = string.sub(v, 1, 16) .. ARGV[5] end
else
  ms = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
end
local out = {}
for _, m in ipairs(ms) do
  local id = string.sub(m, 17)
  local e = redis.call('ZSCORE', KEYS[2], id)
  local v = redis.call('HGET', KEYS[3], id)
  if e and v and (e == 'inf' or e == '+inf' or tonumber(e) > now) then
    out[#out + 1] = m
    out[#out + 1] = v
    out[#out + 1] = redis.call('HGET', KEYS[4], id) or ''
  end
end
out[#out + 1] = ms[#ms] or ''
out[#out + 1] = #ms
return out
`

// sessionEntry is a session as a script returned it.
type sessionEntry struct{ member, data, used string }

func (e sessionEntry) id() string { return e.member[16:] }

// liveness holds what hides sessions of one subject besides expiry: the
// subject's cutoff and which families are revoked.
type liveness struct {
	cutoff int64 // Unix ms; math.MinInt64 for none
	ended  map[string]bool
}

func (l liveness) live(e sessionEntry) bool {
	created, _ := parseCreatedHex(e.member[:16])
	return created > l.cutoff && !l.ended[e.id()]
}

// subjectCutoff reads the result of a GET of the subject key.
func subjectCutoff(cmd *redis.StringCmd) (int64, error) {
	v, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return math.MinInt64, nil
	}
	if err != nil {
		return 0, err
	}
	c, ok := parseCutoff(v)
	if !ok {
		return 0, fmt.Errorf("redisstore: malformed subject entry %q", v)
	}
	return c, nil
}

// endedFamilies reports which of ids have a live family entry, in one
// pipelined round trip (one per node on a Cluster).
func (s *Store) endedFamilies(ctx context.Context, ids []string) (map[string]bool, error) {
	ended := map[string]bool{}
	if len(ids) == 0 {
		return ended, nil
	}
	pipe := s.client.Pipeline()
	cmds := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.Exists(ctx, s.familyKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	for i, c := range cmds {
		if c.Val() > 0 {
			ended[ids[i]] = true
		}
	}
	return ended, nil
}

func parseEntries(res []any, triples bool) ([]sessionEntry, error) {
	var out []sessionEntry
	step := 1
	if triples {
		step = 3
	}
	if len(res)%step != 0 {
		return nil, fmt.Errorf("redisstore: unexpected session reply of %d values", len(res))
	}
	for i := 0; i < len(res); i += step {
		var e sessionEntry
		var ok bool
		if e.member, ok = res[i].(string); !ok || len(e.member) <= 16 {
			return nil, fmt.Errorf("redisstore: unexpected session member %v", res[i])
		}
		if triples {
			e.data, _ = res[i+1].(string)
			e.used, _ = res[i+2].(string)
		}
		out = append(out, e)
	}
	return out, nil
}

// CreateSession records x, removes the subject's hidden sessions, and
// returns its live sessions beyond max, oldest first (see
// [revoke.SessionStore]). It takes two round trips (one per node
// involved, on a Cluster), a third when there are hidden sessions to
// remove.
func (s *Store) CreateSession(ctx context.Context, x revoke.Session, max int) ([]revoke.Session, error) {
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	keys := s.sessionKeys(x.Issuer, x.Subject)
	now := s.now().UnixMilli()
	withData := "0"
	if max > 0 {
		withData = "1"
	}
	var over []revoke.Session
	err := s.run(ctx, func(ctx context.Context) error {
		pipe := s.client.Pipeline()
		sub := pipe.Get(ctx, s.subjectKey(x.Issuer, x.Subject))
		created := pipe.Eval(ctx, createSessionSrc, keys,
			now, x.ID, createdHex(x.CreatedAt.UnixMilli()), encodeSession(x),
			x.LastUsedAt.UnixMilli(), expScore(x.Expires), withData)
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if err := created.Err(); err != nil {
			return err
		}
		cutoff, err := subjectCutoff(sub)
		if err != nil {
			return err
		}
		res, err := created.Slice()
		if err != nil {
			return err
		}
		entries, err := parseEntries(res, max > 0)
		if err != nil {
			return err
		}
		var others []string
		for _, e := range entries {
			if e.id() != x.ID {
				others = append(others, e.id())
			}
		}
		ended, err := s.endedFamilies(ctx, others)
		if err != nil {
			return err
		}
		l := liveness{cutoff: cutoff, ended: ended}
		hidden := []any{now}
		var live []sessionEntry
		for _, e := range entries {
			switch {
			case e.id() == x.ID:
			case !l.live(e):
				hidden = append(hidden, e.id())
			default:
				live = append(live, e)
			}
		}
		if len(hidden) > 1 {
			if err := deleteSessionsScript.Run(ctx, s.client, keys, hidden...).Err(); err != nil {
				return err
			}
		}
		if max > 0 && len(live) > max-1 {
			for i := len(live) - 1; i >= max-1; i-- {
				e := live[i]
				got, err := decodeSession(x.Issuer, x.Subject, e.id(), e.data, e.used)
				if err != nil {
					return err
				}
				over = append(over, got)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return over, nil
}

// TouchSession raises the last use of the stored, unexpired session id to
// at. (A session hidden by its family or its subject's cutoff may get the
// new time too; it stays hidden.)
func (s *Store) TouchSession(ctx context.Context, issuer, subject, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if id == "" {
		return nil
	}
	keys := s.sessionKeys(issuer, subject)
	now := s.now().UnixMilli()
	return s.run(ctx, func(ctx context.Context) error {
		return touchSessionScript.Run(ctx, s.client, keys, now, id, at.UnixMilli()).Err()
	})
}

// DeleteSession forgets the session id of (issuer, subject).
func (s *Store) DeleteSession(ctx context.Context, issuer, subject, id string) error {
	keys := s.sessionKeys(issuer, subject)
	now := s.now().UnixMilli()
	return s.run(ctx, func(ctx context.Context) error {
		return deleteSessionsScript.Run(ctx, s.client, keys, now, id).Err()
	})
}

// read runs readSessionsSrc with the subject's cutoff and the families
// of what it returns, and returns the live sessions in order and the last
// member looked at.
func (s *Store) read(ctx context.Context, issuer, subject string, args ...any) (out []revoke.Session, last string, scanned int64, cutoff int64, err error) {
	keys := s.sessionKeys(issuer, subject)
	err = s.run(ctx, func(ctx context.Context) error {
		pipe := s.client.Pipeline()
		sub := pipe.Get(ctx, s.subjectKey(issuer, subject))
		read := pipe.Eval(ctx, readSessionsSrc, keys, args...)
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		var err error
		if cutoff, err = subjectCutoff(sub); err != nil {
			return err
		}
		res, err := read.Slice()
		if err != nil {
			return err
		}
		if len(res) < 2 {
			return fmt.Errorf("redisstore: short session reply %v", res)
		}
		last, _ = res[len(res)-2].(string)
		scanned, _ = res[len(res)-1].(int64)
		entries, err := parseEntries(res[:len(res)-2], true)
		if err != nil {
			return err
		}
		ids := make([]string, len(entries))
		for i, e := range entries {
			ids[i] = e.id()
		}
		ended, err := s.endedFamilies(ctx, ids)
		if err != nil {
			return err
		}
		l := liveness{cutoff: cutoff, ended: ended}
		for _, e := range entries {
			if !l.live(e) {
				continue
			}
			x, err := decodeSession(issuer, subject, e.id(), e.data, e.used)
			if err != nil {
				return err
			}
			out = append(out, x)
		}
		return nil
	})
	return out, last, scanned, cutoff, err
}

// GetSession returns the live session id of (issuer, subject), or an
// error wrapping [revoke.ErrSessionNotFound].
func (s *Store) GetSession(ctx context.Context, issuer, subject, id string) (revoke.Session, error) {
	if err := ctx.Err(); err != nil {
		return revoke.Session{}, err
	}
	if id == "" || len(id) > revoke.MaxSessionIDLen {
		return revoke.Session{}, fmt.Errorf("redisstore: %w", revoke.ErrSessionNotFound)
	}
	got, _, _, _, err := s.read(ctx, issuer, subject, s.now().UnixMilli(), "+", "-", 1, id)
	if err != nil {
		return revoke.Session{}, err
	}
	if len(got) == 0 {
		return revoke.Session{}, fmt.Errorf("redisstore: %w", revoke.ErrSessionNotFound)
	}
	return got[0], nil
}

// ListSessions returns up to limit live sessions of (issuer, subject)
// after the cursor, newest first. Each round reads limit sessions of the
// subject's sorted set (with the subject's cutoff and their families in
// the same round trips) and goes on past hidden ones.
func (s *Store) ListSessions(ctx context.Context, issuer, subject string, after revoke.SessionCursor, limit int) ([]revoke.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := revoke.CheckSessionLimit(limit); err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	upper := "+"
	if !after.IsZero() {
		upper = "(" + createdHex(after.CreatedAt.UnixMilli()) + after.ID
	}
	lower := "-"
	var out []revoke.Session
	for {
		got, last, scanned, cutoff, err := s.read(ctx, issuer, subject, s.now().UnixMilli(), upper, lower, limit, "")
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if len(out) >= limit {
			return out[:limit], nil
		}
		if scanned < int64(limit) || last == "" {
			return out, nil
		}
		upper = "(" + last
		if cutoff != math.MinInt64 && cutoff < math.MaxInt64 {
			// Every session created at or before the cutoff is hidden.
			lower = "(" + createdHex(cutoff+1)
		}
	}
}
