package authjwt

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Rotate exchanges a verified refresh token for a new access token and a
// new refresh token of the same family (refresh-token rotation, opt-in with
// [RevocationConfig.Rotation]).
//
// The presented refresh token is consumed atomically in the store: of any
// number of concurrent calls with one token, across every server instance
// sharing the store, exactly one succeeds. Presenting an already used
// refresh token again (after [RevocationConfig.ReuseGrace]) is taken as theft:
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
// audience); expiry options are ignored, and so are [WithAuthTime] and
// [WithACR]: both new tokens keep the presented token's "auth_time" and
// "acr" (RFC 9470), the family's login.
//
// The new pair is minted before the presented token is consumed, so a
// call that consumed it always returns the pair; give the Pair to
// [Auth.SetPairCookies] as returned, which does not verify it again.
//
// Retries ([RevocationConfig.ReuseGrace]): a use of an already used refresh
// token within the window after its first use is a retry, never theft, and
// stays in the session. When the store implements
// [revoke.SuccessorConsumer] the first use records its successor's issue
// time and jti and csrf values (identifiers, no token) atomically with the
// consume, and every retry returns that same successor: a pair with the
// same "jti", "iat", "exp", "aid" and "csrf" claims as the first use's —
// byte-identical tokens when opts are the same and the algorithm is
// deterministic (HMAC, EdDSA), the same claims with another signature
// otherwise. Retrying with the successor's own predecessor therefore never
// forks the chain: however many retries, there is one successor, and
// using it continues the one chain. The access token of a late retry is as
// old as the first use's, so it may be close to its expiry. With a store
// that cannot record successors, each retry gets a new pair of the same
// family (one more chain that revoking the family ends). After the window
// a use is reuse, as above.
func (a *Auth) Rotate(ctx context.Context, refresh *Token, opts ...TokenOption) (Pair, error) {
	if !a.rev.rotation {
		return Pair{}, ErrInvalidTokenOption.with(nil, "Refresh token rotation is not enabled (Revocation.Rotation)")
	}
	if refresh == nil || !refresh.isRef {
		return Pair{}, ErrRefreshRequired
	}
	if refresh.c.Jti() == "" {
		return Pair{}, ErrInvalidClaim.with(nil, "Missing claim: jti")
	}
	now := a.now()
	plan := successorPlan{at: now, access: newUUID(), refresh: newUUID()}
	if a.creds.csrfClaims() {
		plan.accessCSRF, plan.refreshCSRF = newUUID(), newUUID()
	}
	// Everything that can fail is done before the consume: once the
	// presented token is used up, the response carrying its successor must
	// be produced, or the client's retry would be taken as theft.
	pair, err := a.successor(ctx, refresh, plan, opts)
	if err != nil {
		return Pair{}, err
	}
	first, recorded, err := a.rev.consume(ctx, refresh, plan.String(), now)
	if err != nil {
		return Pair{}, err
	}
	a.rev.touchRefresh(ctx, refresh, now)
	if first {
		return pair, nil
	}
	// A retry within the grace window: the successor the first use issued,
	// when the store recorded it; otherwise (a store without
	// revoke.SuccessorConsumer) the pair minted above, in the same family.
	if p, ok := parseSuccessorPlan(recorded); ok {
		return a.successor(ctx, refresh, p, opts)
	}
	return pair, nil
}

// successorPlan is what makes the successor of a refresh token
// reproducible: its issue time and the jti and csrf values of the new
// access and refresh tokens. Stores implementing revoke.SuccessorConsumer
// keep it with the consume mark (identifiers only, no token), so a retry
// within Revocation.ReuseGrace gets the same successor back.
type successorPlan struct {
	at                      time.Time
	access, refresh         string // jtis
	accessCSRF, refreshCSRF string // empty without CSRF claims
}

// String encodes p as "1:<at Unix ns>:<access jti>:<refresh jti>:<access
// csrf>:<refresh csrf>".
func (p successorPlan) String() string {
	return "1:" + strconv.FormatInt(p.at.UnixNano(), 10) + ":" + p.access + ":" + p.refresh + ":" + p.accessCSRF + ":" + p.refreshCSRF
}

// parseSuccessorPlan decodes a plan written by String; ok is false for
// anything else (no successor recorded, or a value of another version).
func parseSuccessorPlan(v string) (p successorPlan, ok bool) {
	f := strings.Split(v, ":")
	if len(f) != 6 || f[0] != "1" || f[2] == "" || f[3] == "" {
		return p, false
	}
	for _, s := range f[2:] {
		if !utf8.ValidString(s) {
			return p, false
		}
	}
	ns, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return p, false
	}
	return successorPlan{at: time.Unix(0, ns), access: f[2], refresh: f[3], accessCSRF: f[4], refreshCSRF: f[5]}, true
}

// MinRotationLifetime is the least time a refresh token must have left
// before its "exp" for [Auth.Rotate] to exchange it. With less, Rotate
// refuses it as expired ([ErrTokenExpired]) without consuming it: the
// tokens it would mint expire with the session, so they could expire on
// their way to the client. The client logs in again, as it must a moment
// later anyway.
const MinRotationLifetime = 5 * time.Second

// successor mints the pair that replaces refresh, as planned, in its
// family. The access token expires after Expiry.Access (rounded up
// to the second) but never after the refresh token; the new refresh token
// expires exactly when the presented one does.
func (a *Auth) successor(ctx context.Context, refresh *Token, plan successorPlan, opts []TokenOption) (Pair, error) {
	o := tokenOpts{}
	for _, op := range opts {
		op.applyToken(&o)
	}
	o.fresh, o.expiry, o.err = false, 0, nil
	// The login the family began with, as the refresh token says it: a
	// refresh never makes an authentication more recent.
	loginOf(refresh).applyToken(&o)
	now := plan.at
	af := &fixedClaims{at: now, jti: plan.access, csrf: plan.accessCSRF}
	o.fixed = af
	o.family = refresh.c.Aid()
	if o.family == "" {
		o.family = refresh.c.Jti()
	}
	if jkt := refresh.DPoPThumbprint(); jkt != "" {
		// A bound family stays bound to its key (RFC 9449 §5).
		o.jkt = jkt
	}
	var end int64 // the family's last second; 0: none
	if refresh.c.HasExp() {
		end = refresh.c.Exp
		if time.Unix(end, 0).Sub(now) < MinRotationLifetime {
			return Pair{}, ErrTokenExpired
		}
	}
	if a.life.access != Never {
		exp := now.Add(a.life.access)
		af.expAt = exp.Unix()
		if exp.After(time.Unix(af.expAt, 0)) {
			af.expAt++
		}
	}
	if end != 0 && (af.expAt == 0 || af.expAt > end) {
		af.expAt = end
	}
	var rexpiry time.Duration
	if end == 0 && a.life.refresh != Never {
		rexpiry = Never // a refresh token without "exp" begets one without
	}
	rf := &fixedClaims{at: now, jti: plan.refresh, csrf: plan.refreshCSRF, expAt: end}
	pair, err := a.createPair(ctx, refresh.c.Sub(), &o, rf, rexpiry)
	if err != nil {
		return Pair{}, err
	}
	return pair, nil
}
