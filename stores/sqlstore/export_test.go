package sqlstore

import (
	"context"
	"math"
	"time"
)

// SetBeforeCommit makes every revoking transaction of s call f between
// writing its change row and committing (tests: commits out of order).
// Call it before s is in use.
func SetBeforeCommit(s *Store, f func()) { s.beforeCommit = f }

// TrimFeed trims every change of s's log, live or not, as the age-based
// trimming does once they are older than the retention.
func TrimFeed(ctx context.Context, s *Store) error {
	_, err := s.trimOld(ctx, math.MaxInt64)
	return err
}

// SetListenIdle sets how long the PostgreSQL listener of a Store made
// after it stays quiet before it pings; it returns the previous value.
// Not for parallel tests.
func SetListenIdle(d time.Duration) time.Duration {
	old := listenIdle
	listenIdle = d
	return old
}
