package authjwt

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// The hooks for metrics and traces (issue 19, item 5): OnVerify,
// OnStoreCall and OnRefreshReuse report every decision once, with the
// caller's context and the right data.

type hookKey struct{}

// hookCtx is a context carrying a value, to check that hooks get the
// caller's context.
func hookCtx(v string) context.Context { return context.WithValue(context.Background(), hookKey{}, v) }

// recorder collects hook events with the context value each came with.
type recorder[E any] struct {
	mu   sync.Mutex
	evs  []E
	vals []any
}

func (r *recorder[E]) on(ctx context.Context, ev E) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	r.vals = append(r.vals, ctx.Value(hookKey{}))
}

// take returns the events since the last call.
func (r *recorder[E]) take() ([]E, []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs, vals := r.evs, r.vals
	r.evs, r.vals = nil, nil
	return evs, vals
}

func TestOnVerifyEvent(t *testing.T) {
	var rec recorder[VerifyEvent]
	clk := &clock{t: time.Now()} // the provider mints with the real clock
	idp := newFakeIdP(t)
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Claims: ClaimsConfig{EncodeIssuer: "https://api.example", DecodeLeeway: 5 * time.Second}, Now: clk.Now, Hooks: HookConfig{OnVerify: rec.on},
		TrustedIssuers: []TrustedIssuer{{Issuer: idp.srv.URL, Audience: []string{"my-api"}, HTTPClient: idp.srv.Client()}}})
	defer a.Close()
	p := must(a.CreatePair("alice"))

	one := func(step string) (VerifyEvent, any) {
		t.Helper()
		evs, vals := rec.take()
		if len(evs) != 1 {
			t.Fatalf("%s: %d events, want 1: %+v", step, len(evs), evs)
		}
		return evs[0], vals[0]
	}

	must(a.Verify(hookCtx("own"), p.AccessToken, Requirement{}))
	ev, v := one("own access token")
	if ev.Err != nil || ev.Type != TypeAccess || ev.Algorithm != "HS256" || ev.ThirdParty || ev.Issuer != "https://api.example" || ev.Source != "" || ev.Duration < 0 || v != "own" {
		t.Errorf("own access token: %+v, ctx value %v", ev, v)
	}

	r := httptest.NewRequest("POST", "/refresh", nil)
	r.Header.Set("Authorization", "Bearer "+p.RefreshToken)
	if _, err := a.Check(r, Requirement{Refresh: true}); err != nil {
		t.Fatal(err)
	}
	if ev, _ = one("refresh token in a header"); ev.Err != nil || ev.Type != TypeRefresh || ev.Source != "header" {
		t.Errorf("refresh token in a header: %+v", ev)
	}

	must(a.Verify(context.Background(), idp.token(t, nil), Requirement{}))
	if ev, _ = one("trusted issuer"); ev.Err != nil || !ev.ThirdParty || ev.Issuer != idp.srv.URL || ev.Algorithm != "RS256" {
		t.Errorf("trusted issuer: %+v", ev)
	}

	clk.Add(time.Hour)
	if _, err := a.Verify(hookCtx("expired"), p.AccessToken, Requirement{}); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired token: %v", err)
	}
	ev, v = one("expired")
	if AsError(ev.Err).Code != CodeTokenExpired || ev.Type != "" || ev.Algorithm != "" || ev.ThirdParty || ev.Issuer != "" || v != "expired" {
		t.Errorf("expired: %+v (code %q), ctx value %v", ev, AsError(ev.Err).Code, v)
	}
	if _, err := a.Verify(context.Background(), "x.y.z", Requirement{}); err == nil {
		t.Fatal("garbage accepted")
	}
	if ev, _ = one("malformed"); AsError(ev.Err).Code != CodeMalformedToken {
		t.Errorf("malformed: %+v", ev)
	}
}

// blockingStore is a memory store whose checks wait for their context to
// end, like a paused server, while armed.
type blockingStore struct {
	*revoke.Memory
	block bool
	fail  error
}

func (s *blockingStore) IsRevoked(ctx context.Context, q revoke.Query) (bool, error) {
	if s.fail != nil {
		return false, s.fail
	}
	if s.block {
		<-ctx.Done()
		return false, ctx.Err()
	}
	return s.Memory.IsRevoked(ctx, q)
}

func TestOnStoreCall(t *testing.T) {
	var rec recorder[StoreEvent]
	store := &blockingStore{Memory: revoke.NewMemory()}
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Store: store, Rotation: true,
		Timeout: 50 * time.Millisecond}, Hooks: HookConfig{OnStoreCall: rec.on}, Logger: slog.New(slog.DiscardHandler)})
	ctx := hookCtx("req")
	expect := func(step string, ops ...string) []StoreEvent {
		t.Helper()
		evs, vals := rec.take()
		var got []string
		for i, ev := range evs {
			got = append(got, ev.Op)
			if vals[i] != "req" {
				t.Errorf("%s: %s reported without the caller's context", step, ev.Op)
			}
			if ev.Start.IsZero() || ev.Duration < 0 {
				t.Errorf("%s: %s: start %v, duration %v", step, ev.Op, ev.Start, ev.Duration)
			}
		}
		if !slices.Equal(got, ops) {
			t.Fatalf("%s: store calls %v, want %v", step, got, ops)
		}
		return evs
	}

	p := must(a.CreatePair("alice"))
	at := must(a.Verify(ctx, p.AccessToken, Requirement{}))
	if evs := expect("check", StoreOpCheck); evs[0].Err != nil || evs[0].Revoked {
		t.Errorf("check: %+v", evs[0])
	}
	if err := a.Revoke(ctx, at); err != nil {
		t.Fatal(err)
	}
	if evs := expect("revoke", StoreOpRevoke); evs[0].Err != nil {
		t.Errorf("revoke: %+v", evs[0])
	}
	if _, err := a.Verify(ctx, p.AccessToken, Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("revoked token: %v", err)
	}
	if evs := expect("check of a revoked token", StoreOpCheck); evs[0].Err != nil || !evs[0].Revoked {
		t.Errorf("check of a revoked token: %+v", evs[0])
	}

	rt := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
	expect("check of the refresh token", StoreOpCheck)
	next := must(a.Rotate(ctx, rt))
	expect("rotate", StoreOpConsume)
	nrt := must(a.Verify(ctx, next.RefreshToken, Requirement{Refresh: true}))
	expect("check of the successor", StoreOpCheck)
	if err := a.RevokeFamily(ctx, nrt); err != nil {
		t.Fatal(err)
	}
	expect("revoke family", StoreOpRevokeFamily, StoreOpRevoke)
	if err := a.RevokeSubject(ctx, "", "alice"); err != nil {
		t.Fatal(err)
	}
	expect("revoke subject", StoreOpRevokeSubject)

	// A failing store and one that does not answer within StoreTimeout:
	// the store's own error, reported once.
	fresh := must(a.CreateAccessToken("bob"))
	boom := errors.New("boom")
	store.fail = boom
	if _, err := a.Verify(ctx, fresh, Requirement{}); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("failing store: %v", err)
	}
	if evs := expect("failing store", StoreOpCheck); !errors.Is(evs[0].Err, boom) {
		t.Errorf("failing store: %+v", evs[0])
	}
	store.fail, store.block = nil, true
	if _, err := a.Verify(ctx, fresh, Requirement{}); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("paused store: %v", err)
	}
	if evs := expect("paused store", StoreOpCheck); !errors.Is(evs[0].Err, context.DeadlineExceeded) {
		t.Errorf("paused store: %+v", evs[0])
	}
}

func TestOnRefreshReuse(t *testing.T) {
	var rec recorder[ReuseEvent]
	clk := newClock()
	store := revoke.NewMemory(revoke.WithClock(clk.Now), revoke.WithSweepInterval(0))
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Store: store, Rotation: true,
		ReuseGrace: 10 * time.Second}, Now: clk.Now, Hooks: HookConfig{OnRefreshReuse: rec.on}})
	ctx := hookCtx("rotate")
	p := must(a.CreatePair("alice"))
	rt := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
	family := rt.Family()
	if family == "" {
		t.Fatal("CreatePair's refresh token has no family")
	}
	must(a.Rotate(ctx, rt))
	if evs, _ := rec.take(); len(evs) != 0 {
		t.Fatalf("a first use reported as reuse: %+v", evs)
	}
	clk.Add(2 * time.Second)
	must(a.Rotate(ctx, rt))
	evs, vals := rec.take()
	if len(evs) != 1 || !evs[0].Retry || evs[0].Since != 2*time.Second || evs[0].Subject != "alice" || evs[0].Family != family || evs[0].Err != nil || vals[0] != "rotate" {
		t.Fatalf("retry within the grace window: %+v %v", evs, vals)
	}
	clk.Add(20 * time.Second)
	if _, err := a.Rotate(ctx, rt); !errors.Is(err, ErrRefreshReuse) {
		t.Fatalf("reuse: %v", err)
	}
	evs, vals = rec.take()
	if len(evs) != 1 || evs[0].Retry || evs[0].Since != 22*time.Second || evs[0].Family != family || evs[0].Err != nil || vals[0] != "rotate" {
		t.Fatalf("reuse: %+v %v", evs, vals)
	}
}
