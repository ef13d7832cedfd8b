// Package jws is authjwt's compact JWS codec: strict splitting, canonical
// base64url, a small JSON scanner for the JOSE header and the registered
// claims, and the signature algorithms over the standard library's crypto.
// It is built for the verification hot path: no reflection, no maps, and
// no allocation beyond the decoded payload.
package jws

import (
	"encoding/base64"
	"errors"
)

// Errors returned by the codec. The root package maps them to its API errors.
var (
	ErrSegments   = errors.New("not enough segments or too many segments")
	ErrEmpty      = errors.New("empty segment")
	ErrBase64     = errors.New("invalid base64url encoding")
	ErrTooLarge   = errors.New("token too large")
	ErrJSON       = errors.New("invalid JSON")
	ErrNotObject  = errors.New("JSON value is not an object")
	ErrDuplicate  = errors.New("duplicate JSON member")
	ErrDepth      = errors.New("JSON nesting too deep")
	ErrClaimType  = errors.New("claim has the wrong type")
	ErrHeaderType = errors.New("header member has the wrong type")
)

const invalid = 0xff

// decodeMap maps base64url characters to their 6-bit value; other bytes map to invalid.
var decodeMap = func() (m [256]byte) {
	for i := range m {
		m[i] = invalid
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		m[alphabet[i]] = byte(i)
	}
	return m
}()

// DecodedLen returns the decoded length of an unpadded base64url string of
// length n, or -1 when no canonical encoding has that length.
func DecodedLen(n int) int {
	if n%4 == 1 {
		return -1
	}
	return n/4*3 + (n%4*6)/8
}

// strict is the standard library's unpadded base64url decoder in strict
// mode (non-zero trailing bits refused). It skips '\r' and '\n', which
// Decode refuses by their effect on the decoded length.
var strict = base64.RawURLEncoding.Strict()

// Decode decodes the unpadded, canonical base64url string s into dst, which
// must have room for DecodedLen(len(s)) bytes. Padding, whitespace, line
// breaks, characters outside the URL-safe alphabet and non-zero trailing
// bits are all refused: every token has exactly one accepted spelling.
func Decode(dst []byte, s string) (int, error) {
	want := DecodedLen(len(s))
	if want < 0 {
		return 0, ErrBase64
	}
	n, err := strict.Decode(dst, readOnly(s))
	// The standard decoder skips line breaks. Skipping k > 0 of them
	// leaves len(s)-k characters, which decode (if at all) to fewer bytes
	// than DecodedLen(len(s)): over the lengths that can be decoded
	// (not 1 mod 4) DecodedLen is strictly increasing. So a full-length
	// result proves there was no line break, without scanning s for one.
	if err != nil || n != want {
		return 0, ErrBase64
	}
	return n, nil
}

const encodeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// EncodedLen returns the length of the unpadded base64url encoding of n bytes.
func EncodedLen(n int) int { return n/3*4 + (n%3*8+5)/6 }

// AppendEncode appends the unpadded base64url encoding of src to dst.
func AppendEncode(dst, src []byte) []byte {
	n := len(src)
	i := 0
	for ; i+3 <= n; i += 3 {
		v := uint32(src[i])<<16 | uint32(src[i+1])<<8 | uint32(src[i+2])
		dst = append(dst, encodeAlphabet[v>>18&0x3f], encodeAlphabet[v>>12&0x3f], encodeAlphabet[v>>6&0x3f], encodeAlphabet[v&0x3f])
	}
	switch n - i {
	case 1:
		v := uint32(src[i]) << 16
		dst = append(dst, encodeAlphabet[v>>18&0x3f], encodeAlphabet[v>>12&0x3f])
	case 2:
		v := uint32(src[i])<<16 | uint32(src[i+1])<<8
		dst = append(dst, encodeAlphabet[v>>18&0x3f], encodeAlphabet[v>>12&0x3f], encodeAlphabet[v>>6&0x3f])
	}
	return dst
}
