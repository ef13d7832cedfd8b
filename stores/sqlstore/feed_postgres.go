package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The PostgreSQL listener: LISTEN on a connection of the pool kept for it,
// waking readers waiting in Changes when a revoking transaction's
// pg_notify is delivered (at its commit). database/sql has no API for
// notifications; the connection's driver value must be pgx's stdlib one
// (the driver this module is tested with), reached through
// (*sql.Conn).Raw. With another driver (lib/pq), or a pool bounded below
// minListenPool connections, the store does not listen and Changes reads
// the log every wait instead; nothing depends on a notification
// arriving: it only shortens the wait.

// listenIdle is how long the listener waits for a notification before it
// checks its connection with a ping, which must answer within listenPing
// (variables for tests; a Store takes listenIdle's value in New).
var (
	listenIdle = 10 * time.Second
	listenPing = 5 * time.Second
)

// errNoListen says the *sql.DB's driver cannot deliver notifications.
var errNoListen = errors.New("sqlstore: no LISTEN, Changes polls every wait")

// errNotPgx says the *sql.DB's driver is not pgx's.
var errNotPgx = fmt.Errorf("sqlstore: the PostgreSQL driver is not pgx's database/sql driver (github.com/jackc/pgx/v5/stdlib): %w", errNoListen)

// minListenPool is the smallest pool bound with which the store keeps a
// connection for LISTEN: with fewer, the listener would hold a
// connection the log's reads and the revocations need.
const minListenPool = 3

// pgxConn is what pgx's stdlib driver connection offers.
type pgxConn interface{ Conn() *pgx.Conn }

// startListener starts the listener goroutine once.
func (s *Store) startListener() {
	s.listenOnce.Do(func() {
		s.listenWG.Add(1)
		go s.listen()
	})
}

// Listening reports whether the store currently holds a PostgreSQL
// connection that LISTENs for its change log's notifications (started by
// the first [Store.Changes] call). Without one, Changes reads the log once
// per wait.
func (s *Store) Listening() bool { return s.listening.Load() }

func (s *Store) listen() {
	defer s.listenWG.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	backoff := 50 * time.Millisecond
	for {
		start := time.Now()
		err := s.listenConn(ctx)
		s.listening.Store(false)
		if ctx.Err() != nil {
			return
		}
		if s.onFeedErr != nil {
			s.onFeedErr(err)
		}
		if errors.Is(err, errNoListen) {
			return
		}
		if time.Since(start) > 10*time.Second {
			backoff = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listenConn takes a connection, LISTENs and wakes readers at each
// notification until the connection fails or ctx ends. The connection is
// then discarded, not returned to the pool: it would keep listening and
// buffering notifications for a caller who never reads them.
func (s *Store) listenConn(ctx context.Context) error {
	if n := s.db.Stats().MaxOpenConnections; n > 0 && n < minListenPool {
		return fmt.Errorf("sqlstore: a pool of %d connections (MaxConns) has none to spare for LISTEN, %d or more have: %w", n, minListenPool, errNoListen)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: listener: %w", err)
	}
	defer conn.Close()
	var cause error
	_ = conn.Raw(func(dc any) error {
		pc, ok := dc.(pgxConn)
		if !ok {
			cause = errNotPgx
			return nil // a connection we never touched goes back to the pool
		}
		c := pc.Conn()
		if _, err := c.Exec(ctx, `LISTEN "`+s.feed.channelName+`"`); err != nil {
			cause = fmt.Errorf("sqlstore: LISTEN: %w", err)
			return driver.ErrBadConn
		}
		s.listening.Store(true)
		// Changes committed before LISTEN took effect sent their
		// notifications to nobody: let waiting readers read again.
		s.wake.wake()
		for {
			wctx, cancel := context.WithTimeout(ctx, s.listenIdle)
			_, err := c.WaitForNotification(wctx)
			cancel()
			switch {
			case err == nil:
				s.wake.wake()
				continue
			case ctx.Err() != nil:
				return driver.ErrBadConn
			case !pgconn.Timeout(err):
				cause = fmt.Errorf("sqlstore: waiting for notifications: %w", err)
				return driver.ErrBadConn
			}
			// Quiet for listenIdle: is the server still there? A
			// connection cut without a reset (a partition) would
			// otherwise look like a quiet one until TCP keepalive gives
			// up, minutes later.
			pctx, cancel := context.WithTimeout(ctx, listenPing)
			err = c.Ping(pctx)
			cancel()
			if err != nil {
				cause = fmt.Errorf("sqlstore: the listening connection does not answer: %w", err)
				return driver.ErrBadConn
			}
		}
	})
	return cause
}
