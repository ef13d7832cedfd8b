package authjwt

import (
	"context"
	"time"

	"github.com/librenz/authjwt/internal/jws"
)

// Rotate exchanges a verified refresh token for a new access token and a
// new refresh token of the same family (refresh-token rotation, opt-in with
// [Config.RefreshTokenRotation]).
//
// The presented refresh token is consumed atomically in the store: of any
// number of concurrent calls with one token, across every server instance
// sharing the store, exactly one succeeds. Presenting an already used
// refresh token again (after [Config.RefreshReuseGrace]) is taken as theft:
// the whole family — every refresh token of the chain and the access tokens
// issued from them — is revoked and the call fails with
// [ErrRefreshReuse] ("Refresh token reuse detected"), so a stolen refresh
// token is caught the first time either party uses it.
//
// The new refresh token keeps the family's absolute expiry (the same
// "exp"): rotation never extends a session past the first refresh token's
// lifetime, and the new access token never outlives it. A refresh token
// with less than [MinRotationLifetime] left is refused as expired
// ([ErrTokenExpired]) without being consumed. Access tokens from Rotate
// are never fresh. opts apply to both new tokens (custom claims,
// audience); expiry options are ignored.
//
// The new pair is minted before the presented token is consumed, so a
// call that consumed it always returns the pair; give the Pair to
// [Auth.SetPairCookies] as returned, which does not verify it again.
func (a *Auth) Rotate(ctx context.Context, refresh *Token, opts ...TokenOption) (Pair, error) {
	if !a.cfg.RefreshTokenRotation {
		return Pair{}, ErrInvalidTokenOption.with(nil, "Refresh token rotation is not enabled (RefreshTokenRotation)")
	}
	if refresh == nil || !refresh.isRef {
		return Pair{}, ErrRefreshRequired
	}
	if refresh.c.Jti() == "" {
		return Pair{}, ErrInvalidClaim.with(nil, "Missing claim: jti")
	}
	now := a.now()
	// Everything that can fail is done before the consume: once the
	// presented token is used up, the response carrying its successor must
	// be produced, or the client's retry would be taken as theft.
	pair, err := a.successor(refresh, now, opts)
	if err != nil {
		return Pair{}, err
	}
	first, usedAt, err := a.gate.consume(ctx, refresh.c.Jti(), a.retention(refresh))
	if err != nil {
		return Pair{}, err
	}
	if !first && (a.cfg.RefreshReuseGrace <= 0 || now.Sub(usedAt) > a.cfg.RefreshReuseGrace) {
		a.log.WarnContext(ctx, "authjwt: refresh token reuse detected; revoking its family", "sub", refresh.c.Sub(), "family", refresh.c.Aid(), "jti", refresh.c.Jti())
		if err := a.RevokeFamily(ctx, refresh); err != nil {
			return Pair{}, err
		}
		return Pair{}, ErrRefreshReuse
	}
	return pair, nil
}

// MinRotationLifetime is the least time a refresh token must have left
// before its "exp" for [Auth.Rotate] to exchange it. With less, Rotate
// refuses it as expired ([ErrTokenExpired]) without consuming it: the
// tokens it would mint expire with the session, so they could expire on
// their way to the client. The client logs in again, as it must a moment
// later anyway.
const MinRotationLifetime = 5 * time.Second

// successor mints the pair that replaces refresh, issued at now, in its
// family. The access token expires after AccessTokenExpires (rounded up
// to the second) but never after the refresh token; the new refresh token
// expires exactly when the presented one does.
func (a *Auth) successor(refresh *Token, now time.Time, opts []TokenOption) (Pair, error) {
	o := tokenOpts{}
	for _, op := range opts {
		op.applyToken(&o)
	}
	o.fresh, o.expiry, o.err = false, 0, nil
	o.at = now
	o.family = refresh.c.Aid()
	if o.family == "" {
		o.family = refresh.c.Jti()
	}
	var end int64 // the family's last second; 0: none
	if refresh.c.Has&jws.HasExp != 0 {
		end = refresh.c.Exp
		if time.Unix(end, 0).Sub(now) < MinRotationLifetime {
			return Pair{}, ErrTokenExpired
		}
	}
	if a.cfg.AccessTokenExpires != Never {
		exp := now.Add(a.cfg.AccessTokenExpires)
		o.expAt = exp.Unix()
		if exp.After(time.Unix(o.expAt, 0)) {
			o.expAt++
		}
	}
	if end != 0 && (o.expAt == 0 || o.expAt > end) {
		o.expAt = end
	}
	var rexpiry time.Duration
	if end == 0 && a.cfg.RefreshTokenExpires != Never {
		rexpiry = Never // a refresh token without "exp" begets one without
	}
	pair, err := a.createPair(refresh.c.Sub(), &o, end, rexpiry)
	if err != nil {
		return Pair{}, err
	}
	return pair, nil
}
