package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKeygenChecksOutputFirst: keygen --out fails at once, before
// generating a key (an 8192-bit RSA key takes minutes), when the files
// could not be written: a missing directory, a file that exists, a
// directory it cannot create files in.
func TestKeygenChecksOutputFirst(t *testing.T) {
	dir := t.TempDir()
	taken := filepath.Join(dir, "taken")
	if err := os.Mkdir(taken, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(taken, "public.pem"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "read-only")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		out    string
		status int
		stderr string
		skip   bool
	}{
		{"missing directory", filepath.Join(dir, "missing"), exitUsage, "--out " + filepath.Join(dir, "missing") + ": no such file or directory", false},
		{"a file instead of a directory", filepath.Join(taken, "public.pem"), exitUsage, "not a directory", false},
		{"a key file exists", taken, exitFailed, filepath.Join(taken, "public.pem") + " already exists; not overwriting it", false},
		{"read-only directory", readOnly, exitFailed, "cannot create files there", os.Geteuid() == 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.skip {
				t.Skip("root can write into a read-only directory")
			}
			var stdout, stderr bytes.Buffer
			done := make(chan int, 1)
			go func() {
				done <- run(newEnv(nil, strings.NewReader(""), &stdout, &stderr),
					[]string{"keygen", "--alg", "RS256", "--bits", "8192", "--out", c.out})
			}()
			select {
			case st := <-done:
				if st != c.status || !strings.Contains(stderr.String(), c.stderr) {
					t.Fatalf("status %d, stderr %q; want %d and %q", st, stderr.String(), c.status, c.stderr)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("keygen generated a key before checking --out (no answer within 3s)")
			}
			entries, _ := os.ReadDir(c.out)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".authjwt-keygen-") {
					t.Fatalf("probe file %s left behind", e.Name())
				}
			}
		})
	}
}
