// Package doccheck lists the exported names of a module that have no doc
// comment. It backs the doc-comment test of every module in this
// repository (each calls [Missing] on its own directory); it is internal,
// not part of the library's API.
package doccheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Missing parses every non-test Go file under root (except directories
// that are modules of their own, testdata, and names starting with "." or
// "_") and returns "file:line: name" for every exported name without a doc
// comment, sorted, together with the number of packages it found.
//
// It checks package-level functions, types, constants and variables,
// methods of exported types, exported fields of exported structs and
// methods of exported interfaces. A constant or variable in a documented
// group, a type alone in a documented declaration, and a field or method
// with a trailing line comment count as documented. Every package needs a
// package comment in one of its files ("dir: package comment" otherwise).
func Missing(root string) (missing []string, packages int, err error) {
	fset := token.NewFileSet()
	pkgDoc := map[string]bool{} // dir -> has a package comment
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root {
				name := d.Name()
				if name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		if _, seen := pkgDoc[dir]; !seen {
			pkgDoc[dir] = false
		}
		if f.Doc != nil {
			pkgDoc[dir] = true
		}
		missing = append(missing, undocumented(fset, f)...)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	for dir, ok := range pkgDoc {
		if !ok {
			missing = append(missing, dir+": package comment")
		}
	}
	sort.Strings(missing)
	return missing, len(pkgDoc), nil
}

// undocumented returns "file:line: name" for each undocumented exported
// name declared in f.
func undocumented(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(pos token.Pos, name string) {
		p := fset.Position(pos)
		out = append(out, p.Filename+":"+strconv.Itoa(p.Line)+": "+name)
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			name := d.Name.Name
			if d.Recv != nil && len(d.Recv.List) > 0 {
				recv := receiverName(d.Recv.List[0].Type)
				if !ast.IsExported(recv) {
					continue // not part of the documented API
				}
				name = recv + "." + name
			}
			if !has(d.Doc) {
				report(d.Pos(), name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if !has(s.Doc, s.Comment) && !(len(d.Specs) == 1 && has(d.Doc)) {
						report(s.Pos(), s.Name.Name)
					}
					out = append(out, members(fset, s)...)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && !has(s.Doc, s.Comment, d.Doc) {
							report(n.Pos(), n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// has reports whether any of the comment groups has text.
func has(groups ...*ast.CommentGroup) bool {
	for _, g := range groups {
		if g != nil && strings.TrimSpace(g.Text()) != "" {
			return true
		}
	}
	return false
}

// members returns the undocumented exported fields of an exported struct
// type and methods of an exported interface type.
func members(fset *token.FileSet, s *ast.TypeSpec) []string {
	var list *ast.FieldList
	switch t := s.Type.(type) {
	case *ast.StructType:
		list = t.Fields
	case *ast.InterfaceType:
		list = t.Methods
	default:
		return nil
	}
	var out []string
	for _, f := range list.List {
		for _, n := range f.Names {
			if n.IsExported() && !has(f.Doc, f.Comment) {
				p := fset.Position(n.Pos())
				out = append(out, p.Filename+":"+strconv.Itoa(p.Line)+": "+s.Name.Name+"."+n.Name)
			}
		}
	}
	return out
}

// receiverName returns the type name of a method receiver expression.
func receiverName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return receiverName(t.X)
	case *ast.IndexExpr:
		return receiverName(t.X)
	case *ast.IndexListExpr:
		return receiverName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}

// Check fails t, listing them, when the module rooted at root has exported
// names or packages without doc comments; it also fails when fewer than
// minPackages packages were found (the test is not running where it
// should). Every module's doc test is one call to it.
func Check(t testing.TB, root string, minPackages int) {
	t.Helper()
	missing, pkgs, err := Missing(root)
	if err != nil {
		t.Fatal(err)
	}
	if pkgs < minPackages {
		t.Fatalf("only %d packages found, want at least %d: is the test running in the module root?", pkgs, minPackages)
	}
	if len(missing) > 0 {
		t.Errorf("%d exported names without a doc comment:\n\t%s", len(missing), strings.Join(missing, "\n\t"))
	}
}
