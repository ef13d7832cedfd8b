package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/librenz/authjwt"
)

// user is an account of the reference server.
type user struct {
	Password string
	Roles    []string
}

// demoUsers are the spec's accounts.
func demoUsers() map[string]user {
	return map[string]user{
		"alice": {Password: "secret", Roles: []string{"admin"}},
		"bob":   {Password: "hunter2", Roles: []string{}},
	}
}

// Guards, as listed in [route.Guard].
const (
	guardNone        = "none"
	guardCredentials = "credentials"
	guardAccess      = "access"
	guardFresh       = "fresh"
	guardRecent      = "recent"
	guardRefresh     = "refresh"
	guardOptional    = "optional"
	guardAdmin       = "role:admin"
	guardPartner     = "claim:partner"
)

// route is one route of the spec. The table returned by [server.routes] is
// what newServer registers, and what an OpenAPI document can be generated
// from.
type route struct {
	// Pattern is the ServeMux pattern ("POST /login").
	Pattern string
	// Guard says what the route needs: one of the guard* constants.
	Guard string
	// Summary describes the route in a few words.
	Summary string
	// Handler serves the route, guard included.
	Handler http.Handler
}

// recentLogin is the age of the login /protected-recent accepts.
const recentLogin = 300 * time.Second

// loginBodyLimit bounds the /login and /fresh-login request bodies.
const loginBodyLimit = 64 << 10

// routes returns the spec's routes, guards applied.
func (s *server) routes() []route {
	a := s.auth
	access := a.Middleware(authjwt.Requirement{})
	h := func(f http.HandlerFunc) http.Handler { return f }
	rs := []route{
		{"GET /{$}", guardNone, "the demo page", h(s.handleDemo)},
		{"GET /healthz", guardNone, "health check", h(s.handleHealthz)},
		{"POST /login", guardCredentials, "log in: an access (fresh) and a refresh token", h(s.handleLogin)},
		{"POST /fresh-login", guardCredentials, "log in again: a fresh access token only", h(s.handleFreshLogin)},
		{"POST /refresh", guardRefresh, "a new (not fresh) access token from a refresh token", a.RefreshHandler(authjwt.RefreshOptions{TokenOptions: s.refreshOptions})},
		{"GET /protected", guardAccess, "the caller's subject", access(h(s.handleUser))},
		{"GET /protected-fresh", guardFresh, "the caller's subject, with a fresh token", a.Middleware(authjwt.Requirement{Fresh: true})(h(s.handleUser))},
		{"GET /protected-recent", guardRecent, "the caller's subject, logged in within the last 300 s (RFC 9470)", a.Middleware(authjwt.Requirement{MaxAuthAge: recentLogin})(h(s.handleUser))},
		{"GET /optional", guardOptional, "the caller's subject, or null without a token", a.Middleware(authjwt.Requirement{Optional: true})(h(s.handleUser))},
		{"GET /admin", guardAdmin, "admins only", a.Middleware(authjwt.Requirement{Roles: []string{"admin"}})(h(s.handleAdmin))},
		{"GET /claims", guardAccess, "every verified claim and the JOSE header", access(h(s.handleClaims))},
		{"POST /partner", guardPartner, "needs a partner claim", a.Middleware(authjwt.Requirement{Claims: []string{"partner"}})(h(s.handlePartner))},
		{"DELETE /access-revoke", guardAccess, "revoke the access token", access(h(s.handleAccessRevoke))},
		{"DELETE /refresh-revoke", guardRefresh, "revoke the refresh token", a.Middleware(authjwt.Requirement{Refresh: true})(h(s.handleRefreshRevoke))},
		{"DELETE /logout", guardAccess, "revoke the access token and its refresh token, unset cookies", access(h(s.handleLogout))},
		{"POST /logout-all", guardAccess, "revoke every token of the subject issued until now", access(h(s.handleLogoutAll))},
		{"GET /sessions", guardAccess, "the subject's live sessions (logins), newest first", access(h(s.handleSessions))},
		{"DELETE /sessions/{id}", guardAccess, "end one session of the subject", access(h(s.handleEndSession))},
		{"POST /logout-others", guardAccess, "end every other session of the subject", access(h(s.handleLogoutOthers))},
		{"GET /.well-known/jwks.json", guardNone, "the public JWK Set", s.jwks},
	}
	for i, p := range a.ResourceMetadataPaths() {
		summary := "the OAuth protected-resource metadata (RFC 9728)"
		if i > 0 {
			summary += ", also without the identifier's trailing slash"
		}
		rs = append(rs, route{"GET " + p, guardNone, summary, a.ResourceMetadataHandler()})
	}
	return rs
}

// writeJSON writes v with status. API responses are never cached: most
// carry tokens or per-user data.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// detail is the body of a successful action: {"detail": "..."}.
type detail struct {
	Detail string `json:"detail"`
}

func (s *server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Errors of the server's own routes (the library's are *authjwt.Error too).
var (
	errBadCredentials = &authjwt.Error{Code: "bad_credentials", Status: http.StatusUnauthorized,
		Message: "Bad username or password"}
	errBodyTooLarge = &authjwt.Error{Code: "request_too_large", Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("Request body too large (limit %d bytes)", loginBodyLimit)}
)

// bodyError returns the 422 for a /login body that is not the expected JSON.
func bodyError(format string, args ...any) *authjwt.Error {
	return &authjwt.Error{Code: "invalid_request_body", Status: http.StatusUnprocessableEntity,
		Message: fmt.Sprintf(format, args...)}
}

const credentialsShape = `expected a JSON object {"username": "...", "password": "..."}`

// readCredentials decodes a {"username","password"} body.
func readCredentials(w http.ResponseWriter, r *http.Request) (username, password string, err *authjwt.Error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, perr := mime.ParseMediaType(ct)
		if perr != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return "", "", bodyError("Content-Type must be application/json, got %q: %s", ct, credentialsShape)
		}
	}
	if r.ContentLength > loginBodyLimit {
		return "", "", errBodyTooLarge // announced: refused before reading it
	}
	var body struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, loginBodyLimit))
	dec.DisallowUnknownFields()
	if derr := dec.Decode(&body); derr != nil {
		var tooLarge *http.MaxBytesError
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(derr, &tooLarge):
			return "", "", errBodyTooLarge
		case errors.Is(derr, io.EOF):
			return "", "", bodyError("Request body is empty: %s", credentialsShape)
		case errors.As(derr, &syntax), errors.Is(derr, io.ErrUnexpectedEOF):
			return "", "", bodyError("Request body is not valid JSON (%v): %s", derr, credentialsShape)
		case errors.As(derr, &typ) && typ.Field != "":
			return "", "", bodyError("Field %q must be a string, got %s", typ.Field, typ.Value)
		case errors.As(derr, &typ):
			return "", "", bodyError("Request body must be a JSON object, got %s: %s", typ.Value, credentialsShape)
		case strings.HasPrefix(derr.Error(), "json: unknown field "):
			return "", "", bodyError("Unknown field %s: %s", strings.TrimPrefix(derr.Error(), "json: unknown field "), credentialsShape)
		default:
			return "", "", bodyError("Request body is not valid JSON (%v): %s", derr, credentialsShape)
		}
	}
	if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
		// Whatever follows the object counts toward the limit: a body
		// over it is 413 wherever the limit is reached.
		var tooLarge *http.MaxBytesError
		if errors.As(terr, &tooLarge) {
			return "", "", errBodyTooLarge
		}
		return "", "", bodyError("Request body holds data after the JSON object: %s", credentialsShape)
	}
	switch {
	case body.Username == nil && body.Password == nil:
		return "", "", bodyError("Fields required: username, password")
	case body.Username == nil:
		return "", "", bodyError("Field required: username")
	case body.Password == nil:
		return "", "", bodyError("Field required: password")
	}
	return *body.Username, *body.Password, nil
}

// authenticate checks credentials in constant time (for a given user
// table), whether or not the user exists.
func (s *server) authenticate(username, password string) (user, bool) {
	u, ok := s.users[username]
	want := sha256.Sum256([]byte(u.Password))
	got := sha256.Sum256([]byte(password))
	match := subtle.ConstantTimeCompare(want[:], got[:]) == 1
	return u, ok && match
}

// userClaims are the claims added at login: the user's roles.
func userClaims(u user) authjwt.TokenOption {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return authjwt.WithClaims(map[string]any{"roles": roles})
}

// credentials reads and checks a login body, writing the error response
// when it fails. In cookie mode a cross-origin request is refused first
// (403), with the check every cookie request gets: a login sets the pair
// cookies, so a cross-site form or no-cors fetch with the attacker's
// credentials would otherwise log the victim's browser into the
// attacker's account (login CSRF).
func (s *server) credentials(w http.ResponseWriter, r *http.Request) (string, user, bool) {
	if s.cookies {
		if err := s.auth.CheckCrossOrigin(r); err != nil {
			s.auth.WriteError(w, r, err)
			return "", user{}, false
		}
	}
	name, pw, berr := readCredentials(w, r)
	if berr != nil {
		s.auth.WriteError(w, r, berr)
		return "", user{}, false
	}
	u, ok := s.authenticate(name, pw)
	if !ok {
		s.auth.WriteError(w, r, errBadCredentials)
		return "", user{}, false
	}
	return name, u, true
}

// internalError logs err and answers 500.
func (s *server) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), "authjwt serve: "+what, "error", err.Error())
	s.auth.WriteError(w, r, &authjwt.Error{Code: "internal_error", Status: http.StatusInternalServerError,
		Message: "Internal server error", Err: err})
}

// dpopKey verifies the DPoP proof a login carries (RFC 9449 §5), writing
// the error response when it fails (a missing or stale nonce: 401
// use_dpop_nonce with a fresh DPoP-Nonce): the thumbprint of its key, to
// bind the tokens to, or "" without a proof (bearer tokens, unless
// AUTHJWT_DPOP=required).
func (s *server) dpopKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	jkt, err := s.auth.CheckDPoPProof(r)
	if err != nil {
		s.auth.WriteError(w, r, err)
		return "", false
	}
	if n := s.auth.DPoPNonce(); jkt != "" && n != "" {
		w.Header().Set("DPoP-Nonce", n)
	}
	return jkt, true
}

// tokenBody is a login's token response; token_type says DPoP for bound
// tokens (RFC 9449 §5).
func tokenBody(jkt string, kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	if jkt != "" {
		m["token_type"] = "DPoP"
	}
	return m
}

func (s *server) handleLogin(w http.ResponseWriter, r *http.Request) {
	name, u, ok := s.credentials(w, r)
	if !ok {
		return
	}
	jkt, ok := s.dpopKey(w, r)
	if !ok {
		return
	}
	// The tokens say when the user logged in (auth_time, RFC 9470):
	// refreshes keep it, /protected-recent reads it.
	pair, err := s.startSession(r, name, authjwt.WithFresh(true), authjwt.WithAuthTime(s.cfg.Now()), userClaims(u), authjwt.WithDPoP(jkt))
	if err != nil {
		if errors.Is(err, authjwt.ErrStoreUnavailable) {
			s.auth.WriteError(w, r, err)
			return
		}
		s.internalError(w, r, "creating tokens", err)
		return
	}
	if s.cookies {
		if err := s.auth.SetPairCookies(w, pair); err != nil {
			s.internalError(w, r, "setting cookies", err)
			return
		}
	}
	if !s.headers {
		writeJSON(w, http.StatusOK, detail{"Logged in"})
		return
	}
	writeJSON(w, http.StatusOK, tokenBody(jkt, "access_token", pair.AccessToken, "refresh_token", pair.RefreshToken))
}

func (s *server) handleFreshLogin(w http.ResponseWriter, r *http.Request) {
	name, u, ok := s.credentials(w, r)
	if !ok {
		return
	}
	jkt, ok := s.dpopKey(w, r)
	if !ok {
		return
	}
	at, err := s.auth.CreateAccessToken(name, authjwt.WithFresh(true), authjwt.WithAuthTime(s.cfg.Now()), userClaims(u), authjwt.WithDPoP(jkt))
	if err != nil {
		s.internalError(w, r, "creating token", err)
		return
	}
	if s.cookies {
		if err := s.auth.SetAccessCookies(w, at); err != nil {
			s.internalError(w, r, "setting cookies", err)
			return
		}
	}
	if !s.headers {
		writeJSON(w, http.StatusOK, detail{"Logged in"})
		return
	}
	writeJSON(w, http.StatusOK, tokenBody(jkt, "access_token", at))
}

// refreshOptions gives the tokens of /refresh the user's claims, read
// again (not copied from the refresh token). [authjwt.Auth.RefreshHandler]
// does the rest: a new access token (not fresh) in the refresh token's
// family, or with rotation on a new pair from [authjwt.Auth.Rotate], which
// consumes the refresh token presented atomically in the store (a second
// use revokes its whole family and answers 401 "Refresh token reuse
// detected"), and the cookies in cookie mode.
func (s *server) refreshOptions(r *http.Request, rt *authjwt.Token) ([]authjwt.TokenOption, error) {
	if u, ok := s.users[rt.Subject()]; ok {
		return []authjwt.TokenOption{userClaims(u)}, nil
	}
	return nil, nil
}

// handleUser answers {"user": <sub>} (null on /optional without a token).
func (s *server) handleUser(w http.ResponseWriter, r *http.Request) {
	var u *string
	if t := authjwt.FromContext(r.Context()); t != nil {
		sub := t.Subject()
		u = &sub
	}
	writeJSON(w, http.StatusOK, map[string]*string{"user": u})
}

func (s *server) handleAdmin(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *server) handleClaims(w http.ResponseWriter, r *http.Request) {
	t := authjwt.FromContext(r.Context())
	claims, err := t.Claims()
	if err != nil {
		s.internalError(w, r, "decoding claims", err)
		return
	}
	header, err := t.Header()
	if err != nil {
		s.internalError(w, r, "decoding header", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"claims": claims, "header": header})
}

func (s *server) handlePartner(w http.ResponseWriter, r *http.Request) {
	v, _ := authjwt.FromContext(r.Context()).Claim("partner")
	writeJSON(w, http.StatusOK, map[string]any{"partner": v})
}

func (s *server) handleAccessRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.auth.Revoke(r.Context(), authjwt.FromContext(r.Context())); err != nil {
		s.auth.WriteError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, detail{"Access token has been revoked"})
}

func (s *server) handleRefreshRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.auth.Revoke(r.Context(), authjwt.FromContext(r.Context())); err != nil {
		s.auth.WriteError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, detail{"Refresh token has been revoked"})
}

// loggedOutUnrevoked is the answer of /logout and /logout-all when the
// configuration does not enforce what they revoke (denylist off, or a
// token type left out of AUTHJWT_DENYLIST_TOKEN_CHECKS): the cookies are
// unset, but some of the tokens keep working until they expire (an
// unchecked refresh token still mints access tokens), and the body says
// so.
type loggedOutUnrevoked struct {
	Detail  string `json:"detail"`
	Revoked bool   `json:"revoked"`
}

// logoutEnforced reports whether a revocation that covers both token
// types (a family, a subject) ends every token it names: the denylist is
// on and checks access and refresh tokens alike. With only one type
// checked the library records the revocation, but the other type's
// tokens are never looked up.
func (s *server) logoutEnforced() bool {
	return s.cfg.Revocation.Enabled &&
		slices.Contains(s.cfg.Revocation.Checks, authjwt.TypeAccess) &&
		slices.Contains(s.cfg.Revocation.Checks, authjwt.TypeRefresh)
}

// handleLogout revokes the token's family and unsets the cookies. A
// revocation the configuration does not enforce (ErrRevocationDisabled)
// still logs the browser out: the cookies are unset and the answer is 200
// with "revoked": false, never a success that claims the token is dead.
// A store that cannot record it is 503, cookies kept, so the client can
// retry.
func (s *server) handleLogout(w http.ResponseWriter, r *http.Request) {
	err := s.auth.RevokeFamily(r.Context(), authjwt.FromContext(r.Context()))
	revoked := err == nil && s.logoutEnforced()
	if err != nil && !errors.Is(err, authjwt.ErrRevocationDisabled) {
		s.auth.WriteError(w, r, err)
		return
	}
	if s.cookies {
		if err := s.auth.UnsetCookies(w); err != nil {
			s.internalError(w, r, "unsetting cookies", err)
			return
		}
	}
	if !revoked {
		writeJSON(w, http.StatusOK, loggedOutUnrevoked{"Logged out", false})
		return
	}
	writeJSON(w, http.StatusOK, detail{"Logged out"})
}

func (s *server) handleLogoutAll(w http.ResponseWriter, r *http.Request) {
	t := authjwt.FromContext(r.Context())
	if err := s.auth.RevokeSubject(r.Context(), t.Issuer(), t.Subject()); err != nil {
		s.auth.WriteError(w, r, err)
		return
	}
	if s.cookies {
		if err := s.auth.UnsetCookies(w); err != nil {
			s.internalError(w, r, "unsetting cookies", err)
			return
		}
	}
	if !s.logoutEnforced() {
		writeJSON(w, http.StatusOK, loggedOutUnrevoked{"Logged out everywhere", false})
		return
	}
	writeJSON(w, http.StatusOK, detail{"Logged out everywhere"})
}
