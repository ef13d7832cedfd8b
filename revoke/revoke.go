// Package revoke defines the revocation-store contract used by authjwt and
// an in-memory implementation of it.
//
// A [Store] answers one question on every request — is this verified token
// revoked? — and records revocations: one token (by jti), a token family
// (an access/refresh pair, or every refresh token of one rotation chain), or
// every token of a subject issued up to a cutoff ("logout everywhere").
// Every method takes a context and honours its deadline. Implementations are
// safe for concurrent use. Entries carry an expiry after which no token they
// could match is still accepted; stores forget them then, and never before.
//
// Retention is the one rule on which revocation never being weaker than
// acceptance rests: authjwt passes expiries that cover the verifier's whole
// acceptance window (a token's exp plus Claims.DecodeLeeway, plus StoreTimeout for
// the query that arrives late, in whole seconds), and a store keeps every
// entry until at least that instant on the application's clock. A store
// with a coarser resolution, or a backend that expires keys on its own
// clock, rounds up: an entry may live a little longer, never shorter.
// [github.com/librenz/authjwt/revoke/storetest] fails a store that forgets
// an entry before its expiry.
//
// The contract uses standard types only, so a store in another module needs
// no more than this small package. Conformance is checked by
// [github.com/librenz/authjwt/revoke/storetest].
package revoke

import (
	"context"
	"errors"
	"time"
)

// Forever, passed as an expiry, keeps an entry until it is removed: use it
// for tokens that never expire.
var Forever = time.Time{}

// Query describes a verified token for [Store.IsRevoked]. Only values taken
// from verified claims belong here.
type Query struct {
	// JTI is the token's "jti" claim; empty for tokens without one
	// (some third-party issuers), in which case only Family and the
	// subject cutoff can match.
	JTI string
	// Family is the token's family id (the "aid" claim shared by an
	// access/refresh pair and by every token of one refresh-rotation chain);
	// empty when the token has none.
	Family string
	// Issuer and Subject are the token's "iss" and "sub" claims; the
	// subject cutoff is kept per issuer and subject.
	Issuer  string
	Subject string // see Issuer
	// IssuedAt is when the token was issued, to the millisecond: its "iat"
	// (with its fraction, if any), which authjwt refines within iat's
	// second by the time in its jti, a UUID version 7; a whole-second iat
	// otherwise stands for the start of its second. A
	// token is revoked by a subject cutoff when IssuedAt, truncated to the
	// millisecond, is at or before the cutoff. A zero IssuedAt is treated as
	// issued at the Unix epoch, so a subject cutoff always matches a token
	// that does not say when it was issued.
	IssuedAt time.Time
}

// Store records and answers revocations.
type Store interface {
	// RevokeToken revokes the token with the given jti. The entry must be
	// kept until at least expires (the end of the token's acceptance) and
	// may be forgotten after it; [Forever] keeps it.
	RevokeToken(ctx context.Context, jti string, expires time.Time) error
	// RevokeFamily revokes every token carrying the family id. The entry
	// must be kept until at least expires (the end of acceptance of the
	// family's latest-expiring token) and may be forgotten after it.
	RevokeFamily(ctx context.Context, family string, expires time.Time) error
	// RevokeSubject revokes every token of (issuer, subject) issued at or
	// before cutoff, with millisecond resolution (cutoff is truncated to the
	// millisecond; a store must keep at least that resolution, or a new
	// login in the same second as "log out everywhere" is refused). A later
	// call with an earlier cutoff never lowers a stored cutoff. The entry must be kept until at least expires (the end of
	// acceptance of the last token the cutoff refuses) and may be
	// forgotten after it; [Forever] keeps it.
	RevokeSubject(ctx context.Context, issuer, subject string, cutoff, expires time.Time) error
	// IsRevoked reports whether the token described by q is revoked by any
	// entry: its jti, its family, or its subject's cutoff. A store that
	// cannot answer returns an error, never false.
	IsRevoked(ctx context.Context, q Query) (bool, error)
}

// Consumer is the optional capability refresh-token rotation needs: mark a
// refresh token used, atomically, exactly once.
type Consumer interface {
	// Consume marks jti as used until at least expires (the end of the
	// refresh token's acceptance). It reports first == true
	// to exactly one caller for a given jti, however many call concurrently
	// and across processes sharing the store; later callers get false and
	// the time of the first use (so a caller can apply a grace window).
	Consume(ctx context.Context, jti string, expires time.Time) (first bool, usedAt time.Time, err error)
}

// SuccessorConsumer is the optional capability that makes refresh-token
// rotation retry-safe: the consume of a refresh token records, in the same
// atomic step, the successor issued for it, and a later consume of the
// same token returns that successor instead of letting the caller mint
// another. authjwt finds it by type assertion; a store implementing it
// implements [Consumer] too, and the two share their marks.
type SuccessorConsumer interface {
	// ConsumeWithSuccessor marks jti used until expires, as
	// [Consumer.Consume] does, and records successor with the mark. The
	// one caller that gets first == true has recorded its own successor
	// (returned as recorded); every later caller, while the mark lives,
	// gets first == false, the first use time and the successor the first
	// caller recorded ("" when the mark was made by Consume). successor is
	// text opaque to the store, at most [MaxSuccessorLen] bytes.
	ConsumeWithSuccessor(ctx context.Context, jti, successor string, expires time.Time) (first bool, usedAt time.Time, recorded string, err error)
}

// MaxSuccessorLen is the longest successor a [SuccessorConsumer] must
// keep.
const MaxSuccessorLen = 512

// Closer is implemented by stores that hold background work (a cleanup
// goroutine, a connection pool they own). Close stops it.
type Closer interface {
	// Close stops the store's background work.
	Close() error
}

// ErrUnavailable may be wrapped by stores to say that the backend could not
// be reached; authjwt treats every store error as unavailability anyway.
var ErrUnavailable = errors.New("revoke: store unavailable")

// Func adapts a plain function to the [Store.IsRevoked] half of the
// contract, like the seed's token_in_denylist_loader: the application keeps
// revocations itself. Its Revoke* methods return [ErrNotSupported].
type Func func(ctx context.Context, q Query) (bool, error)

// ErrNotSupported is returned by stores that cannot perform an operation.
var ErrNotSupported = errors.New("revoke: operation not supported by this store")

// IsRevoked calls f.
func (f Func) IsRevoked(ctx context.Context, q Query) (bool, error) { return f(ctx, q) }

// RevokeToken returns ErrNotSupported.
func (f Func) RevokeToken(context.Context, string, time.Time) error { return ErrNotSupported }

// RevokeFamily returns ErrNotSupported.
func (f Func) RevokeFamily(context.Context, string, time.Time) error { return ErrNotSupported }

// RevokeSubject returns ErrNotSupported.
func (f Func) RevokeSubject(context.Context, string, string, time.Time, time.Time) error {
	return ErrNotSupported
}

var _ Store = Func(nil)
