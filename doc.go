// Package authjwt is JWT authentication for Go HTTP servers: it creates
// access and refresh tokens, verifies them on every request with a strict
// verifier of its own (standard library only), and guards handlers with
// middleware. It is the Go counterpart of the Python library
// libre-fastapi-jwt (the "seed"), with the same configuration keys, the
// same error messages and secure defaults.
//
// Features: access and refresh tokens ([Auth.CreatePair]), fresh tokens
// for sensitive routes ([Auth.FreshRequired]), custom claims read back
// typed ([ClaimsAs]), roles ([Auth.RequireRoles]); tokens in the
// Authorization header, in HttpOnly cookies with CSRF double-submit
// protection ([Auth.SetPairCookies]), or both; revocation with pluggable
// stores ([Auth.Revoke], [Auth.RevokeFamily], [Auth.RevokeSubject], package
// [github.com/librenz/authjwt/revoke]); refresh-token rotation with reuse
// detection ([Auth.Rotate]); HMAC, RSA, RSA-PSS, ECDSA, EdDSA and (built
// with Go 1.27) post-quantum ML-DSA keys (RFC 9964, docs/post-quantum.md),
// rotating key sets and a JWKS endpoint ([Auth.JWKSHandler], package
// [github.com/librenz/authjwt/keys]); tokens of third-party identity
// providers ([TrustedIssuer]); WebSocket handshakes ([Auth.WebSocket]);
// configuration from AUTHJWT_* environment variables ([ConfigFromEnv]).
//
// # Quick start
//
//	auth, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}}) // ≥ 32 bytes for HS256
//	if err != nil {
//		log.Fatal(err) // every misconfiguration is reported here, naming the setting
//	}
//	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
//		// … check the user's credentials …
//		pair, err := auth.CreatePair("alice", authjwt.WithFresh(true))
//		if err != nil {
//			auth.WriteError(w, r, err)
//			return
//		}
//		w.Header().Set("Cache-Control", "no-store")
//		json.NewEncoder(w).Encode(pair) // {"access_token": …, "refresh_token": …}
//	})
//	mux.Handle("GET /protected", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		fmt.Fprintf(w, "hello %s", authjwt.Subject(r.Context()))
//	})))
//	mux.Handle("POST /refresh", auth.RefreshRequired(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		rt := authjwt.FromContext(r.Context())
//		access, _ := auth.CreateAccessToken(rt.Subject(), authjwt.WithFamily(rt.Family()))
//		…
//	})))
//
// [New] validates the whole [Config] and applies its defaults: the zero
// value of every field is a documented default, and settings that weaken
// security are opt-in and named for their danger (Insecure…, Unsafe…,
// Skip…). An [Auth] is safe for concurrent use; create one and share it.
//
// Every refusal is an [*Error] with a stable [Code], an HTTP status and
// the seed's message, matched with errors.Is against the sentinels
// ([ErrTokenExpired], …). The middleware answers with [WriteError]'s
// {"detail", "code"} JSON body and an RFC 6750 WWW-Authenticate header, or
// with [Config.ErrorHandler]. [Auth.Check] and [Auth.Verify] are the
// building blocks for adapters and non-HTTP uses.
//
// For tests, package [github.com/librenz/authjwt/authjwttest] mints tokens,
// fixes the clock and runs a fake identity provider. Guides are in the
// repository's docs/ directory.
//
// # Security model
//
// Every entry point (header, cookie, WebSocket, adapters) goes through
// one verification pipeline, [Auth.Verify], which fails closed:
//
//   - Algorithms come from an allow-list (by default the signing algorithm
//     alone), each key is bound to the algorithms it may verify, "none" is
//     not an algorithm, and key material given as an HMAC secret (PEM in
//     any case, JWK, bare base64 or hex DER, any encoding of a configured
//     public key) is refused by New and package keys (algorithm
//     confusion; see keys.CheckSecret). HMAC secrets must be as long as
//     the hash (RFC 7518 §3.2); RSA keys 2048 to 8192 bits.
//   - Tokens are parsed strictly: one accepted spelling of each token
//     (strict base64url and JSON, no duplicate members), size limits,
//     "crit" and unencoded payloads refused, embedded keys ("jwk", "jku",
//     "x5u", "x5c") never read.
//   - "exp" is required unless non-expiring tokens are configured; "nbf",
//     "iat", issuer and audience are checked; a token carrying "aud" is
//     refused when no audience is configured (RFC 7519 §4.1.3).
//   - A type claim tells access tokens from refresh tokens on every route;
//     third-party ID tokens are refused as access tokens.
//   - Revocation is keyed on verified claims, and a store that fails or
//     does not answer within [RevocationConfig.Timeout] fails the request with
//     503, never silently accepts it. A local replica of the store
//     ([RevocationConfig.MaxStaleness]) answers only while it can prove it
//     has seen every revocation up to the bound ago, and fails with 503
//     otherwise.
//   - Cookies are __Host- prefixed, Secure, HttpOnly and SameSite=Lax by
//     default; unsafe cookie-authenticated requests need the CSRF header
//     equal to the csrf claim signed into the token (compared in constant
//     time) and pass a Fetch-Metadata/Origin cross-origin check.
//
// The threat list, what each default defends and how it is tested are in
// SECURITY.md at the repository's root.
//
// # What this package does not do
//
//   - It does not check passwords, store users or run a login page: the
//     application authenticates the user, then asks authjwt for tokens.
//   - It is not an OAuth 2.0 authorization server or an OpenID Connect
//     relying party: it does not run authorization-code flows, fetch
//     tokens from a provider or validate ID tokens (nonce, at_hash). It
//     accepts a provider's access tokens with [TrustedIssuer].
//   - It does not encrypt tokens (JWE): claims are signed, not secret.
//     Never put a secret in a claim.
//   - It does not rate-limit logins or refreshes, and does not keep a
//     session store: a token stays valid until it expires unless a
//     revocation store is configured and consulted.
//   - It reads no key or URL named by a token, and makes no network call
//     while verifying, except to the revocation store and to the JWKS of
//     a configured trusted issuer.
//   - It does not read the environment unless asked ([LoadEnv],
//     [ConfigFromEnv]).
package authjwt
