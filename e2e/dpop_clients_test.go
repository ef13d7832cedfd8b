package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Clients nobody here wrote drive the reference server's DPoP (RFC 9449)
// and protected-resource metadata (RFC 9728): panva's `dpop` and
// `oauth4webapi` npm packages (versions pinned in
// dpop-node/package-lock.json, installed with npm ci), and a proof
// generator on Python's joserfc. Each logs in with a proof, calls a
// protected route and refreshes with bound tokens, retries on
// use_dpop_nonce, and reads the metadata as the client library does.

// requireTool returns the path of a command the test needs, skipping (or
// failing under AUTHJWTTEST_REQUIRE_SERVICES=1) without it.
func requireTool(t *testing.T, name, how string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found on PATH (%v); %s", name, err, how)
	if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg + " (AUTHJWTTEST_REQUIRE_SERVICES=1: required)")
	}
	t.Skip(msg + " (AUTHJWTTEST_REQUIRE_SERVICES=1 makes this a failure)")
	return ""
}

// nodeProject returns a directory holding dpop-node's dependencies,
// installed from its lockfile with npm ci into the user's cache (outside
// the repository; one directory per lockfile, reused by later runs), and
// in a fresh subdirectory of it the client script.
func nodeProject(t *testing.T) (script string) {
	t.Helper()
	requireTool(t, "node", "install Node.js 20 or later")
	npm := requireTool(t, "npm", "install npm (it comes with Node.js)")
	src := "dpop-node"
	pkg, err := os.ReadFile(filepath.Join(src, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(append([]byte{}, pkg...), lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "authjwt-e2e", "dpop-node-"+hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err != nil {
		// Install beside it and rename into place, so that concurrent
		// runs never see a half-installed tree.
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			t.Fatal(err)
		}
		tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		for name, b := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
			if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			msg := fmt.Sprintf("npm ci (from dpop-node/package-lock.json) failed: %v\n%s", err, out)
			if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg + "\n(the npm registry may be unreachable; AUTHJWTTEST_REQUIRE_SERVICES=1 makes this a failure)")
		}
		if err := os.Rename(tmp, dir); err != nil {
			if _, serr := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); serr != nil {
				t.Fatalf("installing the node project: %v", err)
			}
			// Another run installed it meanwhile.
		}
	}
	run, err := os.MkdirTemp(dir, "run-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	b, err := os.ReadFile(filepath.Join(src, "client.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	script = filepath.Join(run, "client.mjs")
	if err := os.WriteFile(script, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return script
}

// certFile writes the run's test certificate (the one the reference
// server presents) as PEM, for clients to trust.
func certFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: shared.cert.Certificate[0]}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// clientEnv is the environment of a client process: the test's, without
// AUTHJWT_* variables, plus env.
func clientEnv(env ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUTHJWT_") {
			out = append(out, kv)
		}
	}
	return append(out, env...)
}

// runClient runs a client and checks its report: exit status 0, no FAIL
// line, and an "ok" line for each of want.
func runClient(t *testing.T, cmd *exec.Cmd, want []string) {
	t.Helper()
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not finish within 2 minutes:\n%s\n%s", cmd.Path, out.String(), stderr.String())
	}
	var oks []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "ok "); ok {
			oks = append(oks, name)
		}
		if strings.HasPrefix(line, "FAIL ") {
			t.Errorf("%s", line)
		}
	}
	if err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(cmd.Path), err, out.String(), stderr.String())
	}
	for _, w := range want {
		if !slices.Contains(oks, w) {
			t.Errorf("no %q in the report:\n%s\nstderr:\n%s", w, out.String(), stderr.String())
		}
	}
}

// nodeChecks are the checks client.mjs reports for each algorithm.
func nodeChecks(algs ...string) []string {
	var out []string
	for _, alg := range algs {
		for _, c := range []string{"login binds", "cnf.jkt is the key's RFC 7638 thumbprint", "protected with proof",
			"replayed proof refused", "bound token as Bearer refused", "other key refused", "refresh with proof",
			"oauth4webapi protectedResourceRequest"} {
			out = append(out, alg+" "+c)
		}
		out = append(out, "metadata lists "+alg)
	}
	return append(out, "challenge carries resource_metadata", "discovery URL equals the advertised one",
		"discovered resource", "metadata bearer methods", "metadata says whether DPoP is required")
}

func TestDPoPNodeClients(t *testing.T) {
	script := nodeProject(t)
	ca := certFile(t)
	node := func(base, resource string, env ...string) *exec.Cmd {
		cmd := exec.Command("node", script)
		cmd.Env = clientEnv(append([]string{"NODE_EXTRA_CA_CERTS=" + ca, "AUTHJWT_BASE=" + base, "AUTHJWT_RESOURCE_ID=" + resource}, env...)...)
		return cmd
	}
	t.Run("every algorithm of the dpop package", func(t *testing.T) {
		base := startReferenceTLS(t)
		algs := []string{"ES256", "Ed25519", "PS256", "RS256"}
		runClient(t, node(base, base, "DPOP_ALGS="+strings.Join(algs, ",")), nodeChecks(algs...))
	})
	t.Run("server nonces", func(t *testing.T) {
		base := startReferenceTLS(t, "AUTHJWT_DPOP_NONCE=true")
		runClient(t, node(base, base, "DPOP_NONCE=1"), append(nodeChecks("ES256"), "nonce retries happened"))
	})
	t.Run("a resource identifier with a path", func(t *testing.T) {
		// oauth4webapi derives the metadata URL from the identifier
		// itself (RFC 9728 §3.1), and keeps the path's trailing slash.
		for _, path := range []string{"/api", "/api/v1/"} {
			addr := freeLoopbackAddr(t)
			resource := "https://" + addr + path
			base := startReferenceTLSAt(t, addr, "AUTHJWT_RESOURCE="+resource, "AUTHJWT_DPOP=required")
			runClient(t, node(base, resource, "DPOP_REQUIRED=1"), append(nodeChecks("ES256"), "bearer refused when DPoP is required"))
		}
	})
}

func TestDPoPPythonClient(t *testing.T) {
	py := requireTool(t, "python3", "install Python 3 with joserfc (pip install joserfc)")
	if out, err := exec.Command(py, "-c", "import joserfc").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("%s has no joserfc (%v: %s); install it with: pip install joserfc", py, err, out)
		if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg + " (AUTHJWTTEST_REQUIRE_SERVICES=1: required)")
		}
		t.Skip(msg)
	}
	ca := certFile(t)
	for _, nonce := range []bool{false, true} {
		t.Run(fmt.Sprintf("nonce=%v", nonce), func(t *testing.T) {
			var env []string
			if nonce {
				env = append(env, "AUTHJWT_DPOP_NONCE=true")
			}
			base := startReferenceTLS(t, env...)
			cmd := exec.Command(py, filepath.Join("dpop-python", "client.py"))
			cmd.Env = clientEnv("SSL_CERT_FILE="+ca, "AUTHJWT_BASE="+base, fmt.Sprintf("DPOP_NONCE=%v", map[bool]int{false: 0, true: 1}[nonce]))
			want := []string{"ES256 login binds", "ES256 cnf.jkt is the key's RFC 7638 thumbprint", "ES256 protected with proof",
				"ES256 replayed proof refused", "ES256 refresh with proof", "EdDSA login binds", "EdDSA protected with proof"}
			if nonce {
				want = append(want, "nonce retries happened")
			}
			runClient(t, cmd, want)
		})
	}
}
