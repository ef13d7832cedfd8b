package authjwt

import (
	"context"
	"log/slog"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// storeGate is the one way into the configured revocation store. Every
// call — IsRevoked on verification and in WatchToken's polling, the
// Revoke* methods, Rotate's consume and its reuse path — runs under a
// context bounded by [Config.StoreTimeout], so a store that stops
// answering (a paused server, a partition) fails the call within that
// bound instead of holding it for as long as the outage. The write calls
// fail closed with [ErrStoreUnavailable]; IsRevoked returns the store's
// error to checkRevoked, which fails closed unless
// [Config.UnsafeRevocationFailOpen].
//
// No code of this package touches Config.Store but New, which builds the
// gate (TestStoreCallsGoThroughGate checks it), so a new call into the
// store cannot forget the bound.
type storeGate struct {
	s        revoke.Store
	consumer revoke.Consumer          // nil unless s implements it
	succ     revoke.SuccessorConsumer // nil unless s implements it
	timeout  time.Duration
	log      *slog.Logger
	// cannotBlock is set for the in-memory store, which answers from a
	// map: a deadline (a timer and a context per call) would only cost
	// time there.
	cannotBlock bool
	// health logs the store's outages (start, summaries, end) instead of
	// one line per failed call.
	health storeHealth
}

// newStoreGate returns the gate of s, or nil without a store.
func newStoreGate(s revoke.Store, timeout time.Duration, log *slog.Logger) *storeGate {
	if s == nil {
		return nil
	}
	g := &storeGate{s: s, timeout: timeout, log: log}
	g.consumer, _ = s.(revoke.Consumer)
	g.succ, _ = s.(revoke.SuccessorConsumer)
	_, g.cannotBlock = s.(*revoke.Memory)
	return g
}

func noCancel() {}

// bound returns ctx limited to the gate's timeout, unless its own deadline
// is nearer already.
func (g *storeGate) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if g.cannotBlock || g.timeout <= 0 {
		return ctx, noCancel
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= g.timeout {
		return ctx, noCancel
	}
	return context.WithTimeout(ctx, g.timeout)
}

// fail tells the outage log how a write (op: "revoke" or "consume") went
// and returns a failure as ErrStoreUnavailable.
func (g *storeGate) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		g.health.success(ctx, g.log)
		return nil
	}
	g.health.failure(ctx, g.log, op, err, false)
	return ErrStoreUnavailable.with(err, "")
}

// isRevoked asks the store about q; the error is the store's own.
func (g *storeGate) isRevoked(ctx context.Context, q revoke.Query) (bool, error) {
	ctx, cancel := g.bound(ctx)
	defer cancel()
	return g.s.IsRevoked(ctx, q)
}

func (g *storeGate) revokeToken(ctx context.Context, jti string, expires time.Time) error {
	bctx, cancel := g.bound(ctx)
	defer cancel()
	return g.fail(ctx, "revoke", g.s.RevokeToken(bctx, jti, expires))
}

func (g *storeGate) revokeFamily(ctx context.Context, family string, expires time.Time) error {
	bctx, cancel := g.bound(ctx)
	defer cancel()
	return g.fail(ctx, "revoke", g.s.RevokeFamily(bctx, family, expires))
}

func (g *storeGate) revokeSubject(ctx context.Context, issuer, subject string, cutoff, expires time.Time) error {
	bctx, cancel := g.bound(ctx)
	defer cancel()
	return g.fail(ctx, "revoke", g.s.RevokeSubject(bctx, issuer, subject, cutoff, expires))
}

// consume marks a refresh token used (see [revoke.Consumer]). New refuses
// rotation without a Consumer, so g.consumer is set whenever this runs.
func (g *storeGate) consume(ctx context.Context, jti string, expires time.Time) (first bool, usedAt time.Time, err error) {
	bctx, cancel := g.bound(ctx)
	defer cancel()
	first, usedAt, err = g.consumer.Consume(bctx, jti, expires)
	return first, usedAt, g.fail(ctx, "consume", err)
}

// consumeWithSuccessor marks a refresh token used and records successor
// with the mark where the store can (see [revoke.SuccessorConsumer]);
// recorded is the successor of the first use, "" when the store cannot
// record one.
func (g *storeGate) consumeWithSuccessor(ctx context.Context, jti, successor string, expires time.Time) (first bool, usedAt time.Time, recorded string, err error) {
	if g.succ == nil {
		first, usedAt, err = g.consume(ctx, jti, expires)
		return first, usedAt, "", err
	}
	bctx, cancel := g.bound(ctx)
	defer cancel()
	first, usedAt, recorded, err = g.succ.ConsumeWithSuccessor(bctx, jti, successor, expires)
	return first, usedAt, recorded, g.fail(ctx, "consume", err)
}
