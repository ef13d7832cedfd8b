package authjwt

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// cookieAuth returns an Auth with cookies as the token location (unless
// cfg says otherwise), the test secret and a fixed clock.
func cookieAuth(t testing.TB, cfg Config) (*Auth, *clock) {
	t.Helper()
	c := newClock()
	if cfg.Keys.SecretKey == "" {
		cfg.Keys.SecretKey = testSecret
	}
	if cfg.TokenLocation == nil {
		cfg.TokenLocation = []string{LocationCookies}
	}
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	return mustNew(t, cfg), c
}

// setCookies returns the response's Set-Cookie lines.
func setCookies(h http.Header) []string { return h.Values("Set-Cookie") }

// responseCookies parses the response's Set-Cookie lines.
func responseCookies(h http.Header) map[string]*http.Cookie {
	m := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: h}).Cookies() {
		m[c.Name] = c
	}
	return m
}

func claimOf(t testing.TB, tok, name string) any {
	t.Helper()
	return decodePart(t, tok, 1)[name]
}

func TestSetCookiesAttributes(t *testing.T) {
	type call func(a *Auth, w http.ResponseWriter, access, refresh string) error
	setAccess := func(opts ...CookieOption) call {
		return func(a *Auth, w http.ResponseWriter, at, _ string) error { return a.SetAccessCookies(w, at, opts...) }
	}
	setRefresh := func(opts ...CookieOption) call {
		return func(a *Auth, w http.ResponseWriter, _, rt string) error { return a.SetRefreshCookies(w, rt, opts...) }
	}
	setPair := func(opts ...CookieOption) call {
		return func(a *Auth, w http.ResponseWriter, at, rt string) error {
			return a.SetPairCookies(w, Pair{AccessToken: at, RefreshToken: rt}, opts...)
		}
	}
	// Placeholders in want: A/R = the tokens, CA/CR = their csrf claims.
	tests := []struct {
		name    string
		cfg     Config
		advance time.Duration // clock moves between creation and setting
		tokOpts []TokenOption // access token options
		call    call
		want    []string
	}{
		{"defaults: __Host- names, HttpOnly token, script-readable CSRF, Max-Age = 15m access lifetime", Config{}, 0, nil, setAccess(), []string{
			"__Host-access_token=A; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_access=CA; Path=/; Max-Age=900; Secure; SameSite=Lax",
		}},
		{"refresh cookie lives its token's 14 days, not one day", Config{}, 0, nil, setRefresh(), []string{
			"__Host-refresh_token=R; Path=/; Max-Age=1209600; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_refresh=CR; Path=/; Max-Age=1209600; Secure; SameSite=Lax",
		}},
		{"pair: each cookie keeps its own token's lifetime", Config{}, 0, nil, setPair(), []string{
			"__Host-access_token=A; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_access=CA; Path=/; Max-Age=900; Secure; SameSite=Lax",
			"__Host-refresh_token=R; Path=/; Max-Age=1209600; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_refresh=CR; Path=/; Max-Age=1209600; Secure; SameSite=Lax",
		}},
		{"Max-Age is the REMAINING lifetime, not the configured one", Config{}, 100 * time.Second, nil, setAccess(), []string{
			"__Host-access_token=A; Path=/; Max-Age=800; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_access=CA; Path=/; Max-Age=800; Secure; SameSite=Lax",
		}},
		{"Cookies.MaxAge overrides the token lifetime", Config{Cookies: CookieConfig{MaxAge: time.Hour}}, 0, nil, setPair(), []string{
			"__Host-access_token=A; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_access=CA; Path=/; Max-Age=3600; Secure; SameSite=Lax",
			"__Host-refresh_token=R; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_refresh=CR; Path=/; Max-Age=3600; Secure; SameSite=Lax",
		}},
		{"WithMaxAge per call beats Cookies.MaxAge", Config{Cookies: CookieConfig{MaxAge: time.Hour}}, 0, nil, setAccess(WithMaxAge(90 * time.Second)), []string{
			"__Host-access_token=A; Path=/; Max-Age=90; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_access=CA; Path=/; Max-Age=90; Secure; SameSite=Lax",
		}},
		{"WithSessionCookie: no Max-Age, gone when the browser closes", Config{Cookies: CookieConfig{MaxAge: time.Hour}}, 0, nil, setRefresh(WithSessionCookie()), []string{
			"__Host-refresh_token=R; Path=/; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_refresh=CR; Path=/; Secure; SameSite=Lax",
		}},
		{"a non-expiring token gets a session cookie", Config{Expiry: ExpiryConfig{AllowNonExpiring: true}}, 0, []TokenOption{WithNoExpiry()}, setAccess(), []string{
			"__Host-access_token=A; Path=/; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_access=CA; Path=/; Secure; SameSite=Lax",
		}},
		{"a non-expiring token with Cookies.MaxAge gets it", Config{Expiry: ExpiryConfig{AllowNonExpiring: true}, Cookies: CookieConfig{MaxAge: time.Minute}}, 0, []TokenOption{WithNoExpiry()}, setAccess(), []string{
			"__Host-access_token=A; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_access=CA; Path=/; Max-Age=60; Secure; SameSite=Lax",
		}},
		{"Cookies.Insecure: no Secure, default names drop the prefix", Config{Cookies: CookieConfig{Insecure: true}}, 0, nil, setPair(), []string{
			"access_token=A; Path=/; Max-Age=900; HttpOnly; SameSite=Lax",
			"csrf_access=CA; Path=/; Max-Age=900; SameSite=Lax",
			"refresh_token=R; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax",
			"csrf_refresh=CR; Path=/; Max-Age=1209600; SameSite=Lax",
		}},
		{"Cookies.UnsafeDisableCSRF: no CSRF cookie (seed: csrf_protect false)", Config{Cookies: CookieConfig{UnsafeDisableCSRF: true}}, 0, nil, setPair(), []string{
			"__Host-access_token=A; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax",
			"__Host-refresh_token=R; Path=/; Max-Age=1209600; HttpOnly; Secure; SameSite=Lax",
		}},
		{"every name, path, domain and SameSite is configurable", Config{
			Cookies: CookieConfig{
				Access: TokenCookie{
					Name:     "acc",
					CSRFName: "xa",
					Path:     "/api",
					CSRFPath: "/app",
				},
				Refresh: TokenCookie{
					Name:     "__Secure-ref",
					CSRFName: "xr",
					Path:     "/auth/refresh",
					CSRFPath: "/app/r",
				},
				Domain:   "example.com",
				SameSite: "Strict",
			},
		}, 0, nil, setPair(), []string{
			"acc=A; Path=/api; Domain=example.com; Max-Age=900; HttpOnly; Secure; SameSite=Strict",
			"xa=CA; Path=/app; Domain=example.com; Max-Age=900; Secure; SameSite=Strict",
			"__Secure-ref=R; Path=/auth/refresh; Domain=example.com; Max-Age=1209600; HttpOnly; Secure; SameSite=Strict",
			"xr=CR; Path=/app/r; Domain=example.com; Max-Age=1209600; Secure; SameSite=Strict",
		}},
		{"SameSite none (Secure kept)", Config{Cookies: CookieConfig{SameSite: "none"}}, 0, nil, setAccess(), []string{
			"__Host-access_token=A; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=None",
			"__Host-csrf_access=CA; Path=/; Max-Age=900; Secure; SameSite=None",
		}},
		{"a Domain makes default names __Secure- (browsers refuse __Host- with Domain)", Config{Cookies: CookieConfig{Domain: "example.com"}}, 0, nil, setAccess(), []string{
			"__Secure-access_token=A; Path=/; Domain=example.com; Max-Age=900; HttpOnly; Secure; SameSite=Lax",
			"__Secure-csrf_access=CA; Path=/; Domain=example.com; Max-Age=900; Secure; SameSite=Lax",
		}},
		{"a non-root path makes that default name __Secure-", Config{Cookies: CookieConfig{Refresh: TokenCookie{Path: "/refresh"}}}, 0, nil, setRefresh(), []string{
			"__Secure-refresh_token=R; Path=/refresh; Max-Age=1209600; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_refresh=CR; Path=/; Max-Age=1209600; Secure; SameSite=Lax",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, clk := cookieAuth(t, tt.cfg)
			at := must(a.CreateAccessToken("alice", tt.tokOpts...))
			rt := must(a.CreateRefreshToken("alice"))
			clk.Add(tt.advance)
			rec := httptest.NewRecorder()
			if err := tt.call(a, rec, at, rt); err != nil {
				t.Fatal(err)
			}
			r := strings.NewReplacer()
			if !tt.cfg.Cookies.UnsafeDisableCSRF {
				r = strings.NewReplacer("CA", claimOf(t, at, "csrf").(string), "CR", claimOf(t, rt, "csrf").(string))
			}
			var want []string
			for _, w := range tt.want {
				w = r.Replace(w)
				w = strings.Replace(w, "=A;", "="+at+";", 1)
				w = strings.Replace(w, "=R;", "="+rt+";", 1)
				want = append(want, w)
			}
			got := setCookies(rec.Header())
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("Set-Cookie:\n got %q\nwant %q", got, want)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store (a shared cache must never keep a token)", cc)
			}
		})
	}
}

func TestCSRFCookieHoldsTheClaim(t *testing.T) {
	// The CSRF cookie is the token's csrf claim; each token gets its own.
	a, _ := cookieAuth(t, Config{})
	p := must(a.CreatePair("alice"))
	rec := httptest.NewRecorder()
	if err := a.SetPairCookies(rec, p); err != nil {
		t.Fatal(err)
	}
	cs := responseCookies(rec.Header())
	ca, cr := cs["__Host-csrf_access"].Value, cs["__Host-csrf_refresh"].Value
	if ca != claimOf(t, p.AccessToken, "csrf") || cr != claimOf(t, p.RefreshToken, "csrf") {
		t.Errorf("CSRF cookies %q/%q do not hold the tokens' claims", ca, cr)
	}
	if ca == "" || ca == cr {
		t.Errorf("access and refresh csrf values must be set and differ: %q %q", ca, cr)
	}
}

func TestUnsetCookiesAttributes(t *testing.T) {
	const del = "; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"
	tests := []struct {
		name  string
		cfg   Config
		unset func(a *Auth, w http.ResponseWriter) error
		want  []string
	}{
		{"all, defaults: same attributes as set, so __Host- cookies really go", Config{}, (*Auth).UnsetCookies, []string{
			"__Host-access_token=; Path=/" + del + "; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_access=; Path=/" + del + "; Secure; SameSite=Lax",
			"__Host-refresh_token=; Path=/" + del + "; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_refresh=; Path=/" + del + "; Secure; SameSite=Lax",
		}},
		{"access only", Config{}, (*Auth).UnsetAccessCookies, []string{
			"__Host-access_token=; Path=/" + del + "; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_access=; Path=/" + del + "; Secure; SameSite=Lax",
		}},
		{"refresh only", Config{}, (*Auth).UnsetRefreshCookies, []string{
			"__Host-refresh_token=; Path=/" + del + "; HttpOnly; Secure; SameSite=Lax",
			"__Host-csrf_refresh=; Path=/" + del + "; Secure; SameSite=Lax",
		}},
		{"custom names, paths and domain are matched (a different Path would delete nothing)", Config{
			Cookies: CookieConfig{
				Access: TokenCookie{
					Name:     "acc",
					CSRFName: "xa",
					Path:     "/api",
				},
				Refresh: TokenCookie{
					Name:     "ref",
					CSRFName: "xr",
					Path:     "/auth",
				},
				Domain:   "example.com",
				SameSite: "strict",
			},
		}, (*Auth).UnsetCookies, []string{
			"acc=; Path=/api; Domain=example.com" + del + "; HttpOnly; Secure; SameSite=Strict",
			"xa=; Path=/; Domain=example.com" + del + "; Secure; SameSite=Strict",
			"ref=; Path=/auth; Domain=example.com" + del + "; HttpOnly; Secure; SameSite=Strict",
			"xr=; Path=/; Domain=example.com" + del + "; Secure; SameSite=Strict",
		}},
		{"insecure: no Secure, unprefixed", Config{Cookies: CookieConfig{Insecure: true}}, (*Auth).UnsetAccessCookies, []string{
			"access_token=; Path=/" + del + "; HttpOnly; SameSite=Lax",
			"csrf_access=; Path=/" + del + "; SameSite=Lax",
		}},
		{"CSRF off: CSRF cookies are not touched (seed)", Config{Cookies: CookieConfig{UnsafeDisableCSRF: true}}, (*Auth).UnsetCookies, []string{
			"__Host-access_token=; Path=/" + del + "; HttpOnly; Secure; SameSite=Lax",
			"__Host-refresh_token=; Path=/" + del + "; HttpOnly; Secure; SameSite=Lax",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := cookieAuth(t, tt.cfg)
			rec := httptest.NewRecorder()
			if err := tt.unset(a, rec); err != nil {
				t.Fatal(err)
			}
			if got := setCookies(rec.Header()); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Set-Cookie:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCookieFunctionErrors(t *testing.T) {
	headersOnly := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	tok := must(headersOnly.CreateAccessToken("alice"))
	// Seed: every cookie function says cookies are not a token location.
	for name, f := range map[string]func(http.ResponseWriter) error{
		"SetAccessCookies":    func(w http.ResponseWriter) error { return headersOnly.SetAccessCookies(w, tok) },
		"SetRefreshCookies":   func(w http.ResponseWriter) error { return headersOnly.SetRefreshCookies(w, tok) },
		"SetPairCookies":      func(w http.ResponseWriter) error { return headersOnly.SetPairCookies(w, Pair{AccessToken: tok}) },
		"UnsetCookies":        headersOnly.UnsetCookies,
		"UnsetAccessCookies":  headersOnly.UnsetAccessCookies,
		"UnsetRefreshCookies": headersOnly.UnsetRefreshCookies,
	} {
		rec := httptest.NewRecorder()
		err := f(rec)
		if !errors.Is(err, ErrCookiesNotEnabled) || !strings.Contains(err.Error(), "TokenLocation") {
			t.Errorf("%s without cookies: err = %v, want ErrCookiesNotEnabled naming TokenLocation", name, err)
		}
		if len(rec.Header()) != 0 {
			t.Errorf("%s without cookies wrote headers %v", name, rec.Header())
		}
	}

	a, clk := cookieAuth(t, Config{})
	at := must(a.CreateAccessToken("alice"))
	rt := must(a.CreateRefreshToken("alice"))
	other, _ := cookieAuth(t, Config{Keys: KeyConfig{SecretKey: strings.Repeat("fedcba9876543210", 2)}})
	foreign := must(other.CreateAccessToken("alice"))
	noCSRF := must(mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now}).CreateAccessToken("alice"))
	tests := []struct {
		name string
		call func(w http.ResponseWriter) error
		want error  // errors.Is target, or nil to match text
		text string // substring of the error
	}{
		{"max age zero (seed: max_age must be valid)", func(w http.ResponseWriter) error { return a.SetAccessCookies(w, at, WithMaxAge(0)) }, nil, "max age"},
		{"max age negative", func(w http.ResponseWriter) error { return a.SetRefreshCookies(w, rt, WithMaxAge(-time.Hour)) }, nil, "max age"},
		{"max age below a second rounds to nothing", func(w http.ResponseWriter) error { return a.SetAccessCookies(w, at, WithMaxAge(time.Millisecond)) }, nil, "max age"},
		{"a refresh token is not an access cookie", func(w http.ResponseWriter) error { return a.SetAccessCookies(w, rt) }, ErrAccessRequired, ""},
		{"an access token is not a refresh cookie", func(w http.ResponseWriter) error { return a.SetRefreshCookies(w, at) }, ErrRefreshRequired, ""},
		{"another key's token is refused", func(w http.ResponseWriter) error { return a.SetAccessCookies(w, foreign) }, ErrInvalidSignature, ""},
		{"garbage is refused", func(w http.ResponseWriter) error { return a.SetAccessCookies(w, "not.a.token") }, ErrMalformedToken, ""},
		{"a token without csrf claim would fail every unsafe request", func(w http.ResponseWriter) error { return a.SetAccessCookies(w, noCSRF) }, nil, "csrf claim"},
		{"pair with a bad refresh token sets nothing at all", func(w http.ResponseWriter) error {
			return a.SetPairCookies(w, Pair{AccessToken: at, RefreshToken: at})
		}, ErrRefreshRequired, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			err := tt.call(rec)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("err = %q, want it to mention %q", err, tt.text)
			}
			if len(rec.Header()) != 0 {
				t.Errorf("headers written on error: %v", rec.Header())
			}
		})
	}
	t.Run("an expired token is refused", func(t *testing.T) {
		clk.Add(16 * time.Minute)
		if err := a.SetAccessCookies(httptest.NewRecorder(), at); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("err = %v, want ErrTokenExpired", err)
		}
	})
}

func TestCookiePrefixRules(t *testing.T) {
	cookies := []string{LocationCookies}
	bad := []struct {
		name    string
		cfg     Config
		setting string // the message must name it, as "authjwt: <setting>:"
		also    string // and say what to change
	}{
		{"__Host- needs Secure", Config{Cookies: CookieConfig{Access: TokenCookie{Name: "__Host-a"}, Insecure: true}}, "Cookies.Access.Name", "Cookies.Insecure"},
		{"prefixes match case-insensitively, as browsers do", Config{Cookies: CookieConfig{Refresh: TokenCookie{Name: "__host-r"}, Insecure: true}}, "Cookies.Refresh.Name", "Cookies.Insecure"},
		{"__Host- needs Path /", Config{Cookies: CookieConfig{Access: TokenCookie{Path: "/api", Name: "__Host-a"}}}, "Cookies.Access.Name", "Cookies.Access.Path"},
		{"__Host- CSRF cookie needs Path / too", Config{Cookies: CookieConfig{Refresh: TokenCookie{CSRFPath: "/r", CSRFName: "__Host-x"}}}, "Cookies.Refresh.CSRFName", "Cookies.Refresh.CSRFPath"},
		{"__Host- forbids a Domain", Config{Cookies: CookieConfig{Access: TokenCookie{CSRFName: "__Host-x"}, Domain: "example.com"}}, "Cookies.Access.CSRFName", "Cookies.Domain"},
		{"__Secure- needs Secure", Config{Cookies: CookieConfig{Refresh: TokenCookie{Name: "__Secure-r"}, Insecure: true}}, "Cookies.Refresh.Name", "Cookies.Insecure"},
		{"__Secure- CSRF cookie needs Secure", Config{Cookies: CookieConfig{Access: TokenCookie{CSRFName: "__Secure-x"}, Insecure: true}}, "Cookies.Access.CSRFName", "Cookies.Insecure"},
		{"SameSite none needs Secure", Config{Cookies: CookieConfig{Insecure: true, SameSite: "none"}}, "Cookies.SameSite", "Cookies.Insecure"},
		{"SameSite None in any case needs Secure", Config{Cookies: CookieConfig{Insecure: true, SameSite: "None"}}, "Cookies.SameSite", "Cookies.Insecure"},
		{"a name net/http cannot send", Config{Cookies: CookieConfig{Access: TokenCookie{Name: "access token"}}}, "Cookies.Access.Name", "valid cookie name"},
		{"two cookies sharing a name overwrite each other", Config{Cookies: CookieConfig{Refresh: TokenCookie{Name: "__Host-access_token"}}}, "Cookies.Refresh.Name", "Cookies.Access.Name"},
		{"CSRF cookie named like its token cookie", Config{Cookies: CookieConfig{Access: TokenCookie{Name: "t", CSRFName: "t"}}}, "Cookies.Access.CSRFName", "Cookies.Access.Name"},
		{"a domain net/http would drop", Config{Cookies: CookieConfig{Domain: "exa mple.com"}}, "Cookies.Domain", "valid cookie domain"},
		{"a relative path", Config{Cookies: CookieConfig{Access: TokenCookie{Path: "api"}}}, "Cookies.Access.Path", "/"},
		{"a path net/http would rewrite", Config{Cookies: CookieConfig{Refresh: TokenCookie{Path: "/a;b"}}}, "Cookies.Refresh.Path", "valid cookie path"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Keys.SecretKey, cfg.TokenLocation = testSecret, cookies
			_, err := New(cfg)
			if err == nil {
				t.Fatal("New accepted a configuration browsers would drop")
			}
			if !strings.HasPrefix(err.Error(), "authjwt: "+tt.setting+":") || !strings.Contains(err.Error(), tt.also) {
				t.Errorf("err = %q, want it to name %s and mention %q", err, tt.setting, tt.also)
			}
		})
	}
	good := []struct {
		name  string
		cfg   Config
		names [4]string // access, refresh, access CSRF, refresh CSRF
	}{
		{"defaults", Config{}, [4]string{"__Host-access_token", "__Host-refresh_token", "__Host-csrf_access", "__Host-csrf_refresh"}},
		{"Secure off alone is enough: default names lose the prefix", Config{Cookies: CookieConfig{Insecure: true}}, [4]string{"access_token", "refresh_token", "csrf_access", "csrf_refresh"}},
		{"a Domain alone is enough: default names become __Secure-", Config{Cookies: CookieConfig{Domain: ".example.com"}}, [4]string{"__Secure-access_token", "__Secure-refresh_token", "__Secure-csrf_access", "__Secure-csrf_refresh"}},
		{"a path alone is enough: that default name becomes __Secure-", Config{Cookies: CookieConfig{Access: TokenCookie{Path: "/api"}, Refresh: TokenCookie{CSRFPath: "/r"}}}, [4]string{"__Secure-access_token", "__Host-refresh_token", "__Host-csrf_access", "__Secure-csrf_refresh"}},
		{"SameSite none with Secure", Config{Cookies: CookieConfig{SameSite: "NONE"}}, [4]string{"__Host-access_token", "__Host-refresh_token", "__Host-csrf_access", "__Host-csrf_refresh"}},
		{"explicit __Secure- with a Domain and a path", Config{Cookies: CookieConfig{Access: TokenCookie{Path: "/x", Name: "__Secure-a"}, Domain: "example.com"}}, [4]string{"__Secure-a", "__Secure-refresh_token", "__Secure-csrf_access", "__Secure-csrf_refresh"}},
		{"CSRF off: CSRF cookie names are never used, so not checked", Config{Cookies: CookieConfig{Access: TokenCookie{CSRFName: "__Host-unused"}, UnsafeDisableCSRF: true, Insecure: true}}, [4]string{"access_token", "refresh_token", "__Host-unused", "csrf_refresh"}},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Keys.SecretKey, cfg.TokenLocation = testSecret, cookies
			a, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			c := a.Config()
			if got := [4]string{c.Cookies.Access.Name, c.Cookies.Refresh.Name, c.Cookies.Access.CSRFName, c.Cookies.Refresh.CSRFName}; got != tt.names {
				t.Errorf("names = %q, want %q", got, tt.names)
			}
		})
	}
	t.Run("rules only apply when cookies are a token location", func(t *testing.T) {
		if _, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, Cookies: CookieConfig{Access: TokenCookie{Name: "__Host-a"}, Insecure: true}}); err != nil {
			t.Errorf("headers-only config refused for an unused cookie: %v", err)
		}
	})
}

// seedApp mirrors the seed's cookie test app; cur is swapped to change
// configuration between requests, as the seed's load_config does.
type seedApp struct {
	cur atomic.Pointer[Auth]
	srv *httptest.Server
	c   *http.Client
	u   *url.URL
}

func newSeedApp(t *testing.T, a *Auth) *seedApp {
	t.Helper()
	s := &seedApp{}
	s.cur.Store(a)
	mux := http.NewServeMux()
	set := func(access, refresh bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			a := s.cur.Load()
			if access {
				if err := a.SetAccessCookies(w, must(a.CreateAccessToken("1", WithFresh(true)))); err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
			}
			if refresh {
				if err := a.SetRefreshCookies(w, must(a.CreateRefreshToken("1"))); err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
			}
		}
	}
	mux.Handle("GET /all-token", set(true, true))
	mux.Handle("GET /access-token", set(true, false))
	mux.Handle("GET /refresh-token", set(false, true))
	mux.HandleFunc("GET /unset-all-token", func(w http.ResponseWriter, r *http.Request) { s.cur.Load().UnsetCookies(w) })
	mux.HandleFunc("GET /unset-access-token", func(w http.ResponseWriter, r *http.Request) { s.cur.Load().UnsetAccessCookies(w) })
	mux.HandleFunc("GET /unset-refresh-token", func(w http.ResponseWriter, r *http.Request) { s.cur.Load().UnsetRefreshCookies(w) })
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sub any
		if t := FromContext(r.Context()); t != nil {
			sub = t.Subject()
		}
		json.NewEncoder(w).Encode(map[string]any{"hello": sub})
	})
	for path, req := range map[string]Requirement{
		"/jwt-optional": {Optional: true}, "/jwt-required": {}, "/jwt-refresh": {Refresh: true}, "/jwt-fresh": {Fresh: true},
	} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			s.cur.Load().Middleware(req)(hello).ServeHTTP(w, r)
		})
	}
	s.srv = httptest.NewTLSServer(mux)
	t.Cleanup(s.srv.Close)
	s.c = s.srv.Client()
	s.c.Jar, _ = cookiejar.New(nil)
	s.u, _ = url.Parse(s.srv.URL)
	return s
}

// do sends a request with the jar's cookies and returns status and body.
func (s *seedApp) do(t *testing.T, method, path string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.srv.URL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := s.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func (s *seedApp) cookie(name string) string {
	for _, c := range s.c.Jar.Cookies(s.u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (s *seedApp) expect(t *testing.T, method, path string, hdr map[string]string, status int, detail string) {
	t.Helper()
	code, body := s.do(t, method, path, hdr)
	if code != status {
		t.Errorf("%s %s %v: status %d, want %d (%s)", method, path, hdr, code, status, body)
	}
	if detail != "" && !strings.Contains(body, detail) {
		t.Errorf("%s %s %v: body %s, want %s", method, path, hdr, body, detail)
	}
}

func seedCfg(c Config) *Auth {
	c.Keys.SecretKey = testSecret
	c.TokenLocation = []string{LocationCookies}
	return must(New(c))
}

func TestSeedCookiesSetAndUnset(t *testing.T) {
	for _, path := range []string{"/access-token", "/refresh-token"} {
		kind := strings.TrimSuffix(path[1:], "-token")
		t.Run("csrf cookie follows csrf protection "+kind, func(t *testing.T) {
			s := newSeedApp(t, seedCfg(Config{Cookies: CookieConfig{UnsafeDisableCSRF: true}}))
			s.do(t, "GET", path, nil)
			if v := s.cookie("__Host-csrf_" + kind); v != "" {
				t.Errorf("CSRF cookie set with CSRF protection off")
			}
			if v := s.cookie("__Host-" + kind + "_token"); v == "" {
				t.Errorf("token cookie not set")
			}
			s.cur.Store(seedCfg(Config{}))
			s.do(t, "GET", path, nil)
			if v := s.cookie("__Host-csrf_" + kind); v == "" {
				t.Errorf("CSRF cookie not set with CSRF protection on")
			}
		})
	}
	for _, tt := range []struct {
		name  string
		cfg   Config
		names []string
	}{
		{"default names", Config{}, []string{"__Host-access_token", "__Host-csrf_access", "__Host-refresh_token", "__Host-csrf_refresh"}},
		{"custom cookie keys", Config{Cookies: CookieConfig{Access: TokenCookie{Name: "access_cookie", CSRFName: "csrf_access"}, Refresh: TokenCookie{Name: "refresh_cookie", CSRFName: "csrf_refresh"}}},
			[]string{"access_cookie", "csrf_access", "refresh_cookie", "csrf_refresh"}},
	} {
		t.Run("unset all: "+tt.name, func(t *testing.T) {
			s := newSeedApp(t, seedCfg(tt.cfg))
			s.do(t, "GET", "/all-token", nil)
			for _, n := range tt.names {
				if s.cookie(n) == "" {
					t.Errorf("cookie %s not set", n)
				}
			}
			s.do(t, "GET", "/unset-all-token", nil)
			if left := s.c.Jar.Cookies(s.u); len(left) != 0 {
				t.Errorf("cookies left after unset: %v", left)
			}
		})
	}
	t.Run("unset access only, then refresh only", func(t *testing.T) {
		s := newSeedApp(t, seedCfg(Config{}))
		s.do(t, "GET", "/all-token", nil)
		s.do(t, "GET", "/unset-access-token", nil)
		if s.cookie("__Host-access_token") != "" || s.cookie("__Host-csrf_access") != "" {
			t.Error("access cookies left")
		}
		if s.cookie("__Host-refresh_token") == "" || s.cookie("__Host-csrf_refresh") == "" {
			t.Error("refresh cookies removed by unset access")
		}
		s.do(t, "GET", "/unset-refresh-token", nil)
		if left := s.c.Jar.Cookies(s.u); len(left) != 0 {
			t.Errorf("cookies left: %v", left)
		}
	})
}

func TestSeedCookieOptional(t *testing.T) {
	const url = "/jwt-optional"
	s := newSeedApp(t, seedCfg(Config{}))
	// Without a token the optional route runs anonymously.
	s.expect(t, "POST", url, nil, 200, `{"hello":null}`)

	// CSRF methods without POST: no CSRF header needed.
	s.cur.Store(seedCfg(Config{Cookies: CookieConfig{CSRFMethods: []string{"GET"}}}))
	s.do(t, "GET", "/access-token", nil)
	s.expect(t, "POST", url, nil, 200, `{"hello":"1"}`)
	// ...but GET now needs it, even on an optional route, when a cookie is present.
	s.expect(t, "GET", url, nil, 403, "Missing CSRF Token")

	// CSRF protection off: no header needed.
	s.cur.Store(seedCfg(Config{Cookies: CookieConfig{UnsafeDisableCSRF: true}}))
	s.do(t, "GET", "/access-token", nil)
	s.expect(t, "POST", url, nil, 200, `{"hello":"1"}`)

	// Back on: the token made with CSRF off has no csrf claim.
	s.cur.Store(seedCfg(Config{}))
	s.expect(t, "POST", url, map[string]string{"X-CSRF-Token": "invalid"}, 403, "Missing claim: csrf")

	s.do(t, "GET", "/access-token", nil)
	csrf := s.cookie("__Host-csrf_access")
	s.expect(t, "POST", url, nil, 403, "Missing CSRF Token")
	s.expect(t, "POST", url, map[string]string{"X-CSRF-Token": "invalid"}, 403, "CSRF double submitted tokens do not match")
	s.expect(t, "POST", url, map[string]string{"X-CSRF-Token": csrf}, 200, `{"hello":"1"}`)

	// Custom CSRF header name and cookie key.
	s.cur.Store(seedCfg(Config{Cookies: CookieConfig{Access: TokenCookie{Name: "access_cookie", CSRFHeader: "X-CSRF"}}}))
	s.do(t, "GET", "/access-token", nil)
	csrf = s.cookie("__Host-csrf_access")
	s.expect(t, "POST", url, map[string]string{"X-CSRF-Token": csrf}, 403, "Missing CSRF Token")
	s.expect(t, "POST", url, map[string]string{"X-CSRF": csrf}, 200, `{"hello":"1"}`)
}

func TestSeedCookieProtected(t *testing.T) {
	for _, url := range []string{"/jwt-required", "/jwt-refresh", "/jwt-fresh"} {
		t.Run(url, func(t *testing.T) {
			isRefresh := url == "/jwt-refresh"
			s := newSeedApp(t, seedCfg(Config{
				Cookies: CookieConfig{
					Access: TokenCookie{
						Name:       "access_cookie",
						CSRFHeader: "X-CSRF-Access",
					},
					Refresh: TokenCookie{
						Name:       "refresh_cookie",
						CSRFHeader: "X-CSRF-Refresh",
					},
				},
			}))
			s.do(t, "GET", "/all-token", nil)
			ca, cr := s.cookie("__Host-csrf_access"), s.cookie("__Host-csrf_refresh")
			good, wrongHeader := map[string]string{"X-CSRF-Access": ca}, map[string]string{"X-CSRF-Refresh": cr}
			if isRefresh {
				good, wrongHeader = wrongHeader, good
			}
			s.expect(t, "POST", url, good, 200, `{"hello":"1"}`)
			// The refresh cookie answers to the refresh header name only, and vice versa.
			s.expect(t, "POST", url, wrongHeader, 403, "Missing CSRF Token")
			s.expect(t, "POST", url, nil, 403, "Missing CSRF Token")

			s.do(t, "GET", "/unset-all-token", nil)
			missing := "Missing cookie access_cookie"
			if isRefresh {
				missing = "Missing cookie refresh_cookie"
			}
			s.expect(t, "POST", url, nil, 401, missing)

			s.cur.Store(seedCfg(Config{Cookies: CookieConfig{UnsafeDisableCSRF: true}}))
			s.do(t, "GET", "/all-token", nil)
			s.expect(t, "POST", url, nil, 200, `{"hello":"1"}`)

			s.cur.Store(seedCfg(Config{Cookies: CookieConfig{CSRFMethods: []string{"GET"}}}))
			s.expect(t, "POST", url, nil, 200, `{"hello":"1"}`)

			// Tokens made with CSRF off lack the claim.
			s.cur.Store(seedCfg(Config{}))
			s.expect(t, "POST", url, map[string]string{"X-CSRF-Token": "invalid"}, 403, "Missing claim: csrf")

			s.do(t, "GET", "/all-token", nil)
			ca, cr = s.cookie("__Host-csrf_access"), s.cookie("__Host-csrf_refresh")
			s.expect(t, "POST", url, map[string]string{"X-CSRF-Token": "invalid"}, 403, "CSRF double submitted tokens do not match")
			// The other token's CSRF value does not fit.
			mine, theirs := ca, cr
			if isRefresh {
				mine, theirs = cr, ca
			}
			s.expect(t, "POST", url, map[string]string{"X-CSRF-Token": theirs}, 403, "CSRF double submitted tokens do not match")
			s.expect(t, "POST", url, map[string]string{"X-CSRF-Token": mine}, 200, `{"hello":"1"}`)
		})
	}
}

func TestCSRFLegacyStatuses(t *testing.T) {
	// LegacyStatusCodes answers CSRF failures as the seed did: 401, 401, 422.
	s := newSeedApp(t, seedCfg(Config{Cookies: CookieConfig{UnsafeDisableCSRF: true}}))
	s.do(t, "GET", "/access-token", nil)
	s.cur.Store(seedCfg(Config{LegacyStatusCodes: true}))
	s.expect(t, "POST", "/jwt-required", map[string]string{"X-CSRF-Token": "x"}, 422, "Missing claim: csrf")
	s.do(t, "GET", "/access-token", nil)
	s.expect(t, "POST", "/jwt-required", nil, 401, "Missing CSRF Token")
	s.expect(t, "POST", "/jwt-required", map[string]string{"X-CSRF-Token": "x"}, 401, "CSRF double submitted tokens do not match")
}

// cookieRequest builds a request carrying the cookies set on rec.
func cookieRequest(method, target string, from http.Header) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	for _, c := range (&http.Response{Header: from}).Cookies() {
		r.AddCookie(c)
	}
	return r
}

func TestCSRFAcrossMethodsAndURLs(t *testing.T) {
	a, _ := cookieAuth(t, Config{})
	rec := httptest.NewRecorder()
	at := must(a.CreateAccessToken("alice"))
	if err := a.SetAccessCookies(rec, at); err != nil {
		t.Fatal(err)
	}
	claim := claimOf(t, at, "csrf").(string)
	tests := []struct {
		method string
		needs  bool
		why    string
	}{
		{"GET", false, "safe method, not in Cookies.CSRFMethods"},
		{"HEAD", false, "safe method"},
		{"OPTIONS", false, "safe method"},
		{"POST", true, "default CSRF method"},
		{"PUT", true, "default CSRF method"},
		{"PATCH", true, "default CSRF method"},
		{"DELETE", true, "default CSRF method"},
		{"patch", true, "browsers send patch as written: lower case must not skip the check"},
		{"Delete", true, "mixed case likewise"},
	}
	for _, path := range []string{"/", "/api/items", "/deep/nested/path?q=1"} {
		for _, tt := range tests {
			t.Run(tt.method+" "+path, func(t *testing.T) {
				r := cookieRequest(tt.method, path, rec.Header())
				_, err := a.Check(r, Requirement{})
				if tt.needs != errors.Is(err, ErrCSRFMissing) {
					t.Errorf("without header: err = %v, CSRF needed = %v (%s)", err, tt.needs, tt.why)
				}
				r = cookieRequest(tt.method, path, rec.Header())
				r.Header.Set("X-CSRF-Token", claim)
				if _, err := a.Check(r, Requirement{}); err != nil {
					t.Errorf("with header: %v", err)
				}
				r = cookieRequest(tt.method, path, rec.Header())
				r.Header.Set("X-CSRF-Token", claim+"x")
				_, err = a.Check(r, Requirement{})
				if tt.needs != errors.Is(err, ErrCSRFMismatch) {
					t.Errorf("wrong header: err = %v, CSRF needed = %v", err, tt.needs)
				}
			})
		}
	}
}

func TestCSRFComparedWithTheClaimNeverACookie(t *testing.T) {
	// An attacker who can write cookies (a sibling subdomain) sets the CSRF
	// cookie to a value of their choice and sends it as the header: the
	// value must match the token's claim, which they cannot change.
	a, _ := cookieAuth(t, Config{})
	rec := httptest.NewRecorder()
	if err := a.SetAccessCookies(rec, must(a.CreateAccessToken("alice"))); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/", nil)
	r.AddCookie(responseCookies(rec.Header())["__Host-access_token"])
	r.AddCookie(&http.Cookie{Name: "__Host-csrf_access", Value: "attacker"})
	r.Header.Set("X-CSRF-Token", "attacker")
	if _, err := a.Check(r, Requirement{}); !errors.Is(err, ErrCSRFMismatch) {
		t.Errorf("err = %v, want ErrCSRFMismatch", err)
	}
	e := AsError(ErrCSRFMismatch)
	if e.Status != 403 || ErrCSRFMissing.Status != 403 || ErrCSRFClaimMissing.Status != 403 {
		t.Errorf("CSRF failures must answer 403")
	}
}

func TestDuplicateTokenCookieRefused(t *testing.T) {
	// Two cookies with the token's name (one tossed from a sibling domain):
	// refuse rather than guess which one the server set.
	a, _ := cookieAuth(t, Config{})
	tok := must(a.CreateAccessToken("alice"))
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: tok})
	r.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: tok})
	if _, err := a.Check(r, Requirement{}); !errors.Is(err, ErrMalformedToken) {
		t.Errorf("err = %v, want malformed", err)
	}
}

func TestCrossOriginProtection(t *testing.T) {
	base := Config{Cookies: CookieConfig{TrustedOrigins: []string{"https://app.example.com"}}}
	tests := []struct {
		name   string
		cfg    *Config // nil: base
		method string
		hdr    map[string]string
		bearer bool // authenticate with the Authorization header instead
		want   error
	}{
		{"Sec-Fetch-Site cross-site", nil, "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, false, ErrCrossOrigin},
		{"Sec-Fetch-Site same-site is still another origin", nil, "POST", map[string]string{"Sec-Fetch-Site": "same-site"}, false, ErrCrossOrigin},
		{"Sec-Fetch-Site same-origin", nil, "POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, false, nil},
		{"Sec-Fetch-Site none (typed URL, bookmark)", nil, "POST", map[string]string{"Sec-Fetch-Site": "none"}, false, nil},
		{"old browser: Origin does not match Host", nil, "POST", map[string]string{"Origin": "https://evil.example"}, false, ErrCrossOrigin},
		{"old browser: Origin matches Host", nil, "PUT", map[string]string{"Origin": "https://example.com"}, false, nil},
		{"neither header: not a browser, the CSRF header decides", nil, "DELETE", nil, false, nil},
		{"trusted origin", nil, "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.com"}, false, nil},
		{"untrusted origin with Sec-Fetch-Site", nil, "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.org"}, false, ErrCrossOrigin},
		{"safe methods pass (reads need no protection)", nil, "GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, false, nil},
		{"Cookies.SkipCrossOriginProtection turns it off", &Config{Cookies: CookieConfig{SkipCrossOriginProtection: true}}, "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, false, nil},
		{"still on with CSRF off (defence in depth)", &Config{Cookies: CookieConfig{UnsafeDisableCSRF: true}}, "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, false, ErrCrossOrigin},
		{"still on for unsafe methods outside Cookies.CSRFMethods", &Config{Cookies: CookieConfig{CSRFMethods: []string{"GET"}}}, "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, false, ErrCrossOrigin},
		{"Authorization-header tokens are not cookie-authenticated", &Config{TokenLocation: []string{LocationHeaders, LocationCookies}}, "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			if tt.cfg != nil {
				cfg = *tt.cfg
			}
			a, _ := cookieAuth(t, cfg)
			tok := must(a.CreateAccessToken("alice"))
			r := httptest.NewRequest(tt.method, "https://example.com/x", nil)
			if tt.bearer {
				r.Header.Set("Authorization", "Bearer "+tok)
			} else {
				r.AddCookie(&http.Cookie{Name: a.cfg.Cookies.Access.Name, Value: tok})
				if c, ok := claimOf(t, tok, "csrf").(string); ok {
					r.Header.Set("X-CSRF-Token", c)
				}
			}
			for k, v := range tt.hdr {
				r.Header.Set(k, v)
			}
			_, err := a.Check(r, Requirement{})
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if err != nil && AsError(err).Status != 403 {
				t.Errorf("status %d, want 403", AsError(err).Status)
			}
			if tt.bearer {
				return
			}
			// The same check, exposed for handlers that set cookies from
			// a request without any (a login route): same verdict.
			login := httptest.NewRequest(tt.method, "https://example.com/login", nil)
			for k, v := range tt.hdr {
				login.Header.Set(k, v)
			}
			err = a.CheckCrossOrigin(login)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("CheckCrossOrigin without cookies: err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("checked before the CSRF header", func(t *testing.T) {
		a, _ := cookieAuth(t, Config{})
		r := httptest.NewRequest("POST", "https://example.com/", nil)
		r.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: must(a.CreateAccessToken("alice"))})
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		if _, err := a.Check(r, Requirement{}); !errors.Is(err, ErrCrossOrigin) {
			t.Errorf("err = %v, want ErrCrossOrigin", err)
		}
	})
	t.Run("a bad trusted origin is refused by New", func(t *testing.T) {
		_, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{LocationCookies}, Cookies: CookieConfig{TrustedOrigins: []string{"app.example.com"}}})
		if err == nil || !strings.Contains(err.Error(), "Cookies.TrustedOrigins") {
			t.Errorf("err = %v, want one naming Cookies.TrustedOrigins", err)
		}
	})
	t.Run("middleware answers 403 with the code", func(t *testing.T) {
		a, _ := cookieAuth(t, Config{})
		r := httptest.NewRequest("POST", "https://example.com/", nil)
		r.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: must(a.CreateAccessToken("alice"))})
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := httptest.NewRecorder()
		a.Required(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler reached") })).ServeHTTP(rec, r)
		if rec.Code != 403 || !strings.Contains(rec.Body.String(), string(CodeCrossOrigin)) {
			t.Errorf("got %d %s", rec.Code, rec.Body)
		}
	})
}
