package doccheck

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMissing runs Missing over testdata/mod, whose files declare
// documented and undocumented names of every kind, and checks that it
// reports exactly the undocumented ones.
func TestMissing(t *testing.T) {
	root := filepath.Join("testdata", "mod")
	api := filepath.Join(root, "api.go")
	want := []struct {
		entry string
		why   string
	}{
		{api + ":5: Undocumented", "exported function without a comment"},
		{api + ":14: T.Field", "exported field of an exported struct"},
		{api + ":21: T.Method", "method of an exported type"},
		{api + ":23: T.PtrMethod", "method with a pointer receiver"},
		{api + ":28: G.GenericMethod", "method of a generic type"},
		{api + ":39: Grouped", "a group's comment does not document its types"},
		{api + ":50: V", "exported variable without a comment"},
		{api + ":59: I.M", "method of an exported interface"},
		{filepath.Join(root, "nodoc") + ": package comment", "package without a package comment"},
	}
	got, pkgs, err := Missing(root)
	if err != nil {
		t.Fatal(err)
	}
	// Documented names, unexported ones, methods of unexported types,
	// _test.go files, testdata, "_" directories and nested modules must
	// not appear; the two packages are api and nodoc.
	if pkgs != 2 {
		t.Errorf("found %d packages, want 2 (api and nodoc)", pkgs)
	}
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	for _, w := range want {
		if !seen[w.entry] {
			t.Errorf("missing %q (%s)", w.entry, w.why)
		}
		delete(seen, w.entry)
	}
	for g := range seen {
		t.Errorf("unexpected %q: it is documented or not part of the API", g)
	}
	if t.Failed() {
		t.Logf("got:\n\t%s", strings.Join(got, "\n\t"))
	}
}
