package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonObject is a JSON object decoded with exact, case-sensitive member
// names. encoding/json alone would match "KTY" to a field tagged "kty" and
// let a duplicate member silently win; both are ambiguities an attacker can
// use to make two parsers see different keys.
type jsonObject map[string]json.RawMessage

// decodeObject decodes data as exactly one JSON object, refusing duplicate
// member names and trailing data.
func decodeObject(data []byte) (jsonObject, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("authjwt: not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("authjwt: JSON value is not an object")
	}
	obj := make(jsonObject)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("authjwt: bad JSON object: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, errors.New("authjwt: bad JSON object member name")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("authjwt: bad JSON value for %q: %w", name, err)
		}
		if _, dup := obj[name]; dup {
			return nil, fmt.Errorf("authjwt: duplicate JSON member %q", name)
		}
		obj[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("authjwt: bad JSON object: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("authjwt: trailing data after JSON object")
	}
	return obj, nil
}

// str returns the string member name, "" and false if absent, or an error if
// present but not a JSON string.
func (o jsonObject) str(name string) (string, bool, error) {
	raw, ok := o[name]
	if !ok {
		return "", false, nil
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' {
		return "", false, fmt.Errorf("authjwt: JWK member %q is not a string", name)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("authjwt: JWK member %q: %w", name, err)
	}
	return s, true, nil
}

// strs returns the string-array member name, or nil if absent.
func (o jsonObject) strs(name string) ([]string, bool, error) {
	raw, ok := o[name]
	if !ok {
		return nil, false, nil
	}
	var s []string
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false, fmt.Errorf("authjwt: JWK member %q is not an array", name)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, false, fmt.Errorf("authjwt: JWK member %q is not an array of strings", name)
	}
	return s, true, nil
}
