package authjwt

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"
)

// errNotUTF8 is the cause of ErrInvalidTokenOption for a token whose
// claims or header would not be valid UTF-8 JSON.
var errNotUTF8 = errors.New("a claim or header value or name is not valid UTF-8 (RFC 8259 §8.1): the verifier would refuse the token")

// encodeError translates the encoder's refusals (through codecRefusals,
// the one table): the library never signs what its verifier refuses
// (invalid UTF-8 in any string it writes, JSON its codec does not take,
// such as nesting too deep). What is not a refusal is the signer's
// failure.
func encodeError(err error) error {
	e, ok := codecRefusals.Map(err)
	switch {
	case !ok: // the signer's failure, its own error inside
		if u := errors.Unwrap(err); u != nil {
			err = u
		}
		return fmt.Errorf("authjwt: signing: %w", err)
	case e == errNotUTF8Option:
		return e
	}
	return ErrInvalidTokenOption.with(fmt.Errorf("the claims or header would not parse (%w): the verifier would refuse the token", err), "")
}

// checkReplaced refuses values that encoding/json would silently alter:
// the strings the encoder writes itself are checked by it (invalid UTF-8
// is refused), but encoding/json, which writes the members of WithClaims
// and WithHeaders, replaces invalid UTF-8 with U+FFFD (the escape \ufffd
// up to Go 1.26, the character itself from Go 1.27), which would sign a
// value that is not the caller's. A U+FFFD in either form in members is
// therefore traced back to extra, the values encoded (in that rare case
// only): refused when one of their strings is invalid UTF-8, accepted
// when the U+FFFD was the caller's own (a json.RawMessage, say).
func checkReplaced(members []byte, extra any) error {
	if hasReplacement(members) && invalidUTF8In(reflect.ValueOf(extra), 0) {
		return ErrInvalidTokenOption.with(errNotUTF8, "")
	}
	return nil
}

// hasReplacement reports whether JSON text b holds U+FFFD, as the
// character or as the escape \ufffd (any case of hex digits).
// Backslashes occur only in strings, and each starts an escape, so
// skipping escapes as they come is exact.
func hasReplacement(b []byte) bool {
	if bytes.Contains(b, []byte(string(utf8.RuneError))) {
		return true
	}
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 || i+1 >= len(b) {
			return false
		}
		if b[i+1] == 'u' && i+6 <= len(b) && bytes.EqualFold(b[i+2:i+6], []byte("fffd")) {
			return true
		}
		b = b[i+2:]
	}
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// invalidUTF8In reports whether encoding/json, encoding v, would meet a
// string (or map key, or MarshalText result) that is not valid UTF-8.
// MarshalJSON results are not looked at: encoding/json copies them
// unchanged, so the encoder's UTF-8 check sees them.
func invalidUTF8In(v reflect.Value, depth int) bool {
	if depth > 64 || !v.IsValid() {
		return false
	}
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return false
		}
		if v.Type().Implements(jsonMarshaler) || v.Type().Implements(textMarshaler) {
			break
		}
		v = v.Elem()
	}
	t := v.Type()
	if t.Implements(jsonMarshaler) {
		return false
	}
	if t.Implements(textMarshaler) {
		if v.Kind() == reflect.Pointer && v.IsNil() || !v.CanInterface() {
			return false
		}
		text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		return err == nil && !utf8.Valid(text)
	}
	switch v.Kind() {
	case reflect.String:
		return !utf8.ValidString(v.String())
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if invalidUTF8In(it.Key(), depth+1) || invalidUTF8In(it.Value(), depth+1) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return false // base64
		}
		for i := range v.Len() {
			if invalidUTF8In(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := t.Field(i); f.IsExported() && f.Tag.Get("json") != "-" || f.Anonymous {
				if invalidUTF8In(v.Field(i), depth+1) {
					return true
				}
			}
		}
	}
	return false
}
