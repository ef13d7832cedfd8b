// Command dynamic-algorithm-and-expiry chooses the algorithm and the
// lifetime per token: access tokens are signed with HS384 and refresh
// tokens with HS512 (both accepted, through Keys.DecodeAlgorithms), a "remember
// me" login gets a 30-day refresh token instead of one day, and a one-time
// download link carries a 60-second token.
//
//	go run ./dynamic-algorithm-and-expiry
//	curl -s -XPOST 'localhost:8000/login?remember=1' -d '{"username":"alice","password":"secret"}'
package main

import (
	"flag"
	"net/http"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
)

func main() {
	flag.Parse()
	secret := demo.Secret()
	for len(secret) < 64 {
		secret += secret // HS512 needs a 64-byte secret (RFC 7518 §3.2)
	}
	demo.Serve(newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}}))
}

func newApp(cfg authjwt.Config) (http.Handler, error) {
	cfg.Keys.Algorithm = "HS384"                           // the default for new tokens
	cfg.Keys.DecodeAlgorithms = []string{"HS384", "HS512"} // accepted on verification
	cfg.Expiry.Refresh = 24 * time.Hour                    // without "remember me"
	auth, err := authjwt.New(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		access, err := auth.CreateAccessToken(u)
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		opts := []authjwt.TokenOption{authjwt.WithAlgorithm("HS512")}
		if r.URL.Query().Get("remember") == "1" {
			opts = append(opts, authjwt.WithExpiry(30*24*time.Hour))
		}
		refresh, err := auth.CreateRefreshToken(u, opts...)
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"access_token": access, "refresh_token": refresh})
	})
	mux.Handle("POST /refresh", auth.RefreshRequired(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		access, err := auth.CreateAccessToken(authjwt.Subject(r.Context()))
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"access_token": access})
	})))
	mux.Handle("GET /protected", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := authjwt.FromContext(r.Context())
		demo.JSON(w, http.StatusOK, map[string]any{"user": t.Subject(), "alg": t.Algorithm(), "expires_at": t.ExpiresAt().Unix()})
	})))
	// A short-lived token for a link, with an audience so that it is
	// accepted by the download service only (not by our own routes).
	mux.Handle("POST /download-link", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := auth.CreateAccessToken(authjwt.Subject(r.Context()),
			authjwt.WithExpiry(60*time.Second), authjwt.WithAudience("downloads"))
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"url": "/download?token=" + tok})
	})))
	return mux, nil
}
