package authjwt_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestEveryExportedNameHasDocComment parses every non-test Go file of the
// core module (this directory and its subdirectories, except those that
// are modules of their own or testdata) and lists every exported name
// without a doc comment: package-level functions, types, constants and
// variables, methods of exported types, exported fields of exported
// structs and methods of exported interfaces. A constant or variable in a
// documented group, and a field or method with a trailing line comment,
// count as documented. Every package needs a package comment.
func TestEveryExportedNameHasDocComment(t *testing.T) {
	var missing []string
	fset := token.NewFileSet()
	pkgDoc := map[string]bool{} // dir -> has a package comment
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." {
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
		t.Fatal(err)
	}
	for dir, ok := range pkgDoc {
		if !ok {
			missing = append(missing, dir+": package comment")
		}
	}
	if len(pkgDoc) < 5 {
		t.Fatalf("only %d packages found: is the test running in the module root?", len(pkgDoc))
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d exported names without a doc comment:\n\t%s", len(missing), strings.Join(missing, "\n\t"))
	}
}

// undocumented returns "file:line: name" for each undocumented exported
// name declared in f.
func undocumented(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(pos token.Pos, name string) {
		p := fset.Position(pos)
		out = append(out, p.Filename+":"+itoa(p.Line)+": "+name)
	}
	has := func(groups ...*ast.CommentGroup) bool {
		for _, g := range groups {
			if g != nil && strings.TrimSpace(g.Text()) != "" {
				return true
			}
		}
		return false
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
					out = append(out, members(fset, s, has)...)
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

// members returns the undocumented exported fields of an exported struct
// type and methods of an exported interface type.
func members(fset *token.FileSet, s *ast.TypeSpec, has func(...*ast.CommentGroup) bool) []string {
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
				out = append(out, p.Filename+":"+itoa(p.Line)+": "+s.Name.Name+"."+n.Name)
			}
		}
	}
	return out
}

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

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
