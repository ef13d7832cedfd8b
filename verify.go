package authjwt

import (
	"context"
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
	// MaxAuthAge, when positive, requires the user to have authenticated
	// within it (RFC 9470): the token's "auth_time" ([WithAuthTime] at
	// login; kept by refreshes) at most MaxAuthAge old, with
	// [ClaimsConfig.DecodeLeeway] for clock skew, in whole seconds (a fraction
	// is rounded up). A token without "auth_time", or with an older one,
	// is refused with 401 [ErrAuthenticationTooOld] and the challenge
	// `error="insufficient_user_authentication", max_age=N`, which tells
	// the client to have the user log in again. A trusted issuer's
	// "auth_time" counts like ours. Unlike Fresh, it holds for tokens
	// refreshed from a recent login until N seconds after that login.
	MaxAuthAge time.Duration
	// ACRValues, when set, requires the token's "acr" ([WithACR], or a
	// trusted issuer's) to be one of them (RFC 9470); otherwise 401
	// [ErrInsufficientACR] with `acr_values="…"` in the challenge.
	ACRValues []string
	// Optional lets requests without a token through (an invalid token is
	// still refused). Only meaningful to middleware and [Auth.Check].
	Optional bool
	// Roles, when set, requires the token's roles ([Token.Roles]: the
	// claim [ClaimsConfig.RolesClaim] names, "roles" by default, or a trusted
	// issuer's RolesClaim) to hold at least
	// one of them (any-of); otherwise 403 "Not enough permissions".
	Roles []string
	// Claims lists claims that must be present; otherwise 403
	// "Missing claim: <name>". A claim set to null counts as missing, as
	// in the seed (whose claims.get(name) cannot tell them apart).
	Claims []string
	// QueryParam, when set, names a query parameter in which this route
	// accepts the token of GET and HEAD requests ([Auth.Check] and the
	// middleware; WebSocket handshakes have WebSocket.QueryParam): for
	// clients that cannot set headers, such as a browser's EventSource or
	// a download link. The Authorization header, when headers are a token
	// location and it carries one, still comes first; then this
	// parameter; then the cookies. A token there on any other method is
	// refused (401), so is the parameter given twice. No route without
	// it ever reads a token from the query string.
	//
	// URLs end up in server and proxy logs, in browser history and, in
	// the Referer header, on other sites (RFC 6750 §2.3): prefer short
	// lifetimes for such tokens. The middleware answers these requests
	// with Cache-Control: no-store and Referrer-Policy: no-referrer, and
	// removes the parameter from the URL the handler sees (r.URL and
	// r.RequestURI); logging middleware in front of it still sees it.
	QueryParam string
	// DPoP is this route's DPoP mode: "" for [DPoPConfig.Mode], or
	// [DPoPOff], [DPoPAllowed], [DPoPRequired]. With DPoPRequired only
	// DPoP-bound tokens under the DPoP scheme pass; with DPoPOff the
	// DPoP scheme is not read (a bound token cannot be used here).
	DPoP string
}

// Verify verifies a compact token against the configuration and req:
// strict parsing, algorithm allow-list, kid, signature, exp/nbf/iat with
// leeway, issuer, audience, type, freshness, revocation, roles, claims and
// the user loader, in that order. Every entry point (middleware, cookies,
// WebSocket, adapters) uses it. The error is always an *Error.
func (a *Auth) Verify(ctx context.Context, token string, req Requirement) (*Token, error) {
	return a.verify(ctx, token, &req, sourceDirect)
}

func (a *Auth) verify(ctx context.Context, token string, req *Requirement, source tokenSource) (*Token, error) {
	var start time.Time
	if a.onVerify != nil {
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
	if a.onVerify != nil {
		ev := VerifyEvent{Err: err, Source: source.String(), Duration: time.Since(start)}
		if t != nil {
			ev.Type, ev.Algorithm, ev.ThirdParty, ev.Issuer = t.c.Type(), t.alg.String(), t.thirdParty, t.c.Iss()
		}
		a.onVerify(ctx, ev)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Limits on the parts of a token, beyond MaxTokenSize: a JOSE header of at
// most MaxHeaderSize decoded bytes (it is decoded on the stack) and a
// signature of at most MaxSignatureSize bytes (RSA-8192: New refuses RSA
// keys whose signatures would be longer). They are the codec's
// (TestLimitsMatchCodec pins them).
const (
	MaxHeaderSize    = 512
	MaxSignatureSize = 1024
)

// The codec's errors, as the API reports them.
var (
	errHeaderTooLarge    = ErrMalformedToken.with(nil, "Token header too large (limit 512 bytes)")
	errSignatureTooLarge = ErrMalformedToken.with(nil, "Token signature too large (limit 1024 bytes)")
	errSegments          = ErrMalformedToken.with(nil, "") // a marker in codecRefusals, never returned
	errTooDeep           = ErrMalformedToken.with(nil, "") // likewise
	errNotUTF8Option     = ErrInvalidTokenOption.with(errNotUTF8, "")
)

// The seed's (PyJWT's) messages for two malformations, under the
// compatibility profile.
var (
	errNotEnoughSegments = ErrMalformedToken.with(nil, "Not enough segments")
	errSubjectNotString  = ErrInvalidClaim.with(nil, "Subject must be a string")
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

// codecRefusals is the one table of the codec's refusals, as the API
// reports them (for tokens, and for what the encoder refuses to write).
var codecRefusals = jws.Refusals[*Error]{
	TooLarge:          ErrTokenTooLarge,
	Segments:          errSegments,
	Algorithm:         ErrInvalidAlgorithm,
	KID:               ErrInvalidKID,
	Typ:               errTypRefused,
	HeaderTooLarge:    errHeaderTooLarge,
	SignatureTooLarge: errSignatureTooLarge,
	Signature:         ErrInvalidSignature,
	ClaimType:         ErrInvalidClaim,
	NotUTF8:           errNotUTF8Option,
	Depth:             errTooDeep,
	Malformed:         ErrMalformedToken,
}

// codecError is the one translation of the codec's errors (and of the key
// resolvers', which are already ours) into the API's: token is the token
// refused and in its decoding state, for the seed's messages.
func (a *Auth) codecError(err error, token string, in *jws.Input) error {
	e, ok := codecRefusals.Map(err)
	if !ok { // a key resolver's own
		if e, ok := err.(*Error); ok {
			return e
		}
		return ErrMalformedToken.with(err, "")
	}
	switch e {
	case errSegments:
		if a.compatMsgs && strings.Count(token, ".") < 2 {
			return errNotEnoughSegments.with(err, "") // PyJWT's, as the seed answers
		}
		return ErrMalformedToken.with(err, "")
	case errSignatureTooLarge:
		if in.Alg().IsMLDSA() {
			return errMLDSASignatureTooLarge
		}
	case ErrInvalidClaim:
		if a.compatMsgs && subjectNotString(in.Payload()) {
			return errSubjectNotString.with(err, "") // PyJWT's, as the seed answers
		}
		return ErrInvalidClaim.with(err, "")
	case ErrMalformedToken, errTooDeep:
		return ErrMalformedToken.with(err, "")
	}
	return e
}

// verifyToken verifies token from its form to the user loader: from the
// verification cache, or through the codec (decode), then the checks that
// follow the signature (finish).
func (a *Auth) verifyToken(ctx context.Context, token string, req *Requirement) (*Token, error) {
	if a.vcache != nil {
		// A cached token was decoded and verified once: its string is the
		// key, so nothing of it needs decoding again.
		if e := a.vcache.get(token); e != nil {
			if ver, ok := a.cacheVersion(e.ti, e.alg); ok && ver == e.ver {
				t := &Token{raw: token, c: e.c, alg: e.alg, thirdParty: e.ti != nil}
				return a.finish(ctx, t, e.ti, req)
			}
		}
	}
	d, err := a.decode(ctx, token, false)
	if err != nil {
		return nil, err
	}
	t, err := a.finish(ctx, d.t, d.ti, req)
	if err == nil && d.cacheable {
		a.vcache.put(token, &vEntry{c: d.t.c, alg: d.t.alg, ver: d.ver, ti: d.ti})
	}
	return t, err
}

// decoded is a token the codec accepted: its claims in a new Token, the
// trusted issuer whose keys verified it (nil: ours), and the verification
// cache's version of those keys, taken before the signature was checked
// (cacheable: it may be cached).
type decoded struct {
	t         *Token
	ti        *trustedIssuer
	ver       uint64
	cacheable bool
}

// decode is the one path of a token through the codec: its form, the
// resolver (our key ring; with trusted issuers, unless ours, the one its
// unverified iss names), the signature, then the claims into a new Token,
// with the issuer's roles rule. It judges no claim: that is finish's
// policy step.
func (a *Auth) decode(ctx context.Context, token string, ours bool) (decoded, error) {
	var in jws.Input // the decoder's scratch buffers, on the stack
	if err := a.dec.Open(token, &in); err != nil {
		return decoded{}, a.codecError(err, token, &in)
	}
	var ti *trustedIssuer
	var kr jws.KeyResolver = a.ring
	if a.trusted != nil && !ours {
		// The issuer selects the verifier, so with trusted issuers the
		// payload was read by Open (bounded by MaxTokenSize, and trusted
		// for nothing until the signature is checked) and is routed here,
		// before the algorithm is looked at.
		var err error
		if ti, err = a.route(in.Issuer()); err != nil {
			return decoded{}, err
		}
		if ti != nil {
			kr = ti
		}
	}
	alg := in.Alg()
	// The keys' version is taken before the signature is checked: keys
	// that change meanwhile leave a stale entry, never a fresh one for a
	// removed key. (Without a cache, no call at all.)
	d := decoded{ti: ti}
	if a.vcache != nil && !ours {
		d.ver, d.cacheable = a.cacheVersion(ti, alg)
	}
	if err := a.dec.Verify(ctx, &in, kr); err != nil {
		return decoded{}, a.codecError(err, token, &in)
	}
	// Allocated only now, so a refused token costs no Token.
	t := &Token{raw: token, alg: alg, thirdParty: ti != nil}
	a.dec.Materialize(&in, &t.c, t.buf[:])
	if ti != nil {
		if err := ti.policy.admit(t); err != nil {
			return decoded{}, err
		}
	} else if a.policy.rolesClaim != "" {
		t.c.SetRoles(roleList(t, a.policy.rolesClaim))
	}
	d.t = t
	return d, nil
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
func (a *Auth) finish(ctx context.Context, t *Token, ti *trustedIssuer, req *Requirement) (*Token, error) {
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
