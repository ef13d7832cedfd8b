// Package sqlstore is a [revoke.Store], [revoke.Consumer] and
// [revoke.SuccessorConsumer] kept in a SQL
// database through database/sql: PostgreSQL, MySQL/MariaDB or SQLite,
// chosen with [Options.Dialect]. The store does not import a driver; the
// application opens the *sql.DB with the driver it likes (for instance
// pgx's stdlib, go-sql-driver/mysql, modernc.org/sqlite).
//
// # Table layout
//
// Four tables, each name starting with [Options.TablePrefix] (default
// "authjwt_"). All times are BIGINT Unix times chosen by the application's
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
// Revoking is one upsert that never shortens a live entry's expiry
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
// Expired rows are invisible to every query at once. [Store.DeleteExpired]
// removes them; [Options.CleanupInterval] runs it in the background until
// [Store.Close].
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
