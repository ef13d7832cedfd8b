package authgin_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/adapters/authgin"
	"github.com/librenz/authjwt/authjwttest/adaptertest"
)

func init() { gin.SetMode(gin.TestMode) }

func build(a *authjwt.Auth, req authjwt.Requirement) http.Handler {
	r := gin.New()
	h := func(c *gin.Context) {
		adaptertest.WriteUser(c.Writer, authgin.Token(c), authjwt.FromContext(c.Request.Context()))
	}
	r.GET(adaptertest.Path, authgin.Middleware(a, req), h)
	r.POST(adaptertest.Path, authgin.Middleware(a, req), h)
	return r
}

// TestSameAsNetHTTP sends the shared table through gin and net/http.
func TestSameAsNetHTTP(t *testing.T) {
	adaptertest.Run(t, build, adaptertest.Same)
}

// TestAbortStopsChain checks that a refused request runs no later handler,
// not even one registered after the guard with Use.
func TestAbortStopsChain(t *testing.T) {
	f := adaptertest.NewFixture(t)
	r := gin.New()
	ran := false
	r.Use(authgin.Required(f.Auth))
	r.Use(func(c *gin.Context) { ran = true })
	r.GET("/x", func(c *gin.Context) { ran = true })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 401 || ran {
		t.Errorf("status %d, later handler ran: %v", rec.Code, ran)
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
		mw    gin.HandlerFunc
		token string
		want  int
	}{
		{"Required", "an access token passes", authgin.Required(a), stale, 200},
		{"Required refresh", "a refresh token does not", authgin.Required(a), refresh, 401},
		{"Optional none", "no token passes", authgin.Optional(a), "", 200},
		{"RefreshRequired", "a refresh token passes", authgin.RefreshRequired(a), refresh, 200},
		{"RefreshRequired access", "an access token does not", authgin.RefreshRequired(a), stale, 401},
		{"FreshRequired stale", "a stale token does not pass", authgin.FreshRequired(a), stale, 401},
		{"FreshRequired fresh", "a fresh token passes", authgin.FreshRequired(a), fresh, 200},
		{"RequireRoles", "a token without the role is 403", authgin.RequireRoles(a, "admin"), stale, 403},
		{"RequireRoles ok", "with the role it passes", authgin.RequireRoles(a, "admin"), fresh, 200},
		{"RequireClaims", "without the claim it is 403", authgin.RequireClaims(a, "partner"), stale, 403},
		{"RequireClaims ok", "with the claim it passes", authgin.RequireClaims(a, "partner"), fresh, 200},
	}
	for _, tt := range tests {
		r := gin.New()
		r.GET("/x", tt.mw, func(c *gin.Context) { c.String(200, authgin.Subject(c)) })
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

// TestClaimsTypeMismatchIs500: a ClaimsAs bug in a gin handler is a 500.
func TestClaimsTypeMismatchIs500(t *testing.T) {
	adaptertest.RunClaimsTypeMismatch(t, func(a *authjwt.Auth, body http.HandlerFunc) http.Handler {
		r := gin.New()
		r.GET(adaptertest.Path, authgin.Required(a), func(c *gin.Context) { body(c.Writer, c.Request) })
		return r
	})
}
