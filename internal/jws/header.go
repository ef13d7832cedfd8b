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
	Alg    Alg
	Kid    []byte
	HasKid bool
	Typ    []byte
}

// ParseHeader parses a decoded JOSE header. It refuses a missing or unknown
// alg (including every spelling of "none"), any crit member (no extension is
// understood), b64 (RFC 7797), duplicate members and non-object JSON.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	var algSeen bool
	p := scanner{b: b}
	err := p.object(func(name []byte) error {
		switch string(name) {
		case "alg":
			v, err := p.stringValue(ErrHeaderType)
			if err != nil {
				return err
			}
			a, ok := LookupAlg(v)
			if !ok {
				return ErrAlgKnown
			}
			h.Alg, algSeen = a, true
		case "kid":
			v, err := p.stringValue(ErrHeaderType)
			if err != nil {
				return err
			}
			h.Kid, h.HasKid = v, true
		case "typ":
			v, err := p.stringValue(ErrHeaderType)
			if err != nil {
				return err
			}
			h.Typ = v
		case "crit":
			if err := p.skip(0); err != nil {
				return err
			}
			return ErrCrit
		case "b64":
			if err := p.skip(0); err != nil {
				return err
			}
			return ErrB64
		default:
			return p.skip(0)
		}
		return nil
	})
	if err != nil {
		return Header{}, err
	}
	if !algSeen {
		return Header{}, ErrNoAlg
	}
	return h, nil
}
