package examples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryExampleIsTested checks that each example directory builds its
// handler in newApp (so a test can call its routes) and has a test: a new
// example cannot be added untested. Compilation of every example is
// checked by `go test ./...` (and `go vet ./...`) over this module.
func TestEveryExampleIsTested(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "internal" || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		n++
		src, err := os.ReadFile(filepath.Join(e.Name(), "main.go"))
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if !strings.Contains(string(src), "\nfunc newApp(") {
			t.Errorf("%s/main.go: no newApp function building the handler apart from main", e.Name())
		}
		if _, err := os.Stat(filepath.Join(e.Name(), "main_test.go")); err != nil {
			t.Errorf("%s: no main_test.go calling its routes", e.Name())
		}
	}
	if n < 14 {
		t.Errorf("%d examples, want at least the 14 of the seed's list", n)
	}
}
