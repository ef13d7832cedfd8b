package main

import (
	"context"
	"crypto/rand"
	"os"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/examples/internal/demotest"
	"github.com/librenz/authjwt/stores/redisstore"
	"github.com/redis/go-redis/v9"
)

// redisClient connects to the test Redis, or skips the test when there is
// none (fails it when AUTHJWTTEST_REQUIRE_SERVICES=1, as CI sets).
func redisClient(t *testing.T) *redis.Client {
	addr := os.Getenv("AUTHJWTTEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		msg := "Redis not reachable at " + addr + " (" + err.Error() + "); start one (docker run --rm -p 6379:6379 redis:7) to run this test"
		if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg + "\n(AUTHJWTTEST_REQUIRE_SERVICES=1: services are required)")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDenylistRedis(t *testing.T) {
	client := redisClient(t)
	prefix := "authjwt-example-test:" + rand.Text() + ":" // one namespace per run
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := client.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			client.Del(ctx, keys...)
		}
	})
	// Two instances of the service sharing one Redis.
	newInstance := func() *redisstore.Store { return redisstore.New(client, redisstore.Options{Prefix: prefix}) }
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}, Revocation: authjwt.RevocationConfig{Enabled: true}}
	cfg.Revocation.Store = newInstance()
	one, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Revocation.Store = newInstance()
	two, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}

	a1 := demotest.Call(t, one, "POST", "/login", demotest.Login).Str("access_token")
	demotest.Expect(t, "instance two accepts it", demotest.Call(t, two, "GET", "/protected", nil, demotest.Bearer(a1)), 200, "")
	demotest.Expect(t, "revoke on one", demotest.Call(t, one, "DELETE", "/access-revoke", nil, demotest.Bearer(a1)), 200, "Access token has been revoked")
	demotest.Expect(t, "refused on two", demotest.Call(t, two, "GET", "/protected", nil, demotest.Bearer(a1)), 401, "Token has been revoked")

	a2 := demotest.Call(t, one, "POST", "/login", demotest.Login).Str("access_token")
	demotest.Expect(t, "logout on two", demotest.Call(t, two, "DELETE", "/logout", nil, demotest.Bearer(a2)), 200, "Logged out")
	demotest.Expect(t, "logged out on one", demotest.Call(t, one, "GET", "/protected", nil, demotest.Bearer(a2)), 401, "Token has been revoked")

	a3 := demotest.Call(t, one, "POST", "/login", demotest.Login).Str("access_token")
	demotest.Expect(t, "logout-all", demotest.Call(t, one, "POST", "/logout-all", nil, demotest.Bearer(a3)), 200, "Logged out everywhere")
	demotest.Expect(t, "after logout-all", demotest.Call(t, two, "GET", "/protected", nil, demotest.Bearer(a3)), 401, "Token has been revoked")

	// Redis down: fail closed.
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, MaxRetries: -1})
	defer dead.Close()
	cfg.Revocation.Store = redisstore.New(dead, redisstore.Options{Prefix: prefix})
	down, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	demotest.Expect(t, "redis down", demotest.Call(t, down, "GET", "/protected", nil, demotest.Bearer(a3)), 503, "Revocation store unavailable")
}
