package authjwt

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/librenz/authjwt/internal/jws"
)

// claimsPolicy is what a token's verified claims must satisfy: time
// (exp, nbf, iat with leeway), issuer, audience, type, freshness, the
// ID-token rule, and for a trusted issuer its admission rules and roles.
// New builds it once for our own tokens (newPolicy) and once per trusted
// issuer (newTrustedPolicy); validation reads it, not the configuration.
type claimsPolicy struct {
	clk timing

	// Type, indexed by refreshIndex: [access, refresh]. typeName is the
	// type claim's name, "" when tokens carry none.
	typeName  string
	typeValue [2]string
	errType   [2]*Error // the token is not of the type required
	// provider: a trusted issuer's policy. Its tokens are access tokens
	// (they carry no type claim) that are never fresh.
	provider bool

	// expRequired[i]: a token of type i without exp is refused.
	expRequired [2]bool

	issuer                    string // "": any
	allowRefreshWithoutIssuer bool

	audience    []string // any-of; empty: tokens must carry no aud
	errAudience *Error   // aud present but none of audience

	// refuseIDTokens refuses, on validation, tokens carrying what only
	// OpenID Connect ID tokens carry: our tokens without a type claim,
	// which an ID token minted with the same key and audience would pass
	// for. A provider's tokens are refused so on admission instead.
	refuseIDTokens bool

	// Admission of a provider's tokens (admit).
	acceptIDTokens bool     // UnsafeAcceptIDTokens
	roles          []string // RolesClaim split on "."; nil: no roles

	// rolesClaim: our tokens' roles claim when Config.Claims.RolesClaim renames
	// it ("" for "roles", which the decoder reads itself).
	rolesClaim string
}

// timing is how the parts read the time: Config.Now, and Claims.DecodeLeeway
// rounded up to whole seconds.
type timing struct {
	now    func() time.Time
	leeway int64
}

// lifetimes are the configured lifetimes of our tokens, which the claims
// policy (is exp required?) and the revoker (how long to keep an entry)
// both read.
type lifetimes struct {
	access, refresh time.Duration // Expiry.Access, Expiry.Refresh
	nonExpiring     bool          // Expiry.AllowNonExpiring
}

// newPolicy returns the policy of our own tokens: of the type claim tc,
// issued by issuer (any when empty; a refresh token may lack it when
// refreshWithoutIssuer) for one of audience (none when empty), of the
// lifetimes life (defaults applied). compat selects the seed's messages.
func newPolicy(tc *TypeClaimConfig, issuer string, audience []string, refreshWithoutIssuer bool, life lifetimes, clk timing, compat bool) *claimsPolicy {
	p := &claimsPolicy{
		clk:                       clk,
		typeValue:                 [2]string{tc.Access, tc.Refresh},
		errType:                   [2]*Error{ErrAccessRequired, ErrRefreshRequired},
		issuer:                    issuer,
		allowRefreshWithoutIssuer: refreshWithoutIssuer,
		audience:                  audience,
		errAudience:               ErrInvalidAudience,
	}
	if !tc.Skip {
		p.typeName = tc.Name
	}
	p.refuseIDTokens = p.typeName == ""
	for i, d := range [2]time.Duration{life.access, life.refresh} {
		p.expRequired[i] = !life.nonExpiring && d != Never
	}
	if compat {
		// The seed's messages: its type errors name the configured value,
		// and its audience mismatch is PyJWT's.
		p.errType[0] = ErrAccessRequired.with(nil, "Only "+tc.Access+" tokens are allowed")
		p.errType[1] = ErrRefreshRequired.with(nil, "Only "+tc.Refresh+" tokens are allowed")
		p.errAudience = ErrInvalidAudience.with(nil, "Audience doesn't match")
	}
	return p
}

// newTrustedPolicy returns the policy of a trusted issuer's tokens: access
// tokens only, with exp, for one of its Audience, never fresh.
func newTrustedPolicy(c *TrustedIssuer, clk timing, roles []string) *claimsPolicy {
	return &claimsPolicy{
		clk:            clk,
		errType:        [2]*Error{ErrAccessRequired, ErrRefreshRequired},
		provider:       true,
		expRequired:    [2]bool{true, true},
		issuer:         c.Issuer, // the token was routed by it already
		audience:       c.Audience,
		errAudience:    ErrInvalidAudience,
		acceptIDTokens: c.UnsafeAcceptIDTokens,
		roles:          roles,
	}
}

var errMissingExp = ErrInvalidClaim.with(nil, "Missing claim: exp")

// validate applies the rules that depend on the time and the route, on
// every request (a verification cache hit too), and records the token's
// type.
func (p *claimsPolicy) validate(t *Token, req *Requirement) error {
	c := &t.c
	now := p.clk.now().Unix()
	lw := p.clk.leeway
	i := refreshIndex(req.Refresh)

	// Type first: a refresh token on an access route is a type error
	// whatever else is wrong with its claims.
	switch {
	case p.provider:
		if req.Refresh {
			return p.errType[i]
		}
	case p.typeName != "":
		if !c.HasType() || c.Type() != p.typeValue[i] {
			return p.errType[i]
		}
	}
	t.isRef = req.Refresh

	if c.HasExp() {
		if now >= c.Exp+lw {
			return ErrTokenExpired
		}
	} else if p.expRequired[i] {
		return errMissingExp
	}
	if c.HasNbf() && now+lw < c.Nbf {
		return ErrTokenNotYetValid
	}
	if c.HasIat() && now+lw < c.Iat/1000 {
		return ErrTokenNotYetValid.with(nil, "The token is not yet valid (iat)")
	}
	if p.issuer != "" && (!c.HasIss() || c.Iss() != p.issuer) &&
		!(!c.HasIss() && req.Refresh && p.allowRefreshWithoutIssuer) {
		return ErrInvalidIssuer
	}
	if c.HasAud() || len(p.audience) > 0 {
		if !audienceMatch(c.Aud(), p.audience) {
			if len(p.audience) > 0 {
				return p.errAudience
			}
			return ErrInvalidAudience
		}
	}
	if !c.HasSub() {
		return ErrInvalidClaim.with(nil, "Missing claim: sub")
	}
	if p.refuseIDTokens {
		if err := refuseIDToken(t); err != nil {
			return err
		}
	}
	if req.Fresh && (p.provider || !c.Fresh) {
		return ErrFreshRequired
	}
	if req.MaxAuthAge > 0 || len(req.ACRValues) > 0 {
		return recentAuthentication(c, req, now, lw)
	}
	return nil
}

// recentAuthentication applies the route's RFC 9470 requirements: the
// user authenticated within req.MaxAuthAge ("auth_time", with the leeway
// for clock skew), with one of req.ACRValues ("acr"). The challenge tells
// the client what would do: max_age=N, acr_values="…".
func recentAuthentication(c *jws.Claims, req *Requirement, now, lw int64) error {
	if req.MaxAuthAge > 0 {
		maxAge := int64((req.MaxAuthAge + time.Second - 1) / time.Second)
		if !c.HasAuthTime() || now-c.AuthTime > maxAge+lw {
			e := ErrAuthenticationTooOld.with(nil, "")
			e.params = "max_age=" + strconv.FormatInt(maxAge, 10)
			return e
		}
		if c.AuthTime > now+lw {
			// A login in the future: no issuer with a sound clock says so.
			return ErrInvalidClaim.with(nil, "Invalid claim: auth_time")
		}
	}
	if len(req.ACRValues) > 0 && (!c.HasACR() || !slices.Contains(req.ACRValues, c.ACR())) {
		e := ErrInsufficientACR.with(nil, "")
		e.params = `acr_values="` + quotedPair(strings.Join(req.ACRValues, " ")) + `"`
		return e
	}
	return nil
}

// quotedPair escapes s for a quoted-string (RFC 9110 §5.6.4).
func quotedPair(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// Refusals of a provider's tokens that are not access tokens: by their
// "typ" header (whose value is not echoed to the client), and by the
// "events" claim of security event tokens.
var (
	errTypRefused = ErrAccessRequired.with(nil, "Only access tokens are allowed (typ header)")
	errSETRefused = ErrAccessRequired.with(nil, "Only access tokens are allowed (security event token)")
)

// admit applies the rules of a provider's policy that depend only on the
// token's verified claims, and gives the token its roles: the verification
// cache keeps a token only after they passed, so they run once per token,
// not once per request. Claims that only other kinds of JWT carry are
// refused: "events" of security event tokens, logout tokens among them
// (RFC 8417 §2.2, OpenID Connect Back-Channel Logout §2.4), whatever their
// typ; "nonce", "at_hash" and "c_hash" of OpenID Connect ID tokens unless
// UnsafeAcceptIDTokens.
func (p *claimsPolicy) admit(t *Token) error {
	if t.c.HasCustom() {
		if t.Has("events") {
			return errSETRefused
		}
		if !p.acceptIDTokens {
			if err := refuseIDToken(t); err != nil {
				return err
			}
		}
	}
	if p.roles != nil {
		t.c.SetRoles(claimStrings(t, p.roles))
	}
	return nil
}

// claimStrings follows path through the claims and returns a list of
// strings or a space-separated string as a list.
func claimStrings(t *Token, path []string) []string {
	m, err := t.Claims()
	if err != nil {
		return nil
	}
	var v any = m
	for _, p := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[p]
	}
	switch x := v.(type) {
	case string:
		return strings.Fields(x)
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// roleList returns our token's claim name when it is a list of strings,
// as the decoder reads "roles" (nil otherwise: a list holding anything
// else grants nothing).
func roleList(t *Token, name string) []string {
	v, ok := t.Claim(name)
	if !ok {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// idTokenClaims are claims only OpenID Connect ID tokens carry.
var idTokenClaims = []string{"nonce", "at_hash", "c_hash"}

// refuseIDToken is the ID-token rule: a token carrying a claim only ID
// tokens carry is refused with [ErrIDTokenRefused].
func refuseIDToken(t *Token) error {
	if !t.c.HasCustom() {
		return nil
	}
	for _, n := range idTokenClaims {
		if t.Has(n) {
			return ErrIDTokenRefused
		}
	}
	return nil
}

func audienceMatch(got, want []string) bool {
	for _, g := range got {
		for _, w := range want {
			if g == w {
				return true
			}
		}
	}
	return false
}

// checkRequirements applies the route's own requirements beyond the
// policy: roles (any-of) and claims that must be present.
func checkRequirements(t *Token, req *Requirement) error {
	if len(req.Roles) > 0 {
		ok := false
		for _, r := range t.c.Roles() {
			for _, w := range req.Roles {
				if r == w {
					ok = true
				}
			}
		}
		if !ok {
			return ErrNotEnoughPerms
		}
	}
	for _, name := range req.Claims {
		if !t.hasValue(name) {
			return missingClaim(name)
		}
	}
	return nil
}
