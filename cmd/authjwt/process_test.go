package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Services of the process tests. Start them locally with:
//
//	redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
//	PostgreSQL on 127.0.0.1:5432 with a database "test" that user postgres can use without a password
//	MariaDB or MySQL on 127.0.0.1:3306 with a database "test" that root can use without a password
const (
	testRedisAddr   = "127.0.0.1:6379"
	testPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	testMySQLURL    = "mysql://root@127.0.0.1:3306/test"
)

// requireService skips the test when a service it needs is unavailable,
// saying how to run it, or fails it when AUTHJWTTEST_REQUIRE_SERVICES=1
// (as CI sets).
func requireService(t testing.TB, what, how string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s unavailable: %v\nto run this test, start it: %s", what, err, how)
	if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg + "\n(AUTHJWTTEST_REQUIRE_SERVICES=1: services are required)")
	}
	t.Skip(msg + "\n(set AUTHJWTTEST_REQUIRE_SERVICES=1 to make this a failure)")
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sharedRedisURL returns an AUTHJWT_DENYLIST_URL on the shared Redis with
// a key prefix of this test's own, whose keys are deleted when the test
// ends; it skips when Redis is down.
func sharedRedisURL(t *testing.T) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: testRedisAddr, ContextTimeoutEnabled: true, MaxRetries: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		requireService(t, "Redis at "+testRedisAddr, `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`, err)
	}
	prefix := "authjwt-cmdtest:" + randomHex(6) + ":"
	t.Cleanup(func() {
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				t.Errorf("cleaning Redis keys %s*: %v", prefix, err)
				return
			}
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleaning Redis keys %s*: %v", prefix, err)
		}
	})
	return "redis://" + testRedisAddr + "/0?prefix=" + prefix
}

// sharedPostgresURL returns an AUTHJWT_DENYLIST_URL on the shared
// PostgreSQL with a table prefix of this test's own, whose tables are
// dropped when the test ends; it skips when PostgreSQL is down.
func sharedPostgresURL(t *testing.T) string {
	t.Helper()
	db, err := sql.Open("pgx", testPostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		requireService(t, "PostgreSQL at "+testPostgresURL, "PostgreSQL on 127.0.0.1:5432 with database test, user postgres", err)
	}
	prefix := "authjwt_cmdtest_" + randomHex(6) + "_"
	t.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, tbl := range []string{"tokens", "families", "subjects", "consumed", "changes", "feed", "sessions"} {
			if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+prefix+tbl); err != nil {
				t.Errorf("dropping %s%s: %v", prefix, tbl, err)
			}
		}
	})
	return testPostgresURL + "&table_prefix=" + prefix
}

// sharedMySQLURL returns an AUTHJWT_DENYLIST_URL on the shared MariaDB
// with a table prefix of this test's own, whose tables are dropped when the
// test ends; it skips when MariaDB is down.
func sharedMySQLURL(t *testing.T) string {
	t.Helper()
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		requireService(t, "MariaDB at 127.0.0.1:3306", "MariaDB on 127.0.0.1:3306 with database test, user root without password", err)
	}
	prefix := "authjwt_cmdtest_" + randomHex(6) + "_"
	t.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, tbl := range []string{"tokens", "families", "subjects", "consumed", "changes", "feed", "sessions"} {
			if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+prefix+tbl); err != nil {
				t.Errorf("dropping %s%s: %v", prefix, tbl, err)
			}
		}
	})
	return testMySQLURL + "?table_prefix=" + prefix
}

// serverBinary returns the authjwt command for process tests: the test
// binary itself, which testscript.Main (see TestMain) copies into a
// directory on $PATH as "authjwt" and runs as the command's main. It is
// built once, by go test, with the test's flags (-race included), so a
// data race in the server fails the process tests too.
func serverBinary(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the process tests use SIGTERM and SIGSTOP")
	}
	bin, err := exec.LookPath("authjwt")
	if err != nil {
		t.Fatalf("authjwt is not on $PATH (TestMain should have put it there): %v", err)
	}
	return bin
}

// serveProc is a running `authjwt serve` process.
type serveProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	stdout lockedBuffer
	stderr lockedBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, once done
	client *http.Client
}

// startServe runs `authjwt serve` on a free loopback port with the test's
// environment minus AUTHJWT_* variables, plus env, and waits until it
// listens. The process is killed when the test ends if still running.
func startServe(t *testing.T, env ...string) *serveProc {
	t.Helper()
	return startServeArgs(t, nil, env...)
}

// startServeArgs is startServe with more flags of serve.
func startServeArgs(t *testing.T, flags []string, env ...string) *serveProc {
	t.Helper()
	p := &serveProc{t: t, done: make(chan struct{}), client: &http.Client{Timeout: 10 * time.Second}}
	p.cmd = exec.Command(serverBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, flags...)...)
	p.cmd.Env = append(cleanEnv(), env...)
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			p.stdout.Write([]byte(line + "\n"))
			if rest, ok := strings.CutPrefix(line, "authjwt: listening on "); ok {
				select {
				case listening <- rest:
				default:
				}
			}
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		// Still running: stop it as an operator would; it must exit
		// cleanly (a data race found under -race exits with 66).
		if !p.running() {
			return
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			if p.err != nil && !t.Failed() {
				t.Errorf("authjwt serve (%s) after SIGTERM: %v\nstderr:\n%s", p.base, p.err, p.stderr.String())
			}
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
			t.Errorf("authjwt serve (%s) did not stop within 15s of SIGTERM", p.base)
		}
	})
	select {
	case p.base = <-listening:
	case <-p.done:
		t.Fatalf("authjwt serve exited before listening: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.stdout.String(), p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("authjwt serve did not listen within 30s\nstdout:\n%s\nstderr:\n%s", p.stdout.String(), p.stderr.String())
	}
	return p
}

// do sends r to the process.
func (p *serveProc) do(r req) response {
	p.t.Helper()
	return doRequest(p.t, p.client, p.base, r)
}

// login logs user in and returns the pair.
func (p *serveProc) login(user, pw string) (access, refresh string) {
	p.t.Helper()
	r := p.do(req{method: "POST", path: "/login", body: `{"username":"` + user + `","password":"` + pw + `"}`})
	if r.status != 200 {
		p.t.Fatalf("%s: login %s: %d %s", p.base, user, r.status, r.raw)
	}
	return r.str(p.t, "access_token"), r.str(p.t, "refresh_token")
}

// stop sends SIGTERM and checks the process exits with status 0.
func (p *serveProc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.t.Fatalf("authjwt serve did not stop within 20s of SIGTERM\nstderr:\n%s", p.stderr.String())
	}
	if p.err != nil {
		p.t.Fatalf("authjwt serve after SIGTERM: %v\nstderr:\n%s", p.err, p.stderr.String())
	}
}

// waitStdout waits until the process has printed a line containing s,
// and reports whether it did.
func (p *serveProc) waitStdout(s string) bool {
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.stdout.String(), s) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// running reports whether the process is still running.
func (p *serveProc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}
