package authjwt

import (
	"context"
	"crypto"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

// Never, as an expiry, makes tokens that do not expire (the seed's False).
const Never time.Duration = -1

// MaxDecodeLeeway bounds [ClaimsConfig.DecodeLeeway]. Clock skew between
// hosts synchronised by NTP is well under a second; ten minutes covers a badly
// synchronised one, and more would keep expired tokens valid for most of
// a default access token's lifetime (15 minutes) again.
const MaxDecodeLeeway = 10 * time.Minute

// Token locations for [Config.TokenLocation].
const (
	LocationHeaders = "headers"
	LocationCookies = "cookies"
)

// Token types, as used in [RevocationConfig.Checks] and [Requirement].
const (
	TypeAccess  = "access"
	TypeRefresh = "refresh"
)

// Compatibility profiles for [Config.Compat] (AUTHJWT_COMPAT).
const (
	// CompatLibreFastAPIJWT makes every default the seed's
	// (libre-fastapi-jwt 0.23) where authjwt's differs, for a Go service
	// sharing tokens and browser sessions with a running seed service:
	//
	//   - CSRF cookie names csrf_access / csrf_refresh
	//     (Cookies.Access.CSRFName, Cookies.Refresh.CSRFName; authjwt's
	//     defaults have the __Host- prefix);
	//   - cookie Max-Age 86400 on every cookie (Cookies.MaxAge; authjwt's
	//     default is the token's remaining lifetime);
	//   - the seed's kid: "whoamikidding" on HMAC tokens, or with a public
	//     key the seed's SPKI hash on every token (Keys.KeyID,
	//     Keys.PublicKeyID);
	//   - the seed's statuses (LegacyStatusCodes);
	//   - refresh tokens without iss accepted (Claims.AllowRefreshWithoutIssuer);
	//   - the seed's messages where they differ, with the same codes: "Only
	//     <configured type> tokens are allowed", "Audience doesn't match",
	//     "Not enough segments", "Subject must be a string", and "Missing
	//     or incorrect cookie. Expected: <name>" (also when headers are a
	//     location too).
	//
	// A setting given explicitly wins over the profile: a non-empty field,
	// or, for a configuration read by [ConfigFromEnv], any variable set
	// (AUTHJWT_LEGACY_STATUS_CODES=false keeps authjwt's statuses). In
	// code, a bool field left false takes the profile's value. The profile
	// turns off no check that the seed performs; what authjwt still does
	// more strictly is listed in docs/migrating-from-libre-fastapi-jwt.md.
	CompatLibreFastAPIJWT = "libre-fastapi-jwt"
)

// Config configures an [Auth]. Settings that belong to one concept are
// grouped in a section, as each part of the library is built from its
// own (Keys, Claims, TypeClaim, Expiry, Header, Cookies, WebSocket,
// Revocation, Sessions, DPoP, Resource, Hooks); the AUTHJWT_* variables
// of [ConfigFromEnv] stay flat, with the seed's names. The zero value
// of every field means the documented default, which is the default of
// libre-fastapi-jwt (the seed) unless said otherwise (the CSRF cookie
// names, Cookies.MaxAge, the kid and the statuses differ;
// [CompatLibreFastAPIJWT] makes them the seed's). Settings that weaken
// security are opt-in and named for their danger (Insecure…, Unsafe…,
// Skip…). [New] validates the whole configuration and reports the first
// bad setting by name; it never reads the environment (see
// [ConfigFromEnv] for that).
type Config struct {
	// Compat selects a compatibility profile ([CompatLibreFastAPIJWT]):
	// defaults that equal another library's where authjwt's differ.
	// Default: none.
	Compat string

	// Keys holds our keys (the HMAC secret, the key pair, or a rotating
	// key set) and the algorithms that sign and verify with them (see
	// [KeyConfig]).
	Keys KeyConfig

	// TrustedIssuers accepts access tokens from third-party identity
	// providers beside our own (see [TrustedIssuer]).
	TrustedIssuers []TrustedIssuer

	// Claims is the policy on our tokens' claims: clock skew, issuer,
	// audience and the roles claim (see [ClaimsConfig]).
	Claims ClaimsConfig

	// TypeClaim configures the claim that tells access from refresh
	// tokens (see [TypeClaimConfig]).
	TypeClaim TypeClaimConfig

	// Expiry sets the lifetimes of new tokens and whether tokens without
	// "exp" are accepted (see [ExpiryConfig]).
	Expiry ExpiryConfig

	// TokenLocation lists where tokens are read from: "headers",
	// "cookies" or both (default: headers).
	TokenLocation []string
	// Header configures the request header carrying tokens (see
	// [HeaderConfig]).
	Header HeaderConfig
	// Cookies configures the token and CSRF cookies and the CSRF and
	// cross-origin checks of cookie-authenticated requests (see
	// [CookieConfig]).
	Cookies CookieConfig
	// WebSocket configures how WebSocket handshakes carry tokens (see
	// [WebSocketConfig]).
	WebSocket WebSocketConfig

	// Revocation configures the revocation store, its checks and refresh
	// token rotation (see [RevocationConfig]).
	Revocation RevocationConfig

	// Sessions configures the sessions of [Auth.StartSession] (see
	// [SessionConfig]): one per login, kept in the revocation store.
	Sessions SessionConfig

	// DPoP configures sender-constrained tokens (RFC 9449): the DPoP
	// scheme, its proofs and server nonces (see [DPoPConfig]).
	DPoP DPoPConfig

	// Resource describes the application as an OAuth 2.0 protected
	// resource: its identifier, its RFC 9728 metadata, and the audience
	// of trusted issuers' tokens (see [ResourceConfig]).
	Resource ResourceConfig

	// VerifyCacheSize, when positive, enables a cache of that many verified
	// tokens so that re-verifying the same asymmetric (ES*, RS*, PS*,
	// EdDSA) token skips the public-key operation. Time, issuer, audience,
	// type, revocation and requirement checks still run on every request,
	// and a changed key set is never served from it. Tokens of trusted
	// third-party issuers are cached too when their key source has a
	// version (keys.Remote, the default, has; an entry is dropped when the
	// provider's keys are fetched again). HMAC tokens are not cached (HMAC
	// is already cheaper than a cache lookup would save).
	VerifyCacheSize int

	// MaxTokenSize bounds the size of an accepted token (default 8 KiB,
	// or 16 KiB when an ML-DSA algorithm is configured or a Keys.Set key
	// is bound to one; at most 64 KiB).
	MaxTokenSize int

	// LegacyStatusCodes answers with the seed's statuses (422 for
	// malformed tokens, bad claims and wrong token types; 401 for an
	// expired token and for CSRF failures) for clients migrating from the
	// Python service. Messages are unchanged.
	LegacyStatusCodes bool

	// Now returns the current time (default time.Now), for tests.
	Now func() time.Time
	// Logger receives verification failures and store errors (default
	// slog.Default()). Tokens are never logged. A store outage is logged
	// once when it starts (ERROR), summed up every 10 s while it lasts
	// (ERROR, with the count of failed calls) and once when it ends
	// (INFO); each failed call is logged at debug level only.
	Logger *slog.Logger
	// Hooks are called on verifications, store calls and refresh-token
	// reuse, for metrics, traces and alerts (see [HookConfig]).
	Hooks HookConfig
	// ErrorHandler writes the response for a refused request (default
	// [WriteError]).
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// UserLoader, when set, is called after a token is verified; its
	// result is available with [User]. An error refuses the request (401
	// "User not found" unless it is an *Error).
	UserLoader func(ctx context.Context, t *Token) (any, error)

	// origin, set by ConfigFromEnv, records which AUTHJWT_* variable set
	// each field, so that New's errors name the variable.
	origin *envOrigin
}

// KeyConfig holds our keys, [Config.Keys]: an HMAC secret (SecretKey), a
// key pair (PrivateKey/PublicKey, or Signer/VerifyKey), both, or a
// rotating key set (Set) instead of all of them; and the algorithms
// that sign (Algorithm) and verify (DecodeAlgorithms, DecodeKID) with
// them, which New checks against the keys.
type KeyConfig struct {
	// SecretKey is the HMAC secret for HS256/384/512 (AUTHJWT_SECRET_KEY
	// or AUTHJWT_SECRET_KEY_FILE). Its UTF-8 bytes are the key, as in the
	// seed, so a Python service sharing the secret interoperates. It must
	// be at least as long as the hash output (32, 48 or 64 bytes;
	// RFC 7518 §3.2).
	SecretKey string
	// UnsafeAllowShortSecret accepts a SecretKey shorter than RFC 7518 §3.2
	// allows, for migrating services with a legacy secret
	// (AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET). New logs a warning when it is
	// used. Never enable it for a new deployment.
	UnsafeAllowShortSecret bool
	// KeyID is the "kid" put in the JOSE header of HMAC-signed tokens
	// (AUTHJWT_KEY_ID; default: none; under [CompatLibreFastAPIJWT] the
	// seed's: "whoamikidding", or PublicKeyID when a public key is
	// configured).
	KeyID string
	// PublicKeyID is the "kid" of tokens signed with PrivateKey or Signer,
	// and of the public key in [Auth.Keys] and the JWKS
	// (AUTHJWT_PUBLIC_KEY_ID; default: the key's RFC 7638 thumbprint;
	// under [CompatLibreFastAPIJWT] the seed's kid, [keys.SeedKID]). With
	// a Set each key carries its own kid.
	PublicKeyID string

	// PrivateKey is the PEM private key for RS*, PS*, ES* and EdDSA signing
	// (PKCS#1, PKCS#8 or SEC 1). AUTHJWT_PRIVATE_KEY or _FILE.
	PrivateKey string
	// PublicKey is the PEM public key (SPKI, PKCS#1 or a certificate) used
	// to verify (AUTHJWT_PUBLIC_KEY or _FILE). When empty it is derived
	// from the private key. A service that only verifies sets PublicKey
	// alone.
	PublicKey string
	// Signer signs instead of PrivateKey, for keys held in a KMS or HSM.
	Signer crypto.Signer
	// VerifyKey verifies instead of PublicKey (an *rsa.PublicKey,
	// *ecdsa.PublicKey or ed25519.PublicKey).
	VerifyKey crypto.PublicKey

	// Set, when set, holds our keys instead of SecretKey, PrivateKey,
	// PublicKey, Signer and VerifyKey: several keys at once, each bound to
	// its algorithm and kid; its signer signs, all verify (by kid). Keys
	// can be added, promoted and retired while serving, with no restart.
	Set *keys.Set

	// Algorithm signs new tokens (AUTHJWT_ALGORITHM; default "HS256").
	// One of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384,
	// PS512, ES256, ES384, ES512, EdDSA (or its RFC 9864 name Ed25519),
	// and, on Go 1.27, ML-DSA-44, ML-DSA-65, ML-DSA-87. "none" is
	// refused.
	Algorithm string
	// DecodeAlgorithms are the algorithms accepted on verification
	// (AUTHJWT_DECODE_ALGORITHMS; default: Algorithm alone). Every one
	// must fit the configured key.
	DecodeAlgorithms []string
	// DecodeKID, when set, is the only "kid" accepted in a token's header
	// (AUTHJWT_DECODE_KID, the seed's authjwt_decode_kid). When empty, a
	// token's kid is only a hint for choosing among keys.
	DecodeKID string
}

// ClaimsConfig is the policy on our tokens' claims, [Config.Claims]: the
// issuer written and required, the audiences accepted, the clock skew
// tolerated and the claim holding roles. (Trusted issuers have their own
// policy, in [TrustedIssuer].)
type ClaimsConfig struct {
	// DecodeLeeway is the clock skew tolerated on exp, nbf and iat
	// (AUTHJWT_DECODE_LEEWAY; at most [MaxDecodeLeeway]).
	DecodeLeeway time.Duration
	// EncodeIssuer is put in the "iss" claim of every new token
	// (AUTHJWT_ENCODE_ISSUER).
	EncodeIssuer string
	// DecodeIssuer, when set, must equal a token's "iss" exactly
	// (AUTHJWT_DECODE_ISSUER).
	DecodeIssuer string
	// AllowRefreshWithoutIssuer accepts refresh tokens that carry no "iss"
	// when DecodeIssuer is set (AUTHJWT_ALLOW_REFRESH_WITHOUT_ISSUER; a
	// refresh token with another issuer is still refused): the seed mints
	// refresh tokens without iss and never checks it on them. Access
	// tokens always need DecodeIssuer. Default off; on under
	// [CompatLibreFastAPIJWT].
	AllowRefreshWithoutIssuer bool
	// DecodeAudience lists accepted audiences (AUTHJWT_DECODE_AUDIENCE): a
	// token must name at least one of them. When empty, a token carrying
	// "aud" is refused (RFC 7519 §4.1.3).
	DecodeAudience []string
	// RolesClaim names the claim holding our tokens' roles, a list of
	// strings (AUTHJWT_ROLES_CLAIM; default "roles"): what [Token.Roles]
	// returns and [Requirement.Roles] checks, and where [WithRoles] writes
	// them. A top-level claim; one that the library sets (TypeClaim.Name
	// included) is refused by New. Trusted issuers have their own,
	// [TrustedIssuer.RolesClaim].
	RolesClaim string
}

// ExpiryConfig sets the lifetimes of new tokens, [Config.Expiry].
type ExpiryConfig struct {
	// Access is the access-token lifetime (AUTHJWT_ACCESS_TOKEN_EXPIRES;
	// default 15m, at least one second: "exp" is in whole seconds);
	// [Never] for tokens that do not expire.
	Access time.Duration
	// Refresh is the refresh-token lifetime
	// (AUTHJWT_REFRESH_TOKEN_EXPIRES; default 14 days, at least one
	// second); [Never] for tokens that do not expire.
	Refresh time.Duration
	// AllowNonExpiring permits per-call [WithNoExpiry] and accepts tokens
	// without "exp" even when the token type's lifetime is finite
	// (AUTHJWT_ALLOW_NON_EXPIRING_TOKENS). By default a token without
	// "exp" is refused unless its type is configured with [Never].
	AllowNonExpiring bool
}

// HookConfig holds the functions called as the library works,
// [Config.Hooks], for metrics, traces and alerts. Each must be fast and
// must not block: it runs on the request's goroutine. Package
// telemetry/authotel sets all three for OpenTelemetry.
type HookConfig struct {
	// OnVerify, when set, is called with the outcome of every
	// verification (see [VerifyEvent]).
	OnVerify func(ctx context.Context, ev VerifyEvent)
	// OnStoreCall, when set, is called after every call into the store
	// (see [StoreEvent]), with the context of the request or call that
	// made it.
	OnStoreCall func(ctx context.Context, ev StoreEvent)
	// OnRefreshReuse, when set, is called when [Auth.Rotate] is given a
	// refresh token that was already used (see [ReuseEvent]).
	OnRefreshReuse func(ctx context.Context, ev ReuseEvent)
}

// ResourceConfig describes the application as an OAuth 2.0 protected
// resource, [Config.Resource]: the protected-resource metadata of RFC 9728
// ([Auth.ResourceMetadataHandler]), the resource_metadata attribute of
// every challenge, and RFC 8707 resource indicators as the audience of
// trusted issuers' tokens. The metadata is on when Identifier is set, or
// Metadata is true; otherwise nothing of it is served or advertised.
type ResourceConfig struct {
	// Identifier is the resource identifier (RFC 9728 §1.2, RFC 8707 §2):
	// the https URL clients call and ask authorization servers tokens
	// for ("https://api.example.com", "https://example.com/mcp"), without
	// query or fragment (AUTHJWT_RESOURCE). It is the metadata's
	// "resource", locates the metadata (see [Auth.ResourceMetadataPath]),
	// and, for a [TrustedIssuer] without an Audience, is the "aud" its
	// tokens must carry. Default: none; with Metadata, the origin of
	// [DPoPConfig.ExternalURL] when set, else each request's origin (its
	// scheme from TLS and its Host header; behind a proxy that terminates
	// TLS, set the identifier).
	Identifier string
	// Metadata turns the metadata on without an Identifier, for the
	// origin of each request (AUTHJWT_RESOURCE_METADATA; default false,
	// implied by Identifier).
	Metadata bool
	// Scopes are the metadata's "scopes_supported": the scopes (for our
	// tokens, the roles) the API's routes check (AUTHJWT_RESOURCE_SCOPES;
	// default none, and the member is left out).
	Scopes []string
}

// TypeClaimConfig configures the claim telling access from refresh tokens,
// [Config.TypeClaim].
type TypeClaimConfig struct {
	// Skip leaves the type claim out of tokens and out of verification
	// (AUTHJWT_TOKEN_TYPE_CLAIM=false, the seed's
	// authjwt_token_type_claim=False). Access and refresh tokens can then
	// not be told apart: avoid.
	Skip bool
	// Name is the type claim's name (AUTHJWT_TOKEN_TYPE_CLAIM_NAME;
	// default "type").
	Name string
	// Access is the type claim's value on access tokens
	// (AUTHJWT_ACCESS_TOKEN_TYPE; default "access").
	Access string
	// Refresh is the type claim's value on refresh tokens
	// (AUTHJWT_REFRESH_TOKEN_TYPE; default "refresh").
	Refresh string
}

// HeaderConfig configures the request header carrying tokens,
// [Config.Header].
type HeaderConfig struct {
	// Name is the request header carrying the token (AUTHJWT_HEADER_NAME;
	// default "Authorization").
	Name string
	// Type is the scheme before the token (AUTHJWT_HEADER_TYPE; default
	// "Bearer"), matched case-insensitively (RFC 7235).
	Type string
	// BareToken makes the header carry the token alone, with no scheme
	// (the seed's empty authjwt_header_type; AUTHJWT_HEADER_TYPE set to
	// the empty string).
	BareToken bool
}

// CookieConfig configures the auth cookies and the checks of
// cookie-authenticated requests, [Config.Cookies]: the access and refresh
// tokens' cookies (Access, Refresh), the attributes they share, CSRF
// double-submit and cross-origin protection.
type CookieConfig struct {
	// Access names the access token's cookie, its CSRF cookie and its
	// CSRF header.
	Access TokenCookie
	// Refresh names the refresh token's cookie, its CSRF cookie and its
	// CSRF header.
	Refresh TokenCookie

	// MaxAge, when set, is the Max-Age of every auth cookie
	// (AUTHJWT_COOKIE_MAX_AGE). By default a cookie lives as long as its
	// token.
	MaxAge time.Duration
	// Domain is the cookies' Domain (AUTHJWT_COOKIE_DOMAIN; default none:
	// host-only, which __Host- names require).
	Domain string
	// Insecure drops the Secure attribute, for plain-HTTP development
	// (AUTHJWT_COOKIE_SECURE=false). Default names then lose their
	// __Host- prefix, which browsers only accept on Secure cookies.
	Insecure bool
	// SameSite is "lax" (default), "strict" or "none" ("none" requires
	// Secure); AUTHJWT_COOKIE_SAMESITE.
	SameSite string

	// UnsafeDisableCSRF turns the CSRF double-submit check off for
	// cookie-authenticated requests (AUTHJWT_COOKIE_CSRF_PROTECT=false).
	UnsafeDisableCSRF bool
	// CSRFMethods are the methods that need the CSRF header on
	// cookie-authenticated requests (AUTHJWT_CSRF_METHODS; default POST,
	// PUT, PATCH, DELETE).
	CSRFMethods []string
	// TrustedOrigins are extra origins ("https://app.example.com") allowed
	// to make cookie-authenticated unsafe requests and WebSocket
	// handshakes, beyond the server's own (AUTHJWT_TRUSTED_ORIGINS).
	TrustedOrigins []string
	// SkipCrossOriginProtection turns off the Fetch-Metadata/Origin check
	// on cookie-authenticated unsafe requests (on by default;
	// AUTHJWT_SKIP_CROSS_ORIGIN_PROTECTION).
	SkipCrossOriginProtection bool
}

// TokenCookie names one token type's cookies and CSRF header,
// [CookieConfig.Access] or [CookieConfig.Refresh]. The defaults below are
// the access token's; the refresh token's say refresh where these say
// access.
type TokenCookie struct {
	// Name is the token's cookie (AUTHJWT_ACCESS_COOKIE_KEY,
	// AUTHJWT_REFRESH_COOKIE_KEY; default "__Host-access_token",
	// "__Host-refresh_token"; without the __Host- prefix with
	// [CookieConfig.Insecure], "__Secure-" with a Domain or a Path
	// other than "/").
	Name string
	// Path is the token cookie's Path (AUTHJWT_ACCESS_COOKIE_PATH,
	// AUTHJWT_REFRESH_COOKIE_PATH; default "/").
	Path string
	// CSRFName is the script-readable cookie holding the token's csrf
	// claim (AUTHJWT_ACCESS_CSRF_COOKIE_KEY,
	// AUTHJWT_REFRESH_CSRF_COOKIE_KEY; default "__Host-csrf_access",
	// "__Host-csrf_refresh"; prefixed like Name; "csrf_access",
	// "csrf_refresh" under [CompatLibreFastAPIJWT]).
	CSRFName string
	// CSRFPath is the CSRF cookie's Path (AUTHJWT_ACCESS_CSRF_COOKIE_PATH,
	// AUTHJWT_REFRESH_CSRF_COOKIE_PATH; default "/").
	CSRFPath string
	// CSRFHeader is the header carrying the CSRF value with the token's
	// cookie (AUTHJWT_ACCESS_CSRF_HEADER_NAME,
	// AUTHJWT_REFRESH_CSRF_HEADER_NAME; default "X-CSRF-Token").
	CSRFHeader string
}

// WebSocketConfig configures how WebSocket handshakes carry tokens,
// [Config.WebSocket].
type WebSocketConfig struct {
	// QueryParam is the query parameter a WebSocket handshake may carry
	// its token in (AUTHJWT_WEBSOCKET_QUERY_PARAM; default "token").
	QueryParam string
	// NoQueryToken refuses tokens in the WebSocket URL's query
	// (AUTHJWT_WEBSOCKET_NO_QUERY_TOKEN).
	NoQueryToken bool
	// CSRFQueryParam carries the CSRF value of a cookie authenticated
	// handshake (AUTHJWT_WEBSOCKET_CSRF_QUERY_PARAM; default
	// "csrf_token").
	CSRFQueryParam string
}

// RevocationConfig configures revocation, [Config.Revocation]: the store,
// which token types are checked against it, how long a call may take and
// what a failure means, and refresh-token rotation.
type RevocationConfig struct {
	// Enabled turns revocation checks on (AUTHJWT_DENYLIST_ENABLED); Store
	// must then be set. A configured Store turns them on by itself, so a
	// store is never set without being consulted;
	// AUTHJWT_DENYLIST_ENABLED=false together with a Store is a
	// contradiction that [New] refuses.
	Enabled bool
	// Checks lists the token types checked against the store
	// (AUTHJWT_DENYLIST_TOKEN_CHECKS; default: access and refresh).
	// Revoking a token of a type left out fails with
	// [ErrRevocationDisabled] rather than recording a revocation nobody
	// would enforce.
	Checks []string
	// Store keeps revocations (see package revoke and the store modules).
	// Setting it enables revocation checks (Enabled).
	Store revoke.Store
	// Timeout bounds every call into the Store (AUTHJWT_STORE_TIMEOUT;
	// default 2s): revocation checks on verification and in
	// [Auth.WatchToken]'s polling, [Auth.Revoke], [Auth.RevokeFamily],
	// [Auth.RevokeSubject] and [Auth.Rotate]'s consume and reuse paths. It
	// is applied as the deadline of the call's context (a nearer deadline
	// of the caller's context is kept), which stores honour as package
	// revoke requires. A store that does not answer in time fails the call
	// with [ErrStoreUnavailable] (503).
	Timeout time.Duration
	// UnsafeFailOpen accepts tokens whose revocation could not be checked
	// because the store failed (AUTHJWT_UNSAFE_REVOCATION_FAIL_OPEN). The
	// default fails closed (503).
	UnsafeFailOpen bool

	// Rotation makes [Auth.Rotate] consume each refresh token once and
	// detect reuse (AUTHJWT_REFRESH_TOKEN_ROTATION; needs a store
	// implementing revoke.Consumer).
	Rotation bool
	// ReuseGrace tolerates a second use of a rotated refresh token within
	// this window after its first use, for a client that lost the
	// response (AUTHJWT_REFRESH_REUSE_GRACE; default 0). A retry stays in
	// the session: with a store implementing revoke.SuccessorConsumer
	// (memory, Redis, SQL) it gets the same successor as the first use
	// (see [Auth.Rotate]), otherwise a new pair of the same family. A use
	// after the window is reuse.
	ReuseGrace time.Duration

	// MaxStaleness turns on a local replica of the store's revocation
	// state (AUTHJWT_REVOCATION_MAX_STALENESS; default 0, off): each
	// instance loads the live revocations in [New] and follows the
	// store's change log, and checks tokens in memory instead of asking
	// the store on every request. The replica knows the time up to which
	// it has provably seen every change; when that is older than
	// MaxStaleness it refuses to answer and requests fail closed with
	// [ErrStoreUnavailable] (503). So a revocation made on any instance is
	// enforced on every other within MaxStaleness, and within about one
	// store round trip while the feed flows. Rotation's consume stays a
	// store call. The store must implement revoke.Feed (Redis, SQL);
	// revoke.Func and stores without a feed are refused, and with the
	// memory store, already in this process, the setting does nothing.
	// Incompatible with UnsafeFailOpen. At least 10ms; see
	// docs/revocation-stores.md for the model.
	MaxStaleness time.Duration
}

// minMaxStaleness is the smallest Revocation.MaxStaleness: a bound a feed
// read over a network cannot keep proving would only fail requests.
const minMaxStaleness = 10 * time.Millisecond

// The DPoP modes, [DPoPConfig.Mode] and [Requirement.DPoP].
const (
	// DPoPOff ignores the DPoP scheme: tokens are bearer tokens only, and
	// a request under the DPoP scheme carries no credentials we read.
	DPoPOff = "off"
	// DPoPAllowed accepts bearer tokens as before and DPoP-bound tokens
	// under the DPoP scheme with a valid proof (the default).
	DPoPAllowed = "allowed"
	// DPoPRequired accepts DPoP-bound tokens only: a bearer token is
	// refused ([ErrDPoPRequired]).
	DPoPRequired = "required"
)

// DPoPConfig configures DPoP (RFC 9449), [Config.DPoP]: a token bound to
// a key the client holds (its "cnf" claim names the key's RFC 7638
// thumbprint, "jkt") is accepted only under the DPoP scheme
// (Authorization: DPoP <token>) with exactly one DPoP header holding a
// proof signed by that key for this request. See docs/dpop.md.
type DPoPConfig struct {
	// Mode is [DPoPOff], [DPoPAllowed] (default) or [DPoPRequired]
	// (AUTHJWT_DPOP); a route may say otherwise ([Requirement.DPoP]).
	Mode string
	// Algorithms are the proof algorithms accepted (AUTHJWT_DPOP_ALGORITHMS;
	// default every asymmetric algorithm: ES256, ES384, ES512, RS256,
	// RS384, RS512, PS256, PS384, PS512, EdDSA, Ed25519; ML-DSA when
	// listed, in builds that have it). HMAC algorithms are refused: a
	// proof is signed by the client's private key.
	Algorithms []string
	// ProofLifetime is how far a proof's "iat" may be from now, either
	// way, beyond [ClaimsConfig.DecodeLeeway] (AUTHJWT_DPOP_PROOF_LIFETIME;
	// default 60s, at most 10m). Proofs are remembered by jti for that
	// long (see [revoke.ReplayGuard]).
	ProofLifetime time.Duration
	// Nonce requires every proof to carry a server-issued nonce
	// (AUTHJWT_DPOP_NONCE, RFC 9449 §8–9): a proof without the current
	// nonce is refused with use_dpop_nonce and a fresh DPoP-Nonce header.
	// Nonces are an HMAC of the time window under NonceKey, so instances
	// sharing the key accept each other's with no shared state.
	Nonce bool
	// NonceKey keys the nonces' HMAC (AUTHJWT_DPOP_NONCE_KEY; at least 32
	// bytes). Default: derived from Keys.SecretKey when there is one,
	// else random per process (New logs a warning: instances then do
	// not accept each other's nonces).
	NonceKey string
	// NonceLifetime is the nonce's time window (AUTHJWT_DPOP_NONCE_LIFETIME;
	// default 5m): a nonce is accepted in its window and the next.
	NonceLifetime time.Duration
	// ExternalURL is the URL at which clients reach this server, scheme
	// and host with an optional path prefix ("https://api.example.com",
	// "https://example.com/api") (AUTHJWT_DPOP_EXTERNAL_URL): a proof's
	// "htu" must equal it followed by the request's path. Set it behind a
	// proxy or load balancer. Default: the request's own scheme (TLS or
	// not) and Host; X-Forwarded-* headers are never read, as anyone can
	// send them.
	ExternalURL string
}

// denylistExplicitlyOff reports whether the environment set
// AUTHJWT_DENYLIST_ENABLED to false: a bool field cannot tell that from
// "unset", and a Revocation.Store set in code afterwards must not silently override
// it (New refuses the contradiction).
func (c *Config) denylistExplicitlyOff() bool {
	return !c.Revocation.Enabled && c.origin != nil && c.origin.set["Revocation.Enabled"] != ""
}

// VerifyEvent describes one verification outcome for [HookConfig.OnVerify].
type VerifyEvent struct {
	// Err is nil on success; else an *Error.
	Err error
	// Type is the verified token's type, when known.
	Type string
	// Source is where the token came from: "header", "cookie", "query",
	// "subprotocol" or "" (direct [Auth.Verify] calls).
	Source string
	// Duration is the time verification took.
	Duration time.Duration
	// Algorithm is the verified token's algorithm ("HS256", "RS256", …),
	// "" when the token was refused.
	Algorithm string
	// ThirdParty reports that the verified token came from a trusted
	// issuer ([Config.TrustedIssuers]), not from us; false when refused.
	ThirdParty bool
	// Issuer is the verified token's "iss" (ours or a trusted issuer's,
	// "" when it has none or the token was refused).
	Issuer string
}

// Operations of the revocation store reported by [HookConfig.OnStoreCall]
// ([StoreEvent.Op]).
const (
	StoreOpCheck         = "check"          // Store.IsRevoked, on verification and in WatchToken's polling
	StoreOpRevoke        = "revoke"         // Store.RevokeToken
	StoreOpRevokeFamily  = "revoke_family"  // Store.RevokeFamily
	StoreOpRevokeSubject = "revoke_subject" // Store.RevokeSubject
	StoreOpConsume       = "consume"        // Consumer.Consume or SuccessorConsumer.ConsumeWithSuccessor, in Rotate
	StoreOpFeedSnapshot  = "feed_snapshot"  // Feed.Snapshot: the replica's load (Revocation.MaxStaleness)
	StoreOpFeedChanges   = "feed_changes"   // Feed.Changes: the replica's reads of the change log; they wait for changes
	StoreOpSessionCreate = "session_create" // SessionStore.CreateSession, in StartSession
	StoreOpSessionTouch  = "session_touch"  // SessionStore.TouchSession, on refresh and (throttled) access-token use
	StoreOpSessionGet    = "session_get"    // SessionStore.GetSession
	StoreOpSessionList   = "session_list"   // SessionStore.ListSessions
	StoreOpSessionDelete = "session_delete" // SessionStore.DeleteSession, after a session's family is revoked
	StoreOpReplay        = "dpop_replay"    // ReplayGuard.FirstUse, for a DPoP proof's jti
)

// StoreEvent describes one call into the revocation store, for
// [HookConfig.OnStoreCall].
type StoreEvent struct {
	// Op is the operation: [StoreOpCheck], [StoreOpRevoke],
	// [StoreOpRevokeFamily], [StoreOpRevokeSubject], [StoreOpConsume],
	// [StoreOpFeedSnapshot], [StoreOpFeedChanges], [StoreOpReplay] or one
	// of the session operations ([StoreOpSessionCreate] …). With a replica
	// (Revocation.MaxStaleness), checks are answered in memory and not
	// reported.
	Op string
	// Start is when the call began.
	Start time.Time
	// Duration is how long the call took.
	Duration time.Duration
	// Err is the store's own error (context.DeadlineExceeded, wrapped or
	// not, when [RevocationConfig.Timeout] ran out), nil when it answered.
	Err error
	// Revoked is the store's answer to a check (Op [StoreOpCheck]).
	Revoked bool
}

// ReuseEvent describes a use of an already used refresh token in
// [Auth.Rotate], for [HookConfig.OnRefreshReuse].
type ReuseEvent struct {
	// Retry reports a use within [RevocationConfig.ReuseGrace] of the first,
	// answered with the first use's successor. Otherwise the use is
	// reuse: the family was revoked and Rotate failed with
	// [ErrRefreshReuse].
	Retry bool
	// Since is the time since the token's first use.
	Since time.Duration
	// Subject is the token's "sub".
	Subject string
	// Family is the token's family ("aid"; its jti for the first token
	// of a family).
	Family string
	// Err is nil, or the error revoking the family failed with (Rotate
	// then returns it instead of ErrRefreshReuse).
	Err error
}

// ConfigError is the error [New] returns for a bad setting. It names the
// Config field at fault and, when the configuration came from
// [ConfigFromEnv] (or [LoadEnv]), the AUTHJWT_* variable that sets it: the
// error's text then names the variable, not the Go field, since that is
// what the operator wrote.
type ConfigError struct {
	// Field is the dotted path of the Config field at fault
	// ("Keys.SecretKey", "Cookies.Access.Name",
	// "TrustedIssuers[0].Audience").
	Field string
	// Var is the AUTHJWT_* variable of Field when the configuration came
	// from the environment: the one the operator set
	// (AUTHJWT_SECRET_KEY_FILE when the secret came from a file), else the
	// variable that would set it. Empty for a configuration built in code
	// and for fields no variable sets (Revocation.Store, Keys.Signer,
	// Keys.Set, …).
	Var string

	format string
	args   []any      // fieldRef arguments name other settings
	names  *envOrigin // set with Var: renders fieldRef arguments as variables
}

// fieldRef is a Config field named inside a [ConfigError] message: it is
// rendered as its AUTHJWT_* variable when the configuration came from the
// environment, like the error's own setting.
type fieldRef string

// Error returns "authjwt: <Var or Field>: <message>".
func (e *ConfigError) Error() string {
	name := e.Field
	if e.Var != "" {
		name = e.Var
	}
	return "authjwt: " + name + ": " + e.Message()
}

// Message says what is wrong, without the setting's name.
func (e *ConfigError) Message() string {
	args := e.args
	if e.names != nil {
		args = make([]any, len(e.args))
		for i, a := range e.args {
			if f, ok := a.(fieldRef); ok {
				if v := e.names.varOf(string(f)); v != "" {
					a = v
				}
			}
			args[i] = a
		}
	}
	msg := fmt.Sprintf(e.format, args...)
	if e.names != nil {
		msg = envHints(msg, e.Field)
	}
	return msg
}

// hintRE matches a hint written for users of Config, "Field (AUTHJWT_X…)"
// or a bare " (AUTHJWT_X…)", in a ConfigError's message.
var hintRE = regexp.MustCompile(`(\b[A-Z][A-Za-z]*(?:\.[A-Z][A-Za-z]*)*)? \((` + envPrefix + `[A-Z0-9_]+)([^()]*)\)`)

// envHints rewrites a message for a configuration that came from the
// environment: "Keys.UnsafeAllowShortSecret (AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET)"
// becomes the variable alone, and a hint naming the error's own variable,
// which Error already leads with, goes.
func envHints(msg, field string) string {
	own := fieldVars[field]
	return hintRE.ReplaceAllStringFunc(msg, func(m string) string {
		sm := hintRE.FindStringSubmatch(m)
		name, v, rest := sm[1], sm[2], sm[3]
		switch {
		case name != "" && fieldVars[name] == v:
			return v + rest
		case name == "" && v == own && rest == "":
			return ""
		}
		return m
	})
}

// settingError names the setting at fault: a *ConfigError, which New
// translates to the AUTHJWT_* variable when the configuration came from
// the environment. Other settings mentioned in the message are fieldRef
// arguments, translated likewise.
func settingError(setting, format string, args ...any) error {
	return &ConfigError{Field: setting, format: format, args: args}
}

// Config returns the configuration in effect, defaults applied. Secrets
// are included: do not log it.
func (a *Auth) Config() Config { return a.cfg }

// applyCompat applies the profile of c.Compat to the settings left at
// their zero value (or, from the environment, not set by a variable).
// The kids are the profile's too; loadKeys applies them.
func applyCompat(c *Config) error {
	switch c.Compat {
	case "":
		return nil
	case CompatLibreFastAPIJWT:
	default:
		return settingError("Compat", "unknown compatibility profile %q (the one profile is %q)", c.Compat, CompatLibreFastAPIJWT)
	}
	explicit := func(field string) bool { return c.origin != nil && c.origin.set[field] != "" }
	if c.Cookies.Access.CSRFName == "" {
		c.Cookies.Access.CSRFName = "csrf_access"
	}
	if c.Cookies.Refresh.CSRFName == "" {
		c.Cookies.Refresh.CSRFName = "csrf_refresh"
	}
	if c.Cookies.MaxAge == 0 {
		c.Cookies.MaxAge = 86400 * time.Second
	}
	if !explicit("LegacyStatusCodes") {
		c.LegacyStatusCodes = true
	}
	if !explicit("Claims.AllowRefreshWithoutIssuer") {
		c.Claims.AllowRefreshWithoutIssuer = true
	}
	return nil
}

// maxTokenSizeLimit bounds Config.MaxTokenSize: 64 KiB, eight times the
// default and far beyond any header or cookie a server accepts, so that a
// token's decoded payload stays within the codec's bound (48 KiB).
const maxTokenSizeLimit = 64 << 10

// setDefault sets *s to v when it is empty.
func setDefault(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

// applyDefaults applies the compatibility profile, then the default of
// every setting still at its zero value, section by section.
func applyDefaults(c *Config) error {
	if err := applyCompat(c); err != nil {
		return err
	}
	setDefault(&c.Keys.Algorithm, "HS256")
	c.Header.applyDefaults()
	c.TypeClaim.applyDefaults()
	setDefault(&c.Claims.RolesClaim, "roles")
	c.Cookies.applyDefaults()
	c.WebSocket.applyDefaults()
	if c.Expiry.Access == 0 {
		c.Expiry.Access = 15 * time.Minute
	}
	if c.Expiry.Refresh == 0 {
		c.Expiry.Refresh = 14 * 24 * time.Hour
	}
	if len(c.TokenLocation) == 0 {
		c.TokenLocation = []string{LocationHeaders}
	}
	c.Revocation.applyDefaults(c.denylistExplicitlyOff())
	if c.Sessions.MaxPerSubject == 0 {
		c.Sessions.MaxPerSubject = DefaultMaxSessions
	}
	c.DPoP.applyDefaults()
	if c.MaxTokenSize == 0 {
		c.MaxTokenSize = defaultMaxTokenSizeFor(c)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

func (h *HeaderConfig) applyDefaults() {
	setDefault(&h.Name, "Authorization")
	setDefault(&h.Type, "Bearer")
}

func (t *TypeClaimConfig) applyDefaults() {
	setDefault(&t.Name, "type")
	setDefault(&t.Access, TypeAccess)
	setDefault(&t.Refresh, TypeRefresh)
}

func (c *CookieConfig) applyDefaults() {
	setDefault(&c.SameSite, "lax")
	for _, tc := range []*TokenCookie{&c.Access, &c.Refresh} {
		setDefault(&tc.Path, "/")
		setDefault(&tc.CSRFPath, "/")
		setDefault(&tc.CSRFHeader, "X-CSRF-Token")
	}
	// Default names take the strongest prefix the settings allow, so that
	// browsers never drop them: __Host- needs Secure, Path "/" and no
	// Domain; __Secure- needs Secure; plain HTTP gets no prefix.
	prefix := func(path string) string {
		switch {
		case c.Insecure:
			return ""
		case c.Domain != "" || path != "/":
			return "__Secure-"
		}
		return "__Host-"
	}
	setDefault(&c.Access.Name, prefix(c.Access.Path)+"access_token")
	setDefault(&c.Refresh.Name, prefix(c.Refresh.Path)+"refresh_token")
	setDefault(&c.Access.CSRFName, prefix(c.Access.CSRFPath)+"csrf_access")
	setDefault(&c.Refresh.CSRFName, prefix(c.Refresh.CSRFPath)+"csrf_refresh")
	if len(c.CSRFMethods) == 0 {
		c.CSRFMethods = []string{"POST", "PUT", "PATCH", "DELETE"}
	}
}

func (w *WebSocketConfig) applyDefaults() {
	setDefault(&w.QueryParam, "token")
	setDefault(&w.CSRFQueryParam, "csrf_token")
}

// applyDefaults sets the revocation defaults. explicitlyOff reports that
// the environment set AUTHJWT_DENYLIST_ENABLED=false (see
// Config.denylistExplicitlyOff).
func (r *RevocationConfig) applyDefaults(explicitlyOff bool) {
	if r.Checks == nil {
		r.Checks = []string{TypeAccess, TypeRefresh}
	}
	// A store is set to be consulted: it turns the denylist on, unless the
	// environment explicitly turned it off (refused by validate).
	if r.Store != nil && !explicitlyOff {
		r.Enabled = true
	}
	if r.Timeout == 0 {
		r.Timeout = 2 * time.Second
	}
}

// validateRest validates the settings the keys do not cover, defaults
// applied, section by section. The order of the checks fixes which error
// a configuration with several mistakes gets.
func validateRest(c *Config) error {
	// Claim and header values written into every token: invalid UTF-8
	// there would make every token one the verifier refuses.
	for _, s := range []struct{ setting, v string }{{"Claims.EncodeIssuer", c.Claims.EncodeIssuer}, {"Claims.DecodeIssuer", c.Claims.DecodeIssuer}} {
		if !utf8.ValidString(s.v) {
			return settingError(s.setting, "%q is not valid UTF-8", s.v)
		}
	}
	if err := c.Keys.validateText(); err != nil {
		return err
	}
	if err := c.TypeClaim.validateText(); err != nil {
		return err
	}
	for _, aud := range c.Claims.DecodeAudience {
		if !utf8.ValidString(aud) {
			return settingError("Claims.DecodeAudience", "%q is not valid UTF-8", aud)
		}
	}
	if err := c.validateLifetimes(); err != nil {
		return err
	}
	if c.MaxTokenSize < 256 {
		return settingError("MaxTokenSize", "%d bytes is too small (minimum 256)", c.MaxTokenSize)
	}
	if c.MaxTokenSize > maxTokenSizeLimit {
		return settingError("MaxTokenSize", "%d bytes is too large (maximum %d)", c.MaxTokenSize, maxTokenSizeLimit)
	}
	if err := c.Revocation.validateDurations(); err != nil {
		return err
	}
	if err := c.Sessions.validate(); err != nil {
		return err
	}
	if err := c.TypeClaim.validate(); err != nil {
		return err
	}
	if err := c.validateRolesClaim(); err != nil {
		return err
	}
	for _, loc := range c.TokenLocation {
		if loc != LocationHeaders && loc != LocationCookies {
			return settingError("TokenLocation", "unknown location %q (use \"headers\" and/or \"cookies\")", loc)
		}
	}
	if err := c.Revocation.validate(c.denylistExplicitlyOff()); err != nil {
		return err
	}
	if err := c.DPoP.validate(&c.Header); err != nil {
		return err
	}
	if err := c.Cookies.validate(); err != nil {
		return err
	}
	if err := c.Header.validate(); err != nil {
		return err
	}
	if err := c.Cookies.Access.validateCSRFHeader("Cookies.Access.CSRFHeader"); err != nil {
		return err
	}
	return c.Cookies.Refresh.validateCSRFHeader("Cookies.Refresh.CSRFHeader")
}

// validateLifetimes checks the token lifetimes and the leeway.
func (c *Config) validateLifetimes() error {
	if c.Expiry.Access < 0 && c.Expiry.Access != Never {
		return settingError("Expiry.Access", "negative duration %v (use authjwt.Never for non-expiring tokens)", c.Expiry.Access)
	}
	if c.Expiry.Refresh < 0 && c.Expiry.Refresh != Never {
		return settingError("Expiry.Refresh", "negative duration %v (use authjwt.Never for non-expiring tokens)", c.Expiry.Refresh)
	}
	// "exp" is whole seconds (now + lifetime, truncated): a lifetime under
	// one second gives tokens that may be expired when they are created.
	for _, l := range []struct {
		setting string
		d       time.Duration
	}{{"Expiry.Access", c.Expiry.Access}, {"Expiry.Refresh", c.Expiry.Refresh}} {
		if l.d > 0 && l.d < time.Second {
			return settingError(l.setting, "%v is below one second: \"exp\" is in whole seconds, so a token could be expired when it is created", l.d)
		}
	}
	if c.Claims.DecodeLeeway < 0 {
		return settingError("Claims.DecodeLeeway", "negative duration %v", c.Claims.DecodeLeeway)
	}
	if c.Claims.DecodeLeeway > MaxDecodeLeeway {
		return settingError("Claims.DecodeLeeway", "%v is more than the maximum %v: a leeway is for clock skew, and a larger one keeps expired tokens valid", c.Claims.DecodeLeeway, MaxDecodeLeeway)
	}
	return nil
}

// validateText refuses kids that are not valid UTF-8: they are written
// into every token's header.
func (k *KeyConfig) validateText() error {
	for _, s := range []struct{ setting, v string }{{"Keys.KeyID", k.KeyID}, {"Keys.PublicKeyID", k.PublicKeyID}} {
		if !utf8.ValidString(s.v) {
			return settingError(s.setting, "%q is not valid UTF-8", s.v)
		}
	}
	return nil
}

// validateText refuses a type claim name or value that is not valid
// UTF-8: they are written into every token.
func (t *TypeClaimConfig) validateText() error {
	for _, s := range []struct{ setting, v string }{
		{"TypeClaim.Name", t.Name}, {"TypeClaim.Access", t.Access}, {"TypeClaim.Refresh", t.Refresh},
	} {
		if !utf8.ValidString(s.v) {
			return settingError(s.setting, "%q is not valid UTF-8", s.v)
		}
	}
	return nil
}

// validateRolesClaim refuses a roles claim that the library writes
// itself, or that is not a plain claim name.
func (c *Config) validateRolesClaim() error {
	name := c.Claims.RolesClaim
	if !utf8.ValidString(name) {
		return settingError("Claims.RolesClaim", "%q is not valid UTF-8", name)
	}
	if strings.ContainsAny(name, ". ") {
		return settingError("Claims.RolesClaim", "%q is not a top-level claim name (a dotted path is for TrustedIssuer.RolesClaim)", name)
	}
	if reservedClaims[strings.ToLower(name)] || (!c.TypeClaim.Skip && name == c.TypeClaim.Name) || name == "cnf" {
		return settingError("Claims.RolesClaim", "%q collides with a registered claim", name)
	}
	return nil
}

// validate checks that the type claim can tell access from refresh
// tokens (nothing to check when it is skipped).
func (t *TypeClaimConfig) validate() error {
	if t.Skip {
		return nil
	}
	if reservedClaims[strings.ToLower(t.Name)] || t.Name == "roles" {
		return settingError("TypeClaim.Name", "%q collides with a registered claim", t.Name)
	}
	if t.Access == t.Refresh {
		return settingError("TypeClaim.Refresh", "must differ from %s (both %q)", fieldRef("TypeClaim.Access"), t.Access)
	}
	// A type value that is the other type's default would make a
	// service with default settings take one type for the other.
	if t.Access == TypeRefresh {
		return settingError("TypeClaim.Access", "%q is the refresh tokens' type value: access and refresh types swapped", t.Access)
	}
	if t.Refresh == TypeAccess {
		return settingError("TypeClaim.Refresh", "%q is the access tokens' type value: access and refresh types swapped", t.Refresh)
	}
	return nil
}

// validateDurations refuses a negative store timeout or reuse grace.
func (r *RevocationConfig) validateDurations() error {
	if r.Timeout < 0 {
		return settingError("Revocation.Timeout", "negative duration %v", r.Timeout)
	}
	if r.ReuseGrace < 0 {
		return settingError("Revocation.ReuseGrace", "negative duration %v", r.ReuseGrace)
	}
	if r.MaxStaleness < 0 {
		return settingError("Revocation.MaxStaleness", "negative duration %v", r.MaxStaleness)
	}
	return nil
}

// validate checks the token types checked, that revocation checks have a
// store and a store is consulted, and what rotation needs.
// explicitlyOff reports that the environment set
// AUTHJWT_DENYLIST_ENABLED=false.
func (r *RevocationConfig) validate(explicitlyOff bool) error {
	for _, t := range r.Checks {
		if t != TypeAccess && t != TypeRefresh {
			return settingError("Revocation.Checks", "unknown token type %q (use \"access\" and/or \"refresh\")", t)
		}
	}
	if r.Enabled && r.Store == nil {
		return settingError("Revocation.Store", "%s needs a revocation store (revoke.NewMemory(), a store module, or revoke.Func)", fieldRef("Revocation.Enabled"))
	}
	if r.Store != nil && explicitlyOff {
		return settingError("Revocation.Enabled", "is false, but a Revocation.Store (%T) is configured: it would record revocations that verification never checks; unset the variable (a Revocation.Store turns the denylist on) or remove the Revocation.Store", r.Store)
	}
	if r.Rotation {
		if r.Store == nil || !r.Enabled {
			return settingError("Revocation.Rotation", "needs %s and a Revocation.Store", fieldRef("Revocation.Enabled"))
		}
		if !slices.Contains(r.Checks, TypeRefresh) {
			return settingError("Revocation.Rotation", "needs refresh tokens checked against the store (%s is %q): reuse detection revokes the family", fieldRef("Revocation.Checks"), r.Checks)
		}
		if _, ok := r.Store.(revoke.Consumer); !ok {
			return settingError("Revocation.Rotation", "the configured Revocation.Store (%T) cannot consume tokens atomically (revoke.Consumer)", r.Store)
		}
	}
	return r.validateReplica()
}

// validateReplica checks what a replica (MaxStaleness) needs: a store with
// a change feed, and failing closed.
func (r *RevocationConfig) validateReplica() error {
	if r.MaxStaleness == 0 {
		return nil
	}
	if r.MaxStaleness < minMaxStaleness {
		return settingError("Revocation.MaxStaleness", "%v is below %v: a replica could not keep proving its freshness", r.MaxStaleness, minMaxStaleness)
	}
	if r.Store == nil {
		return settingError("Revocation.MaxStaleness", "needs a Revocation.Store with a change feed (redisstore, sqlstore)")
	}
	if _, ok := r.Store.(*revoke.Memory); ok {
		return nil // already in memory: no replica
	}
	if _, ok := r.Store.(revoke.Func); ok {
		return settingError("Revocation.MaxStaleness", "a callback store (revoke.Func) has no change feed to replicate; leave this setting unset")
	}
	if _, ok := r.Store.(revoke.Feed); !ok {
		return settingError("Revocation.MaxStaleness", "the configured Revocation.Store (%T) has no change feed (revoke.Feed) to replicate", r.Store)
	}
	if r.UnsafeFailOpen {
		return settingError("Revocation.MaxStaleness", "cannot be combined with %s: a stale replica fails closed, never open", fieldRef("Revocation.UnsafeFailOpen"))
	}
	return nil
}

// validate checks the cookie settings used whatever the token location
// (SameSite, which it normalises to lower case, the CSRF methods and
// Max-Age). The names, paths and domain are checked by validateNames,
// when cookies are a token location.
func (c *CookieConfig) validate() error {
	switch strings.ToLower(c.SameSite) {
	case "lax", "strict", "none":
		c.SameSite = strings.ToLower(c.SameSite)
	default:
		return settingError("Cookies.SameSite", "%q is not one of lax, strict, none (AUTHJWT_COOKIE_SAMESITE)", c.SameSite)
	}
	valid := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	for _, m := range c.CSRFMethods {
		if !slices.Contains(valid, strings.ToUpper(m)) {
			return settingError("Cookies.CSRFMethods", "%q is not an HTTP method (AUTHJWT_CSRF_METHODS)", m)
		}
	}
	if c.MaxAge < 0 {
		return settingError("Cookies.MaxAge", "negative duration %v", c.MaxAge)
	}
	return nil
}

// validate checks the scheme and that the header name is one a client
// can send.
func (h *HeaderConfig) validate() error {
	if h.BareToken && h.Type != "Bearer" {
		return settingError("Header.Type", "set Header.Type or Header.BareToken, not both")
	}
	if strings.ContainsAny(h.Type, " \t") {
		return settingError("Header.Type", "%q contains whitespace", h.Type)
	}
	return validateHeaderName("Header.Name", h.Name)
}

// validateCSRFHeader checks the CSRF header name; setting is its path
// ("Cookies.Access.CSRFHeader").
func (tc *TokenCookie) validateCSRFHeader(setting string) error {
	return validateHeaderName(setting, tc.CSRFHeader)
}

// validateHeaderName refuses a header name a client cannot send, and the
// Cookie header.
func validateHeaderName(setting, name string) error {
	if !isToken(name) {
		return settingError(setting, "%q is not a header name a client can send (RFC 9110 §5.1: letters, digits and !#$%%&'*+-.^_`|~)", name)
	}
	if strings.EqualFold(name, "Cookie") {
		return settingError(setting, "%q is the header browsers fill with cookies: to read tokens from cookies, add \"cookies\" to %s", name, fieldRef("TokenLocation"))
	}
	return nil
}

// validateCookies checks the cookie names, paths and domain when cookies
// are a token location (see [CookieConfig.validateNames]).
func validateCookies(c *Config) error {
	return c.Cookies.validateNames()
}

// validateNames applies the cookie-prefix rules browsers enforce: a
// __Host- cookie must be Secure, with Path "/" and no Domain; a __Secure-
// cookie must be Secure; SameSite=None must be Secure. Browsers drop such
// cookies silently, so each message names the setting to change. It also
// refuses names, paths and a domain that net/http would drop or rewrite,
// and two auth cookies sharing a name (one would overwrite the other).
func (c *CookieConfig) validateNames() error {
	type ck struct{ setting, name, pathSetting, path string }
	list := []ck{
		{"Cookies.Access.Name", c.Access.Name, "Cookies.Access.Path", c.Access.Path},
		{"Cookies.Refresh.Name", c.Refresh.Name, "Cookies.Refresh.Path", c.Refresh.Path},
	}
	if !c.UnsafeDisableCSRF {
		list = append(list,
			ck{"Cookies.Access.CSRFName", c.Access.CSRFName, "Cookies.Access.CSRFPath", c.Access.CSRFPath},
			ck{"Cookies.Refresh.CSRFName", c.Refresh.CSRFName, "Cookies.Refresh.CSRFPath", c.Refresh.CSRFPath})
	}
	if c.Domain != "" {
		if err := (&http.Cookie{Name: "x", Domain: c.Domain}).Valid(); err != nil {
			return settingError("Cookies.Domain", "%q is not a valid cookie domain (AUTHJWT_COOKIE_DOMAIN)", c.Domain)
		}
	}
	seen := map[string]string{}
	for _, k := range list {
		if k.name == "" || !isToken(k.name) {
			return settingError(k.setting, "%q is not a valid cookie name", k.name)
		}
		if prev, ok := seen[k.name]; ok {
			return settingError(k.setting, "%q is also the %s: each auth cookie needs its own name", k.name, fieldRef(prev))
		}
		seen[k.name] = k.setting
		if k.path == "" || k.path[0] != '/' {
			return settingError(k.pathSetting, "%q must start with \"/\"", k.path)
		}
		if err := (&http.Cookie{Name: "x", Path: k.path}).Valid(); err != nil {
			return settingError(k.pathSetting, "%q is not a valid cookie path: %v", k.path, err)
		}
		lower := strings.ToLower(k.name)
		if strings.HasPrefix(lower, "__host-") {
			if c.Insecure {
				return settingError(k.setting, "%q has the __Host- prefix, which browsers only accept on Secure cookies: remove Cookies.Insecure (AUTHJWT_COOKIE_SECURE=false) or rename the cookie", k.name)
			}
			if k.path != "/" {
				return settingError(k.setting, "%q has the __Host- prefix, which requires Path \"/\": set %s to \"/\" (got %q) or rename the cookie", k.name, fieldRef(k.pathSetting), k.path)
			}
			if c.Domain != "" {
				return settingError(k.setting, "%q has the __Host- prefix, which forbids a Domain: unset Cookies.Domain (AUTHJWT_COOKIE_DOMAIN) or rename the cookie", k.name)
			}
		}
		if strings.HasPrefix(lower, "__secure-") && c.Insecure {
			return settingError(k.setting, "%q has the __Secure- prefix, which browsers only accept on Secure cookies: remove Cookies.Insecure (AUTHJWT_COOKIE_SECURE=false) or rename the cookie", k.name)
		}
	}
	if strings.EqualFold(c.SameSite, "none") && c.Insecure {
		return settingError("Cookies.SameSite", "\"none\" requires Secure cookies: remove Cookies.Insecure (AUTHJWT_COOKIE_SECURE=false) or use lax/strict (AUTHJWT_COOKIE_SAMESITE)")
	}
	return nil
}

// isToken reports whether s is an RFC 9110 §5.6.2 token (header names,
// cookie names): one or more tchar.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

func (d *DPoPConfig) applyDefaults() {
	setDefault(&d.Mode, DPoPAllowed)
	if len(d.Algorithms) == 0 {
		for a := range jws.NumAlgs {
			if a.Known() && !a.IsHMAC() && !a.IsMLDSA() {
				d.Algorithms = append(d.Algorithms, a.String())
			}
		}
	}
	if d.ProofLifetime == 0 {
		d.ProofLifetime = 60 * time.Second
	}
	if d.NonceLifetime == 0 {
		d.NonceLifetime = 5 * time.Minute
	}
}

// maxProofLifetime bounds DPoP.ProofLifetime: a proof is a one-request
// credential, and its jti is remembered for as long.
const maxProofLifetime = 10 * time.Minute

func (d *DPoPConfig) validate(h *HeaderConfig) error {
	switch d.Mode {
	case DPoPOff, DPoPAllowed, DPoPRequired:
	default:
		return settingError("DPoP.Mode", "unknown mode %q (use off, allowed or required)", d.Mode)
	}
	for _, name := range d.Algorithms {
		a, ok := jws.ParseAlg(name)
		if !ok || !a.Available() {
			return settingError("DPoP.Algorithms", "unknown algorithm %q", name)
		}
		if a.IsHMAC() {
			return settingError("DPoP.Algorithms", "%s is symmetric; DPoP proofs are signed with the client's private key (RFC 9449 §4.2)", name)
		}
	}
	if d.ProofLifetime < time.Second || d.ProofLifetime > maxProofLifetime {
		return settingError("DPoP.ProofLifetime", "%v is out of range (1s to %v)", d.ProofLifetime, maxProofLifetime)
	}
	if d.NonceLifetime < time.Second {
		return settingError("DPoP.NonceLifetime", "%v is shorter than a second", d.NonceLifetime)
	}
	if d.NonceKey != "" && len(d.NonceKey) < 32 {
		return settingError("DPoP.NonceKey", "%d bytes is too short (at least 32)", len(d.NonceKey))
	}
	if d.Mode != DPoPOff && !h.BareToken && strings.EqualFold(h.Type, "DPoP") {
		// Bearer tokens under the DPoP name would pass without a proof.
		return settingError("Header.Type", "%q is the DPoP scheme (RFC 9449), whose tokens need a proof; use Bearer, or set %s to off", h.Type, fieldRef("DPoP.Mode"))
	}
	if d.Nonce && d.Mode == DPoPOff {
		return settingError("DPoP.Nonce", "set, but %s is off", fieldRef("DPoP.Mode"))
	}
	if d.ExternalURL != "" {
		if _, err := parseExternalURL(d.ExternalURL); err != nil {
			return settingError("DPoP.ExternalURL", "%v", err)
		}
	}
	return nil
}
