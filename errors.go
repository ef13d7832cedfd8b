package authjwt

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// Code is a stable, machine-readable error code, sent as "code" in error
// bodies. Codes never change once published; messages keep the seed's
// wording.
type Code string

// The error codes.
const (
	CodeMissingToken       Code = "missing_token"
	CodeBadHeader          Code = "bad_authorization_header"
	CodeMalformedToken     Code = "malformed_token"
	CodeTokenTooLarge      Code = "token_too_large"
	CodeInvalidAlgorithm   Code = "invalid_algorithm"
	CodeInvalidKID         Code = "invalid_kid"
	CodeInvalidSignature   Code = "invalid_signature"
	CodeTokenExpired       Code = "token_expired"
	CodeTokenNotYetValid   Code = "token_not_yet_valid"
	CodeInvalidIssuer      Code = "invalid_issuer"
	CodeInvalidAudience    Code = "invalid_audience"
	CodeInvalidClaim       Code = "invalid_claim"
	CodeAccessRequired     Code = "access_token_required"
	CodeRefreshRequired    Code = "refresh_token_required"
	CodeFreshRequired      Code = "fresh_token_required"
	CodeAuthTooOld         Code = "authentication_too_old"
	CodeInsufficientACR    Code = "insufficient_acr"
	CodeTokenRevoked       Code = "token_revoked"
	CodeRefreshReuse       Code = "refresh_token_reuse"
	CodeNotEnoughPerms     Code = "insufficient_permissions"
	CodeMissingClaim       Code = "missing_claim"
	CodeCSRFMissing        Code = "csrf_token_missing"
	CodeCSRFMismatch       Code = "csrf_token_mismatch"
	CodeCSRFClaimMissing   Code = "csrf_claim_missing"
	CodeCrossOrigin        Code = "cross_origin_request"
	CodeStoreUnavailable   Code = "revocation_store_unavailable"
	CodeKeysUnavailable    Code = "keys_unavailable"
	CodeUserNotFound       Code = "user_not_found"
	CodeUntrustedIssuer    Code = "untrusted_issuer"
	CodeIDTokenRefused     Code = "id_token_refused"
	CodeCookiesNotEnabled  Code = "cookies_not_enabled"
	CodeInvalidTokenOption Code = "invalid_token_option"
	CodeRevocationOff      Code = "revocation_disabled"
	CodeNotRevocable       Code = "token_not_revocable"
	CodeClaimsType         Code = "claims_type_mismatch"
	CodeSessionNotFound    Code = "session_not_found"
	CodeSessionsOff        Code = "sessions_disabled"
	CodeBadSessionCursor   Code = "invalid_session_cursor"
	CodeInvalidDPoPProof   Code = "invalid_dpop_proof"
	CodeDPoPReplay         Code = "dpop_proof_replayed"
	CodeUseDPoPNonce       Code = "use_dpop_nonce"
	CodeDPoPKeyMismatch    Code = "dpop_key_mismatch"
	CodeDPoPBoundToken     Code = "dpop_bound_token"
	CodeDPoPNotBound       Code = "dpop_token_not_bound"
	CodeDPoPRequired       Code = "dpop_required"
)

// Error is the one error type of authjwt's request handling: a stable
// code, the HTTP status, the message sent as "detail" (the seed's wording),
// the RFC 6750 error attribute for WWW-Authenticate, and the cause.
type Error struct {
	Code    Code   // the stable code, sent as "code"
	Status  int    // the HTTP status (see Config.LegacyStatusCodes)
	Message string // the message, sent as "detail"
	// Bearer is the RFC 6750 §3.1 error code ("invalid_request",
	// "invalid_token", "insufficient_scope", or RFC 9470's
	// "insufficient_user_authentication"); empty when the request had no
	// credentials or the error is not about the bearer token.
	Bearer string
	// Err is the underlying cause, if any (never shown to clients).
	Err error
	// legacy is the status the seed would have used.
	legacy int
	// params are auth-params added to the challenge after the error's
	// (RFC 9470's max_age=N or acr_values="…"), already formatted.
	params string
	// dpop makes the challenge a DPoP one (RFC 9449 §7.1): scheme DPoP,
	// with the proof algorithms accepted.
	dpop bool
}

// Error implements error.
func (e *Error) Error() string {
	s := "authjwt: " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTokenExpired) match any *Error with the same
// code, whatever its message or cause.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func newErr(code Code, status, legacy int, bearer, msg string) *Error {
	return &Error{Code: code, Status: status, legacy: legacy, Bearer: bearer, Message: msg}
}

// with returns a copy carrying a cause and, if non-empty, a new message.
func (e *Error) with(cause error, msg string) *Error {
	c := *e
	c.Err = cause
	if msg != "" {
		c.Message = msg
	}
	return &c
}

// Sentinels for errors.Is. Each matches every *Error with its code.
var (
	ErrMissingToken     = newErr(CodeMissingToken, 401, 401, "", "Missing Authorization Header")
	ErrBadHeader        = newErr(CodeBadHeader, 400, 422, "invalid_request", "Bad Authorization header. Expected value 'Bearer <JWT>'")
	ErrMalformedToken   = newErr(CodeMalformedToken, 401, 422, "invalid_token", "Invalid token")
	ErrTokenTooLarge    = newErr(CodeTokenTooLarge, 401, 422, "invalid_token", "Token too large")
	ErrInvalidAlgorithm = newErr(CodeInvalidAlgorithm, 401, 422, "invalid_token", "Invalid algorithm on header")
	ErrInvalidKID       = newErr(CodeInvalidKID, 401, 422, "invalid_token", "Invalid kid on header")
	ErrInvalidSignature = newErr(CodeInvalidSignature, 401, 422, "invalid_token", "Signature verification failed")
	ErrTokenExpired     = newErr(CodeTokenExpired, 401, 401, "invalid_token", "Signature has expired")
	ErrTokenNotYetValid = newErr(CodeTokenNotYetValid, 401, 422, "invalid_token", "The token is not yet valid (nbf)")
	ErrInvalidIssuer    = newErr(CodeInvalidIssuer, 401, 422, "invalid_token", "Invalid issuer")
	ErrInvalidAudience  = newErr(CodeInvalidAudience, 401, 422, "invalid_token", "Invalid audience")
	ErrInvalidClaim     = newErr(CodeInvalidClaim, 401, 422, "invalid_token", "Invalid claim")
	ErrAccessRequired   = newErr(CodeAccessRequired, 401, 422, "invalid_token", "Only access tokens are allowed")
	ErrRefreshRequired  = newErr(CodeRefreshRequired, 401, 422, "invalid_token", "Only refresh tokens are allowed")
	ErrFreshRequired    = newErr(CodeFreshRequired, 401, 401, "insufficient_user_authentication", "Fresh token required")
	// ErrAuthenticationTooOld: the route requires a more recent login
	// ([Requirement.MaxAuthAge]); the challenge carries max_age (RFC 9470).
	ErrAuthenticationTooOld = newErr(CodeAuthTooOld, 401, 401, "insufficient_user_authentication", "More recent authentication is required")
	// ErrInsufficientACR: the token's "acr" is not one the route accepts
	// ([Requirement.ACRValues]); the challenge carries acr_values (RFC 9470).
	ErrInsufficientACR   = newErr(CodeInsufficientACR, 401, 401, "insufficient_user_authentication", "A different authentication level is required")
	ErrTokenRevoked      = newErr(CodeTokenRevoked, 401, 401, "invalid_token", "Token has been revoked")
	ErrRefreshReuse      = newErr(CodeRefreshReuse, 401, 401, "invalid_token", "Refresh token reuse detected")
	ErrNotEnoughPerms    = newErr(CodeNotEnoughPerms, 403, 403, "insufficient_scope", "Not enough permissions")
	ErrMissingClaim      = newErr(CodeMissingClaim, 403, 422, "insufficient_scope", "Missing claim")
	ErrCSRFMissing       = newErr(CodeCSRFMissing, 403, 401, "", "Missing CSRF Token")
	ErrCSRFMismatch      = newErr(CodeCSRFMismatch, 403, 401, "", "CSRF double submitted tokens do not match")
	ErrCSRFClaimMissing  = newErr(CodeCSRFClaimMissing, 403, 422, "", "Missing claim: csrf")
	ErrCrossOrigin       = newErr(CodeCrossOrigin, 403, 403, "", "Cross-origin request refused")
	ErrStoreUnavailable  = newErr(CodeStoreUnavailable, 503, 503, "", "Revocation store unavailable")
	ErrKeysUnavailable   = newErr(CodeKeysUnavailable, 503, 503, "", "Signing keys unavailable")
	ErrUserNotFound      = newErr(CodeUserNotFound, 401, 401, "invalid_token", "User not found")
	ErrUntrustedIssuer   = newErr(CodeUntrustedIssuer, 401, 422, "invalid_token", "Untrusted issuer")
	ErrIDTokenRefused    = newErr(CodeIDTokenRefused, 401, 422, "invalid_token", "ID tokens are not accepted as access tokens")
	ErrCookiesNotEnabled = newErr(CodeCookiesNotEnabled, 500, 500, "",
		"Cookies are not a configured token location: add \"cookies\" to TokenLocation (AUTHJWT_TOKEN_LOCATION)")
	ErrInvalidTokenOption = newErr(CodeInvalidTokenOption, 500, 500, "", "Invalid token option")
	// ErrRevocationDisabled: a revocation was asked for a token that the
	// configuration never checks (no store, or its type left out of
	// Revocation.Checks); reporting success would be a lie.
	ErrRevocationDisabled = newErr(CodeRevocationOff, 501, 501, "", "Revocation is not enabled for this token type")
	// ErrNotRevocable: the token is valid but cannot be revoked on its own
	// (a third-party token without "jti"); revoke its subject instead.
	ErrNotRevocable = newErr(CodeNotRevocable, 422, 422, "",
		"This token has no jti and cannot be revoked on its own; revoke its subject instead")
	// ErrClaimsType: a verified token's claims do not fit the application's
	// type (a server bug, never the client's fault).
	ErrClaimsType = newErr(CodeClaimsType, 500, 500, "", "Internal server error")
	// ErrSessionNotFound: the id is not a live session of the subject
	// asking (never stored, another subject's, ended or expired).
	ErrSessionNotFound = newErr(CodeSessionNotFound, 404, 404, "", "Session not found")
	// ErrSessionsDisabled: a session call without Sessions.Enabled (or
	// with no token type checked against the store).
	ErrSessionsDisabled = newErr(CodeSessionsOff, 501, 501, "", "Sessions are not enabled (Sessions.Enabled)")
	// ErrBadSessionCursor: a session page's cursor or size that is not
	// one the server gave.
	ErrBadSessionCursor = newErr(CodeBadSessionCursor, 400, 400, "", "Invalid session cursor")
)

// The DPoP errors (RFC 9449 §7.1): their challenge names the DPoP scheme
// and the proof algorithms accepted. Bearer holds the DPoP error code.
var (
	// ErrInvalidDPoPProof: the DPoP header is missing, repeated or holds
	// a proof that is malformed, signed with a refused algorithm or a key
	// that is not public, or that is not for this request (htm, htu,
	// iat, ath). The message says which.
	ErrInvalidDPoPProof = dpopErr(CodeInvalidDPoPProof, "invalid_dpop_proof", "Invalid DPoP proof")
	// ErrDPoPReplay: the proof's jti was seen before, on this instance or
	// another sharing the store.
	ErrDPoPReplay = dpopErr(CodeDPoPReplay, "invalid_dpop_proof", "DPoP proof replayed")
	// ErrUseDPoPNonce: nonces are on and the proof has none, or a stale
	// one; the response carries a fresh DPoP-Nonce header to retry with.
	ErrUseDPoPNonce = dpopErr(CodeUseDPoPNonce, "use_dpop_nonce", "DPoP nonce required")
	// ErrDPoPKeyMismatch: the proof's key is not the one the token is
	// bound to (its cnf.jkt).
	ErrDPoPKeyMismatch = dpopErr(CodeDPoPKeyMismatch, "invalid_token", "DPoP proof key does not match the token's binding")
	// ErrDPoPBoundToken: a DPoP-bound token came without the DPoP scheme
	// (as a bearer token, in a cookie, in a URL).
	ErrDPoPBoundToken = dpopErr(CodeDPoPBoundToken, "invalid_token", "DPoP-bound token presented without the DPoP scheme")
	// ErrDPoPNotBound: a bearer (unbound) token came under the DPoP
	// scheme.
	ErrDPoPNotBound = dpopErr(CodeDPoPNotBound, "invalid_token", "Token is not DPoP-bound")
	// ErrDPoPRequired: the route (or the configuration) requires
	// DPoP-bound tokens and the request carries a bearer token, or a
	// token request carries no proof.
	ErrDPoPRequired = dpopErr(CodeDPoPRequired, "invalid_token", "DPoP-bound token required")
)

func dpopErr(code Code, attr, msg string) *Error {
	e := newErr(code, 401, 401, attr, msg)
	e.dpop = true
	return e
}

// withParam returns a copy whose challenge has one more auth-param.
func (e *Error) withParam(p string) *Error {
	c := *e
	if c.params != "" {
		p = c.params + ", " + p
	}
	c.params = p
	return &c
}

// missingClaim returns the 403 for a required claim that is absent.
func missingClaim(name string) *Error {
	return ErrMissingClaim.with(nil, "Missing claim: "+name)
}

// status returns the status to send, honouring LegacyStatusCodes.
func (e *Error) status(legacy bool) int {
	if legacy && e.legacy != 0 {
		return e.legacy
	}
	return e.Status
}

// AsError returns err as an *Error, wrapping unknown errors as 401
// invalid-token errors so that nothing unexpected is ever accepted.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrMalformedToken.with(err, "")
}

type errorBody struct {
	Detail string `json:"detail"`
	Code   Code   `json:"code"`
}

// WriteError is the default error handler. It writes
// {"detail": "<message>", "code": "<code>"} with the error's status, and for
// 401 and bearer-token errors a WWW-Authenticate header per RFC 6750 §3.
// Use [Auth.WriteError] to honour [Config.LegacyStatusCodes].
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, AsError(err), false, "Bearer", "", defaultDPoPAlgs)
}

// writeError writes e. scheme is the challenge's scheme, and dpopAlgs the
// algs attribute of DPoP challenges (the errors marked dpop take the DPoP
// scheme whatever scheme says).
func writeError(w http.ResponseWriter, e *Error, legacy bool, scheme, realm, dpopAlgs string) {
	status := e.status(legacy)
	h := w.Header()
	if status == http.StatusUnauthorized || e.Bearer != "" {
		var b strings.Builder
		if e.dpop {
			scheme = "DPoP"
		}
		b.WriteString(scheme)
		sep := " "
		if realm != "" {
			b.WriteString(sep + `realm="` + realm + `"`)
			sep = ", "
		}
		if e.Bearer != "" {
			b.WriteString(sep + `error="` + e.Bearer + `", error_description="` + strings.ReplaceAll(e.Message, `"`, `'`) + `"`)
			sep = ", "
		}
		if e.dpop && dpopAlgs != "" {
			b.WriteString(sep + `algs="` + dpopAlgs + `"`)
			sep = ", "
		}
		if e.params != "" {
			b.WriteString(sep + e.params)
		}
		h.Set("WWW-Authenticate", b.String())
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(errorBody{Detail: e.Message, Code: e.Code})
}
