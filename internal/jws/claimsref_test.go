package jws

// parseClaimsRef is the scanner-based claims parser the fast ParseClaims
// replaced: member by member through nextMember and the typed readers. It
// is kept as the differential oracle of FuzzParseClaimsFast.
func parseClaimsRef(payload []byte, typeName string, c *claimsView) error {
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
		if err := p.claimRef(name, typeName, c); err != nil {
			return err
		}
	}
}

func (p *scanner) claimRef(name []byte, typeName string, c *claimsView) error {
	var bit uint32
	var dst *string
	switch claimKey(name) {
	case int(ClaimSubject):
		bit, dst = HasSub, &c.Sub
	case int(ClaimIssuer):
		bit, dst = HasIss, &c.Iss
	case int(ClaimID):
		bit, dst = HasJti, &c.Jti
	case int(ClaimFamily):
		bit, dst = HasAid, &c.Aid
	case int(ClaimCSRF):
		bit, dst = HasCSRF, &c.CSRF
	case int(ClaimACR):
		bit, dst = HasACR, &c.ACR
	case int(ClaimAuthTime):
		v, err := p.numericDate()
		if err != nil {
			return err
		}
		c.AuthTime, c.Has = v, c.Has|HasAuthTime
		return nil
	case int(ClaimExpires), int(ClaimNotBefore), int(ClaimIssuedAt):
		date := p.numericDate
		if name[0] == 'i' {
			date = p.numericDateMilli
		}
		v, err := date()
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
	case int(ClaimFresh):
		v, err := p.boolValue(ErrClaimType)
		if err != nil {
			return err
		}
		c.Fresh, c.Has = v, c.Has|HasFresh
		return nil
	case int(ClaimAudience):
		return p.aud(c)
	case int(ClaimConfirmation):
		c.Has |= HasCnf
		start := p.i
		isObj := p.i < len(p.b) && p.b[p.i] == '{'
		if err := p.skip(0); err != nil {
			return err
		}
		if !isObj {
			return ErrClaimType
		}
		c.Cnf = string(p.b[start:p.i])
		return nil
	case int(ClaimRoles):
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
func (p *scanner) aud(c *claimsView) error {
	c.Has |= HasAud
	if p.i < len(p.b) && p.b[p.i] == '"' {
		v, err := p.stringValue(ErrClaimType)
		if err != nil {
			return err
		}
		c.Aud = []string{bstr(v)}
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

// numericDate reads a NumericDate (RFC 7519 §2): a non-negative JSON number
// of seconds, fractions truncated, at most MaxNumericDate.
func (p *scanner) numericDate() (int64, error) {
	v, next, err := dateAt(p.b, p.i)
	p.i = next
	return v, err
}

// numericDateMilli is numericDate in milliseconds ("iat").
func (p *scanner) numericDateMilli() (int64, error) {
	v, next, err := dateMilliAt(p.b, p.i)
	p.i = next
	return v, err
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

// ParseClaims decodes the payload into c: ParseSpans, then Materialize
// into new memory (c does not retain payload). The tests compare it with
// parseClaimsRef and encoding/json.
func ParseClaims(payload []byte, typeName string, c *claimsView) error {
	var r RawClaims
	if err := ParseSpans(payload, typeName, &r); err != nil {
		return err
	}
	var none []string
	var cc Claims
	r.Materialize(payload, &cc, nil, &none, "")
	*c = viewOf(&cc)
	return nil
}

// claimsView is Claims with plain fields: what the scanner-based parser
// fills in, and what the tests compare.
type claimsView struct {
	Has   uint32
	Sub   string
	Iss   string
	Jti   string
	Type  string
	Aid   string
	CSRF  string
	Cnf   string
	ACR   string
	Aud   []string
	Roles []string
	Exp   int64
	Nbf   int64
	Iat   int64
	Fresh bool

	AuthTime int64
}

func viewOf(c *Claims) claimsView {
	return claimsView{Has: c.Has, Sub: c.Sub(), Iss: c.Iss(), Jti: c.Jti(), Type: c.Type(), Aid: c.Aid(), CSRF: c.CSRF(), Cnf: c.Cnf(), ACR: c.ACR(),
		Aud: c.Aud(), Roles: c.Roles(), Exp: c.Exp, Nbf: c.Nbf, Iat: c.Iat, Fresh: c.Fresh, AuthTime: c.AuthTime}
}
