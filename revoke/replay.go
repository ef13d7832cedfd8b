package revoke

import (
	"context"
	"time"
)

// ReplayGuard is the optional capability that DPoP (RFC 9449 §11.1) needs
// to refuse a proof used twice: mark a key used, atomically, exactly once,
// for every process sharing the store. authjwt finds it by type
// assertion on the configured [Store] and passes, as key, a fixed-length
// digest of the proof's key thumbprint and jti (at most 64 bytes of
// base64url text), and as expires the end of the proof's acceptance
// window (its iat plus the window, the leeway and the store timeout).
//
// The marks live apart from revocations: a key marked here never
// revokes a token, and a revoked jti is never a used proof.
type ReplayGuard interface {
	// FirstUse marks key used until at least expires and reports
	// first == true to exactly one caller for a given key while the mark
	// lives, however many call concurrently and across processes; every
	// later caller gets false. Once the mark has expired the next call is
	// first again (the proof it guards is no longer accepted anyway). A
	// store that cannot answer returns an error, never true.
	FirstUse(ctx context.Context, key string, expires time.Time) (first bool, err error)
}

// replayPrefix keeps a Memory's replay marks apart from its consumed
// refresh tokens, which share the map of first uses.
const replayPrefix = "\x00dpop:"

var _ ReplayGuard = (*Memory)(nil)

// FirstUse marks key used until expires (see [ReplayGuard]); the first
// caller, while the mark lives, gets true.
func (m *Memory) FirstUse(ctx context.Context, key string, expires time.Time) (bool, error) {
	if key == "" {
		return false, errEmptyID
	}
	first, _, _, err := m.ConsumeWithSuccessor(ctx, replayPrefix+key, "", expires)
	return first, err
}
