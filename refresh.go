package authjwt

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// The ready refresh route: the standard flow every application's /refresh
// handler otherwise writes by hand, with the two things hand-written ones
// get wrong (keeping the family, and rotation's cookies) done once.

// RefreshOptions adjusts [Auth.RefreshHandler]. The zero value is the
// standard flow.
type RefreshOptions struct {
	// TokenOptions, when set, returns the options of the new tokens for
	// the verified refresh token rt: typically the custom claims read
	// again (roles may have changed since login: a refresh copies no
	// custom claim), or an audience. An *Error it returns is answered as
	// it is (e.g. [ErrUserNotFound] for a deleted account); any other
	// error as a 500 [ErrInvalidTokenOption], logged with its cause.
	// WithFresh, WithFamily, WithAuthTime and WithACR among the options
	// are overridden: tokens from a refresh are never fresh, always stay
	// in the family, and keep the refresh token's "auth_time" and "acr"
	// (RFC 9470), the login the family began with.
	TokenOptions func(r *http.Request, rt *Token) ([]TokenOption, error)
}

// refreshBody is the refresh response: the seed's {"access_token"},
// with "refresh_token" when rotation issued one.
type refreshBody struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type,omitempty"` // "DPoP" for bound tokens
}

// RefreshHandler returns the handler of a refresh route (POST /refresh),
// which needs no middleware in front of it:
//
//   - it verifies the request's refresh token as [Auth.RefreshRequired]
//     does: from the header or the refresh cookie as [Config.TokenLocation]
//     says, a cookie with the cross-origin and CSRF checks of any cookie
//     request (the refresh CSRF header on CSRF methods);
//   - with [RevocationConfig.Rotation] on, it exchanges it with
//     [Auth.Rotate] for a new pair in the same family (the presented token
//     is consumed; reuse revokes the family);
//   - otherwise it creates a new access token, not fresh, in the refresh
//     token's family (WithFamily(rt.Family()), or its jti for a refresh
//     token without one, as Rotate does), so that logout
//     ([Auth.RevokeFamily]) also revokes the access tokens refreshed from
//     the pair;
//   - when cookies are a token location it sets the new token's cookies
//     ([Auth.SetPairCookies] after a rotation, [Auth.SetAccessCookies]
//     otherwise);
//   - it answers 200 with Cache-Control: no-store and, when headers are a
//     token location, {"access_token": "…"} (plus "refresh_token" after a
//     rotation), else {"detail": "Token refreshed"}.
//
// Every error goes through [Auth.WriteError] (the configured
// ErrorHandler): 401 for a missing, invalid, revoked or reused refresh
// token, 403 for a failed cookie check, 503 when the store is down.
func (a *Auth) RefreshHandler(opts RefreshOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, err := a.Check(r, Requirement{Refresh: true})
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		// A bound refresh token came under the DPoP scheme with a proof of
		// its key (Check, bindDPoP): what it issues stays bound to that
		// key. An unbound one may come with a proof (RFC 9449 §5): what it
		// issues is bound to the proof's key.
		jkt := rt.DPoPThumbprint()
		if jkt == "" && rt.source != sourceDPoP {
			if jkt, err = a.CheckDPoPProof(r); err != nil {
				a.WriteError(w, r, err)
				return
			}
		}
		var topts []TokenOption
		if opts.TokenOptions != nil {
			topts, err = opts.TokenOptions(r, rt)
			if err != nil {
				a.WriteError(w, r, internalCreation(err))
				return
			}
		}
		if jkt != "" {
			topts = append(topts, WithDPoP(jkt))
		}
		var body refreshBody
		if a.rev.rotation {
			pair, err := a.Rotate(r.Context(), rt, topts...)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			if a.creds.cookies {
				// The refresh token is consumed: SetPairCookies takes the
				// claims just minted and cannot refuse the successor.
				if err := a.SetPairCookies(w, pair); err != nil {
					a.WriteError(w, r, internalCreation(err))
					return
				}
			}
			body = refreshBody{AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken}
		} else {
			family := rt.Family()
			if family == "" {
				family = rt.JTI()
			}
			topts = append(topts, WithFresh(false), WithFamily(family), loginOf(rt))
			at, err := a.CreateAccessTokenContext(r.Context(), rt.Subject(), topts...)
			if err != nil {
				a.WriteError(w, r, internalCreation(err))
				return
			}
			if a.creds.cookies {
				if err := a.SetAccessCookies(w, at); err != nil {
					a.WriteError(w, r, internalCreation(err))
					return
				}
			}
			body.AccessToken = at
			a.rev.touchRefresh(r.Context(), rt, a.now())
		}
		h := w.Header()
		if jkt != "" {
			body.TokenType = "DPoP"
			if a.dp.nonces != nil {
				h.Set("DPoP-Nonce", a.dp.nonces.current())
			}
		}
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		if !a.creds.headers {
			json.NewEncoder(w).Encode(map[string]string{"detail": "Token refreshed"})
			return
		}
		json.NewEncoder(w).Encode(body)
	})
}

// loginOf returns the option giving a token refreshed from rt rt's
// "auth_time" and "acr" (none when rt has none): whatever options came
// before it, a refresh never makes an authentication more recent.
func loginOf(rt *Token) TokenOption {
	return loginOpt{at: rt.AuthTime(), acr: rt.c.ACR()}
}

type loginOpt struct {
	at  time.Time
	acr string
}

func (o loginOpt) applyToken(t *tokenOpts) { t.authTime, t.acr = o.at, o.acr }

// internalCreation returns err as an *Error: as it is when it is one,
// else a 500 ErrInvalidTokenOption with err as its cause (never AsError's
// 401, which would blame the client for a server-side failure).
func internalCreation(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInvalidTokenOption.with(err, "")
}
