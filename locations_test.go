package authjwt

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDualLocations checks the rule for TokenLocation headers+cookies: a
// request whose Authorization header uses the configured scheme is judged
// by the header alone; any other request by the cookies.
func TestDualLocations(t *testing.T) {
	a, _ := cookieAuth(t, Config{TokenLocation: []string{LocationHeaders, LocationCookies}})
	other, _ := cookieAuth(t, Config{Keys: KeyConfig{SecretKey: strings.Repeat("fedcba9876543210", 2)}, TokenLocation: []string{LocationHeaders, LocationCookies}})
	hdrTok := must(a.CreateAccessToken("header-user"))
	ckTok := must(a.CreateAccessToken("cookie-user"))
	badHdr := must(other.CreateAccessToken("header-user"))
	badCk := must(other.CreateAccessToken("cookie-user"))

	headers := map[string]string{
		"missing":      "",
		"valid":        "Bearer " + hdrTok,
		"invalid":      "Bearer " + badHdr,
		"malformed":    "Bearer a b",
		"other scheme": "Basic dXNlcjpwYXNz",
	}
	cookies := map[string]string{"missing": "", "valid": ckTok, "invalid": badCk}
	type want struct {
		sub string // "" when refused
		err error
	}
	tests := []struct {
		header, cookie string
		want           want
		why            string
	}{
		{"valid", "valid", want{"header-user", nil}, "the header wins when both are valid"},
		{"valid", "invalid", want{"header-user", nil}, "an invalid cookie does not matter when the header is ours"},
		{"valid", "missing", want{"header-user", nil}, "header alone"},
		{"invalid", "valid", want{"", ErrInvalidSignature}, "judged by the header alone: no fallback to a valid cookie"},
		{"invalid", "invalid", want{"", ErrInvalidSignature}, "header error reported"},
		{"invalid", "missing", want{"", ErrInvalidSignature}, "header error reported"},
		{"malformed", "valid", want{"", ErrBadHeader}, "a malformed header of our scheme is the header's failure"},
		{"missing", "valid", want{"cookie-user", nil}, "no header: cookies"},
		{"missing", "invalid", want{"", ErrInvalidSignature}, "no header: the cookie's failure"},
		{"missing", "missing", want{"", ErrMissingToken}, "nothing anywhere"},
		{"other scheme", "valid", want{"cookie-user", nil}, "another scheme is not our credential: cookies decide"},
		{"other scheme", "invalid", want{"", ErrInvalidSignature}, "cookies decide"},
		{"other scheme", "missing", want{"", ErrMissingToken}, "nothing of ours"},
	}
	for _, tt := range tests {
		t.Run("header "+tt.header+", cookie "+tt.cookie, func(t *testing.T) {
			for _, method := range []string{"GET", "POST"} {
				r := httptest.NewRequest(method, "/", nil)
				if h := headers[tt.header]; h != "" {
					r.Header.Set("Authorization", h)
				}
				if c := cookies[tt.cookie]; c != "" {
					r.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: c})
					if method == "POST" {
						r.Header.Set("X-CSRF-Token", claimOf(t, c, "csrf").(string))
					}
				}
				tok, err := a.Check(r, Requirement{})
				switch {
				case tt.want.err != nil:
					if !errors.Is(err, tt.want.err) {
						t.Errorf("%s: err = %v, want %v (%s)", method, err, tt.want.err, tt.why)
					}
				case err != nil:
					t.Errorf("%s: err = %v, want subject %s (%s)", method, err, tt.want.sub, tt.why)
				case tok.Subject() != tt.want.sub:
					t.Errorf("%s: subject %q, want %q (%s)", method, tok.Subject(), tt.want.sub, tt.why)
				case tok.Source() != map[string]string{"header-user": "header", "cookie-user": "cookie"}[tt.want.sub]:
					t.Errorf("%s: source %q", method, tok.Source())
				}
				// Optional routes: same outcome, except nothing at all is anonymous.
				tok, err = a.Check(r, Requirement{Optional: true})
				if tt.header != "valid" && tt.header != "invalid" && tt.header != "malformed" && tt.cookie == "missing" {
					if tok != nil || err != nil {
						t.Errorf("%s optional: got %v, %v; want anonymous", method, tok, err)
					}
				} else if (err == nil) != (tt.want.err == nil) {
					t.Errorf("%s optional: err = %v, want %v", method, err, tt.want.err)
				}
			}
		})
	}
	t.Run("header tokens are never subject to CSRF, even next to a cookie", func(t *testing.T) {
		r := httptest.NewRequest("DELETE", "/", nil)
		r.Header.Set("Authorization", "Bearer "+hdrTok)
		r.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: ckTok})
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		if tok, err := a.Check(r, Requirement{}); err != nil || tok.Subject() != "header-user" {
			t.Errorf("got %v, %v", tok, err)
		}
	})
	t.Run("cookie tokens are, once the header is not ours", func(t *testing.T) {
		r := httptest.NewRequest("DELETE", "/", nil)
		r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
		r.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: ckTok})
		if _, err := a.Check(r, Requirement{}); !errors.Is(err, ErrCSRFMissing) {
			t.Errorf("err = %v, want ErrCSRFMissing", err)
		}
	})
}

func TestSingleLocations(t *testing.T) {
	t.Run("headers only: cookies are ignored", func(t *testing.T) {
		a, _ := cookieAuth(t, Config{TokenLocation: []string{LocationHeaders}})
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: must(a.CreateAccessToken("alice"))})
		if _, err := a.Check(r, Requirement{}); !errors.Is(err, ErrMissingToken) || !strings.Contains(err.Error(), "Missing Authorization Header") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("cookies only: the header is ignored", func(t *testing.T) {
		a, _ := cookieAuth(t, Config{})
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+must(a.CreateAccessToken("alice")))
		if _, err := a.Check(r, Requirement{}); !errors.Is(err, ErrMissingToken) || !strings.Contains(err.Error(), "Missing cookie __Host-access_token") {
			t.Errorf("err = %v", err)
		}
	})
}

// seedBoth is the seed's multiple-locations app: plain-HTTP cookies.
func seedBoth(c Config) *Auth {
	c.Keys.SecretKey = testSecret
	c.TokenLocation = []string{LocationHeaders, LocationCookies}
	c.Cookies.Insecure = true
	return must(New(c))
}

func TestSeedMultipleLocations(t *testing.T) {
	a := seedBoth(Config{})
	for _, tt := range []struct {
		path string
		req  Requirement
	}{{"/jwt-optional", Requirement{Optional: true}}, {"/jwt-required", Requirement{}}, {"/jwt-refresh", Requirement{Refresh: true}}, {"/jwt-fresh", Requirement{Fresh: true}}} {
		t.Run("subject through cookie or headers "+tt.path, func(t *testing.T) {
			at := must(a.CreateAccessToken("1", WithFresh(true)))
			rt := must(a.CreateRefreshToken("1"))
			rec := httptest.NewRecorder()
			if err := a.SetAccessCookies(rec, at); err != nil {
				t.Fatal(err)
			}
			if err := a.SetRefreshCookies(rec, rt); err != nil {
				t.Fatal(err)
			}
			cs := responseCookies(rec.Header())
			tok, csrf := at, cs["csrf_access"].Value
			if tt.req.Refresh {
				tok, csrf = rt, cs["csrf_refresh"].Value
			}
			r := httptest.NewRequest("POST", tt.path, nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			if got, err := a.Check(r, tt.req); err != nil || got.Subject() != "1" {
				t.Errorf("through headers: %v, %v", got, err)
			}
			r = cookieRequest("POST", tt.path, rec.Header())
			r.Header.Set("X-CSRF-Token", csrf)
			if got, err := a.Check(r, tt.req); err != nil || got.Subject() != "1" {
				t.Errorf("through cookies: %v, %v", got, err)
			}
		})
	}
	t.Run("refresh through the refresh cookie when the access token went to the body", func(t *testing.T) {
		p := must(a.CreatePair("1"))
		rec := httptest.NewRecorder()
		if err := a.SetRefreshCookies(rec, p.RefreshToken); err != nil {
			t.Fatal(err)
		}
		r := cookieRequest("POST", "/jwt-refresh", rec.Header())
		r.Header.Set("X-CSRF-Token", responseCookies(rec.Header())["csrf_refresh"].Value)
		if got, err := a.Check(r, Requirement{Refresh: true}); err != nil || got.Subject() != "1" {
			t.Errorf("got %v, %v", got, err)
		}
	})
	t.Run("seed's __Host- names over plain HTTP are refused, naming the setting", func(t *testing.T) {
		// The seed accepted this and browsers silently dropped the cookies.
		_, err := New(Config{
			Keys:          KeyConfig{SecretKey: testSecret},
			TokenLocation: []string{LocationHeaders, LocationCookies},
			Cookies: CookieConfig{
				Access: TokenCookie{
					Name:     "__Host-access_token",
					CSRFName: "csrf_access",
				},
				Refresh: TokenCookie{
					Name:     "__Host-refresh_token",
					CSRFName: "csrf_refresh",
				},
				Insecure: true,
			},
		})
		if err == nil || !strings.HasPrefix(err.Error(), "authjwt: Cookies.Access.Name:") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("set then unset with both locations", func(t *testing.T) {
		s := newSeedApp(t, seedBoth(Config{Cookies: CookieConfig{Access: TokenCookie{CSRFName: "csrf_access"}, Refresh: TokenCookie{CSRFName: "csrf_refresh"}}}))
		s.do(t, "GET", "/all-token", nil)
		for _, n := range []string{"access_token", "csrf_access", "refresh_token", "csrf_refresh"} {
			if s.cookie(n) == "" {
				t.Errorf("%s not set", n)
			}
		}
		s.do(t, "GET", "/unset-all-token", nil)
		if left := s.c.Jar.Cookies(s.u); len(left) != 0 {
			t.Errorf("left: %v", left)
		}
	})
}
