package authjwttest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
)

// whoami answers the verified subject, or the library's error.
func whoami(w http.ResponseWriter, r *http.Request) {
	json.NewEncoder(w).Encode(map[string]string{"user": authjwt.Subject(r.Context())})
}

// serve runs h on r and returns the status and the decoded JSON body.
func serve(t *testing.T, h http.Handler, r *http.Request) (int, map[string]string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", r.Method, r.URL, w.Body.String(), err)
	}
	return w.Code, body
}

func TestClock(t *testing.T) {
	start := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	c := authjwttest.NewClock(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	if got := c.Advance(90 * time.Second); !got.Equal(start.Add(90*time.Second)) || !c.Now().Equal(got) {
		t.Fatalf("Advance returned %v, Now %v", got, c.Now())
	}
	c.Advance(-90 * time.Second)
	if !c.Now().Equal(start) {
		t.Fatalf("Advance backwards: %v", c.Now())
	}
	later := start.Add(time.Hour)
	c.Set(later)
	if !c.Now().Equal(later) {
		t.Fatalf("Set: %v", c.Now())
	}
	// Concurrent use (checked by -race).
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if want := later.Add(800 * time.Millisecond); !c.Now().Equal(want) {
		t.Fatalf("after concurrent advances: %v, want %v", c.Now(), want)
	}
}

func TestNew(t *testing.T) {
	a, clock := authjwttest.New(t, authjwt.Config{})
	cfg := a.Config()
	if cfg.Keys.SecretKey != authjwttest.Secret {
		t.Errorf("Keys.SecretKey = %q, want authjwttest.Secret", cfg.Keys.SecretKey)
	}
	if clock == nil || !clock.Now().Equal(authjwttest.Epoch) || !cfg.Now().Equal(authjwttest.Epoch) {
		t.Fatalf("clock not at Epoch / not wired as Config.Now")
	}
	tok, err := a.Verify(t.Context(), authjwttest.AccessToken(t, a, "alice"), authjwt.Requirement{})
	if err != nil || !tok.IssuedAt().Equal(authjwttest.Epoch) {
		t.Fatalf("token from the fixed clock: %v, iat %v", err, tok.IssuedAt())
	}

	// Secret long enough for every HMAC algorithm.
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		authjwttest.New(t, authjwt.Config{Keys: authjwt.KeyConfig{Algorithm: alg}})
	}

	// A configured key is kept: no secret is added next to it.
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	priv := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	a2, _ := authjwttest.New(t, authjwt.Config{Keys: authjwt.KeyConfig{PrivateKey: priv, Algorithm: "ES256"}})
	if a2.Config().Keys.SecretKey != "" {
		t.Errorf("Keys.SecretKey added beside a Keys.PrivateKey")
	}
	if _, err := a2.Verify(t.Context(), authjwttest.AccessToken(t, a2, "bob"), authjwt.Requirement{}); err != nil {
		t.Fatal(err)
	}

	// A caller's clock is kept, and no Clock is returned.
	fixed := time.Unix(1_900_000_000, 0)
	a3, c3 := authjwttest.New(t, authjwt.Config{Now: func() time.Time { return fixed }})
	if c3 != nil || !a3.Config().Now().Equal(fixed) {
		t.Fatalf("cfg.Now replaced (clock %v)", c3)
	}
}

func TestTokens(t *testing.T) {
	a, _ := authjwttest.New(t, authjwt.Config{})
	ctx := t.Context()
	if _, err := a.Verify(ctx, authjwttest.RefreshToken(t, a, "alice"), authjwt.Requirement{Refresh: true}); err != nil {
		t.Errorf("RefreshToken: %v", err)
	}
	fresh, err := a.Verify(ctx, authjwttest.AccessToken(t, a, "alice", authjwt.WithFresh(true)), authjwt.Requirement{Fresh: true})
	if err != nil || !fresh.Fresh() {
		t.Errorf("fresh AccessToken: %v", err)
	}
	p := authjwttest.Pair(t, a, "alice")
	at, err1 := a.Verify(ctx, p.AccessToken, authjwt.Requirement{})
	rt, err2 := a.Verify(ctx, p.RefreshToken, authjwt.Requirement{Refresh: true})
	if err1 != nil || err2 != nil || at.Family() == "" || at.Family() != rt.Family() || p.Family != at.Family() {
		t.Errorf("Pair: %v %v, families %q %q %q", err1, err2, at.Family(), rt.Family(), p.Family)
	}
}

// fatalRecorder records a helper's failure instead of ending the test.
type fatalRecorder struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) { f.failed = true; f.msg = format }
func (f *fatalRecorder) Helper()                           {}

func TestHelpersFailTheTest(t *testing.T) {
	a, _ := authjwttest.New(t, authjwt.Config{}) // headers only
	cases := []struct {
		name string
		why  string
		call func(tb testing.TB)
	}{
		{"bad token option", "creation errors must not pass silently", func(tb testing.TB) {
			authjwttest.AccessToken(tb, a, "x", authjwt.WithClaims(map[string]any{"sub": "y"}))
		}},
		{"fresh refresh token", "refresh tokens cannot be fresh", func(tb testing.TB) {
			authjwttest.RefreshToken(tb, a, "x", authjwt.WithFresh(true))
		}},
		{"cookies off", "a cookie helper on a headers-only Auth is a test bug", func(tb testing.TB) {
			r := httptest.NewRequest("GET", "/", nil)
			authjwttest.SetAccessCookies(tb, a, r, authjwttest.AccessToken(t, a, "x"))
		}},
		{"bad config", "New reports configuration errors", func(tb testing.TB) {
			authjwttest.New(tb, authjwt.Config{Keys: authjwt.KeyConfig{Algorithm: "none"}})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fatalRecorder{TB: t}
			c.call(f)
			if !f.failed {
				t.Errorf("helper did not fail the test (%s)", c.why)
			}
		})
	}
}

func TestSetBearer(t *testing.T) {
	a, clock := authjwttest.New(t, authjwt.Config{})
	h := a.Required(http.HandlerFunc(whoami))
	access := authjwttest.AccessToken(t, a, "alice")
	cases := []struct {
		name   string
		why    string
		token  string
		status int
		detail string
	}{
		{"none", "nothing set: the route stays closed", "", 401, "Missing Authorization Header"},
		{"access", "SetBearer produces the header Required reads", access, 200, ""},
		{"refresh", "the token type is still checked", authjwttest.RefreshToken(t, a, "alice"), 401, "Only access tokens are allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/me", nil)
			if c.token != "" {
				authjwttest.SetBearer(r, c.token)
			}
			code, body := serve(t, h, r)
			if code != c.status || body["detail"] != c.detail {
				t.Fatalf("%d %v, want %d %q (%s)", code, body, c.status, c.detail, c.why)
			}
		})
	}
	// The clock drives expiry.
	clock.Advance(15 * time.Minute)
	r := httptest.NewRequest("GET", "/me", nil)
	authjwttest.SetBearer(r, access)
	if code, body := serve(t, h, r); code != 401 || body["detail"] != "Signature has expired" {
		t.Fatalf("after Advance: %d %v", code, body)
	}
}

func TestSetHeaderToken(t *testing.T) {
	cases := []struct {
		name string
		why  string
		cfg  authjwt.Config
		want string // header value with TOKEN for the token
		hdr  string
	}{
		{"default", "Authorization: Bearer", authjwt.Config{}, "Bearer TOKEN", "Authorization"},
		{"custom", "name and scheme come from the Auth's config", authjwt.Config{Header: authjwt.HeaderConfig{Name: "X-Auth", Type: "JWT"}}, "JWT TOKEN", "X-Auth"},
		{"bare", "Header.BareToken carries the token alone", authjwt.Config{Header: authjwt.HeaderConfig{BareToken: true}}, "TOKEN", "Authorization"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, _ := authjwttest.New(t, c.cfg)
			tok := authjwttest.AccessToken(t, a, "alice")
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set(c.hdr, "stale")
			authjwttest.SetHeaderToken(a, r, tok)
			if got := r.Header.Values(c.hdr); len(got) != 1 || got[0] != replaceToken(c.want, tok) {
				t.Fatalf("%s = %q (%s)", c.hdr, got, c.why)
			}
			if code, body := serve(t, a.Required(http.HandlerFunc(whoami)), r); code != 200 || body["user"] != "alice" {
				t.Fatalf("%d %v", code, body)
			}
		})
	}
}

func replaceToken(s, tok string) string {
	if len(s) >= 5 && s[len(s)-5:] == "TOKEN" {
		return s[:len(s)-5] + tok
	}
	return s
}

func TestCookieHelpers(t *testing.T) {
	a, _ := authjwttest.New(t, authjwt.Config{TokenLocation: []string{authjwt.LocationCookies}})
	pair := authjwttest.Pair(t, a, "alice")
	required := a.Required(http.HandlerFunc(whoami))
	refresh := a.RefreshRequired(http.HandlerFunc(whoami))

	r := httptest.NewRequest("POST", "/items", nil)
	authjwttest.SetAccessCookies(t, a, r, pair.AccessToken)
	if r.Header.Get("X-CSRF-Token") == "" {
		t.Fatal("no CSRF header set")
	}
	if code, body := serve(t, required, r); code != 200 || body["user"] != "alice" {
		t.Fatalf("POST with access cookies: %d %v", code, body)
	}
	// Without the CSRF header the same cookies are refused: the helper's
	// header is what made the request pass.
	r.Header.Del("X-CSRF-Token")
	if code, body := serve(t, required, r); code != 403 || body["code"] != "csrf_token_missing" {
		t.Fatalf("without CSRF header: %d %v", code, body)
	}

	r = httptest.NewRequest("POST", "/refresh", nil)
	authjwttest.SetRefreshCookies(t, a, r, pair.RefreshToken)
	if code, body := serve(t, refresh, r); code != 200 || body["user"] != "alice" {
		t.Fatalf("POST with refresh cookies: %d %v", code, body)
	}
	// Setting access cookies again replaces, never duplicates (a duplicate
	// token cookie is refused by the library).
	r = httptest.NewRequest("POST", "/items", nil)
	authjwttest.SetAccessCookies(t, a, r, authjwttest.AccessToken(t, a, "bob"))
	authjwttest.SetAccessCookies(t, a, r, pair.AccessToken)
	if code, body := serve(t, required, r); code != 200 || body["user"] != "alice" {
		t.Fatalf("after replacing cookies: %d %v", code, body)
	}

	// No CSRF with Cookies.UnsafeDisableCSRF: the helper sets cookies only.
	b, _ := authjwttest.New(t, authjwt.Config{TokenLocation: []string{authjwt.LocationCookies}, Cookies: authjwt.CookieConfig{UnsafeDisableCSRF: true}})
	r = httptest.NewRequest("POST", "/items", nil)
	authjwttest.SetAccessCookies(t, b, r, authjwttest.AccessToken(t, b, "carol"))
	if r.Header.Get("X-CSRF-Token") != "" {
		t.Fatal("CSRF header set with CSRF off")
	}
	if code, body := serve(t, b.Required(http.HandlerFunc(whoami)), r); code != 200 || body["user"] != "carol" {
		t.Fatalf("CSRF off: %d %v", code, body)
	}
}

func TestAddCookies(t *testing.T) {
	a, _ := authjwttest.New(t, authjwt.Config{TokenLocation: []string{authjwt.LocationCookies}})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		p, _ := a.CreatePair("alice")
		if err := a.SetPairCookies(w, p); err != nil {
			t.Error(err)
		}
		json.NewEncoder(w).Encode(map[string]string{"detail": "Logged in"})
	})
	mux.Handle("DELETE /logout", a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.UnsetCookies(w)
		json.NewEncoder(w).Encode(map[string]string{"detail": "Logged out"})
	})))
	mux.Handle("GET /me", a.Required(http.HandlerFunc(whoami)))

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("POST", "/login", nil))
	login := w.Result()

	r := httptest.NewRequest("GET", "/me", nil)
	r.AddCookie(&http.Cookie{Name: "unrelated", Value: "kept"})
	authjwttest.AddCookies(r, login)
	if n := len(r.Cookies()); n != 5 {
		t.Fatalf("%d cookies after login, want 4 auth cookies + 1 unrelated", n)
	}
	if code, body := serve(t, mux, r); code != 200 || body["user"] != "alice" {
		t.Fatalf("GET /me: %d %v", code, body)
	}

	r = httptest.NewRequest("DELETE", "/logout", nil)
	authjwttest.AddCookies(r, login)
	authjwttest.SetCSRFHeader(a, r, false)
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	authjwttest.AddCookies(r, w.Result())
	if n := len(r.Cookies()); n != 0 {
		t.Fatalf("%d cookies left after the deletion cookies of logout", n)
	}

	// A response without cookies leaves the request alone.
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "a=1")
	authjwttest.AddCookies(r, httptest.NewRecorder().Result())
	if r.Header.Get("Cookie") != "a=1" {
		t.Fatalf("Cookie header changed: %q", r.Header.Get("Cookie"))
	}
}

func TestIssuer(t *testing.T) {
	for _, alg := range []string{"", "ES256", "EdDSA", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			idp := authjwttest.NewIssuer(t, alg)
			if alg == "" && idp.Alg != "RS256" {
				t.Fatalf("default algorithm %q", idp.Alg)
			}
			ti := idp.TrustedIssuer("my-api")
			ti.RolesClaim = "realm_access.roles"
			a, clock := authjwttest.New(t, authjwt.Config{TrustedIssuers: []authjwt.TrustedIssuer{ti}})
			idp.SetNow(clock.Now)
			ctx := t.Context()

			good := map[string]any{"sub": "idp-user", "aud": "my-api", "realm_access": map[string]any{"roles": []string{"admin"}}}
			tok, err := a.Verify(ctx, idp.Token(t, good), authjwt.Requirement{Roles: []string{"admin"}})
			if err != nil {
				t.Fatalf("issuer token refused: %v", err)
			}
			if !tok.IsThirdParty() || tok.Issuer() != idp.URL || tok.Subject() != "idp-user" || !tok.IssuedAt().Equal(authjwttest.Epoch) {
				t.Fatalf("token: third party %v, iss %q, sub %q, iat %v", tok.IsThirdParty(), tok.Issuer(), tok.Subject(), tok.IssuedAt())
			}

			other := authjwttest.NewIssuer(t, idp.Alg)
			forged := other.Sign(t, []byte(`{"iss":"`+idp.URL+`","sub":"x","aud":"my-api","exp":9999999999}`))
			cases := []struct {
				name  string
				why   string
				token string
				want  error
			}{
				{"wrong audience", "a token for another API of the provider", idp.Token(t, map[string]any{"sub": "u", "aud": "other-api"}), authjwt.ErrInvalidAudience},
				{"no exp", "nil removes a default claim", idp.Token(t, map[string]any{"sub": "u", "aud": "my-api", "exp": nil}), authjwt.ErrInvalidClaim},
				{"expired", "the issuer follows the shared clock", idp.Token(t, map[string]any{"sub": "u", "aud": "my-api", "exp": authjwttest.Epoch.Add(-time.Second).Unix()}), authjwt.ErrTokenExpired},
				{"id token", "a nonce marks an ID token", idp.Token(t, map[string]any{"sub": "u", "aud": "my-api", "nonce": "n"}), authjwt.ErrIDTokenRefused},
				{"other issuer's key", "another issuer's key never verifies this issuer's tokens", forged, authjwt.ErrInvalidKID},
			}
			for _, c := range cases {
				if _, err := a.Verify(ctx, c.token, authjwt.Requirement{}); !errors.Is(err, c.want) {
					t.Errorf("%s: %v, want %v (%s)", c.name, err, c.want, c.why)
				}
			}

			// Rotation: the new key is found by its kid.
			oldKID := idp.Keys.Signer().KID
			newKID := idp.RotateKey(t)
			if newKID == oldKID || idp.Keys.Signer().KID != newKID {
				t.Fatalf("RotateKey: %q -> %q", oldKID, newKID)
			}
			tok, err = a.Verify(ctx, idp.Token(t, good), authjwt.Requirement{})
			if err != nil {
				t.Fatalf("token of the rotated key: %v", err)
			}
			if tok.KeyID() != newKID {
				t.Fatalf("token of the rotated key verified with kid %q, want %q", tok.KeyID(), newKID)
			}
		})
	}
}

func TestIssuerDiscovery(t *testing.T) {
	idp := authjwttest.NewIssuer(t, "ES256")
	res, err := idp.Server.Client().Get(idp.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc map[string]any
	json.NewDecoder(res.Body).Decode(&doc)
	if doc["issuer"] != idp.URL || doc["jwks_uri"] != idp.URL+"/.well-known/jwks.json" {
		t.Fatalf("discovery document %v", doc)
	}
	res, err = idp.Server.Client().Get(idp.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	json.NewDecoder(res.Body).Decode(&set)
	if len(set.Keys) != 1 || set.Keys[0]["kid"] != idp.Keys.Signer().KID || set.Keys[0]["d"] != nil {
		t.Fatalf("JWKS %v", set.Keys)
	}
}

// TestIssuerTyp: the issuer's typ header follows SetTyp, so that a
// TrustedIssuer's explicit typing can be tested: with RequireAtJWT only
// at+jwt passes; by default JWT and no typ pass too; logout+jwt never.
func TestIssuerTyp(t *testing.T) {
	idp := authjwttest.NewIssuer(t, "ES256")
	strict := idp.TrustedIssuer("my-api")
	strict.RequireAtJWT = true
	a, clock := authjwttest.New(t, authjwt.Config{TrustedIssuers: []authjwt.TrustedIssuer{strict}})
	lax, _ := authjwttest.New(t, authjwt.Config{Now: clock.Now, TrustedIssuers: []authjwt.TrustedIssuer{idp.TrustedIssuer("my-api")}})
	idp.SetNow(clock.Now)
	claims := map[string]any{"sub": "u", "aud": "my-api"}
	for _, c := range []struct {
		typ          string
		strict, dflt error
	}{
		{"at+jwt", nil, nil},
		{"JWT", authjwt.ErrAccessRequired, nil},
		{"", authjwt.ErrAccessRequired, nil},
		{"logout+jwt", authjwt.ErrAccessRequired, authjwt.ErrAccessRequired},
	} {
		idp.SetTyp(c.typ)
		tok := idp.Token(t, claims)
		if _, err := a.Verify(t.Context(), tok, authjwt.Requirement{}); !errors.Is(err, c.strict) || (c.strict == nil) != (err == nil) {
			t.Errorf("typ %q, RequireAtJWT: %v, want %v", c.typ, err, c.strict)
		}
		if _, err := lax.Verify(t.Context(), tok, authjwt.Requirement{}); !errors.Is(err, c.dflt) || (c.dflt == nil) != (err == nil) {
			t.Errorf("typ %q, default: %v, want %v", c.typ, err, c.dflt)
		}
	}
}
