package authjwt

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

var updateEnvTable = flag.Bool("update", false, "rewrite the tables of AUTHJWT_* variables in env.go and README.md from envVars")

// The table of variables in README.md sits between these markers.
const (
	readmeTableBegin = "<!-- BEGIN env-table: generated from envVars (env.go) by `go test -run TestEnvTableUpToDate -update` -->"
	readmeTableEnd   = "<!-- END env-table -->"
)

// TestEnvTableUpToDate keeps the two tables of AUTHJWT_* variables, in
// the documentation of ConfigFromEnv and in README.md, equal to the one
// list of variables, envVars, from which they are generated: a variable
// added, renamed or described differently there fails this test until
// `go test -run TestEnvTableUpToDate -update` rewrites both tables.
func TestEnvTableUpToDate(t *testing.T) {
	for _, v := range envVars {
		if v.form == "" || v.def == "" || v.meaning == "" {
			t.Errorf("AUTHJWT_%s: no row for the table of variables (describe it in envVars)", v.name)
		}
	}

	// The doc comment of ConfigFromEnv.
	src, err := os.ReadFile("env.go")
	if err != nil {
		t.Fatal(err)
	}
	want := envDocTable()
	doc, err := configFromEnvDoc(src)
	if err != nil {
		t.Fatal(err)
	}
	got := docTableOf(doc)
	if got != docTextOf(want) {
		if *updateEnvTable {
			out, err := replaceDocTable(string(src), want)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile("env.go", []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("env.go: table of variables rewritten")
		} else {
			t.Errorf("the table of variables in the documentation of ConfigFromEnv differs from envVars; run go test -run TestEnvTableUpToDate -update\ngot:\n%s\nwant:\n%s", got, docTextOf(want))
		}
	}

	// README.md.
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(readme), readmeTableBegin+"\n")
	table, after, ok2 := strings.Cut(rest, readmeTableEnd)
	if !ok || !ok2 {
		t.Fatalf("README.md: no table of variables between %q and %q", readmeTableBegin, readmeTableEnd)
	}
	if wantMD := readmeTable(); table != wantMD {
		if *updateEnvTable {
			out := before + readmeTableBegin + "\n" + wantMD + readmeTableEnd + after
			if err := os.WriteFile("README.md", []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("README.md: table of variables rewritten")
		} else {
			t.Errorf("the table of variables in README.md differs from envVars; run go test -run TestEnvTableUpToDate -update\ngot:\n%s\nwant:\n%s", table, wantMD)
		}
	}
}

// envDocTable renders envVars as the comment lines of the table in the
// documentation of ConfigFromEnv, one "//\t" line a row.
func envDocTable() []string {
	rows := [][]string{{"NAME", "TYPE", "DEFAULT", "FIELD", "MEANING"}}
	for _, v := range envVars {
		rows = append(rows, []string{v.name, v.form, v.def, v.field, strings.ReplaceAll(v.meaning, "`", "")})
	}
	var width [4]int
	for _, r := range rows {
		for i := range width {
			width[i] = max(width[i], len(r[i]))
		}
	}
	lines := make([]string, len(rows))
	for n, r := range rows {
		var b strings.Builder
		b.WriteString("//\t")
		for i := range width {
			fmt.Fprintf(&b, "%-*s  ", width[i], r[i])
		}
		b.WriteString(r[4])
		lines[n] = b.String()
	}
	return lines
}

// readmeTable renders envVars as the Markdown table of README.md.
func readmeTable() string {
	var b strings.Builder
	b.WriteString("| Variable | Type | Default | Config field | Meaning |\n|---|---|---|---|---|\n")
	for _, v := range envVars {
		def := v.def
		// Values in code font; a default that is a description
		// ("from PRIVATE_KEY", "RFC 7638 thumbprint") or none in text.
		if def != "none" && (!strings.Contains(def, " ") || def[0] >= '0' && def[0] <= '9') {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s%s` | %s | %s | `%s` | %s |\n", envPrefix, v.name, v.form, def, v.field,
			strings.ReplaceAll(v.meaning, "|", `\|`))
	}
	return b.String()
}

// configFromEnvDoc returns the text of ConfigFromEnv's doc comment.
func configFromEnvDoc(src []byte) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "env.go", src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "ConfigFromEnv" && fd.Doc != nil {
			return fd.Doc.Text(), nil
		}
	}
	return "", fmt.Errorf("env.go: ConfigFromEnv has no doc comment")
}

// docTableOf returns the table in a doc comment's text: the lines from
// the one starting "\tNAME " to the last indented line after it.
func docTableOf(doc string) string {
	var out []string
	for _, l := range strings.Split(doc, "\n") {
		switch {
		case len(out) == 0 && strings.HasPrefix(l, "\tNAME "):
			out = append(out, l)
		case len(out) > 0 && strings.HasPrefix(l, "\t"):
			out = append(out, l)
		case len(out) > 0:
			return strings.Join(out, "\n")
		}
	}
	return strings.Join(out, "\n")
}

// docTextOf returns comment lines as the doc comment's text shows them.
func docTextOf(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimPrefix(l, "//")
	}
	return strings.Join(out, "\n")
}

// replaceDocTable replaces the table's comment lines in env.go's source.
func replaceDocTable(src string, table []string) (string, error) {
	lines := strings.Split(src, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "//\tNAME ") {
			start = i
			break
		}
	}
	if start < 0 {
		return "", fmt.Errorf("env.go: no table of variables (a comment line starting \"//\\tNAME \")")
	}
	end := start + 1
	for end < len(lines) && strings.HasPrefix(lines[end], "//\t") {
		end++
	}
	out := append(append(append([]string{}, lines[:start]...), table...), lines[end:]...)
	return strings.Join(out, "\n"), nil
}
