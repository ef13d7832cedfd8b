// Command consumer is the consumer test's program: a module outside the
// repository that requires the released core, redisstore and authgin
// modules as any user's module would, and uses them together. It issues
// an access token and verifies it, serves one gin request with it, revokes
// it in the Redis given as the first argument, and checks that the
// revocation is in Redis and that both Verify and the gin route refuse the
// token. It prints the module versions it was built with and "consumer: ok".
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/adapters/authgin"
	"github.com/librenz/authjwt/stores/redisstore"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	fmt.Println("consumer: ok")
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: consumer REDIS_ADDR")
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if strings.HasPrefix(m.Path, "github.com/librenz/authjwt") {
				fmt.Printf("consumer: built with %s %s\n", m.Path, m.Version)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	rdb := redis.NewClient(&redis.Options{Addr: os.Args[1]})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis at %s: %w", os.Args[1], err)
	}
	prefix := "authjwt-consumer-" + random(8) + ":"
	store := redisstore.New(rdb, redisstore.Options{Prefix: prefix})

	// The settings that are text come from AUTHJWT_* variables; the store
	// is set in code.
	cfg, err := authjwt.ConfigFromEnv([]string{
		"AUTHJWT_SECRET_KEY=" + random(32),
		"AUTHJWT_DENYLIST_ENABLED=true",
	})
	if err != nil {
		return err
	}
	cfg.Revocation.Store = store
	a, err := authjwt.New(cfg)
	if err != nil {
		return err
	}
	defer a.Close()

	token, err := a.CreateAccessToken("alice")
	if err != nil {
		return err
	}
	t, err := a.Verify(ctx, token, authjwt.Requirement{})
	if err != nil {
		return fmt.Errorf("verifying a fresh token: %w", err)
	}
	if t.Subject() != "alice" {
		return fmt.Errorf("verified subject %q, want alice", t.Subject())
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/me", authgin.Required(a), func(c *gin.Context) {
		c.String(http.StatusOK, "hello "+authgin.Subject(c))
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	get := func() (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/me", nil)
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, string(b), err
	}
	status, body, err := get()
	if err != nil {
		return err
	}
	if status != http.StatusOK || body != "hello alice" {
		return fmt.Errorf("GET /me with the token: %d %q, want 200 \"hello alice\"", status, body)
	}
	fmt.Println("consumer: gin route served alice")

	if err := a.Revoke(ctx, t); err != nil {
		return fmt.Errorf("revoking: %w", err)
	}
	n, err := rdb.Exists(ctx, prefix+"t:"+t.JTI()).Result()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("after Revoke, Redis has no key %st:%s", prefix, t.JTI())
	}
	defer rdb.Del(context.Background(), prefix+"t:"+t.JTI())
	if _, err := a.Verify(ctx, token, authjwt.Requirement{}); err == nil {
		return fmt.Errorf("a revoked token verified")
	} else {
		fmt.Printf("consumer: revoked token refused: %v\n", err)
	}
	status, body, err = get()
	if err != nil {
		return err
	}
	if status != http.StatusUnauthorized {
		return fmt.Errorf("GET /me with the revoked token: %d %q, want 401", status, body)
	}
	fmt.Println("consumer: gin route refused the revoked token")
	return nil
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
