package releasetest

import (
	"testing"

	"github.com/librenz/authjwt/internal/doccheck"
)

// TestEveryExportedNameHasDocComment lists every exported name of this
// module (the release tests and their module proxy writer) without a doc
// comment, with the same rules as the core module's test (see
// internal/doccheck), and every package without a package comment.
func TestEveryExportedNameHasDocComment(t *testing.T) {
	doccheck.Check(t, ".", 2)
}
