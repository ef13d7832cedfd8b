package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// The change log (the [revoke.Feed] of a Store).
//
// Every Revoke* call writes, in the transaction of the revocation itself,
// one row of <prefix>changes whose id it takes from the one-row counter
// <prefix>feed (UPDATE ... SET last = last + 1). The counter's row lock is
// held until the transaction ends, so revoking transactions take their ids
// one after another and commit in id order: when a reader sees id n, every
// id below n has committed and is visible too. A sequence or an
// AUTO_INCREMENT column would not do: transaction A takes 10, B takes 11,
// B commits first, a reader polling "id > 9" moves its cursor past 11, and
// 10, committed later, is never delivered.
//
// The counter's row also holds trimmed, the highest id the age-based
// trimming has removed; a cursor below it may have lost live changes
// ([revoke.ErrFeedTrimmed]). Each read of the log reads the counter in the
// same statement (one snapshot), so it also knows last, the id of the
// newest committed change: after a complete read the cursor moves to
// last, past expired changes the read skipped.

// DefaultFeedRetention is how long the change log keeps a change when
// [Options.FeedRetention] is zero: a replica that has not read the log for
// longer loads a snapshot instead.
const DefaultFeedRetention = time.Hour

// feedPage is how many changes one read of the log returns at most.
const feedPage = 5000

// The kind column of <prefix>changes.
const (
	kindToken   = 1
	kindFamily  = 2
	kindSubject = 3
)

var _ revoke.Feed = (*Store)(nil)

var errNoFeedRow = errors.New("sqlstore: the change log's counter row is missing (run CreateTables)")

// change is one row of the change log: the arguments of a Revoke* call,
// as the store wrote them (times in Unix ms).
type change struct {
	kind    int
	a, b    string // id, or issuer and subject
	cutoff  int64
	expires int64
}

// feedQueries are the statements of the change log.
type feedQueries struct {
	create []string

	revoke [kindSubject + 1]string // PostgreSQL: the whole revocation in one statement, by kind
	bump   string                  // MySQL, SQLite: the counter
	insert string                  // MySQL, SQLite: the change row, after bump

	read string // args: after, now

	snapMeta    string
	snapTok     string
	snapFam     string
	snapSub     string
	delExpired  string // args: now
	trimLock    string
	trimYoung   string // args: created_at cutoff
	trimDelete  string // args: max id
	trimMark    string // args: max id
	channelName string
}

func (s *Store) buildFeedQueries(idType, intType, tail string) {
	p := s.prefix
	ch, fd := p+"changes", p+"feed"
	nn := " NOT NULL"
	var q feedQueries
	mysqlIdx := ""
	if s.dialect == MySQL {
		mysqlIdx = ", INDEX " + ch + "_exp (expires_at)"
	}
	q.channelName = p + "changes"
	q.create = []string{
		"CREATE TABLE IF NOT EXISTS " + ch + " (id " + intType + nn + " PRIMARY KEY, kind " + intType + nn +
			", a " + idType + nn + ", b " + idType + nn + ", cutoff " + intType + nn +
			", expires_at " + intType + nn + ", created_at " + intType + nn + mysqlIdx + ")" + s.feedTail(tail),
		"CREATE TABLE IF NOT EXISTS " + fd + " (k " + intType + nn + " PRIMARY KEY, last " + intType + nn +
			", trimmed " + intType + nn + ")" + tail,
	}
	switch s.dialect {
	case Postgres:
		q.create = append(q.create, "INSERT INTO "+fd+" (k, last, trimmed) VALUES (1, 0, 0) ON CONFLICT (k) DO NOTHING")
	case MySQL:
		q.create = append(q.create, "INSERT IGNORE INTO "+fd+" (k, last, trimmed) VALUES (1, 0, 0)")
	case SQLite:
		q.create = append(q.create, "INSERT OR IGNORE INTO "+fd+" (k, last, trimmed) VALUES (1, 0, 0)")
	}
	if s.dialect != MySQL {
		q.create = append(q.create, "CREATE INDEX IF NOT EXISTS "+ch+"_exp ON "+ch+" (expires_at)")
	}

	cols := " (id, kind, a, b, cutoff, expires_at, created_at) "
	switch s.dialect {
	case Postgres:
		// One statement, so one round trip: the upsert, then (joined
		// to its row, so the entry's row lock is taken first, as a
		// transaction of several statements would) the counter, whose
		// row lock orders the commits, the change row, and the
		// notification, which PostgreSQL delivers at the commit.
		for k := kindToken; k <= kindSubject; k++ {
			q.revoke[k] = s.rebind("WITH up AS (" + s.upserts[k] + " RETURNING 1 AS one)," +
				" s AS (UPDATE " + fd + " SET last = last + 1 FROM up WHERE k = 1 RETURNING last)," +
				" i AS (INSERT INTO " + ch + cols + "SELECT last, ?, ?, ?, ?, ?, ? FROM s RETURNING id)" +
				" SELECT id, pg_notify(?, id::text)::text FROM i")
		}
	case MySQL:
		q.bump = "UPDATE " + fd + " SET last = LAST_INSERT_ID(last + 1) WHERE k = 1"
		q.insert = "INSERT INTO " + ch + cols + "VALUES (LAST_INSERT_ID(), ?, ?, ?, ?, ?, ?)"
	case SQLite:
		q.bump = "UPDATE " + fd + " SET last = last + 1 WHERE k = 1 RETURNING last"
		q.insert = "INSERT INTO " + ch + cols + "VALUES (?, ?, ?, ?, ?, ?, ?)"
	}

	// The counter row (id -1) and a page of live changes, in one
	// statement so that both come from one snapshot.
	q.read = s.rebind("SELECT id, kind, a, b, cutoff, expires_at FROM (SELECT id, kind, a, b, cutoff, expires_at FROM " + ch +
		" WHERE id > ? AND expires_at > ? ORDER BY id LIMIT " + strconv.Itoa(feedPage) + ") c" +
		" UNION ALL SELECT -1, 0, '', '', trimmed, last FROM " + fd + " WHERE k = 1 ORDER BY 1")

	q.snapMeta = "SELECT last FROM " + fd + " WHERE k = 1"
	q.snapTok = s.rebind("SELECT id, expires_at FROM " + p + "tokens WHERE expires_at > ?")
	q.snapFam = s.rebind("SELECT id, expires_at FROM " + p + "families WHERE expires_at > ?")
	q.snapSub = s.rebind("SELECT issuer, subject, cutoff, expires_at FROM " + p + "subjects WHERE expires_at > ?")

	q.delExpired = s.rebind("DELETE FROM " + ch + " WHERE expires_at <= ?")
	// Trimming by age takes the counter's row lock first, as revoking
	// does, so the two never wait for each other in opposite orders.
	q.trimLock = "UPDATE " + fd + " SET trimmed = trimmed WHERE k = 1"
	q.trimYoung = s.rebind("SELECT id FROM " + ch + " WHERE created_at > ? ORDER BY id LIMIT 1")
	q.trimDelete = s.rebind("DELETE FROM " + ch + " WHERE id <= ?")
	q.trimMark = s.rebind("UPDATE " + fd + " SET trimmed = ? WHERE k = 1 AND trimmed < ?")
	s.feed = q
}

// feedTail is the table options of the change table: SQLite's rowid
// table (INTEGER PRIMARY KEY is the rowid), InnoDB on MySQL.
func (s *Store) feedTail(tail string) string {
	if s.dialect == SQLite {
		return ""
	}
	return tail
}

// createFeed creates the change log's tables, its index and the counter
// row.
func (s *Store) createFeed(ctx context.Context) error {
	for _, q := range s.feed.create {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlstore: creating the change log: %w", err)
		}
	}
	return nil
}

// revokeTx runs upsert and appends c to the change log in one
// transaction (on PostgreSQL, one statement).
func (s *Store) revokeTx(ctx context.Context, upsert string, c change, args ...any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.dialect == Postgres {
		return s.revokePostgres(ctx, c, args)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(ctx, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, upsert, args...); err != nil {
		return wrap(ctx, err)
	}
	if err := s.appendChange(ctx, tx, c); err != nil {
		return wrap(ctx, err)
	}
	if s.beforeCommit != nil {
		s.beforeCommit()
	}
	if err := tx.Commit(); err != nil {
		return wrap(ctx, err)
	}
	s.wake.wake()
	return nil
}

// revokePostgres runs the revocation's one statement, in a transaction of
// its own when a test delays the commit.
func (s *Store) revokePostgres(ctx context.Context, c change, args []any) error {
	args = append(args, c.kind, c.a, c.b, c.cutoff, c.expires, s.now().UnixMilli(), s.feed.channelName)
	var id int64
	var void string
	if s.beforeCommit == nil {
		err := s.db.QueryRowContext(ctx, s.feed.revoke[c.kind], args...).Scan(&id, &void)
		if errors.Is(err, sql.ErrNoRows) {
			err = errNoFeedRow
		}
		if err != nil {
			return wrap(ctx, err)
		}
		s.wake.wake()
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(ctx, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	err = tx.QueryRowContext(ctx, s.feed.revoke[c.kind], args...).Scan(&id, &void)
	if errors.Is(err, sql.ErrNoRows) {
		err = errNoFeedRow
	}
	if err != nil {
		return wrap(ctx, err)
	}
	s.beforeCommit()
	if err := tx.Commit(); err != nil {
		return wrap(ctx, err)
	}
	s.wake.wake()
	return nil
}

func (s *Store) appendChange(ctx context.Context, tx *sql.Tx, c change) error {
	now := s.now().UnixMilli()
	switch s.dialect {
	case MySQL:
		res, err := tx.ExecContext(ctx, s.feed.bump)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return errNoFeedRow
		}
		_, err = tx.ExecContext(ctx, s.feed.insert, c.kind, c.a, c.b, c.cutoff, c.expires, now)
		return err
	default:
		var id int64
		err := tx.QueryRowContext(ctx, s.feed.bump).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoFeedRow
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.feed.insert, id, c.kind, c.a, c.b, c.cutoff, c.expires, now)
		return err
	}
}

// Snapshot calls apply with every live entry and returns the cursor of
// the change log they reflect ([revoke.Feed]). It reads the counter and
// the three tables in one read-only transaction (REPEATABLE READ on
// PostgreSQL and MySQL, SQLite's read transaction), whose snapshot is
// taken by its first read, the counter's; seen is the local time just
// before that read was issued.
func (s *Store) Snapshot(ctx context.Context, apply func(revoke.Entry)) (revoke.Cursor, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return "", time.Time{}, err
	}
	var opts *sql.TxOptions
	if s.dialect != SQLite {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return "", time.Time{}, wrap(ctx, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	seen := time.Now()
	var last int64
	if err := tx.QueryRowContext(ctx, s.feed.snapMeta).Scan(&last); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", time.Time{}, errNoFeedRow
		}
		return "", time.Time{}, wrap(ctx, err)
	}
	now := s.now().UnixMilli()
	for _, q := range []struct {
		query string
		kind  revoke.EntryKind
	}{{s.feed.snapTok, revoke.EntryToken}, {s.feed.snapFam, revoke.EntryFamily}} {
		if err := scanIDs(ctx, tx, q.query, now, q.kind, apply); err != nil {
			return "", time.Time{}, err
		}
	}
	rows, err := tx.QueryContext(ctx, s.feed.snapSub, now)
	if err != nil {
		return "", time.Time{}, wrap(ctx, err)
	}
	defer rows.Close()
	var e revoke.Entry
	e.Kind = revoke.EntrySubject
	for rows.Next() {
		var cutoff, exp int64
		if err := rows.Scan(&e.Issuer, &e.Subject, &cutoff, &exp); err != nil {
			return "", time.Time{}, wrap(ctx, err)
		}
		e.Cutoff, e.Expires = time.UnixMilli(storedCutoffMillis(cutoff)), fromMillis(exp)
		apply(e)
	}
	if err := rows.Err(); err != nil {
		return "", time.Time{}, wrap(ctx, err)
	}
	if err := tx.Commit(); err != nil {
		return "", time.Time{}, wrap(ctx, err)
	}
	return formatCursor(last), seen, nil
}

func scanIDs(ctx context.Context, tx *sql.Tx, query string, now int64, kind revoke.EntryKind, apply func(revoke.Entry)) error {
	rows, err := tx.QueryContext(ctx, query, now)
	if err != nil {
		return wrap(ctx, err)
	}
	defer rows.Close()
	e := revoke.Entry{Kind: kind}
	for rows.Next() {
		var exp int64
		if err := rows.Scan(&e.ID, &exp); err != nil {
			return wrap(ctx, err)
		}
		e.Expires = fromMillis(exp)
		apply(e)
	}
	return wrap(ctx, rows.Err())
}

// Changes calls apply with every live change after the cursor after, in
// log order ([revoke.Feed]). It reads the log; when that read finds
// nothing it waits up to wait — on PostgreSQL for a notification (LISTEN
// on a connection of its own), elsewhere for a revocation through this
// Store value — and reads once more. A call that follows an empty read of
// the same cursor less than wait ago (the previous call's) waits out the
// rest of that wait first, so a reader calling in a loop reads the log
// once per wait, not twice. seen is the issue time of the last read. A
// cursor the age-based trimming has passed, or one ahead of the log
// (tables recreated, a database restored from a backup), gives an error
// wrapping [revoke.ErrFeedTrimmed].
func (s *Store) Changes(ctx context.Context, after revoke.Cursor, wait time.Duration, apply func(revoke.Entry)) (revoke.Cursor, time.Time, error) {
	cur, err := parseCursor(after)
	if err != nil {
		return after, time.Time{}, err
	}
	if s.dialect == Postgres {
		s.startListener()
	}
	if prev, ok := s.lastEmpty(cur); ok && wait > 0 && time.Since(prev.at) < wait {
		if !s.sleep(ctx, prev.woken, time.Until(prev.at.Add(wait))) {
			// That read's proof stands.
			return after, prev.at, nil
		}
		return s.readAndNote(ctx, cur, apply)
	}
	woken := s.wake.channel()
	next, seen, n, err := s.readChanges(ctx, cur, apply)
	if err != nil || n > 0 || wait <= 0 {
		s.noteEmpty(next, seen, woken, err == nil && n == 0)
		return formatCursor(next), seen, err
	}
	if !s.sleep(ctx, woken, wait) {
		return formatCursor(next), seen, nil // the first read's proof stands
	}
	c, seen2, err := s.readAndNote(ctx, next, apply)
	if err != nil {
		return c, seen, err
	}
	return c, seen2, nil
}

// readAndNote reads the log after cur and notes an empty read.
func (s *Store) readAndNote(ctx context.Context, cur int64, apply func(revoke.Entry)) (revoke.Cursor, time.Time, error) {
	woken := s.wake.channel()
	next, seen, n, err := s.readChanges(ctx, cur, apply)
	s.noteEmpty(next, seen, woken, err == nil && n == 0)
	return formatCursor(next), seen, err
}

// sleep waits d, or until woken is closed; false when ctx ended first.
func (s *Store) sleep(ctx context.Context, woken <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-woken:
	case <-t.C:
	case <-ctx.Done():
		return false
	}
	return true
}

// emptyRead is the latest read of the log that found nothing: after
// which cursor, issued when, and the wake channel taken before it.
type emptyRead struct {
	cursor int64
	at     time.Time
	woken  <-chan struct{}
}

func (s *Store) lastEmpty(cur int64) (emptyRead, bool) {
	s.emptyMu.Lock()
	defer s.emptyMu.Unlock()
	e := s.empty
	return e, e.woken != nil && e.cursor == cur
}

func (s *Store) noteEmpty(cur int64, at time.Time, woken <-chan struct{}, empty bool) {
	s.emptyMu.Lock()
	defer s.emptyMu.Unlock()
	if empty {
		s.empty = emptyRead{cursor: cur, at: at, woken: woken}
	} else {
		s.empty = emptyRead{}
	}
}

// readChanges reads the log after cur to its end, page by page, and
// returns the new cursor, the issue time of the last read and how many
// changes it applied.
func (s *Store) readChanges(ctx context.Context, cur int64, apply func(revoke.Entry)) (int64, time.Time, int, error) {
	applied := 0
	for {
		if err := ctx.Err(); err != nil {
			return cur, time.Time{}, applied, err
		}
		seen := time.Now()
		rows, err := s.db.QueryContext(ctx, s.feed.read, cur, s.now().UnixMilli())
		if err != nil {
			return cur, time.Time{}, applied, wrap(ctx, err)
		}
		page, last, err := s.readPage(ctx, rows, cur, apply)
		applied += page.n
		if err != nil {
			return cur, time.Time{}, applied, err
		}
		if page.n < feedPage {
			// Complete: every id up to last has committed and was
			// visible to this read, so the expired ones it skipped
			// need never be read again.
			return max(page.next, last), seen, applied, nil
		}
		cur = page.next
	}
}

type pageResult struct {
	n    int
	next int64
}

func (s *Store) readPage(ctx context.Context, rows *sql.Rows, cur int64, apply func(revoke.Entry)) (pageResult, int64, error) {
	defer rows.Close()
	res := pageResult{next: cur}
	meta := false
	var last int64
	for rows.Next() {
		var id, kind, cutoff, exp int64
		var a, b string
		if err := rows.Scan(&id, &kind, &a, &b, &cutoff, &exp); err != nil {
			return res, 0, wrap(ctx, err)
		}
		if id == -1 {
			// The counter row sorts first: cutoff is trimmed, exp last.
			meta, last = true, exp
			if cutoff > cur {
				return res, 0, fmt.Errorf("sqlstore: change log trimmed to %d, past the cursor %d: %w", cutoff, cur, revoke.ErrFeedTrimmed)
			}
			if last < cur {
				return res, 0, fmt.Errorf("sqlstore: cursor %d is ahead of the change log (%d): tables recreated or restored: %w", cur, last, revoke.ErrFeedTrimmed)
			}
			continue
		}
		if !meta {
			return res, 0, errNoFeedRow
		}
		apply(changeEntry(kind, a, b, cutoff, exp))
		res.n++
		res.next = id
	}
	if err := rows.Err(); err != nil {
		return res, 0, wrap(ctx, err)
	}
	if !meta {
		return res, 0, errNoFeedRow
	}
	return res, last, nil
}

func changeEntry(kind int64, a, b string, cutoff, exp int64) revoke.Entry {
	switch kind {
	case kindToken:
		return revoke.Entry{Kind: revoke.EntryToken, ID: a, Expires: fromMillis(exp)}
	case kindFamily:
		return revoke.Entry{Kind: revoke.EntryFamily, ID: a, Expires: fromMillis(exp)}
	}
	return revoke.Entry{Kind: revoke.EntrySubject, Issuer: a, Subject: b, Cutoff: time.UnixMilli(cutoff), Expires: fromMillis(exp)}
}

// storedCutoffMillis reads a subjects.cutoff value: Unix ms, or Unix
// seconds written by an earlier version, standing for its second's last
// millisecond.
func storedCutoffMillis(c int64) int64 {
	if c < milliCutoffs {
		return c*1000 + 999
	}
	return c
}

func fromMillis(ms int64) time.Time {
	if ms == forever {
		return revoke.Forever
	}
	return time.UnixMilli(ms)
}

func formatCursor(id int64) revoke.Cursor { return revoke.Cursor(strconv.FormatInt(id, 10)) }

func parseCursor(c revoke.Cursor) (int64, error) {
	n, err := strconv.ParseInt(string(c), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("sqlstore: cursor %q is not one of this store's: %w", string(c), revoke.ErrFeedTrimmed)
	}
	return n, nil
}

// trimFeed deletes the changes that have expired, and those older than
// the retention, raising the trimmed mark past them.
func (s *Store) trimFeed(ctx context.Context, now int64) (int64, error) {
	res, err := s.exec(ctx, s.feed.delExpired, now)
	if err != nil {
		return 0, err
	}
	total, _ := res.RowsAffected()
	if s.retention <= 0 {
		return total, nil
	}
	n, err := s.trimOld(ctx, now-s.retention.Milliseconds())
	return total + n, err
}

func (s *Store) trimOld(ctx context.Context, before int64) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrap(ctx, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, s.feed.trimLock); err != nil {
		return 0, wrap(ctx, err)
	}
	var young int64
	err = tx.QueryRowContext(ctx, s.feed.trimYoung, before).Scan(&young)
	var upTo int64
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if err := tx.QueryRowContext(ctx, s.feed.snapMeta).Scan(&upTo); err != nil {
			return 0, wrap(ctx, err)
		}
	case err != nil:
		return 0, wrap(ctx, err)
	default:
		upTo = young - 1
	}
	res, err := tx.ExecContext(ctx, s.feed.trimDelete, upTo)
	if err != nil {
		return 0, wrap(ctx, err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		// Nothing removed: the mark stays where it is, and no reader
		// has to load a snapshot.
		return 0, wrap(ctx, tx.Commit())
	}
	if _, err := tx.ExecContext(ctx, s.feed.trimMark, upTo, upTo); err != nil {
		return 0, wrap(ctx, err)
	}
	return n, wrap(ctx, tx.Commit())
}

// waker lets a reader waiting in Changes know that a change may have
// been committed.
type waker struct {
	mu sync.Mutex
	ch chan struct{}
}

// channel returns a channel closed at the next wake.
func (w *waker) channel() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

func (w *waker) wake() {
	w.mu.Lock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
	w.mu.Unlock()
}
