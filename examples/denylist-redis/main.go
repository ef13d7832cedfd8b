// Command denylist-redis revokes tokens in Redis (module
// github.com/librenz/authjwt/stores/redisstore), so that every instance of
// a service sees a logout at once. The routes are those of
// denylist-memory; only the store differs.
//
//	docker run --rm -p 6379:6379 redis:7
//	go run ./denylist-redis -redis 127.0.0.1:6379
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
	"github.com/librenz/authjwt/stores/redisstore"
	"github.com/redis/go-redis/v9"
)

func main() {
	addr := flag.String("redis", "127.0.0.1:6379", "Redis address")
	flag.Parse()
	// ContextTimeoutEnabled lets the store's deadlines reach the socket.
	client := redis.NewClient(&redis.Options{Addr: *addr, ContextTimeoutEnabled: true})
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		log.Fatalf("redis %s: %v", *addr, err) // a clear error at start, not 503s later
	}
	store := redisstore.New(client, redisstore.Options{Prefix: "authjwt-example:"})
	demo.Serve(newApp(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: demo.Secret()}, Revocation: authjwt.RevocationConfig{Enabled: true, Store: store}}))
}

// newApp serves the revocation routes on an Auth made from cfg, which
// must enable the denylist with a Revocation.Store.
func newApp(cfg authjwt.Config) (http.Handler, error) {
	auth, err := authjwt.New(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	done := func(w http.ResponseWriter, r *http.Request, err error, detail string) {
		if err != nil {
			auth.WriteError(w, r, err) // 503 when Redis cannot be reached
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"detail": detail})
	}
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		pair, err := auth.CreatePair(u)
		if err != nil {
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		demo.JSON(w, http.StatusOK, pair)
	})
	mux.Handle("GET /protected", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		demo.JSON(w, http.StatusOK, map[string]string{"user": authjwt.Subject(r.Context())})
	})))
	mux.Handle("DELETE /access-revoke", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done(w, r, auth.Revoke(r.Context(), authjwt.FromContext(r.Context())), "Access token has been revoked")
	})))
	mux.Handle("DELETE /logout", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done(w, r, auth.RevokeFamily(r.Context(), authjwt.FromContext(r.Context())), "Logged out")
	})))
	mux.Handle("POST /logout-all", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := authjwt.FromContext(r.Context())
		done(w, r, auth.RevokeSubject(r.Context(), t.Issuer(), t.Subject()), "Logged out everywhere")
	})))
	return mux, nil
}
