// Command cookies-csrf keeps tokens in HttpOnly cookies, the recommended
// setup for browser applications: scripts cannot read the tokens, and
// requests that change state need the CSRF header (double submit: the
// script copies the CSRF cookie into X-CSRF-Token; the server compares it
// with the claim signed into the token). The default cookie names carry
// the __Host- prefix, which needs HTTPS (or http://localhost in Chromium
// and Firefox); -insecure drops Secure and the prefix for plain HTTP.
//
//	go run ./cookies-csrf -insecure
//	curl -si -c jar -XPOST localhost:8000/login -d '{"username":"alice","password":"secret"}'
//	curl -s -b jar localhost:8000/protected
//	curl -s -b jar -XPOST localhost:8000/items -H "X-CSRF-Token: $(awk '/csrf_access/{print $7}' jar)"
package main

import (
	"flag"
	"net/http"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
	"github.com/librenz/authjwt/revoke"
)

func main() {
	insecure := flag.Bool("insecure", false, "plain-HTTP development: cookies without Secure and without the __Host- prefix")
	flag.Parse()
	store := revoke.NewMemory()
	defer store.Close()
	demo.Serve(newApp(authjwt.Config{
		Keys:          authjwt.KeyConfig{SecretKey: demo.Secret()},
		TokenLocation: []string{authjwt.LocationCookies},
		Cookies:       authjwt.CookieConfig{Insecure: *insecure},
		Revocation: authjwt.RevocationConfig{
			Enabled: true,
			Store:   store,
		},
	}))
}

func newApp(cfg authjwt.Config) (http.Handler, error) {
	auth, err := authjwt.New(cfg)
	if err != nil {
		return nil, err
	}
	fail := func(w http.ResponseWriter, r *http.Request, err error) { auth.WriteError(w, r, err) }
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		pair, err := auth.CreatePair(u, authjwt.WithFresh(true))
		if err == nil {
			// Four cookies: the two tokens (HttpOnly) and their CSRF values
			// (readable by scripts), each living as long as its token.
			err = auth.SetPairCookies(w, pair)
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"detail": "Logged in"}) // no token in the body
	})
	// The refresh cookie, with the refresh CSRF value in X-CSRF-Token.
	mux.Handle("POST /refresh", auth.RefreshRequired(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := authjwt.FromContext(r.Context())
		access, err := auth.CreateAccessToken(rt.Subject(), authjwt.WithFamily(rt.Family()))
		if err == nil {
			err = auth.SetAccessCookies(w, access)
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"detail": "Token refreshed"})
	})))
	// GET needs no CSRF header (safe method) ...
	mux.Handle("GET /protected", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		demo.JSON(w, http.StatusOK, map[string]string{"user": authjwt.Subject(r.Context())})
	})))
	// ... POST, PUT, PATCH and DELETE do, and cross-origin ones are refused.
	mux.Handle("POST /items", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		demo.JSON(w, http.StatusCreated, map[string]string{"detail": "Item created"})
	})))
	mux.Handle("DELETE /logout", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := auth.RevokeFamily(r.Context(), authjwt.FromContext(r.Context())); err != nil {
			fail(w, r, err)
			return
		}
		auth.UnsetCookies(w)
		demo.JSON(w, http.StatusOK, map[string]string{"detail": "Logged out"})
	})))
	// Renew the access cookie when it has less than 5 minutes left, using
	// the refresh cookie sent with the same request: a browser session
	// lasts as long as its refresh token without calling /refresh.
	return auth.ImplicitRefresh(5 * time.Minute)(mux), nil
}
