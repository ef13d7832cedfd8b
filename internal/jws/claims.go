package jws

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
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
	// AuthTime is "auth_time" (RFC 9470), Unix seconds: when the user
	// authenticated.
	AuthTime int64

	base   *byte     // the buffer the references point into
	intern *[]string // the verifier's interned values
	lists  *string   // audN audience entries (when "aud" is a list, or one value not interned), then rolesN roles

	Has                uint32       // which claims are present (Has* bits)
	refs               [numRefs]ref // the string slots (strSub, ...), then refKid
	audN               uint16       // audience entries at the start of lists
	rolesN             uint16       // roles entries after them
	aud1               uint8        // 1 + the intern index of a single interned audience, or 0 (Materialize's intern holds at most 255 values)
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
	refKid  = numStr // the header's kid, after the string slots
	numRefs = numStr + 1
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
func (c *Claims) Sub() string { return c.str(strSub) }

// Iss returns "iss".
func (c *Claims) Iss() string { return c.str(strIss) }

// Jti returns "jti".
func (c *Claims) Jti() string { return c.str(strJti) }

// Type returns the type claim, under the configured name.
func (c *Claims) Type() string { return c.str(strType) }

// Aid returns "aid", the family id.
func (c *Claims) Aid() string { return c.str(strAid) }

// CSRF returns "csrf".
func (c *Claims) CSRF() string { return c.str(strCSRF) }

// Cnf returns "cnf" (RFC 7800), the confirmation claim, as its raw JSON
// object text ("" when absent).
func (c *Claims) Cnf() string { return c.str(strCnf) }

// ACR returns "acr" (RFC 9470), the authentication context class.
func (c *Claims) ACR() string { return c.str(strACR) }

// Kid returns the JOSE header's "kid" that Materialize was given.
func (c *Claims) Kid() string { return c.str(refKid) }

// Lookup reports whether name is a claim the decoder reads into c (known)
// and, if so, whether the token has it. Such a claim is never null in a
// decoded token (null is a claim of the wrong type), so presence is also
// having a value. A role list is not known this way: a "roles" that is
// not a list of strings (null among them) is custom data.
func (c *Claims) Lookup(name string) (has, known bool) {
	k := claimKey(readOnly(name))
	if k == int(ClaimOther) || claimTable[k].kind == kindRoleList {
		return false, false
	}
	return c.Has&(1<<uint(k)) != 0, true
}

// Aud returns "aud", a string or a list (nil when absent).
func (c *Claims) Aud() []string {
	if c.aud1 != 0 {
		k := int(c.aud1 - 1)
		return (*c.intern)[k : k+1 : k+1]
	}
	if !c.audList {
		return nil
	}
	return unsafe.Slice(c.lists, c.audN)
}

// Roles returns "roles" when it is a list of strings (nil otherwise).
func (c *Claims) Roles() []string {
	if !c.rolesList {
		return nil
	}
	end := c.audN + c.rolesN
	return unsafe.Slice(c.lists, end)[c.audN:]
}

// SetRoles replaces the roles (a trusted issuer's roles come from a claim
// of its choosing).
func (c *Claims) SetRoles(roles []string) {
	l := make([]string, 0, int(c.audN)+len(roles))
	l = append(l, unsafe.Slice(c.lists, c.audN)...)
	c.lists = unsafe.SliceData(append(l, roles...))
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
		if key == int(ClaimOther) && typeName != "" && string(name) == typeName {
			key = int(ClaimType)
		}
		if key == int(ClaimOther) {
			if err := d.add(b, start, name, esc); err != nil {
				return err
			}
		} else if c.Has&(1<<uint(key)) != 0 {
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

		// The value, by the kind of its row.
		row := &claimTable[key]
		c.Has |= 1 << uint(key)
		switch row.kind {
		case kindString:
			if b[i] != '"' {
				return wrongType(b, i)
			}
			dst := &c.strs[row.slot]
			// Fast path: plain ASCII up to the closing quote, found eight
			// bytes at a time.
			if j := skipPlain8(b, i+1); j < len(b) && b[j] == '"' {
				*dst, i = Span{Off: uint32(i + 1), Len: uint32(j - i - 1)}, j+1
			} else {
				sp, next, err := spanAt(b, i)
				if err != nil {
					return err
				}
				*dst, i = sp, next
			}
		case kindDate, kindDateMilli:
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
				if row.kind == kindDateMilli {
					dv, next, err = dateMilliAt(b, i)
				} else {
					dv, next, err = dateAt(b, i)
				}
				if err != nil {
					return err
				}
				v, i = dv, next
			} else if row.kind == kindDateMilli {
				v *= 1000 // whole seconds, in milliseconds
			}
			c.dates[row.slot] = v
		case kindBool:
			switch {
			case len(b)-i >= 4 && string(b[i:i+4]) == "true":
				c.bools, i = c.bools|1<<row.slot, i+4
			case len(b)-i >= 5 && string(b[i:i+5]) == "false":
				c.bools, i = c.bools&^(1<<row.slot), i+5
			default:
				return wrongType(b, i)
			}
		case kindStringOrList:
			if b[i] == '"' {
				sp, next, err := spanAt(b, i)
				if err != nil {
					return err
				}
				i = next
				c.lists[row.slot] = c.addList(sp)
				c.listIs &^= 1 << row.slot
				break
			}
			list, next, err := c.stringList(b, i)
			if err != nil {
				return err
			}
			c.lists[row.slot], i = list, next
			c.listIs |= 1 << row.slot
		case kindRoleList:
			list, next, err := c.stringList(b, i)
			// A list claim that is not a list of strings (roles) grants
			// nothing; it is custom data, not an error.
			switch err {
			case nil:
				c.lists[row.slot] = list
				c.listIs |= 1 << row.slot
			case ErrClaimType:
				c.lists[row.slot] = ListRange{}
				c.listIs &^= 1 << row.slot
			default:
				return err
			}
			i = next
		case kindObject:
			if b[i] != '{' {
				return wrongType(b, i)
			}
			p := scanner{b: b, i: i}
			if err := p.skip(0); err != nil {
				return err
			}
			c.strs[row.slot], i = Span{Off: uint32(i), Len: uint32(p.i - i)}, p.i
		default:
			p := scanner{b: b, i: i}
			if err := p.skip(0); err != nil {
				return err
			}
			i = p.i
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
// strings as spans of the payload (an object claim's span covers its raw
// JSON text). Materialize turns them into Claims.
type RawClaims struct {
	Has    uint32 // which claims are present (Has* bits)
	strs   [numStr]Span
	dates  [numDates]int64
	lists  [numLists]ListRange
	listIs uint8 // per list slot: "aud" is a JSON list; "roles" is a list of strings
	bools  uint8 // per bool slot: the value is true

	store [4]Span // the first list entries; more beyond
	n     int32
	more  []Span
}

// Str returns the span of a string or object claim (zero when absent).
func (r *RawClaims) Str(c Claim) Span {
	if row := &claimTable[c]; row.kind == kindString || row.kind == kindObject {
		return r.strs[row.slot]
	}
	return Span{}
}

// DropList forgets a list claim (a trusted issuer's roles come from a
// claim of its choosing, never from its "roles").
func (r *RawClaims) DropList(c Claim) {
	row := &claimTable[c]
	r.lists[row.slot] = ListRange{}
	r.listIs &^= 1 << row.slot
}

// addList stores one span in the list store and returns it as a list.
func (r *RawClaims) addList(sp Span) ListRange {
	lr := ListRange{Start: r.n, N: 1}
	r.push(sp)
	return lr
}

func (r *RawClaims) push(sp Span) {
	if int(r.n) < len(r.store) {
		r.store[r.n] = sp
	} else {
		r.more = append(r.more, sp)
	}
	r.n++
}

// At returns the i-th span of the list store.
func (r *RawClaims) At(i int32) Span {
	if int(i) < len(r.store) {
		return r.store[i]
	}
	return r.more[int(i)-len(r.store)]
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
			r.more = r.more[:max(int(first)-len(r.store), 0)]
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
	var in [numStr]int
	need := len(kid)
	for i, sp := range r.strs {
		in[i] = -1
		if sp.Len == 0 {
			continue
		}
		if internSlots&(1<<i) != 0 {
			in[i] = m.internIndex(payload, sp)
		}
		if in[i] < 0 {
			need += int(sp.Len)
		}
	}
	hasAud := r.Has&HasAud != 0
	audIsList := r.listIs&(1<<listAud) != 0
	rolesList := r.listIs&(1<<listRoles) != 0
	aud, roles := r.lists[listAud], r.lists[listRoles]
	aud1 := -1
	if hasAud && !audIsList {
		// One audience: an accepted token's is one the verifier expects,
		// so usually a reference to an interned value.
		aud1 = m.internIndex(payload, r.At(aud.Start))
	}
	nlist := 0
	if hasAud && aud1 < 0 {
		nlist += int(aud.N)
	}
	if rolesList {
		nlist += int(roles.N)
	}
	for i := int32(0); i < r.n; i++ {
		need += int(r.At(i).Len) // list values, interned or not: an upper bound
	}
	if need > len(buf) {
		buf = make([]byte, need)
	}
	*c = Claims{Exp: r.dates[dateExp], Nbf: r.dates[dateNbf], Iat: r.dates[dateIat], AuthTime: r.dates[dateAuthTime], intern: intern, Has: r.Has,
		Fresh: r.bools&(1<<boolFresh) != 0}
	if len(buf) > 0 {
		c.base = &buf[0]
	}
	// payload is passed to every call, not kept in m: the results derive
	// from m (buf, intern) only, and escape analysis must see that payload
	// does not flow into them (it may be a stack buffer).
	m.buf, m.start = buf, buf
	for i, sp := range r.strs {
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
	var lists []string
	if hasAud && aud1 < 0 || rolesList {
		lists = make([]string, 0, nlist)
	}
	if hasAud {
		if aud1 >= 0 {
			c.aud1 = uint8(aud1 + 1)
		} else {
			c.audList = true
			lists = m.list(lists, payload, r, aud)
			c.audN = uint16(aud.N)
		}
	}
	if rolesList {
		c.rolesList = true
		lists = m.list(lists, payload, r, roles)
		c.rolesN = uint16(roles.N)
	}
	c.lists = unsafe.SliceData(lists) // its length is audN + rolesN, its capacity too
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

// Present reports whether the token has claim id (for ClaimOther: at
// least one member that is not in the table). It is the root's one way
// to ask about presence, in the table's own names.
func (c *Claims) Present(id Claim) bool { return c.Has&(1<<id) != 0 }

// The presence accessors follow, one per row of claimTable whose value
// alone cannot say it (a string's "" or a date's 0 may be a value).

// HasSub reports whether the token has "sub".
func (c *Claims) HasSub() bool { return c.Has&HasSub != 0 }

// HasIat reports whether the token has "iat".
func (c *Claims) HasIat() bool { return c.Has&HasIat != 0 }

// HasNbf reports whether the token has "nbf".
func (c *Claims) HasNbf() bool { return c.Has&HasNbf != 0 }

// HasExp reports whether the token has "exp".
func (c *Claims) HasExp() bool { return c.Has&HasExp != 0 }

// HasIss reports whether the token has "iss".
func (c *Claims) HasIss() bool { return c.Has&HasIss != 0 }

// HasAud reports whether the token has "aud".
func (c *Claims) HasAud() bool { return c.Has&HasAud != 0 }

// HasType reports whether the token has the type claim.
func (c *Claims) HasType() bool { return c.Has&HasType != 0 }

// HasAuthTime reports whether the token has "auth_time".
func (c *Claims) HasAuthTime() bool { return c.Has&HasAuthTime != 0 }

// HasACR reports whether the token has "acr".
func (c *Claims) HasACR() bool { return c.Has&HasACR != 0 }

// HasCustom reports whether the token has a member outside claimTable.
func (c *Claims) HasCustom() bool { return c.Has&HasCustom != 0 }
