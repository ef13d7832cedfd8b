// Command example is a huma v2 service guarded by authjwt, with its
// OpenAPI document at /openapi.json and docs at /docs, whose "Authorize"
// button takes the access token from POST /login.
//
//	AUTHJWT_SECRET_KEY=$(openssl rand -hex 32) go run ./example
package main

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/adapters/authhuma"
)

type loginIn struct {
	Body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
}

type tokensOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token,omitempty"`
	}
}

type userOut struct {
	Body struct {
		User *string `json:"user"`
	}
}

func userOf(ctx context.Context) (*userOut, error) {
	out := &userOut{}
	if t := authjwt.FromContext(ctx); t != nil {
		s := t.Subject()
		out.Body.User = &s
	}
	return out, nil
}

func newAPI(a *authjwt.Auth) http.Handler {
	mux := http.NewServeMux()
	api := humago.New(mux, huma.DefaultConfig("authjwt huma example", "1.0.0"))
	g := authhuma.New(api, a)

	huma.Post(api, "/login", func(ctx context.Context, in *loginIn) (*tokensOut, error) {
		if in.Body.Username != "alice" || in.Body.Password != "secret" {
			return nil, huma.Error401Unauthorized("Bad username or password")
		}
		pair, err := a.CreatePair(in.Body.Username, authjwt.WithFresh(true),
			authjwt.WithClaims(map[string]any{"roles": []string{"admin"}}))
		if err != nil {
			return nil, err
		}
		out := &tokensOut{CacheControl: "no-store"}
		out.Body.AccessToken, out.Body.RefreshToken = pair.AccessToken, pair.RefreshToken
		return out, nil
	})
	huma.Get(api, "/protected", func(ctx context.Context, _ *struct{}) (*userOut, error) {
		return userOf(ctx)
	}, g.Required())
	huma.Get(api, "/optional", func(ctx context.Context, _ *struct{}) (*userOut, error) {
		return userOf(ctx)
	}, g.Optional())
	huma.Post(api, "/refresh", func(ctx context.Context, _ *struct{}) (*tokensOut, error) {
		tok, err := a.CreateAccessToken(authjwt.Subject(ctx))
		if err != nil {
			return nil, err
		}
		out := &tokensOut{CacheControl: "no-store"}
		out.Body.AccessToken = tok
		return out, nil
	}, g.RefreshRequired())
	huma.Get(api, "/admin", func(ctx context.Context, _ *struct{}) (*userOut, error) {
		return userOf(ctx)
	}, g.FreshRequired(), g.RequireRoles("admin"))
	return mux
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
	log.Fatal(http.ListenAndServe(addr, newAPI(a)))
}
