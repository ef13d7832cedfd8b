package sqlstore_test

import (
	"testing"

	"github.com/librenz/authjwt/internal/pgproc"
	"github.com/librenz/authjwt/revoke/storetest"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// TestAuthPausedStore pauses a private PostgreSQL (SIGSTOP of the
// postmaster and every backend) and checks that every authjwt operation
// that calls the store — verification, Revoke, RevokeFamily,
// RevokeSubject, Rotate's consume and reuse paths, WatchToken's polling —
// fails with ErrStoreUnavailable within about Revocation.Timeout instead of
// hanging for the pause, and that every session call fails at its
// context's deadline. The DSN sets no timeouts, so only Revocation.Timeout
// can end the calls.
func TestAuthPausedStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and pauses a PostgreSQL server")
	}
	pg := startPostgres(t)
	db, err := openPing(t, "pgx", pg.URL())
	if err != nil {
		t.Fatalf("connecting to the private PostgreSQL: %v\n%s", err, pg.Output())
	}
	t.Cleanup(func() { db.Close() })
	s := newStore(t, db, sqlstore.Postgres, sqlstore.Options{})
	storetest.RunPaused(t, s, func(t *testing.T) { pg.Pause(t) }, func(t *testing.T) { pg.Resume(t) })
}

// startPostgres starts a private PostgreSQL (a throw-away cluster, fsync
// off) until the test ends; it skips, or fails under
// AUTHJWTTEST_REQUIRE_SERVICES=1, when the server binaries are missing.
func startPostgres(t *testing.T) *pgproc.Server {
	t.Helper()
	return pgproc.Start(t, pgproc.Options{
		Missing:   func(t testing.TB, what, how string, err error) { requireService(t, what, how, err) },
		DirPrefix: "authjwt-pg-",
		NoFsync:   true,
	})
}
