package wstest

import (
	"testing"

	"github.com/librenz/authjwt/internal/doccheck"
)

// TestEveryExportedNameHasDocComment lists every exported name of this
// module without a doc comment, with the same rules as the core module's
// test (see internal/doccheck), and every package without a package
// comment. The module holds tests only, so today this guards the package
// comment and any name exported later.
func TestEveryExportedNameHasDocComment(t *testing.T) {
	doccheck.Check(t, ".", 1)
}
