package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

const aliceBody = `{"username":"alice","password":"secret"}`

// TestServeLoginCSRF: in cookie mode, /login and /fresh-login set auth
// cookies, so a cross-origin request (a no-cors fetch or a form from
// another site, carrying the attacker's credentials) is refused with 403
// before anything is set, by the check every cookie request gets.
func TestServeLoginCSRF(t *testing.T) {
	t.Parallel()
	p := startServe(t, "AUTHJWT_TOKEN_LOCATION=cookies", "AUTHJWT_COOKIE_SECURE=false")
	crossSite := map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Origin": "http://evil.example"}
	for _, c := range []struct {
		name   string
		path   string
		ctype  string
		header map[string]string
		status int
	}{
		{"no-cors fetch without Content-Type", "/login", "-", crossSite, 403},
		{"cross-site form", "/login", "application/x-www-form-urlencoded", crossSite, 403},
		{"old browser: foreign Origin only", "/login", "-", map[string]string{"Origin": "http://evil.example"}, 403},
		{"same-site is another origin", "/login", "", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"fresh-login cross-site", "/fresh-login", "-", crossSite, 403},
		{"same-origin page", "/login", "", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"same-origin fresh-login", "/fresh-login", "", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"not a browser (no Origin, no Fetch Metadata)", "/login", "", nil, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := p.do(req{method: "POST", path: c.path, body: aliceBody, ctype: c.ctype, header: c.header})
			if c.status == 403 {
				r.expect(t, c.name, 403, "Cross-origin request refused")
				if r.body["code"] != "cross_origin_request" || len(r.cookie) != 0 {
					t.Fatalf("code %v, cookies %v: want cross_origin_request and no cookie", r.body["code"], r.cookie)
				}
				return
			}
			r.expect(t, c.name, c.status, "Logged in")
			if len(r.cookie) == 0 {
				t.Fatalf("no cookie set: %v", r.header)
			}
		})
	}
}

// hiddenLen hides a body's length, so the client sends it chunked.
type hiddenLen struct{ io.Reader }

// TestServeErrorBodiesAreJSON: a header over the server's limit and a
// login body over its limit (announced or chunked, wherever the limit is
// reached) answer with the spec's JSON error body, 431 and 413; neither
// is net/http's plain text nor a 422.
func TestServeErrorBodiesAreJSON(t *testing.T) {
	t.Parallel()
	p := startServe(t)
	big := strings.Repeat("a", 70<<10)
	for _, c := range []struct {
		name, method, path string
		header             map[string]string
		status             int
		code               string
	}{
		{"70 KB header on /healthz", "GET", "/healthz", map[string]string{"X-Big": big}, 431, "request_header_too_large"},
		{"70 KB header on /login", "POST", "/login", map[string]string{"X-Big": big}, 431, "request_header_too_large"},
		{"70 KB header on an unknown route", "GET", "/nowhere", map[string]string{"X-Big": big}, 431, "request_header_too_large"},
		{"many headers adding up", "GET", "/healthz", manyHeaders(80, 1<<10), 431, "request_header_too_large"},
		{"60 KB header is within the limit", "GET", "/healthz", map[string]string{"X-Big": big[:60<<10]}, 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := p.do(req{method: c.method, path: c.path, header: c.header})
			if c.status == 200 {
				r.expect(t, c.name, 200, "")
				return
			}
			r.expect(t, c.name, c.status, "")
			if r.body["code"] != c.code || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("code %v, Content-Type %q, want %s in JSON", r.body["code"], r.header.Get("Content-Type"), c.code)
			}
		})
	}

	obj := `{"username":"alice","password":"secret"}`
	for _, c := range []struct {
		name    string
		body    string
		chunked bool
	}{
		{"a huge value", `{"username":"` + big + `","password":"x"}`, false},
		{"whitespace after the object", obj + strings.Repeat(" ", 70<<10), false},
		{"data after the object", obj + big, false},
		{"chunked: whitespace after the object", obj + strings.Repeat(" ", 70<<10), true},
		{"chunked: a huge value", `{"username":"` + big + `","password":"x"}`, true},
		{"chunked: whitespace before the object", strings.Repeat(" ", 70<<10) + obj, true},
	} {
		t.Run("login body: "+c.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(c.body)
			if c.chunked {
				body = hiddenLen{body}
			}
			hr, err := http.NewRequest("POST", p.base+"/login", body)
			if err != nil {
				t.Fatal(err)
			}
			hr.Header.Set("Content-Type", "application/json")
			res, err := p.client.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			var e struct{ Detail, Code string }
			if res.StatusCode != 413 || json.Unmarshal(b, &e) != nil || e.Code != "request_too_large" {
				t.Fatalf("%d %s, want 413 request_too_large", res.StatusCode, b)
			}
			if c.chunked != (hr.ContentLength <= 0) {
				t.Fatalf("chunked %v but ContentLength %d", c.chunked, hr.ContentLength)
			}
		})
	}
}

func manyHeaders(n, size int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("X-H%d", i)] = strings.Repeat("v", size)
	}
	return m
}
