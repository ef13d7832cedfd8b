package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestServeProcess runs `authjwt serve` as a process on a free port
// (through $PORT), waits for /healthz, logs in, calls /protected,
// and stops it with SIGTERM: it must shut down cleanly with status 0.
func TestServeProcess(t *testing.T) {
	t.Parallel()
	bin := serverBinary(t)

	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = append(cleanEnv(), "PORT="+strconv.Itoa(port))
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	want := "authjwt: listening on " + base
	if l := <-lines; l != want {
		t.Fatalf("first line %q, want %q (stderr %s)", l, want, stderr.String())
	}
	if l := <-lines; !strings.Contains(l, "algorithm HS256, token locations headers, store memory://") {
		t.Fatalf("second line %q", l)
	}
	waitHealthy(t, base)
	if !strings.Contains(stderr.String(), "tokens will not survive a restart") {
		t.Fatalf("no random-secret warning: %s", stderr.String())
	}

	res, err := http.Post(base+"/login", "application/json", strings.NewReader(`{"username":"alice","password":"secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(res.Body).Decode(&pair)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || pair.AccessToken == "" {
		t.Fatalf("login: %d %v", res.StatusCode, err)
	}
	req, _ := http.NewRequest("GET", base+"/protected", nil)
	req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"user":"alice"}` {
		t.Fatalf("protected: %d %s", res.StatusCode, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v (stderr %s)", err, stderr.String())
	}
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	if !strings.Contains(strings.Join(rest, "\n"), "authjwt: shutting down") {
		t.Fatalf("no shutdown message: %q", rest)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in
// different goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// cleanEnv is the test's environment without AUTHJWT_* variables, which
// would change the server's configuration.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(strings.ToUpper(kv), "AUTHJWT_") && !strings.HasPrefix(kv, "PORT=") {
			env = append(env, kv)
		}
	}
	return env
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitHealthy polls /healthz until it answers 200.
func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
			err = errors.New(res.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("/healthz never answered: %v", last)
}
