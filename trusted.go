package authjwt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
)

// KeySource supplies a trusted issuer's verification keys. [keys.Remote]
// (a cached, self-refreshing JWKS) implements it; a static source can
// stand in for a pinned provider.
type KeySource interface {
	// Lookup returns the key with the given kid, fetching the provider's
	// keys again if it does not know it (at a bounded rate).
	Lookup(ctx context.Context, kid string) (keys.Key, error)
	// Keys returns every key currently known, for tokens without kid.
	Keys() []keys.Key
}

// TrustedIssuer accepts access tokens from a third-party identity provider
// (Auth0, Keycloak, Okta, Entra ID, any OpenID Connect provider) beside our
// own. The token's "iss" selects the issuer before its algorithm or any key
// is looked at, so keys never cross issuers: a token whose "iss" is neither
// a trusted issuer's nor ours (Claims.DecodeIssuer, or Claims.EncodeIssuer when
// Claims.DecodeIssuer is empty; a token without "iss" is ours) is refused with
// [ErrUntrustedIssuer]. The unverified "iss" only chooses the verifier; it
// is trusted for nothing else until that verifier has checked the
// signature.
type TrustedIssuer struct {
	// Issuer is the provider's "iss", compared exactly (Auth0's ends with
	// "/", Keycloak's does not).
	Issuer string
	// JWKSURL is the provider's JWK Set; when empty it is found by OpenID
	// Connect discovery (Issuer + "/.well-known/openid-configuration").
	JWKSURL string
	// Audience lists the accepted "aud" values (any-of). Required, unless
	// [ResourceConfig.Identifier] is set: then, when empty, it is that
	// identifier, the RFC 8707 resource indicator a client asks the
	// provider a token for. A token minted for another service of the
	// same provider must not pass. List
	// this API's identifiers only (where a provider names an API by a
	// client id, as Keycloak and Entra ID may, the API's own registration),
	// never the id of a client that signs users in: that client's ID
	// tokens carry its id as "aud", and an ID token without "nonce",
	// "at_hash" or "c_hash" and with "typ" JWT cannot be told from an
	// access token by its form (see RequireAtJWT).
	Audience []string
	// Algorithms are the accepted algorithms (default RS256). HMAC
	// algorithms are refused: a provider's keys are public.
	Algorithms []string
	// RolesClaim is where the provider puts roles or scopes, as a dotted
	// path ("roles", Keycloak's "realm_access.roles", "scope", "scp"). A
	// list of strings or a space-separated string. Requirement.Roles is
	// checked against it. Without it, the provider's tokens carry no roles
	// ([Token.Roles] is empty, whatever their "roles" claim says): a
	// provider's "roles" are not ours unless configured so.
	RolesClaim string
	// RequireAtJWT accepts only tokens whose "typ" header is at+jwt, the
	// explicit type of RFC 9068 access tokens (application/at+jwt and any
	// letter case alike, RFC 7515 §4.1.9); ID tokens are then refused by
	// their type alone. Without it, "JWT" and a missing typ are accepted
	// too, since most providers (Auth0's default profile, Entra ID,
	// Keycloak, Okta) send their access tokens so. Every other explicit
	// type (logout+jwt, secevent+jwt, dpop+jwt, …) is refused either way,
	// with [ErrAccessRequired]. Set it for a provider that types its access
	// tokens (Auth0's RFC 9068 profile, for instance).
	RequireAtJWT bool
	// UnsafeAcceptIDTokens accepts OpenID Connect ID tokens as access
	// tokens. ID tokens are meant for the client, not for APIs; by default
	// a token with "nonce", "at_hash" or "c_hash" is refused.
	UnsafeAcceptIDTokens bool
	// Keys, when set, supplies the keys instead of fetching the JWKS. If it
	// also has a Version() uint64 method whose value changes whenever its
	// keys do (as [keys.Remote] has), the verification cache
	// (Config.VerifyCacheSize) holds the tokens it verifies; otherwise it
	// does not.
	Keys KeySource
	// HTTPClient fetches the JWKS (default: a client with a timeout). Its
	// redirects are held to the https rule of [keys.NewRemote].
	HTTPClient *http.Client
	// Remote tunes the JWKS cache (timeouts, refresh bounds, size limits)
	// and observes its fetches (OnFetch); JWKSURL, Issuer, Client and
	// AllowedAlgorithms are filled in from the fields above.
	Remote keys.RemoteConfig
}

// versionedKeys is a KeySource whose Version changes whenever its keys do,
// so that the verification cache can tell a stale entry.
type versionedKeys interface{ Version() uint64 }

type trustedIssuer struct {
	cfg    TrustedIssuer
	gate   jws.Gate // its algorithms and typ rule; its roles are never the payload's "roles"
	hmacs  *hmacCache
	src    KeySource
	ver    versionedKeys // src, when it has a version; else nil
	remote *keys.Remote  // owned, closed by Auth.Close
	policy *claimsPolicy // what its tokens' claims must satisfy
}

func (a *Auth) loadTrusted(cfgs []TrustedIssuer) error {
	if len(cfgs) == 0 {
		return nil
	}
	a.trusted = map[string]*trustedIssuer{}
	a.ownIssuer = a.cfg.Claims.DecodeIssuer
	if a.ownIssuer == "" {
		a.ownIssuer = a.cfg.Claims.EncodeIssuer
	}
	for i, c := range cfgs {
		setting := fmt.Sprintf("TrustedIssuers[%d]", i)
		if c.Issuer == "" {
			return settingError(setting+".Issuer", "required")
		}
		if _, dup := a.trusted[c.Issuer]; dup {
			return settingError(setting+".Issuer", "%q is configured twice", c.Issuer)
		}
		if c.Issuer == a.cfg.Claims.EncodeIssuer || c.Issuer == a.cfg.Claims.DecodeIssuer {
			return settingError(setting+".Issuer", "%q is our own issuer; a trusted issuer must be another party", c.Issuer)
		}
		if len(c.Audience) == 0 && a.cfg.Resource.Identifier != "" {
			// RFC 8707: the client asked the provider for a token for
			// this resource, which the provider names in "aud".
			c.Audience = []string{a.cfg.Resource.Identifier}
		}
		if len(c.Audience) == 0 {
			return settingError(setting+".Audience", "required for %q (AUTHJWT_TRUSTED_AUDIENCE), unless Resource.Identifier (AUTHJWT_RESOURCE) is set: without it, tokens the provider minted for any other service would be accepted", c.Issuer)
		}
		ti := &trustedIssuer{cfg: c, hmacs: &a.ring.hmacs}
		ti.gate.AccessTyp, ti.gate.RequireAt, ti.gate.IgnoreRoles = true, c.RequireAtJWT, true
		algs := c.Algorithms
		if len(algs) == 0 {
			algs = []string{"RS256"}
		}
		for _, s := range algs {
			alg, ok := jws.ParseAlg(s)
			if !ok || alg.IsHMAC() {
				return settingError(setting+".Algorithms", "%q is not an asymmetric JWS algorithm", s)
			}
			if err := algAvailable(setting+".Algorithms", alg); err != nil {
				return err
			}
			ti.gate.Allowed[alg] = true
		}
		var roles []string
		if c.RolesClaim != "" {
			roles = strings.Split(c.RolesClaim, ".")
		}
		ti.policy = newTrustedPolicy(&ti.cfg, a.timing(), roles)
		ti.src = c.Keys
		if ti.src == nil {
			rc := c.Remote
			rc.JWKSURL = c.JWKSURL
			if c.JWKSURL == "" {
				rc.Issuer = c.Issuer
			}
			if c.HTTPClient != nil {
				rc.Client = c.HTTPClient
			}
			rc.AllowedAlgorithms = algs
			rc.StartWithoutKeys = true
			if rc.Logger == nil {
				rc.Logger = a.log
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			r, err := keys.NewRemote(ctx, rc)
			cancel()
			if err != nil {
				return settingError(setting, "%v", strings.TrimPrefix(err.Error(), "authjwt: "))
			}
			ti.src, ti.remote = r, r
		}
		ti.ver, _ = ti.src.(versionedKeys)
		a.trusted[c.Issuer] = ti
	}
	return nil
}

// route chooses the verifier of a token from its unverified "iss", before
// its algorithm or any key is looked at: a trusted issuer's, or ours (nil)
// for a token without "iss" or with our own issuer. Any other issuer (an
// empty one too) is refused here, so that its token is told "untrusted
// issuer", not refused by our own algorithm list or keys, which were never
// meant for it. The issuer only chooses: nothing in the payload is trusted
// until the chosen verifier has checked the signature.
func (a *Auth) route(iss []byte, ok bool) (*trustedIssuer, error) {
	if !ok {
		return nil, nil
	}
	if ti := a.trusted[string(iss)]; ti != nil {
		return ti, nil
	}
	if a.ownIssuer != "" && string(iss) == a.ownIssuer {
		return nil, nil
	}
	return nil, ErrUntrustedIssuer
}

// Gate returns what the issuer accepts of a header.
func (ti *trustedIssuer) Gate() *jws.Gate { return &ti.gate }

// Key returns the provider's key for a token: the one its kid names, or
// without kid the provider's only key for alg. A zero Key: no further key.
func (ti *trustedIssuer) Key(ctx context.Context, alg jws.Alg, kid jws.KID, i int) (jws.Key, error) {
	if i > 0 {
		return jws.Key{}, nil
	}
	if kid.Present() {
		k, err := ti.src.Lookup(ctx, string(kid.Bytes()))
		if err != nil {
			if errors.Is(err, keys.ErrNoKeys) {
				return jws.Key{}, ErrKeysUnavailable.with(err, "")
			}
			return jws.Key{}, ErrInvalidKID.with(err, "Unknown kid on header")
		}
		return bindKey(ti.hmacs, k, alg)
	}
	// No kid: only a provider publishing a single usable key can be used.
	var only keys.Key
	n := 0
	for _, k := range ti.src.Keys() {
		if k.Accepts(alg.String()) {
			only, n = k, n+1
		}
	}
	switch n {
	case 0:
		return jws.Key{}, ErrKeysUnavailable
	case 1:
		return bindKey(ti.hmacs, only, alg)
	}
	return jws.Key{}, ErrInvalidKID.with(nil, "Missing kid on header")
}

// close stops ti's background work: the JWKS cache it owns.
func (ti *trustedIssuer) close() {
	if ti.remote != nil {
		ti.remote.Close()
	}
}

// IsThirdParty reports whether the token was issued by a trusted
// third-party issuer rather than by us.
func (t *Token) IsThirdParty() bool { return t.thirdParty }
