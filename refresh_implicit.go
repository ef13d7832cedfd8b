package authjwt

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"time"
)

// ImplicitRefresh returns opt-in middleware for cookie mode that keeps a
// browser session alive without the client calling /refresh: when a request
// carries a valid access cookie that expires within window, the response
// also carries a new access cookie and its CSRF cookie. It wraps the
// routes it covers, usually outermost:
//
//	mux.Handle("/", a.ImplicitRefresh(5*time.Minute)(a.Required(app)))
//
// The access cookie must pass the same checks as on a guarded route
// ([Auth.Check]: signature, claims, revocation, cross-origin protection and,
// on the CSRF methods, the CSRF header); requests authenticated by the
// Authorization header are left alone. These checks run besides the
// route's own, so the user loader, OnVerify and the revocation store see
// them too. The new access token:
//   - needs a valid refresh cookie sent with the request (same subject,
//     issuer and family; revocation checked after the handler ran, so a
//     logout in the handler stops it), so the refresh cookie's Path must
//     cover the routes wrapped;
//   - never outlives the refresh token: its exp is capped below the
//     refresh token's;
//   - is never fresh, keeps the family id ("aid"), issuer, audience and the
//     old token's custom claims (roles included; reload them with an
//     explicit refresh when they change), and gets a new jti and csrf
//     claim, so clients must read the CSRF cookie before each request
//     rather than cache it.
//
// It never fires on a response whose handler set or deleted the access or
// refresh cookie itself (login, refresh, logout), on a hijacked
// connection, or when the new token would not expire later than the old
// one. Responses that get new cookies also get Cache-Control: no-store.
// Failures are logged at debug level and leave the response as it was.
//
// The response writer handed to next keeps http.Flusher, http.Hijacker,
// io.ReaderFrom and Unwrap (for [http.ResponseController]). The cookies'
// Max-Age follows opts and [CookieConfig.MaxAge] as in
// [Auth.SetAccessCookies].
//
// ImplicitRefresh panics when cookies are not a token location, when
// window is not positive, or when opts are invalid: these are programming
// errors found at startup.
func (a *Auth) ImplicitRefresh(window time.Duration, opts ...CookieOption) func(http.Handler) http.Handler {
	if !a.creds.cookies {
		panic("authjwt: ImplicitRefresh needs cookies as a token location (Config.TokenLocation)")
	}
	if window <= 0 {
		panic("authjwt: ImplicitRefresh expects window > 0")
	}
	var o cookieOpts
	for _, op := range opts {
		op.applyCookie(&o)
	}
	if o.err != nil {
		panic(o.err.Error())
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t := a.refreshCandidate(r, window)
			if t == nil {
				next.ServeHTTP(w, r)
				return
			}
			rw := &refreshWriter{ResponseWriter: w, a: a, r: r, old: t, opts: o}
			next.ServeHTTP(rw, r)
			rw.commit()
		})
	}
}

// refreshCandidate returns the request's verified access cookie token when
// it expires within window, else nil.
func (a *Auth) refreshCandidate(r *http.Request, window time.Duration) *Token {
	cred, ok := a.creds.renewable(r)
	if !ok {
		return nil
	}
	t, err := a.authenticate(r.Context(), &cred, &Requirement{})
	if err != nil || t == nil || t.ExpiresAt().IsZero() {
		return nil
	}
	if t.ExpiresAt().Sub(a.now()) > window {
		return nil
	}
	return t
}

// renew sets the new access cookies on h, or does nothing.
func (a *Auth) renew(r *http.Request, h http.Header, old *Token, o cookieOpts) {
	log := func(reason string, err error) {
		args := []any{"reason", reason}
		if err != nil {
			args = append(args, "error", err.Error())
		}
		a.log.DebugContext(r.Context(), "authjwt: implicit refresh skipped", args...)
	}
	// The handler manages the session's cookies itself (login, refresh,
	// logout): leave them alone.
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		if a.creds.isTokenCookie(c.Name) {
			log("handler set auth cookies", nil)
			return
		}
	}
	if a.life.access == Never {
		return
	}
	raw, n := cookieToken(r, a.creds.cookie[1])
	if n != 1 || raw == "" {
		log("no single refresh cookie", nil)
		return
	}
	ctx := r.Context()
	rt, err := a.verify(ctx, raw, &Requirement{Refresh: true}, sourceCookie)
	if err != nil {
		log("refresh cookie refused", err)
		return
	}
	if rt.c.Sub() != old.c.Sub() || rt.c.Iss() != old.c.Iss() || rt.c.Aid() != old.c.Aid() {
		log("refresh cookie belongs to another session", nil)
		return
	}
	// The handler may have revoked the access token (logout without
	// unsetting cookies): check again now that it ran.
	if err := a.rev.check(ctx, old); err != nil {
		log("access token revoked", err)
		return
	}
	now := a.now()
	lifetime := a.life.access
	if rexp := rt.ExpiresAt(); !rexp.IsZero() {
		// One second below the refresh token's expiry, so that the exp
		// rounded by creation can never pass it.
		if limit := rexp.Sub(now) - time.Second; limit < lifetime {
			lifetime = limit
		}
	}
	if lifetime <= 0 || !now.Add(lifetime).Truncate(time.Second).After(old.ExpiresAt()) {
		log("new token would not outlive the old one", nil)
		return
	}
	topts := []TokenOption{WithFresh(false), WithExpiry(lifetime), WithIssuer(old.c.Iss()), loginOf(rt)}
	if old.c.Aid() != "" {
		topts = append(topts, WithFamily(old.c.Aid()))
	}
	if old.c.CSRF() != "" {
		// Keep the CSRF value: a request the page built from the current
		// CSRF cookie may reach the server with the renewed access cookie.
		topts = append(topts, keepCSRF(old.c.CSRF()))
	}
	if len(old.c.Aud()) > 0 {
		topts = append(topts, WithAudience(old.c.Aud()...))
	}
	custom, err := old.Claims()
	if err != nil {
		log("old claims unreadable", err)
		return
	}
	extra := map[string]any{}
	for k, v := range custom {
		if !reservedClaims[k] && k != a.cfg.TypeClaim.Name {
			extra[k] = v
		}
	}
	if len(extra) > 0 {
		topts = append(topts, WithClaims(extra))
	}
	to := tokenOpts{}
	for _, op := range topts {
		op.applyToken(&to)
	}
	var m minted
	to.minted = &m
	if _, err := a.create(r.Context(), old.c.Sub(), &to); err != nil {
		log("creating the token failed", err)
		return
	}
	// Built from the claims just minted: a token the library has just
	// issued is not verified again.
	cs, err := a.jar.cookies(m, false, o)
	if err != nil {
		log("cookies", err)
		return
	}
	for _, c := range cs {
		h.Add("Set-Cookie", c.String())
	}
	h.Set("Cache-Control", "no-store")
}

// refreshWriter adds the renewed cookies just before the response header
// is written.
type refreshWriter struct {
	http.ResponseWriter
	a    *Auth
	r    *http.Request
	old  *Token
	opts cookieOpts
	done bool
}

func (w *refreshWriter) commit() {
	if w.done {
		return
	}
	w.done = true
	w.a.renew(w.r, w.ResponseWriter.Header(), w.old, w.opts)
}

// WriteHeader adds the cookies before a final status; informational
// statuses (1xx) pass through, and 101 ends any chance to add them.
func (w *refreshWriter) WriteHeader(code int) {
	switch {
	case code == http.StatusSwitchingProtocols:
		w.done = true
	case code >= 200:
		w.commit()
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write commits the header (with the cookies) and writes b.
func (w *refreshWriter) Write(b []byte) (int, error) {
	w.commit()
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps the underlying writer's io.ReaderFrom (sendfile) fast path.
func (w *refreshWriter) ReadFrom(src io.Reader) (int64, error) {
	w.commit()
	return io.Copy(w.ResponseWriter, src)
}

// Flush implements http.Flusher.
func (w *refreshWriter) Flush() { _ = w.FlushError() }

// FlushError is the flush [http.ResponseController] uses: it reports when
// the underlying writer cannot flush.
func (w *refreshWriter) FlushError() error {
	w.commit()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker; a hijacked connection gets no cookies.
func (w *refreshWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.done = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap returns the wrapped writer, for [http.ResponseController].
func (w *refreshWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
