package authjwt

import (
	"go/ast"
	"testing"
)

// TestStoreCallsGoThroughRevoker keeps every call into the revocation
// store in the revoker's bounded calls, which bound it by
// Revocation.Timeout: no code of the package reads Config.Revocation.Store
// except New's configuration checks (applyDefaults, validateRest, New and
// newAuth) and newRevoker, and a
// revoke.Store or revoke.Consumer method is called only by a method of
// *revoker that bounds its context (calls r.bound). A new call into the
// store that bypasses the bound would hang for as long as a store outage
// (issue 15 item 2); this test fails instead.
func TestStoreCallsGoThroughRevoker(t *testing.T) {
	storeMethods := map[string]bool{
		"IsRevoked": true, "RevokeToken": true, "RevokeFamily": true, "RevokeSubject": true,
		"Consume": true, "ConsumeWithSuccessor": true, "FirstUse": true,
		// The replica's reads of the store's feed (replica.go).
		"Snapshot": true, "Changes": true,
		"CreateSession": true, "TouchSession": true, "GetSession": true, "ListSessions": true, "DeleteSession": true,
	}
	configFuncs := map[string]bool{"New": true, "newAuth": true, "applyDefaults": true, "validateRest": true, "newRevoker": true}
	calls := 0
	fset, funcs := packageFuncs(t)
	for _, fd := range funcs {
		bounded := isRevokerMethod(fd) && callsBound(fd) || isReplicaFeedRead(fd)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if n.Sel.Name == "Store" && isConfigExpr(n.X) && !configFuncs[fd.Name.Name] {
					t.Errorf("%s: %s reads Config.Revocation.Store: call the store through a.rev (revoker.go)", fset.Position(n.Pos()), fd.Name.Name)
				}
			case *ast.CallExpr:
				// a.RevokeFamily and friends are the Auth's own methods.
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && storeMethods[sel.Sel.Name] && !isIdent(sel.X, "a") {
					calls++
					if !bounded {
						t.Errorf("%s: %s calls %s on a store: go through a bounded call of the revoker (revoker.go)", fset.Position(n.Pos()), fd.Name.Name, sel.Sel.Name)
					}
				}
			}
			return true
		})
	}
	if calls == 0 {
		t.Fatal("found no store calls at all: the test no longer sees them")
	}
}

// isReplicaFeedRead reports whether fd is the replica's load or follow,
// the two bounded reads of the store's feed: each takes the context its
// caller bounded (load: newReplica's and run's start timeout) or bounds
// it itself (follow: wait plus Revocation.Timeout).
func isReplicaFeedRead(fd *ast.FuncDecl) bool {
	if fd.Recv == nil || len(fd.Recv.List) != 1 {
		return false
	}
	star, ok := fd.Recv.List[0].Type.(*ast.StarExpr)
	return ok && isIdent(star.X, "replica") && (fd.Name.Name == "load" || fd.Name.Name == "follow")
}

// isConfigExpr reports whether x names a Config or its revocation section:
// cfg, c, a.cfg, or any of them followed by .Revocation.
func isConfigExpr(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.Ident:
		return x.Name == "cfg" || x.Name == "c"
	case *ast.SelectorExpr:
		return x.Sel.Name == "cfg" || x.Sel.Name == "Revocation" && isConfigExpr(x.X)
	}
	return false
}

func isIdent(x ast.Expr, name string) bool {
	id, ok := x.(*ast.Ident)
	return ok && id.Name == name
}

// isRevokerMethod reports whether fd is a method of *revoker.
func isRevokerMethod(fd *ast.FuncDecl) bool {
	if fd.Recv == nil || len(fd.Recv.List) != 1 {
		return false
	}
	star, ok := fd.Recv.List[0].Type.(*ast.StarExpr)
	return ok && isIdent(star.X, "revoker")
}

// callsBound reports whether fd's body calls <receiver>.bound.
func callsBound(fd *ast.FuncDecl) bool {
	found := false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "bound" {
				found = true
			}
		}
		return !found
	})
	return found
}
