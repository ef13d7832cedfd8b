package sqlstore_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// TestSessionsPaused pauses a private PostgreSQL and a private MariaDB
// (SIGSTOP: connections stay open, no reply comes) and checks that every
// session call ends with an error at its context's deadline (the DSNs set
// no timeouts of their own), never with ErrSessionNotFound, and that the
// store works again once the server resumes.
func TestSessionsPaused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and pauses PostgreSQL and MariaDB servers")
	}
	t.Run("Postgres", func(t *testing.T) {
		pg := startPostgres(t)
		db, err := openPing(t, "pgx", pg.dsn())
		if err != nil {
			t.Fatalf("connecting to the private PostgreSQL: %v\n%s", err, pg.out)
		}
		t.Cleanup(func() { db.Close() })
		s := newStore(t, db, sqlstore.Postgres, sqlstore.Options{})
		sessionsPaused(t, s, func() { pg.pause(t) }, func() { pg.resume(t) })
	})
	t.Run("MariaDB", func(t *testing.T) {
		m := startMariaDB(t)
		db, err := openPing(t, "mysql", m.dsn())
		if err != nil {
			t.Fatalf("connecting to the private MariaDB: %v\n%s", err, m.out)
		}
		t.Cleanup(func() { db.Close() })
		s := newStore(t, db, sqlstore.MySQL, sqlstore.Options{})
		sessionsPaused(t, s,
			func() { stopAndWait(t, m.cmd.Process.Pid) },
			func() { must(t, syscall.Kill(m.cmd.Process.Pid, syscall.SIGCONT)) })
	})
}

func sessionsPaused(t *testing.T, s *sqlstore.Store, pause, resume func()) {
	ctx := context.Background()
	x := sqlSession("alice", "s1", time.Now(), time.Now().Add(time.Hour))
	_, err := s.CreateSession(ctx, x, 0)
	must(t, err)
	pause()
	resumed := false
	doResume := func() {
		if !resumed {
			resumed = true
			resume()
		}
	}
	t.Cleanup(doResume)
	const timeout = 300 * time.Millisecond
	calls := map[string]func(ctx context.Context) error{
		"CreateSession": func(ctx context.Context) error {
			y := x
			y.ID = "s2"
			_, err := s.CreateSession(ctx, y, 10)
			return err
		},
		"GetSession": func(ctx context.Context) error {
			_, err := s.GetSession(ctx, x.Issuer, x.Subject, x.ID)
			if errors.Is(err, revoke.ErrSessionNotFound) {
				t.Errorf("GetSession while paused: %v, want unavailability, not not-found", err)
			}
			return err
		},
		"ListSessions": func(ctx context.Context) error {
			_, err := s.ListSessions(ctx, x.Issuer, x.Subject, revoke.SessionCursor{}, 10)
			return err
		},
		"TouchSession": func(ctx context.Context) error {
			return s.TouchSession(ctx, x.Issuer, x.Subject, x.ID, time.Now())
		},
		"DeleteSession": func(ctx context.Context) error {
			return s.DeleteSession(ctx, x.Issuer, x.Subject, x.ID)
		},
	}
	for name, call := range calls {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		start := time.Now()
		err := call(cctx)
		took := time.Since(start)
		cancel()
		if err == nil {
			t.Errorf("%s while the server is paused: no error", name)
		}
		if took > timeout+time.Second {
			t.Errorf("%s while the server is paused took %v; its deadline was %v", name, took, timeout)
		}
	}
	doResume()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.GetSession(ctx, "iss", "alice", "s1"); err == nil {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("after resuming: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
