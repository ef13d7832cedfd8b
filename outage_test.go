package authjwt

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// syncBuffer is a bytes.Buffer for a logger used from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(substr string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for l := range strings.SplitSeq(s.b.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// TestStoreOutageLog checks the log of a store outage: one ERROR line when
// it starts, an ERROR summary per interval while it lasts (with the
// failures counted), one INFO line when it ends, and per-request detail at
// debug level only. The store is a memory store behind a switch that
// makes it fail (the cmd/authjwt process tests do the same with a real
// Redis stopped and resumed).
func TestStoreOutageLog(t *testing.T) {
	tests := []struct {
		name     string
		failOpen bool
		start    string
	}{
		{"fail closed", false, "requests that need it fail with 503 until it answers"},
		{"fail open (Revocation.UnsafeFailOpen)", true, "accepting tokens unchecked until it answers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var down atomic.Bool
			mem := revoke.NewMemory()
			defer mem.Close()
			store := revoke.Func(func(ctx context.Context, q revoke.Query) (bool, error) {
				if down.Load() {
					return false, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
				}
				return mem.IsRevoked(ctx, q)
			})
			var out syncBuffer
			a := mustNew(t, Config{
				Keys: KeyConfig{SecretKey: testSecret},
				Revocation: RevocationConfig{
					Enabled:        true,
					Store:          store,
					UnsafeFailOpen: tt.failOpen,
				},
				Logger: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})),
			})
			a.rev.health.every, a.rev.health.quiet = 100*time.Millisecond, 50*time.Millisecond
			tok := must(a.CreateAccessToken("alice"))
			verify := func(n int) {
				var wg sync.WaitGroup
				for range 4 {
					wg.Go(func() {
						for range n / 4 {
							_, err := a.Verify(context.Background(), tok, Requirement{})
							if down.Load() && !tt.failOpen && !errors.Is(err, ErrStoreUnavailable) {
								t.Errorf("store down: %v", err)
							}
						}
					})
				}
				wg.Wait()
			}

			verify(40)
			if l := out.lines("revocation store"); len(l) != 0 {
				t.Fatalf("log lines while the store is up: %q", l)
			}
			down.Store(true)
			const failing = 400
			deadline := time.Now().Add(350 * time.Millisecond)
			n := 0
			for time.Now().Before(deadline) {
				verify(failing / 10)
				n += failing / 10
				time.Sleep(10 * time.Millisecond)
			}
			down.Store(false)
			time.Sleep(60 * time.Millisecond) // the quiet time
			verify(40)

			starts := out.lines("revocation store unavailable;")
			if len(starts) != 1 || !strings.Contains(starts[0], "level=ERROR") || !strings.Contains(starts[0], tt.start) ||
				!strings.Contains(starts[0], "connection refused") {
				t.Fatalf("start lines %q; want one ERROR line with the error", starts)
			}
			summaries := out.lines("revocation store still unavailable")
			if len(summaries) < 2 || len(summaries) > 4 {
				t.Fatalf("%d summaries over a 350 ms outage summed up every 100 ms: %q", len(summaries), summaries)
			}
			var counted int
			for _, s := range summaries {
				if !strings.Contains(s, "level=ERROR") || !strings.Contains(s, "failed_total=") {
					t.Fatalf("summary %q", s)
				}
				var f int
				if _, err := fmtSscanField(s, "failed=", &f); err != nil || f <= 0 {
					t.Fatalf("summary %q: no failure count", s)
				}
				counted += f
			}
			if tt.failOpen && !strings.Contains(summaries[0], "accepted_unchecked=") {
				t.Fatalf("fail-open summary %q does not count the tokens accepted unchecked", summaries[0])
			}
			ends := out.lines("revocation store available again")
			if len(ends) != 1 || !strings.Contains(ends[0], "level=INFO") || !strings.Contains(ends[0], "failed_total=") {
				t.Fatalf("end lines %q; want one INFO line", ends)
			}
			var total int
			if _, err := fmtSscanField(ends[0], "failed_total=", &total); err != nil || total != n {
				t.Fatalf("end line %q: failed_total, want %d (every failed request)", ends[0], n)
			}
			if all := out.lines("level="); len(all) != 1+len(summaries)+1 {
				t.Fatalf("%d log lines for %d failed requests, want %d:\n%s", len(all), n, 2+len(summaries), strings.Join(all, "\n"))
			}
			t.Logf("%d failed requests: %d lines (%d summaries counting %d after the first)", n, 2+len(summaries), len(summaries), counted)

			// Per-request detail is there at debug level.
			var dbg syncBuffer
			b := mustNew(t, Config{
				Keys: KeyConfig{SecretKey: testSecret},
				Revocation: RevocationConfig{
					Enabled: true,
					Store:   store,
				},
				Logger: slog.New(slog.NewTextHandler(&dbg, &slog.HandlerOptions{Level: slog.LevelDebug})),
			})
			down.Store(true)
			for range 3 {
				b.Verify(context.Background(), tok, Requirement{})
			}
			down.Store(false)
			if d := dbg.lines("level=DEBUG msg=\"authjwt: revocation store failed\""); len(d) != 3 {
				t.Fatalf("debug lines %q; want one per failed request", d)
			}
		})
	}
}

// fmtSscanField reads the integer after key in a text log line.
func fmtSscanField(line, key string, v *int) (int, error) {
	i := strings.Index(line, " "+key)
	if i < 0 {
		return 0, errors.New("no " + key)
	}
	rest := line[i+1+len(key):]
	n := 0
	digits := 0
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		digits++
	}
	if digits == 0 {
		return 0, errors.New("no number after " + key)
	}
	*v = n
	return 1, nil
}

// TestStoreOutageLogNamesTheWrite: an outage that starts with a failed
// revocation is logged with op=revoke (a consume's with op=consume), so an
// operator can tell a write outage from a failing check.
func TestStoreOutageLogNamesTheWrite(t *testing.T) {
	var out syncBuffer
	store := revoke.Func(func(context.Context, revoke.Query) (bool, error) { return false, nil })
	a := mustNew(t, Config{
		Keys:       KeyConfig{SecretKey: testSecret},
		Revocation: RevocationConfig{Store: store},
		Logger:     slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	tok, err := a.Verify(context.Background(), must(a.CreateAccessToken("alice")), Requirement{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(context.Background(), tok); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("Revoke on a store that cannot record: %v, want ErrStoreUnavailable", err)
	}
	if l := out.lines("revocation store unavailable;"); len(l) != 1 || !strings.Contains(l[0], "op=revoke") {
		t.Fatalf("outage lines %q, want one naming op=revoke", l)
	}
}
