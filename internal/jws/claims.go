package jws

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Registered and library claim names.
const (
	ClaimSub   = "sub"
	ClaimIss   = "iss"
	ClaimAud   = "aud"
	ClaimExp   = "exp"
	ClaimNbf   = "nbf"
	ClaimIat   = "iat"
	ClaimJti   = "jti"
	ClaimFresh = "fresh"
	ClaimCSRF  = "csrf"
	ClaimAid   = "aid"
	ClaimRoles = "roles"
)

// Presence bits for Claims.Has.
const (
	HasSub uint32 = 1 << iota
	HasIss
	HasAud
	HasExp
	HasNbf
	HasIat
	HasJti
	HasFresh
	HasCSRF
	HasAid
	HasType
	HasRoles
	HasCustom // at least one member that is not listed above
)

// Claims holds the claims the verifier needs, decoded once, in a compact
// form: each string is a 4-byte reference, either to bytes in one buffer
// (the Token's own, or a separate allocation when its strings do not fit)
// or to one of the verifier's interned values. The buffer and the interned
// values are never modified; a copy of a Claims shares them (and keeps the
// buffer alive).
type Claims struct {
	Exp int64 // "exp", Unix seconds
	Nbf int64 // "nbf", Unix seconds
	Iat int64 // "iat", Unix milliseconds (a fraction beyond them truncated)

	base   *byte     // the buffer the references point into
	intern *[]string // the verifier's interned values
	lists  []string  // the audience list (when "aud" is a list, or one value not interned), then the roles

	Has                uint32 // which claims are present (Has* bits)
	refs               [numRefs]ref
	audN               uint16 // audience entries at the start of lists
	rolesN             uint16 // roles entries after them
	aud1               uint8  // 1 + the intern index of a single interned audience, or 0 (Materialize's intern holds at most 255 values)
	audList, rolesList bool
	Fresh              bool // "fresh"
}

// ref locates a string: n bytes at offset off in the buffer, or, when n is
// internRef, the interned value at index off. The longest token string is
// bounded by MaxPayloadSize, so neither overflows.
type ref struct{ off, n uint16 }

const internRef = 0xFFFF

// MaxPayloadSize bounds the decoded payload whose strings Claims can
// locate; the verifier refuses larger tokens before decoding them.
const MaxPayloadSize = 48 << 10

const (
	refSub = iota
	refIss
	refJti
	refType
	refAid
	refCSRF
	refKid
	numRefs
)

func (c *Claims) str(i int) string {
	r := c.refs[i]
	switch r.n {
	case 0:
		return ""
	case internRef:
		return (*c.intern)[r.off]
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(c.base), int(r.off))), int(r.n))
}

// Sub returns "sub".
func (c *Claims) Sub() string { return c.str(refSub) }

// Iss returns "iss".
func (c *Claims) Iss() string { return c.str(refIss) }

// Jti returns "jti".
func (c *Claims) Jti() string { return c.str(refJti) }

// Type returns the type claim, under the configured name.
func (c *Claims) Type() string { return c.str(refType) }

// Aid returns "aid", the family id.
func (c *Claims) Aid() string { return c.str(refAid) }

// CSRF returns "csrf".
func (c *Claims) CSRF() string { return c.str(refCSRF) }

// Kid returns the JOSE header's "kid" that Materialize was given.
func (c *Claims) Kid() string { return c.str(refKid) }

// Aud returns "aud", a string or a list (nil when absent).
func (c *Claims) Aud() []string {
	if c.aud1 != 0 {
		k := int(c.aud1 - 1)
		return (*c.intern)[k : k+1 : k+1]
	}
	if !c.audList {
		return nil
	}
	return c.lists[:c.audN:c.audN]
}

// Roles returns "roles" when it is a list of strings (nil otherwise).
func (c *Claims) Roles() []string {
	if !c.rolesList {
		return nil
	}
	end := c.audN + c.rolesN
	return c.lists[c.audN:end:end]
}

// SetRoles replaces the roles (a trusted issuer's roles come from a claim
// of its choosing).
func (c *Claims) SetRoles(roles []string) {
	l := make([]string, 0, int(c.audN)+len(roles))
	l = append(l, c.lists[:c.audN]...)
	c.lists = append(l, roles...)
	c.rolesN = uint16(len(roles))
	c.rolesList = true
}

// bstr returns a string sharing b's memory. Only used on payload buffers
// that are never modified after decoding.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// ParseSpans reads the claims of a decoded payload into c: registered and
// library claims, strings as spans of payload (which c does not retain, so
// the payload may live in a scratch buffer). typeName is the configured name
// of the token-type claim ("" when the type claim is off).
//
// It is one loop over the object's members, specialised for the compact JSON
// tokens are made of (whitespace, escapes and non-ASCII bytes take slower
// paths) and exactly as strict as the general scanner: the same JSON
// grammar, UTF-8 inside strings, escapes validated (unpaired surrogates
// refused), duplicate names refused after unescaping (the registered claims
// through their presence bits, other names through a dupSet), every custom
// value validated and skipped.
func ParseSpans(payload []byte, typeName string, c *RawClaims) error {
	b := payload
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return ErrNotObject
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return endAt(b, i+1)
	}
	var d dupSet
	for {
		// The member name: plain ASCII up to the closing quote on the fast
		// path; escapes and non-ASCII bytes through strAt.
		if i >= len(b) || b[i] != '"' {
			return ErrJSON
		}
		start := i + 1
		var name []byte
		esc := false
		key := -1
		// Fast path: a name of at most seven plain ASCII bytes, found and
		// recognised from one eight-byte load.
		if start+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[start:])
			if m := specialMask(w); m != 0 {
				if n := bits.TrailingZeros64(m) >> 3; b[start+n] == '"' {
					name, i = b[start:start+n], start+n+1
					key = wordKey(w & (1<<(8*uint(n)) - 1))
				}
			}
		}
		if key < 0 {
			raw, e, next, err := strAt(b, i)
			if err != nil {
				return err
			}
			name, esc, i = raw, e, next
			if esc {
				u, err := unescape(raw)
				if err != nil {
					return err
				}
				name = []byte(u)
			}
			key = claimKey(name)
		}
		// Duplicates are refused before the value is read: the registered
		// claims through their presence bits, other names through d.
		if key == keyOther && typeName != "" && string(name) == typeName {
			key = keyType
		}
		if key == keyOther {
			if err := d.add(b, start, name, esc); err != nil {
				return err
			}
		} else if c.Has&keyBits[key] != 0 {
			return ErrDuplicate
		}
		if i < len(b) && b[i] == ':' {
			i++
		} else {
			i = skipWS(b, i)
			if i >= len(b) || b[i] != ':' {
				return ErrJSON
			}
			i++
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return ErrJSON
		}

		// The value.
		var bit uint32
		var dst *Span
		switch key {
		case keySub:
			bit, dst = HasSub, &c.Sub
		case keyIss:
			bit, dst = HasIss, &c.Iss
		case keyJti:
			bit, dst = HasJti, &c.Jti
		case keyAid:
			bit, dst = HasAid, &c.Aid
		case keyCSRF:
			bit, dst = HasCSRF, &c.CSRF
		case keyExp:
			bit, dst = HasExp, nil
		case keyNbf:
			bit, dst = HasNbf, nil
		case keyIat:
			bit, dst = HasIat, nil
		case keyFresh:
			c.Has |= HasFresh
			switch {
			case len(b)-i >= 4 && string(b[i:i+4]) == "true":
				c.Fresh, i = true, i+4
			case len(b)-i >= 5 && string(b[i:i+5]) == "false":
				c.Fresh, i = false, i+5
			default:
				return wrongType(b, i)
			}
		case keyAud:
			c.Has |= HasAud
			if b[i] == '"' {
				sp, next, err := spanAt(b, i)
				if err != nil {
					return err
				}
				i = next
				c.Aud = c.addList(sp)
				break
			}
			list, next, err := c.stringList(b, i)
			if err != nil {
				return err
			}
			c.Aud, c.AudList, i = list, true, next
		case keyRoles:
			c.Has |= HasRoles
			list, next, err := c.stringList(b, i)
			// A roles claim that is not a list of strings grants nothing;
			// it is custom data, not an error.
			switch err {
			case nil:
				c.Roles, c.RolesList = list, true
			case ErrClaimType:
				c.Roles, c.RolesList = ListRange{}, false
			default:
				return err
			}
			i = next
		case keyType:
			bit, dst = HasType, &c.Type
		default:
			c.Has |= HasCustom
			p := scanner{b: b, i: i}
			if err := p.skip(0); err != nil {
				return err
			}
			i = p.i
		}
		if bit != 0 {
			c.Has |= bit
			if dst != nil {
				if b[i] != '"' {
					return wrongType(b, i)
				}
				// Fast path: plain ASCII up to the closing quote, found
				// eight bytes at a time.
				if j := skipPlain8(b, i+1); j < len(b) && b[j] == '"' {
					*dst, i = Span{Off: uint32(i + 1), Len: uint32(j - i - 1)}, j+1
				} else {
					sp, next, err := spanAt(b, i)
					if err != nil {
						return err
					}
					*dst, i = sp, next
				}
			} else {
				var v int64
				fast := false
				// Fast path: ten digits (every date from 2001 to 2286)
				// followed by a byte that cannot continue a number.
				if i+11 <= len(b) && b[i] != '0' && b[i+8]-'0' < 10 && b[i+9]-'0' < 10 && !isNumberByte(b[i+10]) {
					if w := binary.LittleEndian.Uint64(b[i:]); eightDigits(w) {
						v = int64(parseEight(w))*100 + int64(b[i+8]-'0')*10 + int64(b[i+9]-'0')
						i, fast = i+10, true
					}
				}
				if !fast {
					// Direct calls: a func value would make b escape.
					var dv int64
					var next int
					var err error
					if bit == HasIat {
						dv, next, err = dateMilliAt(b, i)
					} else {
						dv, next, err = dateAt(b, i)
					}
					if err != nil {
						return err
					}
					v, i = dv, next
				}
				switch bit {
				case HasExp:
					c.Exp = v
				case HasNbf:
					c.Nbf = v
				default:
					if fast {
						v *= 1000 // whole seconds, in milliseconds
					}
					c.Iat = v
				}
			}
		}

		// A comma and the next member, or the end of the object.
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return ErrJSON
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return endAt(b, i+1)
		default:
			return ErrJSON
		}
	}
}

// skipWS returns the index of the first byte at or after i that is not JSON
// whitespace. Compact JSON costs one comparison.
func skipWS(b []byte, i int) int {
	if i < len(b) && b[i] > ' ' {
		return i
	}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// endAt checks that only whitespace follows index i.
func endAt(b []byte, i int) error {
	if skipWS(b, i) != len(b) {
		return ErrJSON
	}
	return nil
}

// wrongType validates and skips the value at b[i], which has the wrong type
// for its claim: ErrClaimType, or the JSON error that comes first.
func wrongType(b []byte, i int) error {
	p := scanner{b: b, i: i}
	if err := p.skip(0); err != nil {
		return err
	}
	return ErrClaimType
}

// Claim keys, as recognised by claimKey.
const (
	keyOther = iota
	keySub
	keyIss
	keyJti
	keyAid
	keyCSRF
	keyExp
	keyNbf
	keyIat
	keyFresh
	keyAud
	keyRoles
	keyType // the configured type claim (not returned by claimKey)
)

// keyBits maps claim keys to their presence bits.
var keyBits = [...]uint32{
	keySub: HasSub, keyIss: HasIss, keyJti: HasJti, keyAid: HasAid, keyCSRF: HasCSRF,
	keyExp: HasExp, keyNbf: HasNbf, keyIat: HasIat, keyFresh: HasFresh,
	keyAud: HasAud, keyRoles: HasRoles, keyType: HasType,
}

// Words of the claim names: a name of n < 8 bytes, loaded little endian and
// masked to its n bytes. Names hold no zero byte, so the word determines
// the name, length included (TestWordKey checks these against the names).
const (
	wSub   = 's' | 'u'<<8 | 'b'<<16
	wIss   = 'i' | 's'<<8 | 's'<<16
	wJti   = 'j' | 't'<<8 | 'i'<<16
	wAid   = 'a' | 'i'<<8 | 'd'<<16
	wExp   = 'e' | 'x'<<8 | 'p'<<16
	wNbf   = 'n' | 'b'<<8 | 'f'<<16
	wIat   = 'i' | 'a'<<8 | 't'<<16
	wAud   = 'a' | 'u'<<8 | 'd'<<16
	wCSRF  = 'c' | 's'<<8 | 'r'<<16 | 'f'<<24
	wFresh = 'f' | 'r'<<8 | 'e'<<16 | 's'<<24 | 'h'<<32
	wRoles = 'r' | 'o'<<8 | 'l'<<16 | 'e'<<24 | 's'<<32
)

// wordKey recognises a claim name from its word (see word).
func wordKey(w uint64) int {
	switch w {
	case wSub:
		return keySub
	case wIss:
		return keyIss
	case wJti:
		return keyJti
	case wAid:
		return keyAid
	case wExp:
		return keyExp
	case wNbf:
		return keyNbf
	case wIat:
		return keyIat
	case wAud:
		return keyAud
	case wCSRF:
		return keyCSRF
	case wFresh:
		return keyFresh
	case wRoles:
		return keyRoles
	}
	return keyOther
}

// claimKey recognises a registered or library claim name with inline byte
// comparisons (no string-compare calls on the hot path).
func claimKey(n []byte) int {
	switch len(n) {
	case 3:
		switch {
		case n[0] == 's' && n[1] == 'u' && n[2] == 'b':
			return keySub
		case n[0] == 'i' && n[1] == 's' && n[2] == 's':
			return keyIss
		case n[0] == 'j' && n[1] == 't' && n[2] == 'i':
			return keyJti
		case n[0] == 'a' && n[1] == 'i' && n[2] == 'd':
			return keyAid
		case n[0] == 'e' && n[1] == 'x' && n[2] == 'p':
			return keyExp
		case n[0] == 'n' && n[1] == 'b' && n[2] == 'f':
			return keyNbf
		case n[0] == 'i' && n[1] == 'a' && n[2] == 't':
			return keyIat
		case n[0] == 'a' && n[1] == 'u' && n[2] == 'd':
			return keyAud
		}
	case 4:
		if n[0] == 'c' && n[1] == 's' && n[2] == 'r' && n[3] == 'f' {
			return keyCSRF
		}
	case 5:
		if string(n) == ClaimFresh {
			return keyFresh
		}
		if string(n) == ClaimRoles {
			return keyRoles
		}
	}
	return keyOther
}

// TopLevelNames returns the member names of a JSON object.
func TopLevelNames(b []byte) ([]string, error) {
	var names []string
	p := scanner{b: b}
	var d dupSet
	if err := p.openObject(); err != nil {
		return nil, err
	}
	for {
		name, done, err := p.nextMember(&d)
		if err != nil {
			return nil, err
		}
		if done {
			return names, nil
		}
		names = append(names, string(name))
		if err := p.skip(0); err != nil {
			return nil, err
		}
	}
}

// ValidObject reports why b would not parse as a header or payload: it is
// TopLevelNames without the names, the same scan (syntax, duplicate
// members, MaxDepth counted from each member's value) as ParseSpans and
// ParseHeader apply to members they do not read themselves.
func ValidObject(b []byte) error {
	p := scanner{b: b}
	var d dupSet
	if err := p.openObject(); err != nil {
		return err
	}
	for {
		_, done, err := p.nextMember(&d)
		if err != nil || done {
			return err
		}
		if err := p.skip(0); err != nil {
			return err
		}
	}
}

// Span locates a string value in a payload: its raw bytes, between the
// quotes, are payload[Off:Off+Len]. Esc says they hold escapes (validated:
// Unescape cannot fail on them).
type Span struct {
	Off uint32 // offset of the first byte after the opening quote
	Len uint32 // length of the raw bytes
	Esc bool   // the raw bytes hold escapes
}

// ListRange is a list of strings in RawClaims' list store.
type ListRange struct {
	Start int32 // index of the first entry (see RawClaims.At)
	N     int32 // number of entries
}

// RawClaims are the claims as ParseSpans reads them: like Claims, with
// strings as spans of the payload. Materialize turns them into Claims.
type RawClaims struct {
	Has   uint32 // which claims are present (Has* bits)
	Sub   Span   // "sub"
	Iss   Span   // "iss"
	Jti   Span   // "jti"
	Type  Span   // the type claim, under the configured name
	Aid   Span   // "aid"
	CSRF  Span   // "csrf"
	Exp   int64  // "exp", Unix seconds
	Nbf   int64  // "nbf", Unix seconds
	Iat   int64  // "iat", Unix milliseconds (a fraction beyond them truncated)
	Fresh bool   // "fresh"
	// Aud is one string (AudList false) or a list of them (AudList true).
	Aud     ListRange
	AudList bool // "aud" is a list
	// Roles is valid when RolesList: a "roles" claim that is not a list
	// of strings is not roles.
	Roles     ListRange
	RolesList bool // "roles" is a list of strings

	lists [4]Span // the first list entries; more beyond
	n     int32
	more  []Span
}

// addList stores one span in the list store and returns it as a list.
func (r *RawClaims) addList(sp Span) ListRange {
	lr := ListRange{Start: r.n, N: 1}
	r.push(sp)
	return lr
}

func (r *RawClaims) push(sp Span) {
	if int(r.n) < len(r.lists) {
		r.lists[r.n] = sp
	} else {
		r.more = append(r.more, sp)
	}
	r.n++
}

// At returns the i-th span of the list store.
func (r *RawClaims) At(i int32) Span {
	if int(i) < len(r.lists) {
		return r.lists[i]
	}
	return r.more[int(i)-len(r.lists)]
}

// spanAt reads the JSON string at b[i] as a span, validating its escapes.
func spanAt(b []byte, i int) (Span, int, error) {
	raw, esc, next, err := strAt(b, i)
	if err != nil {
		return Span{}, next, err
	}
	if esc {
		if err := checkEscapes(raw); err != nil {
			return Span{}, next, err
		}
	}
	return Span{Off: uint32(i + 1), Len: uint32(len(raw)), Esc: esc}, next, nil
}

// stringList reads the array of strings at b[i] into the list store. Any
// other value is ErrClaimType (after validating and skipping it).
func (r *RawClaims) stringList(b []byte, i int) (ListRange, int, error) {
	if b[i] != '[' {
		return ListRange{}, i, wrongTypeAt(b, &i)
	}
	start, first := i, r.n
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return ListRange{Start: first}, i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			// Not a list of strings: forget the entries pushed so far.
			r.n = first
			r.more = r.more[:max(int(first)-len(r.lists), 0)]
			i = start
			return ListRange{}, i, wrongTypeAt(b, &i)
		}
		sp, next, err := spanAt(b, i)
		if err != nil {
			return ListRange{}, next, err
		}
		r.push(sp)
		i = skipWS(b, next)
		if i >= len(b) {
			return ListRange{}, i, ErrJSON
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return ListRange{Start: first, N: r.n - first}, i + 1, nil
		default:
			return ListRange{}, i, ErrJSON
		}
	}
}

// wrongTypeAt is wrongType that also moves *i past the skipped value.
func wrongTypeAt(b []byte, i *int) error {
	p := scanner{b: b, i: *i}
	err := p.skip(0)
	*i = p.i
	if err != nil {
		return err
	}
	return ErrClaimType
}

// checkEscapes validates the escapes of a raw JSON string (as strAt
// returned it) without decoding them: unpaired surrogates are refused.
func checkEscapes(raw []byte) error {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if raw[i] != 'u' {
			continue
		}
		r := rune(hex4(raw[i+1 : i+5]))
		i += 4
		if !utf16.IsSurrogate(r) {
			continue
		}
		if i+7 > len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
			return ErrJSON
		}
		if utf16.DecodeRune(r, rune(hex4(raw[i+3:i+7]))) == utf8.RuneError {
			return ErrJSON
		}
		i += 6
	}
	return nil
}

// Materialize turns the spans of r, read from payload, into c, with kid
// (the JOSE header's key id, or "") beside them. The bytes of strings are
// copied into buf (or into a new buffer when buf is too small), unescaped on
// the way, so that c does not retain payload. A string equal to one in
// *intern is a reference to it instead of a copy (the verifier interns the
// values it expects, such as its issuer and token types; at most 255 of
// them). payload must not exceed MaxPayloadSize.
func (r *RawClaims) Materialize(payload []byte, c *Claims, buf []byte, intern *[]string, kid string) {
	m := materializer{intern: *intern}
	spans := [numRefs - 1]Span{r.Sub, r.Iss, r.Jti, r.Type, r.Aid, r.CSRF}
	var in [numRefs - 1]int
	need := len(kid)
	for i, sp := range spans {
		in[i] = -1
		if sp.Len == 0 {
			continue
		}
		if in[i] = m.internIndex(payload, sp); in[i] < 0 {
			need += int(sp.Len)
		}
	}
	aud1 := -1
	if r.Has&HasAud != 0 && !r.AudList {
		// One audience: an accepted token's is one the verifier expects,
		// so usually a reference to an interned value.
		aud1 = m.internIndex(payload, r.At(r.Aud.Start))
	}
	nlist := 0
	if r.Has&HasAud != 0 && aud1 < 0 {
		nlist += int(r.Aud.N)
	}
	if r.RolesList {
		nlist += int(r.Roles.N)
	}
	for i := int32(0); i < r.n; i++ {
		need += int(r.At(i).Len) // list values, interned or not: an upper bound
	}
	if need > len(buf) {
		buf = make([]byte, need)
	}
	*c = Claims{Exp: r.Exp, Nbf: r.Nbf, Iat: r.Iat, intern: intern, Has: r.Has, Fresh: r.Fresh}
	if len(buf) > 0 {
		c.base = &buf[0]
	}
	// payload is passed to every call, not kept in m: the results derive
	// from m (buf, intern) only, and escape analysis must see that payload
	// does not flow into them (it may be a stack buffer).
	m.buf, m.start = buf, buf
	for i, sp := range spans {
		switch {
		case sp.Len == 0:
		case in[i] >= 0:
			c.refs[i] = ref{off: uint16(in[i]), n: internRef}
		default:
			c.refs[i] = m.copyRef(payload[sp.Off:sp.Off+sp.Len], sp.Esc)
		}
	}
	if kid != "" {
		c.refs[refKid] = m.copyRef(readOnly(kid), false)
	}
	if r.Has&HasAud != 0 && aud1 < 0 || r.RolesList {
		c.lists = make([]string, 0, nlist)
	}
	if r.Has&HasAud != 0 {
		if aud1 >= 0 {
			c.aud1 = uint8(aud1 + 1)
		} else {
			c.audList = true
			c.lists = m.list(c.lists, payload, r, r.Aud)
			c.audN = uint16(r.Aud.N)
		}
	}
	if r.RolesList {
		c.rolesList = true
		c.lists = m.list(c.lists, payload, r, r.Roles)
		c.rolesN = uint16(r.Roles.N)
	}
}

type materializer struct {
	buf    []byte // what is left of the buffer
	start  []byte // the whole buffer
	intern []string
}

// internIndex returns the index in m.intern of the value sp locates, or -1.
func (m *materializer) internIndex(payload []byte, sp Span) int {
	if sp.Esc {
		return -1
	}
	raw := payload[sp.Off : sp.Off+sp.Len]
	for k, s := range m.intern {
		if len(s) == len(raw) && s == string(raw) {
			return k
		}
	}
	return -1
}

// copyRef copies raw into m.buf, unescaped when esc, and returns its
// reference.
func (m *materializer) copyRef(raw []byte, esc bool) ref {
	var n int
	if esc {
		n = unescapeTo(m.buf, raw)
	} else {
		n = copy(m.buf, raw)
	}
	off := len(m.start) - len(m.buf)
	m.buf = m.buf[n:]
	return ref{off: uint16(off), n: uint16(n)}
}

// list appends the list lr's values to dst: interned values, or strings
// sharing m's buffer.
func (m *materializer) list(dst []string, payload []byte, r *RawClaims, lr ListRange) []string {
	for k := range lr.N {
		sp := r.At(lr.Start + k)
		switch {
		case sp.Len == 0:
			dst = append(dst, "")
		default:
			if i := m.internIndex(payload, sp); i >= 0 {
				dst = append(dst, m.intern[i])
				continue
			}
			rf := m.copyRef(payload[sp.Off:sp.Off+sp.Len], sp.Esc)
			dst = append(dst, bstr(m.start[rf.off:int(rf.off)+int(rf.n)]))
		}
	}
	return dst
}

// Bytes returns the value sp locates in payload: the payload's own bytes,
// or a decoded copy when they hold escapes.
func (sp Span) Bytes(payload []byte) []byte {
	raw := payload[sp.Off : sp.Off+sp.Len]
	if !sp.Esc {
		return raw
	}
	out := make([]byte, len(raw))
	return out[:unescapeTo(out, raw)]
}
