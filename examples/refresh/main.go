// Command refresh shows the refresh-token flow: POST /login returns an
// access token (15 minutes) and a refresh token (14 days); when the access
// token expires, POST /refresh with the refresh token in the Authorization
// header returns a new access token, without the password.
//
//	go run ./refresh
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
		user, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		// CreatePair gives both tokens one family id, so that revoking the
		// family (logout) revokes both; see the denylist examples.
		pair, err := auth.CreatePair(user)
		if err != nil {
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		demo.JSON(w, http.StatusOK, pair)
	})
	// RefreshRequired accepts refresh tokens only; an access token gets
	// 401 "Only refresh tokens are allowed".
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
	return mux, nil
}
