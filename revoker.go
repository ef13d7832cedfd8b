package authjwt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// revoker owns revocation: the configured store, the bound on every call
// into it ([RevocationConfig.Timeout]), what happens when it fails
// ([RevocationConfig.UnsafeFailOpen], the outage log), which token types
// are checked, how long entries are kept, and refresh-token rotation's
// consume and reuse rules. Verification asks it once per token (check);
// the Revoke* methods, Rotate and WatchToken's polling call it too.
//
// The revoker is the only caller of the store: no code of this package
// but newRevoker reads Config.Revocation.Store (New's configuration checks
// aside), and every store call is one of the bounded calls at the end of
// this file, each run under bound (TestStoreCallsGoThroughRevoker checks
// both). So a new call into the store cannot forget the bound, and what
// must see every store call has one place to go: an observer of store
// latency and errors wraps the bounded calls; a local replica of the
// revocation state answers check's query in place of isRevoked, while
// the consume of rotation stays a store call.
type revoker struct {
	s        revoke.Store             // nil without a store
	consumer revoke.Consumer          // nil unless s implements it
	succ     revoke.SuccessorConsumer // nil unless s implements it
	sess     revoke.SessionStore      // nil unless s implements it
	// replay remembers DPoP proofs: the store when it implements
	// revoke.ReplayGuard, else a memory of this process (localReplay).
	replay      revoke.ReplayGuard
	localReplay struct {
		once sync.Once
		m    *revoke.Memory
	}
	timeout time.Duration
	// cannotBlock is set for the in-memory store, which answers from a
	// map: a deadline (a timer and a context per call) would only cost
	// time there.
	cannotBlock bool

	on                        bool // the denylist is enabled (and a store set)
	checkAccess, checkRefresh bool // types checked (Revocation.Checks)
	failOpen                  bool // Revocation.UnsafeFailOpen
	rotation                  bool // Revocation.Rotation
	reuseGrace                time.Duration

	// What retention needs: the lifetimes of our tokens and the
	// verifier's leeway.
	life lifetimes
	clk  timing

	log *slog.Logger
	// health logs the store's outages (start, summaries, end) instead of
	// one line per failed call.
	health storeHealth

	// rep is the local replica of the store's revocation state
	// (Revocation.MaxStaleness), which check asks in place of the store;
	// nil when off.
	rep *replica

	// onCall (Config.Hooks.OnStoreCall) is told about every store call, onReuse
	// (Config.Hooks.OnRefreshReuse) about every use of a used refresh token.
	onCall  func(context.Context, StoreEvent)
	onReuse func(context.Context, ReuseEvent)

	// touched throttles the LastUsedAt updates of sessions from access
	// tokens (Sessions.TrackAccess): nil when off (see sessions.go).
	touched *touchThrottle

	// Sessions (sessions.go): Sessions.Enabled, MaxPerSubject,
	// ClientIPHeader, OnEvent.
	sessionsEnabled bool
	maxSessions     int
	ipHeader        string
	onSession       func(context.Context, SessionEvent)
}

// newRevoker builds the revoker of the revocation settings rc (defaults
// applied and validated), for tokens of the lifetimes life.
func newRevoker(rc *RevocationConfig, life lifetimes, clk timing, log *slog.Logger) *revoker {
	r := &revoker{
		s:          rc.Store,
		timeout:    rc.Timeout,
		on:         rc.Enabled && rc.Store != nil,
		failOpen:   rc.UnsafeFailOpen,
		rotation:   rc.Rotation,
		reuseGrace: rc.ReuseGrace,
		life:       life,
		clk:        clk,
		log:        log,
	}
	if r.s != nil {
		r.consumer, _ = r.s.(revoke.Consumer)
		r.succ, _ = r.s.(revoke.SuccessorConsumer)
		r.sess, _ = r.s.(revoke.SessionStore)
		_, r.cannotBlock = r.s.(*revoke.Memory)
		r.replay, _ = r.s.(revoke.ReplayGuard)
	}
	for _, t := range rc.Checks {
		switch t {
		case TypeAccess:
			r.checkAccess = true
		case TypeRefresh:
			r.checkRefresh = true
		}
	}
	return r
}

// startReplica loads and starts the replica when Revocation.MaxStaleness
// asks for one (validated: the store has a feed, or is the memory store,
// which needs none).
func (r *revoker) startReplica(rc *RevocationConfig, now func() time.Time) error {
	if !r.on || rc.MaxStaleness <= 0 || r.cannotBlock {
		return nil
	}
	feed, ok := r.s.(revoke.Feed)
	if !ok {
		return nil
	}
	rep, err := newReplica(rc, feed, now, r)
	if err != nil {
		return settingError("Revocation.MaxStaleness", "cannot load the revocation replica's snapshot from the store: %v", err)
	}
	r.rep = rep
	return nil
}

// checks reports whether tokens of the type (refresh or access) are
// checked against the store.
func (r *revoker) checks(refresh bool) bool {
	return r.on && (refresh && r.checkRefresh || !refresh && r.checkAccess)
}

// check refuses t when the store says it is revoked, and fails closed
// ([ErrStoreUnavailable]) when the store cannot say, unless failOpen.
// Tokens of a type that is not checked pass without a store call.
func (r *revoker) check(ctx context.Context, t *Token) error {
	if !r.checks(t.isRef) {
		return nil
	}
	q := revoke.Query{JTI: t.c.Jti(), Family: t.c.Aid(), Issuer: t.c.Iss(), Subject: t.c.Sub()}
	if t.c.HasIat() {
		q.IssuedAt = time.UnixMilli(t.issuedMillis())
	}
	revoked, err := r.isRevoked(ctx, q)
	if err != nil {
		// Logged once per outage (start, summaries, end), per request at
		// debug level: see storeHealth.
		r.health.failure(ctx, r.log, "check", err, r.failOpen)
		if r.failOpen {
			if r.log.Enabled(ctx, slog.LevelDebug) {
				r.log.DebugContext(ctx, "authjwt: accepting a token whose revocation could not be checked (Revocation.UnsafeFailOpen)", "jti", t.c.Jti())
			}
			return nil
		}
		return ErrStoreUnavailable.with(err, "")
	}
	r.health.success(ctx, r.log)
	if revoked {
		return ErrTokenRevoked
	}
	if r.touched != nil && !t.isRef {
		r.touchAccess(ctx, t)
	}
	return nil
}

// watch asks the store about t every interval until ctx ends, and ends
// it (stop) with the first error check returns: [ErrTokenRevoked], or
// [ErrStoreUnavailable] when the store cannot answer and failOpen is off
// (see [Auth.WatchToken]).
func (r *revoker) watch(ctx context.Context, t *Token, every time.Duration, stop context.CancelCauseFunc) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := r.check(ctx, t)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return // ended meanwhile: keep the first cause
		}
		stop(err)
		return
	}
}

// Messages of ErrRevocationDisabled, naming the setting that would enable
// the revocation asked for.
const (
	msgRevocationOff     = "Revocation is not enabled (no Revocation.Store configured)"
	msgRevocationNoTypes = "Revocation is not enabled for any token type (Revocation.Checks)"
	msgAccessUnchecked   = "Revocation is not enabled for access tokens (Revocation.Checks)"
	msgRefreshUnchecked  = "Revocation is not enabled for refresh tokens (Revocation.Checks)"
)

// enforced returns ErrRevocationDisabled unless verification would enforce
// a revocation of a token of the given kind: forRefresh and forAccess say
// which types the revocation is about (a family or a subject covers both,
// and one checked type suffices for it to take effect). Recording a
// revocation that verification never consults would report success for a
// token that keeps working.
func (r *revoker) enforced(forAccess, forRefresh bool) error {
	switch {
	case !r.on:
		return ErrRevocationDisabled.with(nil, msgRevocationOff)
	case forAccess && forRefresh:
		if !r.checkAccess && !r.checkRefresh {
			return ErrRevocationDisabled.with(nil, msgRevocationNoTypes)
		}
	case forAccess && !r.checkAccess:
		return ErrRevocationDisabled.with(nil, msgAccessUnchecked)
	case forRefresh && !r.checkRefresh:
		return ErrRevocationDisabled.with(nil, msgRefreshUnchecked)
	}
	return nil
}

// revoke revokes one verified token by its jti (see [Auth.Revoke]).
func (r *revoker) revoke(ctx context.Context, t *Token) error {
	if err := r.enforced(!t.isRef, t.isRef); err != nil {
		return err
	}
	if t.c.Jti() == "" {
		// The token is valid: blaming it (invalid_token) would be wrong.
		return ErrNotRevocable
	}
	return r.revokeToken(ctx, t.c.Jti(), r.retention(t))
}

// revokeFamily revokes t's family, and t itself (see [Auth.RevokeFamily]).
func (r *revoker) revokeFamily(ctx context.Context, t *Token) error {
	if t.c.Aid() == "" {
		return r.revoke(ctx, t)
	}
	if err := r.enforced(true, true); err != nil {
		return err
	}
	// The family outlives any single token of it: keep the entry as long as
	// its longest-lived token could be accepted. Rotation never extends a
	// family past its first refresh token's exp, and that token was issued
	// no later than t: t's iat plus the longest lifetime (configured, or
	// t's own when longer) bounds every exp of the family. Tokens minted
	// with a per-call WithExpiry longer than both are not covered when the
	// family is revoked through a shorter-lived token (documented).
	exp := r.retention(t)
	if !exp.IsZero() {
		iat := t.c.Iat / 1000
		if !t.c.HasIat() {
			iat = r.clk.now().Unix()
		}
		if longest, ok := r.lifetimeBound(time.Duration(t.c.Exp-iat) * time.Second); !ok {
			exp = revoke.Forever
		} else if e := r.keepUntil(iat + seconds(longest)); e.After(exp) {
			exp = e
		}
	}
	if err := r.revokeFamilyID(ctx, t.c.Aid(), exp); err != nil {
		return err
	}
	if t.c.Jti() != "" {
		if err := r.revokeToken(ctx, t.c.Jti(), r.retention(t)); err != nil {
			return err
		}
	}
	// The family was a session's (logout, reuse detection): its metadata
	// goes too. The revocation hides it already, so a failure here ends
	// nothing less and is not the caller's.
	r.forgetSession(ctx, t.c.Iss(), t.c.Sub(), t.c.Aid())
	return nil
}

// revokeSubject revokes every token of issuer and subject issued up to
// now, to the millisecond, and returns once the clock has passed that
// millisecond (see [Auth.RevokeSubject]).
func (r *revoker) revokeSubject(ctx context.Context, issuer, subject string) error {
	if err := r.enforced(true, true); err != nil {
		return err
	}
	cut := time.UnixMilli(r.clk.now().UnixMilli())
	// Every token the cutoff refuses was issued by then, so it expires by
	// then plus the longest lifetime.
	exp := revoke.Forever
	if longest, ok := r.lifetimeBound(0); ok {
		exp = r.keepUntil(cut.Unix() + seconds(longest))
	}
	if err := r.revokeSubjectCutoff(ctx, issuer, subject, cut, exp); err != nil {
		return err
	}
	r.waitPast(cut)
	return nil
}

// waitPast returns once the clock has passed the millisecond of t: at most
// about a millisecond with a real clock. A clock that does not move (a
// test's) is given up on after 50 ms of real time.
func (r *revoker) waitPast(t time.Time) {
	ms := t.UnixMilli()
	deadline := time.Now().Add(50 * time.Millisecond)
	for r.clk.now().UnixMilli() <= ms && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
}

// consume uses up the verified refresh token refresh for rotation, at now,
// recording successor (a successorPlan) with the mark where the store can.
// first is true for the token's first use. A later use within
// Revocation.ReuseGrace is a retry: first is false, and recorded is the
// successor the first use recorded ("" when the store cannot record one).
// A later use after the window is reuse, taken as theft: the family is
// revoked and the error is [ErrRefreshReuse]. New refuses rotation
// without a revoke.Consumer, so the store can consume whenever this runs.
func (r *revoker) consume(ctx context.Context, refresh *Token, successor string, now time.Time) (first bool, recorded string, err error) {
	first, usedAt, recorded, err := r.consumeWithSuccessor(ctx, refresh.c.Jti(), successor, r.retention(refresh))
	if err != nil || first {
		return first, "", err
	}
	if r.reuseGrace <= 0 || now.Sub(usedAt) > r.reuseGrace {
		r.log.WarnContext(ctx, "authjwt: refresh token reuse detected; revoking its family", "sub", refresh.c.Sub(), "family", refresh.c.Aid(), "jti", refresh.c.Jti())
		err := r.revokeFamily(ctx, refresh)
		r.reportReuse(ctx, refresh, false, now.Sub(usedAt), err)
		if err != nil {
			return false, "", err
		}
		return false, "", ErrRefreshReuse
	}
	r.reportReuse(ctx, refresh, true, now.Sub(usedAt), nil)
	return false, recorded, nil
}

// reportReuse tells OnRefreshReuse, if set, about a use of the already
// used refresh token: a retry within the grace window, or reuse (the
// family revoked, or revokeErr).
func (r *revoker) reportReuse(ctx context.Context, refresh *Token, retry bool, since time.Duration, revokeErr error) {
	if r.onReuse == nil {
		return
	}
	family := refresh.c.Aid()
	if family == "" {
		family = refresh.c.Jti()
	}
	r.onReuse(ctx, ReuseEvent{Retry: retry, Since: since, Subject: refresh.c.Sub(), Family: family, Err: revokeErr})
}

// firstUse marks the DPoP proof named key used, and reports whether this
// was its first use, shared by every instance through the store when it
// implements revoke.ReplayGuard (else this process's memory: see
// replayGuard). The mark lives while the proof is accepted, until the
// Unix second until, plus Revocation.Timeout for the query that arrives
// late. A store that cannot answer fails closed ([ErrStoreUnavailable]),
// unless Revocation.UnsafeFailOpen.
func (r *revoker) firstUse(ctx context.Context, key string, until int64) (bool, error) {
	first, err := r.markFirstUse(ctx, key, time.Unix(until+seconds(r.timeout), 0))
	if err != nil {
		r.health.failure(ctx, r.log, "replay", err, r.failOpen)
		if r.failOpen {
			return true, nil
		}
		return false, ErrStoreUnavailable.with(err, "")
	}
	r.health.success(ctx, r.log)
	return first, nil
}

// replayGuard is the store's revoke.ReplayGuard, or, for a configuration
// without one, a memory of this process made at the first DPoP request
// (and stopped by Close): proofs are then remembered per instance.
func (r *revoker) replayGuard() revoke.ReplayGuard {
	if r.replay != nil {
		return r.replay
	}
	r.localReplay.once.Do(func() {
		if r.s != nil {
			// Logged once, at the first DPoP request.
			r.log.Warn(fmt.Sprintf("authjwt: the revocation store (%T) does not implement revoke.ReplayGuard: DPoP proofs are remembered per process, so a proof replayed to another instance is not detected", r.s))
		}
		r.localReplay.m = revoke.NewMemory()
	})
	return r.localReplay.m
}

// close stops the local replay memory, if one was made.
func (r *revoker) close() {
	r.localReplay.once.Do(func() {})
	if r.localReplay.m != nil {
		r.localReplay.m.Close()
	}
}

// Retention.

// keepUntil returns until when a store must keep an entry about tokens
// that expire at exp (Unix seconds): never less than the verifier accepts
// them. Verification accepts a token while the whole second of its clock
// is before exp + Claims.DecodeLeeway (rounded up to whole seconds, r.clk.leeway), so
// the last instant of acceptance is just before that second. The store is
// asked a moment later, as late as Revocation.Timeout after the clock was read
// (later answers fail the request with 503), so the entry must outlive
// that instant by Revocation.Timeout too, rounded up to whole seconds. An entry
// kept shorter would let a revoked token through at the end of its life.
func (r *revoker) keepUntil(exp int64) time.Time {
	return time.Unix(exp+r.clk.leeway+seconds(r.timeout), 0)
}

// retention returns until when an entry about t alone (its jti, its
// consumed mark) must be kept: [revoke.Forever] for a token without exp.
func (r *revoker) retention(t *Token) time.Time {
	if !t.c.HasExp() {
		return revoke.Forever
	}
	return r.keepUntil(t.c.Exp)
}

// lifetimeBound returns the longest lifetime a token of ours can have
// under this configuration, beyond the lifetime of one known token
// (longer): false when some token may never expire (a lifetime of Never,
// or Expiry.AllowNonExpiring), which only Forever covers.
func (r *revoker) lifetimeBound(longer time.Duration) (time.Duration, bool) {
	if r.life.access == Never || r.life.refresh == Never || r.life.nonExpiring {
		return 0, false
	}
	return max(r.life.access, r.life.refresh, longer), true
}

// seconds rounds d up to whole seconds.
func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// The bounded calls: the only code of the package that calls the store.
// Each runs under a context bounded by the timeout, so a store that stops
// answering (a paused server, a partition) fails the call within that
// bound instead of holding it for as long as the outage. The write calls
// fail closed with [ErrStoreUnavailable] and tell the outage log how they
// went; isRevoked returns the store's error to check, which decides. Each
// reports itself to Config.Hooks.OnStoreCall (started, report).

func noCancel() {}

// bound returns ctx limited to the revoker's timeout, unless its own
// deadline is nearer already.
func (r *revoker) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.cannotBlock || r.timeout <= 0 {
		return ctx, noCancel
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= r.timeout {
		return ctx, noCancel
	}
	return context.WithTimeout(ctx, r.timeout)
}

// fail tells the outage log how a write (op: "revoke" or "consume") went
// and returns a failure as ErrStoreUnavailable.
func (r *revoker) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		r.health.success(ctx, r.log)
		return nil
	}
	r.health.failure(ctx, r.log, op, err, false)
	return ErrStoreUnavailable.with(err, "")
}

// started returns the start time of a store call when calls are
// reported (OnStoreCall), and the zero time otherwise: the clock is read
// only for the hook.
func (r *revoker) started() time.Time {
	if r.onCall == nil {
		return time.Time{}
	}
	return time.Now()
}

// report tells OnStoreCall, if set, about a call of op that began at
// start. ctx is the caller's (unbounded) context.
func (r *revoker) report(ctx context.Context, op string, start time.Time, err error, revoked bool) {
	if r.onCall != nil {
		r.onCall(ctx, StoreEvent{Op: op, Start: start, Duration: time.Since(start), Err: err, Revoked: revoked})
	}
}

// isRevoked asks the store about q; the error is the store's own. With a
// replica it asks the replica instead, whose error says it is stale.
func (r *revoker) isRevoked(ctx context.Context, q revoke.Query) (bool, error) {
	if r.rep != nil {
		return r.rep.isRevoked(q)
	}
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	revoked, err := r.s.IsRevoked(bctx, q)
	r.report(ctx, StoreOpCheck, start, err, revoked)
	return revoked, err
}

func (r *revoker) revokeToken(ctx context.Context, jti string, expires time.Time) error {
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	err := r.s.RevokeToken(bctx, jti, expires)
	r.report(ctx, StoreOpRevoke, start, err, false)
	r.applyLocal(err, revoke.Entry{Kind: revoke.EntryToken, ID: jti, Expires: expires})
	return r.fail(ctx, "revoke", err)
}

func (r *revoker) revokeFamilyID(ctx context.Context, family string, expires time.Time) error {
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	err := r.s.RevokeFamily(bctx, family, expires)
	r.report(ctx, StoreOpRevokeFamily, start, err, false)
	r.applyLocal(err, revoke.Entry{Kind: revoke.EntryFamily, ID: family, Expires: expires})
	return r.fail(ctx, "revoke", err)
}

func (r *revoker) revokeSubjectCutoff(ctx context.Context, issuer, subject string, cutoff, expires time.Time) error {
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	err := r.s.RevokeSubject(bctx, issuer, subject, cutoff, expires)
	r.report(ctx, StoreOpRevokeSubject, start, err, false)
	r.applyLocal(err, revoke.Entry{Kind: revoke.EntrySubject, Issuer: issuer, Subject: subject, Cutoff: cutoff, Expires: expires})
	return r.fail(ctx, "revoke", err)
}

// applyLocal applies a revocation the store has recorded (err == nil) to
// this instance's replica at once, so that a revoking instance refuses
// the token from the moment the call returns, before the change comes
// back through the feed.
func (r *revoker) applyLocal(err error, e revoke.Entry) {
	if err == nil && r.rep != nil {
		r.rep.apply(e)
	}
}

// markFirstUse records a DPoP proof's replay mark (see
// [revoke.ReplayGuard]).
func (r *revoker) markFirstUse(ctx context.Context, key string, expires time.Time) (bool, error) {
	g := r.replayGuard()
	bctx, cancel := r.bound(ctx)
	if _, local := g.(*revoke.Memory); local {
		bctx, cancel = ctx, noCancel
	}
	defer cancel()
	start := r.started()
	first, err := g.FirstUse(bctx, key, expires)
	r.report(ctx, StoreOpReplay, start, err, false)
	return first, err
}

// consumeJTI marks a refresh token used (see [revoke.Consumer]).
func (r *revoker) consumeJTI(ctx context.Context, jti string, expires time.Time) (first bool, usedAt time.Time, err error) {
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	first, usedAt, err = r.consumer.Consume(bctx, jti, expires)
	r.report(ctx, StoreOpConsume, start, err, false)
	return first, usedAt, r.fail(ctx, "consume", err)
}

// consumeWithSuccessor marks a refresh token used and records successor
// with the mark where the store can (see [revoke.SuccessorConsumer]);
// recorded is the successor of the first use, "" when the store cannot
// record one.
func (r *revoker) consumeWithSuccessor(ctx context.Context, jti, successor string, expires time.Time) (first bool, usedAt time.Time, recorded string, err error) {
	if r.succ == nil {
		first, usedAt, err = r.consumeJTI(ctx, jti, expires)
		return first, usedAt, "", err
	}
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	first, usedAt, recorded, err = r.succ.ConsumeWithSuccessor(bctx, jti, successor, expires)
	r.report(ctx, StoreOpConsume, start, err, false)
	return first, usedAt, recorded, r.fail(ctx, "consume", err)
}

// The bounded calls of sessions ([revoke.SessionStore]); r.sess is set.

func (r *revoker) createSession(ctx context.Context, s revoke.Session, max int) ([]revoke.Session, error) {
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	over, err := r.sess.CreateSession(bctx, s, max)
	r.report(ctx, StoreOpSessionCreate, start, err, false)
	return over, r.fail(ctx, "session", err)
}

func (r *revoker) touchSession(ctx context.Context, issuer, subject, id string, at time.Time) error {
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	err := r.sess.TouchSession(bctx, issuer, subject, id, at)
	r.report(ctx, StoreOpSessionTouch, start, err, false)
	return r.fail(ctx, "session", err)
}

// getSession returns the live session, [ErrSessionNotFound] when there is
// none, [ErrStoreUnavailable] when the store cannot say.
func (r *revoker) getSession(ctx context.Context, issuer, subject, id string) (revoke.Session, error) {
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	s, err := r.sess.GetSession(bctx, issuer, subject, id)
	if errors.Is(err, revoke.ErrSessionNotFound) && bctx.Err() == nil {
		r.report(ctx, StoreOpSessionGet, start, nil, false)
		r.health.success(ctx, r.log)
		return revoke.Session{}, ErrSessionNotFound
	}
	r.report(ctx, StoreOpSessionGet, start, err, false)
	return s, r.fail(ctx, "session", err)
}

func (r *revoker) listSessions(ctx context.Context, issuer, subject string, after revoke.SessionCursor, limit int) ([]revoke.Session, error) {
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	page, err := r.sess.ListSessions(bctx, issuer, subject, after, limit)
	r.report(ctx, StoreOpSessionList, start, err, false)
	return page, r.fail(ctx, "session", err)
}

func (r *revoker) deleteSession(ctx context.Context, issuer, subject, id string) error {
	bctx, cancel := r.bound(ctx)
	defer cancel()
	start := r.started()
	err := r.sess.DeleteSession(bctx, issuer, subject, id)
	r.report(ctx, StoreOpSessionDelete, start, err, false)
	return r.fail(ctx, "session", err)
}

// Store outage logging. A store that is down fails every request that
// needs it; one ERROR line per request buried the log (43,307 lines in a
// 10 s outage). Instead, an outage logs once when it starts (ERROR, with
// the first error), a summary every outageSummaryEvery while it lasts
// (ERROR: failures since the last line, and the latest error), and once
// when it ends (INFO: how long it lasted, how many requests failed).
// Per-request detail is at DEBUG level.
const (
	// outageSummaryEvery is how often an ongoing outage is summed up.
	outageSummaryEvery = 10 * time.Second
	// outageQuiet is how long the store must go without failing before a
	// success ends the outage, so that a store failing every other call
	// is one outage with summaries, not a start and an end line per
	// request.
	outageQuiet = time.Second
)

// storeHealth follows the revocation store's failures and successes and
// logs outages as described above. The success path, taken by every
// verification with the denylist on, is one atomic load while the store
// is healthy.
type storeHealth struct {
	down atomic.Bool // an outage is ongoing

	mu          sync.Mutex
	start       time.Time // first failure of the outage
	lastFailure time.Time
	lastLine    time.Time // start or last summary
	failed      int64     // failures during the outage
	sinceLine   int64     // failures since lastLine
	failedOpen  int64     // of those, tokens accepted unchecked (Revocation.UnsafeFailOpen)
	lastErr     string

	// every and quiet are outageSummaryEvery and outageQuiet; tests
	// shorten them.
	every, quiet time.Duration
}

// failure records a failed store call (op names it: "check", "revoke",
// "consume") and logs the start of an outage or a summary when one is due.
// failOpen reports that the token was accepted anyway.
func (h *storeHealth) failure(ctx context.Context, log *slog.Logger, op string, err error, failOpen bool) {
	now := time.Now()
	msg := err.Error()
	if log.Enabled(ctx, slog.LevelDebug) {
		log.DebugContext(ctx, "authjwt: revocation store failed", "op", op, "error", msg)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastFailure, h.lastErr = now, msg
	if !h.down.Load() {
		h.start, h.lastLine, h.failed, h.sinceLine, h.failedOpen = now, now, 1, 0, 0
		h.down.Store(true)
		args := []any{"op", op, "error", msg}
		if failOpen {
			args = append(args, "fail_open", true)
			log.ErrorContext(ctx, "authjwt: revocation store unavailable; accepting tokens unchecked until it answers (Revocation.UnsafeFailOpen)", args...)
			return
		}
		log.ErrorContext(ctx, "authjwt: revocation store unavailable; requests that need it fail with 503 until it answers", args...)
		return
	}
	h.failed++
	h.sinceLine++
	if failOpen {
		h.failedOpen++
	}
	if now.Sub(h.lastLine) < h.summaryEvery() {
		return
	}
	args := []any{"failed", h.sinceLine, "since_last", now.Sub(h.lastLine).Round(time.Millisecond).String(),
		"failed_total", h.failed, "down_for", now.Sub(h.start).Round(time.Millisecond).String(), "error", msg}
	if h.failedOpen > 0 {
		args = append(args, "accepted_unchecked", h.failedOpen)
	}
	log.ErrorContext(ctx, "authjwt: revocation store still unavailable", args...)
	h.lastLine, h.sinceLine, h.failedOpen = now, 0, 0
}

// success records a store call that answered, and logs the end of an
// ongoing outage once the store has gone outageQuiet without failing.
func (h *storeHealth) success(ctx context.Context, log *slog.Logger) {
	if !h.down.Load() {
		return
	}
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down.Load() || now.Sub(h.lastFailure) < h.quietFor() {
		return
	}
	h.down.Store(false)
	log.InfoContext(ctx, "authjwt: revocation store available again",
		"down_for", h.lastFailure.Sub(h.start).Round(time.Millisecond).String(), "failed_total", h.failed, "last_error", h.lastErr)
	h.failed, h.sinceLine, h.failedOpen = 0, 0, 0
}

func (h *storeHealth) summaryEvery() time.Duration {
	if h.every > 0 {
		return h.every
	}
	return outageSummaryEvery
}

func (h *storeHealth) quietFor() time.Duration {
	if h.quiet > 0 {
		return h.quiet
	}
	return outageQuiet
}
