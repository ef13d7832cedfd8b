package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

// clock is a settable clock shared by the Auth and the memory store.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration // added after each read: time passing while serving
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.t
	c.t = c.t.Add(c.step)
	return now
}

// Tick makes every later read of the clock advance it by step.
func (c *clock) Tick(step time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step = step
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// keyPEM returns a PKCS#8 PEM of a new key for alg.
func keyPEM(t testing.TB, alg string) string {
	t.Helper()
	var k crypto.Signer
	var err error
	switch alg {
	case "RS256", "PS256":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("keyPEM: no generator for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// testSecret is a 64-byte HMAC secret.
const testSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// authConfig returns a library configuration for alg with a fake clock
// and an in-memory denylist.
func authConfig(t testing.TB, alg string, clk *clock) authjwt.Config {
	cfg := authjwt.Config{
		Keys: authjwt.KeyConfig{
			Algorithm: alg,
		},
		Revocation: authjwt.RevocationConfig{
			Enabled: true,
			Store:   revoke.NewMemory(revoke.WithClock(clk.Now)),
		},
		Now:    clk.Now,
		Logger: discardLogger(),
	}
	if strings.HasPrefix(alg, "HS") {
		cfg.Keys.SecretKey = testSecret
	} else {
		cfg.Keys.PrivateKey = keyPEM(t, alg)
	}
	return cfg
}

// testServer runs newServer behind httptest.
type testServer struct {
	t   *testing.T
	srv *httptest.Server
	s   *server
	clk *clock
}

func startServer(t *testing.T, cfg authjwt.Config, clk *clock) *testServer {
	t.Helper()
	h, err := newServer(serverConfig{Auth: cfg, Logger: discardLogger()})
	if err != nil {
		t.Fatalf("newServer: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if c, ok := cfg.Revocation.Store.(revoke.Closer); ok {
		t.Cleanup(func() { c.Close() })
	}
	return &testServer{t: t, srv: srv, s: h.(*server), clk: clk}
}

// response is a decoded response.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
	cookie []*http.Cookie
}

// req describes one request.
type req struct {
	method, path string
	token        string            // Authorization: Bearer <token>
	body         string            // sent as application/json unless ctype is set
	ctype        string            // Content-Type; "-" for none
	header       map[string]string // extra headers
	cookies      []*http.Cookie
}

func (ts *testServer) do(r req) response {
	ts.t.Helper()
	return doRequest(ts.t, ts.srv.Client(), ts.srv.URL, r)
}

// doRequest sends r to the server at base with client and decodes the
// response.
func doRequest(t *testing.T, client *http.Client, base string, r req) response {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequestWithContext(context.Background(), r.method, base+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case r.ctype == "-":
	case r.ctype != "":
		hr.Header.Set("Content-Type", r.ctype)
	case r.body != "":
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	for _, c := range r.cookies {
		hr.AddCookie(c)
	}
	res, err := client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: res.StatusCode, header: res.Header, raw: string(b), cookie: res.Cookies()}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(&out.body); err != nil {
			t.Fatalf("%s %s: JSON body %q: %v", r.method, r.path, b, err)
		}
	}
	return out
}

// login logs in and returns the pair.
func (ts *testServer) login(user, pw string) (access, refresh string) {
	ts.t.Helper()
	r := ts.do(req{method: "POST", path: "/login", body: `{"username":"` + user + `","password":"` + pw + `"}`})
	if r.status != 200 {
		ts.t.Fatalf("login %s: %d %s", user, r.status, r.raw)
	}
	return r.str(ts.t, "access_token"), r.str(ts.t, "refresh_token")
}

func (r response) str(t *testing.T, key string) string {
	t.Helper()
	s, ok := r.body[key].(string)
	if !ok || s == "" {
		t.Fatalf("body %s: no string %q", r.raw, key)
	}
	return s
}

// expect checks status, and for error statuses the {"detail","code"} body.
func (r response) expect(t *testing.T, what string, status int, detail string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d (body %s)", what, r.status, status, r.raw)
	}
	if detail != "" {
		if got := r.body["detail"]; got != detail {
			t.Fatalf("%s: detail %q, want %q (body %s)", what, got, detail, r.raw)
		}
	}
	if status >= 400 {
		if _, ok := r.body["code"].(string); !ok {
			t.Fatalf("%s: error body without a code: %s", what, r.raw)
		}
	}
	if status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("%s: 401 without WWW-Authenticate: Bearer (got %q)", what, r.header.Get("WWW-Authenticate"))
	}
}

// failingStore is a revocation store whose backend is down.
type failingStore struct{}

var errDown = errors.New("connection refused")

func (failingStore) RevokeToken(context.Context, string, time.Time) error  { return errDown }
func (failingStore) RevokeFamily(context.Context, string, time.Time) error { return errDown }
func (failingStore) RevokeSubject(context.Context, string, string, time.Time, time.Time) error {
	return errDown
}
func (failingStore) IsRevoked(context.Context, revoke.Query) (bool, error) { return false, errDown }

// revocableOnly answers "not revoked" to every query but fails to record
// revocations: the routes that revoke must then answer 503.
type revocableOnly struct{ failingStore }

func (revocableOnly) IsRevoked(context.Context, revoke.Query) (bool, error) { return false, nil }
