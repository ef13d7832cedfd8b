package keys

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	k := testKeys()
	s := NewSet()
	rk, _ := s.AddSigner(Key{Alg: "RS256", Signer: k.rsa})
	h, _ := NewHMACKey("HS256", "mac", bytes.Repeat([]byte{9}, 32))
	if _, err := s.Add(h); err != nil {
		t.Fatal(err)
	}
	srv := NewHandler(s, HandlerConfig{MaxAge: time.Hour})
	do := func(method string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/.well-known/jwks.json", nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		return w
	}
	w := do("GET", nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/jwk-set+json" || w.Header().Get("Cache-Control") != "public, max-age=3600" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	body := w.Body.String()
	for _, leak := range []string{`"d"`, `"p"`, `"k"`, `"mac"`} {
		if strings.Contains(body, leak) {
			t.Fatalf("JWKS leaks %s: %s", leak, body)
		}
	}
	keys, skipped, err := ParseJWKS(w.Body.Bytes(), 0)
	if err != nil || len(skipped) != 0 || len(keys) != 1 || keys[0].KID != rk.KID || keys[0].Alg != "RS256" {
		t.Fatalf("served set: %v %v %v", keys, skipped, err)
	}
	var raw struct{ Keys []map[string]string }
	_ = json.Unmarshal(w.Body.Bytes(), &raw)
	if raw.Keys[0]["use"] != "sig" {
		t.Fatal("use missing")
	}
	etag := w.Header().Get("ETag")
	if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") {
		t.Fatalf("ETag %q not strong", etag)
	}
	if w := do("GET", map[string]string{"If-None-Match": `"other", ` + etag}); w.Code != http.StatusNotModified || w.Body.Len() != 0 || w.Header().Get("ETag") != etag {
		t.Fatalf("If-None-Match: %d", w.Code)
	}
	if w := do("HEAD", nil); w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("HEAD: %d %d", w.Code, w.Body.Len())
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		if w := do(m, nil); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
			t.Fatalf("%s: %d", m, w.Code)
		}
	}
	// Rotation shows at once with a new ETag.
	if _, err := s.Add(Key{Alg: "EdDSA", Signer: k.ed}); err != nil {
		t.Fatal(err)
	}
	if w := do("GET", map[string]string{"If-None-Match": etag}); w.Code != 200 || w.Header().Get("ETag") == etag {
		t.Fatal("rotation not visible")
	}
}

func TestHandlerOnlyHMAC(t *testing.T) {
	s := NewSet()
	h, _ := NewHMACKey("HS512", "mac", bytes.Repeat([]byte{9}, 64))
	_, _ = s.AddSigner(h)
	w := httptest.NewRecorder()
	Handler(s).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"keys":[]}` || w.Header().Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("%d %q", w.Code, w.Body.String())
	}
}
