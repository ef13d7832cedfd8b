package releasetest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// TestReleaseScript dry-runs scripts/release.sh in a scratch clone (it
// never pushes; the clone is thrown away): first the runs it must refuse,
// which must leave no tag behind, then a release of testVersion, after
// which `git tag` must list one tag per publishable module and nothing
// else, all on one commit whose requirements name testVersion.
func TestReleaseScript(t *testing.T) {
	needClone(t)
	clone := scratchClone(t)
	env := cleanEnv()
	head := strings.TrimSpace(must(t, clone, env, "git", "rev-parse", "HEAD"))

	refused := func(why string, args []string, want ...string) {
		t.Helper()
		out, err := release(t, clone, args...)
		if err == nil {
			t.Fatalf("%s: release.sh %s succeeded, want a refusal:\n%s", why, strings.Join(args, " "), out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: release.sh %s output lacks %q:\n%s", why, strings.Join(args, " "), w, out)
			}
		}
		if tags := strings.TrimSpace(must(t, clone, env, "git", "tag")); tags != "" {
			t.Fatalf("%s: a refused release left tags:\n%s", why, tags)
		}
	}
	refused("no version", nil, "usage")
	refused("not semver", []string{"0.99.0"}, "0.99.0 is not a semantic version")
	refused("not semver", []string{"v0.99"}, "not a semantic version")
	refused("build metadata", []string{"v0.99.0+meta"}, "not a semantic version")
	refused("leading zero", []string{"v0.099.0"}, "not a semantic version")
	refused("v2 needs /v2 paths", []string{"v2.0.0"}, "needs /v2 module paths")

	if err := os.WriteFile(filepath.Join(clone, "stray.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("untracked file", []string{testVersion}, "not clean", "stray.txt")
	os.Remove(filepath.Join(clone, "stray.txt"))

	// Mismatched requirements, committed: a store requiring another core
	// version, a published adapter with a replace, and a go.work that no
	// longer serves a published module. Every problem is reported.
	must(t, filepath.Join(clone, "stores/redisstore"), env, "go", "mod", "edit", "-require="+rootPath+"@v0.0.9")
	must(t, filepath.Join(clone, "adapters/authgin"), env, "go", "mod", "edit", "-replace="+rootPath+"=../..")
	must(t, clone, env, "go", "work", "edit", "-dropreplace="+rootPath+"/stores/sqlstore@v0.1.0")
	must(t, clone, env, "git", "commit", "-q", "-a", "-m", "mismatched requirements")
	refused("mismatched requirements", []string{testVersion},
		"stores/redisstore/go.mod: requires "+rootPath+" v0.0.9",
		"adapters/authgin/go.mod: publishable module replaces "+rootPath,
		`go.work: no "replace `+rootPath+`/stores/sqlstore v0.1.0 => ./stores/sqlstore" line`)
	must(t, clone, env, "git", "reset", "-q", "--hard", head)
	// A module importing a sibling it does not require (checked once the
	// workspace resolves).
	must(t, filepath.Join(clone, "adapters/authecho"), env, "go", "mod", "edit", "-droprequire="+rootPath)
	must(t, clone, env, "git", "commit", "-q", "-a", "-m", "missing requirement")
	refused("missing requirement", []string{testVersion},
		"adapters/authecho: imports packages of "+rootPath+" but its go.mod does not require it")
	must(t, clone, env, "git", "reset", "-q", "--hard", head)

	out, err := release(t, clone, testVersion)
	if err != nil {
		t.Fatalf("release.sh %s: %v\n%s", testVersion, err, out)
	}
	t.Logf("release.sh %s:\n%s", testVersion, out)

	mods := publishable(t, clone)
	var want []string
	for _, m := range mods {
		want = append(want, m.Tag(testVersion))
	}
	slices.Sort(want)
	got := strings.Fields(must(t, clone, env, "git", "tag", "--list"))
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("git tag lists\n\t%s\nwant one tag per publishable module:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	for _, tag := range []string{testVersion, "stores/redisstore/" + testVersion, "stores/sqlstore/" + testVersion,
		"adapters/authgin/" + testVersion, "adapters/authecho/" + testVersion, "adapters/authhuma/" + testVersion,
		"cmd/authjwt/" + testVersion} {
		if !slices.Contains(got, tag) {
			t.Errorf("no tag %s", tag)
		}
	}
	for _, tag := range got {
		for _, never := range []string{"bench/", "e2e/", "examples/", "interop/", "wstest/", "releasetest/", "adapters/chi-example/"} {
			if strings.HasPrefix(tag, never) {
				t.Errorf("test-only module tagged: %s", tag)
			}
		}
	}

	// One release commit on top of the clone's HEAD, clean, carrying every tag.
	released := strings.TrimSpace(must(t, clone, env, "git", "rev-parse", "HEAD"))
	if parent := strings.TrimSpace(must(t, clone, env, "git", "rev-parse", "HEAD^")); released == head || parent != head {
		t.Errorf("HEAD %s (parent %s): want one release commit on top of %s", released, parent, head)
	}
	if st := must(t, clone, env, "git", "status", "--porcelain"); st != "" {
		t.Errorf("tree not clean after the release:\n%s", st)
	}
	for _, tag := range got {
		if c := strings.TrimSpace(must(t, clone, env, "git", "rev-list", "-n", "1", tag)); c != released {
			t.Errorf("tag %s is on %s, want the release commit %s", tag, c, released)
		}
	}

	// At the release commit every requirement of a sibling, in every
	// module, names testVersion; published modules have no replace; go.work
	// serves each published module at testVersion from its directory.
	published := map[string]string{}
	for _, m := range mods {
		published[m.Path] = m.Dir
	}
	for _, m := range goMods(t, clone, env) {
		f, mf := m.path, m.file
		for _, r := range mf.Require {
			if (r.Mod.Path == rootPath || strings.HasPrefix(r.Mod.Path, rootPath+"/")) && r.Mod.Version != testVersion {
				t.Errorf("%s requires %s, want %s", f, r.Mod, testVersion)
			}
		}
		if _, ok := published[mf.Module.Mod.Path]; ok && len(mf.Replace) > 0 {
			t.Errorf("%s: published module with replace directives", f)
		}
	}
	b, err := os.ReadFile(filepath.Join(clone, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	wf, err := modfile.ParseWork("go.work", b, nil)
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range wf.Replace {
		dir, ok := published[r.Old.Path]
		if !ok {
			continue
		}
		if r.Old.Version != testVersion || filepath.Clean(r.New.Path) != filepath.Clean("./"+dir) {
			t.Errorf("go.work: replace %s => %s, want %s %s => ./%s", r.Old, r.New.Path, r.Old.Path, testVersion, dir)
		}
		served[r.Old.Path] = true
	}
	for p := range published {
		if !served[p] {
			t.Errorf("go.work does not serve %s %s", p, testVersion)
		}
	}

	// Nothing was pushed: the source repository has none of the tags. The
	// script printed the command instead.
	if remote := must(t, clone, env, "git", "ls-remote", "--tags", "origin"); strings.Contains(remote, testVersion) {
		t.Errorf("the source repository has %s tags: the script pushed\n%s", testVersion, remote)
	}
	if !strings.Contains(out, "git push --atomic origin") || !strings.Contains(out, "stores/redisstore/"+testVersion) {
		t.Errorf("release.sh did not print the push command:\n%s", out)
	}

	refused2 := func(why string, args []string, want string) {
		t.Helper()
		out, err := release(t, clone, args...)
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("%s: release.sh %s: %v, want a refusal with %q:\n%s", why, strings.Join(args, " "), err, want, out)
		}
	}
	refused2("existing tag", []string{testVersion}, "tag "+testVersion+" exists")
	if after := strings.Fields(must(t, clone, env, "git", "tag", "--list")); len(after) != len(got) {
		t.Errorf("the refused second run changed the tags: %q", after)
	}
}
