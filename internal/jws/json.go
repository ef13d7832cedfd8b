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
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false, ErrJSON
	}
	p.i++
	start := p.i
	b := p.b
	for {
		// Find the next quote, backslash or control character, eight
		// bytes at a time (SWAR), then byte by byte near the end.
		for p.i+8 <= len(b) {
			if m := specialMask(binary.LittleEndian.Uint64(b[p.i:])); m != 0 {
				p.i += bits.TrailingZeros64(m) >> 3
				goto special
			}
			p.i += 8
		}
		for p.i < len(b) && plain[b[p.i]] {
			p.i++
		}
		if p.i >= len(b) {
			return nil, false, ErrJSON
		}
	special:
		switch c := b[p.i]; {
		case c == '"':
			raw = b[start:p.i]
			p.i++
			return raw, esc, nil
		case c >= 0x80:
			// Non-ASCII: must be valid UTF-8 (checked here, inside strings,
			// the only place JSON allows such bytes).
			r, size := utf8.DecodeRune(b[p.i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, false, ErrJSON
			}
			p.i += size
		case c == '\\':
			esc = true
			p.i++
			if p.i >= len(b) {
				return nil, false, ErrJSON
			}
			switch b[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				if p.i+5 > len(b) {
					return nil, false, ErrJSON
				}
				for _, h := range b[p.i+1 : p.i+5] {
					if hexVal(h) < 0 {
						return nil, false, ErrJSON
					}
				}
				p.i += 5
			default:
				return nil, false, ErrJSON
			}
		default: // control character
			return nil, false, ErrJSON
		}
	}
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
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
			i++
		case 'b':
			out = append(out, '\b')
			i++
		case 'f':
			out = append(out, '\f')
			i++
		case 'n':
			out = append(out, '\n')
			i++
		case 'r':
			out = append(out, '\r')
			i++
		case 't':
			out = append(out, '\t')
			i++
		case 'u':
			r := rune(hex4(raw[i+1 : i+5]))
			i += 5
			if utf16.IsSurrogate(r) {
				if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
					return "", ErrJSON
				}
				r2 := rune(hex4(raw[i+2 : i+6]))
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", ErrJSON
				}
				i += 6
			}
			out = utf8.AppendRune(out, r)
		}
	}
	return string(out), nil
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
	var bit uint64
	if len(name) > 0 {
		bit = 1 << ((uint(len(name))*7 + uint(name[0]) + uint(name[len(name)-1])*3) & 63)
	}
	seen := d.mask&bit != 0 || len(name) == 0
	d.mask |= bit
	for _, sp := range d.spans[:d.nspans] {
		if !seen {
			break
		}
		if string(p.b[sp[0]:sp[1]]) == string(name) {
			return nil, false, ErrDuplicate
		}
	}
	for _, sp := range d.more {
		if !seen {
			break
		}
		if string(p.b[sp[0]:sp[1]]) == string(name) {
			return nil, false, ErrDuplicate
		}
	}
	for _, e := range d.escaped {
		if !seen {
			break
		}
		if e == string(name) {
			return nil, false, ErrDuplicate
		}
	}
	switch {
	case esc:
		d.escaped = append(d.escaped, string(name))
	case d.nspans < len(d.spans):
		d.spans[d.nspans] = [2]int32{int32(nameStart), int32(nameStart + len(name))}
		d.nspans++
	default:
		d.more = append(d.more, [2]int32{int32(nameStart), int32(nameStart + len(name))})
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

func (p *scanner) boolValue(typeErr error) (bool, error) {
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case 't':
			return true, p.lit("true")
		case 'f':
			return false, p.lit("false")
		}
	}
	if err := p.skip(0); err != nil {
		return false, err
	}
	return false, typeErr
}

// MaxNumericDate is the largest accepted NumericDate: 9999-12-31T23:59:59Z.
const MaxNumericDate = 253402300799

// numericDate reads a NumericDate (RFC 7519 §2): a non-negative JSON number
// of seconds, fractions truncated, at most MaxNumericDate.
func (p *scanner) numericDate() (int64, error) {
	b := p.b
	i := p.i
	// Fast path: a plain integer.
	var v int64
	j := i
	for j < len(b) && '0' <= b[j] && b[j] <= '9' && j-i < 13 {
		v = v*10 + int64(b[j]-'0')
		j++
	}
	if j > i && (j == len(b) || !isNumberByte(b[j])) && !(b[i] == '0' && j-i > 1) {
		if v > MaxNumericDate {
			return 0, ErrClaimType
		}
		p.i = j
		return v, nil
	}
	if p.i >= len(p.b) || !(p.b[p.i] == '-' || ('0' <= p.b[p.i] && p.b[p.i] <= '9')) {
		if err := p.skip(0); err != nil {
			return 0, err
		}
		return 0, ErrClaimType
	}
	num, err := p.number()
	if err != nil {
		return 0, err
	}
	if num[0] == '-' {
		return 0, ErrClaimType
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil || f < 0 || f > MaxNumericDate {
		return 0, ErrClaimType
	}
	return int64(f), nil
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}
