// Package api is a fixture for doccheck: each undocumented exported name
// here is listed in doccheck_test.go.
package api

func Undocumented() {}

// Documented has a doc comment.
func Documented() {}

func unexported() {}

// T is documented.
type T struct {
	Field int
	// DocField is documented.
	DocField int
	Trailing int // Trailing has a line comment.
	hidden   int
}

func (T) Method() {}

func (*T) PtrMethod() {}

// G is a generic type.
type G[K comparable, V any] struct{}

func (G[K, V]) GenericMethod() {}

type u struct{}

func (u) Exported() {}

// Doc on the declaration counts for a single type.
type Single int

// Doc on a group does not count for its types.
type (
	Grouped int
	// OwnDoc is documented.
	OwnDoc int
)

// Doc on a group of values counts for every value.
const (
	A = 1
	B = 2
)

var V = 1

var (
	W = 2 // W has a line comment.
	x = 3
)

// I is documented.
type I interface {
	M()
	// N is documented.
	N()
}

var _ = unexported
var _ = x
