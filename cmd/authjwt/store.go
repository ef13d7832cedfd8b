package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver (no cgo)

	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// storeStartupTimeout bounds connecting to the revocation store at
// start-up (ping, and creating the tables of a SQL store): an unreachable
// store is a configuration error within this time, not a hang.
const storeStartupTimeout = 5 * time.Second

// sqlCleanupInterval is how often a SQL store deletes expired rows in the
// background (expired rows are ignored by every query before that).
const sqlCleanupInterval = 15 * time.Minute

// sqliteBusyTimeoutMS is how long a SQLite writer waits for the lock.
const sqliteBusyTimeoutMS = 10000

// URL query parameters the command reads itself (and removes before
// handing the URL to the driver).
const (
	// redisPrefixParam is the Redis key prefix (redisstore.Options.Prefix).
	redisPrefixParam = "prefix"
	// tablePrefixParam is the SQL table prefix (sqlstore.Options.TablePrefix).
	tablePrefixParam = "table_prefix"
	// maxConnsParam bounds the store's connection pool, on every scheme
	// but memory:// (sqlstore.Options.MaxConns; go-redis PoolSize and
	// MaxActiveConns).
	maxConnsParam = "max_conns"
)

// maxConnsLimit is the largest ?max_conns= accepted: beyond it, a typo
// rather than a choice (no database server accepts that many).
const maxConnsLimit = 10000

// takeMaxConns removes ?max_conns= from u and returns its value, 0 when
// absent.
func takeMaxConns(u *url.URL) (int, error) {
	given := u.Query().Has(maxConnsParam)
	v, err := takeParam(u, maxConnsParam)
	if err != nil || !given {
		return 0, err
	}
	return parseMaxConns(v)
}

// parseMaxConns reads a ?max_conns= value.
func parseMaxConns(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxConnsLimit {
		return 0, fmt.Errorf("?%s=%s: want a whole number of connections from 1 to %d", maxConnsParam, v, maxConnsLimit)
	}
	return n, nil
}

// storeSchemes is the list of schemes for error messages.
const storeSchemes = "memory://, redis://, rediss://, redis-cluster://, redis-sentinel://, postgres://, postgresql://, mysql:// or sqlite://"

// openedStore is a revocation store opened by [openStore] with whatever
// it holds (a client, a *sql.DB).
type openedStore struct {
	// Store is the revocation store.
	Store revoke.Store
	// Display names the store for the start-up line, without password.
	Display string
	// close releases the store and its connections; nil when there is
	// nothing to release.
	close func() error
}

// Close releases the store and its connections. It is safe on a nil
// *openedStore and safe to call more than once.
func (o *openedStore) Close() error {
	if o == nil || o.close == nil {
		return nil
	}
	c := o.close
	o.close = nil
	return c()
}

// openStore opens the revocation store named by a AUTHJWT_DENYLIST_URL
// value and checks that it can be reached, within storeStartupTimeout:
//
//	memory://                                 in-process (revoke.NewMemory); lost on restart, not shared
//	redis://[USER:PASS@]HOST:PORT/DB          Redis (go-redis ParseURL options allowed), rediss:// for TLS;
//	                                          ?prefix=P sets the key prefix (default "authjwt:")
//	redis-cluster://[USER:PASS@]HOST:PORT,…   Redis Cluster from any seed nodes (go-redis ParseClusterURL options)
//	redis-sentinel://[USER:PASS@]HOST:PORT,…/MASTER_NAME/DB
//	                                          the master a Sentinel set names (ParseFailoverURL options;
//	                                          ?sentinel_password= for the Sentinels); rediss-… for TLS
//	postgres://USER:PASS@HOST:PORT/DB?…       PostgreSQL through pgx (postgresql:// too; libpq URL options)
//	mysql://USER:PASS@HOST:PORT/DB?…          MySQL/MariaDB (go-sql-driver DSN options; parseTime=true)
//	sqlite://PATH                             SQLite file (modernc.org/sqlite), WAL and a busy timeout;
//	                                          sqlite:///abs/path.db or sqlite://relative/path.db
//
// SQL URLs take ?table_prefix=P (default "authjwt_"; letters, digits and
// "_"); the tables are created if they do not exist. Every URL but
// memory:// takes ?max_conns=N, the bound of its connection pool (default
// 32: sqlstore.DefaultMaxConns, redisDefaultMaxConns per Redis node). logger receives the
// SQL store's background cleanup errors. Errors never contain the URL's
// password. The caller closes the result.
func openStore(rawURL string, logger *slog.Logger) (*openedStore, error) {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fmt.Errorf("%q is not a store URL (use %s)", redactURL(rawURL), storeSchemes)
	}
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeStartupTimeout)
	defer cancel()
	switch strings.ToLower(scheme) {
	case "memory":
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, fmt.Errorf("not a URL: %v", err)
		}
		if (u.Host != "" && u.Host != "memory") || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("%q: memory:// takes no host, path or options", redactURL(rawURL))
		}
		m := revoke.NewMemory()
		return &openedStore{Store: m, Display: "memory://", close: m.Close}, nil
	case "redis", "rediss", "redis-cluster", "rediss-cluster", "redis-sentinel", "rediss-sentinel":
		return openRedis(ctx, rawURL, logger)
	case "postgres", "postgresql":
		return openPostgres(ctx, rawURL, logger)
	case "mysql":
		return openMySQL(ctx, rawURL, logger)
	case "sqlite", "sqlite3":
		return openSQLite(ctx, rawURL, logger)
	case "":
		return nil, fmt.Errorf("%q has no scheme (use %s)", redactURL(rawURL), storeSchemes)
	default:
		return nil, fmt.Errorf("unknown store scheme %q (use %s)", scheme, storeSchemes)
	}
}

// takeParam removes the query parameter name from u and returns its value.
// Given twice, it is an error.
func takeParam(u *url.URL, name string) (string, error) {
	q := u.Query()
	vs, ok := q[name]
	if !ok {
		return "", nil
	}
	if len(vs) != 1 {
		return "", fmt.Errorf("?%s= given %d times", name, len(vs))
	}
	q.Del(name)
	u.RawQuery = q.Encode()
	return vs[0], nil
}

// unreachable is the start-up error for a store that does not answer.
func unreachable(display, password string, err error) error {
	verb := "cannot reach"
	if strings.HasPrefix(display, "sqlite") {
		verb = "cannot open"
	}
	return fmt.Errorf("%s %s: %s", verb, display, oneLine(scrub(err.Error(), password)))
}

// scrub replaces password in s (drivers may echo a DSN).
func scrub(s, password string) string {
	if password == "" {
		return s
	}
	return strings.ReplaceAll(s, password, "xxxxx")
}

// oneLine joins the lines of a multi-line driver error.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// redisLogger sends go-redis's own log lines (one per failed dial while
// Redis is down) to the server's logger at debug level: the store's errors
// already reach the log, once per failing request, through the library.
type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

// openSQL opens db with driver and dsn, pings it, creates the store's
// tables and starts its background cleanup.
func openSQL(ctx context.Context, driver, dsn string, dialect sqlstore.Dialect, prefix string, maxConns int, display, password string, logger *slog.Logger) (*openedStore, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", display, oneLine(scrub(err.Error(), password)))
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, unreachable(display, password, err)
	}
	s, err := sqlstore.New(db, sqlstore.Options{
		Dialect:         dialect,
		TablePrefix:     prefix,
		MaxConns:        maxConns, // 0: sqlstore.DefaultMaxConns
		CleanupInterval: sqlCleanupInterval,
		OnCleanupError: func(err error) {
			logger.Error("authjwt serve: deleting expired revocations", "store", display, "error", scrub(err.Error(), password))
		},
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %s (?%s= takes letters, digits and _)", display, strings.TrimPrefix(err.Error(), "sqlstore: "), tablePrefixParam)
	}
	if err := s.CreateTables(ctx); err != nil {
		s.Close()
		db.Close()
		return nil, fmt.Errorf("%s: creating tables: %s", display, oneLine(scrub(err.Error(), password)))
	}
	if prefix != "" {
		display += fmt.Sprintf(" (table prefix %q)", s.TablePrefix())
	}
	return &openedStore{Store: s, Display: display, close: func() error {
		return errors.Join(s.Close(), db.Close())
	}}, nil
}

func openPostgres(ctx context.Context, rawURL string, logger *slog.Logger) (*openedStore, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s: not a URL", redactURL(rawURL))
	}
	password, _ := u.User.Password()
	prefix, err := takeParam(u, tablePrefixParam)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", redactURL(rawURL), err)
	}
	// pgx would send an unknown parameter to the server as a run-time
	// setting, which PostgreSQL refuses: take it out first.
	maxConns, err := takeMaxConns(u)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", redactURL(rawURL), err)
	}
	return openSQL(ctx, "pgx", u.String(), sqlstore.Postgres, prefix, maxConns, redactURL(rawURL), password, logger)
}

// mysqlDSN translates mysql://USER:PASS@HOST[:PORT]/DB?OPTS into the
// go-sql-driver DSN USER:PASS@tcp(HOST:PORT)/DB?parseTime=true&OPTS.
func mysqlDSN(u *url.URL) (string, error) {
	if u.Host == "" {
		return "", errors.New("needs a host: mysql://USER:PASS@HOST:PORT/DB")
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return "", errors.New("needs a database name: mysql://USER:PASS@HOST:PORT/DB")
	}
	// Driver options (timeout, tls, charset, …) are parsed and validated
	// by the driver itself.
	opts := "/"
	if u.RawQuery != "" {
		opts += "?" + u.RawQuery
	}
	cfg, err := mysql.ParseDSN(opts)
	if err != nil {
		return "", fmt.Errorf("options: %v", err)
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	cfg.DBName = db
	cfg.ParseTime = true
	return cfg.FormatDSN(), nil
}

func openMySQL(ctx context.Context, rawURL string, logger *slog.Logger) (*openedStore, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s: not a URL", redactURL(rawURL))
	}
	password, _ := u.User.Password()
	prefix, err := takeParam(u, tablePrefixParam)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", redactURL(rawURL), err)
	}
	display := redactURL(rawURL)
	// go-sql-driver would send an unknown parameter to the server as a
	// system variable (SET max_conns=…), which fails: take it out first.
	maxConns, err := takeMaxConns(u)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", display, err)
	}
	dsn, err := mysqlDSN(u)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", display, scrub(err.Error(), password))
	}
	return openSQL(ctx, "mysql", dsn, sqlstore.MySQL, prefix, maxConns, display, password, logger)
}

// sqliteDSN turns sqlite://PATH[?table_prefix=P&max_conns=N] into a
// modernc.org/sqlite DSN with WAL and a busy timeout, and returns the
// table prefix and the pool bound (0 when not given). PATH is
// everything between "://" and "?": sqlite:///var/lib/x.db is absolute,
// sqlite://x.db and sqlite://./data/x.db are relative to the working
// directory.
func sqliteDSN(rawURL string) (dsn, path, prefix string, maxConns int, err error) {
	_, rest, _ := strings.Cut(rawURL, "://")
	path, query, _ := strings.Cut(rest, "?")
	if path == "" {
		return "", "", "", 0, errors.New("needs a file: sqlite:///abs/path.db or sqlite://relative/path.db")
	}
	if strings.ContainsAny(path, "#") || path == ":memory:" {
		return "", "", "", 0, fmt.Errorf("%q is not a database file path", path)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", "", 0, fmt.Errorf("options: %v", err)
	}
	for k, v := range q {
		if len(v) != 1 {
			return "", "", "", 0, fmt.Errorf("?%s= given %d times", k, len(v))
		}
		switch k {
		case tablePrefixParam:
			prefix = v[0]
		case maxConnsParam:
			if maxConns, err = parseMaxConns(v[0]); err != nil {
				return "", "", "", 0, err
			}
		default:
			return "", "", "", 0, fmt.Errorf("unknown option %q (only ?%s= and ?%s=)", k, tablePrefixParam, maxConnsParam)
		}
	}
	dsn = fmt.Sprintf("file:%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)",
		path, sqliteBusyTimeoutMS)
	return dsn, path, prefix, maxConns, nil
}

func openSQLite(ctx context.Context, rawURL string, logger *slog.Logger) (*openedStore, error) {
	dsn, path, prefix, maxConns, err := sqliteDSN(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", rawURL, err)
	}
	return openSQL(ctx, "sqlite", dsn, sqlstore.SQLite, prefix, maxConns, "sqlite://"+path, "", logger)
}

// redactURL hides the password of a store URL, for printing.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if _, has := u.User.Password(); !has {
		return raw
	}
	return u.Redacted()
}
