package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// pausedSessionLimit is how long a session call may take while the store
// is paused: its context's deadline ([PausedTimeout]) and a margin.
const pausedSessionLimit = PausedTimeout + time.Second

// pausedSessions is the session part of [RunPaused], for a store that
// implements [revoke.SessionStore]: the methods are called directly, each
// under a context deadline of [PausedTimeout], as authjwt calls them.
type pausedSessions struct {
	ss revoke.SessionStore
	x  revoke.Session // stored before the pause
}

// newPausedSessions stores a session while the server answers; nil when s
// has no sessions.
func newPausedSessions(t *testing.T, s revoke.Store) *pausedSessions {
	t.Helper()
	ss, ok := s.(revoke.SessionStore)
	if !ok {
		return nil
	}
	x := newSession("iss", id("paused"), time.Now())
	if _, err := ss.CreateSession(ctxT(t), x, 0); err != nil {
		t.Fatalf("CreateSession before the pause: %v", err)
	}
	return &pausedSessions{ss: ss, x: x}
}

// whilePaused checks that every session method fails with an error
// (never [revoke.ErrSessionNotFound], never an empty page) within its
// context's deadline and a margin.
func (p *pausedSessions) whilePaused(t *testing.T) {
	ss, x := p.ss, p.x
	ops := []struct {
		name string
		call func(context.Context) error
	}{
		{"CreateSession", func(ctx context.Context) error {
			y := x
			y.ID += "-2"
			_, err := ss.CreateSession(ctx, y, 10)
			return err
		}},
		{"GetSession", func(ctx context.Context) error {
			_, err := ss.GetSession(ctx, x.Issuer, x.Subject, x.ID)
			return err
		}},
		{"ListSessions", func(ctx context.Context) error {
			_, err := ss.ListSessions(ctx, x.Issuer, x.Subject, revoke.SessionCursor{}, 10)
			return err
		}},
		{"TouchSession", func(ctx context.Context) error {
			return ss.TouchSession(ctx, x.Issuer, x.Subject, x.ID, time.Now())
		}},
		{"DeleteSession", func(ctx context.Context) error {
			return ss.DeleteSession(ctx, x.Issuer, x.Subject, x.ID)
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), PausedTimeout)
				defer cancel()
				done <- op.call(ctx)
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Fatalf("%s with the store paused: no error", op.name)
				}
				if errors.Is(err, revoke.ErrSessionNotFound) {
					t.Fatalf("%s with the store paused: %v, want unavailability, not not-found", op.name, err)
				}
			case <-time.After(pausedSessionLimit):
				t.Fatalf("%s with the store paused did not return within %v (context deadline %v)", op.name, pausedSessionLimit, PausedTimeout)
			}
		})
	}
}

// afterResume checks that sessions work again once the server answers:
// a new session (the paused calls may still be carried out on x) is
// stored and read back.
func (p *pausedSessions) afterResume(t *testing.T) {
	t.Helper()
	y := newSession(p.x.Issuer, p.x.Subject, time.Now())
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := p.ss.CreateSession(ctxT(t), y, 0)
		if err == nil {
			_, err = p.ss.GetSession(ctxT(t), y.Issuer, y.Subject, y.ID)
		}
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions after the store resumed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
