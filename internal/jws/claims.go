package jws

import "unsafe"

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

// Claims holds the claims the verifier needs, decoded once. Strings alias
// the payload, which the caller must never modify.
type Claims struct {
	Has   uint32   // which claims are present (Has* bits)
	Sub   string   // "sub"
	Iss   string   // "iss"
	Jti   string   // "jti"
	Type  string   // the type claim, under the configured name
	Aid   string   // "aid", the family id
	CSRF  string   // "csrf"
	Aud   []string // "aud", a string or a list
	Roles []string // "roles", when a list of strings
	Exp   int64    // "exp", Unix seconds
	Nbf   int64    // "nbf", Unix seconds
	Iat   int64    // "iat", Unix seconds
	Fresh bool     // "fresh"

	audOne [1]string
}

// bstr returns a string sharing b's memory. Only used on payload buffers
// that are never modified after decoding.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// ParseClaims decodes the payload into c. typeName is the configured name of
// the token-type claim ("" when the type claim is off). payload must not be
// modified afterwards: c's strings alias it.
func ParseClaims(payload []byte, typeName string, c *Claims) error {
	p := scanner{b: payload}
	var d dupSet
	if err := p.openObject(); err != nil {
		return err
	}
	for {
		name, done, err := p.nextMember(&d)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if err := p.claim(name, typeName, c); err != nil {
			return err
		}
	}
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
)

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

func (p *scanner) claim(name []byte, typeName string, c *Claims) error {
	var bit uint32
	var dst *string
	switch claimKey(name) {
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
	case keyExp, keyNbf, keyIat:
		v, err := p.numericDate()
		if err != nil {
			return err
		}
		switch name[0] {
		case 'e':
			c.Exp, c.Has = v, c.Has|HasExp
		case 'n':
			c.Nbf, c.Has = v, c.Has|HasNbf
		default:
			c.Iat, c.Has = v, c.Has|HasIat
		}
		return nil
	case keyFresh:
		v, err := p.boolValue(ErrClaimType)
		if err != nil {
			return err
		}
		c.Fresh, c.Has = v, c.Has|HasFresh
		return nil
	case keyAud:
		return p.aud(c)
	case keyRoles:
		c.Has |= HasRoles
		list, err := p.stringList(nil)
		// A roles claim that is not a list of strings grants nothing;
		// it is custom data, not an error.
		if err == ErrClaimType {
			c.Roles = nil
			return nil
		}
		c.Roles = list
		return err
	default:
		if typeName == "" || string(name) != typeName {
			c.Has |= HasCustom
			return p.skip(0)
		}
		bit, dst = HasType, &c.Type
	}
	v, err := p.stringValue(ErrClaimType)
	if err != nil {
		return err
	}
	*dst = bstr(v)
	c.Has |= bit
	return nil
}

func (p *scanner) aud(c *Claims) error {
	c.Has |= HasAud
	if p.i < len(p.b) && p.b[p.i] == '"' {
		v, err := p.stringValue(ErrClaimType)
		if err != nil {
			return err
		}
		c.audOne[0] = bstr(v)
		c.Aud = c.audOne[:]
		return nil
	}
	list, err := p.stringList(nil)
	if err != nil {
		return err
	}
	c.Aud = list
	return nil
}

// stringList reads an array of strings. Any other value is ErrClaimType
// (after validating and skipping it).
func (p *scanner) stringList(dst []string) ([]string, error) {
	if p.i >= len(p.b) || p.b[p.i] != '[' {
		if err := p.skip(0); err != nil {
			return nil, err
		}
		return nil, ErrClaimType
	}
	start := p.i
	p.i++
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		if dst == nil {
			dst = []string{}
		}
		return dst, nil
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			p.i = start
			if err := p.skip(0); err != nil {
				return nil, err
			}
			return nil, ErrClaimType
		}
		v, err := p.stringValue(ErrClaimType)
		if err != nil {
			return nil, err
		}
		dst = append(dst, bstr(v))
		p.ws()
		if p.i >= len(p.b) {
			return nil, ErrJSON
		}
		if p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.b[p.i] == ']' {
			p.i++
			return dst, nil
		}
		return nil, ErrJSON
	}
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
