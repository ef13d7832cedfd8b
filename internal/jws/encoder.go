package jws

import (
	"crypto"
	"errors"
	"math/bits"
	"strconv"
	"sync"
	"unicode/utf8"
)

// ErrNotUTF8 is returned by the Encoder for a claim or header string (a
// value or a name) that is not valid UTF-8 (RFC 8259 §8.1): the decoder
// would refuse the token.
var ErrNotUTF8 = errors.New("a claim or header value or name is not valid UTF-8")

// ClaimSet is a claim set to encode: the table's claims that are set, in
// the table's order, then Custom.
type ClaimSet struct {
	has   uint32
	strs  [numStr]string
	dates [numDates]int64 // whole seconds
	bools uint8
	lists [numLists][]string
	// Short values copied in by SetBytes (generated ids): a string slot
	// with inlN set is written from inl, so that a caller's stack buffer
	// never needs to be referenced (a reference stored through the
	// setter's pointer would move that buffer to the heap).
	inl  [numStr][inlineValue]byte
	inlN [numStr]uint8
	// Custom holds the members of a JSON object, without its braces, that
	// follow the registered claims. None of them may be a table claim.
	Custom []byte
}

// SetString sets a string claim, or an object claim (its raw JSON text,
// validated as an object by the Encoder).
func (s *ClaimSet) SetString(c Claim, v string) {
	slot := claimTable[c].slot
	s.strs[slot], s.inlN[slot] = v, 0
	s.has |= c.Bit()
}

// inlineValue is the longest value SetBytes copies into the ClaimSet.
const inlineValue = 36 // a UUID's text

// SetBytes sets a string claim to a copy of v, a short value such as a
// generated id (one longer than 36 bytes is copied to new memory).
func (s *ClaimSet) SetBytes(c Claim, v []byte) {
	slot := claimTable[c].slot
	if len(v) > inlineValue {
		s.strs[slot], s.inlN[slot] = string(v), 0
	} else {
		s.inlN[slot] = uint8(copy(s.inl[slot][:], v))
		s.strs[slot] = ""
		if len(v) == 0 {
			s.inlN[slot] = 0
		}
	}
	s.has |= c.Bit()
}

// SetDate sets a NumericDate claim, in whole seconds.
func (s *ClaimSet) SetDate(c Claim, seconds int64) {
	s.dates[claimTable[c].slot] = seconds
	s.has |= c.Bit()
}

// SetBool sets a boolean claim.
func (s *ClaimSet) SetBool(c Claim, v bool) {
	slot := claimTable[c].slot
	if v {
		s.bools |= 1 << slot
	} else {
		s.bools &^= 1 << slot
	}
	s.has |= c.Bit()
}

// SetList sets a list claim ("aud": one value is written as a string).
func (s *ClaimSet) SetList(c Claim, v []string) {
	s.lists[claimTable[c].slot] = v
	s.has |= c.Bit()
}

// The setters of the registered and library claims follow: one per row
// of claimTable.

// SetSubject sets "sub".
func (s *ClaimSet) SetSubject(v string) { s.SetString(ClaimSubject, v) }

// SetIssuedAt sets "iat", in whole seconds.
func (s *ClaimSet) SetIssuedAt(sec int64) { s.SetDate(ClaimIssuedAt, sec) }

// SetNotBefore sets "nbf".
func (s *ClaimSet) SetNotBefore(sec int64) { s.SetDate(ClaimNotBefore, sec) }

// SetID sets "jti".
func (s *ClaimSet) SetID(v string) { s.SetString(ClaimID, v) }

// SetIDBytes sets "jti" to a copy of v (see SetBytes).
func (s *ClaimSet) SetIDBytes(v []byte) { s.SetBytes(ClaimID, v) }

// SetExpires sets "exp".
func (s *ClaimSet) SetExpires(sec int64) { s.SetDate(ClaimExpires, sec) }

// SetIssuer sets "iss".
func (s *ClaimSet) SetIssuer(v string) { s.SetString(ClaimIssuer, v) }

// SetAudience sets "aud" (one value is written as a string).
func (s *ClaimSet) SetAudience(v []string) { s.SetList(ClaimAudience, v) }

// SetType sets the type claim, under its configured name.
func (s *ClaimSet) SetType(v string) { s.SetString(ClaimType, v) }

// SetFresh sets "fresh".
func (s *ClaimSet) SetFresh(v bool) { s.SetBool(ClaimFresh, v) }

// SetFamily sets "aid", the family id.
func (s *ClaimSet) SetFamily(v string) { s.SetString(ClaimFamily, v) }

// SetCSRF sets "csrf".
func (s *ClaimSet) SetCSRF(v string) { s.SetString(ClaimCSRF, v) }

// SetCSRFBytes sets "csrf" to a copy of v (see SetBytes).
func (s *ClaimSet) SetCSRFBytes(v []byte) { s.SetBytes(ClaimCSRF, v) }

// SetConfirmation sets "cnf" (RFC 7800) to v, its JSON object text.
func (s *ClaimSet) SetConfirmation(v string) { s.SetString(ClaimConfirmation, v) }

// SetAuthTime sets "auth_time" (RFC 9470).
func (s *ClaimSet) SetAuthTime(sec int64) { s.SetDate(ClaimAuthTime, sec) }

// SetACR sets "acr" (RFC 9470).
func (s *ClaimSet) SetACR(v string) { s.SetString(ClaimACR, v) }

// Has returns the presence bits of the claims set.
func (s *ClaimSet) Has() uint32 { return s.has }

// Encoder writes tokens: header, claims and signature. It validates what
// it writes: every string valid UTF-8, object claims and custom members
// exactly as strict as the decoder reads them.
type Encoder struct {
	typeName string
	// members holds each table claim's member prefix, `,"name":`, quoted
	// once here rather than for every token ("" for ClaimOther, and for
	// the type claim when it is off).
	members [numClaims]string
	// typeNotUTF8: the configured type claim name is not UTF-8, so no
	// token that carries the type claim can be written.
	typeNotUTF8 bool
}

// NewEncoder returns an encoder that writes the type claim under typeClaim
// ("" to never write it).
func NewEncoder(typeClaim string) *Encoder {
	e := &Encoder{typeName: typeClaim}
	for k := ClaimOther + 1; k < numClaims; k++ {
		name := claimTable[k].name
		if k == ClaimType {
			if name = typeClaim; name == "" {
				continue
			}
		}
		m, ok := AppendJSONString([]byte{','}, name)
		e.members[k] = string(append(m, ':'))
		e.typeNotUTF8 = e.typeNotUTF8 || !ok
	}
	return e
}

// AppendPayload appends the JSON object of s to dst. It checks that every
// string it writes is UTF-8 as it escapes it (the member names once, in
// NewEncoder), that object claims are objects as the decoder reads them,
// and the caller's custom members both ways; numbers and booleans are
// ASCII.
func (e *Encoder) AppendPayload(dst []byte, s *ClaimSet) ([]byte, error) {
	start := len(dst)
	dst = append(dst, '{')
	// The set claims, in table order: one bit of has per claim.
	for h := s.has &^ ClaimOther.Bit(); h != 0; h &= h - 1 {
		k := Claim(bits.TrailingZeros32(h))
		m := e.members[k]
		if m == "" {
			continue // the type claim, off
		}
		if len(dst) == start+1 {
			m = m[1:] // the first member: no comma
		}
		if k == ClaimType && e.typeNotUTF8 {
			return nil, ErrNotUTF8
		}
		dst = append(dst, m...)
		row := &claimTable[k]
		ok := true
		switch row.kind {
		case kindString:
			v := s.strs[row.slot]
			if n := s.inlN[row.slot]; n > 0 {
				v = bstr(s.inl[row.slot][:n])
			}
			dst, ok = AppendJSONString(dst, v)
		case kindObject:
			v := s.strs[row.slot]
			if !utf8.ValidString(v) {
				return nil, ErrNotUTF8
			}
			if err := ValidObject(readOnly(v)); err != nil {
				return nil, err
			}
			dst = append(dst, v...)
		case kindDate, kindDateMilli:
			dst = strconv.AppendInt(dst, s.dates[row.slot], 10)
		case kindBool:
			if s.bools&(1<<row.slot) != 0 {
				dst = append(dst, "true"...)
			} else {
				dst = append(dst, "false"...)
			}
		case kindStringOrList, kindRoleList:
			l := s.lists[row.slot]
			if row.kind == kindStringOrList && len(l) == 1 {
				dst, ok = AppendJSONString(dst, l[0])
				break
			}
			dst = append(dst, '[')
			for i := 0; i < len(l) && ok; i++ {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst, ok = AppendJSONString(dst, l[i])
			}
			dst = append(dst, ']')
		}
		if !ok {
			return nil, ErrNotUTF8
		}
	}
	if len(s.Custom) > 0 {
		if len(dst) > start+1 {
			dst = append(dst, ',')
		}
		dst = append(dst, s.Custom...)
	}
	dst = append(dst, '}')
	if len(s.Custom) > 0 {
		if !utf8.Valid(s.Custom) {
			return nil, ErrNotUTF8
		}
		// The caller's members can be what the decoder refuses although
		// they are JSON (nesting beyond MaxDepth, a duplicate): scan the
		// object as the decoder will.
		if err := ValidObject(dst[start:]); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// HeaderJSON returns the JOSE header for alg and kid, with the members of
// extra (a JSON object's, without braces) after them.
func (e *Encoder) HeaderJSON(alg Alg, kid string, extra []byte) ([]byte, error) {
	var b []byte
	b = append(b, `{"alg":"`...)
	b = append(b, alg.String()...)
	b = append(b, `","typ":"JWT"`...)
	if kid != "" {
		b = append(b, `,"kid":`...)
		var err error
		if b, err = appendChecked(b, kid); err != nil {
			return nil, err
		}
	}
	if len(extra) > 0 {
		if !utf8.Valid(extra) {
			return nil, ErrNotUTF8
		}
		b = append(b, ',')
		b = append(b, extra...)
		b = append(b, '}')
		if err := ValidObject(b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return append(b, '}'), nil
}

// Header returns the encoded header segment for alg, kid and extra (see
// HeaderJSON).
func (e *Encoder) Header(alg Alg, kid string, extra []byte) (string, error) {
	b, err := e.HeaderJSON(alg, kid, extra)
	if err != nil {
		return "", err
	}
	return string(AppendEncode(nil, b)), nil
}

var payloadPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Encode returns the compact token header.payload.signature for the
// encoded header segment and the claims s, signed under alg by key: its
// HMAC key, or else its Signer. A signer's failure is a *SignError.
func (e *Encoder) Encode(header string, s *ClaimSet, alg Alg, key Key) ([]byte, error) {
	bp := payloadPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 {
			payloadPool.Put(bp)
		}
	}()
	p, err := e.AppendPayload((*bp)[:0], s)
	if err != nil {
		return nil, err
	}
	*bp = p
	out := make([]byte, 0, len(header)+1+EncodedLen(len(p))+1+EncodedLen(signatureCap(alg)))
	out = append(out, header...)
	out = append(out, '.')
	out = AppendEncode(out, p)
	n := len(out)
	out = append(out, '.')
	// The signing input is out[:n]: appending the signature after it
	// leaves it in place (or in the old array, when out grows).
	// Called directly, not through Signer: a CryptoSigner in an interface
	// would cost an allocation per token.
	switch {
	case key.HMAC != nil:
		out, err = key.HMAC.AppendSignature(out, alg, bstr(out[:n]))
	case key.Signer != nil:
		out, err = CryptoSigner{key.Signer}.AppendSignature(out, alg, bstr(out[:n]))
	default:
		err = errors.New("jws: no key to sign with")
	}
	if err != nil {
		return nil, &SignError{Err: err}
	}
	return out, nil
}

// signatureCap is the room Encode makes for alg's signature: its length
// where the algorithm fixes it, an RSA-4096 signature's otherwise (a
// longer one grows the token's array once).
func signatureCap(alg Alg) int {
	if n := alg.SignatureSize(); n > 0 {
		return n
	}
	return 512
}

// SignError is a Signer's failure, as Encode returns it.
type SignError struct {
	Err error // what the signer returned
}

// Error returns the signer's error text.
func (e *SignError) Error() string { return e.Err.Error() }

// Unwrap returns the signer's error.
func (e *SignError) Unwrap() error { return e.Err }

// Signer signs tokens: an *HMACKey, or a CryptoSigner.
type Signer interface {
	// AppendSignature appends the base64url signature of input under alg
	// to dst.
	AppendSignature(dst []byte, alg Alg, input string) ([]byte, error)
}

// AppendSignature appends the base64url HMAC of input to dst.
func (k *HMACKey) AppendSignature(dst []byte, alg Alg, input string) ([]byte, error) {
	if alg != k.alg {
		return nil, errors.New("jws: the HMAC key is bound to " + k.alg.String())
	}
	st := k.pool.Get().(*hmacState)
	st.h.Reset()
	st.h.Write(readOnly(input))
	dst = AppendEncode(dst, st.h.Sum(st.buf[:0]))
	k.pool.Put(st)
	return dst, nil
}

// CryptoSigner signs with a crypto.Signer (RSA, ECDSA, Ed25519 keys, or
// a KMS).
type CryptoSigner struct{ crypto.Signer }

// AppendSignature appends the base64url signature of input under alg.
func (s CryptoSigner) AppendSignature(dst []byte, alg Alg, input string) ([]byte, error) {
	sig, err := Sign(alg, s.Signer, input)
	if err != nil {
		return nil, err
	}
	return AppendEncode(dst, sig), nil
}

// appendChecked appends s as a JSON string after checking it is valid
// UTF-8.
func appendChecked(dst []byte, s string) ([]byte, error) {
	dst, ok := AppendJSONString(dst, s)
	if !ok {
		return nil, ErrNotUTF8
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, its bytes unchanged but for
// escapes (", \, control characters, and <, >, & as encoding/json writes
// them). ok is false when s is not valid UTF-8 (dst then holds s's bytes
// as they are): the one scan both escapes and checks.
func AppendJSONString(dst []byte, s string) (_ []byte, ok bool) {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plainByte[c] {
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return append(append(dst, s[start:]...), '"'), false
			}
			i += n - 1 // written unchanged
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), true
}

// plainByte marks the ASCII bytes a JSON string holds unescaped.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
