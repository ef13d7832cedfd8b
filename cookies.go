package authjwt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CookieOption adjusts one call of the cookie functions ([Auth.SetAccessCookies]
// and friends). See [WithMaxAge] and [WithSessionCookie].
type CookieOption interface{ applyCookie(*cookieOpts) }

type cookieOpts struct {
	maxAge  time.Duration // > 0: explicit
	session bool
	err     error
}

type maxAgeOpt time.Duration

func (o maxAgeOpt) applyCookie(c *cookieOpts) {
	d := time.Duration(o)
	if d < time.Second {
		c.err = fmt.Errorf("authjwt: WithMaxAge: max age must be at least one second, got %v", d)
		return
	}
	c.maxAge, c.session = d, false
}

// WithMaxAge sets the Max-Age of the cookies of this call (whole seconds,
// at least one), instead of [Config.CookieMaxAge] or the token's remaining
// lifetime (the seed's max_age argument).
func WithMaxAge(d time.Duration) CookieOption { return maxAgeOpt(d) }

type sessionOpt struct{}

func (sessionOpt) applyCookie(c *cookieOpts) { c.maxAge, c.session = 0, true }

// WithSessionCookie sets the cookies of this call without Max-Age, so the
// browser drops them when it closes (a "remember me" box left unticked).
// The token inside still expires on its own.
func WithSessionCookie() CookieOption { return sessionOpt{} }

// SetAccessCookies adds to w's headers the access-token cookie (HttpOnly)
// and, unless CSRF protection is off, the CSRF cookie holding the token's
// "csrf" claim (readable by scripts, which send it back in the CSRF header).
// Names, paths, domain, Secure and SameSite come from the [Config]. The
// cookies' Max-Age is, in order of precedence, the call's [WithMaxAge] or
// [WithSessionCookie], [Config.CookieMaxAge], or the token's remaining
// lifetime; a token without "exp" gets session cookies.
//
// token must be an access token created by this Auth: its signature and
// claims are checked (but not revocation), and a token this Auth would
// refuse is an error, as is a call when cookies are not a configured
// token location ([ErrCookiesNotEnabled]). The response also gets
// Cache-Control: no-store, so that no shared cache ever keeps a token.
// Call it before the response's header is written.
func (a *Auth) SetAccessCookies(w http.ResponseWriter, token string, opts ...CookieOption) error {
	return a.setCookies(w, []string{token}, []bool{false}, nil, opts)
}

// SetRefreshCookies is [Auth.SetAccessCookies] for a refresh token: the
// refresh cookie and its CSRF cookie.
func (a *Auth) SetRefreshCookies(w http.ResponseWriter, token string, opts ...CookieOption) error {
	return a.setCookies(w, []string{token}, []bool{true}, nil, opts)
}

// SetPairCookies sets the access and the refresh cookies of pair (and
// their CSRF cookies), each with its own token's lifetime unless a max age
// is configured or given. Both tokens are checked before any header is
// added: on error w is left untouched.
//
// A Pair just returned by [Auth.CreatePair] or [Auth.Rotate] is not
// verified again: its cookies are built from the claims the library
// minted (while its AccessToken and RefreshToken fields are unchanged), so
// a token the library has just issued is never refused on its way out —
// an access token from Rotate near the end of its session included.
func (a *Auth) SetPairCookies(w http.ResponseWriter, pair Pair, opts ...CookieOption) error {
	var known [2]*minted
	if pair.access.raw != "" && pair.access.raw == pair.AccessToken {
		known[0] = &pair.access
	}
	if pair.refresh.raw != "" && pair.refresh.raw == pair.RefreshToken {
		known[1] = &pair.refresh
	}
	return a.setCookies(w, []string{pair.AccessToken, pair.RefreshToken}, []bool{false, true}, known[:], opts)
}

// UnsetCookies deletes every auth cookie: the access and refresh cookies
// and their CSRF cookies (the seed's unset_jwt_cookies). Deletion cookies
// carry the same Name, Path, Domain, Secure and SameSite as the cookies
// they delete, an empty value, Max-Age=0 and an Expires in the past, so
// browsers really drop them, __Host- ones included.
func (a *Auth) UnsetCookies(w http.ResponseWriter) error {
	if err := a.UnsetAccessCookies(w); err != nil {
		return err
	}
	return a.UnsetRefreshCookies(w)
}

// UnsetAccessCookies deletes the access cookie and its CSRF cookie.
func (a *Auth) UnsetAccessCookies(w http.ResponseWriter) error {
	return a.jar.unset(w, false)
}

// UnsetRefreshCookies deletes the refresh cookie and its CSRF cookie.
func (a *Auth) UnsetRefreshCookies(w http.ResponseWriter) error {
	return a.jar.unset(w, true)
}

// cookieJar writes the auth cookies: their attributes, built once by New
// from the cookie settings, and their lifetime. (The credentials reader
// reads them back.)
type cookieJar struct {
	on     bool // cookies are a token location
	csrfOn bool // CSRF cookies are written beside the token cookies
	// tmpl holds, for [access, refresh], the token cookie and, when
	// csrfOn, the CSRF cookie, with every attribute but the value and the
	// lifetime.
	tmpl   [2][]http.Cookie
	maxAge time.Duration // CookieMaxAge
	now    func() time.Time
}

// newCookieJar returns the jar of the cookie settings c (defaults applied,
// SameSite normalised); on and csrfOn come from the credentials reader.
func newCookieJar(c *CookieConfig, now func() time.Time, on, csrfOn bool) *cookieJar {
	j := &cookieJar{on: on, csrfOn: csrfOn, maxAge: c.MaxAge, now: now}
	ss := http.SameSiteLaxMode
	switch {
	case strings.EqualFold(c.SameSite, "strict"):
		ss = http.SameSiteStrictMode
	case strings.EqualFold(c.SameSite, "none"):
		ss = http.SameSiteNoneMode
	}
	for i, tc := range [2]*TokenCookie{&c.Access, &c.Refresh} {
		j.tmpl[i] = []http.Cookie{{
			Name: tc.Name, Path: tc.Path, Domain: c.Domain,
			Secure: !c.Insecure, HttpOnly: true, SameSite: ss,
		}}
		if csrfOn {
			j.tmpl[i] = append(j.tmpl[i], http.Cookie{
				Name: tc.CSRFName, Path: tc.CSRFPath, Domain: c.Domain,
				Secure: !c.Insecure, HttpOnly: false, SameSite: ss,
			})
		}
	}
	return j
}

// templates returns new copies of the cookies of the type (refresh or
// access) with every attribute but the value and the lifetime.
func (j *cookieJar) templates(refresh bool) []*http.Cookie {
	tmpl := j.tmpl[refreshIndex(refresh)]
	list := make([]*http.Cookie, len(tmpl))
	for i := range tmpl {
		c := tmpl[i]
		list[i] = &c
	}
	return list
}

// unset deletes the cookies of the type.
func (j *cookieJar) unset(w http.ResponseWriter, refresh bool) error {
	if !j.on {
		return ErrCookiesNotEnabled
	}
	for _, c := range j.templates(refresh) {
		c.MaxAge = -1 // Max-Age=0
		c.Expires = time.Unix(0, 0)
		http.SetCookie(w, c)
	}
	return nil
}

// cookies returns the cookies carrying the token m, verified or just
// minted.
func (j *cookieJar) cookies(m minted, refresh bool, o cookieOpts) ([]*http.Cookie, error) {
	if j.csrfOn && m.csrf == "" {
		return nil, errors.New("authjwt: the token has no csrf claim, so its cookie would be refused on unsafe requests: create it with this Auth while cookies are a token location")
	}
	maxAge := 0
	switch {
	case o.session:
	case o.maxAge > 0:
		maxAge = int(o.maxAge / time.Second)
	case j.maxAge > 0:
		maxAge = max(1, int(j.maxAge/time.Second))
	case m.exp != 0:
		maxAge = max(1, int(time.Unix(m.exp, 0).Sub(j.now())/time.Second))
	}
	list := j.templates(refresh)
	list[0].Value = m.raw
	if j.csrfOn {
		list[1].Value = m.csrf
	}
	for _, c := range list {
		c.MaxAge = maxAge
		if err := c.Valid(); err != nil {
			return nil, fmt.Errorf("authjwt: cookie %s: %w", c.Name, err)
		}
	}
	return list, nil
}

// setCookies sets the cookies of tokens; known[i], when set, is what the
// library minted as tokens[i], which is then not verified again.
func (a *Auth) setCookies(w http.ResponseWriter, tokens []string, refresh []bool, known []*minted, opts []CookieOption) error {
	if !a.jar.on {
		return ErrCookiesNotEnabled
	}
	var o cookieOpts
	for _, op := range opts {
		op.applyCookie(&o)
	}
	if o.err != nil {
		return o.err
	}
	var out []*http.Cookie
	for i, raw := range tokens {
		var m minted
		if i < len(known) && known[i] != nil {
			m = *known[i]
		} else {
			t, err := a.ownToken(raw, refresh[i])
			if err != nil {
				return err
			}
			m = t.minted()
		}
		cs, err := a.jar.cookies(m, refresh[i], o)
		if err != nil {
			return err
		}
		out = append(out, cs...)
	}
	for _, c := range out {
		http.SetCookie(w, c)
	}
	w.Header().Set("Cache-Control", "no-store")
	return nil
}

// minted returns what cookies need of the verified token t.
func (t *Token) minted() minted {
	m := minted{raw: t.raw, csrf: t.c.CSRF()}
	if t.c.HasExp() {
		m.exp = t.c.Exp
	}
	return m
}

// ownToken verifies a token about to be put in a cookie: signature (with
// our own keys: cookies carry tokens we issued) and claims as [Auth.Verify]
// checks them (type, exp, nbf, iss, aud, sub), but without revocation, the
// user loader or OnVerify, which belong to requests.
func (a *Auth) ownToken(raw string, refresh bool) (*Token, error) {
	d, err := a.decode(context.Background(), raw, true)
	if err != nil {
		return nil, err
	}
	if err := a.policy.validate(d.t, &Requirement{Refresh: refresh}); err != nil {
		return nil, err
	}
	return d.t, nil
}
