package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

// PausedTimeout is the [authjwt.RevocationConfig.Timeout] that [RunPaused]
// configures, and PausedLimit how long it lets each operation take before
// calling it hung: a generous bound, since the point is that the call
// returns at all while the store does not answer, not how fast.
const (
	PausedTimeout = 300 * time.Millisecond
	PausedLimit   = PausedTimeout + 5*time.Second
)

// RunPaused checks that authjwt bounds every call into s by
// [authjwt.RevocationConfig.Timeout] and fails it closed with
// [authjwt.ErrStoreUnavailable] while the store's server does not answer.
// pause must make the server stop answering while keeping its connections
// open (SIGSTOP of the server process), resume must undo that
// (SIGCONT); RunPaused calls resume when it ends. The store must not bound
// calls itself (no timeout option of its own) and its client must not have
// socket timeouts shorter than [PausedLimit], so that only authjwt's bound
// can end a call. s must implement [revoke.Consumer].
//
// Every operation runs with a context without deadline: verification
// (the denylist check), Revoke, RevokeFamily, RevokeSubject, Rotate's
// consume, Rotate's reuse path (the consume answered by a live in-memory
// store, the family revocation it triggers by s) and WatchToken's polling.
//
// When s implements [revoke.SessionStore], RunPaused also calls each of
// its methods directly during the same pause, each under a context
// deadline of [PausedTimeout]: each must fail within that deadline and a
// second (never with [revoke.ErrSessionNotFound]), and sessions
// must work again after the resume.
func RunPaused(t *testing.T, s revoke.Store, pause, resume func(t *testing.T)) {
	t.Helper()
	if _, ok := s.(revoke.Consumer); !ok {
		t.Fatalf("RunPaused: %T does not implement revoke.Consumer", s)
	}
	secret := id("storetest-paused-secret") + id("k")
	newAuth := func(st revoke.Store) *authjwt.Auth {
		a, err := authjwt.New(authjwt.Config{
			Keys: authjwt.KeyConfig{SecretKey: secret},
			Revocation: authjwt.RevocationConfig{
				Enabled:  true,
				Store:    st,
				Timeout:  PausedTimeout,
				Rotation: true,
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	auth := newAuth(s)
	// The reuse path: a consume that answers (live memory store), then the
	// family revocation of a detected reuse, which goes to s.
	live := revoke.NewMemory()
	t.Cleanup(func() { live.Close() })
	reuseAuth := newAuth(splitStore{Store: s, Consumer: live})

	ctx := ctxT(t)
	verified := func(a *authjwt.Auth, raw string, refresh bool) *authjwt.Token {
		t.Helper()
		tok, err := a.Verify(ctx, raw, authjwt.Requirement{Refresh: refresh})
		if err != nil {
			t.Fatalf("Verify before the pause: %v", err)
		}
		return tok
	}
	pair := func(a *authjwt.Auth) authjwt.Pair {
		t.Helper()
		p, err := a.CreatePair(id("user"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := pair(auth)
	access := verified(auth, p.AccessToken, false)
	refresh := verified(auth, p.RefreshToken, true)
	rp := pair(reuseAuth)
	reused := verified(reuseAuth, rp.RefreshToken, true)
	if _, err := reuseAuth.Rotate(ctx, reused); err != nil {
		t.Fatalf("first Rotate before the pause: %v", err)
	}
	sessions := newPausedSessions(t, s)
	watched, stopWatch := auth.WatchToken(context.Background(), access, authjwt.WithRevocationPoll(50*time.Millisecond))
	defer stopWatch()

	pause(t)
	paused := true
	defer func() {
		if paused {
			resume(t)
		}
	}()
	ops := []struct {
		name string
		call func(context.Context) error
	}{
		{"Verify", func(ctx context.Context) error {
			_, err := auth.Verify(ctx, p.AccessToken, authjwt.Requirement{})
			return err
		}},
		{"Revoke", func(ctx context.Context) error { return auth.Revoke(ctx, access) }},
		{"RevokeFamily", func(ctx context.Context) error { return auth.RevokeFamily(ctx, access) }},
		{"RevokeSubject", func(ctx context.Context) error {
			return auth.RevokeSubject(ctx, access.Issuer(), access.Subject())
		}},
		{"RotateConsume", func(ctx context.Context) error {
			_, err := auth.Rotate(ctx, refresh)
			return err
		}},
		{"RotateReuse", func(ctx context.Context) error {
			_, err := reuseAuth.Rotate(ctx, reused)
			return err
		}},
		{"WatchToken", func(context.Context) error {
			<-watched.Done()
			return context.Cause(watched)
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- op.call(context.Background()) }()
			select {
			case err := <-done:
				if !errors.Is(err, authjwt.ErrStoreUnavailable) {
					t.Fatalf("%s with the store paused: %v, want ErrStoreUnavailable", op.name, err)
				}
			case <-time.After(PausedLimit):
				t.Fatalf("%s with the store paused did not return within %v (Revocation.Timeout %v)", op.name, PausedLimit, PausedTimeout)
			}
		})
	}
	if sessions != nil {
		t.Run("Sessions", sessions.whilePaused)
	}
	resume(t)
	paused = false
	// The store answers again. (A write sent before a call gave up may
	// still be carried out now: check with a token of another session.)
	after := pair(auth)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := auth.Verify(ctx, after.AccessToken, authjwt.Requirement{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Verify after the store resumed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if sessions != nil {
		sessions.afterResume(t)
	}
}

// splitStore answers Consume from one store and everything else from
// another.
type splitStore struct {
	revoke.Store
	revoke.Consumer
}
