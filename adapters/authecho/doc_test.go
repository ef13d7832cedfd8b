package authecho_test

import (
	"testing"

	"github.com/librenz/authjwt/internal/doccheck"
)

// TestEveryExportedNameHasDocComment lists every exported name of this
// module (the Echo adapter and its example) without a doc comment, with the same rules as the core
// module's test (see internal/doccheck), and every package without a
// package comment.
func TestEveryExportedNameHasDocComment(t *testing.T) {
	doccheck.Check(t, ".", 2)
}

// TestOpenAPIGuidePrograms builds the authecho programs of
// docs/openapi-adapters.md against this module, so the guide's examples
// follow the adapter's API.
func TestOpenAPIGuidePrograms(t *testing.T) {
	doccheck.Programs(t, "../../docs/openapi-adapters.md", "github.com/librenz/authjwt/adapters/authecho")
}
