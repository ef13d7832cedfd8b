// Package app wires the application: one Auth, every package's routes.
package app

import (
	"net/http"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/multiple-files/internal/items"
	"github.com/librenz/authjwt/examples/multiple-files/internal/users"
)

// New builds the Auth from cfg and returns the application's handler.
func New(cfg authjwt.Config) (http.Handler, error) {
	auth, err := authjwt.New(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	users.Register(mux, auth)
	items.Register(mux, auth)
	return mux, nil
}
