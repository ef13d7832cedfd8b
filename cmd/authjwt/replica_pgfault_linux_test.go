package main

import (
	"testing"
	"time"

	"github.com/librenz/authjwt/internal/pgproc"
)

// TestReplicaStoreFaultPostgres is TestReplicaStoreFault on a PostgreSQL
// server of the test's own (a throw-away cluster, fsync on): paused
// (SIGSTOP of the postmaster and every backend) and killed (SIGKILL of
// all of them) and restarted on the same data directory.
func TestReplicaStoreFaultPostgres(t *testing.T) {
	t.Parallel()
	bound := replicaMode(t)
	pg := pgproc.Start(t, pgproc.Options{
		Missing:        func(t testing.TB, what, how string, err error) { requireService(t, what, how, err) },
		DirPrefix:      "authjwt-replica-pg-",
		MaxConnections: 60,
		ReadyTimeout:   30 * time.Second,
	})
	u := pg.URL()
	bound = storeBound(t, bound, u)
	tr := startTrio(t, u, "", bound, faultTimeout)
	storeFaults(t, tr, []storeFault{
		{"paused", "paused", func() { pg.Pause(t) }, func() { pg.Resume(t) }},
		{"killed and restarted", "killed", func() { pg.Kill() }, func() { pg.Start(t) }},
	})
}
