// Package examples holds runnable examples of authjwt, one main package
// per directory, mirroring the examples of libre-fastapi-jwt:
//
//	basic/                          log in, call a protected route
//	refresh/                        refresh tokens
//	freshness/                      fresh tokens for sensitive routes
//	optional/                       routes open to anonymous users
//	additional-claims/              custom claims, typed with ClaimsAs, roles
//	asymmetric/                     RS256, ES256, EdDSA; a JWKS endpoint
//	denylist-memory/                revocation with the in-memory store
//	denylist-redis/                 revocation with Redis (redisstore)
//	cookies-csrf/                   HttpOnly cookies with CSRF double submit
//	dual-token-location/            headers and cookies at once
//	dynamic-algorithm-and-expiry/   per-token algorithm and lifetime
//	websocket/                      WebSocket handshakes: query token, cookies
//	openapi/                        OpenAPI security schemes, Swagger UI "Authorize"
//	multiple-files/                 an application split into packages
//
// Run one with `go run ./basic` from this directory (each listens on
// 127.0.0.1:8000 unless -addr says otherwise). Each builds its handler in
// newApp, apart from main, so its test calls the routes in-process.
package examples
