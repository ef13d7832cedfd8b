package authjwt

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode"
)

// Typed claims are decoded with encoding/json, which matches an object
// member to a struct field case-insensitively (with Unicode folding: "ſub"
// and "SUB" both fill `json:"sub"`) and lets the last match win. Every other
// accessor of a Token reads claims by their exact name, so a payload with
// "sub" and "SUB" would give Subject() one value and Decode another.
// exactCase removes, before encoding/json sees them, the members of every
// object decoded into a struct whose name is not exactly one of that
// struct's JSON field names. encoding/json ignores members that match no
// field, so only the case-insensitive matches change meaning.
//
// The walk follows the target type into struct fields, pointers, slices,
// arrays and map values; values decoded by an UnmarshalJSON or
// UnmarshalText method, and interface values (which decode to maps with
// exact keys), are left as they are. Exact duplicates are refused by the
// verifier at the top level; nested ones keep encoding/json's (and
// [Token.Claims]') rule, the last one wins, which RFC 7519 §4 allows.

// exactCase returns payload with the case-insensitive-only members of
// structs in t removed (payload itself when there are none).
func exactCase(payload []byte, t reflect.Type) ([]byte, error) {
	if !needsFilter(t) {
		return payload, nil
	}
	out, _, err := filterValue(payload, t)
	return out, err
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodesItself reports whether values of t are decoded by their own
// method rather than field by field.
func decodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler)
}

// filterCache caches needsFilter per type.
var filterCache sync.Map // reflect.Type -> bool

// needsFilter reports whether a value of type t can hold a struct decoded
// field by field, the only place case-insensitive matching happens.
func needsFilter(t reflect.Type) bool {
	if v, ok := filterCache.Load(t); ok {
		return v.(bool)
	}
	v := reaches(t, map[reflect.Type]bool{})
	filterCache.Store(t, v)
	return v
}

func reaches(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false // already being looked at, further up
	}
	seen[t] = true
	if decodesItself(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return reaches(t.Elem(), seen)
	}
	return false
}

// filterValue returns raw (one JSON value) filtered for decoding into t,
// and whether anything was removed.
func filterValue(raw []byte, t reflect.Type) ([]byte, bool, error) {
	for t.Kind() == reflect.Pointer && !decodesItself(t) {
		t = t.Elem()
	}
	if decodesItself(t) {
		return raw, false, nil
	}
	v := bytes.TrimLeft(raw, " \t\r\n")
	if len(v) == 0 {
		return raw, false, nil
	}
	switch {
	case t.Kind() == reflect.Struct && v[0] == '{':
		fields := structFields(t)
		return filterObject(raw, func(name string) (reflect.Type, bool) {
			ft, ok := fields[name]
			return ft, ok
		})
	case t.Kind() == reflect.Map && v[0] == '{' && needsFilter(t.Elem()):
		elem := t.Elem()
		return filterObject(raw, func(string) (reflect.Type, bool) { return elem, true })
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && v[0] == '[' && needsFilter(t.Elem()):
		return filterArray(raw, t.Elem())
	}
	return raw, false, nil
}

// filterObject rewrites a JSON object, keeping the members keep accepts
// (each filtered for the type it returns) in their order.
func filterObject(raw []byte, keep func(name string) (reflect.Type, bool)) ([]byte, bool, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	if _, err := d.Token(); err != nil { // '{'
		return nil, false, err
	}
	var out bytes.Buffer
	out.WriteByte('{')
	changed := false
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return nil, false, err
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, false, err
		}
		name, _ := k.(string)
		ft, ok := keep(name)
		if !ok {
			changed = true
			continue
		}
		fv, c, err := filterValue(v, ft)
		if err != nil {
			return nil, false, err
		}
		changed = changed || c
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		kb, err := json.Marshal(name)
		if err != nil {
			return nil, false, err
		}
		out.Write(kb)
		out.WriteByte(':')
		out.Write(fv)
	}
	if !changed {
		return raw, false, nil
	}
	out.WriteByte('}')
	return out.Bytes(), true, nil
}

// filterArray rewrites a JSON array, each element filtered for elem.
func filterArray(raw []byte, elem reflect.Type) ([]byte, bool, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, false, err
	}
	changed := false
	for i, v := range list {
		fv, c, err := filterValue(v, elem)
		if err != nil {
			return nil, false, err
		}
		list[i], changed = fv, changed || c
	}
	if !changed {
		return raw, false, nil
	}
	b, err := json.Marshal(list)
	return b, true, err
}

// fieldCache caches structFields per struct type.
var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// structFields returns the JSON names encoding/json decodes into for the
// struct type t, with each field's type: the fields' tag names or Go
// names, with the fields of untagged embedded structs promoted, and, for
// a name found more than once, encoding/json's choice (the shallowest;
// among equally shallow ones, the only tagged one, else none).
func structFields(t reflect.Type) map[string]reflect.Type {
	if v, ok := fieldCache.Load(t); ok {
		return v.(map[string]reflect.Type)
	}
	type cand struct {
		typ    reflect.Type
		depth  int
		tagged bool
	}
	cands := map[string][]cand{}
	type level struct {
		t     reflect.Type
		depth int
	}
	queue := []level{{t, 0}}
	visited := map[reflect.Type]bool{}
	for len(queue) > 0 {
		l := queue[0]
		queue = queue[1:]
		if visited[l.t] {
			continue
		}
		visited[l.t] = true
		for i := range l.t.NumField() {
			f := l.t.Field(i)
			ft := f.Type
			if f.Anonymous {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !f.IsExported() && ft.Kind() != reflect.Struct {
					continue
				}
			} else if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if name != "" && !validTagName(name) {
				// encoding/json versions disagree on such a field's
				// name (Go 1.26: the Go name; Go 1.27: a prefix of
				// the tag), so no member can be known to match it
				// exactly: the field is never filled.
				continue
			}
			if name == "" && f.Anonymous && ft.Kind() == reflect.Struct {
				queue = append(queue, level{ft, l.depth + 1})
				continue
			}
			tagged := name != ""
			if name == "" {
				name = f.Name
			}
			cands[name] = append(cands[name], cand{f.Type, l.depth, tagged})
		}
	}
	fields := map[string]reflect.Type{}
	for name, cs := range cands {
		minDepth := cs[0].depth
		for _, c := range cs {
			minDepth = min(minDepth, c.depth)
		}
		var top []cand
		for _, c := range cs {
			if c.depth == minDepth {
				top = append(top, c)
			}
		}
		if len(top) > 1 {
			var tagged []cand
			for _, c := range top {
				if c.tagged {
					tagged = append(tagged, c)
				}
			}
			top = tagged
		}
		if len(top) == 1 {
			fields[name] = top[0].typ
		}
	}
	v, _ := fieldCache.LoadOrStore(t, fields)
	return v.(map[string]reflect.Type)
}

// validTagName reports whether encoding/json accepts name as a field name
// in a tag (otherwise it uses the Go field name).
func validTagName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
