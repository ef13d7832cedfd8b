package authjwt_test

import (
	"testing"

	"github.com/librenz/authjwt/internal/doccheck"
)

// TestEveryExportedNameHasDocComment parses every non-test Go file of the
// core module (this directory and its subdirectories, except those that
// are modules of their own or testdata) and lists every exported name
// without a doc comment: package-level functions, types, constants and
// variables, methods of exported types, exported fields of exported
// structs and methods of exported interfaces. A constant or variable in a
// documented group, and a field or method with a trailing line comment,
// count as documented. Every package needs a package comment. The other
// modules run the same check (internal/doccheck) in their doc_test.go.
func TestEveryExportedNameHasDocComment(t *testing.T) {
	doccheck.Check(t, ".", 5)
}

// TestOpenAPIGuidePrograms builds the net/http programs of
// docs/openapi-adapters.md against this module, so the guide's examples
// follow the API.
func TestOpenAPIGuidePrograms(t *testing.T) {
	doccheck.Programs(t, "docs/openapi-adapters.md", "github.com/librenz/authjwt")
}
