package jws

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of JSON values inside a header or payload.
const MaxDepth = 32

// scanner is a strict, validating JSON reader over a byte slice. It only
// reports spans; callers decide what to keep.
type scanner struct {
	b       []byte
	i       int
	members int
}

// dupSet records the member names seen in an object, for duplicate
// detection: spans of the input for names without escapes, strings for the
// others. It is kept apart from the scanner (and holds spans, not slices)
// so that the input can stay on the caller's stack.
type dupSet struct {
	mask    uint64 // bit per (length, first byte) seen: most names need no comparison
	spans   [16][2]int32
	nspans  int
	more    [][2]int32
	escaped []string
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *scanner) ws() {
	if p.i < len(p.b) && p.b[p.i] > ' ' {
		return // the common case: compact JSON
	}
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

// str reads a JSON string at p.i; it returns the raw contents (without the
// quotes) and whether they contain escapes.
func (p *scanner) str() (raw []byte, esc bool, err error) {
	raw, esc, p.i, err = strAt(p.b, p.i)
	return raw, esc, err
}

// strAt reads the JSON string that starts at b[i] (a quote); it returns the
// raw contents (without the quotes), whether they contain escapes, and the
// index after the closing quote.
func strAt(b []byte, i int) (raw []byte, esc bool, next int, err error) {
	if i >= len(b) || b[i] != '"' {
		return nil, false, i, ErrJSON
	}
	i++
	start := i
	for {
		// Find the next quote, backslash, control character or non-ASCII
		// byte, eight bytes at a time, then byte by byte near the end.
		i = skipPlain8(b, i)
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return nil, false, i, ErrJSON
		}
		switch c := b[i]; {
		case c == '"':
			return b[start:i], esc, i + 1, nil
		case c >= 0x80:
			// Non-ASCII: must be valid UTF-8 (checked here, inside strings,
			// the only place JSON allows such bytes).
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, false, i, ErrJSON
			}
			i += size
		case c == '\\':
			esc = true
			i++
			if i >= len(b) {
				return nil, false, i, ErrJSON
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+5 > len(b) {
					return nil, false, i, ErrJSON
				}
				for _, h := range b[i+1 : i+5] {
					if hexVal(h) < 0 {
						return nil, false, i, ErrJSON
					}
				}
				i += 5
			default:
				return nil, false, i, ErrJSON
			}
		default: // control character
			return nil, false, i, ErrJSON
		}
	}
}

// skipPlain8 advances j over whole eight-byte words of plain string bytes
// (see specialMask) and returns the index of the first special byte, or of
// the first byte of a word that would run past the end of b. Every byte
// before the returned index is plain.
func skipPlain8(b []byte, j int) int {
	for j+8 <= len(b) {
		if m := specialMask(binary.LittleEndian.Uint64(b[j:])); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	return j
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// specialMask flags (in the top bit of each byte) the bytes of w that are a
// quote, a backslash, below 0x20 or non-ASCII (>= 0x80, validated as UTF-8
// by the caller). The lowest flagged byte is exact (higher ones may be false positives from borrows,
// which is why only the lowest is used).
func specialMask(w uint64) uint64 {
	q := w ^ (lsb * '"')
	bs := w ^ (lsb * '\\')
	return ((w-lsb*0x20)&^w | (q-lsb)&^q | (bs-lsb)&^bs | w) & msb
}

// plain marks the ASCII bytes a JSON string may hold as they are: all but
// the quote, the backslash and control characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// unescape decodes the contents of a JSON string that contains escapes.
// Unpaired surrogates are refused.
func unescape(raw []byte) (string, error) {
	if err := checkEscapes(raw); err != nil {
		return "", err
	}
	out := make([]byte, len(raw))
	return bstr(out[:unescapeTo(out, raw)]), nil
}

// unescapeTo decodes raw, the contents of a JSON string whose escapes
// strAt and checkEscapes accepted, into dst and returns the length written.
// The result is never longer than raw: len(dst) >= len(raw) is enough.
func unescapeTo(dst, raw []byte) int {
	n := 0
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			dst[n] = c
			n++
			i++
			continue
		}
		i++
		switch c = raw[i]; c {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			r := rune(hex4(raw[i+1 : i+5]))
			i += 5
			if utf16.IsSurrogate(r) {
				r = utf16.DecodeRune(r, rune(hex4(raw[i+2:i+6])))
				i += 6
			}
			n += utf8.EncodeRune(dst[n:], r)
			continue
		}
		// '"', '\\' and '/' stand for themselves.
		dst[n] = c
		n++
		i++
	}
	return n
}

func hex4(b []byte) int {
	return hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3])
}

// number reads a JSON number and returns its text.
func (p *scanner) number() ([]byte, error) {
	start := p.i
	b := p.b
	if p.i < len(b) && b[p.i] == '-' {
		p.i++
	}
	if p.i >= len(b) {
		return nil, ErrJSON
	}
	if b[p.i] == '0' {
		p.i++
	} else if '1' <= b[p.i] && b[p.i] <= '9' {
		for p.i < len(b) && '0' <= b[p.i] && b[p.i] <= '9' {
			p.i++
		}
	} else {
		return nil, ErrJSON
	}
	if p.i < len(b) && b[p.i] == '.' {
		p.i++
		d := p.i
		for p.i < len(b) && '0' <= b[p.i] && b[p.i] <= '9' {
			p.i++
		}
		if p.i == d {
			return nil, ErrJSON
		}
	}
	if p.i < len(b) && (b[p.i] == 'e' || b[p.i] == 'E') {
		p.i++
		if p.i < len(b) && (b[p.i] == '+' || b[p.i] == '-') {
			p.i++
		}
		d := p.i
		for p.i < len(b) && '0' <= b[p.i] && b[p.i] <= '9' {
			p.i++
		}
		if p.i == d {
			return nil, ErrJSON
		}
	}
	return b[start:p.i], nil
}

func (p *scanner) lit(s string) error {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return ErrJSON
	}
	p.i += len(s)
	return nil
}

// skip validates and skips one JSON value.
func (p *scanner) skip(depth int) error {
	if depth > MaxDepth {
		return ErrDepth
	}
	p.ws()
	if p.i >= len(p.b) {
		return ErrJSON
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, _, err := p.str()
		return err
	case c == '{':
		p.i++
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return nil
		}
		for {
			p.ws()
			if _, _, err := p.str(); err != nil {
				return err
			}
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return ErrJSON
			}
			p.i++
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.i >= len(p.b) {
				return ErrJSON
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] == '}' {
				p.i++
				return nil
			}
			return ErrJSON
		}
	case c == '[':
		p.i++
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return nil
		}
		for {
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.i >= len(p.b) {
				return ErrJSON
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] == ']' {
				p.i++
				return nil
			}
			return ErrJSON
		}
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	case c == '-' || ('0' <= c && c <= '9'):
		_, err := p.number()
		return err
	}
	return ErrJSON
}

// openObject starts reading a top-level JSON object. Read its members with
// nextMember.
func (p *scanner) openObject() error {
	// No whole-input UTF-8 pass: outside strings every byte must be ASCII
	// JSON syntax, and str validates non-ASCII bytes inside strings.
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return ErrNotObject
	}
	p.i++
	p.members = 0
	return nil
}

// nextMember reads the next member name of the object opened with
// openObject and positions p at its value, which the caller must consume
// (with p.skip or a typed reader). done is true after the closing brace and
// the end of input. Duplicate member names are refused, compared after
// unescaping.
func (p *scanner) nextMember(d *dupSet) (name []byte, done bool, err error) {
	p.ws()
	if p.members == 0 {
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return nil, true, p.end()
		}
	} else {
		if p.i >= len(p.b) {
			return nil, false, ErrJSON
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			p.ws()
		case '}':
			p.i++
			return nil, true, p.end()
		default:
			return nil, false, ErrJSON
		}
	}
	nameStart := p.i + 1
	name, esc, err := p.str()
	if err != nil {
		return nil, false, err
	}
	if esc {
		u, err := unescape(name)
		if err != nil {
			return nil, false, err
		}
		name = []byte(u)
	}
	if err := d.add(p.b, nameStart, name, esc); err != nil {
		return nil, false, err
	}
	p.members++
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != ':' {
		return nil, false, ErrJSON
	}
	p.i++
	p.ws()
	return name, false, nil
}

// add records the member name of an object, refusing one seen before.
// name is the unescaped name; when esc is false it is the span of b that
// starts at start.
func (d *dupSet) add(b []byte, start int, name []byte, esc bool) error {
	var bit uint64
	if len(name) > 0 {
		bit = 1 << ((uint(len(name))*7 + uint(name[0]) + uint(name[len(name)-1])*3) & 63)
	}
	if d.mask&bit != 0 || len(name) == 0 {
		for _, sp := range d.spans[:d.nspans] {
			if string(b[sp[0]:sp[1]]) == string(name) {
				return ErrDuplicate
			}
		}
		for _, sp := range d.more {
			if string(b[sp[0]:sp[1]]) == string(name) {
				return ErrDuplicate
			}
		}
		for _, e := range d.escaped {
			if e == string(name) {
				return ErrDuplicate
			}
		}
	}
	d.mask |= bit
	switch {
	case esc:
		d.escaped = append(d.escaped, string(name))
	case d.nspans < len(d.spans):
		d.spans[d.nspans] = [2]int32{int32(start), int32(start + len(name))}
		d.nspans++
	default:
		d.more = append(d.more, [2]int32{int32(start), int32(start + len(name))})
	}
	return nil
}

func (p *scanner) end() error {
	p.ws()
	if p.i != len(p.b) {
		return ErrJSON
	}
	return nil
}

// stringValue reads a string value; the result aliases p.b when it has no
// escapes (callers that keep it must own p.b).
func (p *scanner) stringValue(typeErr error) ([]byte, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		if err := p.skip(0); err != nil {
			return nil, err
		}
		return nil, typeErr
	}
	raw, esc, err := p.str()
	if err != nil {
		return nil, err
	}
	if esc {
		u, err := unescape(raw)
		if err != nil {
			return nil, err
		}
		return []byte(u), nil
	}
	return raw, nil
}

// MaxNumericDate is the largest accepted NumericDate: 9999-12-31T23:59:59Z.
const MaxNumericDate = 253402300799

// dateAt reads the NumericDate (RFC 7519 §2: a non-negative JSON number of
// seconds, fractions truncated, at most MaxNumericDate) that starts at b[i]
// and returns it with the index after it.
func dateAt(b []byte, i int) (int64, int, error) {
	// Fast path: a plain integer, its first eight digits at once (SWAR:
	// check that all eight bytes are digits, then combine them pairwise).
	var v int64
	j := i
	if i+8 <= len(b) {
		if w := binary.LittleEndian.Uint64(b[i:]); eightDigits(w) {
			v, j = int64(parseEight(w)), i+8
		}
	}
	for j < len(b) && '0' <= b[j] && b[j] <= '9' && j-i < 13 {
		v = v*10 + int64(b[j]-'0')
		j++
	}
	if j > i && (j == len(b) || !isNumberByte(b[j])) && !(b[i] == '0' && j-i > 1) {
		if v > MaxNumericDate {
			return 0, j, ErrClaimType
		}
		return v, j, nil
	}
	p := scanner{b: b, i: i}
	if i >= len(b) || !(b[i] == '-' || ('0' <= b[i] && b[i] <= '9')) {
		if err := p.skip(0); err != nil {
			return 0, p.i, err
		}
		return 0, p.i, ErrClaimType
	}
	num, err := p.number()
	if err != nil {
		return 0, p.i, err
	}
	if num[0] == '-' {
		return 0, p.i, ErrClaimType
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil || f < 0 || f > MaxNumericDate {
		return 0, p.i, ErrClaimType
	}
	return int64(f), p.i, nil
}

// dateMilliAt is dateAt in milliseconds, for "iat", which authjwt issues
// with a millisecond fraction (1764633600.123) so that a subject's
// revocation cutoff can tell a token issued just after it from one issued
// just before. A plain decimal fraction is read digit by digit, exactly,
// and truncated to milliseconds; an exponent form goes through float64
// (truncated too, so it can only come out earlier, never later).
func dateMilliAt(b []byte, i int) (int64, int, error) {
	sec, j, err := dateAt(b, i)
	if err != nil {
		return 0, j, err
	}
	num := b[i:j]
	ms := sec * 1000
	dot, exp := -1, false
	for k, c := range num {
		switch c {
		case '.':
			dot = k
		case 'e', 'E':
			exp = true
		}
	}
	switch {
	case exp:
		f, err := strconv.ParseFloat(string(num), 64)
		if err != nil {
			return 0, j, ErrClaimType
		}
		ms = int64(f * 1000)
		if ms/1000 != sec { // float rounding crossed a second: keep dateAt's
			ms = sec * 1000
		}
	case dot >= 0:
		scale := int64(100)
		for _, c := range num[dot+1:] {
			if scale == 0 {
				break
			}
			ms += int64(c-'0') * scale
			scale /= 10
		}
	}
	return ms, j, nil
}

// eightDigits reports whether the eight bytes of w (little endian) are all
// ASCII digits: each byte's high nibble is 3, and adding 6 does not carry
// it past 3 (so the low nibble is at most 9).
func eightDigits(w uint64) bool {
	return w&0xf0f0f0f0f0f0f0f0|(w+0x0606060606060606)&0xf0f0f0f0f0f0f0f0>>4 == 0x3333333333333333
}

// parseEight returns the value of the eight ASCII digits in w, the first
// digit in the lowest byte: pairs, then quads, then the eight, each step
// one multiply (10, 100 and 10000 as the high factor).
func parseEight(w uint64) uint64 {
	w = (w & 0x0f0f0f0f0f0f0f0f) * (10<<8 + 1) >> 8
	w = (w & 0x00ff00ff00ff00ff) * (100<<16 + 1) >> 16
	return (w & 0x0000ffff0000ffff) * (10000<<32 + 1) >> 32
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}
