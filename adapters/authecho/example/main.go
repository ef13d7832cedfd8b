// Command example is an echo service guarded by authjwt: POST /login (JSON
// {"username","password"}) returns a token pair; GET /protected,
// GET /optional, POST /refresh and GET /admin are guarded.
//
//	AUTHJWT_SECRET_KEY=$(openssl rand -hex 32) go run ./example
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/adapters/authecho"
)

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func newServer(a *authjwt.Auth) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.POST("/login", func(c echo.Context) error {
		var body credentials
		if err := c.Bind(&body); err != nil || body.Username != "alice" || body.Password != "secret" {
			return c.JSON(http.StatusUnauthorized, map[string]string{"detail": "Bad username or password"})
		}
		pair, err := a.CreatePair(body.Username, authjwt.WithFresh(true),
			authjwt.WithClaims(map[string]any{"roles": []string{"admin"}}))
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(http.StatusOK, map[string]string{"access_token": pair.AccessToken, "refresh_token": pair.RefreshToken})
	})
	e.GET("/protected", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"user": authecho.Subject(c)})
	}, authecho.Required(a))
	e.GET("/optional", func(c echo.Context) error {
		if t := authecho.Token(c); t != nil {
			return c.JSON(http.StatusOK, map[string]any{"user": t.Subject()})
		}
		return c.JSON(http.StatusOK, map[string]any{"user": nil})
	}, authecho.Optional(a))
	e.POST("/refresh", func(c echo.Context) error {
		tok, err := a.CreateAccessToken(authecho.Subject(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]string{"access_token": tok})
	}, authecho.RefreshRequired(a))
	e.GET("/admin", func(c echo.Context) error {
		// The standard library accessor works too.
		return c.JSON(http.StatusOK, map[string]any{"ok": true, "user": authjwt.Subject(c.Request().Context())})
	}, authecho.RequireRoles(a, "admin"))
	return e
}

func main() {
	cfg, err := authjwt.ConfigFromEnv(os.Environ())
	if err != nil {
		log.Fatal(err)
	}
	a, err := authjwt.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	log.Fatal(newServer(a).Start(addr))
}
