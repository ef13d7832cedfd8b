package redisstore_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/revoke/storetest"
	"github.com/librenz/authjwt/stores/redisstore"
	"github.com/redis/go-redis/v9"
)

// feedHooks reconnect by killing the connections of the store's client
// on every node (killAll), and trim by emptying the store's stream.
func feedHooks(killAll func(t *testing.T, s *redisstore.Store)) storetest.FeedHooks {
	return storetest.FeedHooks{
		Reconnect: func(t *testing.T, s revoke.Store) { killAll(t, s.(*redisstore.Store)) },
		Trim: func(t *testing.T, s revoke.Store) {
			// Past the Redis server's clock: every entry goes.
			if err := redisstore.TrimFeed(s.(*redisstore.Store), context.Background(), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// killNamed kills the connections named name on node (CLIENT KILL by id:
// other tests share this Redis).
func killNamed(t *testing.T, node *redis.Client, name string) {
	ctx := context.Background()
	list, err := node.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				if err := node.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err == nil {
					killed++
				}
			}
		}
	}
	t.Logf("killed %d connections named %s", killed, name)
}

func TestFeed(t *testing.T) {
	sharedRedis(t) // skips without a Redis
	names := map[*redisstore.Store]string{}
	storetest.RunFeed(t, func(t *testing.T) revoke.Store {
		p := uniquePrefix("feed")
		name := strings.ReplaceAll(strings.TrimSuffix(p, ":"), ":", "-")
		c := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true, ClientName: name})
		t.Cleanup(func() { c.Close() })
		cleanPrefix(t, c, p)
		s := redisstore.New(c, redisstore.Options{Prefix: p, Timeout: 5 * time.Second})
		names[s] = name
		return s
	}, feedHooks(func(t *testing.T, s *redisstore.Store) {
		admin := sharedRedis(t)
		killNamed(t, admin, names[s])
	}))
}

// killEverything kills every other connection on the test's own servers.
func killEverything(t *testing.T, nodes ...*redis.Client) {
	for _, n := range nodes {
		if err := n.Do(context.Background(), "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").Err(); err != nil {
			t.Logf("CLIENT KILL: %v", err)
		}
	}
}

func TestFeedCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	cc := startCluster(t)
	storetest.RunFeed(t, func(t *testing.T) revoke.Store {
		p := uniquePrefix("feedcluster")
		cleanPrefix(t, cc, p)
		return redisstore.New(cc, redisstore.Options{Prefix: p, Timeout: 5 * time.Second})
	}, feedHooks(func(t *testing.T, _ *redisstore.Store) {
		var nodes []*redis.Client
		for _, a := range clusterAddrs(t, cc) {
			n := redis.NewClient(&redis.Options{Addr: a})
			defer n.Close()
			nodes = append(nodes, n)
		}
		killEverything(t, nodes...)
	}))
}

func clusterAddrs(t *testing.T, cc *redis.ClusterClient) []string {
	var addrs []string
	shards, err := cc.ClusterShards(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range shards {
		for _, n := range s.Nodes {
			addrs = append(addrs, net.JoinHostPort(n.IP, strconv.FormatInt(n.Port, 10)))
		}
	}
	return addrs
}

func TestFeedSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis master, replica and Sentinel")
	}
	c := startSentinel(t)
	storetest.RunFeed(t, func(t *testing.T) revoke.Store {
		p := uniquePrefix("feedsentinel")
		cleanPrefix(t, c, p)
		return redisstore.New(c, redisstore.Options{Prefix: p, Timeout: 5 * time.Second})
	}, feedHooks(func(t *testing.T, _ *redisstore.Store) {
		killEverything(t, c)
	}))
}

// TestFeedIdlePastTrim: a reader whose cursor is the last entry trimming
// removed has lost nothing and is not sent to a snapshot; one whose
// cursor is before it is.
func TestFeedIdlePastTrim(t *testing.T) {
	c := sharedRedis(t)
	p := uniquePrefix("feedidle")
	cleanPrefix(t, c, p)
	s := redisstore.New(c, redisstore.Options{Prefix: p, Timeout: 5 * time.Second})
	ctx := context.Background()
	_, _, err := s.Snapshot(ctx, func(revoke.Entry) {})
	if err != nil {
		t.Fatal(err)
	}
	must(t, s.RevokeToken(ctx, "first", time.Now().Add(time.Hour)))
	must(t, s.RevokeToken(ctx, "last", time.Now().Add(time.Hour)))
	ids, err := c.XRange(ctx, p+"{feed}log", "-", "+").Result()
	if err != nil || len(ids) != 2 {
		t.Fatalf("stream: %v %v", ids, err)
	}
	first, last := ids[0].ID, ids[1].ID
	ms, _, _ := strings.Cut(last, "-")
	lastMs, _ := strconv.ParseInt(ms, 10, 64)
	// Trim everything up to and including last.
	if err := redisstore.TrimFeed(s, ctx, time.UnixMilli(lastMs+1)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Changes(ctx, revoke.Cursor(last), 0, func(revoke.Entry) {}); err != nil {
		t.Errorf("Changes from the last entry trimming removed: %v, want nil (nothing lost)", err)
	}
	if _, _, err := s.Changes(ctx, revoke.Cursor(first), 0, func(revoke.Entry) {}); !errors.Is(err, revoke.ErrFeedTrimmed) {
		t.Errorf("Changes from before a removed entry: %v, want ErrFeedTrimmed", err)
	}
}

// logFirst: when a revocation's key cannot be written (here the key holds
// a hash, so the script fails), the call fails and the change is in the
// log anyway: the log never lacks a revocation the keys hold, and
// replicas err on the side of refusing.
func logFirst(t *testing.T, c redis.UniversalClient, p string) {
	s := redisstore.New(c, redisstore.Options{Prefix: p, Timeout: 5 * time.Second})
	ctx := context.Background()
	cur, _, err := s.Snapshot(ctx, func(revoke.Entry) {})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.HSet(ctx, p+"t:blocked", "x", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "blocked", time.Now().Add(time.Hour)); err == nil {
		t.Fatal("RevokeToken over a hash succeeded")
	}
	found := false
	if _, _, err := s.Changes(ctx, cur, 0, func(e revoke.Entry) { found = found || e.ID == "blocked" }); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Error("a revocation whose key failed is missing from the log: a replica could miss one the keys hold")
	}
}

func TestFeedLogFirst(t *testing.T) {
	c := sharedRedis(t)
	p := uniquePrefix("feedfirst")
	cleanPrefix(t, c, p)
	logFirst(t, c, p)
}

func TestFeedLogFirstCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	cc := startCluster(t)
	p := uniquePrefix("feedfirstcluster")
	cleanPrefix(t, cc, p)
	logFirst(t, cc, p)
}
