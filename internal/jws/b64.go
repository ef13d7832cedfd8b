// Package jws is authjwt's compact JWS codec: strict splitting, canonical
// base64url, a small JSON scanner for the JOSE header and the registered
// claims, and the signature algorithms over the standard library's crypto.
// It is built for the verification hot path: no reflection, no maps, and
// no allocation beyond the decoded payload.
package jws

import (
	"encoding/binary"
	"errors"
)

// Errors returned by the codec. The root package maps them to its API errors.
var (
	ErrSegments   = errors.New("not enough segments or too many segments")
	ErrEmpty      = errors.New("empty segment")
	ErrUnsigned   = errors.New("empty signature segment")
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

// Decoding tables: for each input byte, its 6-bit value already placed
// where it lands in the three output bytes of a quantum (the little-endian
// 32-bit word b0 | b1<<8 | b2<<16), one table per position in the
// quantum; bytes outside the alphabet (padding, whitespace, line breaks,
// '+' and '/') carry badBit instead. A quantum is then four loads and three
// ORs, and validity one OR per quantum, checked once at the end.
const badBit = 1 << 31

var dec0, dec1, dec2, dec3 = func() (t0, t1, t2, t3 [256]uint32) {
	for c := range 256 {
		v := uint32(decodeMap[c])
		if v == invalid {
			t0[c], t1[c], t2[c], t3[c] = badBit, badBit, badBit, badBit
			continue
		}
		t0[c] = v << 2                // b0 bits 7-2
		t1[c] = v>>4 | (v&0xf)<<12    // b0 bits 1-0, b1 bits 7-4
		t2[c] = (v>>2)<<8 | (v&3)<<22 // b1 bits 3-0, b2 bits 7-6
		t3[c] = v << 16               // b2 bits 5-0
	}
	return
}()

// Decode decodes the unpadded, canonical base64url string s into dst, which
// must have room for DecodedLen(len(s)) bytes. Padding, whitespace, line
// breaks, characters outside the URL-safe alphabet and non-zero trailing
// bits are all refused: every token has exactly one accepted spelling.
// (FuzzDecode checks it against encoding/base64's strict decoder.)
func Decode(dst []byte, s string) (int, error) {
	n := DecodedLen(len(s))
	if n < 0 || len(dst) < n {
		return 0, ErrBase64
	}
	var bad uint32
	i, o := 0, 0
	// Two quanta per iteration, one 8-byte store (6 bytes of output, 2
	// overwritten next), while dst has room for the overrun.
	for ; i+8 <= len(s) && o+8 <= len(dst); i, o = i+8, o+6 {
		q := s[i : i+8]
		x := dec0[q[0]] | dec1[q[1]] | dec2[q[2]] | dec3[q[3]]
		y := dec0[q[4]] | dec1[q[5]] | dec2[q[6]] | dec3[q[7]]
		bad |= x | y
		binary.LittleEndian.PutUint64(dst[o:], uint64(x&0xffffff)|uint64(y&0xffffff)<<24)
	}
	for ; i+4 <= len(s); i, o = i+4, o+3 {
		q := s[i : i+4]
		x := dec0[q[0]] | dec1[q[1]] | dec2[q[2]] | dec3[q[3]]
		bad |= x
		d := dst[o : o+3]
		d[0], d[1], d[2] = byte(x), byte(x>>8), byte(x>>16)
	}
	// The last, partial quantum: its unused trailing bits must be zero
	// (RFC 4648 §3.5; otherwise one token would have several spellings).
	var trail uint32
	switch len(s) - i {
	case 2:
		x := dec0[s[i]] | dec1[s[i+1]]
		bad |= x
		trail = x >> 8 & 0xff // what would be b1
		dst[o] = byte(x)
		o++
	case 3:
		x := dec0[s[i]] | dec1[s[i+1]] | dec2[s[i+2]]
		bad |= x
		trail = x >> 16 & 0xff // what would be b2
		dst[o], dst[o+1] = byte(x), byte(x>>8)
		o += 2
	}
	if bad&badBit != 0 || trail != 0 {
		return 0, ErrBase64
	}
	return o, nil
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
