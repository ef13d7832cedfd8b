// Package modproxy writes a file-based Go module proxy (for
// GOPROXY=file:///dir) serving modules of a local git repository at a
// tagged version, exactly as a public proxy would serve them once the
// tags are pushed: the module zip is made from the tagged commit with
// golang.org/x/mod/zip (git archive: committed files only, nested modules
// excluded), and the .mod file is the tagged go.mod. It backs the
// repository's consumer test; it is not part of the library.
package modproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// Module is one module of the repository.
type Module struct {
	Path string // module path, e.g. github.com/librenz/authjwt/stores/redisstore
	Dir  string // directory relative to the repository root, "" for the root
}

// Tag returns the git tag of m at version in a multi-module repository:
// version for the root module, Dir/version for the others.
func (m Module) Tag(version string) string {
	if m.Dir == "" {
		return version
	}
	return path.Join(m.Dir, version)
}

// Write adds every module of mods at version to the proxy rooted at dir:
// <escaped path>/@v/list (the version appended), <version>.info (the
// tagged commit's time), <version>.mod and <version>.zip. Each module is
// read from repo (a git worktree) at m.Tag(version), which must exist.
func Write(dir, repo string, version string, mods []Module) error {
	if !strings.HasPrefix(version, "v") {
		return fmt.Errorf("modproxy: version %q must start with v", version)
	}
	repo, err := filepath.Abs(repo)
	if err != nil {
		return err
	}
	for _, m := range mods {
		if err := write(dir, repo, version, m); err != nil {
			return fmt.Errorf("modproxy: %s@%s: %w", m.Path, version, err)
		}
	}
	return nil
}

func write(dir, repo, version string, m Module) error {
	mv := module.Version{Path: m.Path, Version: version}
	if err := module.Check(mv.Path, mv.Version); err != nil {
		return err
	}
	escPath, err := module.EscapePath(m.Path)
	if err != nil {
		return err
	}
	escVersion, err := module.EscapeVersion(version)
	if err != nil {
		return err
	}
	tag := m.Tag(version)
	when, err := git(repo, "log", "-1", "--format=%cI", tag+"^{commit}")
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(when)))
	if err != nil {
		return fmt.Errorf("commit time of %s: %w", tag, err)
	}
	gomod, err := git(repo, "show", tag+":"+path.Join(m.Dir, "go.mod"))
	if err != nil {
		return err
	}
	vdir := filepath.Join(dir, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(vdir, escVersion)
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, t.UTC()})
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".info", info, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(base+".mod", gomod, 0o644); err != nil {
		return err
	}
	f, err := os.Create(base + ".zip")
	if err != nil {
		return err
	}
	if err := zip.CreateFromVCS(f, mv, repo, tag, m.Dir); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if _, err := zip.CheckZip(mv, base+".zip"); err != nil {
		return err
	}
	list := filepath.Join(vdir, "list")
	old, err := os.ReadFile(list)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	versions := strings.Fields(string(old))
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	return os.WriteFile(list, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}

func git(repo string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
