package redisstore_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/revoke/storetest"
	"github.com/librenz/authjwt/stores/redisstore"
	"github.com/redis/go-redis/v9"
)

func TestConformance(t *testing.T) {
	c := sharedRedis(t)
	storetest.Run(t, func(t *testing.T) revoke.Store {
		p := uniquePrefix("conf")
		cleanPrefix(t, c, p)
		return redisstore.New(c, redisstore.Options{Prefix: p, Timeout: 5 * time.Second})
	})
}

// TestVerifier: revoked tokens stay refused through the verifier's whole
// acceptance window, with real time (issue 15, item 1).
func TestVerifier(t *testing.T) {
	c := sharedRedis(t)
	storetest.RunVerifier(t, func(t *testing.T) revoke.Store {
		p := uniquePrefix("verifier")
		cleanPrefix(t, c, p)
		return redisstore.New(c, redisstore.Options{Prefix: p})
	})
}

// TestTTLFollowsTheApplicationClock: a Redis whose clock runs ahead of the
// application's (simulated by an application clock 10s behind) must not
// forget a revocation before its expiry on the application's clock. With
// PEXPIREAT, the key was born expired.
func TestTTLFollowsTheApplicationClock(t *testing.T) {
	c := sharedRedis(t)
	p := uniquePrefix("skew")
	cleanPrefix(t, c, p)
	behind := func() time.Time { return time.Now().Add(-10 * time.Second) }
	s := redisstore.New(c, redisstore.Options{Prefix: p, Now: behind})
	ctx := context.Background()
	exp := behind().Add(5 * time.Second)
	must(t, s.RevokeToken(ctx, "j", exp))
	must(t, s.RevokeFamily(ctx, "f", exp))
	must(t, s.RevokeSubject(ctx, "iss", "sub", behind(), exp))
	for _, q := range []revoke.Query{{JTI: "j"}, {Family: "f"}, {Issuer: "iss", Subject: "sub", IssuedAt: behind().Add(-time.Minute)}} {
		got, err := s.IsRevoked(ctx, q)
		must(t, err)
		if !got {
			t.Errorf("IsRevoked(%+v) = false 5s before the entry's expiry on the application's clock", q)
		}
	}
}

// TestConformanceNoContextTimeouts runs the suite with a client that does
// not apply context deadlines itself, exercising the store's fallback.
func TestConformanceNoContextTimeouts(t *testing.T) {
	sharedRedis(t)
	c := redis.NewClient(&redis.Options{Addr: redisAddr()})
	t.Cleanup(func() { c.Close() })
	storetest.Run(t, func(t *testing.T) revoke.Store {
		p := uniquePrefix("conf-noctx")
		cleanPrefix(t, c, p)
		return redisstore.New(c, redisstore.Options{Prefix: p})
	})
}

func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	cc := startCluster(t)
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) revoke.Store {
			p := uniquePrefix("cluster")
			cleanPrefix(t, cc, p)
			return redisstore.New(cc, redisstore.Options{Prefix: p, Timeout: 5 * time.Second})
		})
	})
	t.Run("KeysSpreadOverShards", func(t *testing.T) {
		p := uniquePrefix("spread")
		cleanPrefix(t, cc, p)
		s := redisstore.New(cc, redisstore.Options{Prefix: p})
		ctx := context.Background()
		for i := range 60 {
			if err := s.RevokeToken(ctx, "jti-"+strconv.Itoa(i), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		masters := 0
		err := cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			keys, err := n.Keys(ctx, p+"*").Result()
			if len(keys) > 0 {
				mu.Lock()
				masters++
				mu.Unlock()
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if masters < 2 {
			t.Fatalf("60 keys landed on %d shard(s), want them spread", masters)
		}
	})
}

// TestKeyLayout checks the documented layout: keys, values and TTLs.
func TestKeyLayout(t *testing.T) {
	c := sharedRedis(t)
	p := uniquePrefix("layout")
	cleanPrefix(t, c, p)
	s := redisstore.New(c, redisstore.Options{Prefix: p})
	ctx := context.Background()
	exp := time.Now().Add(time.Hour).Truncate(time.Millisecond)

	must(t, s.RevokeToken(ctx, "j1", exp))
	must(t, s.RevokeFamily(ctx, "f1", revoke.Forever))
	must(t, s.RevokeSubject(ctx, "iss", "sub", time.Unix(1000, 900e6), exp))
	must(t, s.RevokeSubject(ctx, "iss", "sub", time.Unix(500, 0), exp.Add(-time.Minute)))
	first, at, err := s.Consume(ctx, "r1", exp)
	must(t, err)
	if !first {
		t.Fatal("Consume: not first")
	}

	get := func(k string) string {
		t.Helper()
		v, err := c.Get(ctx, k).Result()
		if err != nil {
			t.Fatalf("GET %s: %v", k, err)
		}
		return v
	}
	expireAt := func(k string) time.Duration {
		t.Helper()
		d, err := c.PExpireTime(ctx, k).Result()
		if err != nil {
			t.Fatalf("PEXPIRETIME %s: %v", k, err)
		}
		return d
	}
	ms := strconv.FormatInt(exp.UnixMilli(), 10)
	if v := get(p + "t:j1"); v != ms {
		t.Errorf("token value %q, want %q", v, ms)
	}
	// Revocations get a time to live relative to the application's clock:
	// they end no earlier than the expiry (the call's latency may add a
	// little), whatever Redis's own clock says.
	if d := expireAt(p + "t:j1"); d < time.Duration(exp.UnixMilli())*time.Millisecond || d > time.Duration(exp.UnixMilli())*time.Millisecond+time.Second {
		t.Errorf("token PEXPIRETIME %v, want %v or at most a second later", d, exp.UnixMilli())
	}
	if v := get(p + "f:f1"); v != "0" {
		t.Errorf("family value %q, want 0", v)
	}
	if d := expireAt(p + "f:f1"); d != -1 {
		t.Errorf("Forever family has expiry %v", d)
	}
	if v := get(p + "s:3:isssub"); v != "m1000900:"+ms {
		t.Errorf("subject value %q, want %q (cutoff kept, in ms, expiry kept)", v, "m1000900:"+ms)
	}
	if v := get(p + "u:r1"); v != strconv.FormatInt(at.UnixMilli(), 10) {
		t.Errorf("consume value %q, want %d", v, at.UnixMilli())
	}
	if d := expireAt(p + "u:r1"); d != time.Duration(exp.UnixMilli())*time.Millisecond {
		t.Errorf("consume PEXPIRETIME %v", d)
	}
	// Forever after a finite expiry removes the TTL.
	must(t, s.RevokeToken(ctx, "j1", revoke.Forever))
	if d := expireAt(p + "t:j1"); d != -1 {
		t.Errorf("token revoked Forever still expires at %v", d)
	}
	if s.Prefix() != p {
		t.Errorf("Prefix() = %q", s.Prefix())
	}
	if redisstore.New(c, redisstore.Options{}).Prefix() != redisstore.DefaultPrefix {
		t.Error("default prefix not applied")
	}
}

// TestSubjectEntryOfAnEarlierVersion: subject entries written before
// cutoffs had milliseconds ("<cutoff s>:<expiry ms>") keep refusing their
// whole second and are rewritten in the new form, never lowered.
func TestSubjectEntryOfAnEarlierVersion(t *testing.T) {
	c := sharedRedis(t)
	p := uniquePrefix("oldsub")
	cleanPrefix(t, c, p)
	s := redisstore.New(c, redisstore.Options{Prefix: p})
	ctx := context.Background()
	exp := time.Now().Add(time.Hour).UnixMilli()
	key := p + "s:3:isssub"
	must(t, c.Set(ctx, key, "1000:"+strconv.FormatInt(exp, 10), time.Hour).Err())
	q := func(iat time.Time, want bool) {
		t.Helper()
		got, err := s.IsRevoked(ctx, revoke.Query{Issuer: "iss", Subject: "sub", IssuedAt: iat})
		must(t, err)
		if got != want {
			t.Errorf("iat %v: revoked = %v, want %v", iat.UnixMilli(), got, want)
		}
	}
	q(time.Unix(1000, 0), true)
	q(time.Unix(1000, 999e6), true) // the whole second, as before
	q(time.Unix(1001, 0), false)
	// A lower cutoff (in the old entry's second) does not lower it.
	must(t, s.RevokeSubject(ctx, "iss", "sub", time.Unix(1000, 500e6), time.UnixMilli(exp)))
	if v, _ := c.Get(ctx, key).Result(); v != "m1000999:"+strconv.FormatInt(exp, 10) {
		t.Errorf("after a lower cutoff: %q, want the old cutoff in ms", v)
	}
	q(time.Unix(1000, 999e6), true)
	must(t, s.RevokeSubject(ctx, "iss", "sub", time.Unix(1002, 1e6), time.UnixMilli(exp)))
	q(time.Unix(1002, 1e6), true)
	q(time.Unix(1002, 2e6), false)
}

// TestFault stops a private server mid-run: calls must fail within the
// configured timeout (never report "not revoked"), and the same store and
// client must recover once a server is back on the port.
func TestFault(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops redis-server")
	}
	dir := t.TempDir()
	port := freePort(t, false)
	srv := startRedisServer(t, dir, port)
	const timeout = 300 * time.Millisecond
	const slack = 400 * time.Millisecond

	aware := redis.NewClient(&redis.Options{Addr: srv.addr(), ContextTimeoutEnabled: true})
	plain := redis.NewClient(&redis.Options{Addr: srv.addr()}) // store enforces the timeout
	t.Cleanup(func() { aware.Close(); plain.Close() })
	stores := map[string]*redisstore.Store{
		"ContextTimeoutEnabled": redisstore.New(aware, redisstore.Options{Timeout: timeout}),
		"PlainClient":           redisstore.New(plain, redisstore.Options{Timeout: timeout}),
	}
	ctx := context.Background()
	q := revoke.Query{JTI: "jti-1", Issuer: "iss", Subject: "sub", IssuedAt: time.Now()}
	for _, s := range stores {
		must(t, s.RevokeToken(ctx, "jti-1", time.Now().Add(time.Hour)))
		if ok, err := s.IsRevoked(ctx, q); !ok || err != nil {
			t.Fatalf("before fault: %v, %v", ok, err)
		}
	}

	expectFailFast := func(phase string) {
		t.Helper()
		for name, s := range stores {
			start := time.Now()
			ok, err := s.IsRevoked(ctx, q)
			took := time.Since(start)
			if err == nil {
				t.Fatalf("%s/%s: IsRevoked = %v, nil error", phase, name, ok)
			}
			if !errors.Is(err, revoke.ErrUnavailable) {
				t.Errorf("%s/%s: error does not wrap ErrUnavailable: %v", phase, name, err)
			}
			if took > timeout+slack {
				t.Errorf("%s/%s: failed after %v, want within %v", phase, name, took, timeout)
			}
			t.Logf("%s/%s: failed in %v: %v (timeout-like: %v)", phase, name, took.Round(time.Millisecond), err, isTimeoutish(err))
		}
	}
	expectRecovery := func(phase string, want bool) {
		t.Helper()
		for name, s := range stores {
			deadline := time.Now().Add(5 * time.Second)
			for {
				ok, err := s.IsRevoked(ctx, q)
				if err == nil {
					if ok != want {
						t.Fatalf("%s/%s: IsRevoked = %v, want %v", phase, name, ok, want)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s/%s: no recovery: %v", phase, name, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}

	// A hung server (SIGSTOP): the connection stays open, replies never come.
	must(t, srv.cmd.Process.Signal(syscall.SIGSTOP))
	expectFailFast("stopped")
	must(t, srv.cmd.Process.Signal(syscall.SIGCONT))
	expectRecovery("continued", true)

	// A dead server: connections refused.
	srv.kill()
	expectFailFast("killed")

	// Restarted on the same port (empty: no persistence), same clients.
	startRedisServer(t, dir, port)
	expectRecovery("restarted", false)
	for _, s := range stores {
		must(t, s.RevokeToken(ctx, "jti-1", time.Now().Add(time.Hour)))
	}
	expectRecovery("revoked again", true)
}

func TestEmptyIDs(t *testing.T) {
	s := redisstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), redisstore.Options{})
	ctx := context.Background()
	if err := s.RevokeToken(ctx, "", revoke.Forever); err == nil {
		t.Error("RevokeToken(\"\") succeeded")
	}
	if err := s.RevokeFamily(ctx, "", revoke.Forever); err == nil {
		t.Error("RevokeFamily(\"\") succeeded")
	}
	if _, _, err := s.Consume(ctx, "", revoke.Forever); err == nil {
		t.Error("Consume(\"\") succeeded")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func BenchmarkIsRevoked(b *testing.B) {
	c := sharedRedis(b)
	p := uniquePrefix("bench")
	cleanPrefix(b, c, p)
	s := redisstore.New(c, redisstore.Options{Prefix: p, Timeout: time.Second})
	ctx := context.Background()
	now := time.Now()
	must(b, s.RevokeToken(ctx, "hit", now.Add(time.Hour)))
	must(b, s.RevokeSubject(ctx, "iss", "sub", now.Add(-time.Hour), now.Add(time.Hour)))
	for _, bc := range []struct {
		name string
		q    revoke.Query
	}{
		{"Miss", revoke.Query{JTI: "miss", Family: "fam", Issuer: "iss", Subject: "sub", IssuedAt: now}},
		{"HitJTI", revoke.Query{JTI: "hit", Family: "fam", Issuer: "iss", Subject: "sub", IssuedAt: now}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.IsRevoked(ctx, bc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"Parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.IsRevoked(ctx, bc.q); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestSentinel runs the suite through a failover client that finds the
// master through a Sentinel of the test's own.
func TestSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis master, replica and Sentinel")
	}
	c := startSentinel(t)
	storetest.Run(t, func(t *testing.T) revoke.Store {
		p := uniquePrefix("sentinel")
		cleanPrefix(t, c, p)
		return redisstore.New(c, redisstore.Options{Prefix: p, Timeout: 5 * time.Second})
	})
}
