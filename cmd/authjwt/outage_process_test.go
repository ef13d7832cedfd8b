package main

import (
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestStoreOutageLogProcess runs the server on a Redis of the test's own,
// stops Redis (SIGSTOP: every check times out) for longer than the
// summary interval under a bounded load, then resumes it, and reads the
// server's log: one ERROR line when the outage starts, a summary with the
// failure count while it lasts, one INFO line when it ends, and no line
// per failed request (there used to be one ERROR line each).
func TestStoreOutageLogProcess(t *testing.T) {
	t.Parallel()
	rd := startPrivateRedis(t)
	srv := startServe(t,
		"AUTHJWT_SECRET_KEY="+testSecret,
		"AUTHJWT_DENYLIST_URL=redis://"+rd.addr()+"/0",
		// 1 s, not less: on CI's shared cores under -race a check
		// on a healthy Redis can stall for a few hundred ms, which
		// would log an outage of its own before the real one.
		"AUTHJWT_STORE_TIMEOUT=1s",
	)
	at, _ := srv.login("alice", "secret")
	srv.do(req{method: "GET", path: "/protected", token: at}).expect(t, "Redis up", 200, "")

	var (
		stop     atomic.Bool
		failed   atomic.Int64
		statuses sync.Map
		wg       sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				r := srv.do(req{method: "GET", path: "/protected", token: at})
				if r.status != 200 {
					failed.Add(1)
				}
				if r.status != 200 && r.status != 503 {
					statuses.Store(r.status, r.raw)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	// Only the log from here on is about this outage.
	mark := len(srv.stderr.String())
	rd.signal(syscall.SIGSTOP)
	// The outage is logged from the first failure, a timeout later;
	// the summary comes with a failure 10 s after that, so Redis stays
	// stopped 12.5 s: failures go on until it resumes.
	time.Sleep(12500 * time.Millisecond)
	rd.signal(syscall.SIGCONT)
	time.Sleep(2 * time.Second) // beyond the 1 s quiet time
	stop.Store(true)
	wg.Wait()
	statuses.Range(func(k, v any) bool {
		t.Errorf("status %v during the outage: %v", k, v)
		return true
	})
	srv.do(req{method: "GET", path: "/protected", token: at}).expect(t, "Redis resumed", 200, "")

	if before := srv.stderr.String()[:mark]; strings.Contains(before, "revocation store") {
		t.Logf("store lines before Redis was stopped (a stall of the machine, not this outage):\n%s", before)
	}
	log := srv.stderr.String()[mark:]
	count := func(s string) []string {
		var out []string
		for l := range strings.SplitSeq(log, "\n") {
			if strings.Contains(l, s) {
				out = append(out, l)
			}
		}
		return out
	}
	n := failed.Load()
	if n < 20 {
		t.Fatalf("only %d requests failed during the outage", n)
	}
	starts, summaries, ends := count("revocation store unavailable;"), count("revocation store still unavailable"), count("revocation store available again")
	errorLines := count("level=ERROR")
	t.Logf("%d failed requests; %d ERROR lines; log:\n%s", n, len(errorLines), log)
	if len(starts) != 1 || !strings.Contains(starts[0], "level=ERROR") {
		t.Errorf("start lines %q; want one ERROR line", starts)
	}
	if len(summaries) != 1 || !strings.Contains(summaries[0], "failed=") {
		t.Errorf("summaries %q; want one (10 s into a 12.5 s outage) with the failure count", summaries)
	}
	if len(ends) != 1 || !strings.Contains(ends[0], "level=INFO") || !strings.Contains(ends[0], "failed_total=") {
		t.Errorf("end lines %q; want one INFO line with the total", ends)
	}
	if len(errorLines) != len(starts)+len(summaries) {
		t.Errorf("%d ERROR lines for %d failed requests; want only the start and the summaries", len(errorLines), n)
	}
	// Per-request detail is at debug level, not one rung down.
	if w := count("level=WARN"); len(w) != 0 {
		t.Errorf("%d WARN lines for %d failed requests, first %q; want none", len(w), n, w[0])
	}
}
