package authjwt

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/librenz/authjwt/revoke"
)

// Sessions: every login is a session a user can see and end ("where
// you're signed in"). A session is the family of the pair issued at login
// ([Auth.StartSession]); its id is the family id ("aid") every token of
// it carries. Its metadata lives in the revocation store beside the
// revocations ([revoke.SessionStore]), and ending it revokes the family,
// so every instance sharing the store refuses its tokens at once. See
// docs/sessions.md.

// DefaultMaxSessions is the default of [SessionConfig.MaxPerSubject].
const DefaultMaxSessions = 100

// maxSessionsLimit is the largest MaxPerSubject accepted.
const maxSessionsLimit = 10000

// DefaultSessionPage is the page size of [Auth.Sessions] when none is
// asked for; [revoke.MaxSessionPage] is the largest.
const DefaultSessionPage = 50

// SessionConfig configures sessions.
type SessionConfig struct {
	// Enabled turns sessions on (AUTHJWT_SESSIONS_ENABLED): [Auth.StartSession]
	// records one per login and refreshes update its last use. The
	// revocation store must implement [revoke.SessionStore] (memory,
	// Redis and SQL stores do); [New] refuses one that does not.
	Enabled bool
	// MaxPerSubject caps the live sessions of one subject
	// (AUTHJWT_SESSIONS_MAX_PER_SUBJECT; default [DefaultMaxSessions], at
	// most 10000): a login beyond it ends the subject's oldest sessions
	// (by creation time), so that the new one and MaxPerSubject-1 others
	// remain.
	MaxPerSubject int
	// ClientIPHeader names a request header set by a trusted reverse proxy
	// that carries the client's address (AUTHJWT_SESSIONS_CLIENT_IP_HEADER;
	// e.g. "X-Real-IP"; default none: the peer address of the
	// connection). When the header holds a list ("X-Forwarded-For"), its
	// last entry is taken: the one the proxy in front of this server
	// appended. A value that is not an IP address is ignored for the peer
	// address. Name it only when every request comes through such a
	// proxy, which must overwrite or append to the header: a client can
	// send any header it likes.
	ClientIPHeader string
	// TrackAccess updates a session's last use from its access tokens too
	// (AUTHJWT_SESSIONS_TRACK_ACCESS; default off: from refreshes only):
	// at most once a minute per session and process, in the background
	// after the request's check, bounded by the store timeout.
	TrackAccess bool
	// OnEvent, when set, is called when a session starts and when
	// StartSession, EndSession, EndSubjectSession or EndOtherSessions end
	// one (see [SessionEvent]): to tell the user about a new sign-in. It
	// runs on the request's goroutine: it must be fast and must not block.
	OnEvent func(ctx context.Context, ev SessionEvent)
}

func (c *SessionConfig) validate() error {
	if c.MaxPerSubject < 0 || c.MaxPerSubject > maxSessionsLimit {
		return settingError("Sessions.MaxPerSubject", "%d is outside 1..%d", c.MaxPerSubject, maxSessionsLimit)
	}
	if c.ClientIPHeader != "" && !validHeaderName(c.ClientIPHeader) {
		return settingError("Sessions.ClientIPHeader", "%q is not a header name", c.ClientIPHeader)
	}
	return nil
}

// validHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}

// Session is one login as [Auth.Sessions] lists it. The JSON names are
// the reference server's.
type Session struct {
	// ID is the session's id: the family id ("aid") of its tokens.
	ID string `json:"id"`
	// CreatedAt is when the login's tokens were issued; LastUsedAt when
	// the session last refreshed (or used an access token, with
	// Sessions.TrackAccess), to the millisecond.
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"` // see CreatedAt
	// UserAgent and ClientIP are the login request's User-Agent (at most
	// 512 bytes) and client address; empty when unknown.
	UserAgent string `json:"user_agent"`
	ClientIP  string `json:"client_ip"` // see UserAgent
	// Current reports the session of the token the list was asked with.
	Current bool `json:"current"`
	// Label, AuthTime and AuthMethod are what the application gave
	// StartSession ([SessionInfo]); empty or zero when not.
	Label      string    `json:"label,omitempty"`
	AuthTime   time.Time `json:"auth_time,omitzero"`    // see Label
	AuthMethod string    `json:"auth_method,omitempty"` // see Label
	// Issuer and Subject are whose session it is.
	Issuer  string `json:"-"`
	Subject string `json:"-"` // see Issuer
}

// SessionInfo is what the application knows about a login beyond the
// request: all optional.
type SessionInfo struct {
	// Label names the session for its user ("Work laptop"); at most
	// [revoke.MaxSessionLabelLen] bytes of UTF-8.
	Label string
	// AuthTime is when the user authenticated (zero: the login's time);
	// AuthMethod how ("pwd", "otp", "webauthn", …; at most
	// [revoke.MaxAuthMethodLen] bytes).
	AuthTime   time.Time
	AuthMethod string // see AuthTime
}

// SessionPage is one page of a subject's live sessions, newest first.
type SessionPage struct {
	// Sessions are the page's sessions.
	Sessions []Session `json:"sessions"`
	// Next is the cursor of the next page; empty when this is the last.
	Next string `json:"next,omitempty"`
}

// Kinds of [SessionEvent].
const (
	SessionStarted = "started"
	SessionEnded   = "ended"
)

// SessionEvent tells [SessionConfig.OnEvent] about a session.
type SessionEvent struct {
	// Kind is [SessionStarted] or [SessionEnded].
	Kind string
	// Session is the session (Current is false).
	Session Session
	// Reason says why a session ended: "ended" (EndSession,
	// EndSubjectSession), "others" (EndOtherSessions) or "cap" (a login
	// beyond Sessions.MaxPerSubject). Empty for SessionStarted.
	Reason string
}

// sessionsOn returns ErrSessionsDisabled unless sessions are enabled and
// their end would be enforced.
func (r *revoker) sessionsOn() error {
	if !r.sessionsEnabled || r.sess == nil {
		return ErrSessionsDisabled
	}
	return r.enforced(true, true)
}

// StartSession issues a pair for subject at a login and records its
// session, taking the user agent and client address from r (see
// [SessionConfig.ClientIPHeader]); the pair's Family is the session's id.
// opts are CreatePair's. It fails with [ErrSessionsDisabled] when sessions
// are off, and with [ErrStoreUnavailable] when the store cannot record
// the session (the pair is then not returned). A login beyond
// Sessions.MaxPerSubject ends the subject's oldest sessions; failing to
// end them is logged, not returned (the next login tries again).
func (a *Auth) StartSession(r *http.Request, subject string, info SessionInfo, opts ...TokenOption) (Pair, error) {
	if err := a.rev.sessionsOn(); err != nil {
		return Pair{}, err
	}
	switch {
	case subject == "":
		return Pair{}, ErrInvalidTokenOption.with(nil, "A session needs a subject")
	case len(info.Label) > revoke.MaxSessionLabelLen || !utf8.ValidString(info.Label):
		return Pair{}, ErrInvalidTokenOption.with(nil, "Session label longer than 128 bytes or not UTF-8")
	case len(info.AuthMethod) > revoke.MaxAuthMethodLen || !utf8.ValidString(info.AuthMethod):
		return Pair{}, ErrInvalidTokenOption.with(nil, "Session auth method longer than 64 bytes or not UTF-8")
	}
	ctx := r.Context()
	pair, err := a.CreatePairContext(ctx, subject, opts...)
	if err != nil {
		return Pair{}, err
	}
	if len(pair.Family) > revoke.MaxSessionIDLen {
		return Pair{}, ErrInvalidTokenOption.with(nil, "Session id (WithFamily) longer than 128 bytes")
	}
	created := time.UnixMilli(pair.access.at)
	s := revoke.Session{
		ID: pair.Family, Issuer: pair.access.iss, Subject: subject,
		CreatedAt: created, LastUsedAt: created,
		Expires:  a.rev.familyEnd(pair.access.exp, pair.refresh.exp),
		AuthTime: info.AuthTime, AuthMethod: info.AuthMethod, Label: info.Label,
		UserAgent: clipUTF8(r.UserAgent(), revoke.MaxUserAgentLen),
		ClientIP:  a.rev.clientIP(r),
	}
	if s.AuthTime.IsZero() {
		s.AuthTime = created
	}
	over, err := a.rev.createSession(ctx, s, a.rev.maxSessions)
	if err != nil {
		return Pair{}, err
	}
	for _, o := range over {
		if err := a.rev.endSession(ctx, o); err != nil {
			a.log.WarnContext(ctx, "authjwt: could not end a session beyond Sessions.MaxPerSubject", "sub", subject, "session", o.ID, "error", err)
			continue
		}
		a.rev.sessionEvent(ctx, SessionEnded, o, "cap")
	}
	a.rev.sessionEvent(ctx, SessionStarted, s, "")
	return pair, nil
}

// Sessions returns a page of the live sessions of t's subject (and
// issuer), newest first, with the session of t marked Current. cursor is
// a previous page's Next ("" for the first page), limit the page size (0:
// [DefaultSessionPage]; at most [revoke.MaxSessionPage]). A cursor that
// is not one is [ErrBadSessionCursor].
func (a *Auth) Sessions(ctx context.Context, t *Token, cursor string, limit int) (SessionPage, error) {
	if t == nil {
		return SessionPage{}, ErrMissingToken
	}
	return a.rev.sessionPage(ctx, t.c.Iss(), t.c.Sub(), t.c.Aid(), cursor, limit)
}

// SubjectSessions is [Auth.Sessions] for any subject of issuer (our
// tokens' issuer: Config.Claims.EncodeIssuer, "" when none): for an
// administrator's route, which the application guards.
func (a *Auth) SubjectSessions(ctx context.Context, issuer, subject, cursor string, limit int) (SessionPage, error) {
	return a.rev.sessionPage(ctx, issuer, subject, "", cursor, limit)
}

// Session returns the live session id of t's subject, or
// [ErrSessionNotFound] (404): for an id of another subject too.
func (a *Auth) Session(ctx context.Context, t *Token, id string) (Session, error) {
	if t == nil {
		return Session{}, ErrMissingToken
	}
	if err := a.rev.sessionsOn(); err != nil {
		return Session{}, err
	}
	if !plausibleSessionID(id) {
		return Session{}, ErrSessionNotFound
	}
	s, err := a.rev.getSession(ctx, t.c.Iss(), t.c.Sub(), id)
	if err != nil {
		return Session{}, err
	}
	return publicSession(s, t.c.Aid()), nil
}

// EndSession ends the live session id of t's subject: its family is
// revoked (every instance sharing the store refuses its tokens) and its
// metadata deleted. An id that is not a live session of that subject —
// another subject's, an ended or made-up one — is [ErrSessionNotFound]
// (404) and ends nothing. t's own session may be ended too.
func (a *Auth) EndSession(ctx context.Context, t *Token, id string) error {
	if t == nil {
		return ErrMissingToken
	}
	return a.EndSubjectSession(ctx, t.c.Iss(), t.c.Sub(), id)
}

// EndSubjectSession is [Auth.EndSession] for any subject of issuer: for
// an administrator's route, which the application guards.
func (a *Auth) EndSubjectSession(ctx context.Context, issuer, subject, id string) error {
	if err := a.rev.sessionsOn(); err != nil {
		return err
	}
	if !plausibleSessionID(id) {
		return ErrSessionNotFound
	}
	s, err := a.rev.getSession(ctx, issuer, subject, id)
	if err != nil {
		return err
	}
	if err := a.rev.endSession(ctx, s); err != nil {
		return err
	}
	a.rev.sessionEvent(ctx, SessionEnded, s, "ended")
	return nil
}

// EndOtherSessions ends every live session of t's subject but t's own
// ("sign out all other devices") and reports how many it ended. A token
// without a family (one from CreateAccessToken, not from a login's pair)
// belongs to no session, so every session ends. The first store failure
// stops it with [ErrStoreUnavailable]; the sessions ended until then stay
// ended.
func (a *Auth) EndOtherSessions(ctx context.Context, t *Token) (int, error) {
	if t == nil {
		return 0, ErrMissingToken
	}
	if err := a.rev.sessionsOn(); err != nil {
		return 0, err
	}
	iss, sub, current := t.c.Iss(), t.c.Sub(), t.c.Aid()
	var others []revoke.Session
	var cur revoke.SessionCursor
	// Bounded: a subject holds at most MaxPerSubject live sessions, and
	// sessions started meanwhile come before the cursor.
	for range maxSessionsLimit/revoke.MaxSessionPage + 1 {
		page, err := a.rev.listSessions(ctx, iss, sub, cur, revoke.MaxSessionPage)
		if err != nil {
			return 0, err
		}
		for _, s := range page {
			if s.ID != current {
				others = append(others, s)
			}
		}
		if len(page) < revoke.MaxSessionPage {
			break
		}
		last := page[len(page)-1]
		cur = revoke.SessionCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	for i, s := range others {
		if err := a.rev.endSession(ctx, s); err != nil {
			return i, err
		}
		a.rev.sessionEvent(ctx, SessionEnded, s, "others")
	}
	return len(others), nil
}

// EndAllSessions ends every session of t's subject, t's own included:
// [Auth.RevokeSubject] of its issuer and subject ("log out everywhere"),
// whose cutoff hides every session created until now. A login right
// after it, even within the same millisecond's second, starts a live
// session.
func (a *Auth) EndAllSessions(ctx context.Context, t *Token) error {
	if t == nil {
		return ErrMissingToken
	}
	return a.rev.revokeSubject(ctx, t.c.Iss(), t.c.Sub())
}

// plausibleSessionID reports whether id could be a session id: a guess
// that cannot is not found without asking the store.
func plausibleSessionID(id string) bool {
	return id != "" && len(id) <= revoke.MaxSessionIDLen && utf8.ValidString(id)
}

func publicSession(s revoke.Session, current string) Session {
	return Session{
		ID: s.ID, CreatedAt: s.CreatedAt.UTC(), LastUsedAt: s.LastUsedAt.UTC(),
		UserAgent: s.UserAgent, ClientIP: s.ClientIP, Current: current != "" && s.ID == current,
		Label: s.Label, AuthTime: utcOrZero(s.AuthTime), AuthMethod: s.AuthMethod,
		Issuer: s.Issuer, Subject: s.Subject,
	}
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// sessionPage lists a page of (issuer, subject)'s live sessions, marking
// current.
func (r *revoker) sessionPage(ctx context.Context, issuer, subject, current, cursor string, limit int) (SessionPage, error) {
	if err := r.sessionsOn(); err != nil {
		return SessionPage{}, err
	}
	switch {
	case limit == 0:
		limit = DefaultSessionPage
	case limit < 0:
		return SessionPage{}, ErrBadSessionCursor.with(nil, "Session page size must be positive")
	case limit > revoke.MaxSessionPage:
		limit = revoke.MaxSessionPage
	}
	after, ok := parseSessionCursor(cursor)
	if !ok {
		return SessionPage{}, ErrBadSessionCursor
	}
	page, err := r.listSessions(ctx, issuer, subject, after, limit)
	if err != nil {
		return SessionPage{}, err
	}
	out := SessionPage{Sessions: make([]Session, len(page))}
	for i, s := range page {
		out.Sessions[i] = publicSession(s, current)
	}
	if len(page) == limit {
		last := page[len(page)-1]
		out.Next = sessionCursor(last.CreatedAt, last.ID)
	}
	return out, nil
}

// sessionCursor encodes a position: base64url of "<ms>.<id>".
func sessionCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMilli(), 10) + "." + id))
}

func parseSessionCursor(c string) (revoke.SessionCursor, bool) {
	if c == "" {
		return revoke.SessionCursor{}, true
	}
	if len(c) > 256 {
		return revoke.SessionCursor{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return revoke.SessionCursor{}, false
	}
	msText, id, ok := strings.Cut(string(b), ".")
	ms, err := strconv.ParseInt(msText, 10, 64)
	if !ok || err != nil || ms <= 0 || !plausibleSessionID(id) {
		return revoke.SessionCursor{}, false
	}
	return revoke.SessionCursor{CreatedAt: time.UnixMilli(ms), ID: id}, true
}

// endSession ends s: its family is revoked until the session's own
// expiry (the family's end of acceptance), then its metadata is deleted.
// The revocation is what ends it; a failure to delete afterwards is
// logged, since the revocation hides the session already.
func (r *revoker) endSession(ctx context.Context, s revoke.Session) error {
	if err := r.revokeFamilyID(ctx, s.ID, s.Expires); err != nil {
		return err
	}
	r.forgetSession(ctx, s.Issuer, s.Subject, s.ID)
	return nil
}

// forgetSession deletes the metadata of a session whose family was just
// revoked, when sessions are on.
func (r *revoker) forgetSession(ctx context.Context, issuer, subject, id string) {
	if !r.sessionsEnabled || r.sess == nil || id == "" {
		return
	}
	if err := r.deleteSession(ctx, issuer, subject, id); err != nil {
		r.log.DebugContext(ctx, "authjwt: could not delete an ended session's metadata (its revocation hides it)", "session", id, "error", err)
	}
}

// familyEnd returns until when a session whose login tokens expire at
// accessExp and refreshExp (Unix seconds, 0: never) must be kept: the
// retention rule of revocations (keepUntil) at the last exp any token of
// the family can have. Rotation never lets a token outlive the refresh
// token's exp; without it, a refresh just before refreshExp mints an
// access token of the full access lifetime, so the family lasts until
// refreshExp plus that lifetime. (A per-call WithExpiry on a refresh
// longer than the configured lifetime is not covered, as for
// [Auth.RevokeFamily].)
func (r *revoker) familyEnd(accessExp, refreshExp int64) time.Time {
	if accessExp == 0 || refreshExp == 0 || r.life.access == Never {
		return revoke.Forever
	}
	end := max(accessExp, refreshExp)
	if !r.rotation {
		end = max(end, refreshExp+seconds(r.life.access))
	}
	return r.keepUntil(end)
}

// touchRefresh records the use of refresh (a refresh of its session) at
// now. The refresh is answered anyway: a failure is in the outage log.
func (r *revoker) touchRefresh(ctx context.Context, refresh *Token, now time.Time) {
	if !r.sessionsEnabled || r.sess == nil || refresh.c.Aid() == "" {
		return
	}
	_ = r.touchSession(ctx, refresh.c.Iss(), refresh.c.Sub(), refresh.c.Aid(), now)
}

// touchAccess records, at most once a minute per session and process, the
// use of the access token t (Sessions.TrackAccess), in the background.
func (r *revoker) touchAccess(ctx context.Context, t *Token) {
	family := t.c.Aid()
	if family == "" {
		return
	}
	now := r.clk.now()
	if !r.touched.first(family, now) {
		return
	}
	iss, sub, family := strings.Clone(t.c.Iss()), strings.Clone(t.c.Sub()), strings.Clone(family)
	ctx = context.WithoutCancel(ctx)
	go func() { _ = r.touchSession(ctx, iss, sub, family, now) }()
}

// touchThrottle remembers the sessions touched in the current minute:
// one generation, dropped when the minute changes, so it holds at most
// the sessions active within a minute.
type touchThrottle struct {
	mu     sync.RWMutex
	minute int64
	seen   map[string]struct{}
}

// first reports whether family is seen for the first time in now's
// minute, and remembers it.
func (tt *touchThrottle) first(family string, now time.Time) bool {
	m := now.Unix() / 60
	tt.mu.RLock()
	_, seen := tt.seen[family]
	same := tt.minute == m
	tt.mu.RUnlock()
	if seen && same {
		return false
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.minute != m {
		tt.minute, tt.seen = m, make(map[string]struct{})
	}
	if _, ok := tt.seen[family]; ok {
		return false
	}
	tt.seen[strings.Clone(family)] = struct{}{}
	return true
}

// clientIP returns r's client address: the last entry of the trusted
// header when one is configured and holds an IP address, else the
// connection's peer address.
func (r *revoker) clientIP(req *http.Request) string {
	if r.ipHeader != "" {
		v := req.Header.Values(r.ipHeader)
		if len(v) > 0 {
			last := v[len(v)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.String()
	}
	return clipUTF8(host, revoke.MaxClientIPLen)
}

// clipUTF8 returns s as valid UTF-8 of at most n bytes, cut at a rune
// boundary.
func clipUTF8(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// sessionEvent tells Sessions.OnEvent, if set, about s.
func (r *revoker) sessionEvent(ctx context.Context, kind string, s revoke.Session, reason string) {
	if r.onSession != nil {
		r.onSession(ctx, SessionEvent{Kind: kind, Session: publicSession(s, ""), Reason: reason})
	}
}

// setSessions applies the session settings; the store must keep sessions
// when they are enabled.
func (r *revoker) setSessions(c *SessionConfig) error {
	r.maxSessions, r.ipHeader, r.onSession = c.MaxPerSubject, c.ClientIPHeader, c.OnEvent
	if !c.Enabled {
		return nil
	}
	if r.s == nil {
		return settingError("Sessions.Enabled", "sessions need a revocation store (Revocation.Store)")
	}
	if r.sess == nil {
		return settingError("Sessions.Enabled", "the revocation store (%T) does not implement revoke.SessionStore", r.s)
	}
	r.sessionsEnabled = true
	if c.TrackAccess {
		r.touched = &touchThrottle{}
	}
	return nil
}
