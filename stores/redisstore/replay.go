package redisstore

import (
	"context"
	"time"

	"github.com/librenz/authjwt/revoke"
)

var _ revoke.ReplayGuard = (*Store)(nil)

// replayKey is the key of a DPoP proof's replay mark.
func (s *Store) replayKey(key string) string { return s.prefix + "r:" + key }

// FirstUse marks key used until expires with one SET NX PX, atomic across
// every process sharing the Redis (see [revoke.ReplayGuard]). The time to
// live is relative to the application's clock, as for revocations, so a
// Redis whose clock runs ahead never forgets a mark early; an expiry
// already past still sets a mark of one millisecond, and [revoke.Forever]
// a mark without expiry.
func (s *Store) FirstUse(ctx context.Context, key string, expires time.Time) (bool, error) {
	if key == "" {
		return false, errEmptyID
	}
	var ttl time.Duration
	if !expires.IsZero() {
		// Rounded up to the millisecond: never shorter than asked.
		ttl = max(time.Duration(expiryMillis(expires)-s.now().UnixMilli())*time.Millisecond, time.Millisecond)
	}
	var first bool
	err := s.run(ctx, func(ctx context.Context) error {
		var err error
		first, err = s.client.SetNX(ctx, s.replayKey(key), "1", ttl).Result()
		return err
	})
	if err != nil {
		return false, err
	}
	return first, nil
}
