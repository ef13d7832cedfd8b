// Package authecho guards echo routes with authjwt. The middleware calls
// [authjwt.Auth.Check] on the request, so header, cookie, CSRF and
// cross-origin behaviour are exactly those of the net/http middleware;
// refused requests get the library's status, JSON body and
// WWW-Authenticate header (through [authjwt.Auth.WriteError], so a
// configured ErrorHandler and LegacyStatusCodes apply), and the handler
// chain stops there.
//
//	e := echo.New()
//	e.GET("/protected", func(c echo.Context) error {
//		return c.JSON(200, map[string]string{"user": authecho.Token(c).Subject()})
//	}, authecho.Required(a))
//
// The verified token is reachable with [Token] on the echo.Context and with
// authjwt.FromContext(c.Request().Context()).
package authecho

import (
	"github.com/labstack/echo/v4"

	"github.com/librenz/authjwt"
)

// ContextKey is the echo context key holding the verified *authjwt.Token.
const ContextKey = "github.com/librenz/authjwt.token"

// Middleware returns echo middleware enforcing req with a.
func Middleware(a *authjwt.Auth, req authjwt.Requirement) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			t, err := a.Check(r, req)
			if err != nil {
				// The response is complete: returning nil keeps echo's
				// error handler from writing a second body.
				a.WriteError(c.Response(), r, err)
				return nil
			}
			if t != nil {
				c.SetRequest(r.WithContext(authjwt.NewContext(r.Context(), t)))
				c.Set(ContextKey, t)
			}
			return next(c)
		}
	}
}

// Required lets only requests with a valid access token through.
func Required(a *authjwt.Auth) echo.MiddlewareFunc { return Middleware(a, authjwt.Requirement{}) }

// Optional lets requests without a token through and refuses invalid ones.
func Optional(a *authjwt.Auth) echo.MiddlewareFunc {
	return Middleware(a, authjwt.Requirement{Optional: true})
}

// RefreshRequired lets only requests with a valid refresh token through.
func RefreshRequired(a *authjwt.Auth) echo.MiddlewareFunc {
	return Middleware(a, authjwt.Requirement{Refresh: true})
}

// FreshRequired lets only requests with a fresh access token through.
func FreshRequired(a *authjwt.Auth) echo.MiddlewareFunc {
	return Middleware(a, authjwt.Requirement{Fresh: true})
}

// RequireRoles requires an access token whose "roles" claim holds at least
// one of roles.
func RequireRoles(a *authjwt.Auth, roles ...string) echo.MiddlewareFunc {
	return Middleware(a, authjwt.Requirement{Roles: roles})
}

// RequireClaims requires an access token carrying every named claim.
func RequireClaims(a *authjwt.Auth, names ...string) echo.MiddlewareFunc {
	return Middleware(a, authjwt.Requirement{Claims: names})
}

// Token returns the token the middleware verified for c, or nil (an
// optional route without a token, or an unguarded route).
func Token(c echo.Context) *authjwt.Token {
	t, _ := c.Get(ContextKey).(*authjwt.Token)
	return t
}

// Subject returns the verified token's subject, or "".
func Subject(c echo.Context) string {
	if t := Token(c); t != nil {
		return t.Subject()
	}
	return ""
}
