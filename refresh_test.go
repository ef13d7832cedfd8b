package authjwt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/librenz/authjwt/revoke"
)

// refreshReply is what a RefreshHandler answered.
type refreshReply struct {
	code    int
	header  http.Header
	cookies []*http.Cookie
	body    map[string]string
}

func doRefresh(t *testing.T, h http.Handler, r *http.Request) refreshReply {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	rep := refreshReply{code: w.Code, header: w.Header(), cookies: w.Result().Cookies()}
	if err := json.Unmarshal(w.Body.Bytes(), &rep.body); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	return rep
}

func bearerPost(tok string) *http.Request {
	r := httptest.NewRequest("POST", "/refresh", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

func TestRefreshHandlerKeepsFamily(t *testing.T) {
	ctx := context.Background()
	store := revoke.NewMemory()
	defer store.Close()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: store}})
	type org struct {
		Org string `json:"org"`
	}
	var seen *Token
	h := a.RefreshHandler(RefreshOptions{TokenOptions: func(r *http.Request, rt *Token) ([]TokenOption, error) {
		seen = rt
		// WithFresh and another family are overridden.
		return []TokenOption{WithClaims(org{"acme"}), WithFresh(true), WithFamily("elsewhere")}, nil
	}})
	p := must(a.CreatePair("alice", WithFresh(true)))
	rep := doRefresh(t, h, bearerPost(p.RefreshToken))
	if rep.code != 200 || rep.header.Get("Cache-Control") != "no-store" || rep.header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %v %v", rep.code, rep.header, rep.body)
	}
	if _, ok := rep.body["refresh_token"]; ok || len(rep.body) != 1 {
		t.Fatalf("body without rotation: %v, want only access_token", rep.body)
	}
	if seen == nil || !seen.IsRefresh() || seen.Raw() != p.RefreshToken {
		t.Fatalf("TokenOptions got %v", seen)
	}
	at, err := a.Verify(ctx, rep.body["access_token"], Requirement{})
	if err != nil {
		t.Fatal(err)
	}
	var c org
	if err := at.Decode(&c); err != nil || c.Org != "acme" {
		t.Fatalf("custom claims: %v %v", c, err)
	}
	if at.Fresh() || at.Family() != p.Family || at.Subject() != "alice" {
		t.Fatalf("fresh %v family %q (want %q) sub %q", at.Fresh(), at.Family(), p.Family, at.Subject())
	}
	if len(rep.cookies) != 0 {
		t.Fatalf("cookies set in header mode: %v", rep.cookies)
	}
	// Logout from the first access token revokes the refreshed one.
	first := must(a.Verify(ctx, p.AccessToken, Requirement{}))
	if err := a.RevokeFamily(ctx, first); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, rep.body["access_token"], Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("refreshed access token after logout: %v", err)
	}
}

// A refresh token without a family (minted by hand, or by the seed) gives
// access tokens in the family of its jti, as Rotate does.
func TestRefreshHandlerFamilyOfLoneToken(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	rt := must(a.CreateRefreshToken("alice"))
	rep := doRefresh(t, a.RefreshHandler(RefreshOptions{}), bearerPost(rt))
	if rep.code != 200 {
		t.Fatalf("%d %v", rep.code, rep.body)
	}
	r := must(a.Verify(context.Background(), rt, Requirement{Refresh: true}))
	at := must(a.Verify(context.Background(), rep.body["access_token"], Requirement{}))
	if r.Family() != "" || at.Family() != r.JTI() {
		t.Fatalf("family %q, want the refresh token's jti %q", at.Family(), r.JTI())
	}
}

func TestRefreshHandlerErrors(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	p := must(a.CreatePair("alice"))
	plain := a.RefreshHandler(RefreshOptions{})
	for name, tc := range map[string]struct {
		r    *http.Request
		code int
		want Code
	}{
		"no token":     {httptest.NewRequest("POST", "/refresh", nil), 401, CodeMissingToken},
		"access token": {bearerPost(p.AccessToken), 401, CodeRefreshRequired},
		"garbage":      {bearerPost("x.y.z"), 401, CodeMalformedToken},
	} {
		rep := doRefresh(t, plain, tc.r)
		if rep.code != tc.code || rep.body["code"] != string(tc.want) {
			t.Errorf("%s: %d %v, want %d %s", name, rep.code, rep.body, tc.code, tc.want)
		}
	}
	gone := a.RefreshHandler(RefreshOptions{TokenOptions: func(*http.Request, *Token) ([]TokenOption, error) {
		return nil, ErrUserNotFound
	}})
	if rep := doRefresh(t, gone, bearerPost(p.RefreshToken)); rep.code != 401 || rep.body["code"] != string(CodeUserNotFound) {
		t.Errorf("TokenOptions' *Error: %d %v", rep.code, rep.body)
	}
	broken := a.RefreshHandler(RefreshOptions{TokenOptions: func(*http.Request, *Token) ([]TokenOption, error) {
		return nil, errors.New("database down")
	}})
	if rep := doRefresh(t, broken, bearerPost(p.RefreshToken)); rep.code != 500 || rep.body["code"] != string(CodeInvalidTokenOption) {
		t.Errorf("TokenOptions' plain error: %d %v, want 500", rep.code, rep.body)
	}
	badOpt := a.RefreshHandler(RefreshOptions{TokenOptions: func(*http.Request, *Token) ([]TokenOption, error) {
		return []TokenOption{WithAlgorithm("RS256")}, nil
	}})
	if rep := doRefresh(t, badOpt, bearerPost(p.RefreshToken)); rep.code != 500 {
		t.Errorf("creation failure: %d %v, want 500", rep.code, rep.body)
	}

	// The configured ErrorHandler answers.
	var got error
	custom := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(418)
	}})
	w := httptest.NewRecorder()
	custom.RefreshHandler(RefreshOptions{}).ServeHTTP(w, bearerPost(must(custom.CreateAccessToken("alice"))))
	if w.Code != 418 || !errors.Is(got, ErrRefreshRequired) {
		t.Fatalf("ErrorHandler: %d %v", w.Code, got)
	}
}

func TestRefreshHandlerRotation(t *testing.T) {
	ctx := context.Background()
	store := revoke.NewMemory()
	defer store.Close()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: store, Rotation: true}})
	h := a.RefreshHandler(RefreshOptions{})
	p := must(a.CreatePair("alice"))
	rep := doRefresh(t, h, bearerPost(p.RefreshToken))
	if rep.code != 200 || rep.body["refresh_token"] == "" || rep.body["access_token"] == "" {
		t.Fatalf("%d %v", rep.code, rep.body)
	}
	rt := must(a.Verify(ctx, rep.body["refresh_token"], Requirement{Refresh: true}))
	at := must(a.Verify(ctx, rep.body["access_token"], Requirement{}))
	if rt.Family() != p.Family || at.Family() != p.Family {
		t.Fatal("rotation left the family")
	}
	// The used refresh token again: reuse, and the family is revoked.
	if rep := doRefresh(t, h, bearerPost(p.RefreshToken)); rep.code != 401 || rep.body["code"] != string(CodeRefreshReuse) {
		t.Fatalf("reuse: %d %v", rep.code, rep.body)
	}
	if _, err := a.Verify(ctx, rep.body["access_token"], Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("after reuse: %v", err)
	}
}

// refreshCookieRequest is a POST carrying cookies, with the CSRF header set to
// csrf unless it is "".
func refreshCookieRequest(cookies []*http.Cookie, csrf string) *http.Request {
	r := httptest.NewRequest("POST", "https://example.com/refresh", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	if csrf != "" {
		r.Header.Set("X-CSRF-Token", csrf)
	}
	return r
}

func TestRefreshHandlerCookies(t *testing.T) {
	for _, rotation := range []bool{false, true} {
		store := revoke.NewMemory()
		defer store.Close()
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{LocationCookies},
			Revocation: RevocationConfig{Enabled: true, Store: store, Rotation: rotation}})
		h := a.RefreshHandler(RefreshOptions{})
		login := httptest.NewRecorder()
		if err := a.SetPairCookies(login, must(a.CreatePair("alice"))); err != nil {
			t.Fatal(err)
		}
		jar := login.Result().Cookies()
		var refreshCSRF, accessCSRF string
		for _, c := range jar {
			switch c.Name {
			case "__Host-csrf_refresh":
				refreshCSRF = c.Value
			case "__Host-csrf_access":
				accessCSRF = c.Value
			}
		}
		// CSRF rules as for any cookie request.
		if rep := doRefresh(t, h, refreshCookieRequest(jar, "")); rep.code != 403 || rep.body["code"] != string(CodeCSRFMissing) {
			t.Fatalf("rotation %v, no CSRF: %d %v", rotation, rep.code, rep.body)
		}
		if rep := doRefresh(t, h, refreshCookieRequest(jar, accessCSRF)); rep.code != 403 || rep.body["code"] != string(CodeCSRFMismatch) {
			t.Fatalf("rotation %v, the access CSRF value: %d %v", rotation, rep.code, rep.body)
		}
		cross := refreshCookieRequest(jar, refreshCSRF)
		cross.Header.Set("Sec-Fetch-Site", "cross-site")
		if rep := doRefresh(t, h, cross); rep.code != 403 || rep.body["code"] != string(CodeCrossOrigin) {
			t.Fatalf("rotation %v, cross-site: %d %v", rotation, rep.code, rep.body)
		}
		rep := doRefresh(t, h, refreshCookieRequest(jar, refreshCSRF))
		if rep.code != 200 || rep.body["detail"] != "Token refreshed" || rep.body["access_token"] != "" {
			t.Fatalf("rotation %v: %d %v", rotation, rep.code, rep.body)
		}
		set := map[string]string{}
		for _, c := range rep.cookies {
			set[c.Name] = c.Value
		}
		if set["__Host-access_token"] == "" || set["__Host-csrf_access"] == "" {
			t.Fatalf("rotation %v: access cookies not set: %v", rotation, set)
		}
		_, refreshSet := set["__Host-refresh_token"]
		if refreshSet != rotation {
			t.Fatalf("rotation %v: refresh cookie set %v", rotation, refreshSet)
		}
		if _, err := a.Verify(context.Background(), set["__Host-access_token"], Requirement{}); err != nil {
			t.Fatalf("rotation %v: new access cookie: %v", rotation, err)
		}
	}
}

// With headers and cookies, a header request gets the tokens in the body
// and the cookies.
func TestRefreshHandlerHeadersAndCookies(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{LocationHeaders, LocationCookies}})
	p := must(a.CreatePair("alice"))
	rep := doRefresh(t, a.RefreshHandler(RefreshOptions{}), bearerPost(p.RefreshToken))
	if rep.code != 200 || rep.body["access_token"] == "" {
		t.Fatalf("%d %v", rep.code, rep.body)
	}
	found := false
	for _, c := range rep.cookies {
		if c.Name == "__Host-access_token" {
			found = c.Value == rep.body["access_token"]
		}
	}
	if !found {
		t.Fatalf("access cookie does not hold the new token: %v", rep.cookies)
	}
	if strings.Contains(rep.header.Get("Content-Type"), "html") {
		t.Fatal("content type")
	}
}
