package authjwt

import (
	"net/http"
	"strings"
)

// tokenFromHeader returns the token in the configured header. ok is false
// when the request carries no credentials for the configured scheme (no
// header, or another scheme); err is set for malformed credentials. A value
// holding a space, tab or comma (several credentials, or extra parts) is
// returned as it is: no such token can verify, and Auth.verify answers
// errBadHeader for it after the failure, so that the tokens that do verify
// are not scanned three more times on every request.
func (a *Auth) tokenFromHeader(r *http.Request) (token string, present bool, err *Error) {
	vals := r.Header[a.headerKey]
	if len(vals) == 0 || vals[0] == "" {
		return "", false, nil
	}
	if len(vals) > 1 {
		return "", true, a.errBadHeader
	}
	v := vals[0]
	if a.cfg.HeaderBareToken {
		return v, true, nil
	}
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, a.cfg.HeaderType) {
		// Another scheme: no credentials for ours (RFC 6750 §3.1).
		return "", false, nil
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return "", true, a.errBadHeader
	}
	return rest, true, nil
}

// hasSeparator reports whether a credential holds a space, tab or comma
// (more than one credential, or extra parts). Three vectorised IndexByte
// scans are much cheaper than a byte-by-byte ContainsAny over a token.
func hasSeparator(s string) bool {
	return strings.IndexByte(s, ' ') >= 0 || strings.IndexByte(s, '\t') >= 0 || strings.IndexByte(s, ',') >= 0
}

// hasOtherScheme reports whether the header carries credentials of another
// scheme than the configured one.
func (a *Auth) hasOtherScheme(r *http.Request) bool {
	vals := r.Header[a.headerKey]
	return len(vals) > 0 && vals[0] != "" && !a.cfg.HeaderBareToken
}

// refreshIndex is 1 for refresh, 0 for access.
func refreshIndex(refresh bool) int {
	if refresh {
		return 1
	}
	return 0
}

func (a *Auth) cookieNames(refresh bool) (tokenCookie, csrfHeader string) {
	if refresh {
		return a.cfg.RefreshCookieName, a.cfg.RefreshCSRFHeaderName
	}
	return a.cfg.AccessCookieName, a.cfg.AccessCSRFHeaderName
}

// cookieToken returns the token cookie's value. More than one cookie with
// the name (cookie tossing from a sibling domain) is refused.
func cookieToken(r *http.Request, name string) (string, int) {
	n := 0
	val := ""
	for _, c := range r.CookiesNamed(name) {
		n++
		val = c.Value
	}
	return val, n
}

// Check authenticates r against req and returns the verified token. It is
// the building block of the middleware and of every adapter: headers are
// tried first when configured and the Authorization header uses the
// configured scheme; otherwise the cookies, with CSRF and cross-origin
// checks on unsafe methods. With req.Optional, a request without any token
// returns (nil, nil). The error is always an *Error.
func (a *Auth) Check(r *http.Request, req Requirement) (*Token, error) {
	if a.headers {
		tok, present, err := a.tokenFromHeader(r)
		if err != nil {
			return nil, err
		}
		if present {
			return a.verify(r.Context(), tok, req, sourceHeader)
		}
	}
	if a.cookies {
		return a.checkCookies(r, req)
	}
	if req.Optional {
		return nil, nil
	}
	if a.hasOtherScheme(r) {
		return nil, a.errOtherScheme
	}
	return nil, a.errMissing
}

// CheckCrossOrigin applies the cross-origin check every cookie
// authenticated request gets ([http.CrossOriginProtection] with
// [Config.TrustedOrigins]): it returns [ErrCrossOrigin] (403) for an
// unsafe-method request that a browser sent from another origin
// (Sec-Fetch-Site, else an Origin that is not the request's host), and nil
// for same-origin requests, safe methods (GET, HEAD, OPTIONS), requests
// without browser headers (curl, servers) and when
// [Config.SkipCrossOriginProtection] is set.
//
// Call it in handlers that set auth cookies from a request carrying no
// auth cookie yet, which no guard checks: a login route in cookie mode.
// Without it, a cross-site form or no-cors fetch could log a victim's
// browser into the attacker's account (login CSRF).
func (a *Auth) CheckCrossOrigin(r *http.Request) error {
	if a.cfg.SkipCrossOriginProtection {
		return nil
	}
	if err := a.cop.Check(r); err != nil {
		return ErrCrossOrigin.with(err, "")
	}
	return nil
}

func (a *Auth) checkCookies(r *http.Request, req Requirement) (*Token, error) {
	name, csrfHeader := a.cookieNames(req.Refresh)
	tok, n := cookieToken(r, name)
	if n == 0 || tok == "" {
		if req.Optional {
			return nil, nil
		}
		if a.headers {
			if a.hasOtherScheme(r) {
				return nil, a.errOtherScheme
			}
			if !a.compatMsgs {
				return nil, a.errMissing
			}
		}
		return nil, a.errNoCookie[refreshIndex(req.Refresh)]
	}
	if n > 1 {
		return nil, ErrMalformedToken.with(nil, "Duplicate cookie "+name)
	}
	// Cross-origin protection covers every unsafe method (cop.Check lets
	// GET, HEAD and OPTIONS through), whatever the CSRF settings.
	if err := a.CheckCrossOrigin(r); err != nil {
		return nil, err
	}
	// Methods are case-sensitive on the wire and browsers send "patch" as
	// written: compare upper-cased so no spelling skips the CSRF check.
	csrfNeeded := !a.cfg.UnsafeDisableCSRF && a.csrfMethods[strings.ToUpper(r.Method)]
	var submitted string
	if csrfNeeded {
		submitted = r.Header.Get(csrfHeader)
		if submitted == "" {
			return nil, ErrCSRFMissing
		}
	}
	t, err := a.verify(r.Context(), tok, req, sourceCookie)
	if err != nil {
		return nil, err
	}
	if csrfNeeded {
		if t.c.CSRF() == "" {
			return nil, ErrCSRFClaimMissing
		}
		if !csrfEqual(submitted, t.c.CSRF()) {
			return nil, ErrCSRFMismatch
		}
	}
	return t, nil
}
