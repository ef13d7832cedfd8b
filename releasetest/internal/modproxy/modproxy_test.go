package modproxy

import (
	"archive/zip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// gitRepo makes a repository with a root module and a nested one, both
// tagged at v1.2.3, plus a file committed after the tags and an untracked
// file, neither of which may reach the zips.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
			"GIT_COMMITTER_DATE=2026-01-02T03:04:05Z", "GIT_AUTHOR_DATE=2026-01-02T03:04:05Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	write("go.mod", "module example.com/r\n\ngo 1.26.0\n")
	write("a.go", "package r\n")
	write("sub/go.mod", "module example.com/r/sub\n\ngo 1.26.0\n\nrequire example.com/r v1.2.3\n")
	write("sub/b.go", "package sub\n")
	run("init", "-q")
	run("add", ".")
	run("commit", "-q", "-m", "one")
	run("tag", "v1.2.3")
	run("tag", "sub/v1.2.3")
	write("later.go", "package r\n")
	run("add", ".")
	run("commit", "-q", "-m", "two")
	write("untracked.go", "package r\n")
	return dir
}

func zipNames(t *testing.T, file string) []string {
	t.Helper()
	r, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	return names
}

func TestWrite(t *testing.T) {
	repo := gitRepo(t)
	proxy := t.TempDir()
	mods := []Module{{Path: "example.com/r"}, {Path: "example.com/r/sub", Dir: "sub"}}
	if err := Write(proxy, repo, "v1.2.3", mods); err != nil {
		t.Fatal(err)
	}
	// Writing the same version again does not repeat it in the list.
	if err := Write(proxy, repo, "v1.2.3", mods[:1]); err != nil {
		t.Fatal(err)
	}

	root := filepath.Join(proxy, "example.com", "r", "@v")
	if b, _ := os.ReadFile(filepath.Join(root, "list")); string(b) != "v1.2.3\n" {
		t.Errorf("list = %q, want one line v1.2.3", b)
	}
	var info struct {
		Version string
		Time    time.Time
	}
	b, err := os.ReadFile(filepath.Join(root, "v1.2.3.info"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if info.Version != "v1.2.3" || !info.Time.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("info = %+v, want v1.2.3 at the tagged commit's time", info)
	}
	if b, _ := os.ReadFile(filepath.Join(proxy, "example.com", "r", "sub", "@v", "v1.2.3.mod")); !strings.Contains(string(b), "require example.com/r v1.2.3") {
		t.Errorf("sub's .mod = %q, want the tagged go.mod", b)
	}

	// The root zip holds the tagged commit's files only: no nested module,
	// nothing committed later, nothing untracked.
	if got, want := zipNames(t, filepath.Join(root, "v1.2.3.zip")), []string{"example.com/r@v1.2.3/a.go", "example.com/r@v1.2.3/go.mod"}; !slices.Equal(got, want) {
		t.Errorf("root zip = %q, want %q", got, want)
	}
	if got, want := zipNames(t, filepath.Join(proxy, "example.com", "r", "sub", "@v", "v1.2.3.zip")), []string{"example.com/r/sub@v1.2.3/b.go", "example.com/r/sub@v1.2.3/go.mod"}; !slices.Equal(got, want) {
		t.Errorf("sub zip = %q, want %q", got, want)
	}
}

func TestWriteRefusesAMissingTag(t *testing.T) {
	repo := gitRepo(t)
	err := Write(t.TempDir(), repo, "v1.2.4", []Module{{Path: "example.com/r"}})
	if err == nil || !strings.Contains(err.Error(), "example.com/r@v1.2.4") {
		t.Fatalf("Write with an untagged version: %v, want an error naming the module", err)
	}
}

func TestTag(t *testing.T) {
	if got := (Module{Path: "example.com/r"}).Tag("v1.0.0"); got != "v1.0.0" {
		t.Errorf("root tag %q", got)
	}
	if got := (Module{Path: "example.com/r/a/b", Dir: "a/b"}).Tag("v1.0.0"); got != "a/b/v1.0.0" {
		t.Errorf("nested tag %q", got)
	}
}
