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

var _ revoke.Feed = (*Store)(nil)

// The change feed ([revoke.Feed], for authjwt's Revocation.MaxStaleness;
// see the package doc's "Change feed"). The stream's entries carry the
// Revoke* call's arguments:
//
//	k  "t" (token), "f" (family) or "s" (subject)
//	i  the jti or family id; the issuer of a subject entry
//	u  the subject of a subject entry
//	c  the subject's cutoff, Unix ms
//	e  the expiry, Unix ms ("0" = Forever)
//
// Why one stream and not one per slot on a Cluster: per-slot streams would
// make each append atomic with its key, at the cost of a replica following
// 16,384 streams; one stream for the rare writes keeps the reads one
// XREAD, and appending first keeps the log a superset of the keys.

// DefaultFeedRetention is how long the change log is kept when
// [Options.FeedRetention] is zero: a replica cut off for longer reloads a
// snapshot.
const DefaultFeedRetention = time.Hour

// feedOverlap is how far before the stream's end a snapshot's cursor is
// put (at most a quarter of the retention), so that its changes replay
// what a Cluster's two-step write (append, then the key) may have left out
// of the keys the snapshot scanned.
const feedOverlap = time.Minute

// feedBatch is the COUNT of one stream read, feedScanBatch the SCAN hint
// of a snapshot.
const (
	feedBatch     = 1000
	feedScanBatch = 5000
)

func (s *Store) feedKey() string { return s.prefix + "{feed}log" }

// trimLua trims the stream KEYS[2] to the entries from minid on (a local
// of the script, Unix ms of the server's clock) and records in KEYS[3] the
// largest id it removed: trimming removes the oldest entries, so a reader
// whose cursor is at or after that id has lost nothing.
const trimLua = `
local gone = redis.call('XREVRANGE', KEYS[2], '(' .. minid .. '-0', '-', 'COUNT', 1)
if #gone > 0 then
  redis.call('XTRIM', KEYS[2], 'MINID', minid)
  redis.call('SET', KEYS[3], gone[1][1])
end
`

// appendLua returns Lua that appends the change ARGV[off+2..] to the
// stream KEYS[2], then trims it to ARGV[off+1] ms of the server's clock;
// off is the number of arguments of the script it precedes. Scripts
// calling TIME before a write need effects replication, the default since
// Redis 7 and asked for on earlier versions.
func appendLua(off int) string {
	return fmt.Sprintf(`
if redis.replicate_commands then redis.replicate_commands() end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, %d))
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minid = nowms - tonumber(ARGV[%d])
if minid > 0 then
%s
end
`, off+2, off+1, trimLua)
}

// appendScript is the append alone, the first step of a Cluster's write
// (KEYS[1] is the stream too, so that the layout is shared).
var appendScript = redis.NewScript(appendLua(0) + `return 1`)

// trimScript trims the stream KEYS[2] (KEYS[1] too) to ARGV[1], Unix ms.
var trimScript = redis.NewScript(`local minid = tonumber(ARGV[1])` + trimLua + `return 1`)

// trimFeed trims the log as appending does, to the entries from minid on.
func (s *Store) trimFeed(ctx context.Context, minid time.Time) error {
	return s.run(ctx, func(ctx context.Context) error {
		return trimScript.Run(ctx, s.client, s.feedKeys(s.feedKey()), minid.UnixMilli()).Err()
	})
}

// Single-node and Sentinel writes: the append and the key in one script.
var (
	revokeIDLogScript      = redis.NewScript(appendLua(2) + revokeIDLua)
	revokeSubjectLogScript = redis.NewScript(appendLua(3) + revokeSubjectLua)
)

// feedKeys returns the keys of a logging script: first, then the stream
// and its trim mark.
func (s *Store) feedKeys(first string) []string {
	return []string{first, s.feedKey(), s.prefix + "{feed}trim"}
}

// atomicLog reports whether a revocation key and the stream can be written
// by one script: a client of one node (single or Sentinel failover).
func (s *Store) atomicLog() bool {
	_, ok := s.client.(*redis.Client)
	return ok
}

func (s *Store) retention() time.Duration {
	if s.feedRetention <= 0 {
		return DefaultFeedRetention
	}
	return s.feedRetention
}

// overlap is how far before the stream's end a snapshot's cursor goes:
// feedOverlap, or a quarter of a shorter retention.
func (s *Store) overlap() time.Duration { return min(feedOverlap, s.retention()/4) }

// logged runs a revocation: script with its key and args on one node, or
// the append then script elsewhere. change is the stream entry's
// field/value list.
func (s *Store) logged(ctx context.Context, logScript, script *redis.Script, key string, args []any, change ...any) error {
	feed := s.feedKey()
	tail := append([]any{max(int64(s.retention()/time.Millisecond), 1)}, change...)
	return s.run(ctx, func(ctx context.Context) error {
		if s.atomicLog() {
			return logScript.Run(ctx, s.client, s.feedKeys(key), append(append([]any(nil), args...), tail...)...).Err()
		}
		if err := appendScript.Run(ctx, s.client, s.feedKeys(feed), tail...).Err(); err != nil {
			return err
		}
		return script.Run(ctx, s.client, []string{key}, args...).Err()
	})
}

// Snapshot applies every live revocation key (t:, f:, s: of the prefix,
// on every master of a Cluster) and returns a cursor feedOverlap before
// the stream's end as it was before the scan began.
func (s *Store) Snapshot(ctx context.Context, apply func(revoke.Entry)) (revoke.Cursor, time.Time, error) {
	seen := time.Now()
	var cursor revoke.Cursor
	err := s.run(ctx, func(ctx context.Context) error {
		last, mark, err := s.lastID(ctx)
		if err != nil {
			return err
		}
		// Before the trim mark, entries are gone: the keys hold them.
		cursor = overlapCursor(last, s.overlap())
		if mark != "" && cmpStreamID(mark, string(cursor)) > 0 {
			cursor = revoke.Cursor(mark)
		}
		return s.scan(ctx, apply)
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return cursor, seen, nil
}

// lastID returns the stream's last generated id ("0-0" when there is no
// stream yet) and its trim mark ("" when never trimmed), read together.
func (s *Store) lastID(ctx context.Context) (last, mark string, err error) {
	last, mark, err = s.feedState(ctx)
	if errors.Is(err, errNoStream) {
		return "0-0", mark, nil
	}
	return last, mark, err
}

var errNoStream = errors.New("redisstore: no change log stream")

// feedState reads the stream's last generated id and its trim mark in one
// pipeline (one slot); errNoStream when there is no stream.
func (s *Store) feedState(ctx context.Context) (last, mark string, err error) {
	pipe := s.client.Pipeline()
	m := pipe.Get(ctx, s.prefix+"{feed}trim")
	info := pipe.XInfoStream(ctx, s.feedKey())
	_, _ = pipe.Exec(ctx)
	mark, err = m.Result()
	switch {
	case errors.Is(err, redis.Nil):
		mark = ""
	case err != nil:
		return "", "", err
	}
	in, err := info.Result()
	if isNoSuchKey(err) {
		return "", mark, errNoStream
	}
	if err != nil {
		return "", "", err
	}
	return in.LastGeneratedID, mark, nil
}

func isNoSuchKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such key")
}

// overlapCursor returns the id d before the stream id last.
func overlapCursor(last string, d time.Duration) revoke.Cursor {
	ms, _, ok := parseStreamID(last)
	back := int64(d / time.Millisecond)
	if !ok || ms <= back {
		return "0-0"
	}
	return revoke.Cursor(strconv.FormatInt(ms-back, 10) + "-0")
}

// scan applies every revocation key of the store's prefix.
func (s *Store) scan(ctx context.Context, apply func(revoke.Entry)) error {
	var nodes []redis.UniversalClient
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		var mu = make(chan struct{}, 1)
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			mu <- struct{}{}
			nodes = append(nodes, c)
			<-mu
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		nodes = []redis.UniversalClient{s.client}
	}
	match := globEscape(s.prefix) + "[tfs]:*"
	for _, n := range nodes {
		if err := s.scanNode(ctx, n, match, apply); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) scanNode(ctx context.Context, c redis.UniversalClient, match string, apply func(revoke.Entry)) error {
	// A Cluster node refuses a multi-key command across slots: there,
	// one GET per key in a pipeline; elsewhere one MGET per batch.
	_, cluster := s.client.(*redis.ClusterClient)
	// One goroutine reads batches while this one applies the previous:
	// the round trips overlap the work in memory.
	type batch struct {
		keys   []string
		values []any
		err    error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 2)
	go func() {
		defer close(batches)
		var cur uint64
		for {
			keys, next, err := c.Scan(ctx, cur, match, feedScanBatch).Result()
			var values []any
			if err == nil && len(keys) > 0 {
				values, err = getAll(ctx, c, keys, cluster)
			}
			select {
			case batches <- batch{keys, values, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || next == 0 {
				return
			}
			cur = next
		}
	}()
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		for i, k := range b.keys {
			v, ok := b.values[i].(string)
			if !ok {
				continue // expired since the SCAN
			}
			if e, ok := s.keyEntry(k, v); ok {
				apply(e)
			}
		}
	}
	return ctx.Err()
}

// getAll returns the values of keys (nil for a missing key).
func getAll(ctx context.Context, c redis.UniversalClient, keys []string, cluster bool) ([]any, error) {
	if !cluster {
		return c.MGet(ctx, keys...).Result()
	}
	pipe := c.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Get(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make([]any, len(keys))
	for i, cmd := range cmds {
		v, err := cmd.Result()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return nil, err
		default:
			out[i] = v
		}
	}
	return out, nil
}

// keyEntry reads a revocation key and its value as an entry. A value it
// cannot read keeps the entry forever: the safe side.
func (s *Store) keyEntry(key, v string) (revoke.Entry, bool) {
	rest := key[len(s.prefix):]
	if len(rest) < 2 || rest[1] != ':' {
		return revoke.Entry{}, false
	}
	switch rest[0] {
	case 't', 'f':
		kind := revoke.EntryToken
		if rest[0] == 'f' {
			kind = revoke.EntryFamily
		}
		ms, _ := strconv.ParseInt(v, 10, 64)
		return revoke.Entry{Kind: kind, ID: rest[2:], Expires: msTime(ms)}, rest[2:] != ""
	case 's':
		// s:<len(issuer)>:<issuer><subject>
		body := rest[2:]
		i := strings.IndexByte(body, ':')
		if i < 0 {
			return revoke.Entry{}, false
		}
		n, err := strconv.Atoi(body[:i])
		if err != nil || n < 0 || n > len(body)-i-1 {
			return revoke.Entry{}, false
		}
		issuer, subject := body[i+1:i+1+n], body[i+1+n:]
		cutoff, ok := parseCutoff(v)
		if !ok {
			return revoke.Entry{}, false
		}
		var ms int64
		if j := strings.IndexByte(v, ':'); j >= 0 {
			ms, _ = strconv.ParseInt(v[j+1:], 10, 64)
		}
		return revoke.Entry{Kind: revoke.EntrySubject, Issuer: issuer, Subject: subject, Cutoff: time.UnixMilli(cutoff), Expires: msTime(ms)}, true
	}
	return revoke.Entry{}, false
}

// msTime is an expiry of the layout: Unix ms, 0 (or unreadable) for
// Forever.
func msTime(ms int64) time.Time {
	if ms <= 0 {
		return revoke.Forever
	}
	return time.UnixMilli(ms)
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Changes reads the stream after the cursor: one XREAD BLOCK for up to
// wait, then non-blocking reads until a read returns less than a batch,
// then the trim mark and XINFO STREAM, which say whether entries after the cursor were
// trimmed (the trim mark) or the stream went back (XINFO STREAM's
// last-generated-id). seen is the issue time of the last XREAD.
func (s *Store) Changes(ctx context.Context, after revoke.Cursor, wait time.Duration, apply func(revoke.Entry)) (revoke.Cursor, time.Time, error) {
	if _, _, ok := parseStreamID(string(after)); !ok {
		return "", time.Time{}, fmt.Errorf("redisstore: not a cursor of this store: %q", after)
	}
	if err := ctx.Err(); err != nil {
		return "", time.Time{}, err
	}
	cur := string(after)
	var seen time.Time
	block := wait
	if block < time.Millisecond {
		block = -1 // no BLOCK: one read
	}
	for {
		seen = time.Now()
		var msgs []redis.XMessage
		err := s.runBlocking(ctx, block, func(ctx context.Context) error {
			res, err := s.client.XRead(ctx, &redis.XReadArgs{Streams: []string{s.feedKey(), cur}, Count: feedBatch, Block: block}).Result()
			if errors.Is(err, redis.Nil) {
				return nil
			}
			if err != nil {
				return err
			}
			for _, st := range res {
				msgs = append(msgs, st.Messages...)
			}
			return nil
		})
		if err != nil {
			return "", time.Time{}, err
		}
		for _, m := range msgs {
			if e, ok := streamEntry(m.Values); ok {
				apply(e)
			}
			cur = m.ID
		}
		if len(msgs) < feedBatch {
			break
		}
		block = -1 // drain without waiting
	}
	// Trimmed past the cursor, or gone back?
	var last, mark string
	err := s.run(ctx, func(ctx context.Context) error {
		var err error
		last, mark, err = s.feedState(ctx)
		if errors.Is(err, errNoStream) {
			last, err = "", nil
		}
		return err
	})
	if err != nil {
		return "", time.Time{}, err
	}
	switch {
	case mark != "" && cmpStreamID(mark, string(after)) > 0:
		return "", time.Time{}, fmt.Errorf("redisstore: the change log was trimmed up to %s, past %s: %w", mark, after, revoke.ErrFeedTrimmed)
	case last == "" && cmpStreamID(string(after), "0-0") > 0:
		return "", time.Time{}, fmt.Errorf("redisstore: the change log is gone: %w", revoke.ErrFeedTrimmed)
	case last != "" && cmpStreamID(last, cur) < 0:
		return "", time.Time{}, fmt.Errorf("redisstore: the change log went back to %s, before %s (failover or restart): %w", last, cur, revoke.ErrFeedTrimmed)
	}
	return revoke.Cursor(cur), seen, nil
}

// runBlocking is run for a command that blocks up to block: the store's
// Timeout, if any, is added to it.
func (s *Store) runBlocking(ctx context.Context, block time.Duration, fn func(context.Context) error) error {
	if s.timeout > 0 && block > 0 {
		saved := s.timeout
		t := *s
		t.timeout = saved + block
		return t.run(ctx, fn)
	}
	return s.run(ctx, fn)
}

// streamEntry reads one stream entry's fields.
func streamEntry(v map[string]any) (revoke.Entry, bool) {
	str := func(k string) string { x, _ := v[k].(string); return x }
	ms := func(k string) int64 { n, _ := strconv.ParseInt(str(k), 10, 64); return n }
	switch str("k") {
	case "t":
		return revoke.Entry{Kind: revoke.EntryToken, ID: str("i"), Expires: msTime(ms("e"))}, str("i") != ""
	case "f":
		return revoke.Entry{Kind: revoke.EntryFamily, ID: str("i"), Expires: msTime(ms("e"))}, str("i") != ""
	case "s":
		return revoke.Entry{Kind: revoke.EntrySubject, Issuer: str("i"), Subject: str("u"), Cutoff: time.UnixMilli(ms("c")), Expires: msTime(ms("e"))}, true
	}
	return revoke.Entry{}, false
}

// parseStreamID splits a stream id "ms-seq".
func parseStreamID(id string) (ms, seq int64, ok bool) {
	a, b, found := strings.Cut(id, "-")
	if !found {
		return 0, 0, false
	}
	ms, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.ParseInt(b, 10, 64)
	return ms, seq, err1 == nil && err2 == nil && ms >= 0 && seq >= 0
}

// cmpStreamID compares two stream ids; an unreadable one sorts first.
func cmpStreamID(a, b string) int {
	am, as, _ := parseStreamID(a)
	bm, bs, _ := parseStreamID(b)
	switch {
	case am != bm:
		if am < bm {
			return -1
		}
		return 1
	case as != bs:
		if as < bs {
			return -1
		}
		return 1
	}
	return 0
}
