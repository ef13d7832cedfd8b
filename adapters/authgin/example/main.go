// Command example is a gin service guarded by authjwt: POST /login (JSON
// {"username","password"}) returns a token pair; GET /protected,
// GET /optional, POST /refresh and GET /admin are guarded.
//
//	AUTHJWT_SECRET_KEY=$(openssl rand -hex 32) go run ./example
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/adapters/authgin"
)

func newRouter(a *authjwt.Auth) *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery())
	r.POST("/login", func(c *gin.Context) {
		var body struct{ Username, Password string }
		if err := c.ShouldBindJSON(&body); err != nil || body.Username != "alice" || body.Password != "secret" {
			c.JSON(http.StatusUnauthorized, gin.H{"detail": "Bad username or password"})
			return
		}
		pair, err := a.CreatePair(body.Username, authjwt.WithFresh(true),
			authjwt.WithClaims(map[string]any{"roles": []string{"admin"}}))
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"detail": err.Error()})
			return
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, gin.H{"access_token": pair.AccessToken, "refresh_token": pair.RefreshToken})
	})
	r.GET("/protected", authgin.Required(a), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"user": authgin.Subject(c)})
	})
	r.GET("/optional", authgin.Optional(a), func(c *gin.Context) {
		if t := authgin.Token(c); t != nil {
			c.JSON(http.StatusOK, gin.H{"user": t.Subject()})
			return
		}
		c.JSON(http.StatusOK, gin.H{"user": nil})
	})
	r.POST("/refresh", authgin.RefreshRequired(a), func(c *gin.Context) {
		tok, err := a.CreateAccessToken(authgin.Subject(c))
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"detail": err.Error()})
			return
		}
		c.JSON(http.StatusOK, gin.H{"access_token": tok})
	})
	r.GET("/admin", authgin.RequireRoles(a, "admin"), func(c *gin.Context) {
		// The standard library accessor works too.
		c.JSON(http.StatusOK, gin.H{"ok": true, "user": authjwt.Subject(c.Request.Context())})
	})
	return r
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
	log.Fatal(newRouter(a).Run(addr))
}
