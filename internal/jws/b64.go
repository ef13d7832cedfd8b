// Package jws is authjwt's compact JWS codec: strict splitting, canonical
// base64url, a small JSON scanner for the JOSE header and the registered
// claims, and the signature algorithms over the standard library's crypto.
// It is built for the verification hot path: no reflection, no maps, and
// no allocation beyond the decoded payload.
package jws

import "errors"

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

// Decode decodes the unpadded, canonical base64url string s into dst, which
// must have room for DecodedLen(len(s)) bytes. Padding, whitespace, line
// breaks, characters outside the URL-safe alphabet and non-zero trailing
// bits are all refused: every token has exactly one accepted spelling.
func Decode(dst []byte, s string) (int, error) {
	n := len(s)
	if n%4 == 1 {
		return 0, ErrBase64
	}
	di := 0
	si := 0
	for ; si+4 <= n; si += 4 {
		a, b, c, d := decodeMap[s[si]], decodeMap[s[si+1]], decodeMap[s[si+2]], decodeMap[s[si+3]]
		if (a|b|c|d)&0xc0 != 0 { // invalid (0xff) has the top bits set
			return 0, ErrBase64
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[di] = byte(v >> 16)
		dst[di+1] = byte(v >> 8)
		dst[di+2] = byte(v)
		di += 3
	}
	switch n - si {
	case 2:
		a, b := decodeMap[s[si]], decodeMap[s[si+1]]
		if (a|b)&0xc0 != 0 || b&0x0f != 0 {
			return 0, ErrBase64
		}
		dst[di] = a<<2 | b>>4
		di++
	case 3:
		a, b, c := decodeMap[s[si]], decodeMap[s[si+1]], decodeMap[s[si+2]]
		if (a|b|c)&0xc0 != 0 || c&0x03 != 0 {
			return 0, ErrBase64
		}
		dst[di] = a<<2 | b>>4
		dst[di+1] = b<<4 | c>>2
		di += 2
	}
	return di, nil
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
