package keys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// fetch downloads, parses and publishes the key set. On failure the
// previous keys stay in place. hookCtx (nil without OnFetch) and reason
// are given to OnFetch.
func (r *Remote) fetch(hookCtx context.Context, reason string) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.FetchTimeout)
	defer cancel()
	var rep fetchReport
	err := r.fetchOnce(ctx, &rep)
	if err != nil {
		r.log.Warn("authjwt: JWKS refresh failed; keeping the last good keys",
			slog.String("url", r.currentURL()), slog.Int("stale_keys", len(r.load().keys)), slog.Any("error", err))
	}
	if r.cfg.OnFetch != nil {
		ev := FetchEvent{URL: rep.url, Reason: reason, Start: start, Duration: time.Since(start),
			Result: rep.result, Status: rep.status, Keys: rep.keys, Err: err}
		switch {
		case err == nil:
			ev.Result = FetchOK
		case ev.Result == "":
			ev.Result = FetchInvalid
		}
		r.cfg.OnFetch(hookCtx, ev)
	}
	return err
}

// fetchReport is what one fetch tells OnFetch beyond its error: the URL
// and status of the last request, how a failed request failed (empty:
// the answer was no usable key set) and the keys put in place.
type fetchReport struct {
	url    string
	status int
	result string
	keys   int
}

// requestFailed classifies an error of a request or of reading its body.
func requestFailed(ctx context.Context, err error) string {
	var te interface{ Timeout() bool }
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return FetchCanceled
	case ctx.Err() != nil, errors.As(err, &te) && te.Timeout():
		return FetchTimeout
	}
	return FetchNetwork
}

func (r *Remote) currentURL() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.jwksURL != "" {
		return r.jwksURL
	}
	return r.cfg.Issuer
}

func (r *Remote) fetchOnce(ctx context.Context, rep *fetchReport) error {
	r.mu.Lock()
	jwksURL := r.jwksURL
	r.mu.Unlock()
	if jwksURL == "" {
		u, err := r.discover(ctx, rep)
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.jwksURL = u
		r.mu.Unlock()
		jwksURL = u
	}
	body, hdr, err := r.get(ctx, jwksURL, rep)
	if err != nil {
		return err
	}
	parsed, skipped, err := ParseJWKS(body, r.cfg.MaxKeys)
	if err != nil {
		return err
	}
	for _, e := range skipped {
		r.log.Warn("authjwt: skipping JWK", slog.String("url", jwksURL), slog.Any("error", e))
	}
	keys := make([]Key, 0, len(parsed))
	byKID := make(map[string]Key, len(parsed))
	for _, k := range parsed {
		k, err := bindAlg(k, r.cfg.AllowedAlgorithms)
		if err != nil {
			r.log.Warn("authjwt: skipping JWK", slog.String("url", jwksURL), slog.String("kid", k.KID), slog.Any("error", err))
			continue
		}
		keys = append(keys, k)
		if k.KID != "" {
			byKID[k.KID] = k
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("authjwt: JWKS at %s holds no usable key (%d skipped)", jwksURL, len(skipped)+len(parsed))
	}
	now := r.cfg.Now()
	ttl := cacheTTL(hdr, r.cfg.DefaultRefresh, r.cfg.MinRefresh, r.cfg.MaxRefresh)
	// One fetch runs at a time (r.inflight), so the version only grows.
	r.snap.Store(&remoteSnapshot{keys: keys, byKID: byKID, fetched: now, ttl: ttl, ver: r.load().ver + 1})
	rep.keys = len(keys)
	r.log.Debug("authjwt: JWKS refreshed", slog.String("url", jwksURL), slog.Int("keys", len(keys)), slog.Duration("ttl", ttl))
	return nil
}

// bindAlg applies the allowed-algorithm policy to a key from a remote set.
func bindAlg(k Key, allowed []string) (Key, error) {
	if k.Alg != "" {
		for _, a := range allowed {
			if SameAlgorithm(a, k.Alg) {
				return k, nil
			}
		}
		return k, fmt.Errorf("authjwt: JWK alg %q is not allowed", k.Alg)
	}
	var fits []string
	for _, a := range allowed {
		if !IsHMAC(a) && CheckKey(a, k.Public) == nil {
			fits = append(fits, a)
		}
	}
	switch len(fits) {
	case 0:
		return k, errors.New("authjwt: JWK has no alg and fits no allowed algorithm")
	case 1:
		k.Alg = fits[0]
	}
	return k, nil
}

// discover runs OpenID Connect discovery and returns the jwks_uri.
func (r *Remote) discover(ctx context.Context, rep *fetchReport) (string, error) {
	u := strings.TrimSuffix(r.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	body, _, err := r.get(ctx, u, rep)
	if err != nil {
		return "", fmt.Errorf("authjwt: OpenID discovery: %w", prefixless{err})
	}
	obj, err := decodeObject(body)
	if err != nil {
		return "", fmt.Errorf("authjwt: OpenID discovery: %w", prefixless{err})
	}
	iss, _, err := obj.str("issuer")
	if err != nil {
		return "", fmt.Errorf("authjwt: OpenID discovery: %w", prefixless{err})
	}
	if iss != r.cfg.Issuer {
		return "", fmt.Errorf("authjwt: OpenID discovery: issuer is %q, want exactly %q", iss, r.cfg.Issuer)
	}
	jwksURI, ok, err := obj.str("jwks_uri")
	if err != nil || !ok || jwksURI == "" {
		return "", errors.New("authjwt: OpenID discovery: document has no jwks_uri")
	}
	if err := checkURL(jwksURI, r.cfg.AllowHTTP); err != nil {
		return "", fmt.Errorf("authjwt: OpenID discovery: jwks_uri: %w", prefixless{err})
	}
	return jwksURI, nil
}

// get fetches a JSON document, bounded in size, refusing non-200 answers,
// HTML and non-JSON bodies. It records the request in rep.
func (r *Remote) get(ctx context.Context, u string, rep *fetchReport) ([]byte, http.Header, error) {
	rep.url, rep.status, rep.result = u, 0, ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("authjwt: bad URL %q: %w", u, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		rep.result = requestFailed(ctx, err)
		return nil, nil, fmt.Errorf("authjwt: fetching %s: %w", u, err)
	}
	defer resp.Body.Close()
	rep.status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		rep.result = FetchHTTPStatus
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, nil, fmt.Errorf("authjwt: fetching %s: HTTP status %d", u, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt == "text/html" || mt == "application/xhtml+xml" {
			return nil, nil, fmt.Errorf("authjwt: fetching %s: got HTML (%s), not JSON", u, mt)
		}
	}
	limit := r.cfg.MaxResponseBytes
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		rep.result = requestFailed(ctx, err)
		return nil, nil, fmt.Errorf("authjwt: reading %s: %w", u, err)
	}
	if int64(len(body)) > limit {
		return nil, nil, fmt.Errorf("authjwt: response from %s exceeds the %d-byte limit", u, limit)
	}
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return nil, nil, fmt.Errorf("authjwt: response from %s is not a JSON object", u)
	}
	return body, resp.Header, nil
}

// checkURL accepts absolute https URLs, and http ones if allowHTTP.
func checkURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("authjwt: bad URL %q: %w", raw, err)
	}
	if u.Host == "" || (u.Scheme != "https" && !(allowHTTP && u.Scheme == "http")) {
		return fmt.Errorf("authjwt: URL %q must be absolute https", raw)
	}
	return nil
}

// maxRedirects bounds the redirects of one fetch, as net/http's default
// policy does.
const maxRedirects = 10

// fetchClient returns the client of every fetch of a Remote, discovery and
// JWK Set alike: a copy of base (or, when nil, a client with a timeout of
// timeout) whose redirects are held to the URL rules of the first request.
// base's own CheckRedirect, if any, runs after those rules.
func fetchClient(base *http.Client, timeout time.Duration, allowHTTP bool) *http.Client {
	c := &http.Client{Timeout: timeout}
	if base != nil {
		cp := *base
		c = &cp
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkRedirect(req, via, allowHTTP); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return c
}

// checkRedirect applies the URL rules to one hop of a redirect: absolute
// https (or http with allowHTTP), never from https back to http, at most
// maxRedirects hops.
func checkRedirect(req *http.Request, via []*http.Request, allowHTTP bool) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("authjwt: stopped after %d redirects", maxRedirects)
	}
	to := req.URL.String()
	if err := checkURL(to, allowHTTP); err != nil {
		return fmt.Errorf("authjwt: redirect refused: %w", prefixless{err})
	}
	if from := via[len(via)-1].URL; from.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("authjwt: redirect from %s to %s refused: it leaves https", from, to)
	}
	return nil
}

// cacheTTL derives the cache lifetime from Cache-Control max-age (minus
// Age), falling back to def, clamped to [lo, hi]. no-store and no-cache
// give lo.
func cacheTTL(h http.Header, def, lo, hi time.Duration) time.Duration {
	ttl := def
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return lo
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err == nil && n >= 0 && n < 1<<31 {
					ttl = time.Duration(n) * time.Second
					if age, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && age > 0 && age < 1<<31 {
						ttl -= time.Duration(age) * time.Second
					}
				}
			}
		}
	}
	return min(max(ttl, lo), hi)
}
