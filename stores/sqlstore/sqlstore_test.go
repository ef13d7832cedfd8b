package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/revoke/storetest"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// requireService skips the test when a service it needs is unavailable,
// or fails it when AUTHJWTTEST_REQUIRE_SERVICES=1 (as CI sets).
func requireService(t testing.TB, what, how string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s unavailable: %v\nstart it with: %s", what, err, how)
	if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg + "\n(AUTHJWTTEST_REQUIRE_SERVICES=1: services are required)")
	}
	t.Skip(msg)
}

type backend struct {
	name    string
	dialect sqlstore.Dialect
	open    func(t testing.TB) *sql.DB
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func openPing(t testing.TB, driver, dsn string) (*sql.DB, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

var backends = []backend{
	{"Postgres", sqlstore.Postgres, func(t testing.TB) *sql.DB {
		var firstErr error
		for _, dsn := range []string{
			envOr("AUTHJWT_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
			"postgres://root@127.0.0.1:5432/test?sslmode=disable",
		} {
			db, err := openPing(t, "pgx", dsn)
			if err == nil {
				// 50: the most goroutines a conformance test runs
				// at once, so each still gets a connection of its
				// own. The bound keeps this package below half of
				// PostgreSQL's default max_connections (100), which
				// CI's single go test shares with cmd/authjwt's
				// load test (at most 32 at once plus its own).
				db.SetMaxOpenConns(50)
				t.Cleanup(func() { db.Close() })
				return db
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		requireService(t, "PostgreSQL at 127.0.0.1:5432 (database test)",
			`service postgresql start && su postgres -c "createdb test" (trust auth for 127.0.0.1), or set AUTHJWT_POSTGRES_DSN`, firstErr)
		return nil
	}},
	{"MariaDB", sqlstore.MySQL, func(t testing.TB) *sql.DB {
		db, err := openPing(t, "mysql", envOr("AUTHJWT_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test?parseTime=true"))
		if err != nil {
			requireService(t, "MariaDB/MySQL at 127.0.0.1:3306 (database test, root without password)",
				`service mariadb start && mysql -uroot -e "CREATE DATABASE IF NOT EXISTS test", or set AUTHJWT_MYSQL_DSN`, err)
		}
		db.SetMaxOpenConns(60)
		t.Cleanup(func() { db.Close() })
		return db
	}},
	{"SQLite", sqlstore.SQLite, func(t testing.TB) *sql.DB {
		path := filepath.Join(t.TempDir(), "revoke.db")
		db, err := openPing(t, "sqlite", "file:"+path+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
		if err != nil {
			t.Fatalf("opening SQLite: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}},
}

func uniquePrefix() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:]) + "_"
}

// newStore creates tables under a fresh prefix and drops them when the
// test ends.
func newStore(t testing.TB, db *sql.DB, d sqlstore.Dialect, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	opts.Dialect = d
	if opts.TablePrefix == "" {
		opts.TablePrefix = uniquePrefix()
	}
	s, err := sqlstore.New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		for _, tab := range s.Tables() {
			if _, err := db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+tab); err != nil {
				t.Logf("dropping %s: %v", tab, err)
			}
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			storetest.Run(t, func(t *testing.T) revoke.Store {
				return newStore(t, db, b.dialect, sqlstore.Options{})
			})
		})
	}
}

// TestSubjectRowOfAnEarlierVersion: subject rows written before cutoffs
// had milliseconds (cutoff in Unix seconds) keep refusing their whole
// second, and are rewritten in milliseconds, never lowered.
func TestSubjectRowOfAnEarlierVersion(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			s := newStore(t, db, b.dialect, sqlstore.Options{})
			ctx := context.Background()
			base := time.Now().Unix()
			exp := time.Now().Add(time.Hour)
			ins := "INSERT INTO " + s.Tables()[2] + " (issuer, subject, cutoff, expires_at) VALUES (?, ?, ?, ?)"
			if b.dialect == sqlstore.Postgres {
				ins = "INSERT INTO " + s.Tables()[2] + " (issuer, subject, cutoff, expires_at) VALUES ($1, $2, $3, $4)"
			}
			_, err := db.ExecContext(ctx, ins, "iss", "sub", base, exp.UnixMilli())
			must(t, err)
			q := func(iat time.Time, want bool) {
				t.Helper()
				got, err := s.IsRevoked(ctx, revoke.Query{Issuer: "iss", Subject: "sub", IssuedAt: iat})
				must(t, err)
				if got != want {
					t.Errorf("iat %d ms: revoked = %v, want %v", iat.UnixMilli(), got, want)
				}
			}
			q(time.Unix(base, 0), true)
			q(time.Unix(base, 999e6), true) // the whole second, as before
			q(time.Unix(base+1, 0), false)
			must(t, s.RevokeSubject(ctx, "iss", "sub", time.Unix(base, 500e6), exp)) // lower: kept
			q(time.Unix(base, 999e6), true)
			q(time.Unix(base+1, 0), false)
			must(t, s.RevokeSubject(ctx, "iss", "sub", time.Unix(base+2, 1e6), exp))
			q(time.Unix(base+2, 1e6), true)
			q(time.Unix(base+2, 2e6), false)
			var c int64
			must(t, db.QueryRowContext(ctx, "SELECT cutoff FROM "+s.Tables()[2]).Scan(&c))
			if c != (base+2)*1000+1 {
				t.Errorf("stored cutoff %d, want %d (ms)", c, (base+2)*1000+1)
			}
		})
	}
}

// TestVerifier: revoked tokens stay refused through the verifier's whole
// acceptance window, with real time, on every backend (issue 15, item 1).
func TestVerifier(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			storetest.RunVerifier(t, func(t *testing.T) revoke.Store {
				return newStore(t, db, b.dialect, sqlstore.Options{})
			})
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func count(t testing.TB, db *sql.DB, table string) int {
	t.Helper()
	var n int
	must(t, db.QueryRow("SELECT COUNT(*) FROM "+table).Scan(&n))
	return n
}

func TestDialectSpecifics(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			ctx := context.Background()

			t.Run("CreateTablesIdempotent", func(t *testing.T) {
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				must(t, s.CreateTables(ctx))
				must(t, s.CreateTables(ctx))
			})

			t.Run("DeleteExpired", func(t *testing.T) {
				clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
				s := newStore(t, db, b.dialect, sqlstore.Options{Now: clk.Now})
				exp := clk.Now().Add(time.Minute)
				must(t, s.RevokeToken(ctx, "j", exp))
				must(t, s.RevokeFamily(ctx, "f", exp))
				must(t, s.RevokeSubject(ctx, "i", "s", clk.Now(), exp))
				_, _, err := s.Consume(ctx, "r", exp)
				must(t, err)
				must(t, s.RevokeToken(ctx, "forever", revoke.Forever))
				n, err := s.DeleteExpired(ctx)
				must(t, err)
				if n != 0 {
					t.Fatalf("DeleteExpired before expiry removed %d", n)
				}
				clk.Add(time.Minute)
				for _, q := range []revoke.Query{{JTI: "j"}, {Family: "f"}, {Issuer: "i", Subject: "s"}} {
					if ok, err := s.IsRevoked(ctx, q); ok || err != nil {
						t.Fatalf("IsRevoked(%+v) at expiry = %v, %v", q, ok, err)
					}
				}
				n, err = s.DeleteExpired(ctx)
				must(t, err)
				if n != 7 { // 4 entries, and the 3 revocations' changes
					t.Fatalf("DeleteExpired removed %d rows, want 7", n)
				}
				tabs := s.Tables()
				// The Forever token, its change, the change log's counter.
				for _, tab := range []string{tabs[0], tabs[4], tabs[5]} {
					if got := count(t, db, tab); got != 1 {
						t.Fatalf("%s has %d rows, want 1", tab, got)
					}
				}
				for _, tab := range tabs[1:4] {
					if got := count(t, db, tab); got != 0 {
						t.Fatalf("%s has %d rows", tab, got)
					}
				}
			})

			t.Run("BackgroundCleanup", func(t *testing.T) {
				clk := &fakeClock{t: time.Now()}
				// Tables first (newStore), then the store with the cleaner.
				p := newStore(t, db, b.dialect, sqlstore.Options{}).TablePrefix()
				s, err := sqlstore.New(db, sqlstore.Options{Dialect: b.dialect, TablePrefix: p, Now: clk.Now,
					CleanupInterval: 20 * time.Millisecond,
					OnCleanupError:  func(err error) { t.Errorf("cleanup: %v", err) }})
				must(t, err)
				defer s.Close()
				must(t, s.RevokeToken(ctx, "j", clk.Now().Add(time.Second)))
				clk.Add(2 * time.Second)
				deadline := time.Now().Add(3 * time.Second)
				for count(t, db, s.Tables()[0]) != 0 {
					if time.Now().After(deadline) {
						t.Fatal("background cleanup did not delete the expired row")
					}
					time.Sleep(20 * time.Millisecond)
				}
				must(t, s.Close())
				must(t, s.Close())
			})

			t.Run("ByteExactIDs", func(t *testing.T) {
				// MySQL's default collations ignore case and trailing spaces.
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				must(t, s.RevokeToken(ctx, "Abc", revoke.Forever))
				must(t, s.RevokeSubject(ctx, "iss", "User", time.Now(), revoke.Forever))
				for _, q := range []revoke.Query{{JTI: "abc"}, {JTI: "Abc "}, {JTI: "ABC"}, {Issuer: "iss", Subject: "user"}, {Issuer: "ISS", Subject: "User"}} {
					if ok, err := s.IsRevoked(ctx, q); ok || err != nil {
						t.Errorf("IsRevoked(%+v) = %v, %v; want false", q, ok, err)
					}
				}
				if ok, _ := s.IsRevoked(ctx, revoke.Query{JTI: "Abc"}); !ok {
					t.Error("exact jti not revoked")
				}
				uni := "jti-ü-✓"
				must(t, s.RevokeToken(ctx, uni, revoke.Forever))
				if ok, _ := s.IsRevoked(ctx, revoke.Query{JTI: uni}); !ok {
					t.Error("non-ASCII jti not revoked")
				}
			})

			t.Run("Limits", func(t *testing.T) {
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				long := strings.Repeat("x", sqlstore.MaxIDLen)
				must(t, s.RevokeToken(ctx, long, revoke.Forever))
				must(t, s.RevokeSubject(ctx, long, long, time.Now(), revoke.Forever))
				if ok, _ := s.IsRevoked(ctx, revoke.Query{JTI: long}); !ok {
					t.Error("longest jti not revoked")
				}
				if err := s.RevokeToken(ctx, long+"x", revoke.Forever); err == nil {
					t.Error("overlong jti accepted")
				}
				if err := s.RevokeToken(ctx, "", revoke.Forever); err == nil {
					t.Error("empty jti accepted")
				}
				if _, _, err := s.Consume(ctx, "", revoke.Forever); err == nil {
					t.Error("empty Consume accepted")
				}
				if ok, err := s.IsRevoked(ctx, revoke.Query{JTI: long + "x"}); ok || err != nil {
					t.Errorf("IsRevoked(overlong) = %v, %v", ok, err)
				}
			})
		})
	}
}

func TestNewValidation(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	must(t, err)
	defer db.Close()
	for _, o := range []sqlstore.Options{
		{}, // no dialect
		{Dialect: sqlstore.Dialect(99)},
		{Dialect: sqlstore.SQLite, TablePrefix: "bad-prefix"},
		{Dialect: sqlstore.SQLite, TablePrefix: "1abc"},
		{Dialect: sqlstore.SQLite, TablePrefix: "x; DROP TABLE y"},
	} {
		if _, err := sqlstore.New(db, o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
	if _, err := sqlstore.New(nil, sqlstore.Options{Dialect: sqlstore.SQLite}); err == nil {
		t.Error("New(nil db) succeeded")
	}
	s, err := sqlstore.New(db, sqlstore.Options{Dialect: sqlstore.Postgres})
	must(t, err)
	if s.TablePrefix() != sqlstore.DefaultTablePrefix {
		t.Errorf("TablePrefix() = %q", s.TablePrefix())
	}
	if sqlstore.MariaDB != sqlstore.MySQL || sqlstore.Postgres.String() != "postgres" {
		t.Error("dialect names")
	}
}

func BenchmarkIsRevoked(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			db := be.open(b)
			s := newStore(b, db, be.dialect, sqlstore.Options{})
			ctx := context.Background()
			now := time.Now()
			for i := range 1000 {
				must(b, s.RevokeToken(ctx, fmt.Sprintf("jti-%d", i), now.Add(time.Hour)))
			}
			must(b, s.RevokeSubject(ctx, "iss", "sub", now.Add(-time.Hour), now.Add(time.Hour)))
			for _, bc := range []struct {
				name string
				q    revoke.Query
			}{
				{"Miss", revoke.Query{JTI: "miss", Family: "fam", Issuer: "iss", Subject: "sub", IssuedAt: now}},
				{"HitJTI", revoke.Query{JTI: "jti-42", Family: "fam", Issuer: "iss", Subject: "sub", IssuedAt: now}},
			} {
				b.Run(bc.name, func(b *testing.B) {
					b.ReportAllocs()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if _, err := s.IsRevoked(ctx, bc.q); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		})
	}
}

// TestPool checks how New sizes the *sql.DB's connection pool: an
// unbounded pool (database/sql's default) gets DefaultMaxConns, all kept
// idle so that a steady load reuses them; MaxConns sets another bound; a
// pool the caller bounded, or MaxConns < 0, is left alone.
func TestPool(t *testing.T) {
	tests := []struct {
		name      string
		callerMax int // the caller's SetMaxOpenConns before New; 0: database/sql's default
		maxConns  int
		wantMax   int // 0: unbounded
		wantIdle  int // idle connections after wantMax (or 8) were in use at once
	}{
		{"an unbounded pool gets the default bound, all kept idle", 0, 0, sqlstore.DefaultMaxConns, sqlstore.DefaultMaxConns},
		{"MaxConns sets the bound and the idle count", 0, 8, 8, 8},
		{"MaxConns overrides the caller's bound", 5, 8, 8, 8},
		{"a pool the caller bounded is left alone", 5, 0, 5, 2},
		{"MaxConns < 0 leaves the pool unbounded", 0, -1, 0, 2},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					db := b.open(t)
					db.SetMaxOpenConns(tt.callerMax) // the backend helper bounds it; undo
					newStore(t, db, b.dialect, sqlstore.Options{MaxConns: tt.maxConns})
					if got := db.Stats().MaxOpenConnections; got != tt.wantMax {
						t.Fatalf("MaxOpenConnections %d, want %d", got, tt.wantMax)
					}
					inUse := tt.wantMax
					if inUse == 0 {
						inUse = 8
					}
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					var conns []*sql.Conn
					for range inUse {
						c, err := db.Conn(ctx)
						must(t, err)
						must(t, c.PingContext(ctx))
						conns = append(conns, c)
					}
					if tt.wantMax > 0 {
						// The pool is full: one more waits, within its deadline.
						short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
						defer cancel()
						if c, err := db.Conn(short); err == nil {
							c.Close()
							t.Fatalf("a connection beyond the bound of %d was opened", tt.wantMax)
						}
					}
					for _, c := range conns {
						must(t, c.Close())
					}
					if got := db.Stats().Idle; got != tt.wantIdle {
						t.Fatalf("%d idle connections after %d were in use, want %d", got, inUse, tt.wantIdle)
					}
				})
			}
		})
	}
}
