package releasetest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/releasetest/internal/modproxy"
)

// redisAddr is the Redis the consumer program uses.
func redisAddr() string {
	if a := os.Getenv("AUTHJWT_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// requireRedis skips the test when no Redis answers PING at addr, or
// fails it when AUTHJWTTEST_REQUIRE_SERVICES=1 (as CI sets).
func requireRedis(t *testing.T, addr string) {
	t.Helper()
	err := func() error {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return err
		}
		b := make([]byte, 64)
		n, err := c.Read(b)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(string(b[:n]), "+PONG") {
			return &net.AddrError{Err: "answered " + strings.TrimSpace(string(b[:n])) + " to PING", Addr: addr}
		}
		return nil
	}()
	if err == nil {
		return
	}
	msg := "consumer test: Redis at " + addr + " unavailable: " + err.Error() +
		"\nstart it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no"
	if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg + "\n(AUTHJWTTEST_REQUIRE_SERVICES=1: services are required)")
	}
	t.Skip(msg)
}

// TestConsumer installs the released modules the way a Go developer's
// module meets them. It releases testVersion in a scratch clone with
// scripts/release.sh, serves every tagged module from a file-based module
// proxy made from the tagged commit (internal/modproxy), and then, in a
// new module outside any workspace (GOWORK=off), runs
//
//	go get github.com/librenz/authjwt@v github.com/librenz/authjwt/stores/redisstore@v github.com/librenz/authjwt/adapters/authgin@v
//
// and go mod tidy, builds testdata/consumer and runs it against Redis.
// Our modules come only from that proxy (and skip the checksum database,
// which does not know them); every other module comes from the module
// cache's download directory or the machine's GOPROXY, and is checked
// against the checksum database as usual. A fresh GOMODCACHE keeps the
// test version out of the machine's module cache. It fails if any of our
// modules would not resolve, build or work for a real user.
func TestConsumer(t *testing.T) {
	needClone(t)
	addr := redisAddr()
	requireRedis(t, addr)
	start := time.Now()
	phase := start
	step := func(what string) {
		t.Logf("%s: %s", what, time.Since(phase).Round(100*time.Millisecond))
		phase = time.Now()
	}

	clone := scratchClone(t)
	if out, err := release(t, clone, testVersion); err != nil {
		t.Fatalf("release.sh %s: %v\n%s", testVersion, err, out)
	}
	step("clone and release")

	var mods []modproxy.Module
	for _, tag := range strings.Fields(must(t, clone, cleanEnv(), "git", "tag", "--points-at", "HEAD")) {
		dir := strings.TrimSuffix(strings.TrimSuffix(tag, testVersion), "/")
		m := modproxy.Module{Path: rootPath, Dir: dir}
		if dir != "" {
			m.Path = rootPath + "/" + dir
		}
		mods = append(mods, m)
	}
	if len(mods) < 3 {
		t.Fatalf("the release tagged %d modules: %v", len(mods), mods)
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	if err := modproxy.Write(proxy, clone, testVersion, mods); err != nil {
		t.Fatal(err)
	}
	step("module proxy")

	goEnv := func(name string) string {
		return strings.TrimSpace(must(t, ".", cleanEnv(), "go", "env", name))
	}
	upstream := goEnv("GOPROXY")
	cache := filepath.Join(goEnv("GOMODCACHE"), "cache", "download")
	env := append(cleanEnv("GOFLAGS=", "GOPROXY=", "GONOPROXY=", "GOPRIVATE=", "GONOSUMDB=", "GONOSUMCHECK=", "GOINSECURE=", "GOMODCACHE=", "GOTOOLCHAIN="),
		"GOWORK=off",
		"GOFLAGS=-mod=mod -modcacherw",
		"GOTOOLCHAIN=local",
		"GOPROXY=file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(cache)+","+upstream,
		"GONOSUMDB="+rootPath,
		"GOMODCACHE="+filepath.Join(tmp, "modcache"),
	)
	consumer := filepath.Join(tmp, "consumer")
	if err := os.MkdirAll(consumer, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("testdata", "consumer", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(consumer, "main.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, consumer, env, "go", "mod", "init", "example.com/consumer")
	must(t, consumer, env, "go", "get",
		rootPath+"@"+testVersion,
		rootPath+"/stores/redisstore@"+testVersion,
		rootPath+"/adapters/authgin@"+testVersion)
	must(t, consumer, env, "go", "mod", "tidy")
	step("go get and go mod tidy")

	// The build list holds our modules at testVersion, from the proxy (in
	// the fresh module cache), never replaced.
	list := must(t, consumer, env, "go", "list", "-m", "-f", "{{.Path}} {{.Version}} {{.Replace}} {{.Dir}}", "all")
	for _, want := range []string{rootPath, rootPath + "/stores/redisstore", rootPath + "/adapters/authgin"} {
		found := false
		for _, line := range strings.Split(list, "\n") {
			f := strings.Fields(line)
			if len(f) == 4 && f[0] == want {
				found = true
				if f[1] != testVersion || f[2] != "<nil>" || !strings.HasPrefix(f[3], filepath.Join(tmp, "modcache")) {
					t.Errorf("consumer's build list: %s, want %s %s from the module cache, not replaced", line, want, testVersion)
				}
			}
		}
		if !found {
			t.Errorf("consumer's build list has no %s:\n%s", want, list)
		}
	}

	bin := filepath.Join(tmp, "consumer-bin")
	// -trimpath: without it every compile action would depend on the
	// fresh module cache's paths, and nothing would come from the build
	// cache; with it, only the first run on a machine compiles gin & co.
	must(t, consumer, env, "go", "build", "-trimpath", "-o", bin, ".")
	step("go build")
	out := must(t, consumer, env, bin, addr)
	t.Logf("consumer output:\n%s", out)
	for _, want := range []string{
		"built with " + rootPath + " " + testVersion,
		"built with " + rootPath + "/stores/redisstore " + testVersion,
		"built with " + rootPath + "/adapters/authgin " + testVersion,
		"consumer: ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("consumer output lacks %q", want)
		}
	}
	step("run")
	t.Logf("consumer test total: %s", time.Since(start).Round(100*time.Millisecond))
}

// TestConsumerProgramBuilds vets testdata/consumer in the workspace, in
// every test run (no clone, no Redis), so that a change of the library's
// API that breaks the consumer program shows at once, not only when the
// consumer test runs in CI.
func TestConsumerProgramBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	if out, err := run(t, ".", os.Environ(), "go", "vet", "./testdata/consumer"); err != nil {
		t.Fatalf("testdata/consumer does not build against the workspace:\n%s", out)
	}
}
