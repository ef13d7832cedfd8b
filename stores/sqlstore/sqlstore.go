package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// Dialect selects the SQL flavour: placeholders, column types and upsert
// syntax.
type Dialect int

const (
	// Postgres is PostgreSQL (9.5 or later): $n placeholders,
	// INSERT ... ON CONFLICT, GREATEST.
	Postgres Dialect = iota + 1
	// MySQL is MySQL or MariaDB: ? placeholders, INSERT IGNORE,
	// ON DUPLICATE KEY UPDATE, GREATEST.
	MySQL
	// SQLite is SQLite (3.24 or later): ? placeholders,
	// INSERT ... ON CONFLICT, MAX.
	SQLite
)

// MariaDB is an alias of [MySQL].
const MariaDB = MySQL

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case SQLite:
		return "sqlite"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// DefaultTablePrefix is the table name prefix used when
// [Options.TablePrefix] is empty.
const DefaultTablePrefix = "authjwt_"

// MaxIDLen is the longest jti, family, issuer or subject, in bytes, that
// the store accepts when revoking or consuming.
const MaxIDLen = 512

// forever is how an expiry of [revoke.Forever] is stored.
const forever = math.MaxInt64

// milliCutoffs is the smallest subject cutoff stored, in Unix milliseconds
// (1973-03-03): smaller values in the cutoff column are Unix seconds,
// written before cutoffs had milliseconds. Earlier cutoffs are raised to
// it, which can only refuse more tokens (issued before 1973).
const milliCutoffs = 100_000_000_000

// Options configures a [Store].
type Options struct {
	// Dialect is the database's SQL flavour; required.
	Dialect Dialect
	// TablePrefix starts every table and index name; default
	// [DefaultTablePrefix]. Letters, digits and underscores only, at most
	// 40 bytes, not starting with a digit.
	TablePrefix string
	// CleanupInterval, when positive, makes the store call
	// [Store.DeleteExpired] that often in a goroutine until [Store.Close].
	// The goroutine starts in New: create the tables before its first run.
	CleanupInterval time.Duration
	// OnCleanupError, if set, receives errors of the background cleanup.
	OnCleanupError func(error)
	// Now is the clock for expiry checks and first-use times; default
	// [time.Now].
	Now func() time.Time

	// FeedRetention is how long the change log ([Store.Changes]) keeps a
	// change that has not expired: [Store.DeleteExpired] removes older
	// ones, and a replica whose cursor they pass loads a snapshot
	// instead. Default [DefaultFeedRetention]; negative: changes leave
	// the log only when they expire.
	FeedRetention time.Duration
	// OnFeedError, if set, receives errors of the PostgreSQL listener
	// (see [Store.Listening]); it retries on its own, and changes still
	// arrive, at the pace of the readers' waits.
	OnFeedError func(error)

	// MaxConns bounds the connection pool of the *sql.DB (its
	// SetMaxOpenConns), and keeps as many connections idle
	// (SetMaxIdleConns), so that a steady load reuses its connections
	// instead of opening and closing one per request. Zero: when the
	// pool is unbounded, as database/sql leaves it, New bounds it to
	// [DefaultMaxConns]; a pool the caller has bounded is left alone.
	// Negative: New never touches the pool. See the package
	// documentation for sizing it.
	MaxConns int
	// ConnMaxIdleTime closes a connection idle that long; default
	// [DefaultConnMaxIdleTime], negative: never. Applied with MaxConns.
	ConnMaxIdleTime time.Duration
	// ConnMaxLifetime closes a connection that old once it is idle, so
	// that connections move to a new server after a failover or a DNS
	// change; default [DefaultConnMaxLifetime], negative: never. Applied
	// with MaxConns.
	ConnMaxLifetime time.Duration
}

// Pool defaults applied by [New] (see [Options.MaxConns]).
const (
	// DefaultMaxConns is the pool bound New gives an unbounded *sql.DB:
	// enough for tens of thousands of checks a second at a millisecond
	// each, and few enough that three instances stay under PostgreSQL's
	// default max_connections (100).
	DefaultMaxConns = 32
	// DefaultConnMaxIdleTime closes connections left idle after a burst.
	DefaultConnMaxIdleTime = 5 * time.Minute
	// DefaultConnMaxLifetime recycles every connection that often.
	DefaultConnMaxLifetime = 30 * time.Minute
)

// configurePool applies opts' pool settings to db as [Options.MaxConns]
// says.
func configurePool(db *sql.DB, opts Options) {
	n := opts.MaxConns
	switch {
	case n < 0:
		return
	case n == 0:
		// database/sql's default is unbounded (MaxOpenConnections 0);
		// a caller who set a bound chose it.
		if db.Stats().MaxOpenConnections != 0 {
			return
		}
		n = DefaultMaxConns
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(orDefault(opts.ConnMaxIdleTime, DefaultConnMaxIdleTime))
	db.SetConnMaxLifetime(orDefault(opts.ConnMaxLifetime, DefaultConnMaxLifetime))
}

// orDefault returns d, def when d is zero, and 0 (no limit for
// database/sql) when d is negative.
func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d == 0:
		return def
	}
	return d
}

// Store is a SQL-backed [revoke.Store], [revoke.Consumer] and
// [revoke.SuccessorConsumer]. It does not own the *sql.DB; Close stops
// only its cleanup goroutine. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect Dialect
	prefix  string
	now     func() time.Time
	onErr   func(error)

	create        []string
	qIsRevoked    string
	qRevokeToken  string
	qRevokeFamily string
	qRevokeSub    string
	qConsumeIns   string
	qConsumeTake  string
	qConsumeRead  string
	qHasSucc      string
	qAddSucc      string
	qDelete       []string
	upserts       [kindSubject + 1]string // Postgres, SQLite: the Revoke* upserts with ? placeholders

	feed         feedQueries
	retention    time.Duration
	onFeedErr    func(error)
	wake         waker
	beforeCommit func() // tests: between the change row and the commit
	listenOnce   sync.Once
	listenWG     sync.WaitGroup
	listening    atomic.Bool
	listenIdle   time.Duration
	qSess        sessionQueries
	emptyMu      sync.Mutex
	empty        emptyRead // the latest empty read of the change log

	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

var (
	_ revoke.Store             = (*Store)(nil)
	_ revoke.Consumer          = (*Store)(nil)
	_ revoke.SuccessorConsumer = (*Store)(nil)
	_ revoke.Closer            = (*Store)(nil)
	_ revoke.Feed              = (*Store)(nil)
)

var (
	errEmptyID = errors.New("sqlstore: empty id")
	errTooLong = fmt.Errorf("sqlstore: id longer than %d bytes", MaxIDLen)

	errLongSuccessor = fmt.Errorf("sqlstore: successor longer than %d bytes", revoke.MaxSuccessorLen)
)

func validPrefix(p string) bool {
	if p == "" || len(p) > 40 || p[0] >= '0' && p[0] <= '9' {
		return false
	}
	for _, c := range []byte(p) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// New returns a store using db. It does not touch the database: call
// [Store.CreateTables] to create the tables. It sizes db's connection pool
// as [Options.MaxConns] says (by default, an unbounded pool is bounded to
// [DefaultMaxConns]). If opts.CleanupInterval is positive it starts the
// cleanup goroutine; call [Store.Close] to stop it.
func New(db *sql.DB, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil *sql.DB")
	}
	p := opts.TablePrefix
	if p == "" {
		p = DefaultTablePrefix
	}
	if !validPrefix(p) {
		return nil, fmt.Errorf("sqlstore: invalid table prefix %q", p)
	}
	s := &Store{
		db:      db,
		dialect: opts.Dialect,
		prefix:  p,
		now:     opts.Now,
		onErr:   opts.OnCleanupError,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),

		retention:  opts.FeedRetention,
		onFeedErr:  opts.OnFeedError,
		listenIdle: listenIdle,
	}
	if s.retention == 0 {
		s.retention = DefaultFeedRetention
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.buildQueries(); err != nil {
		return nil, err
	}
	configurePool(db, opts)
	if opts.CleanupInterval > 0 {
		go s.cleaner(opts.CleanupInterval)
	} else {
		close(s.done)
	}
	return s, nil
}

// TablePrefix returns the table name prefix in use.
func (s *Store) TablePrefix() string { return s.prefix }

// Tables returns the names of the store's tables.
func (s *Store) Tables() []string {
	p := s.prefix
	return []string{p + "tokens", p + "families", p + "subjects", p + "consumed", p + "changes", p + "feed", p + "sessions"}
}

// rebind turns ? placeholders into $1, $2, ... for PostgreSQL.
func (s *Store) rebind(q string) string {
	if s.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range []byte(q) {
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (s *Store) buildQueries() error {
	p := s.prefix
	tok, fam, sub, con := p+"tokens", p+"families", p+"subjects", p+"consumed"

	var idType, intType, greatest, tail string
	switch s.dialect {
	case Postgres:
		idType, intType, greatest = "TEXT", "BIGINT", "GREATEST"
	case MySQL:
		idType, intType, greatest, tail = "VARBINARY(512)", "BIGINT", "GREATEST", " ENGINE=InnoDB"
	case SQLite:
		idType, intType, greatest, tail = "TEXT", "INTEGER", "MAX", " WITHOUT ROWID"
	default:
		return fmt.Errorf("sqlstore: unknown dialect %v", s.dialect)
	}
	nn := " NOT NULL"
	succCol := "successor " + idType + nn + " DEFAULT ''"
	idx := func(table string) string {
		if s.dialect == MySQL {
			return ", INDEX " + table + "_exp (expires_at)"
		}
		return ""
	}
	s.create = []string{
		"CREATE TABLE IF NOT EXISTS " + tok + " (id " + idType + nn + " PRIMARY KEY, expires_at " + intType + nn + idx(tok) + ")" + tail,
		"CREATE TABLE IF NOT EXISTS " + fam + " (id " + idType + nn + " PRIMARY KEY, expires_at " + intType + nn + idx(fam) + ")" + tail,
		"CREATE TABLE IF NOT EXISTS " + sub + " (issuer " + idType + nn + ", subject " + idType + nn +
			", cutoff " + intType + nn + ", expires_at " + intType + nn + ", PRIMARY KEY (issuer, subject)" + idx(sub) + ")" + tail,
		"CREATE TABLE IF NOT EXISTS " + con + " (id " + idType + nn + " PRIMARY KEY, used_at " + intType + nn +
			", expires_at " + intType + nn + ", " + succCol + idx(con) + ")" + tail,
	}
	// Tables created before successors were recorded get the column.
	s.qHasSucc = "SELECT successor FROM " + con + " WHERE 1 = 0"
	s.qAddSucc = "ALTER TABLE " + con + " ADD COLUMN " + succCol
	if s.dialect != MySQL {
		for _, t := range []string{tok, fam, sub, con} {
			s.create = append(s.create, "CREATE INDEX IF NOT EXISTS "+t+"_exp ON "+t+" (expires_at)")
		}
	}

	cutoffMs := cutoffMsExpr

	// Arguments: jti, now, family, now, issuer, subject, iat (ms), now.
	s.qIsRevoked = s.rebind("SELECT EXISTS (SELECT 1 FROM " + tok + " WHERE id = ? AND expires_at > ?)" +
		" OR EXISTS (SELECT 1 FROM " + fam + " WHERE id = ? AND expires_at > ?)" +
		" OR EXISTS (SELECT 1 FROM " + sub + " WHERE issuer = ? AND subject = ? AND " + cutoffMs("cutoff") + " >= ? AND expires_at > ?)")

	// Revoke: arguments id, expires. Subject: issuer, subject, cutoff,
	// expires, now. On MySQL assignments run left to right, so cutoff is
	// computed from the old expires_at before that is updated.
	switch s.dialect {
	case Postgres, SQLite:
		ex := "EXCLUDED."
		upID := func(t string) string {
			return "INSERT INTO " + t + " (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET expires_at = " +
				greatest + "(" + t + ".expires_at, " + ex + "expires_at)"
		}
		upSub := "INSERT INTO " + sub + " (issuer, subject, cutoff, expires_at) VALUES (?, ?, ?, ?)" +
			" ON CONFLICT (issuer, subject) DO UPDATE SET" +
			" cutoff = CASE WHEN " + sub + ".expires_at > ? THEN " + greatest + "(" + cutoffMs(sub+".cutoff") + ", " + ex + "cutoff) ELSE " + ex + "cutoff END," +
			" expires_at = " + greatest + "(" + sub + ".expires_at, " + ex + "expires_at)"
		s.upserts = [...]string{kindToken: upID(tok), kindFamily: upID(fam), kindSubject: upSub}
		s.qRevokeToken, s.qRevokeFamily, s.qRevokeSub = s.rebind(upID(tok)), s.rebind(upID(fam)), s.rebind(upSub)
		s.qConsumeIns = s.rebind("INSERT INTO " + con + " (id, used_at, expires_at, successor) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
	case MySQL:
		upID := func(t string) string {
			return "INSERT INTO " + t + " (id, expires_at) VALUES (?, ?) ON DUPLICATE KEY UPDATE expires_at = GREATEST(expires_at, VALUES(expires_at))"
		}
		s.qRevokeToken, s.qRevokeFamily = upID(tok), upID(fam)
		s.qRevokeSub = "INSERT INTO " + sub + " (issuer, subject, cutoff, expires_at) VALUES (?, ?, ?, ?)" +
			" ON DUPLICATE KEY UPDATE" +
			" cutoff = IF(expires_at > ?, GREATEST(" + cutoffMs("cutoff") + ", VALUES(cutoff)), VALUES(cutoff))," +
			" expires_at = GREATEST(expires_at, VALUES(expires_at))"
		s.qConsumeIns = "INSERT IGNORE INTO " + con + " (id, used_at, expires_at, successor) VALUES (?, ?, ?, ?)"
	}
	// Arguments: used_at, expires, successor, id, now.
	s.qConsumeTake = s.rebind("UPDATE " + con + " SET used_at = ?, expires_at = ?, successor = ? WHERE id = ? AND expires_at <= ?")
	s.qConsumeRead = s.rebind("SELECT used_at, successor FROM " + con + " WHERE id = ? AND expires_at > ?")
	s.qDelete = nil
	for _, t := range []string{tok, fam, sub, con} {
		s.qDelete = append(s.qDelete, s.rebind("DELETE FROM "+t+" WHERE expires_at <= ?"))
	}
	s.buildFeedQueries(idType, intType, tail)
	s.buildSessionQueries(idType, intType, tail, idx)
	return nil
}

// cutoffMsExpr is the cutoff column col in Unix milliseconds. Cutoffs are
// Unix milliseconds; a row written before they were, in Unix seconds (any
// value below milliCutoffs), refused its whole second and stands for the
// second's last millisecond.
func cutoffMsExpr(col string) string {
	return "(CASE WHEN " + col + " < " + strconv.FormatInt(milliCutoffs, 10) + " THEN " + col + " * 1000 + 999 ELSE " + col + " END)"
}

// CreateTables creates the store's tables and indexes unless they exist,
// with the change log's (its counter row included), and adds the consumed
// table's successor column to a table created by an earlier version. It
// is idempotent.
func (s *Store) CreateTables(ctx context.Context) error {
	for _, q := range s.create {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlstore: creating tables: %w", err)
		}
	}
	if err := s.createFeed(ctx); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, s.qHasSucc); err == nil {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, s.qAddSucc); err != nil {
		// Another process may have added it meanwhile.
		if _, again := s.db.ExecContext(ctx, s.qHasSucc); again != nil {
			return fmt.Errorf("sqlstore: adding the successor column: %w", err)
		}
	}
	return nil
}

// expiryMillis encodes an expiry as Unix ms. A sub-millisecond remainder
// rounds up, never down: an entry may outlive its expiry by less than a
// millisecond, never end before it.
func expiryMillis(t time.Time) int64 {
	if t.IsZero() {
		return forever
	}
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) != 0 && t.Unix() >= 0 {
		ms++
	}
	return ms
}

func checkID(id string) error {
	if id == "" {
		return errEmptyID
	}
	if len(id) > MaxIDLen {
		return errTooLong
	}
	return nil
}

func wrap(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w (%w)", cerr, err)
	}
	return fmt.Errorf("sqlstore: %w: %w", revoke.ErrUnavailable, err)
}

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	return res, wrap(ctx, err)
}

// RevokeToken revokes the token with the given jti until expires, and
// appends the revocation to the change log in the same transaction.
func (s *Store) RevokeToken(ctx context.Context, jti string, expires time.Time) error {
	if err := checkID(jti); err != nil {
		return err
	}
	exp := expiryMillis(expires)
	return s.revokeTx(ctx, s.qRevokeToken, change{kind: kindToken, a: jti, expires: exp}, jti, exp)
}

// RevokeFamily revokes every token of the family until expires, and
// appends the revocation to the change log in the same transaction.
func (s *Store) RevokeFamily(ctx context.Context, family string, expires time.Time) error {
	if err := checkID(family); err != nil {
		return err
	}
	exp := expiryMillis(expires)
	return s.revokeTx(ctx, s.qRevokeFamily, change{kind: kindFamily, a: family, expires: exp}, family, exp)
}

// RevokeSubject revokes every token of (issuer, subject) issued at or before
// cutoff (truncated to the millisecond); a live cutoff is never lowered.
// The revocation is appended to the change log in the same transaction.
func (s *Store) RevokeSubject(ctx context.Context, issuer, subject string, cutoff, expires time.Time) error {
	if len(issuer) > MaxIDLen || len(subject) > MaxIDLen {
		return errTooLong
	}
	c := max(cutoff.UnixMilli(), milliCutoffs)
	exp := expiryMillis(expires)
	return s.revokeTx(ctx, s.qRevokeSub, change{kind: kindSubject, a: issuer, b: subject, cutoff: c, expires: exp},
		issuer, subject, c, exp, s.now().UnixMilli())
}

// IsRevoked reports, in one query, whether q is revoked by its jti, its
// family or its subject's cutoff.
func (s *Store) IsRevoked(ctx context.Context, q revoke.Query) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := s.now().UnixMilli()
	iat := int64(0)
	if !q.IssuedAt.IsZero() {
		iat = q.IssuedAt.UnixMilli()
	}
	var revoked bool
	err := s.db.QueryRowContext(ctx, s.qIsRevoked,
		q.JTI, now, q.Family, now, q.Issuer, q.Subject, iat, now).Scan(&revoked)
	if err != nil {
		return false, wrap(ctx, err)
	}
	return revoked, nil
}

// Consume marks jti used until expires. Exactly one caller gets
// first == true while the mark lives, across every process sharing the
// database; later callers get the first use time (millisecond resolution).
func (s *Store) Consume(ctx context.Context, jti string, expires time.Time) (bool, time.Time, error) {
	first, usedAt, _, err := s.consume(ctx, jti, "", expires)
	return first, usedAt, err
}

// ConsumeWithSuccessor is [Store.Consume] that stores successor in the
// mark's row, written by the same statement that makes the mark; later
// callers get the successor the first caller stored (see
// [revoke.SuccessorConsumer]).
func (s *Store) ConsumeWithSuccessor(ctx context.Context, jti, successor string, expires time.Time) (bool, time.Time, string, error) {
	if len(successor) > revoke.MaxSuccessorLen {
		return false, time.Time{}, "", errLongSuccessor
	}
	return s.consume(ctx, jti, successor, expires)
}

func (s *Store) consume(ctx context.Context, jti, successor string, expires time.Time) (bool, time.Time, string, error) {
	if err := checkID(jti); err != nil {
		return false, time.Time{}, "", err
	}
	exp := expiryMillis(expires)
	for range 3 {
		now := s.now().UnixMilli()
		res, err := s.exec(ctx, s.qConsumeIns, jti, now, exp, successor)
		if err != nil {
			return false, time.Time{}, "", err
		}
		if n, err := res.RowsAffected(); err != nil {
			return false, time.Time{}, "", wrap(ctx, err)
		} else if n == 1 {
			return true, time.UnixMilli(now), successor, nil
		}
		// The row exists: take it over if its mark has expired.
		res, err = s.exec(ctx, s.qConsumeTake, now, exp, successor, jti, now)
		if err != nil {
			return false, time.Time{}, "", err
		}
		if n, err := res.RowsAffected(); err != nil {
			return false, time.Time{}, "", wrap(ctx, err)
		} else if n == 1 {
			return true, time.UnixMilli(now), successor, nil
		}
		var usedAt int64
		var recorded string
		err = s.db.QueryRowContext(ctx, s.qConsumeRead, jti, now).Scan(&usedAt, &recorded)
		if err == nil {
			return false, time.UnixMilli(usedAt), recorded, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, time.Time{}, "", wrap(ctx, err)
		}
		// The mark expired (or was cleaned up) between the statements:
		// start over.
	}
	return false, time.Time{}, "", fmt.Errorf("sqlstore: Consume(%q) kept racing with expiry", jti)
}

// DeleteExpired deletes every expired row, and trims the change log
// (expired changes, and changes older than [Options.FeedRetention]); it
// reports how many rows it removed, the change log's included.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	now := s.now().UnixMilli()
	var total int64
	for _, q := range s.qDelete {
		res, err := s.exec(ctx, q, now)
		if err != nil {
			return total, err
		}
		if n, err := res.RowsAffected(); err == nil {
			total += n
		}
	}
	n, err := s.trimFeed(ctx, now)
	return total + n, err
}

func (s *Store) cleaner(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if _, err := s.DeleteExpired(ctx); err != nil && ctx.Err() == nil && s.onErr != nil {
				s.onErr(err)
			}
		}
	}
}

// Close stops the background cleanup and the PostgreSQL listener, if
// any, and waits for them to finish. It does not close the *sql.DB. Close
// is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.listenOnce.Do(func() {}) // no listener starts after Close
		close(s.stop)
	})
	<-s.done
	s.listenWG.Wait()
	return nil
}
