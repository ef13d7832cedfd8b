// Command optional shows a route open to everyone that greets logged-in
// users by name: Optional lets requests without a token through (the
// handler sees no token) but still refuses an invalid or expired one, so a
// client never mistakes a broken session for an anonymous one.
//
//	go run ./optional
package main

import (
	"flag"
	"net/http"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
)

func main() {
	flag.Parse()
	demo.Serve(newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: demo.Secret()}}))
}

func newApp(cfg authjwt.Config) (http.Handler, error) {
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
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"access_token": access})
	})
	mux.Handle("GET /partially-protected", auth.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := authjwt.FromContext(r.Context()); t != nil {
			demo.JSON(w, http.StatusOK, map[string]any{"user": t.Subject()})
			return
		}
		demo.JSON(w, http.StatusOK, map[string]any{"user": nil}) // anonymous
	})))
	return mux, nil
}
