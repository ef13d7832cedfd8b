// Command chi-example shows authjwt with chi: chi routers take net/http
// middleware, so the library's middleware works as it is, with
// r.With(a.Required) on a route or r.Use in a group; handlers read the
// token with authjwt.FromContext(r.Context()).
//
//	AUTHJWT_SECRET_KEY=$(openssl rand -hex 32) go run .
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"

	"github.com/librenz/authjwt"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func user(w http.ResponseWriter, r *http.Request) {
	if t := authjwt.FromContext(r.Context()); t != nil {
		writeJSON(w, http.StatusOK, map[string]any{"user": t.Subject()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": nil})
}

func newRouter(a *authjwt.Auth) http.Handler {
	r := chi.NewRouter()
	r.Post("/login", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Username, Password string }
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil ||
			body.Username != "alice" || body.Password != "secret" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Bad username or password"})
			return
		}
		pair, err := a.CreatePair(body.Username, authjwt.WithFresh(true),
			authjwt.WithClaims(map[string]any{"roles": []string{"admin"}}))
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]string{"access_token": pair.AccessToken, "refresh_token": pair.RefreshToken})
	})
	// One route at a time...
	r.With(a.Optional).Get("/optional", user)
	r.With(a.RefreshRequired).Post("/refresh", func(w http.ResponseWriter, r *http.Request) {
		tok, err := a.CreateAccessToken(authjwt.Subject(r.Context()))
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"access_token": tok})
	})
	// ...or a whole group.
	r.Group(func(r chi.Router) {
		r.Use(a.Required)
		r.Get("/protected", user)
		r.With(a.RequireRoles("admin")).Get("/admin", user)
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
	log.Fatal(http.ListenAndServe(addr, newRouter(a)))
}
