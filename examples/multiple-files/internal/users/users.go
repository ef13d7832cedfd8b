// Package users has the routes that issue tokens.
package users

import (
	"net/http"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
)

// Roles are the users' roles, put in their tokens at login.
var Roles = map[string][]string{"alice": {"admin"}, "bob": {}}

// Register adds POST /login and POST /refresh to mux.
func Register(mux *http.ServeMux, auth *authjwt.Auth) {
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		pair, err := auth.CreatePair(u, authjwt.WithFresh(true), authjwt.WithClaims(map[string]any{"roles": Roles[u]}))
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, pair)
	})
	mux.Handle("POST /refresh", auth.RefreshRequired(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := authjwt.FromContext(r.Context())
		// Roles are read again, so a change applies at the next refresh.
		access, err := auth.CreateAccessToken(rt.Subject(), authjwt.WithFamily(rt.Family()),
			authjwt.WithClaims(map[string]any{"roles": Roles[rt.Subject()]}))
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"access_token": access})
	})))
}
