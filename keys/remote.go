package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNoKeys is returned by [Remote.Lookup] when the remote set holds no key
// at all (never fetched successfully): the service cannot verify anything,
// a server-side failure (HTTP 503), not the client's.
var ErrNoKeys = errors.New("authjwt: no keys available from the remote key set")

// ErrKeyNotFound is returned by [Remote.Lookup] when the set has keys but
// none with the token's kid, even after any refresh allowed now (HTTP 401).
var ErrKeyNotFound = errors.New("authjwt: no key with the token's kid")

// Defaults of [RemoteConfig].
const (
	DefaultFetchTimeout              = 10 * time.Second
	DefaultMaxResponseBytes          = 1 << 20
	DefaultMinRefresh                = 5 * time.Minute
	DefaultMaxRefresh                = 24 * time.Hour
	DefaultRefresh                   = time.Hour
	DefaultRefreshUnknownKIDInterval = time.Minute
)

// RemoteConfig configures [NewRemote]. Only JWKSURL or Issuer is required.
type RemoteConfig struct {
	// JWKSURL is the provider's JWK Set URL. If empty, it is discovered from
	// Issuer.
	JWKSURL string
	// Issuer, used when JWKSURL is empty, is fetched with OpenID Connect
	// discovery: Issuer + "/.well-known/openid-configuration", whose
	// "issuer" must equal Issuer exactly and whose "jwks_uri" is used.
	Issuer string
	// Client makes the requests. Default: a client with a FetchTimeout
	// timeout. Every fetch is also bounded by FetchTimeout through its context.
	// The Remote uses a copy of it whose redirects are held to the URL rules
	// (see [NewRemote]); the client itself is not modified.
	Client *http.Client
	// FetchTimeout bounds one fetch (discovery and JWKS). Default 10s.
	FetchTimeout time.Duration
	// MaxResponseBytes bounds a response body. Default 1 MiB.
	MaxResponseBytes int64
	// MaxKeys bounds the keys of one JWK Set. Default [DefaultMaxKeys].
	MaxKeys int
	// AllowedAlgorithms are the algorithms accepted from this provider.
	// A JWK with an alg outside the list is skipped; a JWK without alg is
	// bound to the one allowed algorithm its key fits, left with Alg "" if
	// several fit, or skipped if none does. HMAC names are ignored. Default:
	// RS256, ES256, ES384, ES512, EdDSA.
	AllowedAlgorithms []string
	// MinRefresh and MaxRefresh clamp the cache lifetime taken from the
	// response's Cache-Control max-age (defaults 5m and 24h); DefaultRefresh
	// (default 1h) is used without max-age. Keys are refreshed in the
	// background when three quarters of the lifetime have passed.
	MinRefresh, MaxRefresh, DefaultRefresh time.Duration
	// RefreshUnknownKIDInterval is the least time between two fetches
	// triggered by tokens with an unknown kid. Default 1m.
	RefreshUnknownKIDInterval time.Duration
	// StartWithoutKeys makes NewRemote succeed even if the first fetch
	// fails: the Remote then has no keys ([ErrNoKeys]) and keeps retrying.
	StartWithoutKeys bool
	// AllowHTTP permits plain http:// URLs, for tests and local development.
	// Even with it, a redirect never leads from https to http.
	AllowHTTP bool
	// Logger receives refresh failures and skipped keys. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// OnFetch, when set, is called once at the end of every fetch of the
	// keys (discovery included), for metrics and traces: see [FetchEvent].
	// It runs on the fetching goroutine, after the new keys (if any) are
	// in place; it must be fast and must not block, for lookups waiting on
	// the fetch wait on it too.
	OnFetch func(ctx context.Context, ev FetchEvent)
}

// Why a [Remote] fetched its keys ([FetchEvent.Reason]).
const (
	FetchInitial    = "initial"     // the first fetch, by NewRemote
	FetchBackground = "background"  // the refresh before the keys expire, or a retry after a failure
	FetchUnknownKID = "unknown_kid" // a lookup of a kid the cache does not hold
	FetchRefresh    = "refresh"     // a call of [Remote.Refresh]
)

// How a fetch of a [Remote]'s keys ended ([FetchEvent.Result]).
const (
	FetchOK         = "ok"          // new keys are in place
	FetchHTTPStatus = "http_status" // the provider answered with a status other than 200 (FetchEvent.Status)
	FetchNetwork    = "network"     // no answer: connection, TLS or redirect failure
	FetchTimeout    = "timeout"     // FetchTimeout (or the client's timeout) ran out
	FetchCanceled   = "canceled"    // the Remote was closed during the fetch
	FetchInvalid    = "invalid"     // an answer that is no usable key set (HTML, too large, not JSON, no usable key, a discovery document for another issuer)
)

// FetchEvent describes one fetch of a [Remote]'s keys, for
// [RemoteConfig.OnFetch]. Lookups that join a fetch in flight cause no
// event of their own.
type FetchEvent struct {
	// URL is the JWK Set's URL, or the discovery document's when
	// discovery failed.
	URL string
	// Reason is why the keys were fetched: [FetchInitial],
	// [FetchBackground], [FetchUnknownKID] or [FetchRefresh].
	Reason string
	// Start is when the fetch began.
	Start time.Time
	// Duration is how long the fetch took.
	Duration time.Duration
	// Result is how it ended: [FetchOK], [FetchHTTPStatus],
	// [FetchNetwork], [FetchTimeout], [FetchCanceled] or [FetchInvalid].
	Result string
	// Status is the HTTP status of the last answer, 0 when there was none.
	Status int
	// Keys is the number of usable keys the fetch put in place (0 unless
	// Result is FetchOK).
	Keys int
	// Err is nil on success, else the error the fetch failed with.
	Err error
}

// Remote is a cached JWK Set of a third-party identity provider. It
// refreshes in the background before the keys expire, keeps the last good
// keys when the provider fails, and refetches on an unknown kid at most once
// per RefreshUnknownKIDInterval with a single fetch in flight. Lookups of
// known kids are lock-free. Call [Remote.Close] to stop it.
type Remote struct {
	cfg    RemoteConfig
	log    *slog.Logger
	snap   atomic.Pointer[remoteSnapshot]
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{}

	mu           sync.Mutex
	jwksURL      string
	inflight     *fetchCall
	lastOnDemand time.Time
	onDemandUsed bool
	closed       bool
}

type remoteSnapshot struct {
	keys    []Key
	byKID   map[string]Key
	fetched time.Time
	ttl     time.Duration
	ver     uint64 // 1 + the snapshot it replaced
}

type fetchCall struct {
	done chan struct{}
	err  error
}

// NewRemote returns a Remote and fetches its keys once, with ctx bounding
// that first fetch. Unless cfg.StartWithoutKeys, a failed first fetch is an
// error. A background goroutine then keeps the keys fresh until Close.
//
// Every URL the Remote fetches, and every hop of a redirect on the way to
// it, must be absolute https (http too with AllowHTTP), and no hop may go
// from https to http: a redirect elsewhere fails the fetch, for discovery
// and for the JWK Set alike. At most 10 redirects are followed, and a
// CheckRedirect of cfg.Client is consulted after these rules, never
// instead of them.
func NewRemote(ctx context.Context, cfg RemoteConfig) (*Remote, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	r := &Remote{cfg: cfg, log: cfg.Logger, jwksURL: cfg.JWKSURL, wake: make(chan struct{}, 1)}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	call := r.startFetch(ctx, FetchInitial)
	var err error
	select {
	case <-call.done:
		err = call.err
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil && !cfg.StartWithoutKeys {
		r.Close()
		return nil, err
	}
	failures := 0
	if err != nil {
		failures = 1
	}
	r.wg.Add(1)
	go r.refreshLoop(failures)
	return r, nil
}

func (c *RemoteConfig) setDefaults() error {
	if c.JWKSURL == "" && c.Issuer == "" {
		return errors.New("authjwt: RemoteConfig needs JWKSURL or Issuer")
	}
	for _, u := range []string{c.JWKSURL, c.Issuer} {
		if u != "" {
			if err := checkURL(u, c.AllowHTTP); err != nil {
				return err
			}
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.FetchTimeout, DefaultFetchTimeout)
	def(&c.MinRefresh, DefaultMinRefresh)
	def(&c.MaxRefresh, DefaultMaxRefresh)
	def(&c.DefaultRefresh, DefaultRefresh)
	def(&c.RefreshUnknownKIDInterval, DefaultRefreshUnknownKIDInterval)
	if c.MaxRefresh < c.MinRefresh {
		return errors.New("authjwt: RemoteConfig MaxRefresh is below MinRefresh")
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.MaxKeys <= 0 {
		c.MaxKeys = DefaultMaxKeys
	}
	if c.AllowedAlgorithms == nil {
		c.AllowedAlgorithms = []string{RS256, ES256, ES384, ES512, EdDSA}
	}
	for _, a := range c.AllowedAlgorithms {
		if !KnownAlgorithm(a) {
			return fmt.Errorf("authjwt: RemoteConfig AllowedAlgorithms: unknown algorithm %q", a)
		}
		if err := unavailable(a); err != nil {
			return fmt.Errorf("authjwt: RemoteConfig AllowedAlgorithms: %w", prefixless{err})
		}
	}
	c.Client = fetchClient(c.Client, c.FetchTimeout, c.AllowHTTP)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func (r *Remote) load() *remoteSnapshot {
	if p := r.snap.Load(); p != nil {
		return p
	}
	return &remoteSnapshot{}
}

// Version returns a number that changes whenever the keys are replaced (on
// every successful fetch), so that what was verified with earlier keys can
// be told apart. It is 0 before the first successful fetch.
func (r *Remote) Version() uint64 { return r.load().ver }

// Keys returns the current keys (possibly stale if the provider is failing).
func (r *Remote) Keys() []Key { return slices.Clone(r.load().keys) }

// Lookup returns the key with the given kid. A kid not in the cache
// triggers a fetch if one is in flight (joined) or allowed now (at most one
// per RefreshUnknownKIDInterval); the call then waits for that fetch only,
// bounded by FetchTimeout and ctx. It returns [ErrNoKeys] if the set holds
// no key at all and [ErrKeyNotFound] otherwise (wrapped with ctx.Err() if
// ctx ended first). kid "" never matches and triggers no fetch.
func (r *Remote) Lookup(ctx context.Context, kid string) (Key, error) {
	if k, ok := r.load().byKID[kid]; ok && kid != "" {
		return k, nil
	}
	if kid == "" {
		return Key{}, r.notFound(fmt.Errorf("token has no kid"))
	}
	r.mu.Lock()
	call := r.inflight
	if call == nil && !r.closed {
		now := r.cfg.Now()
		if !r.onDemandUsed || now.Sub(r.lastOnDemand) >= r.cfg.RefreshUnknownKIDInterval {
			r.onDemandUsed, r.lastOnDemand = true, now
			call = r.startFetchLocked(ctx, FetchUnknownKID)
		}
	}
	r.mu.Unlock()
	if call != nil {
		select {
		case <-call.done:
		case <-ctx.Done():
			if k, ok := r.load().byKID[kid]; ok {
				return k, nil
			}
			return Key{}, r.notFound(ctx.Err())
		}
	}
	if k, ok := r.load().byKID[kid]; ok {
		return k, nil
	}
	return Key{}, r.notFound(nil)
}

func (r *Remote) notFound(cause error) error {
	sentinel := ErrKeyNotFound
	if len(r.load().keys) == 0 {
		sentinel = ErrNoKeys
	}
	if cause == nil {
		return sentinel
	}
	return fmt.Errorf("%w: %w", sentinel, cause)
}

// Refresh fetches the key set now, or joins the fetch in flight, and
// returns its error. It is not rate-limited: it is meant for operators and
// tests, not for the request path.
func (r *Remote) Refresh(ctx context.Context) error {
	call := r.startFetch(ctx, FetchRefresh)
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the background refresh and waits for any fetch in flight to
// end. Lookups keep serving the cached keys afterwards but fetch no more.
func (r *Remote) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// startFetch starts a fetch, or returns the one in flight. trigger is the
// context of the call that caused it and reason why (see FetchEvent):
// only its values are kept, for OnFetch.
func (r *Remote) startFetch(trigger context.Context, reason string) *fetchCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.inflight; c != nil {
		return c
	}
	if r.closed {
		c := &fetchCall{done: make(chan struct{}), err: errors.New("authjwt: remote key set is closed")}
		close(c.done)
		return c
	}
	return r.startFetchLocked(trigger, reason)
}

// startFetchLocked starts a fetch; r.mu is held, r.inflight is nil and r is
// not closed.
func (r *Remote) startFetchLocked(trigger context.Context, reason string) *fetchCall {
	c := &fetchCall{done: make(chan struct{})}
	r.inflight = c
	r.wg.Add(1)
	var hookCtx context.Context
	if r.cfg.OnFetch != nil {
		hookCtx = context.WithoutCancel(trigger)
	}
	go func() {
		defer r.wg.Done()
		err := r.fetch(hookCtx, reason)
		r.mu.Lock()
		r.inflight = nil
		r.mu.Unlock()
		c.err = err
		close(c.done)
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}()
	return c
}

// refreshLoop refreshes the keys when three quarters of their lifetime have
// passed, and retries with backoff after failures.
func (r *Remote) refreshLoop(failures int) {
	defer r.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		timer.Reset(r.nextDelay(failures))
		select {
		case <-r.ctx.Done():
			return
		case <-r.wake:
			// Another fetch ended: keep the backoff unless it brought fresh keys.
			if r.nextDelay(0) > 0 {
				failures = 0
			} else if failures == 0 {
				failures = 1
			}
			continue
		case <-timer.C:
		}
		if r.nextDelay(0) > 0 {
			continue // an on-demand fetch refreshed the keys meanwhile
		}
		call := r.startFetch(context.Background(), FetchBackground)
		select {
		case <-call.done:
		case <-r.ctx.Done():
			return
		}
		// Drain the wake our own fetch sent.
		select {
		case <-r.wake:
		default:
		}
		if call.err != nil {
			failures++
		} else {
			failures = 0
		}
	}
}

// nextDelay is the time until the next background fetch.
func (r *Remote) nextDelay(failures int) time.Duration {
	s := r.load()
	var d time.Duration
	if len(s.keys) > 0 {
		d = s.fetched.Add(s.ttl * 3 / 4).Sub(r.cfg.Now())
	}
	if d > 0 {
		return d
	}
	if failures == 0 {
		return 0
	}
	back := min(time.Second, r.cfg.MinRefresh)
	for i := 1; i < failures && back < r.cfg.MinRefresh; i++ {
		back *= 2
	}
	return min(back, r.cfg.MinRefresh)
}
