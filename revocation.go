package authjwt

import (
	"context"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// expiryOf returns until when a revocation entry for t must be kept.
func (t *Token) expiryOf() time.Time {
	if e := t.ExpiresAt(); !e.IsZero() {
		return e
	}
	return revoke.Forever
}

// Messages of ErrRevocationDisabled, naming the setting that would enable
// the revocation asked for.
const (
	msgRevocationOff     = "Revocation is not enabled (no Store configured)"
	msgRevocationNoTypes = "Revocation is not enabled for any token type (DenylistTokenChecks)"
	msgAccessUnchecked   = "Revocation is not enabled for access tokens (DenylistTokenChecks)"
	msgRefreshUnchecked  = "Revocation is not enabled for refresh tokens (DenylistTokenChecks)"
)

// store returns the store when the denylist would enforce a revocation of
// a token of the given kind: forRefresh and forAccess say which types the
// revocation is about (a family or a subject covers both, and one checked
// type suffices for it to take effect). Otherwise it returns
// ErrRevocationDisabled: recording a revocation that verification never
// consults would report success for a token that keeps working.
func (a *Auth) store(forAccess, forRefresh bool) (revoke.Store, error) {
	switch {
	case !a.cfg.DenylistEnabled || a.cfg.Store == nil:
		return nil, ErrRevocationDisabled.with(nil, msgRevocationOff)
	case forAccess && forRefresh:
		if !a.denyAccess && !a.denyRefresh {
			return nil, ErrRevocationDisabled.with(nil, msgRevocationNoTypes)
		}
	case forAccess && !a.denyAccess:
		return nil, ErrRevocationDisabled.with(nil, msgAccessUnchecked)
	case forRefresh && !a.denyRefresh:
		return nil, ErrRevocationDisabled.with(nil, msgRefreshUnchecked)
	}
	return a.cfg.Store, nil
}

func (a *Auth) storeErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	a.log.ErrorContext(ctx, "authjwt: revocation store failed", "error", err.Error())
	return ErrStoreUnavailable.with(err, "")
}

// Revoke revokes one verified token (by jti) until it expires. It fails
// with [ErrRevocationDisabled] when the token's type is not checked against
// the store (no Store, or the type left out of DenylistTokenChecks), and
// with [ErrStoreUnavailable] when the store cannot record it. A valid
// token without "jti" (some providers' tokens, see [TrustedIssuer]) cannot
// be revoked on its own: Revoke returns [ErrNotRevocable] (422) and
// revokes nothing; revoke its subject with [Auth.RevokeSubject] instead.
func (a *Auth) Revoke(ctx context.Context, t *Token) error {
	s, err := a.store(!t.isRef, t.isRef)
	if err != nil {
		return err
	}
	if t.c.Jti() == "" {
		// The token is valid: blaming it (invalid_token) would be wrong.
		return ErrNotRevocable
	}
	return a.storeErr(ctx, s.RevokeToken(ctx, t.c.Jti(), t.expiryOf()))
}

// RevokeFamily revokes every token of t's family: the access and refresh
// token issued together (logout), and every token of a refresh-rotation
// chain. A token without a family is revoked alone (as [Auth.Revoke]
// does: [ErrNotRevocable] without "jti" either).
//
// A family holds both token types: the revocation takes effect for the
// types in DenylistTokenChecks (tokens of a type left out stay valid until
// they expire, as configured), and fails with [ErrRevocationDisabled] when
// no type is checked.
func (a *Auth) RevokeFamily(ctx context.Context, t *Token) error {
	if t.c.Aid() == "" {
		return a.Revoke(ctx, t)
	}
	s, err := a.store(true, true)
	if err != nil {
		return err
	}
	// The family outlives any single token of it: keep the entry as long as
	// the longest-lived token of the family could be valid.
	exp := revoke.Forever
	if a.cfg.RefreshTokenExpires != Never && a.cfg.AccessTokenExpires != Never {
		longest := max(a.cfg.RefreshTokenExpires, a.cfg.AccessTokenExpires)
		exp = t.IssuedAt().Add(longest + a.cfg.DecodeLeeway)
		if e := t.ExpiresAt(); e.After(exp) {
			exp = e
		}
	}
	if err := s.RevokeFamily(ctx, t.c.Aid(), exp); err != nil {
		return a.storeErr(ctx, err)
	}
	if t.c.Jti() != "" {
		return a.storeErr(ctx, s.RevokeToken(ctx, t.c.Jti(), t.expiryOf()))
	}
	return nil
}

// RevokeSubject revokes every token of t's issuer and subject issued up to
// now ("logout everywhere"). Tokens are refused when their iat is at or
// before the cutoff, with one-second resolution: a token issued in the same
// second as the logout is refused too. It fails with
// [ErrRevocationDisabled] when no token type is checked against the store.
func (a *Auth) RevokeSubject(ctx context.Context, issuer, subject string) error {
	s, err := a.store(true, true)
	if err != nil {
		return err
	}
	now := a.now().Truncate(time.Second)
	exp := revoke.Forever
	if a.cfg.RefreshTokenExpires != Never && a.cfg.AccessTokenExpires != Never {
		exp = now.Add(max(a.cfg.RefreshTokenExpires, a.cfg.AccessTokenExpires) + a.cfg.DecodeLeeway + time.Second)
	}
	return a.storeErr(ctx, s.RevokeSubject(ctx, issuer, subject, now, exp))
}
