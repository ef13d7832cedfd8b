package authjwt

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestStoreCallsGoThroughGate keeps every call into the revocation store
// behind storeGate, which bounds it by StoreTimeout: outside storegate.go
// no code of the package reads Config.Store except New's configuration
// checks (applyDefaults, validateRest, New and newAuth), and no code calls a
// revoke.Store or revoke.Consumer method directly. A new call into the
// store that bypasses the gate would hang for as long as a store outage
// (issue 15 item 2); this test fails instead.
func TestStoreCallsGoThroughGate(t *testing.T) {
	storeMethods := map[string]bool{
		"IsRevoked": true, "RevokeToken": true, "RevokeFamily": true, "RevokeSubject": true,
		"Consume": true, "ConsumeWithSuccessor": true,
	}
	configFuncs := map[string]bool{"New": true, "newAuth": true, "applyDefaults": true, "validateRest": true}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || name == "storegate.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if n.Sel.Name == "Store" && isConfigExpr(n.X) && !(name == "auth.go" && configFuncs[fd.Name.Name]) {
						t.Errorf("%s: %s reads Config.Store: call the store through a.gate (storegate.go)", fset.Position(n.Pos()), fd.Name.Name)
					}
				case *ast.CallExpr:
					// a.RevokeFamily and friends are the Auth's own methods.
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && storeMethods[sel.Sel.Name] && !isIdent(sel.X, "a") {
						t.Errorf("%s: %s calls %s on a store: go through a.gate (storegate.go)", fset.Position(n.Pos()), fd.Name.Name, sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
}

// isConfigExpr reports whether x names a Config: cfg, c or a.cfg.
func isConfigExpr(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.Ident:
		return x.Name == "cfg" || x.Name == "c"
	case *ast.SelectorExpr:
		return x.Sel.Name == "cfg"
	}
	return false
}

func isIdent(x ast.Expr, name string) bool {
	id, ok := x.(*ast.Ident)
	return ok && id.Name == name
}
