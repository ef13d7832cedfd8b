package authjwt

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// irSetup returns an Auth with revocation, a fixed clock and the cookies
// of a fresh login (access 15m, refresh 14d, one family, roles claim).
func irSetup(t *testing.T, cfg Config) (*Auth, *clock, Pair, http.Header) {
	t.Helper()
	if cfg.Revocation.Store == nil {
		cfg.Revocation.Store = revoke.NewMemory()
	}
	cfg.Revocation.Enabled = true
	a, clk := cookieAuth(t, cfg)
	p := must(a.CreatePair("alice", WithFresh(true), WithClaims(map[string]any{"roles": []string{"admin"}, "org": "acme"})))
	rec := httptest.NewRecorder()
	if err := a.SetPairCookies(rec, p); err != nil {
		t.Fatal(err)
	}
	return a, clk, p, rec.Header()
}

// serveIR runs r through ImplicitRefresh(window) around h.
func serveIR(a *Auth, window time.Duration, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	a.ImplicitRefresh(window)(h).ServeHTTP(rec, r)
	return rec
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

func TestImplicitRefreshRenews(t *testing.T) {
	a, clk, p, cookies := irSetup(t, Config{})
	clk.Add(12 * time.Minute) // 3 minutes left
	rec := serveIR(a, 5*time.Minute, okHandler, cookieRequest("GET", "/page", cookies))
	if rec.Body.String() != "ok" {
		t.Fatalf("handler output lost: %q", rec.Body)
	}
	got := responseCookies(rec.Header())
	nc, ncsrf := got["__Host-access_token"], got["__Host-csrf_access"]
	if nc == nil || ncsrf == nil || len(got) != 2 {
		t.Fatalf("want new access and CSRF cookies only, got %q", setCookies(rec.Header()))
	}
	if want := "__Host-access_token=" + nc.Value + "; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax"; setCookies(rec.Header())[0] != want {
		t.Errorf("access cookie %q, want %q", setCookies(rec.Header())[0], want)
	}
	if want := "__Host-csrf_access=" + ncsrf.Value + "; Path=/; Max-Age=900; Secure; SameSite=Lax"; setCookies(rec.Header())[1] != want {
		t.Errorf("CSRF cookie %q, want %q", setCookies(rec.Header())[1], want)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("a response carrying a token must not be cached")
	}
	tok, err := a.Verify(context.Background(), nc.Value, Requirement{})
	if err != nil {
		t.Fatal(err)
	}
	old := must(a.Verify(context.Background(), p.AccessToken, Requirement{}))
	switch {
	case tok.Fresh():
		t.Error("a renewed token must never be fresh (the old one was)")
	case tok.Family() != p.Family || p.Family == "":
		t.Errorf("family %q, want %q", tok.Family(), p.Family)
	case tok.JTI() == old.JTI():
		t.Error("same jti")
	case tok.Subject() != "alice":
		t.Errorf("subject %q", tok.Subject())
	case !tok.ExpiresAt().Equal(clk.Now().Add(15 * time.Minute)):
		t.Errorf("exp %v, want now+15m", tok.ExpiresAt())
	case tok.CSRF() != ncsrf.Value || tok.CSRF() != old.CSRF():
		// The CSRF value is kept, so a request the page built from the
		// previous CSRF cookie still matches the renewed access cookie.
		t.Errorf("CSRF cookie %q and renewed claim %q must keep the old claim %q", ncsrf.Value, tok.CSRF(), old.CSRF())
	case strings.Join(tok.Roles(), ",") != "admin":
		t.Errorf("roles %v not kept", tok.Roles())
	}
	if v, _ := tok.Claim("org"); v != "acme" {
		t.Errorf("custom claim org = %v", v)
	}
	// The renewed cookie works on a guarded POST with its CSRF cookie.
	r := cookieRequest("POST", "/", rec.Header())
	r.Header.Set("X-CSRF-Token", ncsrf.Value)
	if _, err := a.Check(r, Requirement{}); err != nil {
		t.Errorf("renewed cookie refused: %v", err)
	}
}

func TestImplicitRefreshDoesNotFire(t *testing.T) {
	logout := func(a *Auth) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok := must(a.Check(r, Requirement{}))
			a.RevokeFamily(r.Context(), tok)
			a.UnsetCookies(w)
		})
	}
	tests := []struct {
		name    string
		advance time.Duration
		mutate  func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler)
		want    []string // Set-Cookie names expected (the handler's)
	}{
		{"outside the window", 1 * time.Minute, nil, nil},
		{"expired access cookie: the client must call /refresh", 16 * time.Minute, nil, nil},
		{"no refresh cookie", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			n := httptest.NewRequest("GET", "/", nil)
			n.AddCookie(must(r.Cookie("__Host-access_token")))
			return n, nil
		}, nil},
		{"invalid refresh cookie", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			n := httptest.NewRequest("GET", "/", nil)
			n.AddCookie(must(r.Cookie("__Host-access_token")))
			n.AddCookie(&http.Cookie{Name: "__Host-refresh_token", Value: p.AccessToken})
			return n, nil
		}, nil},
		{"refresh cookie of another subject", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			n := httptest.NewRequest("GET", "/", nil)
			n.AddCookie(must(r.Cookie("__Host-access_token")))
			n.AddCookie(&http.Cookie{Name: "__Host-refresh_token", Value: must(a.CreateRefreshToken("mallory", WithFamily(p.Family)))})
			return n, nil
		}, nil},
		{"refresh cookie of another family", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			n := httptest.NewRequest("GET", "/", nil)
			n.AddCookie(must(r.Cookie("__Host-access_token")))
			n.AddCookie(&http.Cookie{Name: "__Host-refresh_token", Value: must(a.CreateRefreshToken("alice"))})
			return n, nil
		}, nil},
		{"revoked refresh token", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			a.Revoke(context.Background(), must(a.Verify(context.Background(), p.RefreshToken, Requirement{Refresh: true})))
			return r, nil
		}, nil},
		{"revoked access token (full verification first)", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			a.Revoke(context.Background(), must(a.Verify(context.Background(), p.AccessToken, Requirement{})))
			return r, nil
		}, nil},
		{"unsafe method without the CSRF header", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			r.Method = "POST"
			return r, nil
		}, nil},
		{"cross-origin unsafe request", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			r.Method = "POST"
			r.Header.Set("X-CSRF-Token", claimOf(t, p.AccessToken, "csrf").(string))
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			return r, nil
		}, nil},
		{"logout: the handler unsets the cookies", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			return r, logout(a)
		}, []string{"__Host-access_token", "__Host-csrf_access", "__Host-refresh_token", "__Host-csrf_refresh"}},
		{"the handler unsets the cookies without revoking", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			return r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.UnsetAccessCookies(w) })
		}, []string{"__Host-access_token", "__Host-csrf_access"}},
		{"logout that revokes but forgets to unset", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			return r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				a.RevokeFamily(r.Context(), must(a.Check(r, Requirement{})))
				w.WriteHeader(200)
			})
		}, nil},
		{"login/refresh: the handler sets its own cookies", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			return r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				a.SetAccessCookies(w, must(a.CreateAccessToken("alice", WithFamily(p.Family))))
			})
		}, []string{"__Host-access_token", "__Host-csrf_access"}},
		{"header-authenticated request", 12 * time.Minute, func(t *testing.T, a *Auth, p Pair, r *http.Request) (*http.Request, http.Handler) {
			r.Header.Set("Authorization", "Bearer "+p.AccessToken)
			return r, nil
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, clk, p, cookies := irSetup(t, Config{TokenLocation: []string{LocationHeaders, LocationCookies}})
			clk.Add(tt.advance)
			r := cookieRequest("GET", "/", cookies)
			var h http.Handler = okHandler
			if tt.mutate != nil {
				var h2 http.Handler
				r, h2 = tt.mutate(t, a, p, r)
				if h2 != nil {
					h = h2
				}
			}
			rec := serveIR(a, 5*time.Minute, h, r)
			var names []string
			for _, c := range (&http.Response{Header: rec.Header()}).Cookies() {
				names = append(names, c.Name)
				if c.Name == "__Host-access_token" && c.Value != "" && c.Value != p.AccessToken && tt.want == nil {
					t.Errorf("a new access cookie was set")
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("Set-Cookie names %v, want %v", names, tt.want)
			}
		})
	}
}

func TestImplicitRefreshOnCSRFPost(t *testing.T) {
	// A cookie-authenticated POST that passes CSRF renews too.
	a, clk, p, cookies := irSetup(t, Config{})
	clk.Add(11 * time.Minute)
	r := cookieRequest("POST", "/", cookies)
	r.Header.Set("X-CSRF-Token", claimOf(t, p.AccessToken, "csrf").(string))
	rec := serveIR(a, 5*time.Minute, a.Required(okHandler), r)
	if rec.Code != 200 || responseCookies(rec.Header())["__Host-access_token"] == nil {
		t.Errorf("status %d, cookies %q", rec.Code, setCookies(rec.Header()))
	}
}

func TestImplicitRefreshCappedByRefreshExpiry(t *testing.T) {
	a, clk := cookieAuth(t, Config{})
	fam := "fam-1"
	at := must(a.CreateAccessToken("alice", WithFamily(fam)))
	short := must(a.CreateRefreshToken("alice", WithFamily(fam), WithExpiry(20*time.Minute)))
	shorter := must(a.CreateRefreshToken("alice", WithFamily(fam), WithExpiry(14*time.Minute)))
	clk.Add(12 * time.Minute)
	req := func(rt string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: at})
		r.AddCookie(&http.Cookie{Name: "__Host-refresh_token", Value: rt})
		return r
	}
	rec := serveIR(a, 5*time.Minute, okHandler, req(short))
	c := responseCookies(rec.Header())["__Host-access_token"]
	if c == nil {
		t.Fatal("no renewal")
	}
	tok := must(a.Verify(context.Background(), c.Value, Requirement{}))
	rexp := must(a.Verify(context.Background(), short, Requirement{Refresh: true})).ExpiresAt()
	if tok.ExpiresAt().After(rexp) {
		t.Errorf("new access token expires %v, after its refresh token %v", tok.ExpiresAt(), rexp)
	}
	if c.MaxAge != int(tok.ExpiresAt().Sub(clk.Now())/time.Second) || c.MaxAge > 8*60 {
		t.Errorf("Max-Age %d does not follow the capped lifetime", c.MaxAge)
	}
	// A refresh token ending before the access token: renewing gains nothing.
	rec = serveIR(a, 5*time.Minute, okHandler, req(shorter))
	if len(setCookies(rec.Header())) != 0 {
		t.Errorf("renewed past a refresh token that ends first: %q", setCookies(rec.Header()))
	}
}

func TestImplicitRefreshNonFreshStaysNonFresh(t *testing.T) {
	a, clk, _, _ := irSetup(t, Config{})
	p := must(a.CreatePair("bob"))
	rec := httptest.NewRecorder()
	a.SetPairCookies(rec, p)
	clk.Add(14 * time.Minute)
	out := serveIR(a, 5*time.Minute, okHandler, cookieRequest("GET", "/", rec.Header()))
	c := responseCookies(out.Header())["__Host-access_token"]
	if c == nil {
		t.Fatal("no renewal")
	}
	if tok := must(a.Verify(context.Background(), c.Value, Requirement{})); tok.Fresh() {
		t.Error("non-fresh token turned fresh")
	}
	if _, err := a.Verify(context.Background(), c.Value, Requirement{Fresh: true}); err == nil {
		t.Error("renewed token passes a fresh-only route")
	}
}

func TestImplicitRefreshWriter(t *testing.T) {
	a, clk, _, cookies := irSetup(t, Config{})
	clk.Add(12 * time.Minute)
	mux := http.NewServeMux()
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		if !ok {
			t.Error("http.Flusher lost")
			return
		}
		io.WriteString(w, "a")
		f.Flush()
		io.WriteString(w, "b")
	})
	mux.HandleFunc("/controller", func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline through Unwrap: %v", err)
		}
		if err := rc.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Hijacker); !ok {
			t.Error("http.Hijacker lost")
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		brw.Flush()
	})
	mux.HandleFunc("/early-hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</app.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/readfrom", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(io.ReaderFrom); !ok {
			t.Error("io.ReaderFrom lost")
		}
		io.Copy(w, strings.NewReader("copied"))
	})
	srv := httptest.NewServer(a.ImplicitRefresh(5 * time.Minute)(mux))
	defer srv.Close()
	for _, tt := range []struct {
		path    string
		body    string
		status  int
		cookies bool
	}{
		{"/flush", "ab", 200, true},
		{"/controller", "", 200, true},
		{"/hijack", "hijacked", 200, false},
		{"/early-hints", "", 201, true},
		{"/silent", "", 200, true},
		{"/readfrom", "copied", 200, true},
	} {
		t.Run(tt.path, func(t *testing.T) {
			r := cookieRequest("GET", srv.URL+tt.path, cookies)
			r.RequestURI = ""
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tt.body || resp.StatusCode != tt.status {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, b, tt.status, tt.body)
			}
			has := false
			for _, c := range resp.Cookies() {
				has = has || c.Name == "__Host-access_token"
			}
			if has != tt.cookies {
				t.Errorf("renewed cookie present = %v, want %v", has, tt.cookies)
			}
		})
	}
	t.Run("Unwrap returns the wrapped writer", func(t *testing.T) {
		inner := httptest.NewRecorder()
		var got http.ResponseWriter
		a.ImplicitRefresh(5*time.Minute)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = w.(interface{ Unwrap() http.ResponseWriter }).Unwrap()
		})).ServeHTTP(inner, cookieRequest("GET", "/", cookies))
		if got != inner {
			t.Errorf("Unwrap = %T", got)
		}
	})
	t.Run("Hijack on a writer that cannot reports it", func(t *testing.T) {
		var err error
		a.ImplicitRefresh(5*time.Minute)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _, err = w.(http.Hijacker).Hijack()
		})).ServeHTTP(httptest.NewRecorder(), cookieRequest("GET", "/", cookies))
		if err == nil {
			t.Error("no error")
		}
	})
}

func TestImplicitRefreshPanicsOnMisuse(t *testing.T) {
	headersOnly := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	cookies, _ := cookieAuth(t, Config{})
	for name, f := range map[string]func(){
		"headers only": func() { headersOnly.ImplicitRefresh(time.Minute) },
		"zero window":  func() { cookies.ImplicitRefresh(0) },
		"bad max age":  func() { cookies.ImplicitRefresh(time.Minute, WithMaxAge(-1)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// Compile-time: the wrapper keeps the optional interfaces.
var (
	_ http.Flusher  = (*refreshWriter)(nil)
	_ http.Hijacker = (*refreshWriter)(nil)
	_ io.ReaderFrom = (*refreshWriter)(nil)
)
