package authjwttest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
)

// The application under test: a route guarded by authjwt.
func newApp(a *authjwt.Auth) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /profile", a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", authjwt.Subject(r.Context()))
	})))
	return mux
}

// A test of a protected route: a token from the Auth under test, the
// Authorization header, and the clock moved past the token's lifetime.
func Example() {
	t := &testing.T{} // in a real test, the *testing.T of the test function
	a, clock := authjwttest.New(t, authjwt.Config{})
	app := newApp(a)

	r := httptest.NewRequest("GET", "/profile", nil)
	authjwttest.SetBearer(r, authjwttest.AccessToken(t, a, "alice"))
	w := httptest.NewRecorder()
	app.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())

	clock.Advance(15 * time.Minute) // the default access-token lifetime
	w = httptest.NewRecorder()
	app.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	// Output:
	// 200 hello alice
	// 401 Bearer error="invalid_token", error_description="Signature has expired"
}
