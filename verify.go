package authjwt

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/librenz/authjwt/internal/jws"
)

// Requirement says what a route needs from a token. The zero value requires
// a valid access token.
type Requirement struct {
	// Refresh requires a refresh token instead of an access token.
	Refresh bool
	// Fresh requires a fresh access token.
	Fresh bool
	// Optional lets requests without a token through (an invalid token is
	// still refused). Only meaningful to middleware and [Auth.Check].
	Optional bool
	// Roles, when set, requires the token's roles ([Token.Roles]: the
	// "roles" claim, or a trusted issuer's RolesClaim) to hold at least
	// one of them (any-of); otherwise 403 "Not enough permissions".
	Roles []string
	// Claims lists claims that must be present; otherwise 403
	// "Missing claim: <name>". A claim set to null counts as missing, as
	// in the seed (whose claims.get(name) cannot tell them apart).
	Claims []string
}

// Verify verifies a compact token against the configuration and req:
// strict parsing, algorithm allow-list, kid, signature, exp/nbf/iat with
// leeway, issuer, audience, type, freshness, revocation, roles, claims and
// the user loader, in that order. Every entry point (middleware, cookies,
// WebSocket, adapters) uses it. The error is always an *Error.
func (a *Auth) Verify(ctx context.Context, token string, req Requirement) (*Token, error) {
	return a.verify(ctx, token, req, sourceDirect)
}

func (a *Auth) verify(ctx context.Context, token string, req Requirement, source tokenSource) (*Token, error) {
	var start time.Time
	if a.cfg.OnVerify != nil {
		start = time.Now()
	}
	t, err := a.verifyToken(ctx, token, req)
	if err != nil && source == sourceHeader && hasSeparator(token) {
		// The header held more than a token (see tokenFromHeader): its
		// error, as if it had been refused before verification.
		return nil, a.creds.errBadHeader
	}
	if t != nil {
		t.source = source
	}
	if err != nil {
		e := AsError(err)
		if a.log.Enabled(ctx, slog.LevelDebug) {
			a.log.DebugContext(ctx, "authjwt: token refused", "code", string(e.Code), "reason", e.Error(), "source", source.String())
		}
		err = e
	}
	if a.cfg.OnVerify != nil {
		ev := VerifyEvent{Err: err, Source: source.String(), Duration: time.Since(start)}
		if t != nil {
			ev.Type = t.c.Type()
		}
		a.cfg.OnVerify(ctx, ev)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Limits on the parts of a token, beyond MaxTokenSize: a JOSE header of at
// most MaxHeaderSize decoded bytes (it is decoded on the stack) and a
// signature of at most MaxSignatureSize bytes (RSA-8192: New refuses RSA
// keys whose signatures would be longer).
const (
	MaxHeaderSize    = 512
	MaxSignatureSize = jws.MaxSignatureSize
)

var (
	errHeaderTooLarge    = ErrMalformedToken.with(nil, "Token header too large (limit 512 bytes)")
	errSignatureTooLarge = ErrMalformedToken.with(nil, "Token signature too large (limit 1024 bytes)")
)

// The seed's (PyJWT's) messages for two malformations, under the
// compatibility profile.
var (
	errNotEnoughSegments = ErrMalformedToken.with(jws.ErrSegments, "Not enough segments")
	errSubjectNotString  = ErrInvalidClaim.with(jws.ErrClaimType, "Subject must be a string")
)

// subjectNotString reports whether payload's sub is present and not a
// string. Only a refused token's payload is decoded this way, from a copy:
// handing payload itself to encoding/json would make the verifier's stack
// buffer escape to the heap on every request.
func subjectNotString(payload []byte) bool {
	var p struct {
		Sub json.RawMessage `json:"sub"`
	}
	if json.Unmarshal(append([]byte(nil), payload...), &p) != nil || len(p.Sub) == 0 {
		return false
	}
	return p.Sub[0] != '"'
}

func malformed(err error) *Error {
	if err == jws.ErrTooLarge {
		return ErrTokenTooLarge
	}
	return ErrMalformedToken.with(err, "")
}

// Scratch sizes on the verifier's stack: payloads and signatures up to
// these sizes (every HMAC, ECDSA and EdDSA signature; the payload of
// typical tokens) need no allocation.
const (
	stackPayloadSize   = 512
	stackSignatureSize = 132 // ES512
)

func (a *Auth) verifyToken(ctx context.Context, token string, req Requirement) (*Token, error) {
	parts, err := jws.Split(token, a.maxSize)
	if err != nil {
		if err == jws.ErrUnsigned {
			// An unsecured token ("alg":"none", empty signature) is refused
			// for its algorithm, as it would be with a signature: the
			// header is judged before the signature.
			var hbuf [MaxHeaderSize]byte
			if _, herr := a.parseHeader(parts.Header, &hbuf); herr == ErrInvalidAlgorithm {
				return nil, herr
			}
		}
		if a.compatMsgs && err == jws.ErrSegments && strings.Count(token, ".") < 2 {
			return nil, errNotEnoughSegments // PyJWT's, as the seed answers
		}
		return nil, malformed(err)
	}
	if a.vcache != nil {
		if e := a.vcache.get(token); e != nil {
			if ver, ok := a.cacheVersion(e.ti, e.alg); ok && ver == e.ver {
				t := &Token{raw: token, c: e.c, alg: e.alg, thirdParty: e.ti != nil}
				return a.finish(ctx, t, e.ti, req)
			}
		}
	}
	var hbuf [MaxHeaderSize]byte // the header is decoded on the stack
	hdr, err := a.parseHeader(parts.Header, &hbuf)
	if err != nil {
		return nil, err
	}
	alg := hdr.Alg
	var pbuf [stackPayloadSize]byte
	var payload []byte // decoded, with its claims in rc
	var rc jws.RawClaims
	var ti *trustedIssuer
	if a.trusted != nil {
		// The issuer selects the verifier, so with trusted issuers the
		// payload is read first (bounded by MaxTokenSize, and trusted for
		// nothing until the signature is checked) and routed before the
		// algorithm is looked at.
		if payload, err = a.decodeRaw(parts.Payload, pbuf[:], &rc); err != nil {
			return nil, err
		}
		if ti, err = a.route(&rc, payload); err != nil {
			return nil, err
		}
	}
	if ti != nil {
		if !ti.allowed[alg] {
			return nil, ErrInvalidAlgorithm
		}
		if !ti.typAccepted(&hdr) {
			return nil, errTypRefused
		}
	} else {
		if !a.allowed[alg] {
			return nil, ErrInvalidAlgorithm
		}
		if a.cfg.DecodeKID != "" && (!hdr.HasKid || string(hdr.Kid) != a.cfg.DecodeKID) {
			return nil, ErrInvalidKID
		}
	}
	// The keys' version is taken before the signature is checked: keys
	// that change meanwhile leave a stale entry, never a fresh one for a
	// removed key. (Without a cache, no call at all.)
	var ver uint64
	cacheable := false
	if a.vcache != nil {
		ver, cacheable = a.cacheVersion(ti, alg)
	}

	// Signature.
	sn := jws.DecodedLen(len(parts.Signature))
	if sn > MaxSignatureSize {
		return nil, errSignatureTooLarge
	}
	if sn < 0 {
		return nil, malformed(jws.ErrBase64)
	}
	var sbuf [stackSignatureSize]byte
	sig := sbuf[:]
	if sn > len(sbuf) {
		sig = make([]byte, sn) // RSA: its verification costs far more
	}
	sig = sig[:sn]
	if _, err := jws.Decode(sig, parts.Signature); err != nil {
		return nil, malformed(err)
	}
	if err := a.verifySignature(ctx, ti, alg, &hdr, parts.SigningInput, sig); err != nil {
		if _, ok := err.(*Error); ok {
			return nil, err
		}
		if !jws.ValidAlphabet(parts.Payload) {
			return nil, malformed(jws.ErrBase64)
		}
		return nil, ErrInvalidSignature
	}
	if payload == nil {
		if payload, err = a.decodeRaw(parts.Payload, pbuf[:], &rc); err != nil {
			return nil, err
		}
	}
	if ti != nil {
		// A provider's roles come from its RolesClaim only (admit), never
		// from a "roles" claim of its own.
		rc.DropList(jws.ClaimRoles)
	}
	// Allocated only now, so a refused token costs no Token.
	t := &Token{raw: token, alg: alg, thirdParty: ti != nil}
	// The header's kid (empty without one) is a view of hbuf: Materialize
	// copies it into the Token.
	rc.Materialize(payload, &t.c, t.buf[:], &a.interns, unsafeString(hdr.Kid))
	if ti != nil {
		if err := ti.policy.admit(t); err != nil {
			return nil, err
		}
	}
	t2, err := a.finish(ctx, t, ti, req)
	if err == nil && cacheable {
		a.vcache.put(token, &vEntry{c: t.c, alg: alg, ver: ver, ti: ti})
	}
	return t2, err
}

// cacheVersion is the one rule of the verification cache, for filling it
// and for serving from it: a token of alg verified by ti's keys (nil: our
// own) is cached when the cache is on, alg is asymmetric (an HMAC costs
// less than a lookup) and those keys have a version; it returns that
// version. An entry is served only while the version is unchanged.
func (a *Auth) cacheVersion(ti *trustedIssuer, alg jws.Alg) (uint64, bool) {
	if a.vcache == nil || alg.IsHMAC() {
		return 0, false
	}
	if ti == nil {
		return a.keyVersion(), true
	}
	if ti.ver == nil {
		return 0, false
	}
	return ti.ver.Version(), true
}

// finish runs the checks that follow the signature, each part once: the
// claims policy (ours, or the trusted issuer's), revocation, the route's
// requirements and the user loader.
func (a *Auth) finish(ctx context.Context, t *Token, ti *trustedIssuer, req Requirement) (*Token, error) {
	policy := a.policy
	if ti != nil {
		policy = ti.policy
	}
	if err := policy.validate(t, req); err != nil {
		return nil, err
	}
	if err := a.rev.check(ctx, t); err != nil {
		return nil, err
	}
	if err := checkRequirements(t, req); err != nil {
		return nil, err
	}
	if err := a.loadUser(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// loadUser gives t the user [Config.UserLoader] returns for it.
func (a *Auth) loadUser(ctx context.Context, t *Token) error {
	if a.userLoader == nil {
		return nil
	}
	u, err := a.userLoader(ctx, t)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return ErrUserNotFound.with(err, "")
	}
	if u == nil {
		return ErrUserNotFound
	}
	t.maps().user = u
	return nil
}

// parseHeader decodes and parses the JOSE header segment. The headers this
// Auth itself writes (one per algorithm, without extra fields) are known
// byte for byte, so they are recognised without decoding; any other header
// is decoded on the stack and parsed strictly.
func (a *Auth) parseHeader(seg string, hbuf *[MaxHeaderSize]byte) (jws.Header, error) {
	for i := range a.ownHeaders {
		if oh := &a.ownHeaders[i]; oh.seg == seg {
			return oh.hdr, nil
		}
	}
	hn := jws.DecodedLen(len(seg))
	if hn > len(hbuf) {
		return jws.Header{}, errHeaderTooLarge
	}
	if hn < 0 {
		return jws.Header{}, malformed(jws.ErrBase64)
	}
	if _, err := jws.Decode(hbuf[:hn], seg); err != nil {
		return jws.Header{}, malformed(err)
	}
	hdr, err := jws.ParseHeader(hbuf[:hn])
	if err != nil {
		if err == jws.ErrAlgKnown || err == jws.ErrNoAlg {
			return jws.Header{}, ErrInvalidAlgorithm
		}
		return jws.Header{}, malformed(err)
	}
	return hdr, nil
}

// ownHeader is a header segment this Auth writes, with its parsed form.
type ownHeader struct {
	seg string
	hdr jws.Header
}

// decodeRaw decodes the payload segment into buf (or new memory when it is
// larger) and reads its claims as spans into r.
func (a *Auth) decodeRaw(seg string, buf []byte, r *jws.RawClaims) ([]byte, error) {
	pn := jws.DecodedLen(len(seg))
	if pn < 0 {
		return nil, malformed(jws.ErrBase64)
	}
	if pn > jws.MaxPayloadSize { // unreachable within MaxTokenSize's bound, kept as the codec's precondition
		return nil, ErrTokenTooLarge
	}
	var payload []byte
	if pn <= len(buf) {
		payload = buf[:pn]
	} else {
		payload = make([]byte, pn)
	}
	if _, err := jws.Decode(payload, seg); err != nil {
		return nil, malformed(err)
	}
	if err := jws.ParseSpans(payload, a.typeName, r); err != nil {
		if err == jws.ErrClaimType {
			if a.compatMsgs && subjectNotString(payload) {
				return nil, errSubjectNotString // PyJWT's, as the seed answers
			}
			return nil, ErrInvalidClaim.with(err, "")
		}
		return nil, malformed(err)
	}
	return payload, nil
}

// decodeClaims decodes the payload segment and reads its claims into t.
func (a *Auth) decodeClaims(t *Token, seg string) error {
	var buf [stackPayloadSize]byte
	var rc jws.RawClaims
	payload, err := a.decodeRaw(seg, buf[:], &rc)
	if err != nil {
		return err
	}
	rc.Materialize(payload, &t.c, t.buf[:], &a.interns, "")
	return nil
}

// csrfEqual compares a submitted CSRF value with the token's claim in
// constant time.
func csrfEqual(submitted, claim string) bool {
	return subtle.ConstantTimeCompare([]byte(submitted), []byte(claim)) == 1
}
