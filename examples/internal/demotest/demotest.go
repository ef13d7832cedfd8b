// Package demotest calls an example's routes in-process for its test.
package demotest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Response is a recorded response with its decoded JSON body.
type Response struct {
	*http.Response
	// Body is the decoded JSON body, nil when the response had none. It
	// shadows the embedded http.Response's Body.
	Body map[string]any
}

// Str returns the body's field as a string ("" when absent or not a string).
func (r Response) Str(field string) string {
	s, _ := r.Body[field].(string)
	return s
}

// Call sends method path with body (marshalled to JSON unless nil) to h,
// after applying each setup function to the request, and returns the
// response. A body that is not JSON fails the test.
func Call(t *testing.T, h http.Handler, method, path string, body any, setup ...func(*http.Request)) Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, path, rd)
	for _, f := range setup {
		f(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := Response{Response: w.Result()}
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &res.Body); err != nil {
			t.Fatalf("%s %s: %d, body %q is not JSON", method, path, w.Code, w.Body)
		}
	}
	return res
}

// Bearer sets the Authorization header to "Bearer <token>".
func Bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// Expect fails the test unless res has the status and, when detail is
// not empty, that "detail".
func Expect(t *testing.T, what string, res Response, status int, detail string) {
	t.Helper()
	if res.StatusCode != status || (detail != "" && res.Str("detail") != detail) {
		t.Fatalf("%s: %d %v, want %d %q", what, res.StatusCode, res.Body, status, detail)
	}
}

// Login is the credentials body of the demo user alice.
var Login = map[string]string{"username": "alice", "password": "secret"}
