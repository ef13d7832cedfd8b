package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt/internal/tcpproxy"
	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/revoke/storetest"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// TestFeedConformance runs the replica section of the conformance suite
// (storetest.RunFeed) on every backend. PostgreSQL and MariaDB stores
// reach their server through a proxy of the test's own, which the
// Reconnect hook cuts (every connection closes, the listener's too) and
// resumes; SQLite's hook closes the pool's connections. Trim removes
// every change of the log, as the age-based trimming would.
func TestFeedConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			reconnect := map[revoke.Store]func(){}
			newFeedStore := func(t *testing.T) revoke.Store {
				db := b.open(t)
				var cut func()
				if b.dialect == sqlstore.SQLite {
					cut = func() {
						db.SetMaxIdleConns(0) // closes the idle ones
						db.SetMaxIdleConns(2)
					}
				} else {
					dsn, driver := envOr("AUTHJWT_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "pgx"
					if b.dialect == sqlstore.MySQL {
						dsn, driver = envOr("AUTHJWT_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test?parseTime=true"), "mysql"
					}
					var p *tcpproxy.Proxy
					dsn, p = viaProxy(t, b.dialect, dsn)
					var err error
					if db, err = openPing(t, driver, dsn); err != nil {
						t.Fatalf("through the proxy: %v", err)
					}
					t.Cleanup(func() { db.Close() })
					cut = func() {
						p.Cut()
						time.Sleep(20 * time.Millisecond)
						p.Resume()
					}
				}
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				mu.Lock()
				reconnect[s] = cut
				mu.Unlock()
				return s
			}
			storetest.RunFeed(t, newFeedStore, storetest.FeedHooks{
				Reconnect: func(t *testing.T, s revoke.Store) {
					mu.Lock()
					cut := reconnect[s]
					mu.Unlock()
					cut()
				},
				Trim: func(t *testing.T, s revoke.Store) {
					must(t, sqlstore.TrimFeed(context.Background(), s.(*sqlstore.Store)))
				},
			})
		})
	}
}
