package adaptertest

import (
	"testing"

	"github.com/librenz/authjwt"
)

// TestReferenceAgainstItself runs the table with net/http on both sides:
// the table's statuses must hold for the library's own middleware, and
// Same must accept identical answers.
func TestReferenceAgainstItself(t *testing.T) {
	Run(t, Reference, Same)
}

func TestBodyForMismatch(t *testing.T) {
	f := NewFixture(t)
	tok, err := f.Auth.Verify(t.Context(), f.access, authjwt.Requirement{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := BodyFor(nil, tok); ok {
		t.Error("a token missing from the framework's context must be reported")
	}
	b, ok := BodyFor(tok, tok)
	if !ok || b.User == nil || *b.User != "alice" {
		t.Errorf("BodyFor(tok, tok) = %v, %v", b, ok)
	}
}

func TestDetail(t *testing.T) {
	if got := Detail([]byte(`{"detail":"x","code":"y"}`)); got != "x" {
		t.Errorf("Detail = %q", got)
	}
}
