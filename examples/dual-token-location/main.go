// Command dual-token-location accepts tokens from the Authorization header
// and from cookies at once, for an API used both by a browser front end
// (cookies, with CSRF protection) and by scripts or mobile apps (header).
// A request whose Authorization header uses the Bearer scheme is judged by
// that header alone; any other request by its cookies.
//
//	go run ./dual-token-location -insecure
package main

import (
	"flag"
	"net/http"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
)

func main() {
	insecure := flag.Bool("insecure", false, "plain-HTTP development: cookies without Secure and without the __Host- prefix")
	flag.Parse()
	demo.Serve(newApp(authjwt.Config{
		Keys:          authjwt.KeyConfig{SecretKey: demo.Secret()},
		TokenLocation: []string{authjwt.LocationHeaders, authjwt.LocationCookies},
		Cookies:       authjwt.CookieConfig{Insecure: *insecure},
	}))
}

func newApp(cfg authjwt.Config) (http.Handler, error) {
	auth, err := authjwt.New(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	// Tokens in the body for header clients, and as cookies for browsers.
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		pair, err := auth.CreatePair(u)
		if err == nil {
			err = auth.SetPairCookies(w, pair)
		}
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, pair)
	})
	mux.Handle("POST /refresh", auth.RefreshRequired(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := authjwt.FromContext(r.Context())
		access, err := auth.CreateAccessToken(rt.Subject(), authjwt.WithFamily(rt.Family()))
		if err == nil && rt.Source() == "cookie" {
			err = auth.SetAccessCookies(w, access) // answer in kind
		}
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"access_token": access})
	})))
	mux.Handle("POST /protected", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := authjwt.FromContext(r.Context())
		// Source says where the token came from: "header" or "cookie".
		demo.JSON(w, http.StatusOK, map[string]string{"user": t.Subject(), "source": t.Source()})
	})))
	mux.HandleFunc("DELETE /logout", func(w http.ResponseWriter, r *http.Request) {
		auth.UnsetCookies(w)
		demo.JSON(w, http.StatusOK, map[string]string{"detail": "Logged out"})
	})
	return mux, nil
}
