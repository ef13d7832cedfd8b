package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkServeRoute times the reference server's handler (as `authjwt
// serve` builds it from its environment: memory denylist on) for /healthz
// and for /protected with an HS256 access token, without the network: the
// difference is what authentication adds to a request.
func BenchmarkServeRoute(b *testing.B) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := loadSettings([]string{"AUTHJWT_SECRET_KEY=bench-secret-bench-secret-bench-secret-01"}, loadOptions{logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	st.Auth.Logger = logger
	s, err := buildServer(serverConfig{Auth: st.Auth, StoreURL: st.StoreURL, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", "/login", strings.NewReader(`{"username":"alice","password":"secret"}`)))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	for _, path := range []string{"/healthz", "/protected"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			if path == "/protected" {
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			}
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
			}
		})
	}
}
