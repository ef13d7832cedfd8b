package authjwttest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/librenz/authjwt"
)

// SetBearer sets r's Authorization header to "Bearer <token>", replacing
// any value it had. Use [SetHeaderToken] for an Auth configured with
// another header name or scheme.
func SetBearer(r *http.Request, token string) {
	r.Header.Set("Authorization", "Bearer "+token)
}

// SetHeaderToken puts token in the header a reads tokens from
// ([authjwt.HeaderConfig.Name], with [authjwt.HeaderConfig.Type] or bare
// with [authjwt.HeaderConfig.BareToken]), replacing any value it had.
func SetHeaderToken(a *authjwt.Auth, r *http.Request, token string) {
	cfg := a.Config()
	if cfg.Header.BareToken {
		r.Header.Set(cfg.Header.Name, token)
		return
	}
	r.Header.Set(cfg.Header.Name, cfg.Header.Type+" "+token)
}

// SetAccessCookies adds to r the cookies [authjwt.Auth.SetAccessCookies]
// would have the browser store for token (the access cookie and its CSRF
// cookie), and sets the access CSRF header from the CSRF cookie, as a
// browser script would: r then passes the cookie checks of a guarded
// route, whatever its method. Cookies of the same names already on r are
// replaced. a must have cookies among its token locations, and token must
// be valid for a at the time of the call (advance the clock afterwards to
// test expiry); otherwise the test fails.
func SetAccessCookies(tb testing.TB, a *authjwt.Auth, r *http.Request, token string) {
	tb.Helper()
	rec := httptest.NewRecorder()
	if err := a.SetAccessCookies(rec, token); err != nil {
		tb.Fatalf("authjwttest.SetAccessCookies: %v", err)
		return
	}
	AddCookies(r, rec.Result())
	SetCSRFHeader(a, r, false)
}

// SetRefreshCookies is [SetAccessCookies] for a refresh token: the refresh
// cookie, its CSRF cookie and the refresh CSRF header.
func SetRefreshCookies(tb testing.TB, a *authjwt.Auth, r *http.Request, token string) {
	tb.Helper()
	rec := httptest.NewRecorder()
	if err := a.SetRefreshCookies(rec, token); err != nil {
		tb.Fatalf("authjwttest.SetRefreshCookies: %v", err)
		return
	}
	AddCookies(r, rec.Result())
	SetCSRFHeader(a, r, true)
}

// AddCookies updates r's Cookie header with the cookies resp sets, as a
// browser's cookie jar would for the next request: a cookie replaces one
// of the same name on r, and a deletion (Max-Age=0 or an Expires in the
// past, as [authjwt.Auth.UnsetCookies] sends) removes it. Attributes
// (Path, Domain, Secure) are not checked: every cookie is sent. Use it to
// carry a login response's cookies to the next request.
func AddCookies(r *http.Request, resp *http.Response) {
	set := resp.Cookies()
	if len(set) == 0 {
		return
	}
	jar := r.Cookies()
	for _, c := range set {
		deleted := c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Unix(1, 0)))
		kept := jar[:0]
		for _, old := range jar {
			if old.Name != c.Name {
				kept = append(kept, old)
			}
		}
		jar = kept
		if !deleted {
			jar = append(jar, &http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	r.Header.Del("Cookie")
	for _, c := range jar {
		r.AddCookie(c)
	}
}

// SetCSRFHeader copies the value of the CSRF cookie r carries (access, or
// refresh when refresh is true) into the CSRF header a expects with it,
// as the application's script does. It does nothing when r carries no
// such cookie or when a's CSRF protection is off.
func SetCSRFHeader(a *authjwt.Auth, r *http.Request, refresh bool) {
	cfg := a.Config()
	if cfg.Cookies.UnsafeDisableCSRF {
		return
	}
	cookie, header := cfg.Cookies.Access.CSRFName, cfg.Cookies.Access.CSRFHeader
	if refresh {
		cookie, header = cfg.Cookies.Refresh.CSRFName, cfg.Cookies.Refresh.CSRFHeader
	}
	c, err := r.Cookie(cookie)
	if err != nil || c.Value == "" {
		return
	}
	r.Header.Set(header, c.Value)
}
