// Package e2e drives a real browser (Debian's headless Chromium, through
// chromedp) against servers using authjwt in cookie mode, over HTTPS on
// 127.0.0.1 with a certificate made for the run.
//
// One browser serves every test (started in TestMain); each test gets its
// own browser context (separate cookies) with [newTab]. Without Chromium
// the browser tests skip, saying how to run them; AUTHJWTTEST_REQUIRE_SERVICES=1
// turns the skip into a failure (CI). AUTHJWT_CHROMIUM overrides the
// browser path (default /usr/bin/chromium, else chromium on PATH).
package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// shared is the one browser of the run and the certificate every test
// server presents.
var shared struct {
	browser context.Context // a chromedp context whose browser has started
	err     error           // why there is no browser
	cert    tls.Certificate
}

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	cert, spki, err := newTestCert()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: test certificate:", err)
		return 1
	}
	shared.cert = cert
	path := chromiumPath()
	if path == "" {
		shared.err = fmt.Errorf("chromium not found at /usr/bin/chromium nor on PATH (install it: apt-get install chromium, or set AUTHJWT_CHROMIUM)")
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "authjwt-e2e-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		// Trust exactly our test certificate's key, so the pages are a
		// secure context as with a real certificate; the blanket flag
		// covers Chromium builds that ignore the SPKI list.
		chromedp.Flag("ignore-certificate-errors-spki-list", spki),
		chromedp.Flag("ignore-certificate-errors", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	// The first call starts the browser, and must have no timeout: one
	// would end the browser with it.
	if err := chromedp.Do(bctx); err != nil {
		shared.err = fmt.Errorf("starting %s: %w", path, err)
	} else {
		shared.browser = bctx
	}
	return m.Run()
}

func chromiumPath() string {
	if p := os.Getenv("AUTHJWT_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newTab returns a chromedp context for a new tab in a new browser context
// (its own cookie jar) of the shared browser, cancelled when t ends. It
// skips t when there is no browser, or fails it when
// AUTHJWTTEST_REQUIRE_SERVICES=1.
func newTab(t *testing.T) context.Context {
	t.Helper()
	if shared.browser == nil {
		msg := fmt.Sprintf("browser test skipped: %v; run with Chromium installed (AUTHJWTTEST_REQUIRE_SERVICES=1 makes this a failure)", shared.err)
		if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := chromedp.NewContext(shared.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // open the tab outside any timeout
		t.Fatalf("opening a tab: %v", err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(tcancel)
	return tctx
}

// newTestCert makes a self-signed ECDSA certificate for 127.0.0.1 and
// localhost, and returns it with its SPKI hash as Chromium's
// --ignore-certificate-errors-spki-list wants it.
func newTestCert() (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "authjwt e2e"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, base64.StdEncoding.EncodeToString(sum[:]), nil
}

// serveTLS starts h on https://127.0.0.1:<port> with the test certificate.
func serveTLS(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{shared.cert}}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// evalJS evaluates a JavaScript expression (awaiting a promise) in the tab.
func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// browserCookies returns the browser's cookies for the URLs, as the
// browser stores them (HttpOnly ones included), read over CDP.
func browserCookies(t *testing.T, ctx context.Context, urls ...string) map[string]*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: urls})
	if err != nil {
		t.Fatalf("Network.getCookies: %v", err)
	}
	m := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		m[c.Name] = c
	}
	return m
}

// waitJS evaluates expr until it gives a non-empty string, retrying
// through navigations (which destroy the page's JavaScript context), and
// returns that string. It fails t after timeout.
func waitJS(t *testing.T, ctx context.Context, expr string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err == nil && v != "" {
			return v
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: timed out (last error: %v)", expr, last)
	return ""
}
