package releasetest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/librenz/authjwt/releasetest/internal/modproxy"
	"golang.org/x/mod/modfile"
)

// rootPath is the core module's path; every other module's path starts
// with it and "/".
const rootPath = "github.com/librenz/authjwt"

// testVersion is the version the tests release in their scratch clones.
// It is not one the repository requires (v0.1.0), so the release script
// has requirements to rewrite, and it never leaves the clone: the
// consumer test uses its own module cache.
const testVersion = "v0.99.0"

// needClone skips the test unless AUTHJWTTEST_CLONE=1.
func needClone(t *testing.T) {
	t.Helper()
	if os.Getenv("AUTHJWTTEST_CLONE") != "1" {
		t.Skip("release test skipped: run it with AUTHJWTTEST_CLONE=1 go test ./releasetest/ from the repository root (it clones the repository's committed state and runs scripts/release.sh there)")
	}
	for _, tool := range []string{"git", "go", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("release test needs %s on PATH: %v", tool, err)
		}
	}
}

// cleanEnv is the environment without the settings that would point the
// go command or git outside the clone.
func cleanEnv(drop ...string) []string {
	drop = append(drop, "GOWORK=", "GIT_DIR=", "GIT_WORK_TREE=", "GIT_INDEX_FILE=")
	var env []string
	for _, kv := range os.Environ() {
		keep := true
		for _, d := range drop {
			if strings.HasPrefix(kv, d) {
				keep = false
			}
		}
		if keep {
			env = append(env, kv)
		}
	}
	return append(env,
		"GIT_AUTHOR_NAME=release test", "GIT_AUTHOR_EMAIL=release-test@example.com",
		"GIT_COMMITTER_NAME=release test", "GIT_COMMITTER_EMAIL=release-test@example.com")
}

// run runs name args in dir and returns its combined output.
func run(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// must is run that fails the test on an error.
func must(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := run(t, dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, out)
	}
	return out
}

// scratchClone clones the repository's committed state into a temporary
// directory and returns the clone's root.
func scratchClone(t *testing.T) string {
	t.Helper()
	top := strings.TrimSpace(must(t, ".", cleanEnv(), "git", "rev-parse", "--show-toplevel"))
	head := strings.TrimSpace(must(t, top, cleanEnv(), "git", "rev-parse", "HEAD"))
	t.Logf("cloning %s at %s (committed state only)", top, head)
	clone := filepath.Join(t.TempDir(), "authjwt")
	must(t, ".", cleanEnv(), "git", "clone", "--quiet", "--no-hardlinks", top, clone)
	return clone
}

// release runs scripts/release.sh args in clone.
func release(t *testing.T, clone string, args ...string) (string, error) {
	t.Helper()
	return run(t, clone, cleanEnv(), "bash", append([]string{"scripts/release.sh"}, args...)...)
}

// publishable returns the modules of clone's committed state whose go.mod
// does not say "Not published", read from the files themselves (not from
// the release script's list).
func publishable(t *testing.T, clone string) []modproxy.Module {
	t.Helper()
	var mods []modproxy.Module
	for _, m := range goMods(t, clone, cleanEnv()) {
		f, b, mf := m.path, m.data, m.file
		if strings.Contains(string(b), "\n// Not published") || strings.HasPrefix(string(b), "// Not published") {
			continue
		}
		dir := filepath.ToSlash(filepath.Dir(f))
		if dir == "." {
			dir = ""
		}
		mods = append(mods, modproxy.Module{Path: mf.Module.Mod.Path, Dir: dir})
	}
	return mods
}

// goMod is one committed go.mod file of a clone, read and parsed.
type goMod struct {
	path string // relative to the clone
	data []byte
	file *modfile.File
}

// goMods reads and parses every committed go.mod of clone, testdata
// aside.
func goMods(t *testing.T, clone string, env []string) []goMod {
	t.Helper()
	var out []goMod
	for _, f := range strings.Fields(must(t, clone, env, "git", "ls-files", "*go.mod")) {
		if filepath.Base(f) != "go.mod" || strings.Contains("/"+f, "/testdata/") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(clone, f))
		if err != nil {
			t.Fatal(err)
		}
		mf, err := modfile.Parse(f, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, goMod{path: f, data: b, file: mf})
	}
	return out
}
