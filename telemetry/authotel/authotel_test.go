package authotel_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/telemetry/authotel"
)

const secret = "0123456789abcdef0123456789abcdef-authotel"

// harness is an Observer over the SDK's manual reader and in-memory span
// exporter, with a tracer of the same provider for the requests' spans.
type harness struct {
	o      *authotel.Observer
	reader *sdkmetric.ManualReader
	spans  *tracetest.InMemoryExporter
	tracer trace.Tracer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{reader: sdkmetric.NewManualReader(), spans: tracetest.NewInMemoryExporter()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(h.spans))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) })
	o, err := authotel.New(authotel.Options{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	h.o, h.tracer = o, tp.Tracer("test")
	return h
}

// points returns the data points of the metric name: for each attribute
// set (rendered "k=v,…", sorted), its count (histograms) or value (sums).
func (h *harness) points(t *testing.T, name string) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					if m.Unit != "s" {
						t.Errorf("%s: unit %q, want s", name, m.Unit)
					}
					got[render(p.Attributes)] += int64(p.Count)
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[render(p.Attributes)] += p.Value
				}
			default:
				t.Fatalf("%s: unexpected data %T", name, m.Data)
			}
		}
	}
	return got
}

func render(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// expectPoints checks that the metric has exactly the data points want.
func (h *harness) expectPoints(t *testing.T, name string, want map[string]int64) {
	t.Helper()
	got := h.points(t, name)
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s{%s} = %d, want %d", name, k, got[k], n)
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s{%s} = %d, not expected", name, k, n)
		}
	}
}

// spansNamed returns the ended spans whose name starts with prefix.
func (h *harness) spansNamed(prefix string) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range h.spans.GetSpans() {
		if strings.HasPrefix(s.Name, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func spanAttr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// request sends a request with the token in the Authorization header
// through the protected handler, inside a span of its own; it returns
// the status and the request span's context.
func (h *harness) request(t *testing.T, handler http.Handler, token string) (int, trace.SpanContext) {
	t.Helper()
	ctx, span := h.tracer.Start(context.Background(), "request")
	r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	span.End()
	return w.Code, span.SpanContext()
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})

// TestVerifyAndStoreMetrics drives real verifications through the
// middleware of an Auth with the memory store: one verify point per
// decision, by code, and one store call (point and child span) per check.
func TestVerifyAndStoreMetrics(t *testing.T) {
	h := newHarness(t)
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Revocation: authjwt.RevocationConfig{Store: revoke.NewMemory()}, Logger: quiet()}
	h.o.Instrument(&cfg)
	a, err := authjwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	protected := a.Required(ok)
	good, _ := a.CreateAccessToken("alice")
	revoked, _ := a.CreateAccessToken("bob")
	rt, err := a.Verify(context.Background(), revoked, authjwt.Requirement{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(context.Background(), rt); err != nil {
		t.Fatal(err)
	}
	h.spans.Reset()

	status, reqSpan := h.request(t, protected, good)
	if status != 200 {
		t.Fatalf("good token: %d", status)
	}
	checks := h.spansNamed("authjwt.store.")
	if len(checks) != 1 || checks[0].Name != "authjwt.store.check" || checks[0].SpanKind != trace.SpanKindClient {
		t.Fatalf("store spans of one request: %+v", checks)
	}
	if c := checks[0]; c.Parent.SpanID() != reqSpan.SpanID() || c.SpanContext.TraceID() != reqSpan.TraceID() {
		t.Errorf("the store call's span is not a child of the request's span")
	}
	if c := checks[0]; spanAttr(c, "authjwt.store.operation") != "check" || spanAttr(c, "authjwt.store.revoked") != "false" || c.EndTime.Before(c.StartTime) {
		t.Errorf("store span %+v", c)
	}
	if status, _ := h.request(t, protected, revoked); status != 401 {
		t.Fatalf("revoked token: %d", status)
	}
	if status, _ := h.request(t, protected, "x.y.z"); status == 200 {
		t.Fatal("malformed token accepted")
	}
	if status, _ := h.request(t, protected, good); status != 200 {
		t.Fatal("good token refused the second time")
	}
	if _, err := a.Verify(context.Background(), good, authjwt.Requirement{}); err != nil {
		t.Fatal(err)
	}

	// The first Verify (of the token then revoked) counts too.
	accepted := "authjwt.code=ok,authjwt.token.algorithm=HS256,authjwt.token.source=%s,authjwt.token.third_party=false,authjwt.token.type=access"
	h.expectPoints(t, "authjwt.verify.duration", map[string]int64{
		strings.Replace(accepted, "%s", "header", 1):               2,
		strings.Replace(accepted, "%s", "direct", 1):               2,
		"authjwt.code=token_revoked,authjwt.token.source=header":   1,
		"authjwt.code=malformed_token,authjwt.token.source=header": 1,
	})
	// Checks of the four tokens that got past the signature, and the
	// revocation.
	h.expectPoints(t, "authjwt.store.call.duration", map[string]int64{
		"authjwt.store.operation=check":  5,
		"authjwt.store.operation=revoke": 1,
	})
	h.expectPoints(t, "authjwt.store.errors", map[string]int64{})
}

// failingStore fails every check, or (with slow) answers after its
// context ends, as a paused server does.
type failingStore struct {
	*revoke.Memory
	slow bool
}

var errDown = errors.New("store down")

func (s *failingStore) IsRevoked(ctx context.Context, q revoke.Query) (bool, error) {
	if s.slow {
		<-ctx.Done()
		return false, ctx.Err()
	}
	return false, errDown
}

func TestStoreErrors(t *testing.T) {
	h := newHarness(t)
	store := &failingStore{Memory: revoke.NewMemory()}
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Revocation: authjwt.RevocationConfig{Store: store, Timeout: 20 * time.Millisecond}, Logger: quiet()}
	h.o.Instrument(&cfg)
	a, err := authjwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	protected := a.Required(ok)
	tok, _ := a.CreateAccessToken("alice")
	status, reqSpan := h.request(t, protected, tok)
	if status != 503 {
		t.Fatalf("failing store: %d, want 503", status)
	}
	store.slow = true
	if status, _ := h.request(t, protected, tok); status != 503 {
		t.Fatalf("paused store: %d, want 503", status)
	}
	h.expectPoints(t, "authjwt.store.errors", map[string]int64{
		"authjwt.store.operation=check,error.type=*errors.errorString": 1,
		"authjwt.store.operation=check,error.type=timeout":             1,
	})
	h.expectPoints(t, "authjwt.store.call.duration", map[string]int64{
		"authjwt.store.operation=check,error.type=*errors.errorString": 1,
		"authjwt.store.operation=check,error.type=timeout":             1,
	})
	h.expectPoints(t, "authjwt.verify.duration", map[string]int64{
		"authjwt.code=revocation_store_unavailable,authjwt.token.source=header": 2,
	})
	spans := h.spansNamed("authjwt.store.check")
	if len(spans) != 2 {
		t.Fatalf("%d store spans, want 2", len(spans))
	}
	first := spans[0]
	if first.Status.Code != codes.Error || first.Parent.SpanID() != reqSpan.SpanID() || len(first.Events) != 1 || first.Events[0].Name != "exception" {
		t.Errorf("failed store call's span: status %+v, parent %v, events %+v", first.Status, first.Parent.SpanID(), first.Events)
	}
}

// TestRotationReuse rotates a refresh token and presents it again, within
// the grace window (a retry) and after it (reuse, the family revoked).
func TestRotationReuse(t *testing.T) {
	h := newHarness(t)
	var now atomic.Int64
	now.Store(time.Now().Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Now: clock, Logger: quiet(), Revocation: authjwt.RevocationConfig{
		Store: revoke.NewMemory(revoke.WithClock(clock)), Rotation: true, ReuseGrace: 10 * time.Second}}
	h.o.Instrument(&cfg)
	a, err := authjwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pair, _ := a.CreatePair("alice")
	rt, err := a.Verify(context.Background(), pair.RefreshToken, authjwt.Requirement{Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Rotate(context.Background(), rt); err != nil {
		t.Fatal(err)
	}
	h.expectPoints(t, "authjwt.rotation.reuse", map[string]int64{})
	now.Add(1)
	if _, err := a.Rotate(context.Background(), rt); err != nil {
		t.Fatalf("retry: %v", err)
	}
	now.Add(30)
	ctx, span := h.tracer.Start(context.Background(), "refresh")
	if _, err := a.Rotate(ctx, rt); !errors.Is(err, authjwt.ErrRefreshReuse) {
		t.Fatalf("reuse: %v", err)
	}
	span.End()
	h.expectPoints(t, "authjwt.rotation.reuse", map[string]int64{
		"authjwt.rotation.outcome=retry":          1,
		"authjwt.rotation.outcome=family_revoked": 1,
	})
	h.expectPoints(t, "authjwt.store.call.duration", map[string]int64{
		"authjwt.store.operation=check":         1,
		"authjwt.store.operation=consume":       3,
		"authjwt.store.operation=revoke_family": 1,
		"authjwt.store.operation=revoke":        1,
	})
	reqSpans := h.spansNamed("refresh")
	if len(reqSpans) != 1 || len(reqSpans[0].Events) != 1 || reqSpans[0].Events[0].Name != "authjwt.rotation.reuse" {
		t.Fatalf("the request's span has no reuse event: %+v", reqSpans)
	}
}

// provider is an identity provider over TLS serving a JWKS whose answer
// tests switch to a failure.
type provider struct {
	srv    *httptest.Server
	minter *authjwt.Auth
	fail   atomic.Bool
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	p := &provider{}
	pem := rsaPEM(t)
	var err error
	p.minter, err = authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{PrivateKey: pem, Algorithm: "RS256"}, TypeClaim: authjwt.TypeClaimConfig{Skip: true}, Claims: authjwt.ClaimsConfig{EncodeIssuer: "https://idp.invalid"}})
	if err != nil {
		t.Fatal(err)
	}
	jwks := p.minter.JWKSHandler()
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.fail.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		jwks.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// TestJWKSFetches: a trusted issuer's fetches through Instrument, and a
// keys.Remote's on-demand fetch as a child of the request's span.
func TestJWKSFetches(t *testing.T) {
	h := newHarness(t)
	p := newProvider(t)
	host := "server.address=" + hostOf(t, p.srv.URL)
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Logger: quiet(), TrustedIssuers: []authjwt.TrustedIssuer{{
		Issuer: "https://idp.invalid", JWKSURL: p.srv.URL + "/jwks", Audience: []string{"api"}, HTTPClient: p.srv.Client(),
	}}}
	h.o.Instrument(&cfg)
	a, err := authjwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tok, _ := p.minter.CreateAccessToken("carol", authjwt.WithAudience("api"))
	if _, err := a.Verify(context.Background(), tok, authjwt.Requirement{}); err != nil {
		t.Fatal(err)
	}
	h.expectPoints(t, "authjwt.jwks.fetch.duration", map[string]int64{
		"authjwt.jwks.reason=initial,authjwt.jwks.result=ok,http.response.status_code=200," + host: 1,
	})
	h.expectPoints(t, "authjwt.verify.duration", map[string]int64{
		"authjwt.code=ok,authjwt.token.algorithm=RS256,authjwt.token.issuer=https://idp.invalid,authjwt.token.source=direct,authjwt.token.third_party=true": 1,
	})
	fetches := h.spansNamed("authjwt.jwks.fetch")
	if len(fetches) != 1 || fetches[0].Parent.IsValid() || spanAttr(fetches[0], "url.full") != p.srv.URL+"/jwks" || spanAttr(fetches[0], "authjwt.jwks.keys") != "1" {
		t.Fatalf("fetch spans: %+v", fetches)
	}

	// A Remote of our own: a refresh against a failing provider, then an
	// unknown kid looked up inside a request.
	h.spans.Reset()
	r, err := keys.NewRemote(context.Background(), keys.RemoteConfig{JWKSURL: p.srv.URL + "/jwks", Client: p.srv.Client(), OnFetch: h.o.OnFetch, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p.fail.Store(true)
	if err := r.Refresh(context.Background()); err == nil {
		t.Fatal("refresh against a failing provider succeeded")
	}
	p.fail.Store(false)
	ctx, span := h.tracer.Start(context.Background(), "request")
	if _, err := r.Lookup(ctx, "no-such-kid"); !errors.Is(err, keys.ErrKeyNotFound) {
		t.Fatalf("unknown kid: %v", err)
	}
	span.End()
	h.expectPoints(t, "authjwt.jwks.fetch.duration", map[string]int64{
		"authjwt.jwks.reason=initial,authjwt.jwks.result=ok,http.response.status_code=200," + host:          2,
		"authjwt.jwks.reason=refresh,authjwt.jwks.result=http_status,http.response.status_code=502," + host: 1,
		"authjwt.jwks.reason=unknown_kid,authjwt.jwks.result=ok,http.response.status_code=200," + host:      1,
	})
	var failed, onDemand *tracetest.SpanStub
	for _, s := range h.spansNamed("authjwt.jwks.fetch") {
		switch spanAttr(s, "authjwt.jwks.reason") {
		case "refresh":
			failed = &s
		case "unknown_kid":
			onDemand = &s
		}
	}
	if failed == nil || failed.Status.Code != codes.Error || spanAttr(*failed, "error.type") != "http_status" {
		t.Errorf("failed fetch's span: %+v", failed)
	}
	if onDemand == nil || onDemand.Parent.SpanID() != span.SpanContext().SpanID() {
		t.Errorf("the on-demand fetch's span is not a child of the request's span: %+v", onDemand)
	}
}

func hostOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname()
}

// TestInstrumentKeepsHooks: hooks set before Instrument still run.
func TestInstrumentKeepsHooks(t *testing.T) {
	h := newHarness(t)
	var mine int
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Hooks: authjwt.HookConfig{OnVerify: func(context.Context, authjwt.VerifyEvent) { mine++ }}, Logger: quiet()}
	h.o.Instrument(&cfg)
	a, err := authjwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := a.CreateAccessToken("alice")
	if _, err := a.Verify(context.Background(), tok, authjwt.Requirement{}); err != nil {
		t.Fatal(err)
	}
	if mine != 1 {
		t.Fatalf("the earlier OnVerify ran %d times", mine)
	}
	if n := h.points(t, "authjwt.verify.duration"); len(n) != 1 {
		t.Fatalf("verify points %v", n)
	}
}
