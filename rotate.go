package authjwt

import (
	"context"
	"time"
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
// The new refresh token keeps the family's absolute expiry: rotation never
// extends a session past the first refresh token's lifetime. Access tokens
// from Rotate are never fresh. opts apply to both new tokens (custom
// claims, audience); expiry options are ignored.
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
	first, usedAt, err := a.gate.consume(ctx, refresh.c.Jti(), a.retention(refresh))
	if err != nil {
		return Pair{}, err
	}
	now := a.now()
	if !first && (a.cfg.RefreshReuseGrace <= 0 || now.Sub(usedAt) > a.cfg.RefreshReuseGrace) {
		a.log.WarnContext(ctx, "authjwt: refresh token reuse detected; revoking its family", "sub", refresh.c.Sub(), "family", refresh.c.Aid(), "jti", refresh.c.Jti())
		if err := a.RevokeFamily(ctx, refresh); err != nil {
			return Pair{}, err
		}
		return Pair{}, ErrRefreshReuse
	}
	o := tokenOpts{}
	for _, op := range opts {
		op.applyToken(&o)
	}
	o.fresh, o.expiry, o.err = false, 0, nil
	o.family = refresh.c.Aid()
	if o.family == "" {
		o.family = refresh.c.Jti()
	}
	if exp := refresh.ExpiresAt(); !exp.IsZero() {
		left := exp.Sub(now).Truncate(time.Second)
		if left < time.Second {
			return Pair{}, ErrTokenExpired
		}
		if a.cfg.AccessTokenExpires == Never || a.cfg.AccessTokenExpires > left {
			o.expiry = left
		}
	}
	at, err := a.create(refresh.c.Sub(), &o)
	if err != nil {
		return Pair{}, err
	}
	r := o
	r.refresh = true
	r.expiry = 0
	if exp := refresh.ExpiresAt(); !exp.IsZero() {
		r.expiry = exp.Sub(now).Truncate(time.Second)
	} else if a.cfg.RefreshTokenExpires != Never {
		r.expiry = Never
	}
	rt, err := a.create(refresh.c.Sub(), &r)
	if err != nil {
		return Pair{}, err
	}
	return Pair{AccessToken: at, RefreshToken: rt, Family: o.family}, nil
}
