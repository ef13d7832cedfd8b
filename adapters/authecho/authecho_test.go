package authecho_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/adapters/authecho"
	"github.com/librenz/authjwt/authjwttest/adaptertest"
)

func build(a *authjwt.Auth, req authjwt.Requirement) http.Handler {
	e := echo.New()
	h := func(c echo.Context) error {
		adaptertest.WriteUser(c.Response(), authecho.Token(c), authjwt.FromContext(c.Request().Context()))
		return nil
	}
	e.GET(adaptertest.Path, h, authecho.Middleware(a, req))
	e.POST(adaptertest.Path, h, authecho.Middleware(a, req))
	return e
}

// TestSameAsNetHTTP sends the shared table through echo and net/http.
func TestSameAsNetHTTP(t *testing.T) {
	adaptertest.Run(t, build, adaptertest.Same)
}

// TestAbortStopsChain checks that a refused request runs no later handler,
// not even middleware registered after the guard with Use, and that echo's
// error handler adds nothing to the library's body.
func TestAbortStopsChain(t *testing.T) {
	f := adaptertest.NewFixture(t)
	r := echo.New()
	ran := false
	r.Use(authecho.Required(f.Auth))
	r.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { ran = true; return next(c) }
	})
	r.GET("/x", func(c echo.Context) error { ran = true; return nil })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 401 || ran {
		t.Errorf("status %d, later handler ran: %v", rec.Code, ran)
	}
	if want := `{"detail":"Missing Authorization Header","code":"missing_token"}` + "\n"; rec.Body.String() != want {
		t.Errorf("body %q, want %q", rec.Body.String(), want)
	}
}

// TestShorthands checks each shorthand enforces its own requirement.
func TestShorthands(t *testing.T) {
	f := adaptertest.NewFixture(t)
	a := f.Auth
	refresh, _ := a.CreateRefreshToken("alice")
	stale, _ := a.CreateAccessToken("bob")
	fresh, _ := a.CreateAccessToken("alice", authjwt.WithFresh(true), authjwt.WithClaims(map[string]any{"roles": []string{"admin"}, "partner": "x"}))
	tests := []struct {
		name  string
		why   string
		mw    echo.MiddlewareFunc
		token string
		want  int
	}{
		{"Required", "an access token passes", authecho.Required(a), stale, 200},
		{"Required refresh", "a refresh token does not", authecho.Required(a), refresh, 401},
		{"Optional none", "no token passes", authecho.Optional(a), "", 200},
		{"RefreshRequired", "a refresh token passes", authecho.RefreshRequired(a), refresh, 200},
		{"RefreshRequired access", "an access token does not", authecho.RefreshRequired(a), stale, 401},
		{"FreshRequired stale", "a stale token does not pass", authecho.FreshRequired(a), stale, 401},
		{"FreshRequired fresh", "a fresh token passes", authecho.FreshRequired(a), fresh, 200},
		{"RequireRoles", "a token without the role is 403", authecho.RequireRoles(a, "admin"), stale, 403},
		{"RequireRoles ok", "with the role it passes", authecho.RequireRoles(a, "admin"), fresh, 200},
		{"RequireClaims", "without the claim it is 403", authecho.RequireClaims(a, "partner"), stale, 403},
		{"RequireClaims ok", "with the claim it passes", authecho.RequireClaims(a, "partner"), fresh, 200},
	}
	for _, tt := range tests {
		r := echo.New()
		r.GET("/x", func(c echo.Context) error { return c.String(200, authecho.Subject(c)) }, tt.mw)
		req := httptest.NewRequest("GET", "/x", nil)
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: %s: got %d, want %d (%s)", tt.name, tt.why, rec.Code, tt.want, rec.Body.String())
		}
	}
}

// TestExampleBuilds compiles the example program.
func TestExampleBuilds(t *testing.T) {
	goBuild(t, "./example")
}

func goBuild(t *testing.T, pkg string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH: run the tests with the Go toolchain installed")
	}
	cmd := exec.Command(goTool, "build", "-o", filepath.Join(t.TempDir(), "example"), pkg)
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
}

// TestClaimsTypeMismatchIs500: a ClaimsAs bug in an echo handler is a 500.
func TestClaimsTypeMismatchIs500(t *testing.T) {
	adaptertest.RunClaimsTypeMismatch(t, func(a *authjwt.Auth, body http.HandlerFunc) http.Handler {
		e := echo.New()
		e.GET(adaptertest.Path, func(c echo.Context) error {
			body(c.Response(), c.Request())
			return nil
		}, authecho.Required(a))
		return e
	})
}
