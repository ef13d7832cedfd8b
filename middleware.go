package authjwt

import (
	"context"
	"net/http"
)

// WriteError writes err as the configured error handler does (honouring
// [Config.LegacyStatusCodes]). A 500 (a server bug such as
// [ErrClaimsType]: never the client's fault) is logged first, with its
// cause, to [Config.Logger].
func (a *Auth) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if e := AsError(err); e.Status == http.StatusInternalServerError {
		cause := ""
		if e.Err != nil {
			cause = e.Err.Error()
		}
		a.log.ErrorContext(r.Context(), "authjwt: server error", "code", string(e.Code), "error", cause, "method", r.Method, "path", r.URL.Path)
	}
	if a.dp.nonces != nil {
		if e := AsError(err); e.dpop {
			// A fresh nonce for the client to retry with (RFC 9449 §8).
			w.Header().Set("DPoP-Nonce", a.dp.nonces.current())
		}
	}
	if a.errorHandler != nil {
		a.errorHandler(w, r, err)
		return
	}
	e := AsError(err)
	if a.meta != nil {
		// RFC 9728 §5.1: every challenge says where the metadata is.
		e = e.withParam(`resource_metadata="` + a.meta.metadataURL(r) + `"`)
	}
	writeError(w, e, a.legacyStatus, a.creds.challengeScheme(), "", a.dp.algAttr)
}

// Check authenticates r against req and returns the verified token. It is
// the building block of the middleware and of every adapter: headers are
// tried first when configured and the Authorization header uses the
// configured scheme; otherwise the cookies, with CSRF and cross-origin
// checks on unsafe methods. With req.Optional, a request without any token
// returns (nil, nil). The error is always an *Error.
//
// The path, each part entered once: the credentials reader finds the
// token and applies the cookie rule (credentials.go); the decoder checks
// its form and signature with our keys or a trusted issuer's (verify.go,
// internal/jws, keyring.go, trusted.go); the claims policy, ours or the
// issuer's, judges its claims (policy.go); the revoker asks the store
// (revoker.go); the route's requirements and the user loader follow
// (finish, verify.go); last, the credential's own proof, its CSRF value,
// is compared with the verified token (credential.bind).
func (a *Auth) Check(r *http.Request, req Requirement) (*Token, error) {
	cred, err := a.creds.read(r, &req)
	if err != nil {
		return nil, err
	}
	return a.authenticate(r.Context(), &cred, &req)
}

// authenticate verifies the token of cred (signature, claims policy,
// revocation, requirements, user loader: see [Auth.Verify]) and then what
// it must prove as it came (its CSRF value). A credential without a token
// (an optional route) gives a nil token and no error.
func (a *Auth) authenticate(ctx context.Context, cred *credential, req *Requirement) (*Token, error) {
	if cred.token == "" {
		return nil, nil
	}
	t, err := a.verify(ctx, cred.token, req, cred.source)
	if err != nil {
		if cred.source == sourceDPoP {
			return nil, dpopTokenError(err)
		}
		return nil, err
	}
	if err := cred.bind(t); err != nil {
		return nil, err
	}
	if cred.source == sourceDPoP || t.c.Cnf() != "" {
		if err := a.bindDPoP(ctx, cred, t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Middleware returns middleware enforcing req: requests that fail are
// answered with the error handler and never reach next; those that pass
// carry the token in their context ([FromContext]).
func (a *Auth) Middleware(req Requirement) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if req.QueryParam != "" && r.URL.RawQuery != "" && r.URL.Query().Has(req.QueryParam) {
				// A token in the URL: keep the response out of caches
				// and the URL out of the Referer of whatever it links to.
				h := w.Header()
				h.Set("Cache-Control", "no-store")
				h.Set("Referrer-Policy", "no-referrer")
			}
			t, err := a.Check(r, req)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			if t != nil {
				if t.source == sourceDPoP && a.dp.nonces != nil {
					w.Header().Set("DPoP-Nonce", a.dp.nonces.current())
				}
				r = r.WithContext(context.WithValue(r.Context(), tokenKey, t))
				if t.source == sourceQuery {
					r = withoutQueryParam(r, req.QueryParam)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Required lets only requests with a valid access token through (the
// seed's jwt_required).
func (a *Auth) Required(next http.Handler) http.Handler { return a.Middleware(Requirement{})(next) }

// Optional lets requests without a token through, and refuses invalid
// tokens (the seed's jwt_optional).
func (a *Auth) Optional(next http.Handler) http.Handler {
	return a.Middleware(Requirement{Optional: true})(next)
}

// RefreshRequired lets only requests with a valid refresh token through
// (the seed's jwt_refresh_token_required).
func (a *Auth) RefreshRequired(next http.Handler) http.Handler {
	return a.Middleware(Requirement{Refresh: true})(next)
}

// FreshRequired lets only requests with a fresh access token through (the
// seed's fresh_jwt_required).
func (a *Auth) FreshRequired(next http.Handler) http.Handler {
	return a.Middleware(Requirement{Fresh: true})(next)
}

// RequireRoles returns middleware requiring an access token whose roles
// ([Token.Roles]: [ClaimsConfig.RolesClaim], or a trusted issuer's RolesClaim)
// hold at least one of roles.
func (a *Auth) RequireRoles(roles ...string) func(http.Handler) http.Handler {
	return a.Middleware(Requirement{Roles: roles})
}

// RequireClaims returns middleware requiring an access token carrying
// every named claim with a value other than null.
func (a *Auth) RequireClaims(names ...string) func(http.Handler) http.Handler {
	return a.Middleware(Requirement{Claims: names})
}
