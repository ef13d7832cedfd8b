// Command freshness shows fresh tokens: an access token obtained with the
// password is fresh, one obtained from a refresh token is not, and
// sensitive routes (changing the password, deleting the account) accept
// fresh tokens only. POST /fresh-login re-checks the password and returns
// a fresh access token alone, without a new refresh token.
//
//	go run ./freshness
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
	fail := func(w http.ResponseWriter, err error) {
		demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
	}
	user := func(w http.ResponseWriter, r *http.Request) {
		demo.JSON(w, http.StatusOK, map[string]string{"user": authjwt.Subject(r.Context())})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		// The password was just checked: the access token is fresh
		// (WithFresh applies to the access token only).
		pair, err := auth.CreatePair(u, authjwt.WithFresh(true))
		if err != nil {
			fail(w, err)
			return
		}
		demo.JSON(w, http.StatusOK, pair)
	})
	mux.Handle("POST /refresh", auth.RefreshRequired(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := authjwt.FromContext(r.Context())
		// No password here: the new access token is not fresh.
		access, err := auth.CreateAccessToken(rt.Subject(), authjwt.WithFamily(rt.Family()))
		if err != nil {
			fail(w, err)
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"access_token": access})
	})))
	mux.HandleFunc("POST /fresh-login", func(w http.ResponseWriter, r *http.Request) {
		u, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		access, err := auth.CreateAccessToken(u, authjwt.WithFresh(true))
		if err != nil {
			fail(w, err)
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"access_token": access})
	})
	mux.Handle("GET /protected", auth.Required(http.HandlerFunc(user)))
	// FreshRequired: a non-fresh token gets 401 "Fresh token required",
	// with WWW-Authenticate error="insufficient_user_authentication"
	// (RFC 9470), so a client knows to ask for the password again.
	mux.Handle("GET /protected-fresh", auth.FreshRequired(http.HandlerFunc(user)))
	return mux, nil
}
