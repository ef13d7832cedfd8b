package jws

import (
	"crypto"
	"errors"
)

// DPoP proofs (RFC 9449 §4.2) are compact JWSs like tokens, read by the
// same splitter, base64url decoder, JSON scanner and signature check; only
// the members differ: the header carries the public key (jwk) that signs
// it, and the payload the request it is bound to. A proof comes with
// every DPoP request and is never cached, so ParseProof decodes into new
// memory and keeps what the caller judges.

// MaxProofSize is the longest proof read, in bytes: an RSA-4096 jwk in the
// header and an RSA-4096 signature fit with room to spare.
const MaxProofSize = 4096

// maxProofHeader is the longest decoded proof header.
const maxProofHeader = 2048

// Errors of ParseProof beyond the codec's.
var (
	ErrProofTyp = errors.New("proof typ is not dpop+jwt")
	ErrProofJWK = errors.New("proof header has no jwk object")
)

// Proof is a DPoP proof as ParseProof read it: nothing in it is verified
// until Verify has checked the signature with the key of JWK.
type Proof struct {
	Alg Alg    // the header's alg
	JWK []byte // the header's jwk, a JSON object (raw)

	JTI, HTM, HTU string // the payload's jti, htm and htu ("" when absent)
	ATH, Nonce    string // ath and nonce ("" when absent)
	IAT           int64  // iat, in seconds
	HasIAT        bool   // whether iat is present

	signingInput string
	sig          []byte
}

// ParseProof splits and decodes proof and reads its header and payload
// strictly: a known alg; typ dpop+jwt (RFC 7515 §4.1.9: in any letter case,
// with or without "application/"); a jwk object; no crit or b64; no
// duplicate members; payload members of the right types. It does not judge
// the algorithm, the key or the claims' values.
func ParseProof(proof string) (*Proof, error) {
	parts, err := Split(proof, MaxProofSize)
	if err != nil {
		return nil, err
	}
	hn := DecodedLen(len(parts.Header))
	if hn > maxProofHeader {
		return nil, ErrHeaderTooLarge
	}
	p := &Proof{signingInput: parts.SigningInput}
	hdr, err := decodeSeg(parts.Header)
	if err != nil {
		return nil, err
	}
	if err := p.parseHeader(hdr); err != nil {
		return nil, err
	}
	payload, err := decodeSeg(parts.Payload)
	if err != nil {
		return nil, err
	}
	if err := p.parsePayload(payload); err != nil {
		return nil, err
	}
	if DecodedLen(len(parts.Signature)) > MaxSignatureSize {
		return nil, ErrSignatureTooLarge
	}
	if p.sig, err = decodeSeg(parts.Signature); err != nil {
		return nil, err
	}
	return p, nil
}

// Verify checks the proof's signature with pub (the key of its jwk) under
// its alg.
func (p *Proof) Verify(pub crypto.PublicKey) error {
	return VerifyPublic(p.Alg, pub, p.signingInput, p.sig)
}

func decodeSeg(seg string) ([]byte, error) {
	n := DecodedLen(len(seg))
	if n < 0 {
		return nil, ErrBase64
	}
	b := make([]byte, n)
	if _, err := Decode(b, seg); err != nil {
		return nil, err
	}
	return b, nil
}

func (p *Proof) parseHeader(b []byte) error {
	s := scanner{b: b}
	var d dupSet
	if err := s.openObject(); err != nil {
		return err
	}
	var algSeen, typOK, jwkSeen bool
	for {
		name, done, err := s.nextMember(&d)
		if err != nil {
			return err
		}
		if done {
			break
		}
		switch string(name) {
		case "alg":
			v, err := s.stringValue(ErrHeaderType)
			if err != nil {
				return err
			}
			a, ok := LookupAlg(v)
			if !ok {
				return ErrAlgKnown
			}
			p.Alg, algSeen = a, true
		case "typ":
			v, err := s.stringValue(ErrHeaderType)
			if err != nil {
				return err
			}
			if len(v) > len("application/") && asciiEqualFold(v[:len("application/")], "application/") {
				v = v[len("application/"):]
			}
			typOK = asciiEqualFold(v, "dpop+jwt")
		case "jwk":
			start := s.i
			if s.i >= len(s.b) || s.b[s.i] != '{' {
				if err := s.skip(0); err != nil {
					return err
				}
				return ErrProofJWK
			}
			if err := s.skip(0); err != nil {
				return err
			}
			p.JWK, jwkSeen = b[start:s.i], true
		case "crit":
			return ErrCrit
		case "b64":
			return ErrB64
		default:
			if err := s.skip(0); err != nil {
				return err
			}
		}
	}
	switch {
	case !algSeen:
		return ErrNoAlg
	case !typOK:
		return ErrProofTyp
	case !jwkSeen:
		return ErrProofJWK
	}
	return nil
}

func (p *Proof) parsePayload(b []byte) error {
	s := scanner{b: b}
	var d dupSet
	if err := s.openObject(); err != nil {
		return err
	}
	for {
		name, done, err := s.nextMember(&d)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		var dst *string
		switch string(name) {
		case "jti":
			dst = &p.JTI
		case "htm":
			dst = &p.HTM
		case "htu":
			dst = &p.HTU
		case "ath":
			dst = &p.ATH
		case "nonce":
			dst = &p.Nonce
		case "iat":
			v, next, err := dateAt(s.b, s.i)
			if err != nil {
				return err
			}
			s.i, p.IAT, p.HasIAT = next, v, true
			continue
		default:
			if err := s.skip(0); err != nil {
				return err
			}
			continue
		}
		v, err := s.stringValue(ErrClaimType)
		if err != nil {
			return err
		}
		*dst = string(v)
	}
}
