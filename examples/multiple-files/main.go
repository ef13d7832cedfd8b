// Command multiple-files shows an application split into packages, like
// the seed's multiple_files/: one *authjwt.Auth, built once in main and
// handed to each package that registers routes. No package-level state;
// each package's routes can be tested alone.
//
//	multiple-files/
//	  main.go                  configuration and wiring
//	  internal/app/app.go      builds the Auth and the mux
//	  internal/users/users.go  POST /login, POST /refresh
//	  internal/items/items.go  GET /items (access token), POST /items (admin)
//
//	go run ./multiple-files
package main

import (
	"flag"
	"net/http"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
	"github.com/librenz/authjwt/examples/multiple-files/internal/app"
)

func main() {
	flag.Parse()
	demo.Serve(newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: demo.Secret()}}))
}

func newApp(cfg authjwt.Config) (http.Handler, error) { return app.New(cfg) }
