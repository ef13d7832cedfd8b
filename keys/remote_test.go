package keys

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRemoteDiscovery(t *testing.T) {
	a := edKey(t)
	f := newFakeIdP(t, a)
	cfg := f.config(nil)
	cfg.JWKSURL, cfg.Issuer = "", f.srv.URL
	r := newRemote(t, cfg)
	got, err := r.Lookup(context.Background(), a.KID)
	if err != nil || got.Alg != "EdDSA" {
		t.Fatalf("%+v %v", got, err)
	}
	if f.discoHits.Load() != 1 || f.jwksHits.Load() != 1 {
		t.Fatalf("discovery %d, jwks %d", f.discoHits.Load(), f.jwksHits.Load())
	}
	// The issuer in the document must match exactly.
	f.mu.Lock()
	f.issuer = f.srv.URL + "/"
	f.mu.Unlock()
	if _, err := NewRemote(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "issuer") {
		t.Fatalf("issuer mismatch: %v", err)
	}
}

func TestRemoteBurstOfUnknownKIDs(t *testing.T) {
	a, b := edKey(t), edKey(t)
	f := newFakeIdP(t, a)
	r := newRemote(t, f.config(nil))
	f.setKeys(t, a, b) // provider rotates in b
	f.set("", 200*time.Millisecond)
	before := f.jwksHits.Load()
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := make(chan struct{})
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if k, err := r.Lookup(context.Background(), b.KID); err != nil || k.KID != b.KID {
				failed.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := f.jwksHits.Load() - before; n != 1 {
		t.Fatalf("%d fetches for a burst of 1000 unknown kids, want 1", n)
	}
	if failed.Load() != 0 {
		t.Fatalf("%d lookups failed", failed.Load())
	}
	// Another burst with a kid the provider does not have: no fetch
	// within RefreshUnknownKIDInterval, and nobody waits.
	before = f.jwksHits.Load()
	t0 := time.Now()
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Lookup(context.Background(), "unknown"); !errors.Is(err, ErrKeyNotFound) {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := f.jwksHits.Load() - before; n != 0 || failed.Load() != 0 {
		t.Fatalf("%d fetches, %d wrong errors", n, failed.Load())
	}
	if d := time.Since(t0); d > 150*time.Millisecond {
		t.Fatalf("rate-limited lookups took %v", d)
	}
}

func TestRemoteUnknownKIDRateLimitClock(t *testing.T) {
	a := edKey(t)
	f := newFakeIdP(t, a)
	var now atomic.Int64
	now.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	cfg := f.config(nil)
	cfg.Now = func() time.Time { return time.Unix(0, now.Load()) }
	cfg.RefreshUnknownKIDInterval = time.Minute
	r := newRemote(t, cfg)
	ctx := context.Background()
	hits := func() int64 { return f.jwksHits.Load() }
	if _, err := r.Lookup(ctx, "x"); !errors.Is(err, ErrKeyNotFound) || hits() != 2 {
		t.Fatalf("first unknown kid: %v, hits %d", err, hits())
	}
	if _, err := r.Lookup(ctx, "x"); !errors.Is(err, ErrKeyNotFound) || hits() != 2 {
		t.Fatalf("second unknown kid fetched: hits %d", hits())
	}
	now.Add(int64(59 * time.Second))
	_, _ = r.Lookup(ctx, "x")
	if hits() != 2 {
		t.Fatal("fetched before the interval")
	}
	now.Add(int64(time.Second))
	b := edKey(t)
	f.setKeys(t, a, b)
	if k, err := r.Lookup(ctx, b.KID); err != nil || k.KID != b.KID || hits() != 3 {
		t.Fatalf("after interval: %v hits %d", err, hits())
	}
}

func TestRemoteRefreshBeforeExpiry(t *testing.T) {
	a, b := edKey(t), edKey(t)
	f := newFakeIdP(t, a)
	f.cacheControl = "public, max-age=1"
	cfg := f.config(nil)
	cfg.MinRefresh = 100 * time.Millisecond
	r := newRemote(t, cfg)
	f.setKeys(t, b)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if ks := r.Keys(); len(ks) == 1 && ks[0].KID == b.KID {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ks := r.Keys(); len(ks) != 1 || ks[0].KID != b.KID {
		t.Fatal("background refresh did not pick up the rotation")
	}
	f.mu.Lock()
	gap := f.hitTimes[1].Sub(f.hitTimes[0])
	f.mu.Unlock()
	if gap >= time.Second || gap < 500*time.Millisecond {
		t.Fatalf("refresh after %v; want before the 1s expiry, at about 750ms", gap)
	}
}

func TestRemoteKeepsStaleKeysOnError(t *testing.T) {
	a := edKey(t)
	f := newFakeIdP(t, a)
	f.cacheControl = "max-age=0"
	logs := &logBuffer{}
	cfg := f.config(logs)
	cfg.MinRefresh = 50 * time.Millisecond
	cfg.MaxResponseBytes = 1 << 20
	r := newRemote(t, cfg)
	ctx := context.Background()
	for _, tc := range []struct{ mode, want string }{
		{"500", "HTTP status 500"},
		{"404", "HTTP status 404"},
		{"html", "got HTML"},
		{"notjson", "not a JSON object"},
		{"huge", "exceeds the 1048576-byte limit"},
	} {
		f.set(tc.mode, 0)
		err := r.Refresh(ctx)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v, want %q", tc.mode, err, tc.want)
		}
		if k, err := r.Lookup(ctx, a.KID); err != nil || k.KID != a.KID {
			t.Fatalf("%s: stale key lost: %v", tc.mode, err)
		}
	}
	// The background loop keeps retrying and keeps the keys.
	f.set("500", 0)
	hits := f.jwksHits.Load()
	time.Sleep(400 * time.Millisecond)
	if f.jwksHits.Load() == hits {
		t.Fatal("no background retry")
	}
	if _, err := r.Lookup(ctx, a.KID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "keeping the last good keys") {
		t.Fatalf("failure not logged:\n%s", logs.String())
	}
}

func TestRemoteSlowProvider(t *testing.T) {
	a := edKey(t)
	f := newFakeIdP(t, a)
	cfg := f.config(nil)
	cfg.FetchTimeout = 300 * time.Millisecond
	cfg.RefreshUnknownKIDInterval = time.Millisecond
	r := newRemote(t, cfg)
	f.set("slow", 10*time.Second)
	ctx := context.Background()
	t0 := time.Now()
	if _, err := r.Lookup(ctx, a.KID); err != nil || time.Since(t0) > 50*time.Millisecond {
		t.Fatalf("known kid waited %v: %v", time.Since(t0), err)
	}
	t0 = time.Now()
	_, err := r.Lookup(ctx, "new-kid")
	if d := time.Since(t0); !errors.Is(err, ErrKeyNotFound) || d > cfg.FetchTimeout+700*time.Millisecond {
		t.Fatalf("unknown kid: %v after %v; want ErrKeyNotFound within the fetch timeout", err, d)
	}
	// A request deadline shorter than the fetch bounds the wait too.
	time.Sleep(5 * time.Millisecond)
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	t0 = time.Now()
	_, err = r.Lookup(cctx, "newer-kid")
	if d := time.Since(t0); !errors.Is(err, ErrKeyNotFound) || !errors.Is(err, context.DeadlineExceeded) || d > 250*time.Millisecond {
		t.Fatalf("ctx-bounded lookup: %v after %v", err, d)
	}
	if _, err := r.Lookup(ctx, a.KID); err != nil {
		t.Fatal("stale key lost after timeouts")
	}
}

func TestRemoteSkipsBadKeys(t *testing.T) {
	a := edKey(t)
	good, _ := PublicJWK(a)
	weak := `{"kty":"RSA","kid":"weak","alg":"RS256","n":"rJBIp6T1YK-RtPyvYqFFlcucqewSAA_IReSFchE8qyiQrbARqRlXWkB2DR8j_pJQnIpYELbQWZC5Cd0PTGAU8rMbar2AW6zpmBbi7aQf17lUBdt8XI9M9rq7FPVQ1dDdUXm1SVH_9qqWhvMPR422SbfHBEzCAtzK0ANDRo6qz78","e":"AQAB"}`
	gb, _ := json.Marshal(good)
	f := newFakeIdP(t)
	f.setBody([]byte(`{"keys":[` + weak + `,{"kty":"oct","kid":"mac","k":"AAAA"},` + string(gb) + `]}`))
	logs := &logBuffer{}
	r := newRemote(t, f.config(logs))
	ctx := context.Background()
	if _, err := r.Lookup(ctx, a.KID); err != nil {
		t.Fatal(err)
	}
	for _, kid := range []string{"weak", "mac"} {
		if _, err := r.Lookup(ctx, kid); !errors.Is(err, ErrKeyNotFound) {
			t.Fatalf("%s: %v", kid, err)
		}
	}
	if l := logs.String(); !strings.Contains(l, "skipping JWK") || !strings.Contains(l, "weak") {
		t.Fatalf("skipped keys not logged:\n%s", l)
	}
}

func TestRemoteAlgorithmPolicy(t *testing.T) {
	k := testKeys()
	rs, _ := NewVerifyKey("RS256", &k.rsa.PublicKey)
	ps, _ := NewVerifyKey("PS256", &k.rsa2.PublicKey)
	j1, _ := PublicJWK(rs)
	j1.Alg = "" // like Entra ID: no alg
	j2, _ := PublicJWK(ps)
	b, _ := json.Marshal(JWKS{Keys: []JWK{j1, j2}})
	f := newFakeIdP(t)
	f.setBody(b)
	r := newRemote(t, f.config(nil)) // default: RS256, ES*, EdDSA
	ctx := context.Background()
	if got, err := r.Lookup(ctx, rs.KID); err != nil || got.Alg != "RS256" {
		t.Fatalf("alg-less RSA key: %+v %v", got, err)
	}
	if _, err := r.Lookup(ctx, ps.KID); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("PS256 key not allowed but found: %v", err)
	}
	cfg := f.config(nil)
	cfg.AllowedAlgorithms = []string{"RS256", "PS256"}
	r2 := newRemote(t, cfg)
	got, err := r2.Lookup(ctx, rs.KID)
	if err != nil || got.Alg != "" || !got.Accepts("PS256") || !got.Accepts("RS256") || got.Accepts("ES256") {
		t.Fatalf("ambiguous alg-less key: %+v %v", got, err)
	}
}

func TestRemoteNoKeys(t *testing.T) {
	f := newFakeIdP(t)
	f.set("500", 0)
	cfg := f.config(nil)
	if _, err := NewRemote(context.Background(), cfg); err == nil {
		t.Fatal("NewRemote succeeded without keys")
	}
	var now atomic.Int64
	cfg.Now = func() time.Time { return time.Unix(0, now.Load()) }
	cfg.StartWithoutKeys = true
	cfg.MinRefresh = time.Hour // keep the background retry out of the way
	r := newRemote(t, cfg)
	if _, err := r.Lookup(context.Background(), "any"); !errors.Is(err, ErrNoKeys) || errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("%v, want ErrNoKeys", err)
	}
	a := edKey(t)
	f.setKeys(t, a)
	f.set("", 0)
	now.Add(int64(time.Hour))
	if _, err := r.Lookup(context.Background(), a.KID); err != nil {
		t.Fatalf("recovery: %v", err)
	}
	// An empty set from the provider is a failure: the good keys stay.
	f.setBody([]byte(`{"keys":[]}`))
	if err := r.Refresh(context.Background()); err == nil || len(r.Keys()) != 1 {
		t.Fatalf("empty set replaced the keys: %v", err)
	}
}

func TestRemoteConfigErrors(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []RemoteConfig{
		{},
		{JWKSURL: "http://idp.example/jwks"},
		{JWKSURL: "/jwks"},
		{Issuer: "ftp://idp.example"},
		{JWKSURL: "https://idp.example/jwks", AllowedAlgorithms: []string{"none"}},
		{JWKSURL: "https://idp.example/jwks", MinRefresh: time.Hour, MaxRefresh: time.Minute},
	} {
		if _, err := NewRemote(ctx, cfg); err == nil || !strings.HasPrefix(err.Error(), "authjwt: ") {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

func TestCacheTTL(t *testing.T) {
	lo, def, hi := time.Minute, time.Hour, 24*time.Hour
	for _, tc := range []struct {
		cc, age string
		want    time.Duration
	}{
		{"", "", def},
		{"public, max-age=7200", "", 2 * time.Hour},
		{"max-age=7200", "3600", time.Hour},
		{"max-age=1", "", lo},
		{"max-age=99999999", "", hi},
		{"no-store", "", lo},
		{"private, no-cache", "", lo},
		{"max-age=abc", "", def},
		{`max-age="600"`, "", 10 * time.Minute},
	} {
		h := http.Header{}
		if tc.cc != "" {
			h.Set("Cache-Control", tc.cc)
		}
		if tc.age != "" {
			h.Set("Age", tc.age)
		}
		if got := cacheTTL(h, def, lo, hi); got != tc.want {
			t.Errorf("%q age %q: %v, want %v", tc.cc, tc.age, got, tc.want)
		}
	}
}

func TestRemoteCloseStopsGoroutines(t *testing.T) {
	a := edKey(t)
	f := newFakeIdP(t, a)
	cfg := f.config(nil)
	cfg.MinRefresh = 10 * time.Millisecond
	f.cacheControl = "max-age=0"
	for range 5 {
		r, err := NewRemote(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		f.set("slow", time.Second) // leave a fetch in flight at Close
		go func() { _, _ = r.Lookup(context.Background(), "unknown") }()
		time.Sleep(30 * time.Millisecond)
		r.Close()
		f.set("", 0)
		if _, err := r.Lookup(context.Background(), a.KID); err != nil {
			t.Fatal("closed Remote lost its cached keys")
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "keys.(*Remote)") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Remote goroutines left after Close:\n%s", stacks)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRemoteRedirects: every hop of a redirect is held to the URL rules,
// for OpenID Connect discovery and for the JWK Set, through the one client
// of a Remote, the configured client's included: https to https is
// followed, https to http never is (not even with AllowHTTP), http to http
// only with AllowHTTP, and a redirect loop ends. The servers are real:
// a TLS provider that redirects, and targets over TLS and plain HTTP that
// serve the attacker's key and a discovery document naming the provider.
func TestRemoteRedirects(t *testing.T) {
	good, evil := edKey(t), edKey(t)
	jwksOf := func(k Key) []byte {
		set, err := PublicJWKS([]Key{k})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(set)
		return b
	}
	// serve starts a server (TLS or not) whose handler is set later.
	type server struct {
		*httptest.Server
		h atomic.Pointer[http.HandlerFunc]
	}
	serve := func(tls bool) *server {
		s := &server{}
		s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*s.h.Load())(w, r) }))
		if tls {
			s.StartTLS()
		} else {
			s.Start()
		}
		t.Cleanup(s.Close)
		return s
	}
	handle := func(s *server, h http.HandlerFunc) { s.h.Store(&h) }
	// The provider redirects discovery and JWKS to target (same path), or
	// to itself when target is nil (a loop); it serves nothing itself.
	provider, plainProvider := serve(true), serve(false)
	redirectTo := func(target *server) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			to := r.URL.Path
			if target != nil {
				to = target.URL + r.URL.Path
			}
			http.Redirect(w, r, to, http.StatusFound)
		}
	}
	// A target serves a JWK Set with key and a discovery document naming
	// issuer, whose jwks_uri is jwksAt + "/jwks".
	target := func(tls bool, key Key, issuer func() string, jwksAt func() string) *server {
		s := serve(tls)
		handle(s, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			switch r.URL.Path {
			case "/jwks":
				_, _ = w.Write(jwksOf(key))
			case "/.well-known/openid-configuration":
				_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer(), "jwks_uri": jwksAt() + "/jwks"})
			default:
				http.NotFound(w, r)
			}
		})
		return s
	}
	var httpsEvil *server
	httpsEvil = target(true, evil, func() string { return provider.URL }, func() string { return httpsEvil.URL })
	httpEvil := target(false, evil, func() string { return provider.URL }, func() string { return httpsEvil.URL })
	var httpsGood *server
	httpsGood = target(true, good, func() string { return provider.URL }, func() string { return httpsGood.URL })
	plainGood := target(false, good, func() string { return plainProvider.URL }, func() string { return plainProvider.URL })

	var userHops atomic.Int32
	permissive := func() *http.Client {
		c := *provider.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { userHops.Add(1); return nil }
		return &c
	}
	cases := []struct {
		name      string
		from, to  *server // the redirecting provider and its target (nil: itself)
		discovery bool
		allowHTTP bool
		client    *http.Client
		want      Key    // the key obtained, or
		err       string // the error
	}{
		{name: "JWKS https to http", from: provider, to: httpEvil, err: "must be absolute https"},
		{name: "JWKS https to https", from: provider, to: httpsGood, want: good},
		{name: "discovery https to http", from: provider, to: httpEvil, discovery: true, err: "must be absolute https"},
		{name: "discovery https to https", from: provider, to: httpsGood, discovery: true, want: good},
		{name: "AllowHTTP, JWKS http to http", from: plainProvider, to: plainGood, allowHTTP: true, want: good},
		{name: "AllowHTTP, discovery http to http", from: plainProvider, to: plainGood, discovery: true, allowHTTP: true, want: good},
		{name: "AllowHTTP, JWKS https to http", from: provider, to: httpEvil, allowHTTP: true, err: "leaves https"},
		{name: "AllowHTTP, discovery https to http", from: provider, to: httpEvil, discovery: true, allowHTTP: true, err: "leaves https"},
		{name: "own client allowing every redirect, JWKS", from: provider, to: httpEvil, client: permissive(), err: "must be absolute https"},
		{name: "own client allowing every redirect, discovery", from: provider, to: httpEvil, discovery: true, client: permissive(), err: "must be absolute https"},
		{name: "redirect loop", from: provider, err: "stopped after 10 redirects"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			handle(c.from, redirectTo(c.to))
			cfg := RemoteConfig{Client: c.client, AllowHTTP: c.allowHTTP, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			if cfg.Client == nil {
				cfg.Client = provider.Client() // trusts every httptest TLS server
			}
			if c.discovery {
				cfg.Issuer = c.from.URL
			} else {
				cfg.JWKSURL = c.from.URL + "/jwks"
			}
			r, err := NewRemote(context.Background(), cfg)
			if c.err != "" {
				if err == nil {
					defer r.Close()
					t.Fatalf("followed the redirect: keys %v", r.Keys())
				}
				if !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %q, want it to say %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if k, err := r.Lookup(context.Background(), c.want.KID); err != nil || !k.Public.(ed25519.PublicKey).Equal(c.want.Public) {
				t.Fatalf("%+v %v", k, err)
			}
		})
	}
	// The configured client's CheckRedirect still has its say after the
	// rules, and the client itself is left as it was.
	c := permissive()
	check := c.CheckRedirect
	handle(provider, redirectTo(httpsGood))
	userHops.Store(0)
	r := newRemote(t, RemoteConfig{JWKSURL: provider.URL + "/jwks", Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := r.Lookup(context.Background(), good.KID); err != nil || userHops.Load() != 1 {
		t.Fatalf("%v, the client's CheckRedirect ran %d times, want 1", err, userHops.Load())
	}
	if reflect.ValueOf(c.CheckRedirect).Pointer() != reflect.ValueOf(check).Pointer() {
		t.Fatal("the configured client was modified")
	}
}

// TestRemoteVersion: the version changes on every successful fetch and
// only then; it is 0 while the Remote has no keys.
func TestRemoteVersion(t *testing.T) {
	a := edKey(t)
	f := newFakeIdP(t, a)
	f.set("500", 0)
	cfg := f.config(nil)
	cfg.StartWithoutKeys = true
	r := newRemote(t, cfg)
	if v := r.Version(); v != 0 {
		t.Fatalf("version %d without keys", v)
	}
	f.set("", 0)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	v1 := r.Version()
	if v1 == 0 {
		t.Fatal("version 0 after a fetch")
	}
	f.set("500", 0)
	if err := r.Refresh(context.Background()); err == nil || r.Version() != v1 {
		t.Fatalf("failed fetch: %v, version %d -> %d", err, v1, r.Version())
	}
	f.set("", 0)
	if err := r.Refresh(context.Background()); err != nil || r.Version() == v1 {
		t.Fatalf("second fetch: %v, version still %d", err, v1)
	}
}
