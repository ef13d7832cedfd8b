// Command additional-claims puts application data in tokens (the seed's
// user_claims) and reads it back typed: WithClaims at creation (a struct
// with json tags, or a map), ClaimsAs[T] in the handler. A "roles" claim
// (a list of strings) is checked by RequireRoles; RequireClaims requires
// claims to be present.
//
//	go run ./additional-claims
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

// Claims are the application's claims. Registered and library claims
// (sub, exp, iat, jti, type, fresh, csrf, aid, …) cannot be set this way:
// WithClaims refuses to overwrite them.
type Claims struct {
	// Roles are the user's roles, checked by RequireRoles.
	Roles []string `json:"roles"`
	// Org is the organisation the user belongs to.
	Org string `json:"org"`
	// Partner is only set for partner accounts.
	Partner string `json:"partner,omitempty"`
}

// claimsOf is where a real application would read the user's record.
var claimsOf = map[string]Claims{
	"alice": {Roles: []string{"admin"}, Org: "acme", Partner: "globex"},
	"bob":   {Roles: []string{}, Org: "acme"},
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
		access, err := auth.CreateAccessToken(u, authjwt.WithClaims(claimsOf[u]))
		if err != nil {
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"access_token": access})
	})
	// Every claim, as the seed's get_raw_jwt().
	mux.Handle("GET /claims", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all, err := authjwt.FromContext(r.Context()).Claims()
		if err != nil {
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		demo.JSON(w, http.StatusOK, all)
	})))
	// Typed: ClaimsAs decodes the verified token's payload into Claims.
	mux.Handle("GET /org", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := authjwt.ClaimsAs[Claims](r.Context())
		if err != nil {
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"org": c.Org})
	})))
	// 403 "Not enough permissions" unless "roles" holds "admin".
	mux.Handle("GET /admin", auth.RequireRoles("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		demo.JSON(w, http.StatusOK, map[string]bool{"ok": true})
	})))
	// 403 "Missing claim: partner" unless the token has that claim.
	mux.Handle("POST /partner", auth.RequireClaims("partner")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := authjwt.FromContext(r.Context()).Claim("partner")
		demo.JSON(w, http.StatusOK, map[string]any{"partner": v})
	})))
	return mux, nil
}
