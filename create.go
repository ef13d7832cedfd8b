package authjwt

import (
	"cmp"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/librenz/authjwt/internal/jws"
)

// TokenOption adjusts one token at creation. See the With… functions.
type TokenOption interface{ applyToken(*tokenOpts) }

type tokenOpts struct {
	fresh    bool
	expiry   time.Duration // 0: configured
	alg      jws.Alg
	headers  map[string]any
	issuer   *string
	audience []string
	claims   any
	roles    []string // WithRoles; nil: none
	family   string
	authTime time.Time // WithAuthTime; zero: none
	acr      string    // WithACR; "": none
	jkt      string    // WithDPoP: the key thumbprint of cnf.jkt
	csrf     string    // internal: keep this csrf value (implicit refresh)
	refresh  bool
	err      error

	// Internal: claims Rotate fixes (nil: none), and, when set, where
	// create reports what it minted. Pointers, so that the options every
	// creation allocates stay small.
	fixed  *fixedClaims
	minted *minted
}

// fixedClaims are claims of a new token decided by its caller (Rotate,
// which must be able to mint the same successor again) rather than by
// create; zero fields leave the choice to create.
type fixedClaims struct {
	at    time.Time // issue time ("iat", "nbf"); zero: now
	jti   string    // empty: a new one
	csrf  string    // empty: a new one (when CSRF claims are on)
	expAt int64     // "exp" in Unix seconds; 0: from the lifetime
}

// minted is what the library knows of a token it has just created, so that
// setting its cookies needs no second verification of it (which could
// refuse a token the library itself issued, e.g. one expiring meanwhile).
type minted struct {
	raw  string
	csrf string // the "csrf" claim; empty when none
	exp  int64  // Unix seconds; 0: no "exp"
	at   int64  // when it was issued, Unix milliseconds (its jti's time)
	iss  string // the "iss" claim; empty when none
}

type keepCSRF string

func (o keepCSRF) applyToken(t *tokenOpts) { t.csrf = string(o) }

type freshOpt bool

func (o freshOpt) applyToken(t *tokenOpts) { t.fresh = bool(o) }

// WithFresh marks an access token fresh (just obtained from credentials),
// as the seed's fresh=True. Refresh tokens are never fresh. To say when
// the user authenticated for routes requiring a recent login
// ([Requirement.MaxAuthAge]), add [WithAuthTime] at login.
func WithFresh(fresh bool) TokenOption { return freshOpt(fresh) }

type authTimeOpt struct{ t time.Time }

func (o authTimeOpt) applyToken(t *tokenOpts) {
	if !o.t.IsZero() && o.t.Unix() <= 0 {
		t.err = fmt.Errorf("authjwt: WithAuthTime: %v is not a time after 1970", o.t)
		return
	}
	t.authTime = o.t
}

// WithAuthTime sets "auth_time" (RFC 9470, OpenID Connect Core §2): when
// the user last authenticated, in whole seconds, as
// [Requirement.MaxAuthAge] checks it. Give it at login, to the access and
// the refresh token (the options of [Auth.CreatePair] apply to both):
//
//	pair, err := auth.CreatePair(user, authjwt.WithFresh(true), authjwt.WithAuthTime(time.Now()))
//
// A refresh ([Auth.RefreshHandler], [Auth.Rotate], implicit refresh) keeps
// the refresh token's "auth_time" and ignores this option, so refreshing
// never makes an authentication more recent; a refresh route written by
// hand passes WithAuthTime(rt.AuthTime()) and [WithACR](rt.ACR()). The zero
// time means none: tokens created without it carry no "auth_time" (no
// evidence of a login is made up), which routes with a MaxAuthAge refuse.
func WithAuthTime(t time.Time) TokenOption { return authTimeOpt{t} }

type acrOpt string

func (o acrOpt) applyToken(t *tokenOpts) { t.acr = string(o) }

// WithACR sets "acr" (RFC 9470, OpenID Connect Core §2), the
// authentication context class the login satisfied (an application-defined
// value such as "mfa" or a URI), which [Requirement.ACRValues] checks. Like
// "auth_time", a refresh keeps the refresh token's value and ignores this
// option.
func WithACR(acr string) TokenOption { return acrOpt(acr) }

type expiryOpt time.Duration

func (o expiryOpt) applyToken(t *tokenOpts) {
	if time.Duration(o) <= 0 && time.Duration(o) != Never {
		t.err = fmt.Errorf("authjwt: WithExpiry: duration must be positive, got %v", time.Duration(o))
		return
	}
	if time.Duration(o) > 0 && time.Duration(o) < time.Second {
		// "exp" is whole seconds (now + d, truncated): the token could be
		// expired when it is created.
		t.err = fmt.Errorf("authjwt: WithExpiry: %v is below one second, the resolution of \"exp\"", time.Duration(o))
		return
	}
	t.expiry = time.Duration(o)
}

// WithExpiry overrides the configured lifetime for this token (the seed's
// expires_time; at least one second, the resolution of "exp"). Pass [Never] (or use [WithNoExpiry]) for a token without
// "exp", which needs [ExpiryConfig.AllowNonExpiring] unless the token type
// is configured with Never.
func WithExpiry(d time.Duration) TokenOption { return expiryOpt(d) }

// WithNoExpiry is WithExpiry(Never).
func WithNoExpiry() TokenOption { return expiryOpt(Never) }

type algOpt string

func (o algOpt) applyToken(t *tokenOpts) {
	a, ok := jws.ParseAlg(string(o))
	if !ok {
		t.err = fmt.Errorf("authjwt: WithAlgorithm: unknown or forbidden algorithm %q", string(o))
		return
	}
	t.alg = a
}

// WithAlgorithm signs this token with another algorithm, which must be one
// of the configured Keys.DecodeAlgorithms and fit a configured key.
func WithAlgorithm(alg string) TokenOption { return algOpt(alg) }

type headersOpt map[string]any

func (o headersOpt) applyToken(t *tokenOpts) { t.headers = o }

// WithHeaders adds JOSE header fields (the seed's headers=). "alg", "kid",
// "typ", "crit" and "b64" cannot be set this way.
func WithHeaders(h map[string]any) TokenOption { return headersOpt(h) }

type issuerOpt string

func (o issuerOpt) applyToken(t *tokenOpts) { s := string(o); t.issuer = &s }

// WithIssuer sets "iss" for this token instead of Config.Claims.EncodeIssuer.
func WithIssuer(iss string) TokenOption { return issuerOpt(iss) }

type audienceOpt []string

func (o audienceOpt) applyToken(t *tokenOpts) { t.audience = o }

// WithAudience sets "aud": a string for one audience, a list for several.
func WithAudience(aud ...string) TokenOption { return audienceOpt(aud) }

type claimsOpt struct{ v any }

func (o claimsOpt) applyToken(t *tokenOpts) { t.claims = o.v }

// WithClaims adds custom claims (the seed's user_claims): a map[string]any
// or any value that encodes to a JSON object (a struct with json tags).
// Registered and library claims (sub, iat, nbf, jti, exp, iss, aud, fresh,
// csrf, aid, auth_time, acr and the type claim) cannot be overwritten:
// that is an error ([WithAuthTime] and [WithACR] set the last two).
func WithClaims(claims any) TokenOption { return claimsOpt{claims} }

type rolesOpt []string

func (o rolesOpt) applyToken(t *tokenOpts) { t.roles = append([]string{}, o...) }

// WithRoles sets the token's roles: a list of strings in the claim
// [ClaimsConfig.RolesClaim] names ("roles" by default), which [Token.Roles]
// returns and [Requirement.Roles] checks. Setting that claim in
// WithClaims as well is an error.
func WithRoles(roles ...string) TokenOption { return rolesOpt(roles) }

type familyOpt string

func (o familyOpt) applyToken(t *tokenOpts) { t.family = string(o) }

// WithFamily sets the token's family id ("aid"), shared by an access and
// refresh pair and by the tokens of one refresh-rotation chain, so that
// revoking the family revokes them all. [Auth.CreatePair] and
// [Auth.Rotate] set it for you.
func WithFamily(id string) TokenOption { return familyOpt(id) }

// Pair is an access token and a refresh token sharing one family id.
type Pair struct {
	AccessToken  string `json:"access_token"`  // the access token
	RefreshToken string `json:"refresh_token"` // the refresh token
	// TokenType is "DPoP" when the tokens are DPoP-bound ([WithDPoP]),
	// else "" (bearer tokens), as OAuth token responses say it (RFC 9449
	// §5).
	TokenType string `json:"token_type,omitempty"`
	// Family is the "aid" claim both tokens carry.
	Family string `json:"-"`

	// What the library minted, used by SetPairCookies while the token
	// fields are unchanged.
	access, refresh minted
}

// CreateAccessToken returns a signed access token for subject. It is
// CreateAccessTokenContext with [context.Background]: use that one when
// the signer does I/O ([ContextSigner]).
func (a *Auth) CreateAccessToken(subject string, opts ...TokenOption) (string, error) {
	return a.CreateAccessTokenContext(context.Background(), subject, opts...)
}

// CreateAccessTokenContext returns a signed access token for subject,
// signing under ctx: a [Config.Keys] Signer implementing [ContextSigner]
// gets ctx (a KMS or HSM call the request's deadline bounds, which its
// cancellation ends). With ctx already done it returns ctx.Err() without
// signing; a signer failing once ctx is done returns an error wrapping
// ctx.Err().
func (a *Auth) CreateAccessTokenContext(ctx context.Context, subject string, opts ...TokenOption) (string, error) {
	o := tokenOpts{}
	for _, op := range opts {
		op.applyToken(&o)
	}
	return a.create(ctx, subject, &o)
}

// CreateRefreshToken returns a signed refresh token for subject: see
// CreateRefreshTokenContext.
func (a *Auth) CreateRefreshToken(subject string, opts ...TokenOption) (string, error) {
	return a.CreateRefreshTokenContext(context.Background(), subject, opts...)
}

// CreateRefreshTokenContext returns a signed refresh token for subject,
// signing under ctx as [Auth.CreateAccessTokenContext] does.
func (a *Auth) CreateRefreshTokenContext(ctx context.Context, subject string, opts ...TokenOption) (string, error) {
	o := tokenOpts{refresh: true}
	for _, op := range opts {
		op.applyToken(&o)
	}
	if o.fresh {
		return "", fmt.Errorf("authjwt: WithFresh: refresh tokens cannot be fresh")
	}
	return a.create(ctx, subject, &o)
}

// CreatePair returns an access and a refresh token for subject that share
// a family id, so revoking the family (logout) revokes both. Options apply
// to both tokens, except WithFresh (access only) and WithExpiry (each keeps
// its configured lifetime unless the option is given). See
// CreatePairContext.
func (a *Auth) CreatePair(subject string, opts ...TokenOption) (Pair, error) {
	return a.CreatePairContext(context.Background(), subject, opts...)
}

// CreatePairContext is [Auth.CreatePair] signing under ctx, as
// [Auth.CreateAccessTokenContext] does.
func (a *Auth) CreatePairContext(ctx context.Context, subject string, opts ...TokenOption) (Pair, error) {
	o := tokenOpts{}
	for _, op := range opts {
		op.applyToken(&o)
	}
	if o.family == "" {
		o.family = newUUID()
	}
	return a.createPair(ctx, subject, &o, nil, o.expiry)
}

// createPair mints an access token with o and a refresh token with o
// turned into refresh options, with the claims rfixed fixes (nil: none),
// otherwise expiring after refreshExpiry (0: the configured lifetime).
func (a *Auth) createPair(ctx context.Context, subject string, o *tokenOpts, rfixed *fixedClaims, refreshExpiry time.Duration) (Pair, error) {
	var p Pair
	o.minted = &p.access
	if _, err := a.create(ctx, subject, o); err != nil {
		return Pair{}, err
	}
	r := *o
	r.refresh, r.fresh, r.csrf = true, false, ""
	r.fixed, r.expiry = rfixed, refreshExpiry
	r.minted = &p.refresh
	if _, err := a.create(ctx, subject, &r); err != nil {
		return Pair{}, err
	}
	p.AccessToken, p.RefreshToken, p.Family = p.access.raw, p.refresh.raw, o.family
	if o.jkt != "" {
		p.TokenType = "DPoP"
	}
	return p, nil
}

func (a *Auth) create(ctx context.Context, subject string, o *tokenOpts) (string, error) {
	if o.err != nil {
		return "", o.err
	}
	alg := a.ring.signAlg
	if o.alg.Known() {
		alg = o.alg
		if alg != a.ring.signAlg && !a.ring.gate.Allowed[alg] {
			return "", fmt.Errorf("authjwt: WithAlgorithm: %s is not among the configured Keys.DecodeAlgorithms", alg)
		}
	}
	sk, err := a.ring.signingFor(alg, o.alg.Known())
	if err != nil {
		return "", err
	}
	alg = sk.alg

	var fixed fixedClaims
	if o.fixed != nil {
		fixed = *o.fixed
	}
	now := fixed.at
	if now.IsZero() {
		now = a.now()
	}
	lifetime := a.cfg.Expiry.Access
	typ := a.cfg.TypeClaim.Access
	if o.refresh {
		lifetime = a.cfg.Expiry.Refresh
		typ = a.cfg.TypeClaim.Refresh
	}
	if fixed.expAt != 0 {
		lifetime = 0 // "exp" is fixed.expAt
	} else if o.expiry != 0 {
		if o.expiry == Never && lifetime != Never && !a.cfg.Expiry.AllowNonExpiring {
			return "", fmt.Errorf("authjwt: WithNoExpiry: non-expiring tokens need Config.Expiry.AllowNonExpiring (AUTHJWT_ALLOW_NON_EXPIRING_TOKENS)")
		}
		lifetime = o.expiry
	}

	var cs jws.ClaimSet
	iat := now.Unix()
	cs.SetSubject(subject)
	cs.SetIssuedAt(iat)
	cs.SetNotBefore(iat)
	var jbuf, cbuf [36]byte // generated ids, on the stack
	if fixed.jti != "" {
		cs.SetID(fixed.jti)
	} else {
		cs.SetIDBytes(appendUUIDv7(jbuf[:0], now))
	}
	var exp int64
	if fixed.expAt != 0 {
		exp = fixed.expAt
	} else if lifetime != Never {
		exp = now.Add(lifetime).Unix()
	}
	if exp != 0 {
		cs.SetExpires(exp)
	}
	iss := a.cfg.Claims.EncodeIssuer
	if o.issuer != nil {
		iss = *o.issuer
	}
	if iss != "" {
		cs.SetIssuer(iss)
	}
	if len(o.audience) > 0 {
		cs.SetAudience(o.audience) // one: a string
	}
	cs.SetType(typ) // written unless the type claim is off
	if !o.refresh {
		cs.SetFresh(o.fresh)
	}
	if o.family != "" {
		cs.SetFamily(o.family)
	}
	if !o.authTime.IsZero() {
		cs.SetAuthTime(o.authTime.Unix())
	}
	if o.acr != "" {
		cs.SetACR(o.acr)
	}
	if o.jkt != "" {
		// A thumbprint is base64url (checked by WithDPoP): nothing to escape.
		cs.SetConfirmation(`{"jkt":"` + o.jkt + `"}`)
	}
	var csrf string
	if a.creds.csrfClaims() {
		if keep := cmp.Or(o.csrf, fixed.csrf); keep != "" {
			cs.SetCSRF(keep)
			csrf = keep
		} else {
			v := appendUUID(cbuf[:0])
			cs.SetCSRFBytes(v)
			if o.minted != nil {
				csrf = string(v)
			}
		}
	}
	if o.claims != nil {
		var err error
		if cs.Custom, err = a.customMembers(o.claims); err != nil {
			return "", err
		}
		if err := checkReplaced(cs.Custom, o.claims); err != nil {
			return "", err
		}
	}
	if o.roles != nil {
		var err error
		if cs.Custom, err = a.appendRoles(cs.Custom, o.roles); err != nil {
			return "", err
		}
	}

	hdr := sk.header
	if hdr == "" {
		return "", ErrInvalidTokenOption.with(errNotUTF8, "") // a kid that is not UTF-8
	}
	if o.headers != nil {
		for k := range o.headers {
			switch k {
			case "alg", "kid", "typ", "crit", "b64":
				return "", fmt.Errorf("authjwt: WithHeaders: %q cannot be set", k)
			}
		}
		extra, err := json.Marshal(o.headers)
		if err != nil {
			return "", fmt.Errorf("authjwt: WithHeaders: header fields do not encode to JSON")
		}
		extra = extra[1 : len(extra)-1]
		if err := checkReplaced(extra, o.headers); err != nil {
			return "", err
		}
		if hdr, err = a.enc.Header(alg, sk.kid, extra); err != nil {
			return "", encodeError(err)
		}
	}
	key := sk.key
	if cs, ok := key.Signer.(ContextSigner); ok && ctx != nil && key.HMAC == nil {
		key.Signer = boundSigner{ctx, cs}
	}
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return "", err
		}
	}
	out, err := a.enc.Encode(hdr, &cs, alg, key)
	if err != nil {
		if ctx != nil && ctx.Err() != nil {
			return "", fmt.Errorf("authjwt: signing: %w", ctx.Err())
		}
		return "", encodeError(err)
	}
	if len(out) > a.maxSize {
		return "", ErrInvalidTokenOption.with(fmt.Errorf("the token is %d bytes, more than MaxTokenSize (%d): the verifier would refuse it", len(out), a.maxSize), "")
	}
	raw := unsafeString(out)
	if o.minted != nil {
		*o.minted = minted{raw: raw, csrf: csrf, exp: exp, at: now.UnixMilli(), iss: iss}
	}
	return raw, nil
}

// ContextSigner is a [crypto.Signer] whose signing takes a context: a key
// in a KMS or an HSM, reached over the network. When [KeyConfig.Signer]
// (or a key of [KeyConfig.Set]) implements it, the ...Context creation
// methods, [Auth.Rotate] and [Auth.RefreshHandler] call SignContext with
// their context instead of Sign, so the request's deadline bounds the
// call and its cancellation ends it; the methods without a context pass
// [context.Background].
type ContextSigner interface {
	crypto.Signer
	// SignContext signs digest as Sign does, giving up with ctx.Err()
	// once ctx is done.
	SignContext(ctx context.Context, rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

// boundSigner is a ContextSigner bound to one context, as jws signs: a
// crypto.Signer.
type boundSigner struct {
	ctx context.Context
	s   ContextSigner
}

// Public returns the signer's public key.
func (b boundSigner) Public() crypto.PublicKey { return b.s.Public() }

// Sign signs with SignContext under the bound context.
func (b boundSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return b.s.SignContext(b.ctx, rand, digest, opts)
}

// customMembers returns the members of the custom claims' JSON object,
// without its braces (nil when there are none).
func (a *Auth) customMembers(claims any) ([]byte, error) {
	var raw []byte
	switch c := claims.(type) {
	case map[string]any:
		if len(c) == 0 {
			return nil, nil
		}
		for _, k := range slices.Sorted(maps.Keys(c)) {
			if err := a.checkCustomName(k); err != nil {
				return nil, err
			}
		}
		b, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("authjwt: WithClaims: %w", err)
		}
		raw = b
	default:
		b, err := json.Marshal(claims)
		if err != nil {
			return nil, fmt.Errorf("authjwt: WithClaims: %w", err)
		}
		raw = b
		names, err := jws.TopLevelNames(b)
		if e, _ := codecRefusals.Map(err); e == errTooDeep {
			return nil, ErrInvalidTokenOption.with(fmt.Errorf("the claims would not parse (%w): the verifier would refuse the token", err), "")
		}
		if err != nil {
			return nil, fmt.Errorf("authjwt: WithClaims: custom claims must encode to a JSON object (got %T)", claims)
		}
		for _, k := range names {
			if err := a.checkCustomName(k); err != nil {
				return nil, err
			}
		}
	}
	// raw is a JSON object: its members.
	return raw[1 : len(raw)-1], nil
}

// appendRoles appends the roles claim to the custom members, refusing it
// when they already hold it.
func (a *Auth) appendRoles(members []byte, roles []string) ([]byte, error) {
	name := a.cfg.Claims.RolesClaim
	if len(members) > 0 {
		names, err := jws.TopLevelNames(slices.Concat([]byte("{"), members, []byte("}")))
		if err != nil {
			return nil, ErrInvalidTokenOption.with(err, "")
		}
		if slices.Contains(names, name) {
			return nil, fmt.Errorf("authjwt: WithRoles: claim %q is also set by WithClaims", name)
		}
	}
	k, _ := json.Marshal(name)
	v, err := json.Marshal(roles)
	if err != nil {
		return nil, fmt.Errorf("authjwt: WithRoles: %w", err)
	}
	if err := checkReplaced(v, roles); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(members)+len(k)+len(v)+2)
	out = append(out, members...)
	if len(members) > 0 {
		out = append(out, ',')
	}
	out = append(append(append(out, k...), ':'), v...)
	return out, nil
}

func (a *Auth) checkCustomName(k string) error {
	if reservedClaims[k] || (!a.cfg.TypeClaim.Skip && k == a.cfg.TypeClaim.Name) {
		return fmt.Errorf("authjwt: WithClaims: claim %q is set by the library and cannot be overwritten", k)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// appendUUID appends a random (version 4) UUID.
func appendUUID(dst []byte) []byte {
	var u [16]byte
	rand.Read(u[:])
	return appendUUIDText(dst, &u, 0x40)
}

// appendUUIDText sets u's version (the high nibble of byte 6) and RFC 9562
// variant bits and appends its canonical text form.
func appendUUIDText(dst []byte, u *[16]byte, version byte) []byte {
	u[6] = u[6]&0x0f | version
	u[8] = u[8]&0x3f | 0x80
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// appendUUIDv7 appends a random UUID version 7 (RFC 9562 §5.7): the first
// 48 bits are the Unix time in milliseconds, the other 74 free bits
// random. authjwt uses it as the jti, so that a token says to the
// millisecond when it was issued while its "iat" stays a whole number of
// seconds, as every JWT library expects (PyJWT, which the seed verifies
// with, compares iat with the current second and would refuse a fractional
// one for the rest of the second it was issued in). A subject's revocation
// cutoff ([Auth.RevokeSubject]) reads it to tell a token issued just after
// "log out everywhere" from one issued just before.
func appendUUIDv7(dst []byte, now time.Time) []byte {
	var u [16]byte
	rand.Read(u[6:])
	ms := uint64(now.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	return appendUUIDText(dst, &u, 0x70)
}

// uuid7Millis returns the Unix milliseconds of a UUID version 7 in its
// canonical lower- or upper-case text form.
func uuid7Millis(s string) (int64, bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[14] != '7' {
		return 0, false
	}
	var v int64
	for i := 0; i < 13; i++ {
		if i == 8 {
			continue
		}
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | int64(c)
	}
	return v, true
}

func newUUID() string { return string(appendUUID(make([]byte, 0, 36))) }
