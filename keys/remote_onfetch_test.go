package keys

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fetchEvents collects the events of RemoteConfig.OnFetch, with the value
// of the test's context key each came with.
type fetchEvents struct {
	mu   sync.Mutex
	evs  []FetchEvent
	vals []any
}

type fetchCtxKey struct{}

func (f *fetchEvents) on(ctx context.Context, ev FetchEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.evs = append(f.evs, ev)
	f.vals = append(f.vals, ctx.Value(fetchCtxKey{}))
}

// take returns the events since the last call.
func (f *fetchEvents) take() ([]FetchEvent, []any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	evs, vals := f.evs, f.vals
	f.evs, f.vals = nil, nil
	return evs, vals
}

// TestRemoteOnFetch: every fetch reports one event with its URL, reason,
// result, status, key count and error, in the context (values) of the
// call that caused it.
func TestRemoteOnFetch(t *testing.T) {
	a, b := edKey(t), edKey(t)
	f := newFakeIdP(t, a)
	var got fetchEvents
	cfg := f.config(nil)
	cfg.OnFetch = got.on
	cfg.FetchTimeout = 300 * time.Millisecond
	jwks := f.srv.URL + "/jwks"
	ctxWith := func(v string) context.Context { return context.WithValue(context.Background(), fetchCtxKey{}, v) }

	one := func(step string) (FetchEvent, any) {
		t.Helper()
		evs, vals := got.take()
		if len(evs) != 1 {
			t.Fatalf("%s: %d events, want 1: %+v", step, len(evs), evs)
		}
		ev := evs[0]
		if ev.Start.IsZero() || ev.Duration < 0 {
			t.Errorf("%s: start %v, duration %v", step, ev.Start, ev.Duration)
		}
		return ev, vals[0]
	}

	r, err := NewRemote(ctxWith("new"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	ev, v := one("initial")
	if ev.URL != jwks || ev.Reason != FetchInitial || ev.Result != FetchOK || ev.Status != 200 || ev.Keys != 1 || ev.Err != nil || v != "new" {
		t.Errorf("initial: %+v, ctx value %v", ev, v)
	}

	f.set("500", 0)
	if err := r.Refresh(ctxWith("refresh")); err == nil {
		t.Fatal("refresh against a failing provider succeeded")
	}
	ev, v = one("500")
	if ev.Reason != FetchRefresh || ev.Result != FetchHTTPStatus || ev.Status != 500 || ev.Keys != 0 || ev.Err == nil || v != "refresh" {
		t.Errorf("500: %+v, ctx value %v", ev, v)
	}

	f.set("html", 0)
	_ = r.Refresh(context.Background())
	if ev, _ = one("html"); ev.Result != FetchInvalid || ev.Status != 200 || ev.Err == nil {
		t.Errorf("html: %+v", ev)
	}

	f.set("", time.Second) // longer than FetchTimeout
	_ = r.Refresh(context.Background())
	if ev, _ = one("slow"); ev.Result != FetchTimeout || ev.Err == nil {
		t.Errorf("slow: %+v", ev)
	}

	f.set("", 0)
	f.setKeys(t, a, b)
	if _, err := r.Lookup(ctxWith("lookup"), b.KID); err != nil {
		t.Fatal(err)
	}
	ev, v = one("unknown kid")
	if ev.Reason != FetchUnknownKID || ev.Result != FetchOK || ev.Keys != 2 || v != "lookup" {
		t.Errorf("unknown kid: %+v, ctx value %v", ev, v)
	}
	// A known kid fetches nothing.
	if _, err := r.Lookup(context.Background(), a.KID); err != nil {
		t.Fatal(err)
	}
	if evs, _ := got.take(); len(evs) != 0 {
		t.Errorf("a known kid caused fetches: %+v", evs)
	}
}

// TestRemoteOnFetchFailures: a provider that does not answer, and one
// whose discovery document names another issuer.
func TestRemoteOnFetchFailures(t *testing.T) {
	dead := httptest.NewServer(nil)
	url := dead.URL + "/jwks"
	dead.Close()
	var got fetchEvents
	r, err := NewRemote(context.Background(), RemoteConfig{JWKSURL: url, AllowHTTP: true, StartWithoutKeys: true, OnFetch: got.on, Logger: slog.New(slog.DiscardHandler),
		FetchTimeout: time.Second, MinRefresh: time.Hour, MaxRefresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	evs, _ := got.take()
	if len(evs) != 1 || evs[0].Result != FetchNetwork || evs[0].Status != 0 || evs[0].URL != url || evs[0].Err == nil {
		t.Fatalf("unreachable provider: %+v", evs)
	}

	a := edKey(t)
	f := newFakeIdP(t, a)
	f.mu.Lock()
	f.issuer = "https://elsewhere.example"
	f.mu.Unlock()
	cfg := f.config(nil)
	cfg.JWKSURL, cfg.Issuer, cfg.OnFetch = "", f.srv.URL, got.on
	if _, err := NewRemote(context.Background(), cfg); err == nil {
		t.Fatal("discovery for another issuer accepted")
	}
	evs, _ = got.take()
	disco := f.srv.URL + "/.well-known/openid-configuration"
	if len(evs) != 1 || evs[0].Result != FetchInvalid || evs[0].URL != disco || evs[0].Status != 200 || !strings.Contains(evs[0].Err.Error(), "issuer") {
		t.Fatalf("discovery for another issuer: %+v", evs)
	}
}
