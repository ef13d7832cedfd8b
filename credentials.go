package authjwt

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// credentials reads the token a request carries, from wherever the
// configuration lets it come (the header, a cookie, and for WebSocket
// handshakes the bearer subprotocol and a query parameter), and applies
// the one rule for tokens a browser attaches by itself (cookies): the
// request must come from an allowed origin and, where a CSRF value is
// needed, carry one, which the verified token's csrf claim must equal
// (guard, then credential.bind). HTTP requests, WebSocket handshakes and
// implicit refresh all read through it; New builds it once.
//
// A new credential scheme is a new source: a reader beside fromHeader,
// fromQuery and fromCookie returning a credential, and whatever it must prove about the
// verified token (a CSRF value today) in credential.bind.
type credentials struct {
	headers, cookies bool // token locations

	// The header.
	headerKey  string // canonical header name
	bareToken  bool   // Header.BareToken
	scheme     string // Header.Type
	compatMsgs bool   // the seed's messages

	errMissing     *Error
	errOtherScheme *Error
	errBadHeader   *Error

	// The cookies, indexed by refreshIndex: [access, refresh].
	cookie      [2]string // token cookie names
	csrfHeader  [2]string // CSRF header names
	errNoCookie [2]*Error // token cookie missing

	// The rule for cookies.
	csrfOn         bool            // !Cookies.UnsafeDisableCSRF
	csrfMethods    map[string]bool // upper case
	skipOrigin     bool            // Cookies.SkipCrossOriginProtection
	cop            *http.CrossOriginProtection
	trustedOrigins []string

	// DPoP proofs; nil when DPoP is off.
	dp *dpopVerifier

	// WebSocket handshakes.
	wsQuery     string // WebSocket.QueryParam
	wsNoQuery   bool   // WebSocket.NoQueryToken
	wsCSRFQuery string // WebSocket.CSRFQueryParam
}

// newCredentials builds the reader of the token locations, the header,
// cookie and WebSocket settings (defaults applied); compat selects the
// seed's messages.
func newCredentials(locations []string, h *HeaderConfig, ck *CookieConfig, ws *WebSocketConfig, compat bool) (*credentials, error) {
	c := &credentials{
		headerKey:      textproto.CanonicalMIMEHeaderKey(h.Name),
		bareToken:      h.BareToken,
		scheme:         h.Type,
		compatMsgs:     compat,
		cookie:         [2]string{ck.Access.Name, ck.Refresh.Name},
		csrfHeader:     [2]string{ck.Access.CSRFHeader, ck.Refresh.CSRFHeader},
		csrfOn:         !ck.UnsafeDisableCSRF,
		csrfMethods:    map[string]bool{},
		skipOrigin:     ck.SkipCrossOriginProtection,
		trustedOrigins: ck.TrustedOrigins,
		wsQuery:        ws.QueryParam,
		wsNoQuery:      ws.NoQueryToken,
		wsCSRFQuery:    ws.CSRFQueryParam,
	}
	for _, loc := range locations {
		switch loc {
		case LocationHeaders:
			c.headers = true
		case LocationCookies:
			c.cookies = true
		}
	}
	for _, m := range ck.CSRFMethods {
		c.csrfMethods[strings.ToUpper(m)] = true
	}
	badHeaderMsg := fmt.Sprintf("Bad %s header. Expected value '%s <JWT>'", h.Name, h.Type)
	if h.BareToken {
		badHeaderMsg = fmt.Sprintf("Bad %s header. Expected value '<JWT>'", h.Name)
	}
	c.errMissing = ErrMissingToken.with(nil, fmt.Sprintf("Missing %s Header", h.Name))
	c.errOtherScheme = &Error{Code: CodeMissingToken, Status: 401, legacy: 422, Message: badHeaderMsg}
	c.errBadHeader = ErrBadHeader.with(nil, badHeaderMsg)
	for i, name := range c.cookie {
		c.errNoCookie[i] = ErrMissingToken.with(nil, "Missing cookie "+name)
		if c.compatMsgs {
			// The seed's message names the cookie expected (also with
			// headers as a location).
			c.errNoCookie[i] = ErrMissingToken.with(nil, "Missing or incorrect cookie. Expected: "+name)
		}
	}
	c.cop = http.NewCrossOriginProtection()
	for _, o := range ck.TrustedOrigins {
		if err := c.cop.AddTrustedOrigin(o); err != nil {
			return nil, settingError("Cookies.TrustedOrigins", "%v", err)
		}
	}
	c.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	return c, nil
}

// credential is a token as a request carried it: where it came from and
// what it must prove once verified.
type credential struct {
	token  string // "" when the request carries none (optional routes)
	source tokenSource
	// csrf is the CSRF value the request submitted, which the token's
	// csrf claim must equal when needCSRF.
	csrf     string
	needCSRF bool
	// proof is the verified DPoP proof of a token under the DPoP scheme
	// (source sourceDPoP), which the token's cnf.jkt must name.
	proof dpopProof
}

// bind checks the verified token t against what came with it: the CSRF
// value submitted beside a cookie must equal t's csrf claim.
func (c *credential) bind(t *Token) error {
	if !c.needCSRF {
		return nil
	}
	if t.c.CSRF() == "" {
		return ErrCSRFClaimMissing
	}
	if !csrfEqual(c.csrf, t.c.CSRF()) {
		return ErrCSRFMismatch
	}
	return nil
}

// csrfEqual compares a submitted CSRF value with the token's claim in
// constant time.
func csrfEqual(submitted, claim string) bool {
	return subtle.ConstantTimeCompare([]byte(submitted), []byte(claim)) == 1
}

// read returns the credential of an HTTP request: the header's when
// headers are a location and the header uses our scheme, else the
// cookie's. Without either, it is an error unless req.Optional.
func (c *credentials) read(r *http.Request, req *Requirement) (credential, error) {
	cred, err := c.readAny(r, req)
	if c.dp != nil && cred.source != sourceDPoP && cred.token != "" && err == nil && c.dp.requiredFor(req) {
		// Refused before anything verifies it.
		return credential{}, ErrDPoPRequired
	}
	return cred, err
}

// readAny is read without the rule of routes requiring DPoP.
func (c *credentials) readAny(r *http.Request, req *Requirement) (credential, error) {
	if c.headers {
		tok, present, err := c.fromHeader(r)
		if err != nil {
			return credential{}, err
		}
		if present {
			return credential{token: tok, source: sourceHeader}, nil
		}
		if cred, ok, err := c.fromDPoP(r, req); ok || err != nil {
			return cred, err
		}
	}
	if req.QueryParam != "" {
		tok, err := fromQuery(r, req.QueryParam)
		if err != nil {
			return credential{}, err
		}
		if tok != "" {
			return credential{token: tok, source: sourceQuery}, nil
		}
	}
	if c.cookies {
		return c.fromCookie(r, req, false)
	}
	if req.Optional {
		return credential{}, nil
	}
	if c.hasOtherScheme(r) {
		return credential{}, c.errOtherScheme
	}
	if c.dp != nil && c.dp.requiredFor(req) {
		return credential{}, errMissingDPoP
	}
	return credential{}, c.errMissing
}

// errMissingDPoP: no token at all on a route requiring DPoP; its
// challenge is DPoP's, without an error (RFC 6750 §3.1, RFC 9449 §7.1).
var errMissingDPoP = func() *Error {
	e := ErrMissingToken.with(nil, "Missing Authorization Header")
	e.dpop = true
	return e
}()

// fromDPoP returns the credential of an Authorization header under the
// DPoP scheme, its proof verified for the request and the token (ath);
// ok is false when the header uses another scheme, or the route has DPoP
// off. It runs only when the header is not under our own scheme, so that
// bearer requests pay nothing for it.
func (c *credentials) fromDPoP(r *http.Request, req *Requirement) (cred credential, ok bool, err error) {
	if c.dp == nil || c.bareToken || c.dp.modeFor(req) == DPoPOff {
		return credential{}, false, nil
	}
	vals := r.Header[c.headerKey]
	if len(vals) != 1 {
		return credential{}, false, nil
	}
	scheme, rest, _ := strings.Cut(vals[0], " ")
	if !strings.EqualFold(scheme, "DPoP") {
		return credential{}, false, nil
	}
	tok := strings.TrimLeft(rest, " ")
	if tok == "" || hasSeparator(tok) {
		return credential{}, true, ErrBadHeader.with(nil, "Bad "+c.headerKey+" header. Expected value 'DPoP <JWT>'")
	}
	p, err := c.dp.verify(r, r.Header["Dpop"], tok)
	if err != nil {
		return credential{}, true, err
	}
	return credential{token: tok, source: sourceDPoP, proof: p}, true, nil
}

// readHandshake returns the credential of a WebSocket handshake (see
// [Auth.CheckWebSocket] for the order of sources) and the subprotocol the
// server must select; own lists the application's subprotocols.
func (c *credentials) readHandshake(r *http.Request, req *Requirement, own []string) (credential, string, error) {
	cred, subprotocol, err := c.readAnyHandshake(r, req, own)
	if c.dp != nil && c.dp.requiredFor(req) {
		switch {
		case err == nil && cred.token != "" && cred.source != sourceDPoP:
			return credential{}, "", ErrDPoPRequired
		case err != nil && errors.Is(err, ErrMissingToken):
			return credential{}, "", errMissingDPoP // a DPoP challenge
		}
	}
	return cred, subprotocol, err
}

// readAnyHandshake is readHandshake without the rule of routes requiring
// DPoP.
func (c *credentials) readAnyHandshake(r *http.Request, req *Requirement, own []string) (cred credential, subprotocol string, err error) {
	if c.headers {
		bearer, sub, offered, e := parseBearerSubprotocol(r.Header, own)
		if e != nil {
			return credential{}, "", e
		}
		subprotocol = sub
		tok, present, herr := c.fromHeader(r)
		if herr != nil {
			return credential{}, "", herr
		}
		if present {
			return credential{token: tok, source: sourceHeader}, subprotocol, nil
		}
		if dc, ok, derr := c.fromDPoP(r, req); ok || derr != nil {
			if derr != nil {
				return credential{}, "", derr
			}
			return dc, subprotocol, nil
		}
		if offered {
			return credential{token: bearer, source: sourceSubprotocol}, subprotocol, nil
		}
		if !c.wsNoQuery {
			vals := r.URL.Query()[c.wsQuery]
			if len(vals) > 1 {
				return credential{}, "", ErrMalformedToken.with(nil, "Duplicate query parameter "+c.wsQuery)
			}
			if len(vals) == 1 && vals[0] != "" {
				return credential{token: vals[0], source: sourceQuery}, subprotocol, nil
			}
		}
	}
	if c.cookies {
		cred, err = c.fromCookie(r, req, true)
		if err != nil {
			return credential{}, "", err
		}
		return cred, subprotocol, nil
	}
	if req.Optional {
		return credential{}, subprotocol, nil
	}
	return credential{}, "", c.handshakeMissing(r, req)
}

// fromHeader returns the token in the configured header. present is false
// when the request carries no credentials for the configured scheme (no
// header, or another scheme); err is set for malformed credentials. A
// value holding a space, tab or comma (several credentials, or extra
// parts) is returned as it is: no such token can verify, and Auth.verify
// answers errBadHeader for it after the failure, so that the tokens that
// do verify are not scanned three more times on every request.
func (c *credentials) fromHeader(r *http.Request) (token string, present bool, err *Error) {
	vals := r.Header[c.headerKey]
	if len(vals) == 0 || vals[0] == "" {
		return "", false, nil
	}
	if len(vals) > 1 {
		return "", true, c.errBadHeader
	}
	v := vals[0]
	if c.bareToken {
		return v, true, nil
	}
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, c.scheme) {
		// Another scheme: no credentials for ours (RFC 6750 §3.1).
		return "", false, nil
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return "", true, c.errBadHeader
	}
	return rest, true, nil
}

// fromQuery returns the token in the query parameter name of a GET or
// HEAD request ([Requirement.QueryParam]), or "" when there is none. The
// parameter given twice, or a token in it on another method, is refused.
func fromQuery(r *http.Request, name string) (string, error) {
	if r.URL.RawQuery == "" {
		return "", nil
	}
	vals := r.URL.Query()[name]
	if len(vals) == 0 || (len(vals) == 1 && vals[0] == "") {
		return "", nil
	}
	if len(vals) > 1 {
		return "", ErrMalformedToken.with(nil, "Duplicate query parameter "+name)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "", ErrMalformedToken.with(nil, "A token in query parameter "+name+" is accepted on GET and HEAD requests only")
	}
	return vals[0], nil
}

// withoutQueryParam returns r (a copy the caller owns) with the query
// parameter name removed from its URL and RequestURI, so that the
// handler, and what it logs, never sees the token.
func withoutQueryParam(r *http.Request, name string) *http.Request {
	u := *r.URL
	q := u.Query()
	q.Del(name)
	u.RawQuery = q.Encode()
	r.URL = &u
	if r.RequestURI != "" {
		r.RequestURI = u.RequestURI()
	}
	return r
}

// hasSeparator reports whether a credential holds a space, tab or comma
// (more than one credential, or extra parts). Three vectorised IndexByte
// scans are much cheaper than a byte-by-byte ContainsAny over a token.
func hasSeparator(s string) bool {
	return strings.IndexByte(s, ' ') >= 0 || strings.IndexByte(s, '\t') >= 0 || strings.IndexByte(s, ',') >= 0
}

// hasOtherScheme reports whether the header carries credentials of another
// scheme than the configured one.
func (c *credentials) hasOtherScheme(r *http.Request) bool {
	vals := r.Header[c.headerKey]
	return len(vals) > 0 && vals[0] != "" && !c.bareToken
}

// challengeScheme is the scheme named in WWW-Authenticate challenges.
func (c *credentials) challengeScheme() string {
	if c.bareToken || !c.headers {
		return "Bearer"
	}
	return c.scheme
}

// refreshIndex is 1 for refresh, 0 for access.
func refreshIndex(refresh bool) int {
	if refresh {
		return 1
	}
	return 0
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

// fromCookie returns the credential in the token cookie of req's type,
// guarded by the cookie rule; handshake says the request is a WebSocket
// handshake.
func (c *credentials) fromCookie(r *http.Request, req *Requirement, handshake bool) (credential, error) {
	i := refreshIndex(req.Refresh)
	tok, n := cookieToken(r, c.cookie[i])
	if n == 0 || tok == "" {
		if req.Optional {
			return credential{}, nil
		}
		if c.headers {
			if handshake {
				return credential{}, c.handshakeMissing(r, req)
			}
			if c.hasOtherScheme(r) {
				return credential{}, c.errOtherScheme
			}
			if !c.compatMsgs {
				return credential{}, c.errMissing
			}
		}
		return credential{}, c.errNoCookie[i]
	}
	if n > 1 {
		return credential{}, ErrMalformedToken.with(nil, "Duplicate cookie "+c.cookie[i])
	}
	cred := credential{token: tok, source: sourceCookie}
	var err error
	cred.csrf, cred.needCSRF, err = c.guard(r, req.Refresh, handshake)
	if err != nil {
		return credential{}, err
	}
	return cred, nil
}

// guard is the one rule for a token in a cookie, which a browser attaches
// to any request, a cross-site one included. First the origin: an HTTP
// request's by [http.CrossOriginProtection] with Cookies.TrustedOrigins (unsafe
// methods only), a WebSocket handshake's Origin header exactly (a
// handshake is a GET that changes state); neither with
// Cookies.SkipCrossOriginProtection. Then the CSRF value, unless Cookies.UnsafeDisableCSRF:
// an HTTP request of a CSRF method submits it in the CSRF header of the
// cookie's type, a handshake always, in the CSRF query parameter. It
// returns the value submitted and whether one is needed; bind compares it
// with the verified token's csrf claim.
func (c *credentials) guard(r *http.Request, refresh, handshake bool) (submitted string, need bool, err error) {
	if handshake {
		if !c.skipOrigin {
			if err := c.checkHandshakeOrigin(r); err != nil {
				return "", false, err
			}
		}
	} else if err := c.crossOrigin(r); err != nil {
		return "", false, err
	}
	if !c.csrfOn {
		return "", false, nil
	}
	if handshake {
		vals := r.URL.Query()[c.wsCSRFQuery]
		if len(vals) > 1 {
			return "", false, ErrCSRFMismatch
		}
		if len(vals) == 1 {
			submitted = vals[0]
		}
	} else {
		if !c.csrfNeeded(r.Method) {
			return "", false, nil
		}
		submitted = r.Header.Get(c.csrfHeader[refreshIndex(refresh)])
	}
	if submitted == "" {
		return "", false, ErrCSRFMissing
	}
	return submitted, true, nil
}

// csrfNeeded reports whether a cookie request with method must submit a
// CSRF value. Methods are case-sensitive on the wire and browsers send
// "patch" as written: compare upper-cased so no spelling skips the check.
func (c *credentials) csrfNeeded(method string) bool {
	return c.csrfOn && c.csrfMethods[strings.ToUpper(method)]
}

// csrfClaims reports whether our tokens carry a csrf claim: when they may
// travel in cookies and CSRF protection is on.
func (c *credentials) csrfClaims() bool { return c.cookies && c.csrfOn }

// crossOrigin is the cross-origin check of HTTP cookie requests (see
// [Auth.CheckCrossOrigin]). It covers every unsafe method (cop.Check lets
// GET, HEAD and OPTIONS through), whatever the CSRF settings.
func (c *credentials) crossOrigin(r *http.Request) error {
	if c.skipOrigin {
		return nil
	}
	if err := c.cop.Check(r); err != nil {
		return ErrCrossOrigin.with(err, "")
	}
	return nil
}

// checkHandshakeOrigin refuses a cookie handshake whose Origin is neither
// the server's own nor trusted (cross-site WebSocket hijacking). Browsers
// always send Origin on WebSocket handshakes, so a missing one is refused.
func (c *credentials) checkHandshakeOrigin(r *http.Request) error {
	origins := r.Header.Values("Origin")
	if len(origins) != 1 || origins[0] == "" {
		return ErrCrossOrigin.with(errors.New("missing or repeated Origin header on a cookie-authenticated WebSocket handshake"), "")
	}
	got, ok := normalizeOrigin(origins[0])
	if !ok {
		return ErrCrossOrigin.with(errors.New("invalid Origin header"), "")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if self, ok := normalizeOrigin(scheme + "://" + r.Host); ok && self == got {
		return nil
	}
	for _, o := range c.trustedOrigins {
		if t, ok := normalizeOrigin(o); ok && t == got {
			return nil
		}
	}
	return ErrCrossOrigin.with(errors.New("origin not allowed for a cookie-authenticated WebSocket handshake"), "")
}

// normalizeOrigin returns scheme://host:port with the scheme and host in
// lower case and the default port made explicit, so that origins compare
// exactly on scheme, host and port. "null" and anything with a path,
// query, fragment or user info is refused.
func normalizeOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	var def string
	switch scheme {
	case "http", "ws":
		def = "80"
	case "https", "wss":
		def = "443"
	default:
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return "", false
		}
		port = def
	}
	return scheme + "://" + net.JoinHostPort(host, port), true
}

// handshakeMissing is the error for a handshake carrying no token at all.
func (c *credentials) handshakeMissing(r *http.Request, req *Requirement) error {
	if c.hasOtherScheme(r) {
		return c.errOtherScheme
	}
	if c.wsNoQuery {
		return c.errMissing
	}
	typ := TypeAccess
	if req.Refresh {
		typ = TypeRefresh
	}
	// The seed's wording.
	return ErrMissingToken.with(nil, "Missing "+typ+" token from Query or Path")
}

// renewable returns the access cookie credential of a request that
// implicit refresh may renew: one carrying no header credentials (it is
// judged by the header alone) and exactly one access cookie, guarded like
// any cookie request.
func (c *credentials) renewable(r *http.Request) (credential, bool) {
	if c.headers {
		if _, present, err := c.fromHeader(r); present || err != nil {
			return credential{}, false
		}
	}
	if _, n := cookieToken(r, c.cookie[0]); n != 1 {
		return credential{}, false
	}
	cred, err := c.fromCookie(r, &Requirement{}, false)
	if err != nil || cred.token == "" {
		return credential{}, false
	}
	return cred, true
}

// isTokenCookie reports whether name is the access or the refresh cookie.
func (c *credentials) isTokenCookie(name string) bool {
	return name == c.cookie[0] || name == c.cookie[1]
}

// CheckCrossOrigin applies the cross-origin check every cookie
// authenticated request gets ([http.CrossOriginProtection] with
// [CookieConfig.TrustedOrigins]): it returns [ErrCrossOrigin] (403) for an
// unsafe-method request that a browser sent from another origin
// (Sec-Fetch-Site, else an Origin that is not the request's host), and nil
// for same-origin requests, safe methods (GET, HEAD, OPTIONS), requests
// without browser headers (curl, servers) and when
// [CookieConfig.SkipCrossOriginProtection] is set.
//
// Call it in handlers that set auth cookies from a request carrying no
// auth cookie yet, which no guard checks: a login route in cookie mode.
// Without it, a cross-site form or no-cors fetch could log a victim's
// browser into the attacker's account (login CSRF).
func (a *Auth) CheckCrossOrigin(r *http.Request) error {
	return a.creds.crossOrigin(r)
}
