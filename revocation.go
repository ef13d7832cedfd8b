package authjwt

import (
	"context"
	"time"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/revoke"
)

// keepUntil returns until when a store must keep an entry about tokens
// that expire at exp (Unix seconds): never less than the verifier accepts
// them. Verification accepts a token while the whole second of its clock
// is before exp + DecodeLeeway (rounded up to whole seconds, a.leeway), so
// the last instant of acceptance is just before that second. The store is
// asked a moment later, as late as StoreTimeout after the clock was read
// (later answers fail the request with 503), so the entry must outlive
// that instant by StoreTimeout too, rounded up to whole seconds. An entry
// kept shorter would let a revoked token through at the end of its life.
func (a *Auth) keepUntil(exp int64) time.Time {
	margin := int64((a.cfg.StoreTimeout + time.Second - 1) / time.Second)
	return time.Unix(exp+a.leeway+margin, 0)
}

// retention returns until when an entry about t alone (its jti, its
// consumed mark) must be kept: [revoke.Forever] for a token without exp.
func (a *Auth) retention(t *Token) time.Time {
	if t.c.Has&jws.HasExp == 0 {
		return revoke.Forever
	}
	return a.keepUntil(t.c.Exp)
}

// lifetimeBound returns the longest lifetime a token of ours can have
// under this configuration, beyond the lifetime of one known token
// (longer): false when some token may never expire (a lifetime of Never,
// or AllowNonExpiringTokens), which only Forever covers.
func (a *Auth) lifetimeBound(longer time.Duration) (time.Duration, bool) {
	if a.cfg.AccessTokenExpires == Never || a.cfg.RefreshTokenExpires == Never || a.cfg.AllowNonExpiringTokens {
		return 0, false
	}
	return max(a.cfg.AccessTokenExpires, a.cfg.RefreshTokenExpires, longer), true
}

// seconds rounds d up to whole seconds.
func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// Messages of ErrRevocationDisabled, naming the setting that would enable
// the revocation asked for.
const (
	msgRevocationOff     = "Revocation is not enabled (no Store configured)"
	msgRevocationNoTypes = "Revocation is not enabled for any token type (DenylistTokenChecks)"
	msgAccessUnchecked   = "Revocation is not enabled for access tokens (DenylistTokenChecks)"
	msgRefreshUnchecked  = "Revocation is not enabled for refresh tokens (DenylistTokenChecks)"
)

// store returns the gate to the revocation store (see storeGate) when the
// denylist would enforce a revocation of a token of the given kind:
// forRefresh and forAccess say which types the revocation is about (a family or a subject covers both, and one checked
// type suffices for it to take effect). Otherwise it returns
// ErrRevocationDisabled: recording a revocation that verification never
// consults would report success for a token that keeps working.
func (a *Auth) store(forAccess, forRefresh bool) (*storeGate, error) {
	switch {
	case !a.cfg.DenylistEnabled || a.gate == nil:
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
	return a.gate, nil
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
	return s.revokeToken(ctx, t.c.Jti(), a.retention(t))
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
	// its longest-lived token could be accepted. Rotation never extends a
	// family past its first refresh token's exp, and that token was issued
	// no later than t: t's iat plus the longest lifetime (configured, or
	// t's own when longer) bounds every exp of the family. Tokens minted
	// with a per-call WithExpiry longer than both are not covered when the
	// family is revoked through a shorter-lived token (documented).
	exp := a.retention(t)
	if !exp.IsZero() {
		iat := t.c.Iat / 1000
		if t.c.Has&jws.HasIat == 0 {
			iat = a.now().Unix()
		}
		if longest, ok := a.lifetimeBound(time.Duration(t.c.Exp-iat) * time.Second); !ok {
			exp = revoke.Forever
		} else if e := a.keepUntil(iat + seconds(longest)); e.After(exp) {
			exp = e
		}
	}
	if err := s.revokeFamily(ctx, t.c.Aid(), exp); err != nil {
		return err
	}
	if t.c.Jti() != "" {
		return s.revokeToken(ctx, t.c.Jti(), a.retention(t))
	}
	return nil
}

// RevokeSubject revokes every token of issuer and subject issued up to now
// ("logout everywhere"), and none issued after: the change-password flow
// (RevokeSubject, then a new login) keeps the new session.
//
// The cutoff is now, to the millisecond; a token is refused when it was
// issued at or before it. Our tokens say when they were issued to the
// millisecond (their jti is a UUID version 7 carrying the time; iat stays
// a whole number, as every JWT library expects), and RevokeSubject returns
// only once the clock (Config.Now) has passed the cutoff's millisecond, so
// a token minted after it returns is accepted, even within the same
// second. A fractional iat counts to the millisecond too. A token with a
// whole-second iat and no such jti (the seed's, most providers') is
// compared by its second: one issued in the cutoff's own second is refused
// even if it came after it, the safe side. Instances sharing a store must keep their clocks in step:
// a login on an instance running d behind is refused if it comes within d
// of the cutoff.
//
// It fails with [ErrRevocationDisabled] when no token type is checked
// against the store.
func (a *Auth) RevokeSubject(ctx context.Context, issuer, subject string) error {
	s, err := a.store(true, true)
	if err != nil {
		return err
	}
	cut := time.UnixMilli(a.now().UnixMilli())
	// Every token the cutoff refuses was issued by then, so it expires by
	// then plus the longest lifetime.
	exp := revoke.Forever
	if longest, ok := a.lifetimeBound(0); ok {
		exp = a.keepUntil(cut.Unix() + seconds(longest))
	}
	if err := s.revokeSubject(ctx, issuer, subject, cut, exp); err != nil {
		return err
	}
	a.waitPast(cut)
	return nil
}

// waitPast returns once the clock has passed the millisecond of t: at most
// about a millisecond with a real clock. A clock that does not move (a
// test's) is given up on after 50 ms of real time.
func (a *Auth) waitPast(t time.Time) {
	ms := t.UnixMilli()
	deadline := time.Now().Add(50 * time.Millisecond)
	for a.now().UnixMilli() <= ms && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
}
