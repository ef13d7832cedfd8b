package authjwt_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

// The examples use a fixed secret and a fixed clock (Config.Now) so that
// their output never changes. A real secret is random: `authjwt keygen
// --alg HS256`.
const secret = "example-secret-of-at-least-32-bytes!"

var now = time.Date(2030, time.January, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func mustNew(cfg authjwt.Config) *authjwt.Auth {
	cfg.Now = clock
	cfg.Logger = slog.New(slog.DiscardHandler) // keep the examples' output clean
	a, err := authjwt.New(cfg)
	if err != nil {
		panic(err)
	}
	return a
}

// serve runs h on r and prints the status and the body.
func serve(h http.Handler, r *http.Request) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
}

// New validates the whole configuration at start-up and names the
// setting at fault.
func ExampleNew() {
	_, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: "too-short"}})
	fmt.Println(err)

	auth, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}})
	fmt.Println(err, auth.Config().Expiry.Access, auth.Config().TokenLocation)
	// Output:
	// authjwt: Keys.SecretKey: HS256 needs a secret of at least 32 bytes (RFC 7518 §3.2), got 9; generate one with `authjwt keygen --alg HS256`, or set Keys.UnsafeAllowShortSecret (AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET) to keep a legacy secret
	// <nil> 15m0s [headers]
}

// Required guards a handler: only requests with a valid access token in
// the Authorization header reach it.
func ExampleAuth_Required() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}})
	h := auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", authjwt.Subject(r.Context()))
	}))

	serve(h, httptest.NewRequest("GET", "/protected", nil))

	access, _ := auth.CreateAccessToken("alice")
	r := httptest.NewRequest("GET", "/protected", nil)
	r.Header.Set("Authorization", "Bearer "+access)
	serve(h, r)

	refresh, _ := auth.CreateRefreshToken("alice")
	r.Header.Set("Authorization", "Bearer "+refresh)
	serve(h, r)
	// Output:
	// 401 {"detail":"Missing Authorization Header","code":"missing_token"}
	// 200 hello alice
	// 401 {"detail":"Only access tokens are allowed","code":"access_token_required"}
}

// In cookie mode, login sets HttpOnly token cookies and script-readable
// CSRF cookies; unsafe requests must send the CSRF value back in a header.
func ExampleAuth_Required_cookies() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, TokenLocation: []string{authjwt.LocationCookies}})

	// POST /login
	pair, _ := auth.CreatePair("alice")
	login := httptest.NewRecorder()
	auth.SetPairCookies(login, pair)
	var csrf string
	for _, c := range login.Result().Cookies() {
		fmt.Printf("%s HttpOnly=%v Secure=%v\n", c.Name, c.HttpOnly, c.Secure)
		if c.Name == "__Host-csrf_access" {
			csrf = c.Value
		}
	}

	h := auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "created by %s", authjwt.Subject(r.Context()))
	}))
	request := func() *http.Request {
		r := httptest.NewRequest("POST", "/items", nil)
		for _, c := range login.Result().Cookies() {
			r.AddCookie(c) // what the browser sends back
		}
		return r
	}
	serve(h, request())
	r := request()
	r.Header.Set("X-CSRF-Token", csrf) // the page's script reads the CSRF cookie
	serve(h, r)
	// Output:
	// __Host-access_token HttpOnly=true Secure=true
	// __Host-csrf_access HttpOnly=false Secure=true
	// __Host-refresh_token HttpOnly=true Secure=true
	// __Host-csrf_refresh HttpOnly=false Secure=true
	// 403 {"detail":"Missing CSRF Token","code":"csrf_token_missing"}
	// 200 created by alice
}

// Optional lets anonymous requests through but still refuses bad tokens.
func ExampleAuth_Optional() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}})
	h := auth.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := authjwt.FromContext(r.Context()); t != nil {
			fmt.Fprintf(w, "hello %s", t.Subject())
			return
		}
		fmt.Fprint(w, "hello stranger")
	}))
	serve(h, httptest.NewRequest("GET", "/", nil))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer not-a-token")
	serve(h, r)
	// Output:
	// 200 hello stranger
	// 401 {"detail":"Invalid token","code":"malformed_token"}
}

// CreatePair returns an access and a refresh token of one family, the
// unit that logout revokes.
func ExampleAuth_CreatePair() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}})
	pair, _ := auth.CreatePair("alice", authjwt.WithFresh(true))

	ctx := context.Background()
	at, _ := auth.Verify(ctx, pair.AccessToken, authjwt.Requirement{Fresh: true})
	rt, _ := auth.Verify(ctx, pair.RefreshToken, authjwt.Requirement{Refresh: true})
	fmt.Println(at.Type(), at.Fresh(), at.ExpiresAt().Sub(now))
	fmt.Println(rt.Type(), rt.Fresh(), rt.ExpiresAt().Sub(now))
	fmt.Println(at.Family() == rt.Family() && at.Family() == pair.Family)
	// Output:
	// access true 15m0s
	// refresh false 336h0m0s
	// true
}

// Verify checks a token outside HTTP; errors match the sentinels.
func ExampleAuth_Verify() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}})
	short, _ := auth.CreateAccessToken("alice", authjwt.WithExpiry(time.Minute))

	// Two minutes later:
	later, _ := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Now: func() time.Time { return now.Add(2 * time.Minute) }})
	_, err := later.Verify(context.Background(), short, authjwt.Requirement{})
	var e *authjwt.Error
	fmt.Println(errors.Is(err, authjwt.ErrTokenExpired), errors.As(err, &e), e.Status, e.Code, e.Message)
	// Output:
	// true true 401 token_expired Signature has expired
}

// Claims are the application's custom claims.
type Claims struct {
	Org   string   `json:"org"`
	Roles []string `json:"roles"`
}

// ClaimsAs reads the verified token's custom claims into a struct.
func ExampleClaimsAs() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}})
	access, _ := auth.CreateAccessToken("alice", authjwt.WithClaims(Claims{Org: "acme", Roles: []string{"admin"}}))

	h := auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := authjwt.ClaimsAs[Claims](r.Context())
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		fmt.Fprintf(w, "%s of %s, roles %v", authjwt.Subject(r.Context()), c.Org, c.Roles)
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+access)
	serve(h, r)
	// Output:
	// 200 alice of acme, roles [admin]
}

// OrgClaims checks itself: ClaimsAs calls Validate after decoding.
type OrgClaims struct {
	Org string `json:"org"`
}

// Validate refuses organisations the application does not know.
func (c OrgClaims) Validate(ctx context.Context) error {
	if c.Org != "acme" {
		return fmt.Errorf("unknown organisation %q", c.Org)
	}
	return nil
}

// A claims type with a Validate(ctx) error method is checked by ClaimsAs;
// a failure is the token's fault: 401 invalid_claim, wrapping the
// application's error (logged, never sent).
func ExampleClaimsAs_validate() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}})
	h := auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := authjwt.ClaimsAs[OrgClaims](r.Context())
		if err != nil {
			fmt.Println("error:", err)
			auth.WriteError(w, r, err)
			return
		}
		fmt.Fprintf(w, "%s of %s", authjwt.Subject(r.Context()), c.Org)
	}))
	for _, org := range []string{"acme", "evil"} {
		tok, _ := auth.CreateAccessToken("alice", authjwt.WithClaims(OrgClaims{Org: org}))
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		serve(h, r)
	}
	// Output:
	// 200 alice of acme
	// error: authjwt: Invalid claim: unknown organisation "evil"
	// 401 {"detail":"Invalid claim","code":"invalid_claim"}
}

// RequireRoles checks the "roles" claim (any of the given roles).
func ExampleAuth_RequireRoles() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}})
	h := auth.RequireRoles("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "welcome, admin")
	}))
	for _, roles := range [][]string{{"admin"}, {"viewer"}} {
		tok, _ := auth.CreateAccessToken("alice", authjwt.WithRoles(roles...))
		r := httptest.NewRequest("GET", "/admin", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		serve(h, r)
	}
	// Output:
	// 200 welcome, admin
	// 403 {"detail":"Not enough permissions","code":"insufficient_permissions"}
}

// WithRoles writes the roles into the claim Config.Claims.RolesClaim names
// ("roles" unless renamed, here for a schema that calls them
// "permissions"), which Token.Roles and RequireRoles read.
func ExampleWithRoles() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Claims: authjwt.ClaimsConfig{RolesClaim: "permissions"}})
	tok, _ := auth.CreateAccessToken("alice", authjwt.WithRoles("admin", "billing"))
	t, _ := auth.Verify(context.Background(), tok, authjwt.Requirement{Roles: []string{"billing"}})
	p, _ := t.Claim("permissions")
	fmt.Println(t.Roles(), p)

	// A "roles" claim is custom data now, and grants nothing.
	other, _ := auth.CreateAccessToken("alice", authjwt.WithClaims(map[string]any{"roles": []string{"admin"}}))
	_, err := auth.Verify(context.Background(), other, authjwt.Requirement{Roles: []string{"admin"}})
	fmt.Println(err)
	// Output:
	// [admin billing] [admin billing]
	// authjwt: Not enough permissions
}

// Revoke and RevokeFamily record revocations in the store; every
// verification then consults it.
func ExampleAuth_Revoke() {
	store := revoke.NewMemory(revoke.WithClock(clock))
	defer store.Close()
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Revocation: authjwt.RevocationConfig{Enabled: true, Store: store}})
	ctx := context.Background()

	pair, _ := auth.CreatePair("alice")
	at, _ := auth.Verify(ctx, pair.AccessToken, authjwt.Requirement{})
	auth.Revoke(ctx, at) // this access token only
	_, err := auth.Verify(ctx, pair.AccessToken, authjwt.Requirement{})
	fmt.Println("access:", err)
	_, err = auth.Verify(ctx, pair.RefreshToken, authjwt.Requirement{Refresh: true})
	fmt.Println("refresh:", err)

	auth.RevokeFamily(ctx, at) // logout: the whole pair
	_, err = auth.Verify(ctx, pair.RefreshToken, authjwt.Requirement{Refresh: true})
	fmt.Println("refresh after logout:", err)
	// Output:
	// access: authjwt: Token has been revoked
	// refresh: <nil>
	// refresh after logout: authjwt: Token has been revoked
}

// With rotation, each refresh token works once; presenting a used one
// again is taken as theft and revokes the whole family.
func ExampleAuth_Rotate() {
	store := revoke.NewMemory(revoke.WithClock(clock))
	defer store.Close()
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Revocation: authjwt.RevocationConfig{Enabled: true, Store: store, Rotation: true}})
	ctx := context.Background()

	first, _ := auth.CreatePair("alice")
	rt, _ := auth.Verify(ctx, first.RefreshToken, authjwt.Requirement{Refresh: true})
	second, err := auth.Rotate(ctx, rt)
	fmt.Println("rotate:", err, second.Family == first.Family)

	// The old refresh token again (an attacker's copy, or the client's).
	rt, _ = auth.Verify(ctx, first.RefreshToken, authjwt.Requirement{Refresh: true})
	_, err = auth.Rotate(ctx, rt)
	fmt.Println("reuse:", err)
	_, err = auth.Verify(ctx, second.AccessToken, authjwt.Requirement{})
	fmt.Println("new access token:", err)
	// Output:
	// rotate: <nil> true
	// reuse: authjwt: Refresh token reuse detected
	// new access token: authjwt: Token has been revoked
}

// RefreshHandler is the whole refresh route: it verifies the refresh
// token, keeps its family (so logout still revokes what it issued), rotates
// when rotation is on, and sets the cookies when cookies are a location.
func ExampleAuth_RefreshHandler() {
	store := revoke.NewMemory(revoke.WithClock(clock))
	defer store.Close()
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Revocation: authjwt.RevocationConfig{Enabled: true, Store: store}})
	refresh := auth.RefreshHandler(authjwt.RefreshOptions{})

	pair, _ := auth.CreatePair("alice", authjwt.WithFresh(true))
	r := httptest.NewRequest("POST", "/refresh", nil)
	r.Header.Set("Authorization", "Bearer "+pair.RefreshToken)
	w := httptest.NewRecorder()
	refresh.ServeHTTP(w, r)
	var body struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(w.Body).Decode(&body)
	ctx := context.Background()
	at, _ := auth.Verify(ctx, body.AccessToken, authjwt.Requirement{})
	fmt.Println(w.Code, w.Header().Get("Cache-Control"), at.Subject(), at.Fresh(), at.Family() == pair.Family)

	// Logout revokes the family: the refreshed access token too.
	first, _ := auth.Verify(ctx, pair.AccessToken, authjwt.Requirement{})
	auth.RevokeFamily(ctx, first)
	_, err := auth.Verify(ctx, body.AccessToken, authjwt.Requirement{})
	fmt.Println("refreshed token after logout:", err)

	// An access token is no refresh token.
	r.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	serve(refresh, r)
	// Output:
	// 200 no-store alice false true
	// refreshed token after logout: authjwt: Token has been revoked
	// 401 {"detail":"Only refresh tokens are allowed","code":"refresh_token_required"}
}

// A browser's EventSource cannot set headers: one route may accept the
// token in a query parameter, on GET and HEAD only. Every other route
// still ignores tokens in URLs.
func ExampleRequirement_queryParam() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}})
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s (%s), url %s", authjwt.Subject(r.Context()), authjwt.FromContext(r.Context()).Source(), r.URL)
	})
	events := auth.Middleware(authjwt.Requirement{QueryParam: "access_token"})(hello)
	access, _ := auth.CreateAccessToken("alice")
	target := "/events?topic=news&access_token=" + access

	w := httptest.NewRecorder()
	events.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
	fmt.Println(w.Code, w.Body, "|", w.Header().Get("Cache-Control"), w.Header().Get("Referrer-Policy"))
	serve(events, httptest.NewRequest("POST", target, nil))
	serve(auth.Required(hello), httptest.NewRequest("GET", target, nil))
	// Output:
	// 200 hello alice (query), url /events?topic=news | no-store no-referrer
	// 401 {"detail":"A token in query parameter access_token is accepted on GET and HEAD requests only","code":"malformed_token"}
	// 401 {"detail":"Missing Authorization Header","code":"missing_token"}
}

// remoteKey stands for a KMS key: its SignContext takes the context of the
// token's creation, so a cancelled request ends the remote call.
type remoteKey struct{ ed25519.PrivateKey }

// SignContext signs unless ctx is done (a real KMS client passes ctx on).
func (k remoteKey) SignContext(ctx context.Context, rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return k.PrivateKey.Sign(rand, digest, opts)
}

// A Keys.Signer implementing ContextSigner gets the context of the
// ...Context creation methods (and of Rotate and RefreshHandler).
func ExampleContextSigner() {
	seed := make([]byte, ed25519.SeedSize)
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{Signer: remoteKey{ed25519.NewKeyFromSeed(seed)}, Algorithm: "EdDSA"}})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok, err := auth.CreateAccessTokenContext(ctx, "alice")
	t, _ := auth.Verify(ctx, tok, authjwt.Requirement{})
	fmt.Println(err, t.Subject(), t.Algorithm())

	cancel() // the request is gone
	_, err = auth.CreateAccessTokenContext(ctx, "alice")
	fmt.Println(err)
	// Output:
	// <nil> alice EdDSA
	// context canceled
}

// An Ed25519 key made from a fixed seed, for deterministic output; a real
// key comes from `authjwt keygen --alg EdDSA` or crypto/ed25519.
func examplePrivateKeyPEM(seed byte) string {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	der, _ := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(s))
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// JWKSHandler publishes the public key, so other services verify our
// tokens without sharing a secret.
func ExampleAuth_JWKSHandler() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{PrivateKey: examplePrivateKeyPEM(1), Algorithm: "EdDSA"}})
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", auth.JWKSHandler())

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	fmt.Println(w.Header().Get("Cache-Control"))
	fmt.Println(strings.TrimSpace(w.Body.String()))

	tok, _ := auth.CreateAccessToken("alice")
	h, _ := authjwt.UnverifiedHeader(tok)
	fmt.Println(h["alg"], h["kid"])
	// Output:
	// public, max-age=300
	// {"keys":[{"kty":"OKP","kid":"ztbkwUTj3EykAmV-cJTL2mji0UARaMUmW7XIbMNOrro","use":"sig","alg":"EdDSA","crv":"Ed25519","x":"zswVB9wd3XKVlRwpCIjwla25BE0bc9aW5t8GXWg71Pw"}]}
	// EdDSA ztbkwUTj3EykAmV-cJTL2mji0UARaMUmW7XIbMNOrro
}

// staticKeys is a pinned provider key set (a keys.Remote fetches one).
type staticKeys []keys.Key

func (s staticKeys) Keys() []keys.Key { return s }
func (s staticKeys) Lookup(_ context.Context, kid string) (keys.Key, error) {
	for _, k := range s {
		if k.KID == kid {
			return k, nil
		}
	}
	return keys.Key{}, keys.ErrKeyNotFound
}

// A trusted issuer's access tokens (here a Keycloak realm's) are accepted
// beside our own, with its roles claim mapped to Requirement.Roles.
func ExampleTrustedIssuer() {
	// The provider, for the example: it signs with its own key.
	const realm = "https://sso.example.com/realms/acme"
	provider := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{PrivateKey: examplePrivateKeyPEM(2), Algorithm: "EdDSA"}, Claims: authjwt.ClaimsConfig{EncodeIssuer: realm}, TypeClaim: authjwt.TypeClaimConfig{Skip: true}})
	providerToken, _ := provider.CreateAccessToken("f2c1-user-id",
		authjwt.WithAudience("orders-api"),
		authjwt.WithClaims(map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}}))

	auth := mustNew(authjwt.Config{
		Keys: authjwt.KeyConfig{SecretKey: secret},
		// our own tokens
		TrustedIssuers: []authjwt.TrustedIssuer{{
			Issuer:     realm, // its JWKS is found by OpenID Connect discovery
			Audience:   []string{"orders-api"},
			Algorithms: []string{"EdDSA"},
			RolesClaim: "realm_access.roles",
			Keys:       staticKeys(provider.Keys()), // pinned here; omit to fetch the JWKS
		}},
	})
	defer auth.Close()
	t, err := auth.Verify(context.Background(), providerToken, authjwt.Requirement{Roles: []string{"admin"}})
	fmt.Println(err, t.Subject(), t.IsThirdParty(), t.Roles())
	// Output:
	// <nil> f2c1-user-id true [admin]
}

// CheckWebSocket authenticates a handshake before it is upgraded; the
// browser sends the token as the subprotocol pair "bearer, <token>".
func ExampleAuth_CheckWebSocket() {
	auth := mustNew(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}})
	access, _ := auth.CreateAccessToken("alice")

	r := httptest.NewRequest("GET", "/ws", nil)
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Protocol", "bearer, "+access)
	t, subprotocol, err := auth.CheckWebSocket(r, authjwt.Requirement{})
	fmt.Println(t.Subject(), subprotocol, err)
	// Output:
	// alice bearer <nil>
}

// The error body, status and WWW-Authenticate header of a refusal.
func ExampleWriteError() {
	w := httptest.NewRecorder()
	authjwt.WriteError(w, httptest.NewRequest("GET", "/", nil), authjwt.ErrFreshRequired)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	fmt.Println(strings.TrimSpace(w.Body.String()))
	// Output:
	// 401 Bearer error="insufficient_user_authentication", error_description="Fresh token required"
	// {"detail":"Fresh token required","code":"fresh_token_required"}
}
