package doccheck

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// goBlock is a fenced Go code block of a Markdown file.
var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// Programs builds the complete programs (Go code blocks starting with
// "package main") of the Markdown file guide that belong to the module
// at "." whose import path is module: those whose most specific import
// under github.com/librenz/authjwt is module. Each is written to a
// directory of its own in the module, named with a leading "_" (so
// ./... never sees it), and checked with go vet there, which compiles it
// against the module's real dependencies. It fails t when a program does
// not build, and when guide has no program of module (a test that checks
// nothing). With -short it skips: it runs the go command.
func Programs(t *testing.T, guide, module string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds programs with the go command")
	}
	text, err := os.ReadFile(guide)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, m := range goBlock.FindAllSubmatch(text, -1) {
		src := m[1]
		if !strings.HasPrefix(string(src), "package main") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), "main.go", src, parser.ImportsOnly)
		if err != nil {
			t.Errorf("%s: Go block %d: %v", guide, i+1, err)
			continue
		}
		owner := ""
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if (p == "github.com/librenz/authjwt" || strings.HasPrefix(p, "github.com/librenz/authjwt/")) && len(p) > len(owner) {
				owner = p
			}
		}
		if owner != module {
			continue
		}
		n++
		dir, err := os.MkdirTemp(".", "_guide")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("go", "vet", "./"+filepath.Base(dir)).CombinedOutput(); err != nil {
			t.Errorf("%s: Go block %d (a program of %s) does not build:\n%s", guide, i+1, module, out)
		}
	}
	if n == 0 {
		t.Errorf("%s has no program importing %s", guide, module)
	}
}
