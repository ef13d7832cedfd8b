package jws

import "errors"

// Refusals gives the caller's value (its API error, or a message) for
// each way this package refuses a token, a DPoP proof or a value to
// encode: the one table through which a caller translates the codec's
// errors. A field left zero falls back to Malformed.
type Refusals[T comparable] struct {
	TooLarge          T // the token is over the decoder's bound (ErrTooLarge)
	Segments          T // not header.payload.signature (ErrSegments)
	Unsigned          T // an empty signature segment (ErrUnsigned)
	Algorithm         T // no alg, an unknown one, or one the gate refuses (ErrNoAlg, ErrAlgKnown, ErrAlgRefused)
	KID               T // a kid other than the gate's (ErrKIDRefused)
	Typ               T // a typ the gate refuses (ErrTypRefused)
	HeaderTooLarge    T // ErrHeaderTooLarge
	SignatureTooLarge T // ErrSignatureTooLarge
	Signature         T // no key verified the signature (ErrSignature)
	ClaimType         T // a registered claim of the wrong type (ErrClaimType)
	NotUTF8           T // the Encoder was given a string that is not UTF-8 (ErrNotUTF8)
	Depth             T // JSON nested beyond MaxDepth (ErrDepth)
	ProofTyp          T // a DPoP proof whose typ is not dpop+jwt (ErrProofTyp)
	ProofJWK          T // a DPoP proof without a jwk (ErrProofJWK)
	Malformed         T // every other refusal: base64, JSON, header members
}

// Map returns r's value for err, a refusal of this package. ok is false
// for any other error (a key resolver's own, a signer's failure, which
// Encode returns as a *SignError): the caller's to handle.
func (r *Refusals[T]) Map(err error) (v T, ok bool) {
	var zero T
	switch err {
	case ErrTooLarge:
		v = r.TooLarge
	case ErrSegments:
		v = r.Segments
	case ErrUnsigned:
		v = r.Unsigned
	case ErrNoAlg, ErrAlgKnown, ErrAlgRefused:
		v = r.Algorithm
	case ErrKIDRefused:
		v = r.KID
	case ErrTypRefused:
		v = r.Typ
	case ErrHeaderTooLarge:
		v = r.HeaderTooLarge
	case ErrSignatureTooLarge:
		v = r.SignatureTooLarge
	case ErrSignature:
		v = r.Signature
	case ErrClaimType:
		v = r.ClaimType
	case ErrNotUTF8:
		v = r.NotUTF8
	case ErrDepth:
		v = r.Depth
	case ErrProofTyp:
		v = r.ProofTyp
	case ErrProofJWK:
		v = r.ProofJWK
	default:
		if !isRefusal(err) {
			return zero, false
		}
	}
	if v == zero {
		v = r.Malformed
	}
	return v, true
}

// malformed lists the refusals that Refusals reports as Malformed.
var malformed = []error{ErrEmpty, ErrBase64, ErrJSON, ErrNotObject, ErrDuplicate, ErrHeaderType, ErrCrit, ErrB64}

func isRefusal(err error) bool {
	for _, e := range malformed {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
