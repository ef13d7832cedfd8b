// Package authjwttest helps applications test their authjwt-protected
// handlers in a few lines, in the style of [net/http/httptest]: an
// [authjwt.Auth] with a fixed secret and an adjustable [Clock], helpers
// that mint tokens and put them on an *http.Request (as an Authorization
// header, or as cookies with their CSRF header), and an [Issuer]: a
// third-party identity provider on a loopback TLS server, serving OpenID
// Connect discovery and a JWKS, that mints tokens for testing
// [authjwt.TrustedIssuer] configurations.
//
// FOR TESTS ONLY. [Secret] is published in this package's source, the
// helpers fail the test on any error instead of returning it, and the
// issuer's keys live only as long as the test. Never import this package
// from production code.
//
// A typical test:
//
//	func TestProfile(t *testing.T) {
//		a, clock := authjwttest.New(t, authjwt.Config{})
//		h := newApp(a) // the application's handler
//
//		r := httptest.NewRequest("GET", "/profile", nil)
//		authjwttest.SetBearer(r, authjwttest.AccessToken(t, a, "alice"))
//		w := httptest.NewRecorder()
//		h.ServeHTTP(w, r)
//		// … 200 …
//
//		clock.Advance(16 * time.Minute) // past the 15-minute default lifetime
//		w = httptest.NewRecorder()
//		h.ServeHTTP(w, r)
//		// … 401 "Signature has expired" …
//	}
package authjwttest
