package keys

import (
	"encoding/json"
	"errors"
	"fmt"
)

// DefaultMaxKeys is the key limit [ParseJWKS] applies when given maxKeys <= 0.
const DefaultMaxKeys = 100

// JWKS is a JSON Web Key Set (RFC 7517 §5) of public keys.
type JWKS struct {
	Keys []JWK `json:"keys"` // the "keys" member
}

// JWKError describes one JWK that [ParseJWKS] skipped.
type JWKError struct {
	Index int    // position in the "keys" array
	KID   string // the JWK's kid, if it had a readable one
	Err   error  // why it was skipped
}

// Error implements error.
func (e *JWKError) Error() string {
	return fmt.Sprintf("authjwt: JWKS key %d (kid %q) skipped: %s", e.Index, e.KID, prefixless{e.Err}.Error())
}

// Unwrap returns the underlying error.
func (e *JWKError) Unwrap() error { return e.Err }

// ParseJWKS parses a JWK Set, keeping every key that [ParseJWK] accepts and
// reporting each other one in skipped (as a *[JWKError]). Keys sharing a kid
// are all skipped: which one a token means would be ambiguous. err is set,
// and keys is nil, only when data is not a JSON object with a "keys" array,
// or when that array holds more than maxKeys entries (<= 0 means
// [DefaultMaxKeys]).
func ParseJWKS(data []byte, maxKeys int) (keys []Key, skipped []error, err error) {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	obj, err := decodeObject(data)
	if err != nil {
		return nil, nil, fmt.Errorf("authjwt: not a JWK Set: %w", prefixless{err})
	}
	raw, ok := obj["keys"]
	if !ok {
		return nil, nil, errors.New("authjwt: not a JWK Set: no \"keys\" member")
	}
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return nil, nil, errors.New("authjwt: not a JWK Set: \"keys\" is not an array")
	}
	if len(list) > maxKeys {
		return nil, nil, fmt.Errorf("authjwt: JWK Set holds %d keys; at most %d are accepted", len(list), maxKeys)
	}
	type entry struct {
		idx int
		key Key
	}
	parsed := make([]entry, 0, len(list))
	kidCount := make(map[string]int, len(list))
	for i, r := range list {
		o, err := decodeObject(r)
		var k Key
		if err == nil {
			k, err = parseJWKObject(o)
		}
		if err != nil {
			kid, _, _ := o.str("kid")
			skipped = append(skipped, &JWKError{Index: i, KID: kid, Err: err})
			continue
		}
		kidCount[k.KID]++
		parsed = append(parsed, entry{i, k})
	}
	for _, e := range parsed {
		if e.key.KID != "" && kidCount[e.key.KID] > 1 {
			skipped = append(skipped, &JWKError{Index: e.idx, KID: e.key.KID, Err: errors.New("duplicate kid")})
			continue
		}
		keys = append(keys, e.key)
	}
	return keys, skipped, nil
}

// PublicJWKS returns the JWK Set of the public keys among list, skipping
// HMAC keys and keys without public material. It never includes private or
// symmetric material. The result always has a non-nil Keys slice.
func PublicJWKS(list []Key) (JWKS, error) {
	out := JWKS{Keys: make([]JWK, 0, len(list))}
	for _, k := range list {
		if k.Secret != nil || (k.Public == nil && k.Signer == nil) {
			continue
		}
		j, err := PublicJWK(k)
		if err != nil {
			return JWKS{}, err
		}
		out.Keys = append(out.Keys, j)
	}
	return out, nil
}
