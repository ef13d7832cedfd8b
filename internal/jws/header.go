package jws

import "errors"

// Header errors.
var (
	ErrCrit     = errors.New("unsupported critical header parameter")
	ErrB64      = errors.New("unencoded payload (b64: false) is not supported")
	ErrNoAlg    = errors.New("missing alg header")
	ErrAlgKnown = errors.New("unknown algorithm")
)

// Header holds the JOSE header members the verifier acts on. Kid aliases
// the decoded header buffer and is valid only as long as that buffer.
type Header struct {
	Alg    Alg    // "alg"
	Kid    []byte // "kid"
	HasKid bool   // whether "kid" is present
	HasTyp bool   // whether "typ" is present
	Typ    []byte // "typ", aliasing the buffer like Kid
}

// ParseHeader parses a decoded JOSE header. It refuses a missing or unknown
// alg (including every spelling of "none"), any crit member (no extension is
// understood), b64 (RFC 7797), duplicate members and non-object JSON.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	var algSeen bool
	p := scanner{b: b}
	var d dupSet
	if err := p.openObject(); err != nil {
		return Header{}, err
	}
	for {
		name, done, err := p.nextMember(&d)
		if err != nil {
			return Header{}, err
		}
		if done {
			break
		}
		switch string(name) {
		case "alg":
			v, err := p.stringValue(ErrHeaderType)
			if err != nil {
				return Header{}, err
			}
			a, ok := LookupAlg(v)
			if !ok {
				return Header{}, ErrAlgKnown
			}
			h.Alg, algSeen = a, true
		case "kid":
			v, err := p.stringValue(ErrHeaderType)
			if err != nil {
				return Header{}, err
			}
			h.Kid, h.HasKid = v, true
		case "typ":
			v, err := p.stringValue(ErrHeaderType)
			if err != nil {
				return Header{}, err
			}
			h.Typ, h.HasTyp = v, true
		case "crit":
			return Header{}, ErrCrit
		case "b64":
			return Header{}, ErrB64
		default:
			if err := p.skip(0); err != nil {
				return Header{}, err
			}
		}
	}
	if !algSeen {
		return Header{}, ErrNoAlg
	}
	return h, nil
}
