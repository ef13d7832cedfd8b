package authjwt

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Store outage logging. A store that is down fails every request that
// needs it; one ERROR line per request buried the log (43,307 lines in a
// 10 s outage). Instead, an outage logs once when it starts (ERROR, with
// the first error), a summary every outageSummaryEvery while it lasts
// (ERROR: failures since the last line, and the latest error), and once
// when it ends (INFO: how long it lasted, how many requests failed).
// Per-request detail is at DEBUG level.
const (
	// outageSummaryEvery is how often an ongoing outage is summed up.
	outageSummaryEvery = 10 * time.Second
	// outageQuiet is how long the store must go without failing before a
	// success ends the outage, so that a store failing every other call
	// is one outage with summaries, not a start and an end line per
	// request.
	outageQuiet = time.Second
)

// storeHealth follows the revocation store's failures and successes and
// logs outages as described above. The success path, taken by every
// verification with the denylist on, is one atomic load while the store
// is healthy.
type storeHealth struct {
	down atomic.Bool // an outage is ongoing

	mu          sync.Mutex
	start       time.Time // first failure of the outage
	lastFailure time.Time
	lastLine    time.Time // start or last summary
	failed      int64     // failures during the outage
	sinceLine   int64     // failures since lastLine
	failedOpen  int64     // of those, tokens accepted unchecked (UnsafeRevocationFailOpen)
	lastErr     string

	// every and quiet are outageSummaryEvery and outageQuiet; tests
	// shorten them.
	every, quiet time.Duration
}

// failure records a failed store call (op names it: "check", "revoke",
// "consume") and logs the start of an outage or a summary when one is due.
// failOpen reports that the token was accepted anyway.
func (h *storeHealth) failure(ctx context.Context, log *slog.Logger, op string, err error, failOpen bool) {
	now := time.Now()
	msg := err.Error()
	if log.Enabled(ctx, slog.LevelDebug) {
		log.DebugContext(ctx, "authjwt: revocation store failed", "op", op, "error", msg)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastFailure, h.lastErr = now, msg
	if !h.down.Load() {
		h.start, h.lastLine, h.failed, h.sinceLine, h.failedOpen = now, now, 1, 0, 0
		h.down.Store(true)
		args := []any{"op", op, "error", msg}
		if failOpen {
			args = append(args, "fail_open", true)
			log.ErrorContext(ctx, "authjwt: revocation store unavailable; accepting tokens unchecked until it answers (UnsafeRevocationFailOpen)", args...)
			return
		}
		log.ErrorContext(ctx, "authjwt: revocation store unavailable; requests that need it fail with 503 until it answers", args...)
		return
	}
	h.failed++
	h.sinceLine++
	if failOpen {
		h.failedOpen++
	}
	if now.Sub(h.lastLine) < h.summaryEvery() {
		return
	}
	args := []any{"failed", h.sinceLine, "since_last", now.Sub(h.lastLine).Round(time.Millisecond).String(),
		"failed_total", h.failed, "down_for", now.Sub(h.start).Round(time.Millisecond).String(), "error", msg}
	if h.failedOpen > 0 {
		args = append(args, "accepted_unchecked", h.failedOpen)
	}
	log.ErrorContext(ctx, "authjwt: revocation store still unavailable", args...)
	h.lastLine, h.sinceLine, h.failedOpen = now, 0, 0
}

// success records a store call that answered, and logs the end of an
// ongoing outage once the store has gone outageQuiet without failing.
func (h *storeHealth) success(ctx context.Context, log *slog.Logger) {
	if !h.down.Load() {
		return
	}
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down.Load() || now.Sub(h.lastFailure) < h.quietFor() {
		return
	}
	h.down.Store(false)
	log.InfoContext(ctx, "authjwt: revocation store available again",
		"down_for", h.lastFailure.Sub(h.start).Round(time.Millisecond).String(), "failed_total", h.failed, "last_error", h.lastErr)
	h.failed, h.sinceLine, h.failedOpen = 0, 0, 0
}

func (h *storeHealth) summaryEvery() time.Duration {
	if h.every > 0 {
		return h.every
	}
	return outageSummaryEvery
}

func (h *storeHealth) quietFor() time.Duration {
	if h.quiet > 0 {
		return h.quiet
	}
	return outageQuiet
}
