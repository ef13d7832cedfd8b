package redisstore_test

import (
	"syscall"
	"testing"

	"github.com/librenz/authjwt/revoke/storetest"
	"github.com/librenz/authjwt/stores/redisstore"
	"github.com/redis/go-redis/v9"
)

// TestAuthPausedStore pauses a private redis-server (SIGSTOP) and checks
// that every authjwt operation that calls the store — verification,
// Revoke, RevokeFamily, RevokeSubject, Rotate's consume and reuse paths,
// WatchToken's polling — fails with ErrStoreUnavailable within about
// Revocation.Timeout instead of hanging for the pause, and that every
// session call fails at its context's deadline. Neither the store nor the
// client has a timeout of its own, so only Revocation.Timeout can end the calls.
func TestAuthPausedStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and pauses redis-server")
	}
	srv := startRedisServer(t, t.TempDir(), freePort(t, false))
	for _, tc := range []struct {
		name       string
		ctxTimeout bool
	}{
		{"ContextTimeoutEnabled", true},
		{"PlainClient", false}, // the store's goroutine fallback applies the deadline
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := redis.NewClient(&redis.Options{
				Addr: srv.addr(), ContextTimeoutEnabled: tc.ctxTimeout,
				ReadTimeout: -1, WriteTimeout: -1, // no socket timeouts: only Revocation.Timeout bounds calls
			})
			t.Cleanup(func() { c.Close() })
			s := redisstore.New(c, redisstore.Options{Prefix: uniquePrefix("paused")})
			storetest.RunPaused(t, s,
				func(t *testing.T) { must(t, srv.cmd.Process.Signal(syscall.SIGSTOP)) },
				func(t *testing.T) { must(t, srv.cmd.Process.Signal(syscall.SIGCONT)) })
		})
	}
}
