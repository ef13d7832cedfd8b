package authjwt

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestRequirementQueryParam(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	access := must(a.CreateAccessToken("alice"))
	var seenURL, seenURI string
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenURL, seenURI = r.URL.String(), r.RequestURI
		w.Write([]byte(Subject(r.Context()) + " via " + FromContext(r.Context()).Source()))
	})
	events := a.Middleware(Requirement{QueryParam: "access_token"})(handler)
	ordinary := a.Required(handler)

	do := func(h http.Handler, method, target string, bearer string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		if bearer != "" {
			r.Header.Set("Authorization", "Bearer "+bearer)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	q := "/events?since=5&access_token=" + url.QueryEscape(access)

	// The route that names the parameter accepts it on GET and HEAD.
	for _, m := range []string{"GET", "HEAD"} {
		seenURL = ""
		w := do(events, m, q, "")
		if w.Code != 200 || (m == "GET" && w.Body.String() != "alice via query") {
			t.Fatalf("%s: %d %s", m, w.Code, w.Body)
		}
		if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("%s: headers %v", m, w.Header())
		}
		if strings.Contains(seenURL, access) || strings.Contains(seenURI, access) || seenURL != "/events?since=5" || seenURI != "/events?since=5" {
			t.Fatalf("%s: the handler saw the token: URL %q RequestURI %q", m, seenURL, seenURI)
		}
	}
	// The header still comes first.
	if w := do(events, "GET", "/events?access_token=garbage", access); w.Code != 200 || w.Body.String() != "alice via header" {
		t.Fatalf("header first: %d %s", w.Code, w.Body)
	}
	// Without the parameter, the route works as usual.
	if w := do(events, "GET", "/events", access); w.Code != 200 || w.Header().Get("Referrer-Policy") != "" {
		t.Fatalf("header only: %d %s %v", w.Code, w.Body, w.Header())
	}
	if w := do(events, "GET", "/events", ""); w.Code != 401 || !strings.Contains(w.Body.String(), "missing_token") {
		t.Fatalf("no token: %d %s", w.Code, w.Body)
	}

	// Refused: other methods, twice, and an invalid token.
	for _, tc := range []struct {
		method, target string
		code           int
		body           string
	}{
		{"POST", q, 401, "accepted on GET and HEAD requests only"},
		{"DELETE", q, 401, "accepted on GET and HEAD requests only"},
		{"GET", q + "&access_token=" + url.QueryEscape(access), 401, "Duplicate query parameter access_token"},
		{"GET", "/events?access_token=not-a-token", 401, "malformed_token"},
	} {
		w := do(events, tc.method, tc.target, "")
		if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("%s %s: %d %s, want %d %q", tc.method, tc.target, w.Code, w.Body, tc.code, tc.body)
		}
		if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s %s: headers %v", tc.method, tc.target, w.Header())
		}
	}

	// Ordinary routes never read the query string: not under the name of
	// the parameter, nor under the WebSocket one.
	for _, target := range []string{q, "/x?token=" + url.QueryEscape(access)} {
		for _, m := range []string{"GET", "POST"} {
			if w := do(ordinary, m, target, ""); w.Code != 401 || !strings.Contains(w.Body.String(), "missing_token") {
				t.Errorf("ordinary route %s %s: %d %s", m, target, w.Code, w.Body)
			}
		}
	}
	// Another parameter name on the route is not read either.
	if w := do(events, "GET", "/events?token="+url.QueryEscape(access), ""); w.Code != 401 {
		t.Errorf("other parameter: %d %s", w.Code, w.Body)
	}
	// Check with the requirement, as adapters call it.
	r := httptest.NewRequest("GET", q, nil)
	if tok, err := a.Check(r, Requirement{QueryParam: "access_token"}); err != nil || tok.Source() != "query" {
		t.Fatalf("Check: %v %v", tok, err)
	}
	if _, err := a.Check(r, Requirement{}); err == nil {
		t.Fatal("Check without QueryParam read the query string")
	}
	// The type rules hold there too.
	refresh := must(a.CreateRefreshToken("alice"))
	if w := do(events, "GET", "/events?access_token="+url.QueryEscape(refresh), ""); w.Code != 401 || !strings.Contains(w.Body.String(), "access_token_required") {
		t.Errorf("refresh token in the query: %d %s", w.Code, w.Body)
	}
}

// In cookie mode the parameter is a bearer credential: no CSRF value
// (GET needs none anyway), and the cookies are the fallback.
func TestRequirementQueryParamCookies(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{LocationCookies}})
	access := must(a.CreateAccessToken("alice"))
	h := a.Middleware(Requirement{QueryParam: "access_token"})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(FromContext(r.Context()).Source()))
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/events?access_token="+url.QueryEscape(access), nil))
	if w.Code != 200 || w.Body.String() != "query" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	r := httptest.NewRequest("GET", "/events", nil)
	r.AddCookie(&http.Cookie{Name: "__Host-access_token", Value: access})
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || w.Body.String() != "cookie" {
		t.Fatalf("cookie fallback: %d %s", w.Code, w.Body)
	}
}
