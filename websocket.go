package authjwt

import (
	"context"
	"errors"
	"net/http"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"
)

// BearerSubprotocol is the WebSocket subprotocol a browser offers, followed
// by the token, to authenticate a handshake without putting the token in
// the URL: new WebSocket(url, ["bearer", token]). The server selects it
// (or one of the application's own subprotocols, see [WithSubprotocols])
// and never the token.
const BearerSubprotocol = "bearer"

// Close codes returned by [CloseReason] (RFC 6455 §7.4.1).
const (
	// CloseNormal is sent when there is no error.
	CloseNormal = 1000
	// ClosePolicyViolation is sent when the token is refused, expired or
	// revoked.
	ClosePolicyViolation = 1008
	// CloseInternalError is sent when authentication could not be
	// completed (a revocation store that cannot be reached) or for an
	// error that is not authjwt's.
	CloseInternalError = 1011
)

// maxCloseReason is the longest reason a close frame can carry: a control
// frame's payload is at most 125 bytes, two of which hold the code.
const maxCloseReason = 123

const headerWSProtocol = "Sec-Websocket-Protocol" // canonical form

// WebSocketOption configures [Auth.CheckWebSocket] and [Auth.WebSocket].
type WebSocketOption interface{ applyWS(*wsOpts) }

type wsOpts struct {
	subprotocols []string
}

type subprotocolsOpt []string

func (o subprotocolsOpt) applyWS(w *wsOpts) { w.subprotocols = o }

// WithSubprotocols lists the application's own subprotocols, in order of
// preference. When a client authenticates with the bearer subprotocol and
// also offers one of them, that one is selected instead of
// [BearerSubprotocol].
func WithSubprotocols(protocols ...string) WebSocketOption {
	return subprotocolsOpt(append([]string(nil), protocols...))
}

// CheckWebSocket authenticates a WebSocket handshake (the HTTP upgrade
// request, before it is accepted) against req, with any WebSocket library.
// It returns the verified token and the subprotocol the server must select
// in its response: non-empty only when the client offered
// [BearerSubprotocol], in which case the response must name it (browsers
// fail the connection otherwise). The token itself is never a subprotocol
// to select.
//
// The token is taken from the first of:
//   - the Authorization header (configured name and scheme), for
//     non-browser clients; or under the DPoP scheme with a DPoP header
//     (RFC 9449), whose proof's htm is GET and htu the handshake's URL
//     with the http or https scheme (ws and wss are not htu schemes);
//   - the Sec-WebSocket-Protocol header as the pair "bearer, <token>";
//   - the query parameter [WebSocketConfig.QueryParam] ("token"), unless
//     [WebSocketConfig.NoQueryToken] (URLs end up in logs);
//   - the cookies, when "cookies" is a token location.
//
// The first three are read only when "headers" is a token location. A
// cookie-authenticated handshake is state-changing although it is a GET:
// it always needs the CSRF value in the query parameter
// [WebSocketConfig.CSRFQueryParam] ("csrf_token"), equal to the token's
// csrf claim (unless [CookieConfig.UnsafeDisableCSRF]), and an Origin header
// equal to the server's own origin (scheme from r.TLS, host from r.Host)
// or to one of [CookieConfig.TrustedOrigins], compared exactly (unless
// [CookieConfig.SkipCrossOriginProtection]). Behind a TLS-terminating proxy,
// list the public origin in Cookies.TrustedOrigins.
//
// With req.Optional, a handshake without any token returns a nil token and
// no error. The error is always an *Error: refuse the upgrade with
// [Auth.WriteError], or accept and close with [CloseReason].
func (a *Auth) CheckWebSocket(r *http.Request, req Requirement, opts ...WebSocketOption) (t *Token, subprotocol string, err error) {
	var o wsOpts
	for _, opt := range opts {
		opt.applyWS(&o)
	}
	cred, subprotocol, err := a.creds.readHandshake(r, &req, o.subprotocols)
	if err != nil {
		return nil, "", err
	}
	if t, err = a.authenticate(r.Context(), &cred, &req); err != nil {
		return nil, "", err
	}
	return t, subprotocol, nil
}

// parseBearerSubprotocol reads the client's offered subprotocols. When
// they hold "bearer" it returns the token that follows it and the
// subprotocol to select: the first of the application's own that the
// client offered, else "bearer".
func parseBearerSubprotocol(h http.Header, own []string) (token, selected string, offered bool, err *Error) {
	vals := h[headerWSProtocol]
	if len(vals) == 0 {
		return "", "", false, nil
	}
	var list []string
	for _, v := range vals {
		for p := range strings.SplitSeq(v, ",") {
			list = append(list, textproto.TrimString(p))
		}
	}
	idx := -1
	for i, p := range list {
		if p == BearerSubprotocol {
			if idx >= 0 {
				return "", "", false, errBadSubprotocol
			}
			idx = i
		}
	}
	if idx < 0 {
		return "", "", false, nil
	}
	if idx+1 >= len(list) || list[idx+1] == "" || list[idx+1] == BearerSubprotocol {
		return "", "", false, errBadSubprotocol
	}
	token = list[idx+1]
	selected = BearerSubprotocol
	for _, s := range own {
		for i, p := range list {
			if i == idx || i == idx+1 {
				continue // never select the token
			}
			if p == s {
				return token, s, true, nil
			}
		}
	}
	return token, selected, true, nil
}

var errBadSubprotocol = ErrBadHeader.with(nil, "Bad Sec-WebSocket-Protocol header. Expected value 'bearer, <JWT>'")

// WebSocket returns middleware authenticating WebSocket handshakes with
// [Auth.CheckWebSocket] before the upgrade: a refused handshake is
// answered with the error handler (the library's status and JSON body) and
// no connection is opened. An accepted one reaches next with the token in
// its context ([FromContext]) and the subprotocol to select in
// [WebSocketSubprotocol]; the token is removed from the
// Sec-WebSocket-Protocol header next sees, so no library can echo it.
func (a *Auth) WebSocket(req Requirement, opts ...WebSocketOption) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, proto, err := a.CheckWebSocket(r, req, opts...)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			ctx := r.Context()
			if t != nil {
				ctx = context.WithValue(ctx, tokenKey, t)
			}
			if proto != "" {
				ctx = context.WithValue(ctx, subprotocolKey, proto)
			}
			r = r.WithContext(ctx)
			if proto != "" {
				r.Header = withoutBearerToken(r.Header)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// withoutBearerToken returns a copy of h whose Sec-WebSocket-Protocol
// keeps every offer but the token following "bearer".
func withoutBearerToken(h http.Header) http.Header {
	var list []string
	for _, v := range h[headerWSProtocol] {
		for p := range strings.SplitSeq(v, ",") {
			list = append(list, textproto.TrimString(p))
		}
	}
	kept := make([]string, 0, len(list))
	for i := 0; i < len(list); i++ {
		kept = append(kept, list[i])
		if list[i] == BearerSubprotocol {
			i++ // skip the token
		}
	}
	h = h.Clone()
	h[headerWSProtocol] = []string{strings.Join(kept, ", ")}
	return h
}

// CloseReason returns the close code and reason for closing a WebSocket
// connection because of err, for applications that accept the connection
// first and authenticate after (the seed's style), or that close it when
// the context of [Auth.WatchToken] ends (pass context.Cause(ctx)). A
// refused, expired or revoked token gives 1008 (policy violation) with the
// error's message ("Signature has expired"); an authjwt error with a 5xx
// status gives 1011 with its message; any other error gives 1011
// "Internal error", since its text is not meant for clients; nil gives
// 1000. The reason fits a close frame (at most 123 bytes).
//
//	code, reason := authjwt.CloseReason(err)
//	c.Close(websocket.StatusCode(code), reason)  // github.com/coder/websocket
func CloseReason(err error) (code int, reason string) {
	if err == nil {
		return CloseNormal, ""
	}
	var e *Error
	if !errors.As(err, &e) {
		return CloseInternalError, "Internal error"
	}
	code = ClosePolicyViolation
	if e.Status >= 500 {
		code = CloseInternalError
	}
	return code, truncateUTF8(e.Message, maxCloseReason)
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// WatchOption configures [Auth.WatchToken].
type WatchOption interface{ applyWatch(*watchOpts) }

type watchOpts struct {
	poll time.Duration
}

type pollOpt time.Duration

func (o pollOpt) applyWatch(w *watchOpts) { w.poll = time.Duration(o) }

// DefaultRevocationPoll is how often [Auth.WatchToken] asks the revocation
// store whether the token was revoked, unless [WithRevocationPoll] says
// otherwise.
const DefaultRevocationPoll = 30 * time.Second

// WithRevocationPoll sets how often [Auth.WatchToken] asks the revocation
// store whether the token was revoked (default [DefaultRevocationPoll]).
// Zero or a negative interval turns polling off.
func WithRevocationPoll(d time.Duration) WatchOption { return pollOpt(d) }

// WatchToken returns a context derived from ctx that ends when the verified
// token t stops being valid, for a long-lived connection (a WebSocket)
// authenticated once at its start:
//   - when t expires: at its exp plus [ClaimsConfig.DecodeLeeway], the remaining
//     time measured with [Config.Now]; context.Cause is then
//     [ErrTokenExpired] (matched with errors.Is);
//   - when t is revoked: the store is asked every poll interval
//     ([WithRevocationPoll]), only if the denylist is enabled and checks
//     t's type; the cause is then [ErrTokenRevoked], or
//     [ErrStoreUnavailable] if the store cannot answer (fail closed, as on
//     requests, unless [RevocationConfig.UnsafeFailOpen]).
//
// The handler then closes the connection, with [CloseReason] of the cause,
// or asks the client to authenticate again. Call the returned cancel
// function when the connection ends: it stops the timer and the polling
// goroutine and returns once that goroutine has exited. A nil t returns a
// context that only ends with ctx or cancel.
func (a *Auth) WatchToken(ctx context.Context, t *Token, opts ...WatchOption) (context.Context, context.CancelFunc) {
	o := watchOpts{poll: DefaultRevocationPoll}
	for _, opt := range opts {
		opt.applyWatch(&o)
	}
	outer, cancelCause := context.WithCancelCause(ctx)
	watched, stopDeadline := outer, context.CancelFunc(func() {})
	if t != nil {
		if exp := t.ExpiresAt(); !exp.IsZero() {
			remaining := exp.Add(time.Duration(a.leeway) * time.Second).Sub(a.now())
			// The deadline runs on the real clock: Config.Now only tells
			// how long is left.
			watched, stopDeadline = context.WithDeadlineCause(outer, time.Now().Add(remaining), ErrTokenExpired)
		}
	}
	poll := t != nil && o.poll > 0 && a.rev.checks(t.isRef)
	if !poll {
		return watched, func() {
			stopDeadline()
			cancelCause(context.Canceled)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.rev.watch(watched, t, o.poll, cancelCause)
	}()
	return watched, func() {
		stopDeadline()
		cancelCause(context.Canceled)
		<-done
	}
}
