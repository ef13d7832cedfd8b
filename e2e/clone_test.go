//go:build unix

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeServeCommand returns the README's first command: the first line
// of the first fenced block after the heading "## The two commands",
// without its trailing "# comment".
func readmeServeCommand(readme string) ([]string, error) {
	sc := bufio.NewScanner(strings.NewReader(readme))
	section, fenced := false, false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case !section:
			section = line == "## The two commands"
		case !fenced && strings.HasPrefix(line, "## "):
			return nil, fmt.Errorf("no fenced block under %q", "## The two commands")
		case !fenced:
			fenced = strings.HasPrefix(line, "```")
		case strings.HasPrefix(line, "```"):
			return nil, fmt.Errorf("the first fenced block under %q is empty", "## The two commands")
		case line != "":
			if i := strings.IndexAny(line, "#"); i == 0 || i > 0 && (line[i-1] == ' ' || line[i-1] == '\t') {
				line = line[:i] // a shell comment
			}
			return strings.Fields(line), nil
		}
	}
	if !section {
		return nil, fmt.Errorf("no heading %q", "## The two commands")
	}
	return nil, fmt.Errorf("no fenced block under %q", "## The two commands")
}

func TestReadmeServeCommand(t *testing.T) {
	tests := []struct {
		name, readme string
		want         string // fields joined by a space; "" for an error
	}{
		{"the README's form: comment dropped", "# x\n## The two commands\n\ntext\n\n```\ngo run ./cmd/authjwt serve            # listens on 127.0.0.1:8000\n```\n\n```\ngo test ./...\n```\n", "go run ./cmd/authjwt serve"},
		{"a language tag on the fence is fine", "## The two commands\n```sh\n\ngo run ./cmd/authjwt serve\n```\n", "go run ./cmd/authjwt serve"},
		{"a block before the heading is not the command", "```\nrm -rf /\n```\n## The two commands\n```\ngo run ./cmd/authjwt serve\n```\n", "go run ./cmd/authjwt serve"},
		{"no heading: an error, not a guess", "```\ngo run .\n```\n", ""},
		{"the next section's block is not taken", "## The two commands\ntext\n## Quick start\n```\ngo run .\n```\n", ""},
		{"an empty block is an error", "## The two commands\n```\n```\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readmeServeCommand(tt.readme)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestFreshClone is issue 10's newcomer check: in a fresh clone of the
// repository (its committed state), it runs the README's first command
// (`go run ./cmd/authjwt serve`, plus --addr on a free port), waits for
// /healthz, logs in, calls /protected, and stops the server.
//
// It runs only with AUTHJWTTEST_CLONE=1 (it compiles the server from
// scratch in the clone, and a clone must not run its own clone test);
// .ci/run runs it.
func TestFreshClone(t *testing.T) {
	if os.Getenv("AUTHJWTTEST_CLONE") != "1" {
		t.Skip("fresh-clone test skipped: run it with AUTHJWTTEST_CLONE=1 go test -run TestFreshClone ./e2e/ from the repository root (it clones the repository's committed state and runs the README's first command)")
	}
	for _, tool := range []string{"git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("fresh-clone test needs %s on PATH: %v", tool, err)
		}
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("git rev-parse --show-toplevel: %v", err)
	}
	root := strings.TrimSpace(string(top))
	if head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output(); err == nil {
		t.Logf("cloning %s at %s (committed state only)", root, strings.TrimSpace(string(head)))
	}
	clone := filepath.Join(t.TempDir(), "authjwt")
	if out, err := exec.Command("git", "clone", "--quiet", "--no-hardlinks", root, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone %s: %v\n%s", root, err, out)
	}

	readme, err := os.ReadFile(filepath.Join(clone, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	args, err := readmeServeCommand(string(readme))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	if len(args) < 2 || args[0] != "go" {
		t.Fatalf("README's first command %q does not start with go", args)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	args = append(args, "--addr", addr)
	t.Logf("running %q in the clone", args)

	// A newcomer's environment: none of the caller's AUTHJWT_* settings (the
	// server refuses unknown ones), no PORT, and no GOWORK pointing outside
	// the clone (the clone's own go.work applies).
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AUTHJWT_") || strings.HasPrefix(kv, "PORT=") || strings.HasPrefix(kv, "GOWORK=") {
			continue
		}
		env = append(env, kv)
	}
	goTool, _ := exec.LookPath("go")
	var logs syncBuilder
	cmd := exec.Command(goTool, args[1:]...)
	cmd.Dir = clone
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &logs, &logs
	// Its own process group: `go run` leaves signals to the program it
	// started, so the interrupt goes to the whole group, as Ctrl-C would.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("output of %q:\n%s", args, logs.String())
		}
	})

	base := "http://" + addr
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(5 * time.Minute) // the first build in a clone compiles everything
	for {
		res, err := client.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("%q exited before answering /healthz: %v", args, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q did not answer /healthz within 5 minutes (last error %v)", args, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out := logs.String(); !strings.Contains(out, "listening on "+base) {
		t.Errorf("server output does not say where it listens (%s):\n%s", base, out)
	}

	call := func(method, path, token, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
			t.Fatalf("%s %s: %d, body not JSON: %v", method, path, res.StatusCode, err)
		}
		return res.StatusCode, m
	}

	if status, _ := call("GET", "/protected", "", ""); status != 401 {
		t.Errorf("GET /protected without a token: %d, want 401", status)
	}
	status, login := call("POST", "/login", "", `{"username":"alice","password":"secret"}`)
	access, _ := login["access_token"].(string)
	if status != 200 || access == "" {
		t.Fatalf("POST /login: %d %v, want 200 with an access token", status, login)
	}
	if status, m := call("GET", "/protected", access, ""); status != 200 || m["user"] != "alice" {
		t.Errorf("GET /protected with the token: %d %v, want 200 {\"user\":\"alice\"}", status, m)
	}

	// Stop it as Ctrl-C would: a clean shutdown. `go run` itself exits 1
	// whenever it was interrupted, so the server's own exit is judged by its
	// output: it says it is shutting down, reports no error, and go run
	// reports no failing exit status.
	if err := syscall.Kill(-pgid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		stopped = true
	case <-time.After(15 * time.Second):
		t.Fatalf("%q still running 15s after an interrupt", args)
	}
	out := logs.String()
	if !strings.Contains(out, "authjwt: shutting down") || strings.Contains(out, "authjwt serve:") || strings.Contains(out, "exit status") {
		t.Errorf("%q did not shut down cleanly after an interrupt:\n%s", args, out)
	}
}
