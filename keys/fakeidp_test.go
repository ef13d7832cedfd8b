package keys

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeIdP is an identity provider over TLS whose key set and failure mode
// tests change while it runs. It counts the requests it serves.
type fakeIdP struct {
	srv       *httptest.Server
	jwksHits  atomic.Int64
	discoHits atomic.Int64

	mu           sync.Mutex
	body         []byte
	mode         string // "", "500", "404", "html", "huge", "notjson", "slow"
	delay        time.Duration
	cacheControl string
	issuer       string // served issuer; default the server URL
	hitTimes     []time.Time
}

func newFakeIdP(t *testing.T, keys ...Key) *fakeIdP {
	f := &fakeIdP{}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.setKeys(t, keys...)
	return f
}

func (f *fakeIdP) setKeys(t *testing.T, keys ...Key) {
	t.Helper()
	set, err := PublicJWKS(keys)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(set)
	f.setBody(b)
}

func (f *fakeIdP) setBody(b []byte) { f.mu.Lock(); f.body = b; f.mu.Unlock() }

func (f *fakeIdP) set(mode string, delay time.Duration) {
	f.mu.Lock()
	f.mode, f.delay = mode, delay
	f.mu.Unlock()
}

func (f *fakeIdP) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	mode, delay, body, cc, iss := f.mode, f.delay, f.body, f.cacheControl, f.issuer
	f.mu.Unlock()
	if r.URL.Path == "/.well-known/openid-configuration" {
		f.discoHits.Add(1)
		if iss == "" {
			iss = f.srv.URL
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "jwks_uri": f.srv.URL + "/jwks"})
		return
	}
	if r.URL.Path != "/jwks" {
		http.NotFound(w, r)
		return
	}
	f.jwksHits.Add(1)
	f.mu.Lock()
	f.hitTimes = append(f.hitTimes, time.Now())
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if cc != "" {
		w.Header().Set("Cache-Control", cc)
	}
	switch mode {
	case "500":
		http.Error(w, "boom", 500)
	case "404":
		http.NotFound(w, r)
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<html><body>login</body></html>")
	case "notjson":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "<?xml version='1.0'?><keys/>")
	case "huge":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"keys":[],"pad":"`+strings.Repeat("x", 2<<20)+`"}`)
	default:
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(body)
	}
}

func edKey(t testing.TB) Key {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewSigningKey("EdDSA", priv)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// logBuffer collects slog output safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func (f *fakeIdP) config(logs io.Writer) RemoteConfig {
	if logs == nil {
		logs = io.Discard
	}
	return RemoteConfig{
		JWKSURL: f.srv.URL + "/jwks",
		Client:  f.srv.Client(),
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func newRemote(t *testing.T, cfg RemoteConfig) *Remote {
	t.Helper()
	r, err := NewRemote(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}
