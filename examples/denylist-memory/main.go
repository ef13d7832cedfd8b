// Command denylist-memory revokes tokens with the in-memory store
// (revoke.NewMemory): logging out revokes the access token and the refresh
// token issued with it, and "log out everywhere" revokes every token of
// the user issued until now. The memory store suits a single process; see
// denylist-redis for several.
//
//	go run ./denylist-memory
package main

import (
	"flag"
	"net/http"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
	"github.com/librenz/authjwt/revoke"
)

func main() {
	flag.Parse()
	store := revoke.NewMemory() // sweeps expired entries in the background
	defer store.Close()
	demo.Serve(newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: demo.Secret()}, Revocation: authjwt.RevocationConfig{Enabled: true, Store: store}}))
}

// newApp serves the revocation routes of the reference server on an Auth
// made from cfg, which must enable the denylist with a Revocation.Store.
func newApp(cfg authjwt.Config) (http.Handler, error) {
	auth, err := authjwt.New(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	done := func(w http.ResponseWriter, r *http.Request, err error, detail string) {
		if err != nil {
			// The store could not be reached: 503, never a silent 200.
			auth.WriteError(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"detail": detail})
	}
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		pair, err := auth.CreatePair(u, authjwt.WithFresh(true))
		if err != nil {
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		demo.JSON(w, http.StatusOK, pair)
	})
	mux.Handle("POST /refresh", auth.RefreshRequired(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := authjwt.FromContext(r.Context())
		access, err := auth.CreateAccessToken(rt.Subject(), authjwt.WithFamily(rt.Family()))
		if err != nil {
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"access_token": access})
	})))
	mux.Handle("GET /protected", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		demo.JSON(w, http.StatusOK, map[string]string{"user": authjwt.Subject(r.Context())})
	})))
	// One token, by its jti, until it expires.
	mux.Handle("DELETE /access-revoke", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done(w, r, auth.Revoke(r.Context(), authjwt.FromContext(r.Context())), "Access token has been revoked")
	})))
	mux.Handle("DELETE /refresh-revoke", auth.RefreshRequired(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done(w, r, auth.Revoke(r.Context(), authjwt.FromContext(r.Context())), "Refresh token has been revoked")
	})))
	// The family: the access token, the refresh token issued with it, and
	// the access tokens refreshed from it.
	mux.Handle("DELETE /logout", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done(w, r, auth.RevokeFamily(r.Context(), authjwt.FromContext(r.Context())), "Logged out")
	})))
	// Every token of the subject issued until now, on every device.
	mux.Handle("POST /logout-all", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := authjwt.FromContext(r.Context())
		done(w, r, auth.RevokeSubject(r.Context(), t.Issuer(), t.Subject()), "Logged out everywhere")
	})))
	return mux, nil
}
