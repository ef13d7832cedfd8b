// Package authotel reports what authjwt decides as OpenTelemetry metrics
// and traces: verification outcomes by stable error code, revocation-store
// call latency and errors, JWKS fetches and their results, and refresh
// token reuse detections. It lives in its own module so that the core
// keeps to the standard library; the core feeds it through its hooks
// ([authjwt.HookConfig.OnVerify], [authjwt.HookConfig.OnStoreCall],
// [authjwt.HookConfig.OnRefreshReuse] and [keys.RemoteConfig.OnFetch]).
//
//	o, err := authotel.New(authotel.Options{MeterProvider: mp, TracerProvider: tp})
//	if err != nil { … }
//	cfg := authjwt.Config{…}
//	o.Instrument(&cfg)
//	auth, err := authjwt.New(cfg)
//
// Metrics (histograms in seconds, bucketed for their scale):
//
//   - authjwt.verify.duration: one point per verification; attributes
//     authjwt.code ("ok" on success, else the error's stable code, such
//     as "token_expired"), authjwt.token.source ("header", "cookie",
//     "query", "subprotocol", "dpop" or "direct"), and for accepted tokens
//     authjwt.token.type, authjwt.token.algorithm and
//     authjwt.token.third_party (with authjwt.token.issuer for a trusted
//     issuer's token).
//   - authjwt.store.call.duration: one point per call into the revocation
//     store; attributes authjwt.store.operation ("check", "revoke",
//     "revoke_family", "revoke_subject", "consume", "dpop_replay", …) and, for a failed
//     call, error.type ("timeout", "canceled" or the error's Go type).
//   - authjwt.store.errors: failed store calls, with the same attributes.
//   - authjwt.jwks.fetch.duration: one point per JWKS fetch; attributes
//     authjwt.jwks.result ("ok", "http_status", "network", "timeout",
//     "canceled", "invalid"), authjwt.jwks.reason ("initial",
//     "background", "unknown_kid", "refresh"), server.address and
//     http.response.status_code (when the provider answered).
//   - authjwt.rotation.reuse: uses of an already used refresh token;
//     attribute authjwt.rotation.outcome: "retry" (within
//     Revocation.ReuseGrace), "family_revoked" (reuse, taken as theft) or
//     "revoke_failed" (reuse whose family could not be revoked).
//
// Traces: a client span around every store call ("authjwt.store.check",
// …) and every JWKS fetch ("authjwt.jwks.fetch"), with the call's own
// start and end times, as a child of the span in the context the core
// passes: the request's for store calls and for fetches caused by a
// request (an unknown kid), none for background refreshes. A reuse
// detection also adds an event "authjwt.rotation.reuse" to the request's
// span. Refusals before verification (no token, a malformed header) are
// not verifications and are not counted.
package authotel

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/keys"
)

// ScopeName is the instrumentation scope of the meter and tracer.
const ScopeName = "github.com/librenz/authjwt/telemetry/authotel"

// Options configures [New].
type Options struct {
	// MeterProvider makes the instruments (default: the global one,
	// otel.GetMeterProvider()).
	MeterProvider metric.MeterProvider
	// TracerProvider makes the spans (default: the global one,
	// otel.GetTracerProvider()).
	TracerProvider trace.TracerProvider
}

// Observer turns the core's hook events into metrics and spans. Its
// methods are the hooks; [Observer.Instrument] installs them all. It is
// safe for concurrent use.
type Observer struct {
	tracer    trace.Tracer
	verifyDur metric.Float64Histogram
	storeDur  metric.Float64Histogram
	storeErr  metric.Int64Counter
	fetchDur  metric.Float64Histogram
	reuse     metric.Int64Counter
}

// Bucket boundaries in seconds: a verification takes microseconds (more
// with a store check or a user loader); store calls and fetches take
// milliseconds to seconds (bounded by Revocation.Timeout and FetchTimeout).
var (
	verifyBuckets = []float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
	callBuckets   = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
)

// New returns an Observer reporting to the providers of opts. It fails
// only if an instrument cannot be made.
func New(opts Options) (*Observer, error) {
	mp, tp := opts.MeterProvider, opts.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(ScopeName)
	o := &Observer{tracer: tp.Tracer(ScopeName)}
	var err, e error
	o.verifyDur, e = m.Float64Histogram("authjwt.verify.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of token verifications, by outcome (authjwt.code)."),
		metric.WithExplicitBucketBoundaries(verifyBuckets...))
	err = errors.Join(err, e)
	o.storeDur, e = m.Float64Histogram("authjwt.store.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of calls into the revocation store, by operation."),
		metric.WithExplicitBucketBoundaries(callBuckets...))
	err = errors.Join(err, e)
	o.storeErr, e = m.Int64Counter("authjwt.store.errors", metric.WithUnit("{error}"),
		metric.WithDescription("Failed calls into the revocation store, by operation and error type."))
	err = errors.Join(err, e)
	o.fetchDur, e = m.Float64Histogram("authjwt.jwks.fetch.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of JWKS fetches of trusted issuers, by result."),
		metric.WithExplicitBucketBoundaries(callBuckets...))
	err = errors.Join(err, e)
	o.reuse, e = m.Int64Counter("authjwt.rotation.reuse", metric.WithUnit("{use}"),
		metric.WithDescription("Uses of an already used refresh token in rotation, by outcome."))
	err = errors.Join(err, e)
	if err != nil {
		return nil, fmt.Errorf("authotel: %w", err)
	}
	return o, nil
}

// Instrument installs the Observer's hooks in cfg: OnVerify, OnStoreCall,
// OnRefreshReuse, and the Remote.OnFetch of every trusted issuer whose
// keys New fetches (those without their own Keys). Hooks already set are
// kept and called first. Call it once per Config, before [authjwt.New];
// cfg.TrustedIssuers is copied, not modified in place.
func (o *Observer) Instrument(cfg *authjwt.Config) {
	cfg.Hooks.OnVerify = chain(cfg.Hooks.OnVerify, o.OnVerify)
	cfg.Hooks.OnStoreCall = chain(cfg.Hooks.OnStoreCall, o.OnStoreCall)
	cfg.Hooks.OnRefreshReuse = chain(cfg.Hooks.OnRefreshReuse, o.OnRefreshReuse)
	if len(cfg.TrustedIssuers) > 0 {
		cfg.TrustedIssuers = slices.Clone(cfg.TrustedIssuers)
		for i := range cfg.TrustedIssuers {
			ti := &cfg.TrustedIssuers[i]
			if ti.Keys == nil {
				ti.Remote.OnFetch = chain(ti.Remote.OnFetch, o.OnFetch)
			}
		}
	}
}

func chain[E any](prev, next func(context.Context, E)) func(context.Context, E) {
	if prev == nil {
		return next
	}
	return func(ctx context.Context, ev E) {
		prev(ctx, ev)
		next(ctx, ev)
	}
}

// Attribute keys.
const (
	keyCode          = attribute.Key("authjwt.code")
	keySource        = attribute.Key("authjwt.token.source")
	keyType          = attribute.Key("authjwt.token.type")
	keyAlgorithm     = attribute.Key("authjwt.token.algorithm")
	keyThirdParty    = attribute.Key("authjwt.token.third_party")
	keyIssuer        = attribute.Key("authjwt.token.issuer")
	keyStoreOp       = attribute.Key("authjwt.store.operation")
	keyErrorType     = attribute.Key("error.type")
	keyFetchResult   = attribute.Key("authjwt.jwks.result")
	keyFetchReason   = attribute.Key("authjwt.jwks.reason")
	keyFetchKeys     = attribute.Key("authjwt.jwks.keys")
	keyServerAddress = attribute.Key("server.address")
	keyStatusCode    = attribute.Key("http.response.status_code")
	keyURL           = attribute.Key("url.full")
	keyReuseOutcome  = attribute.Key("authjwt.rotation.outcome")
)

// OnVerify records one verification ([authjwt.HookConfig.OnVerify]).
func (o *Observer) OnVerify(ctx context.Context, ev authjwt.VerifyEvent) {
	code := "ok"
	if ev.Err != nil {
		code = string(authjwt.AsError(ev.Err).Code)
	}
	source := ev.Source
	if source == "" {
		source = "direct"
	}
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, keyCode.String(code), keySource.String(source))
	if ev.Err == nil {
		if ev.Type != "" {
			attrs = append(attrs, keyType.String(ev.Type))
		}
		attrs = append(attrs, keyAlgorithm.String(ev.Algorithm), keyThirdParty.Bool(ev.ThirdParty))
		if ev.ThirdParty {
			attrs = append(attrs, keyIssuer.String(ev.Issuer))
		}
	}
	o.verifyDur.Record(ctx, ev.Duration.Seconds(), metric.WithAttributes(attrs...))
}

// OnStoreCall records one call into the revocation store and its span
// ([authjwt.HookConfig.OnStoreCall]).
func (o *Observer) OnStoreCall(ctx context.Context, ev authjwt.StoreEvent) {
	_, span := o.tracer.Start(ctx, "authjwt.store."+ev.Op, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(ev.Start))
	op := keyStoreOp.String(ev.Op)
	span.SetAttributes(op)
	if ev.Err != nil {
		et := keyErrorType.String(errorType(ev.Err))
		span.SetAttributes(et)
		span.RecordError(ev.Err)
		span.SetStatus(codes.Error, ev.Err.Error())
		o.storeDur.Record(ctx, ev.Duration.Seconds(), metric.WithAttributes(op, et))
		o.storeErr.Add(ctx, 1, metric.WithAttributes(op, et))
	} else {
		if ev.Op == authjwt.StoreOpCheck {
			span.SetAttributes(attribute.Bool("authjwt.store.revoked", ev.Revoked))
		}
		o.storeDur.Record(ctx, ev.Duration.Seconds(), metric.WithAttributes(op))
	}
	span.End(trace.WithTimestamp(ev.Start.Add(ev.Duration)))
}

// errorType classifies a store error for error.type: "timeout" for a
// deadline (Revocation.Timeout), "canceled", else the error's Go type.
func errorType(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return fmt.Sprintf("%T", err)
}

// OnFetch records one JWKS fetch and its span ([keys.RemoteConfig.OnFetch]).
// Set it on a [keys.RemoteConfig] built by hand; [Observer.Instrument]
// sets it for trusted issuers.
func (o *Observer) OnFetch(ctx context.Context, ev keys.FetchEvent) {
	_, span := o.tracer.Start(ctx, "authjwt.jwks.fetch", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(ev.Start))
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, keyFetchResult.String(ev.Result), keyFetchReason.String(ev.Reason))
	if u, err := url.Parse(ev.URL); err == nil && u.Hostname() != "" {
		attrs = append(attrs, keyServerAddress.String(u.Hostname()))
	}
	if ev.Status != 0 {
		attrs = append(attrs, keyStatusCode.Int(ev.Status))
	}
	span.SetAttributes(attrs...)
	span.SetAttributes(keyURL.String(ev.URL), keyFetchKeys.Int(ev.Keys))
	if ev.Err != nil {
		span.SetAttributes(keyErrorType.String(ev.Result))
		span.RecordError(ev.Err)
		span.SetStatus(codes.Error, ev.Err.Error())
	}
	span.End(trace.WithTimestamp(ev.Start.Add(ev.Duration)))
	o.fetchDur.Record(ctx, ev.Duration.Seconds(), metric.WithAttributes(attrs...))
}

// OnRefreshReuse records a use of an already used refresh token
// ([authjwt.HookConfig.OnRefreshReuse]), as a count and as an event of the
// request's span.
func (o *Observer) OnRefreshReuse(ctx context.Context, ev authjwt.ReuseEvent) {
	outcome := "family_revoked"
	switch {
	case ev.Retry:
		outcome = "retry"
	case ev.Err != nil:
		outcome = "revoke_failed"
	}
	attr := keyReuseOutcome.String(outcome)
	o.reuse.Add(ctx, 1, metric.WithAttributes(attr))
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent("authjwt.rotation.reuse", trace.WithAttributes(attr, attribute.Float64("authjwt.rotation.since", ev.Since.Seconds())))
	}
}
