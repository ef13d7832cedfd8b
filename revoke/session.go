package revoke

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"
)

// Session is the metadata of one login: the refresh token issued at the
// login and every token refreshed from it (its family) belong to it, and
// its ID is the family id ("aid") those tokens carry. authjwt records it
// when a pair is issued at login ([SessionStore.CreateSession]) and ends
// it by revoking the family ([Store.RevokeFamily]) through the same store.
//
// Every string is valid UTF-8 and at most as long as its Max…Len
// constant; authjwt never passes more (it truncates the user agent and
// refuses longer labels), and a store may refuse more with an error.
type Session struct {
	// ID is the session's family id, at most [MaxSessionIDLen] bytes.
	ID string
	// Issuer and Subject are the "iss" (empty for tokens without one) and
	// "sub" of the session's tokens: sessions are kept per (Issuer,
	// Subject), like subject cutoffs, and no call reaches the session of
	// another pair.
	Issuer  string
	Subject string // see Issuer
	// CreatedAt is when the login's tokens were issued, to the
	// millisecond: the IssuedAt of their [Query]. A subject cutoff at or
	// after it hides the session (see [SessionStore]).
	CreatedAt time.Time
	// LastUsedAt is when the session last refreshed (or, throttled, used
	// an access token); CreatedAt until then. Millisecond resolution.
	LastUsedAt time.Time
	// Expires is when the session's tokens can no longer be accepted (the
	// same rule as every revocation entry's expiry: the family's last exp
	// plus leeway plus the store timeout, whole seconds). A store keeps the
	// session until at least then, hides it from then on, and may forget
	// it after it. [Forever] keeps it until it is deleted or hidden.
	Expires time.Time
	// AuthTime is when the user authenticated ("auth_time"), zero when
	// unknown; AuthMethod how (e.g. "pwd", "otp", "webauthn"), empty when
	// unknown, at most [MaxAuthMethodLen] bytes. Millisecond resolution.
	AuthTime   time.Time
	AuthMethod string // see AuthTime
	// UserAgent is the login request's User-Agent, at most
	// [MaxUserAgentLen] bytes; ClientIP its client address (the peer's,
	// or a trusted proxy header's when configured), at most
	// [MaxClientIPLen] bytes; Label a name the application gave the
	// session ("Alice's phone"), at most [MaxSessionLabelLen] bytes. Each
	// is empty when unknown.
	UserAgent string
	ClientIP  string // see UserAgent
	Label     string // see UserAgent
}

// The longest values of a [Session]'s fields a [SessionStore] must keep
// (in bytes): together at most about 1 KiB per session.
const (
	MaxSessionIDLen    = 128
	MaxUserAgentLen    = 512
	MaxClientIPLen     = 64
	MaxSessionLabelLen = 128
	MaxAuthMethodLen   = 64
)

// Validate reports what is wrong with s for [SessionStore.CreateSession],
// the rule every session store applies: an empty ID or Subject, a field
// longer than its Max…Len constant or a string that is not valid UTF-8 is
// an error (one of its own for each, prefixed "revoke: "); nil otherwise.
// A store wraps the error with its own prefix, and may refuse more
// (e.g. an issuer longer than it keeps).
func (s Session) Validate() error {
	switch {
	case s.ID == "":
		return errEmptyID
	case s.Subject == "":
		return errors.New("revoke: session without a subject")
	case len(s.ID) > MaxSessionIDLen:
		return errors.New("revoke: session id longer than MaxSessionIDLen")
	case len(s.UserAgent) > MaxUserAgentLen:
		return errors.New("revoke: session user agent longer than MaxUserAgentLen")
	case len(s.ClientIP) > MaxClientIPLen:
		return errors.New("revoke: session client address longer than MaxClientIPLen")
	case len(s.Label) > MaxSessionLabelLen:
		return errors.New("revoke: session label longer than MaxSessionLabelLen")
	case len(s.AuthMethod) > MaxAuthMethodLen:
		return errors.New("revoke: session auth method longer than MaxAuthMethodLen")
	}
	for _, v := range []string{s.ID, s.Issuer, s.Subject, s.UserAgent, s.ClientIP, s.Label, s.AuthMethod} {
		if !utf8.ValidString(v) {
			return errors.New("revoke: session field is not UTF-8")
		}
	}
	return nil
}

// MaxSessionPage is the largest page [SessionStore.ListSessions] must
// return; authjwt never asks for more.
const MaxSessionPage = 100

// CheckSessionLimit reports whether limit is a page size
// [SessionStore.ListSessions] accepts: nil for 1 to [MaxSessionPage], an
// error (prefixed "revoke: ", for a store to wrap with its own) otherwise.
func CheckSessionLimit(limit int) error {
	if limit < 1 || limit > MaxSessionPage {
		return errSessionLimit
	}
	return nil
}

var errSessionLimit = errors.New("revoke: ListSessions limit outside 1..MaxSessionPage")

// SessionCursor is a position in a subject's sessions, newest first:
// (CreatedAt, ID) of the last session of the previous page. The zero
// cursor is the start (the newest session).
type SessionCursor struct {
	CreatedAt time.Time // millisecond resolution
	ID        string    // the session's id
}

// IsZero reports whether c is the start.
func (c SessionCursor) IsZero() bool { return c.CreatedAt.IsZero() && c.ID == "" }

// ErrSessionNotFound is returned by [SessionStore.GetSession] when the id
// is not a live session of that issuer and subject: never stored, stored
// for another subject, deleted, expired or ended (hidden).
var ErrSessionNotFound = errors.New("revoke: session not found")

// SessionStore is the optional capability sessions need, implemented by a
// [Store] beside its revocations ("where you're signed in": list a
// subject's logins, end one). authjwt finds it by type assertion, as it
// does [Consumer], and calls it only through its revoker, under the store
// timeout. Every method takes a context and honours its deadline.
//
// Live sessions. A stored session is live, and the only kind any method
// returns or counts, unless it is hidden:
//
//   - expired: its Expires is past on the application's clock;
//   - ended: the store holds a live [Store.RevokeFamily] entry for its
//     ID;
//   - cut off: the store holds a live [Store.RevokeSubject] cutoff for its
//     (Issuer, Subject) at or after its CreatedAt (both truncated to the
//     millisecond), as a token issued then would be refused. A session
//     created a millisecond after the cutoff (a login right after "log
//     out everywhere") stays live.
//
// So a session whose tokens the store refuses is never listed, however it
// was ended (logout, log out everywhere, reuse detection, an application's
// own RevokeFamily), even if deleting its metadata afterwards failed. A
// store may delete a session as soon as it is hidden, and must forget it
// after its Expires, like any revocation entry; [SessionStore.CreateSession]
// removes the subject's hidden sessions, so what a subject holds stays
// bounded by the cap plus the sessions hidden since its last login.
//
// Sessions of one (Issuer, Subject) are ordered newest first: CreatedAt
// descending, then ID descending (byte order) for equal times.
type SessionStore interface {
	// CreateSession records s (a new login), replacing a stored session
	// of the same (Issuer, Subject, ID). CreatedAt, LastUsedAt and
	// AuthTime are kept to the millisecond (truncated); Expires as the
	// revocation expiries are (rounded up, never down). An empty ID or
	// Subject, or a field longer than its limit, is an error.
	//
	// When max > 0 and the subject then has more than max live sessions,
	// it returns those of its other live sessions that are not among the
	// max-1 newest, oldest first: never s itself, even when s is the
	// oldest, so that ending them leaves s and max-1 others. It does not
	// delete them: the caller ends each (revokes its family, then deletes
	// it). max <= 0 sets no cap.
	CreateSession(ctx context.Context, s Session, max int) (over []Session, err error)
	// TouchSession sets the LastUsedAt of the live session id of (issuer,
	// subject) to at, unless it is already later. A session that is not
	// live is left alone, and that is not an error.
	TouchSession(ctx context.Context, issuer, subject, id string, at time.Time) error
	// GetSession returns the live session id of (issuer, subject), or
	// [ErrSessionNotFound] (wrapped or not) when there is none: a live
	// session of another subject or issuer is not found.
	GetSession(ctx context.Context, issuer, subject, id string) (Session, error)
	// ListSessions returns up to limit (1 to [MaxSessionPage]) live
	// sessions of (issuer, subject) that come after the cursor, newest
	// first; fewer than limit means there are no more. A session created
	// or ended meanwhile may or may not appear on a later page; none
	// appears twice within one walk unless it was created again.
	ListSessions(ctx context.Context, issuer, subject string, after SessionCursor, limit int) ([]Session, error)
	// DeleteSession forgets the session id of (issuer, subject), live or
	// not. Deleting one that is not stored is not an error. Deleting
	// metadata ends nothing: the caller revokes the family first.
	DeleteSession(ctx context.Context, issuer, subject, id string) error
}
