// Package sqlstore is a [revoke.Store], [revoke.Consumer],
// [revoke.SuccessorConsumer], [revoke.Feed] and [revoke.SessionStore] kept in a SQL
// database through database/sql: PostgreSQL, MySQL/MariaDB or SQLite,
// chosen with [Options.Dialect]. The store does not import a driver; the
// application opens the *sql.DB with the driver it likes (for instance
// pgx's stdlib, go-sql-driver/mysql, modernc.org/sqlite). (It imports
// pgx's core package, not its driver, to LISTEN on a connection of pgx's
// stdlib driver.)
//
// # Table layout
//
// Five tables, and the two of the change log (see "Change feed" below),
// each name starting with [Options.TablePrefix] (default "authjwt_"). All times are BIGINT Unix times chosen by the application's
// clock, never the database's, so no time zone or column type differs
// between dialects. An expiry of [revoke.Forever] is stored as the largest
// BIGINT (9223372036854775807).
//
//	<prefix>tokens    (id PRIMARY KEY, expires_at BIGINT)              revoked jtis; expiry in Unix ms
//	<prefix>families  (id PRIMARY KEY, expires_at BIGINT)              revoked families; expiry in Unix ms
//	<prefix>subjects  (issuer, subject, cutoff BIGINT, expires_at BIGINT,
//	                   PRIMARY KEY (issuer, subject))                  cutoff and expiry in Unix ms
//	<prefix>consumed  (id PRIMARY KEY, used_at BIGINT, expires_at BIGINT,
//	                   successor NOT NULL DEFAULT '')                  Consume marks; both Unix ms; the successor
//	                                                                   recorded by ConsumeWithSuccessor
//	<prefix>changes   (id BIGINT PRIMARY KEY, kind, a, b, cutoff,
//	                   expires_at, created_at)                         the change log: one row per Revoke* call
//	<prefix>feed      (k PRIMARY KEY, last BIGINT, trimmed BIGINT)     one row (k = 1): the last change id, and
//	                                                                   the highest id trimmed by age
//	<prefix>sessions  (issuer, subject, id, created_at, last_used_at,
//	                   expires_at, auth_time BIGINT, auth_method,
//	                   user_agent, client_ip, label,
//	                   PRIMARY KEY (issuer, subject, id))              one row per login (revoke.SessionStore); times in Unix ms
//
// Each table has an index on expires_at for [Store.DeleteExpired]. Id,
// issuer and subject columns are TEXT on PostgreSQL and SQLite and
// VARBINARY(512) on MySQL/MariaDB, so comparisons are byte-exact on every
// dialect (MySQL's default collations would ignore case and trailing
// spaces); ids, issuers and subjects longer than [MaxIDLen] bytes are
// rejected when revoking. [Store.CreateTables] creates the tables and
// indexes if they do not exist; applications that manage their schema
// themselves can take the statements from it. On a consumed table created
// by an earlier version it adds the successor column (ALTER TABLE ... ADD
// COLUMN, the same type as the id columns).
//
// Subject cutoffs have millisecond resolution, so that a login right after
// "log out everywhere" is not refused. Rows written by earlier versions
// hold the cutoff in Unix seconds; any cutoff below 10^11 (1973-03-03 in
// milliseconds) is read as seconds, standing for the last millisecond of
// its second (such a row refused the whole second), and is rewritten in
// milliseconds when the subject is revoked again. No migration is needed.
// During a rolling upgrade, an instance of an earlier version reads a new
// row's milliseconds as seconds far in the future and refuses every token
// of that subject until the row expires or the instance is upgraded: it
// never accepts a token the row revokes.
//
// # Queries
//
// IsRevoked is one SELECT of three EXISTS subqueries on primary keys.
// Revoking is one upsert, in a transaction with its change (see "Change
// feed"), that never shortens a live entry's expiry
// (GREATEST on PostgreSQL and MySQL, MAX on SQLite) and never lowers a live
// subject cutoff; an expired subject entry still in the table is replaced.
// Consume is INSERT ... ON CONFLICT DO NOTHING (INSERT IGNORE on MySQL,
// INSERT OR IGNORE on SQLite); a caller whose insert was ignored may take
// over an expired mark with a conditional UPDATE, and otherwise reads the
// first-use time; ConsumeWithSuccessor writes the successor in the same
// INSERT or UPDATE and reads it back with the first-use time. Each step is
// a single atomic statement, so exactly one
// caller wins however many race, across processes.
//
// Sessions are listed newest first by (created_at, id) through an index
// on (issuer, subject, created_at, id), id in byte order on every dialect
// (COLLATE "C" on PostgreSQL, whatever the database's collation). Every
// session query excludes, in the same statement, sessions whose family
// has a live row in the families table or whose subject has a live cutoff
// at or after their creation, so an ended session is never listed even
// before its row is deleted. CreateSession is an upsert, then a SELECT of
// the subject's hidden sessions and a DELETE of each by primary key (which
// locks only that row, where a range DELETE on MySQL would also lock the
// gaps concurrent logins of the subject insert into), then, with a cap, a
// SELECT of the others; each statement commits on its own.
//
// Expired rows are invisible to every query at once. [Store.DeleteExpired]
// removes them; [Options.CleanupInterval] runs it in the background until
// [Store.Close].
//
// # Change feed
//
// The store is a [revoke.Feed]: the change log a local replica of the
// revocation state reads (authjwt's Revocation.MaxStaleness). Each
// RevokeToken, RevokeFamily and RevokeSubject writes, in one transaction,
// its entry and a row of <prefix>changes holding the call's arguments
// (kind 1 token, 2 family, 3 subject; a is the id or the issuer, b the
// subject; cutoff and expires_at in Unix ms; created_at the application's
// clock). The row's id comes from the counter row of <prefix>feed
// (UPDATE ... SET last = last + 1): its row lock, held until the
// transaction ends, makes revoking transactions take ids and commit one
// after another, so a reader that sees id n has seen every id below it.
// (A sequence or AUTO_INCREMENT id would not: a transaction holding id 10
// can commit after 11 is visible, and a reader that moved past 11 would
// never see 10.) Revocations therefore serialise on that row; each holds
// it for two statements and its commit.
//
// [Store.Snapshot] reads the counter and every live entry in one
// read-only REPEATABLE READ transaction (SQLite: one read transaction);
// the counter's value is the snapshot's cursor. [Store.Changes] reads the
// live changes after a cursor, with the counter, in one statement per page
// of 5,000, to the end of the log; seen is the issue time of the last read.
// When a read finds nothing, Changes waits up to its wait argument and
// reads again: on PostgreSQL it wakes at once on a notification (each
// revoking transaction calls pg_notify on the channel "<prefix>changes",
// delivered at its commit, and the store LISTENs on a pool connection it
// keeps from its first Changes call until [Store.Close]); elsewhere, with
// a PostgreSQL driver other than pgx's stdlib (LISTEN needs the driver's
// own connection, which database/sql does not expose), and with a pool
// bounded below three connections, Changes polls: one read per wait, so
// replicas use a wait derived from their staleness bound. A notification only shortens a wait; freshness never
// rests on one.
//
// [Store.DeleteExpired] trims the log: changes whose expiry has passed
// (a replica would ignore them; no reader needs a snapshot), and changes
// older than [Options.FeedRetention] (default one hour), recording the
// highest id removed; Changes from a cursor below it returns an error
// wrapping [revoke.ErrFeedTrimmed], and the replica loads a snapshot. So
// does a cursor ahead of the log (tables recreated, a database restored
// from a backup). Run DeleteExpired ([Options.CleanupInterval]) more
// often than the retention, or the log grows until it runs.
//
// Only revocations made through a Store reach the log. Rows written by
// other means (the libre-fastapi-jwt service's SQL, an earlier version of
// this module) are in a snapshot but never in the changes: while any such
// writer revokes, do not turn a replica on.
//
// # Connection pool
//
// database/sql opens as many connections as there are concurrent queries
// and keeps two idle: under load it opens and closes a connection for most
// requests (a thousand PostgreSQL sessions and seventeen thousand MariaDB
// connections per 30,000 requests at concurrency 64 in one test), and
// several instances can exhaust the server's connection limit. [New]
// therefore bounds an unbounded pool to [DefaultMaxConns] connections, all
// kept idle, recycled after [DefaultConnMaxLifetime]; [Options.MaxConns]
// sets another bound, and a pool the application has bounded itself is
// left alone.
//
// Sizing: each check holds a connection for one round trip, so an instance
// needs about (checks per second) x (round-trip time) connections, plus
// headroom for bursts (32 covers 30,000 checks a second at 1 ms). Every
// instance may open its bound, so the sum over instances (plus other
// clients) must stay below the server's limit (PostgreSQL max_connections,
// default 100 with 3 reserved; MySQL/MariaDB max_connections, default
// 151). A request waiting for a connection waits within its context's
// deadline (the store timeout), so a pool that is too small shows as
// latency, then as 503s, never as unbounded connections.
//
// # SQLite
//
// SQLite allows one writer at a time. Open the database with a busy
// timeout (modernc.org/sqlite: "file:path?_pragma=busy_timeout(10000)"),
// and preferably WAL mode ("&_pragma=journal_mode(WAL)"), or concurrent
// writers fail with "database is locked".
package sqlstore
