package authjwt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/librenz/authjwt/internal/jws"
)

// Token is a verified token. It is decoded once, during verification;
// its getters never decode it again, except [Token.Claims] and
// [Token.Decode], which decode the payload's custom claims on first use
// (they are not needed to verify, so the hot path skips them).
type Token struct {
	raw        string
	c          jws.Claims                // its strings point into buf, or are interned
	lazy       atomic.Pointer[tokenMaps] // allocated on first use
	alg        jws.Alg
	isRef      bool
	thirdParty bool
	source     tokenSource

	// buf holds the claim strings of typical tokens, so that a
	// verification makes one small allocation. The payload itself is not
	// kept: it is decoded into a scratch buffer, and decoded again from
	// raw only when custom claims are asked for.
	buf [tokenBufSize]byte
}

// tokenBufSize fills Token up to the 256-byte size class (TestTokenSize):
// room for a subject of up to 48 bytes and two UUIDs (jti, aid); the
// issuer, audience and type usually need none (they are interned). Tokens
// whose strings do not fit (a cookie token's CSRF value besides those, a
// long subject) get a second allocation for them.
const tokenBufSize = 120

type tokenMaps struct {
	user    any // set by the UserLoader
	once    sync.Once
	all     map[string]any
	allErr  error
	hdrOnce sync.Once
	hdr     map[string]any
	hdrErr  error
	payOnce sync.Once
	payload []byte
	payErr  error
}

func (t *Token) maps() *tokenMaps {
	if m := t.lazy.Load(); m != nil {
		return m
	}
	t.lazy.CompareAndSwap(nil, new(tokenMaps))
	return t.lazy.Load()
}

// Raw returns the token as it was presented.
func (t *Token) Raw() string { return t.raw }

// Subject returns the "sub" claim.
func (t *Token) Subject() string { return t.c.Sub() }

// JTI returns the "jti" claim (empty for third-party tokens without one).
func (t *Token) JTI() string { return t.c.Jti() }

// Issuer returns the "iss" claim.
func (t *Token) Issuer() string { return t.c.Iss() }

// Audience returns the "aud" claim as a list (nil when absent).
func (t *Token) Audience() []string { return t.c.Aud() }

// Type returns the value of the type claim ("access" or "refresh" by
// default; empty when the type claim is off).
func (t *Token) Type() string { return t.c.Type() }

// IsRefresh reports whether the token was verified as a refresh token.
func (t *Token) IsRefresh() bool { return t.isRef }

// Fresh reports whether the token is a fresh access token.
func (t *Token) Fresh() bool { return t.c.Fresh }

// Family returns the family id ("aid") shared by a token pair.
func (t *Token) Family() string { return t.c.Aid() }

// CSRF returns the "csrf" claim (cookie mode).
func (t *Token) CSRF() string { return t.c.CSRF() }

// Roles returns the token's roles: for our own tokens the claim
// [ClaimsConfig.RolesClaim] names ("roles" by default) when it is a list of
// strings; for a trusted issuer's, the claim its
// [TrustedIssuer.RolesClaim] names, and none without one (a provider's own
// "roles" claim is not read).
func (t *Token) Roles() []string { return t.c.Roles() }

// Algorithm returns the verified "alg" header.
func (t *Token) Algorithm() string { return t.alg.String() }

// KeyID returns the "kid" header, if any.
func (t *Token) KeyID() string { return t.c.Kid() }

// Source says where the token was read from: "header", "cookie",
// "query", "subprotocol", "dpop" (the Authorization header under the DPoP
// scheme, its proof verified), or "" when verified directly.
func (t *Token) Source() string { return t.source.String() }

// tokenSource is where a token was read from, in one byte of Token.
type tokenSource uint8

const (
	sourceDirect tokenSource = iota
	sourceHeader
	sourceCookie
	sourceQuery
	sourceSubprotocol
	sourceDPoP // the Authorization header under the DPoP scheme, with a proof
)

var sourceNames = [...]string{sourceDirect: "", sourceHeader: "header", sourceCookie: "cookie", sourceQuery: "query", sourceSubprotocol: "subprotocol", sourceDPoP: "dpop"}

func (s tokenSource) String() string { return sourceNames[s] }

func unixTime(v int64, ok bool) time.Time {
	if !ok {
		return time.Time{}
	}
	return time.Unix(v, 0)
}

// IssuedAt returns "iat" (zero when absent), with its fraction to the
// millisecond when it has one.
func (t *Token) IssuedAt() time.Time {
	if !t.c.HasIat() {
		return time.Time{}
	}
	return time.UnixMilli(t.c.Iat)
}

// issuedMillis returns when t was issued, in Unix milliseconds, for a
// subject's revocation cutoff: its iat, refined by its jti when that is a
// UUID version 7 (as authjwt issues) whose time falls in iat's second. A
// whole-second iat without one counts as the start of its second, so a
// cutoff refuses it for the whole second (the safe side).
func (t *Token) issuedMillis() int64 {
	ms := t.c.Iat
	if ms%1000 == 0 {
		if ts, ok := uuid7Millis(t.c.Jti()); ok && ts/1000 == ms/1000 {
			ms = ts
		}
	}
	return ms
}

// ExpiresAt returns "exp" (zero for a token that does not expire).
func (t *Token) ExpiresAt() time.Time { return unixTime(t.c.Exp, t.c.HasExp()) }

// AuthTime returns "auth_time" (RFC 9470): when the user authenticated,
// to the second (zero when absent). See [WithAuthTime] and
// [Requirement.MaxAuthAge].
func (t *Token) AuthTime() time.Time {
	return unixTime(t.c.AuthTime, t.c.HasAuthTime())
}

// ACR returns "acr" (RFC 9470), the authentication context class ("" when
// absent). See [WithACR] and [Requirement.ACRValues].
func (t *Token) ACR() string { return t.c.ACR() }

// NotBefore returns "nbf" (zero when absent).
func (t *Token) NotBefore() time.Time { return unixTime(t.c.Nbf, t.c.HasNbf()) }

// Has reports whether the payload has a claim with this exact name.
func (t *Token) Has(name string) bool {
	if has, known := t.c.Lookup(name); known {
		return has // a claim of the codec's table: read during verification
	}
	m, err := t.Claims()
	if err != nil {
		return false
	}
	_, ok := m[name]
	return ok
}

// hasValue reports whether the payload has a claim with this exact name
// whose value is not null: what a required claim needs. (The claims of
// the codec's table that Has reads from the verified claims are never
// null: the verifier refuses a null one as a claim of the wrong type.)
func (t *Token) hasValue(name string) bool {
	if has, known := t.c.Lookup(name); known {
		return has
	}
	v, ok := t.Claim(name)
	return ok && v != nil
}

// Claims returns every claim of the token as a map (JSON numbers as
// json.Number). The map is decoded on first use and shared: do not modify it.
func (t *Token) Claims() (map[string]any, error) {
	m := t.maps()
	m.once.Do(func() {
		p, err := t.payload()
		if err != nil {
			m.allErr = err
			return
		}
		m.all, m.allErr = decodeMap(p)
	})
	return m.all, m.allErr
}

// Claim returns one claim's value as decoded by [Token.Claims].
func (t *Token) Claim(name string) (any, bool) {
	m, err := t.Claims()
	if err != nil {
		return nil, false
	}
	v, ok := m[name]
	return v, ok
}

// Decode decodes the payload into v (a pointer to a struct with json
// tags, typically holding the application's custom claims) with
// encoding/json, but matching claim names to fields exactly, case
// included, as every other accessor does: a member "SUB" or "ſub" does not
// fill a field tagged `json:"sub"` (encoding/json alone would fill it,
// case-insensitively, the last match winning). The same holds in nested
// structs; maps and interface values get every member under its own name.
// A field whose tag name encoding/json considers invalid (such as
// `json:"a\"b"`) is never filled: Go releases disagree on its name.
//
// The token is verified, so a failure is the application's: v does not
// fit the claims (a field of the wrong type, v not a pointer). The error
// is then [ErrClaimsType] (500 claims_type_mismatch, never a 401 blaming
// the token), wrapping encoding/json's; [Auth.WriteError] logs it.
func (t *Token) Decode(v any) error {
	p, err := t.payload()
	if err != nil {
		return err
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		if p, err = exactCase(p, rv.Type()); err != nil {
			return ErrClaimsType.with(fmt.Errorf("decoding claims into %T: %w", v, err), "")
		}
	}
	if err := json.Unmarshal(p, v); err != nil {
		return ErrClaimsType.with(fmt.Errorf("decoding claims into %T: %w", v, err), "")
	}
	return nil
}

// Header returns the JOSE header as a map.
func (t *Token) Header() (map[string]any, error) {
	m := t.maps()
	m.hdrOnce.Do(func() {
		m.hdr, m.hdrErr = UnverifiedHeader(t.raw)
	})
	return m.hdr, m.hdrErr
}

// PayloadJSON returns the decoded payload bytes (a copy).
func (t *Token) PayloadJSON() []byte {
	p, _ := t.payload()
	return append([]byte(nil), p...)
}

// payload decodes the payload of the verified token on first use (the
// verification itself decodes it into a scratch buffer and keeps only the
// claims it needs).
func (t *Token) payload() ([]byte, error) {
	m := t.maps()
	m.payOnce.Do(func() {
		m.payload, m.payErr = decodeSegment(t.raw, 1, len(t.raw))
	})
	return m.payload, m.payErr
}

// decodeSegment decodes segment i (0 header, 1 payload) of a compact token
// of at most maxSize bytes.
func decodeSegment(token string, i, maxSize int) ([]byte, error) {
	b, err := jws.DecodeSegment(token, i, maxSize)
	if err != nil {
		return nil, errors.New("authjwt: " + err.Error())
	}
	return b, nil
}

func decodeMap(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// UnverifiedHeader decodes the JOSE header of a compact token WITHOUT
// verifying anything. Use it only to decide how to verify (for example, to
// pick a configuration), never to trust its content.
func UnverifiedHeader(token string) (map[string]any, error) {
	buf, err := decodeSegment(token, 0, 64<<10)
	if err != nil {
		return nil, err
	}
	if _, err := jws.TopLevelNames(buf); err != nil {
		return nil, errors.New("authjwt: header: " + err.Error())
	}
	return decodeMap(buf)
}
