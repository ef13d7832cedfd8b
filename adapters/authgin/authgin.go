// Package authgin guards gin routes with authjwt. The middleware calls
// [authjwt.Auth.Check] on the request, so header, cookie, CSRF and
// cross-origin behaviour are exactly those of the net/http middleware;
// refused requests get the library's status, JSON body and
// WWW-Authenticate header (through [authjwt.Auth.WriteError], so a
// configured ErrorHandler and LegacyStatusCodes apply) and are aborted.
//
//	r := gin.New()
//	r.GET("/protected", authgin.Required(a), func(c *gin.Context) {
//		c.JSON(200, gin.H{"user": authgin.Token(c).Subject()})
//	})
//
// The verified token is reachable with [Token] on the *gin.Context and with
// authjwt.FromContext(c.Request.Context()).
package authgin

import (
	"github.com/gin-gonic/gin"

	"github.com/librenz/authjwt"
)

// ContextKey is the gin context key holding the verified *authjwt.Token.
const ContextKey = "github.com/librenz/authjwt.token"

// Middleware returns a gin handler enforcing req with a.
func Middleware(a *authjwt.Auth, req authjwt.Requirement) gin.HandlerFunc {
	return func(c *gin.Context) {
		t, err := a.Check(c.Request, req)
		if err != nil {
			a.WriteError(c.Writer, c.Request, err)
			c.Abort()
			return
		}
		if t != nil {
			c.Request = c.Request.WithContext(authjwt.NewContext(c.Request.Context(), t))
			c.Set(ContextKey, t)
		}
		c.Next()
	}
}

// Required lets only requests with a valid access token through.
func Required(a *authjwt.Auth) gin.HandlerFunc { return Middleware(a, authjwt.Requirement{}) }

// Optional lets requests without a token through and refuses invalid ones.
func Optional(a *authjwt.Auth) gin.HandlerFunc {
	return Middleware(a, authjwt.Requirement{Optional: true})
}

// RefreshRequired lets only requests with a valid refresh token through.
func RefreshRequired(a *authjwt.Auth) gin.HandlerFunc {
	return Middleware(a, authjwt.Requirement{Refresh: true})
}

// FreshRequired lets only requests with a fresh access token through.
func FreshRequired(a *authjwt.Auth) gin.HandlerFunc {
	return Middleware(a, authjwt.Requirement{Fresh: true})
}

// RequireRoles requires an access token whose "roles" claim holds at least
// one of roles.
func RequireRoles(a *authjwt.Auth, roles ...string) gin.HandlerFunc {
	return Middleware(a, authjwt.Requirement{Roles: roles})
}

// RequireClaims requires an access token carrying every named claim.
func RequireClaims(a *authjwt.Auth, names ...string) gin.HandlerFunc {
	return Middleware(a, authjwt.Requirement{Claims: names})
}

// Token returns the token the middleware verified for c, or nil (an
// optional route without a token, or an unguarded route).
func Token(c *gin.Context) *authjwt.Token {
	v, ok := c.Get(ContextKey)
	if !ok {
		return nil
	}
	t, _ := v.(*authjwt.Token)
	return t
}

// Subject returns the verified token's subject, or "".
func Subject(c *gin.Context) string {
	if t := Token(c); t != nil {
		return t.Subject()
	}
	return ""
}
