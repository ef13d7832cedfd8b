// Command basic is the smallest authjwt application: POST /login returns
// an access token and a refresh token, GET /protected needs the access
// token in the Authorization header.
//
//	go run ./basic
//	curl -s -XPOST localhost:8000/login -d '{"username":"alice","password":"secret"}'
//	curl -s localhost:8000/protected -H "Authorization: Bearer $ACCESS"
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

// newApp builds the application's routes on an Auth made from cfg.
func newApp(cfg authjwt.Config) (http.Handler, error) {
	auth, err := authjwt.New(cfg) // every misconfiguration is reported here
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		user, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		pair, err := auth.CreatePair(user)
		if err != nil {
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": "cannot create tokens"})
			return
		}
		demo.JSON(w, http.StatusOK, pair) // {"access_token": …, "refresh_token": …}
	})
	// Required refuses requests without a valid access token with the
	// library's status and {"detail", "code"} body; the handler only runs
	// for verified requests.
	mux.Handle("GET /protected", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		demo.JSON(w, http.StatusOK, map[string]string{"user": authjwt.Subject(r.Context())})
	})))
	return mux, nil
}
