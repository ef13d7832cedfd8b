package jws

import "strings"

// Parts are the three segments of a compact JWS, still encoded.
type Parts struct {
	Header    string // the first segment
	Payload   string // the second segment
	Signature string // the third segment
	// SigningInput is header "." payload, a substring of the token.
	SigningInput string
}

// Split splits a compact JWS into its three segments. It refuses anything
// longer than maxSize bytes (before looking at it), any count of dots other
// than two (JWE has four; a dot flood is refused at the third), empty header
// or payload segments (ErrEmpty), and empty signatures (ErrUnsigned, with
// the header and payload segments filled in).
func Split(token string, maxSize int) (Parts, error) {
	if len(token) > maxSize {
		return Parts{}, ErrTooLarge
	}
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return Parts{}, ErrSegments
	}
	d2 := strings.IndexByte(token[d1+1:], '.')
	if d2 < 0 {
		return Parts{}, ErrSegments
	}
	d2 += d1 + 1
	if strings.IndexByte(token[d2+1:], '.') >= 0 {
		return Parts{}, ErrSegments
	}
	if d1 == 0 || d2 == d1+1 {
		return Parts{}, ErrEmpty
	}
	if d2 == len(token)-1 {
		// An unsecured JWS (RFC 7515 Appendix A.5) is still refused, but
		// with its header and payload, so that the caller can report the
		// algorithm it names ("none") before the missing signature.
		return Parts{Header: token[:d1], Payload: token[d1+1 : d2], SigningInput: token[:d2]}, ErrUnsigned
	}
	// Every byte of the three segments is checked against the base64url
	// alphabet by Decode, which refuses padding, whitespace and line breaks
	// (that some base64 decoders skip); all three are decoded before a
	// token is accepted.
	return Parts{
		Header:       token[:d1],
		Payload:      token[d1+1 : d2],
		Signature:    token[d2+1:],
		SigningInput: token[:d2],
	}, nil
}

// ValidAlphabet reports whether s holds only base64url characters and
// dots. The verifier calls it only after a failed signature check, to report
// a malformed token precisely; on the hot path Decode does this work.
func ValidAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		if decodeMap[s[i]] == invalid && s[i] != '.' {
			return false
		}
	}
	return true
}
