package authjwt

import (
	"context"
	"errors"
)

// Context accessors: what the middleware ([Auth.Middleware],
// [Auth.WebSocket]) stores in a request's context, and what handlers read
// from it.

type ctxKey struct{ name string }

var (
	tokenKey       = &ctxKey{"token"}
	subprotocolKey = &ctxKey{"websocket subprotocol"}
)

// NewContext returns ctx carrying t; [FromContext] returns it. The
// middleware does this for you; adapters and tests may use it directly.
func NewContext(ctx context.Context, t *Token) context.Context {
	return context.WithValue(ctx, tokenKey, t)
}

// FromContext returns the verified token stored by the middleware, or nil
// (an optional route without a token, or an unguarded route).
func FromContext(ctx context.Context) *Token {
	t, _ := ctx.Value(tokenKey).(*Token)
	return t
}

// Subject returns the verified token's subject, or "".
func Subject(ctx context.Context) string {
	if t := FromContext(ctx); t != nil {
		return t.c.Sub()
	}
	return ""
}

// JTI returns the verified token's jti, or "".
func JTI(ctx context.Context) string {
	if t := FromContext(ctx); t != nil {
		return t.c.Jti()
	}
	return ""
}

// User returns what [Config.UserLoader] returned for the verified token.
func User(ctx context.Context) any {
	if t := FromContext(ctx); t != nil {
		if m := t.lazy.Load(); m != nil {
			return m.user
		}
	}
	return nil
}

// ClaimsValidator is implemented by claims types that check their own
// values (an organisation that must be known, a scope in a set, a
// tenant matching the host). [ClaimsAs] calls Validate after decoding,
// on a T or a *T, with the request's context.
type ClaimsValidator interface {
	// Validate returns nil when the claims are acceptable.
	Validate(ctx context.Context) error
}

// ClaimsAs decodes the verified token's claims into a T (usually a struct
// of the application's custom claims with json tags), matching claim names
// to fields exactly, case included (see [Token.Decode]). It fails with
// [ErrMissingToken] when no token was verified for ctx, and with
// [ErrClaimsType] (500) when the claims do not fit T: a bug in T, not in
// the token.
//
// When T or *T implements [ClaimsValidator], ClaimsAs then calls Validate
// with ctx. A failure is the token's fault: its claims are not acceptable,
// so the error is a 401 [ErrInvalidClaim] ("Invalid claim",
// invalid_token challenge) wrapping Validate's error (errors.Is and
// errors.As reach it; it is never sent to the client). An *Error that
// Validate returns is returned as it is, so a validator may answer 403
// [ErrNotEnoughPerms] instead. Pass any of them to [Auth.WriteError].
func ClaimsAs[T any](ctx context.Context) (T, error) {
	var v T
	t := FromContext(ctx)
	if t == nil {
		return v, ErrMissingToken
	}
	if err := t.Decode(&v); err != nil {
		return v, err
	}
	var verr error
	if cv, ok := any(v).(ClaimsValidator); ok {
		verr = cv.Validate(ctx)
	} else if cv, ok := any(&v).(ClaimsValidator); ok {
		verr = cv.Validate(ctx)
	}
	if verr != nil {
		var e *Error
		if errors.As(verr, &e) {
			return v, verr
		}
		return v, ErrInvalidClaim.with(verr, "")
	}
	return v, nil
}

// WebSocketSubprotocol returns the subprotocol stored by [Auth.WebSocket]
// that the upgrade's response must select, or "" when the client did not
// authenticate with [BearerSubprotocol] (negotiate as usual then).
func WebSocketSubprotocol(ctx context.Context) string {
	s, _ := ctx.Value(subprotocolKey).(string)
	return s
}
