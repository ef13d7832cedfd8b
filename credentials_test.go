package authjwt

import (
	"go/ast"
	"testing"
)

// TestOneCSRFRule keeps the CSRF and origin checks of cookie credentials
// in one place, for HTTP requests, WebSocket handshakes and implicit
// refresh alike: the submitted CSRF value is compared with the token's
// claim only in credential.bind, and the origin is checked only by
// credentials.guard (through crossOrigin, which Auth.CheckCrossOrigin
// shares, and checkHandshakeOrigin). A second copy of either check, as
// extract.go and websocket.go once had, fails here.
func TestOneCSRFRule(t *testing.T) {
	allowed := map[string]map[string]bool{
		"csrfEqual":            {"bind": true},
		"ConstantTimeCompare":  {"csrfEqual": true},
		"Check":                {"crossOrigin": true}, // cop.Check
		"crossOrigin":          {"guard": true, "CheckCrossOrigin": true},
		"checkHandshakeOrigin": {"guard": true},
		"guard":                {"fromCookie": true},
	}
	seen := map[string]int{}
	fset, funcs := packageFuncs(t)
	for _, fd := range funcs {
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var callee string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				callee = fn.Name
			case *ast.SelectorExpr:
				callee = fn.Sel.Name
				if callee == "Check" {
					// Only the cross-origin protection's Check (c.cop.Check).
					if sel, ok := fn.X.(*ast.SelectorExpr); !ok || sel.Sel.Name != "cop" {
						return true
					}
				}
			}
			callers, ok := allowed[callee]
			if !ok {
				return true
			}
			seen[callee]++
			if !callers[fd.Name.Name] {
				t.Errorf("%s: %s calls %s: the CSRF and origin rule of cookie credentials is credentials.guard and credential.bind (credentials.go)", fset.Position(call.Pos()), fd.Name.Name, callee)
			}
			return true
		})
	}
	for callee := range allowed {
		if seen[callee] == 0 {
			t.Errorf("no call of %s found: the test no longer sees the rule", callee)
		}
	}
}
