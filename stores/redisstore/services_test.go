package redisstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const startRedisHint = `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`

// requireService skips the test when a service it needs is unavailable,
// or fails it when AUTHJWTTEST_REQUIRE_SERVICES=1 (as CI sets).
func requireService(t testing.TB, what, how string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s unavailable: %v\nstart it with: %s", what, err, how)
	if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg + "\n(AUTHJWTTEST_REQUIRE_SERVICES=1: services are required)")
	}
	t.Skip(msg)
}

func redisAddr() string {
	if a := os.Getenv("AUTHJWT_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// sharedRedis returns a client of the Redis at redisAddr, or skips.
func sharedRedis(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr(), ContextTimeoutEnabled: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		requireService(t, "Redis at "+redisAddr(), startRedisHint, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// uniquePrefix returns a key prefix no other test run uses.
func uniquePrefix(label string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "authjwt-test:" + label + ":" + hex.EncodeToString(b[:]) + ":"
}

// cleanPrefix deletes every key under prefix when the test ends.
func cleanPrefix(t testing.TB, c redis.UniversalClient, prefix string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		del := func(ctx context.Context, node redis.Cmdable) error {
			iter := node.Scan(ctx, 0, prefix+"*", 500).Iterator()
			for iter.Next(ctx) {
				if err := node.Del(ctx, iter.Val()).Err(); err != nil {
					return err
				}
			}
			return iter.Err()
		}
		var err error
		switch c := c.(type) {
		case *redis.ClusterClient:
			err = c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return del(ctx, n) })
		default:
			err = del(ctx, c)
		}
		if err != nil {
			t.Logf("cleaning %s: %v", prefix, err)
		}
	})
}

// redisServerPath returns redis-server and redis-cli, or skips.
func redisBinaries(t testing.TB) (server, cli string) {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err == nil {
		cli, err = exec.LookPath("redis-cli")
	}
	if err != nil {
		requireService(t, "redis-server/redis-cli binaries", "apt-get install redis-server (they must be on PATH)", err)
	}
	return server, cli
}

// freePort returns a loopback port that is free, and whose cluster bus
// port (port+10000) is free too when bus is set.
func freePort(t testing.TB, bus bool) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !bus {
			l.Close()
			return port
		}
		if port+10000 > 65535 {
			l.Close()
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		l.Close()
		if err != nil {
			continue
		}
		l2.Close()
		return port
	}
	t.Fatal("no free port pair")
	return 0
}

// redisProc is a redis-server the test started.
type redisProc struct {
	cmd  *exec.Cmd
	port int
	out  *bytes.Buffer
}

// startRedisServer runs a private redis-server on port in dir and waits
// until it answers PING. It is killed when the test ends.
func startRedisServer(t testing.TB, dir string, port int, extra ...string) *redisProc {
	t.Helper()
	server, _ := redisBinaries(t)
	args := append([]string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no",
		"--logfile", "",
	}, extra...)
	cmd := exec.Command(server, args...)
	out := new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = out, out
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	p := &redisProc{cmd: cmd, port: port, out: out}
	t.Cleanup(p.kill)
	c := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return p
		}
		if time.Now().After(deadline) {
			p.kill()
			t.Fatalf("redis-server on port %d did not come up: %v\n%s", port, err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *redisProc) addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

func (p *redisProc) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// startCluster starts a three-master Redis Cluster on free loopback ports
// and returns a client of it; everything is torn down when the test ends.
func startCluster(t testing.TB) *redis.ClusterClient {
	t.Helper()
	_, cli := redisBinaries(t)
	dir := t.TempDir()
	var addrs []string
	for i := range 3 {
		port := freePort(t, true)
		nodeDir := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(nodeDir, 0o700); err != nil {
			t.Fatal(err)
		}
		p := startRedisServer(t, nodeDir, port,
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(nodeDir, "nodes.conf"),
			"--cluster-node-timeout", "2000")
		addrs = append(addrs, p.addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Wait until every node sees the whole cluster.
	deadline := time.Now().Add(15 * time.Second)
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		for {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				t.Fatalf("cluster node %s not ok: %v\n%s", a, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.Close()
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	t.Cleanup(func() { cc.Close() })
	for {
		err := cc.ForEachMaster(context.Background(), func(ctx context.Context, n *redis.Client) error {
			return n.Ping(ctx).Err()
		})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster client not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cc
}

// isTimeoutish reports whether err looks like a deadline, cancellation or
// network failure (what a stopped server produces).
func isTimeoutish(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne)
}

// startSentinel starts a master, a replica of it and a Sentinel
// monitoring them as "mymaster", on free loopback ports, and returns a
// failover client that finds the master through the Sentinel; everything
// is torn down when the test ends.
func startSentinel(t testing.TB) *redis.Client {
	t.Helper()
	dir := t.TempDir()
	sub := func(name string) string {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		return d
	}
	master := startRedisServer(t, sub("master"), freePort(t, false))
	startRedisServer(t, sub("replica"), freePort(t, false), "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
	sdir := sub("sentinel")
	conf := filepath.Join(sdir, "sentinel.conf")
	text := fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 1\nsentinel down-after-milliseconds mymaster 1000\n", master.port)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	sport := freePort(t, false)
	// redis-server takes the configuration file first; Sentinel rewrites it.
	server, _ := redisBinaries(t)
	cmd := exec.Command(server, conf, "--sentinel", "--port", strconv.Itoa(sport), "--bind", "127.0.0.1", "--dir", sdir, "--logfile", "")
	out := new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = out, out
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server --sentinel: %v", err)
	}
	sp := &redisProc{cmd: cmd, port: sport, out: out}
	t.Cleanup(sp.kill)
	sc := redis.NewSentinelClient(&redis.Options{Addr: sp.addr(), MaxRetries: -1})
	defer sc.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		m, err := sc.Master(ctx, "mymaster").Result()
		cancel()
		if err == nil && m["num-slaves"] == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Sentinel on port %d not ready: %v %v\n%s", sport, err, m, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            "mymaster",
		SentinelAddrs:         []string{sp.addr()},
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("failover client: %v", err)
	}
	return c
}
