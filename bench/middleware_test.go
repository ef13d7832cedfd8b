package bench

// Middleware peers: each authenticates `GET /api` with `Authorization:
// Bearer <HS256>` through its own middleware with the semantics of
// authjwt's a.Required (the seed's jwt_required): alg HS256, signature,
// exp/nbf, iss, aud and type == "access"; freshness is NOT required. Then a
// handler answers 200 with no body. Checks a middleware cannot express are
// done in the hook it offers for that (claims Validate, Authorizator).

import (
	"context"
	"net/http"
	"strings"

	ginjwt "github.com/appleboy/gin-jwt/v2"
	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/jwtauth/v5"
	gjwt4 "github.com/golang-jwt/jwt/v4"
	gjwt "github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
	jwxv2 "github.com/lestrrat-go/jwx/v2/jwt"
)

func init() { gin.SetMode(gin.ReleaseMode) }

const mwPath = "/api"

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

// ---------------------------------------------------------------- baselines

func newBaselineMiddleware(*keySet) (http.Handler, error) { return okHandler, nil }

func newBaselineEcho(*keySet) (http.Handler, error) {
	e := echo.New()
	e.GET(mwPath, func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return e, nil
}

func newBaselineGin(*keySet) (http.Handler, error) {
	r := gin.New()
	r.GET(mwPath, func(c *gin.Context) { c.Status(http.StatusOK) })
	return r, nil
}

// ------------------------------------------------- go-chi/jwtauth (jwx v2)

func newJwtauthMiddleware(k *keySet) (http.Handler, error) {
	ja := jwtauth.New(HS256, k.hs, nil,
		jwxv2.WithIssuer(benchIssuer),
		jwxv2.WithAudience(benchAudience),
		jwxv2.WithAcceptableSkew(leeway),
		jwxv2.WithRequiredClaim("exp"),
		jwxv2.WithClaimValue("type", "access"),
	)
	return jwtauth.Verifier(ja)(jwtauth.Authenticator(ja)(okHandler)), nil
}

// ------------------------------------------------ echo-jwt (golang-jwt v5)

// echoClaims: echo-jwt parses with golang-jwt's default parser (no iss/aud
// options, no leeway), so those checks live in the claims' Validate hook.
type echoClaims struct {
	gjwt.RegisteredClaims
	Type string `json:"type"`
}

func (c *echoClaims) Validate() error {
	if c.ExpiresAt == nil {
		return errTime
	}
	if c.Issuer != benchIssuer {
		return errIssuer
	}
	found := false
	for _, a := range c.Audience {
		if a == benchAudience {
			found = true
			break
		}
	}
	if !found {
		return errAudience
	}
	return checkType(c.Type)
}

func newEchoJWTMiddleware(k *keySet) (http.Handler, error) {
	e := echo.New()
	e.Use(echojwt.WithConfig(echojwt.Config{
		SigningKey:    k.hs,
		SigningMethod: HS256,
		NewClaimsFunc: func(echo.Context) gjwt.Claims { return new(echoClaims) },
	}))
	e.GET(mwPath, func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return e, nil
}

// ---------------------------------------------- gin-jwt (golang-jwt v4)

func newGinJWTMiddleware(k *keySet) (http.Handler, error) {
	mw, err := ginjwt.New(&ginjwt.GinJWTMiddleware{
		Realm:            "bench",
		Key:              k.hs,
		SigningAlgorithm: HS256,
		IdentityKey:      "sub",
		// gin-jwt checks alg + signature + exp/nbf (golang-jwt v4 MapClaims,
		// no leeway); iss, aud and type go in the Authorizator.
		Authorizator: func(_ any, c *gin.Context) bool {
			m := gjwt4.MapClaims(ginjwt.ExtractClaims(c))
			if !m.VerifyIssuer(benchIssuer, true) || !m.VerifyAudience(benchAudience, true) {
				return false
			}
			typ, _ := m["type"].(string)
			return checkType(typ) == nil
		},
	})
	if err != nil {
		return nil, err
	}
	r := gin.New()
	r.Use(mw.MiddlewareFunc())
	r.GET(mwPath, func(c *gin.Context) { c.Status(http.StatusOK) })
	return r, nil
}

// ------------------------------------- auth0/go-jwt-middleware (go-jose v2)

type auth0Claims struct {
	Exp  int64  `json:"exp"`
	Type string `json:"type"`
}

// Validate: auth0 checks alg, signature, iss, aud, exp/nbf/iat with skew
// itself; exp presence and type are custom claims.
func (c *auth0Claims) Validate(context.Context) error {
	if c.Exp == 0 {
		return errTime
	}
	return checkType(c.Type)
}

func newAuth0Middleware(k *keySet) (http.Handler, error) {
	key := k.hs
	v, err := validator.New(
		func(context.Context) (any, error) { return key, nil },
		validator.HS256, benchIssuer, []string{benchAudience},
		validator.WithAllowedClockSkew(leeway),
		validator.WithCustomClaims(func() validator.CustomClaims { return new(auth0Claims) }),
	)
	if err != nil {
		return nil, err
	}
	return jwtmiddleware.New(v.ValidateToken).CheckJWT(okHandler), nil
}

// ----------------------------------------------------------------- floor

// newFloorMiddleware: bearer extraction + the floor verifier, nothing else
// (no context value, no claims).
func newFloorMiddleware(k *keySet) (http.Handler, error) {
	verify, err := newFloorVerifier(HS256, k)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if len(h) < 8 || !strings.EqualFold(h[:7], "Bearer ") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if _, err := verify(h[7:]); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		okHandler.ServeHTTP(w, r)
	}), nil
}
