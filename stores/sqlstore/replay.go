package sqlstore

import (
	"context"
	"time"

	"github.com/librenz/authjwt/revoke"
)

var _ revoke.ReplayGuard = (*Store)(nil)

// replayPrefix keeps DPoP replay marks apart from consumed refresh tokens
// in the consumed table: authjwt's jtis are UUIDs, and the keys authjwt
// passes are base64url digests, so no jti starts with it.
const replayPrefix = "dpop-replay:"

// FirstUse marks key used until expires, atomically across every process
// sharing the database (see [revoke.ReplayGuard]). It is a row of the
// consumed table written by the statement that marks refresh tokens used
// (INSERT … ON CONFLICT DO NOTHING on PostgreSQL and SQLite, INSERT IGNORE
// on MySQL and MariaDB, an expired row taken over by an UPDATE), so it
// needs no table of its own and [Store.DeleteExpired] removes expired marks
// with the rest.
func (s *Store) FirstUse(ctx context.Context, key string, expires time.Time) (bool, error) {
	if key == "" {
		return false, errEmptyID
	}
	first, _, _, err := s.consume(ctx, replayPrefix+key, "", expires)
	return first, err
}
