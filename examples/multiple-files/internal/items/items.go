// Package items has the routes guarded by access tokens.
package items

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
)

// Register adds GET /items (any access token) and POST /items (role
// "admin") to mux.
func Register(mux *http.ServeMux, auth *authjwt.Auth) {
	var mu sync.Mutex
	list := []string{"item1", "item2", "item3"}
	mux.Handle("GET /items", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		demo.JSON(w, http.StatusOK, map[string]any{"items": list, "user": authjwt.Subject(r.Context())})
	})))
	mux.Handle("POST /items", auth.RequireRoles("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		list = append(list, "item"+strconv.Itoa(len(list)+1))
		demo.JSON(w, http.StatusCreated, map[string]any{"items": list})
	})))
}
