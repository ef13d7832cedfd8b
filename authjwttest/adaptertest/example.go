package adaptertest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// ExampleFlow drives an adapter example's router as a client would: log in
// as alice (password "secret"), call /protected, /optional, /refresh and
// /admin with and without the right tokens, and check a wrong password is
// refused. Every adapter example (gin, echo, huma, chi) serves the same
// routes and must give the same answers.
func ExampleFlow(t *testing.T, h http.Handler) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	do := func(method, path, token, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	st, login := do("POST", "/login", "", `{"username":"alice","password":"secret"}`)
	if st != 200 {
		t.Fatalf("login: %d %v", st, login)
	}
	access, _ := login["access_token"].(string)
	refresh, _ := login["refresh_token"].(string)
	tests := []struct {
		why, method, path, token string
		want                     int
		user                     any
	}{
		{"no token is refused", "GET", "/protected", "", 401, nil},
		{"the access token passes", "GET", "/protected", access, 200, "alice"},
		{"optional without a token passes, user null", "GET", "/optional", "", 200, nil},
		{"the refresh token refreshes", "POST", "/refresh", refresh, 200, nil},
		{"the access token cannot refresh", "POST", "/refresh", access, 401, nil},
		{"alice is admin", "GET", "/admin", access, 200, "alice"},
	}
	for _, tt := range tests {
		st, body := do(tt.method, tt.path, tt.token, "")
		if st != tt.want {
			t.Errorf("%s: %s %s = %d %v, want %d", tt.why, tt.method, tt.path, st, body, tt.want)
		}
		if tt.user != nil && body["user"] != tt.user {
			t.Errorf("%s: user = %v, want %v", tt.why, body["user"], tt.user)
		}
	}
	if st, _ := do("POST", "/login", "", `{"username":"alice","password":"nope"}`); st != 401 {
		t.Errorf("bad password: %d", st)
	}
}
