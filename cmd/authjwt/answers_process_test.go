package main

import (
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
