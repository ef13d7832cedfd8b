package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// refSecret is the fixed AUTHJWT_SECRET_KEY of the reference servers these
// tests start.
const refSecret = "e2e-reference-secret-0123456789abcdef"

// startReferenceTLS builds cmd/authjwt and runs `authjwt serve` over HTTPS
// on a free loopback port with the run's test certificate, for as long as
// t runs. env holds the AUTHJWT_* settings (AUTHJWT_SECRET_KEY is always
// refSecret); none of the caller's AUTHJWT_* variables reach the server,
// which refuses unknown ones. It returns the base URL
// (https://127.0.0.1:<port>).
func startReferenceTLS(t *testing.T, env ...string) string {
	t.Helper()
	return startReferenceTLSAt(t, freeLoopbackAddr(t), env...)
}

// freeLoopbackAddr returns a loopback address with a port free a moment
// ago, for a server started next (or for settings that name its URL).
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startReferenceTLSAt is startReferenceTLS on addr (HOST:PORT).
func startReferenceTLSAt(t *testing.T, addr string, env ...string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		msg := "reference-server browser test skipped: no go command on PATH (run it with the Go toolchain installed; AUTHJWTTEST_REQUIRE_SERVICES=1 makes this a failure)"
		if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "authjwt")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "cmd", "authjwt")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/authjwt: %v\n%s", err, out)
	}

	// The certificate Chromium was told to trust, as PEM files for --tls-cert/--tls-key.
	keyDER, err := x509.MarshalPKCS8PrivateKey(shared.cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: shared.cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}

	var cmdEnv []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUTHJWT_") {
			cmdEnv = append(cmdEnv, kv)
		}
	}
	cmdEnv = append(cmdEnv, "AUTHJWT_SECRET_KEY="+refSecret)
	cmdEnv = append(cmdEnv, env...)
	var logs syncBuilder
	cmd := exec.Command(bin, "serve", "--addr", addr, "--tls-cert", certFile, "--tls-key", keyFile)
	cmd.Env = cmdEnv
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	})

	roots := x509.NewCertPool()
	roots.AddCert(shared.cert.Leaf)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	base := "https://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := client.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return base
			}
		}
		select {
		case <-done:
			t.Fatalf("authjwt serve exited before answering:\n%s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("authjwt serve did not answer /healthz over HTTPS within 15s (last error %v):\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// demo drives the reference server's demo page in one tab.
type demo struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// open loads the demo page and waits until its buttons are there.
func (d demo) open() {
	d.t.Helper()
	d.do("open the demo page",
		chromedp.Navigate(d.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`button[data-call="POST /login"]`)),
	)
}

// do runs the actions in the tab; on failure it fails the test with the
// page's text.
func (d demo) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	if err := chromedp.Do(d.ctx, actions...); err != nil {
		text, _ := chromedp.Run(context.WithoutCancel(d.ctx), chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`))
		d.t.Fatalf("%s: %v\npage text:\n%s", what, err, text)
	}
}

// out is what the page's response panel shows.
func (d demo) out() string {
	d.t.Helper()
	s, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](`document.getElementById("out").textContent`))
	if err != nil {
		d.t.Fatalf("reading #out: %v", err)
	}
	return s
}

// click empties the response panel, clicks the element, and returns what
// the panel shows once its text starts with want (the first line the
// page writes, such as "GET /protected → 200"). It fails the test with
// the panel's last text if that does not happen within 20 s.
func (d demo) click(sel, want string) string {
	d.t.Helper()
	d.do("click "+sel,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("out").textContent = ""`),
		chromedp.Click(chromedp.CSS(sel)),
	)
	return d.waitOut(want)
}

// call clicks the demo page's button for "METHOD /path" and checks the
// status the page displays; it returns the panel's text.
func (d demo) call(route string, status int) string {
	d.t.Helper()
	return d.click(fmt.Sprintf(`button[data-call=%q]`, route), fmt.Sprintf("%s → %d\n", route, status))
}

// waitOut waits until the response panel's text starts with prefix and
// returns it; any other answer fails the test at once (the WebSocket's
// transient "open" excepted), as does nothing within 20 s.
func (d demo) waitOut(prefix string) string {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		last = d.out()
		if strings.HasPrefix(last, prefix) {
			return last
		}
		if last != "" && !strings.HasPrefix(last, "WebSocket\nopen") {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	d.t.Fatalf("demo page shows %q, want it to start with %q", last, prefix)
	return ""
}

// fetch sends a request from the page's own origin with its cookies and
// the CSRF header csrfHeader (none when empty), and returns
// "<status> <code>".
func (d demo) fetch(method, path, csrfHeader string) string {
	d.t.Helper()
	headers := "{}"
	if csrfHeader != "" {
		headers = fmt.Sprintf(`{"X-CSRF-Token": %q}`, csrfHeader)
	}
	return evalJS[string](d.t, d.ctx, fmt.Sprintf(`fetch(%q, {method: %q, headers: %s, credentials: "same-origin"})
		.then(async r => r.status + " " + ((await r.json().catch(() => ({}))).code || ""))`, path, method, headers))
}

// recordWebSockets makes the page keep every WebSocket it opens in
// window.__ws, so the test can read its URL and selected subprotocol.
func (d demo) recordWebSockets() {
	d.t.Helper()
	evalJS[bool](d.t, d.ctx, `(() => {
		const W = window.WebSocket;
		window.__ws = [];
		window.WebSocket = class extends W {
			constructor(url, protocols) { super(url, protocols); window.__ws.push(this); }
		};
		return true;
	})()`)
}

// allCookies returns every cookie of the tab's browser context, whatever
// its domain or path, HttpOnly ones included (CDP Storage.getCookies).
func allCookies(t *testing.T, ctx context.Context) map[string]*network.Cookie {
	t.Helper()
	c := chromedp.FromContext(ctx)
	if c == nil || c.BrowserContextID == "" {
		t.Fatal("the tab has no browser context of its own")
	}
	res, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{BrowserContextID: c.BrowserContextID})
	if err != nil {
		t.Fatalf("Storage.getCookies: %v", err)
	}
	m := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		m[c.Name] = c
	}
	return m
}

// TestReferenceServerCookieMode drives the reference server's demo page
// (`authjwt serve` over HTTPS, AUTHJWT_TOKEN_LOCATION=cookies) through
// the whole cookie flow: login, cookie visibility, CSRF double submit, a
// forged cross-origin form, the WebSocket, revocation and logout.
func TestReferenceServerCookieMode(t *testing.T) {
	ctx := newTab(t)
	base := startReferenceTLS(t, "AUTHJWT_TOKEN_LOCATION=cookies")
	d := demo{t, ctx, base}
	d.open()

	// Log in through the page: cookies only, so no token in the body.
	got := d.call("POST /login", 200)
	if !strings.Contains(got, "Logged in") || strings.Contains(got, "access_token") || strings.Contains(got, "eyJ") {
		t.Errorf("login panel %q: want \"Logged in\" and no token", got)
	}

	// The browser stored the four cookies, token ones HttpOnly.
	stored := browserCookies(t, ctx, base+"/")
	for _, name := range authCookies {
		c := stored[name]
		if c == nil {
			t.Fatalf("browser did not store %s (stored: %v)", name, names(stored))
		}
		if wantHTTPOnly := !strings.Contains(name, "csrf"); c.HTTPOnly != wantHTTPOnly || !c.Secure || c.Path != "/" {
			t.Errorf("%s stored as httpOnly=%v secure=%v path=%s", name, c.HTTPOnly, c.Secure, c.Path)
		}
	}
	if all := allCookies(t, ctx); len(all) != len(authCookies) {
		t.Errorf("browser context holds cookies %v, want the %d auth cookies", names(all), len(authCookies))
	}
	// document.cookie shows the CSRF cookies and never a token cookie.
	jar := evalJS[string](t, ctx, `document.cookie`)
	for _, name := range authCookies {
		visible := strings.Contains(jar, name+"=")
		if want := strings.Contains(name, "csrf"); visible != want {
			t.Errorf("document.cookie = %q: %s visible = %v, want %v", jar, name, visible, want)
		}
	}
	if strings.Contains(jar, "eyJ") {
		t.Errorf("document.cookie holds a JWT: %q", jar)
	}

	if got := d.call("GET /protected", 200); !strings.Contains(got, `"user": "alice"`) {
		t.Errorf("GET /protected panel %q: want user alice", got)
	}

	// The WebSocket from the page: cookies, ?csrf_token= and the page's own
	// Origin; the server greets, then echoes.
	d.recordWebSockets()
	d.click("#wsopen", "WebSocket message\nSuccessful Login!")
	wsURL := evalJS[string](t, ctx, `window.__ws[0].url`)
	csrfAccess := stored["__Host-csrf_access"].Value
	if !strings.Contains(wsURL, "csrf_token="+csrfAccess) || strings.Contains(wsURL, "token=eyJ") {
		t.Errorf("WebSocket URL %q: want the CSRF token and no access token", wsURL)
	}
	d.do("type a message", chromedp.SetValue(chromedp.CSS("#wsmsg"), "echo from chromium"))
	d.click("#wssend", "WebSocket message\necho from chromium")
	d.click("#wsclose", "WebSocket\nclosed (")

	// A WebSocket without ?csrf_token= is refused at the handshake (the
	// cookies alone are not enough).
	if got := evalJS[string](t, ctx, wsProbe(`new URL("/ws", location.href).href.replace(/^http/, "ws")`)); got != "refused" {
		t.Errorf("cookie WebSocket without csrf_token: %s, want refused", got)
	}

	// CSRF double submit on an unsafe route guarded by the access token:
	// no header, a wrong one, then (through the page's button) the right one.
	if got := d.fetch("DELETE", "/access-revoke", ""); got != "403 csrf_token_missing" {
		t.Errorf("DELETE /access-revoke without the CSRF header: %s, want 403 csrf_token_missing", got)
	}
	if got := d.fetch("DELETE", "/access-revoke", "not-the-csrf-value"); got != "403 csrf_token_mismatch" {
		t.Errorf("DELETE /access-revoke with a wrong CSRF header: %s, want 403 csrf_token_mismatch", got)
	}
	d.call("GET /protected", 200) // the refused requests revoked nothing

	// A form POST from a page on another origin (same host, another port:
	// same site, so the Lax cookies go along) is refused before it acts.
	attacker := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/ws" {
			fmt.Fprintf(w, attackerWSPage, strings.Replace(base, "https:", "wss:", 1)+"/ws?csrf_token="+csrfAccess)
			return
		}
		fmt.Fprintf(w, attackerFormPage, base+"/logout-all")
	}))
	d.do("open the attacker's page", chromedp.Navigate(attacker.URL+"/"))
	body := waitJS(t, ctx, `location.pathname === "/logout-all" && document.body ? document.body.innerText : ""`, 20*time.Second)
	var refusal struct{ Code string }
	if err := json.Unmarshal([]byte(body), &refusal); err != nil || refusal.Code != "cross_origin_request" {
		t.Errorf("forged POST /logout-all answered %q, want code cross_origin_request", body)
	}
	// Cross-site WebSocket hijacking: even with the CSRF value (as if it had
	// leaked), a handshake from another origin is refused.
	d.do("open the attacker's WebSocket page", chromedp.Navigate(attacker.URL+"/ws"))
	if got := waitJS(t, ctx, `window.result || ""`, 20*time.Second); got != "refused" {
		t.Errorf("cookie WebSocket from another origin: %s, want refused", got)
	}
	d.open()
	d.call("GET /protected", 200) // the session survived both forgeries

	// With the header (the page's button): the access token is revoked.
	if got := d.call("DELETE /access-revoke", 200); !strings.Contains(got, "Access token has been revoked") {
		t.Errorf("DELETE /access-revoke panel %q", got)
	}
	if got := d.call("GET /protected", 401); !strings.Contains(got, "token_revoked") {
		t.Errorf("GET /protected after revocation %q: want token_revoked", got)
	}

	// Log in again, then log out through the page: no auth cookie is left
	// anywhere in the browser context.
	d.call("POST /login", 200)
	d.call("GET /protected", 200)
	if got := d.call("DELETE /logout", 200); !strings.Contains(got, "Logged out") {
		t.Errorf("DELETE /logout panel %q", got)
	}
	for name := range allCookies(t, ctx) {
		for _, auth := range authCookies {
			if name == auth {
				t.Errorf("cookie %s left in the browser after logout", name)
			}
		}
	}
	if got := evalJS[string](t, ctx, `document.cookie`); got != "" {
		t.Errorf("document.cookie after logout = %q", got)
	}
	d.call("GET /protected", 401)
}

// TestReferenceServerHeaderMode drives the demo page with the reference
// server's default token location (headers): tokens stay in the page's
// memory, go in the Authorization header, and reach the WebSocket through
// the "bearer" subprotocol, never the URL.
func TestReferenceServerHeaderMode(t *testing.T) {
	ctx := newTab(t)
	base := startReferenceTLS(t)
	d := demo{t, ctx, base}
	d.open()

	d.call("GET /protected", 401)
	if got := d.call("POST /login", 200); !strings.Contains(got, `"access_token"`) || !strings.Contains(got, `"refresh_token"`) {
		t.Errorf("login panel %q: want both tokens", got)
	}
	if got := d.call("GET /protected", 200); !strings.Contains(got, `"user": "alice"`) {
		t.Errorf("GET /protected panel %q: want user alice", got)
	}
	if c := allCookies(t, ctx); len(c) != 0 {
		t.Errorf("header mode stored cookies: %v", names(c))
	}

	d.recordWebSockets()
	d.click("#wsopen", "WebSocket message\nSuccessful Login!")
	if proto := evalJS[string](t, ctx, `window.__ws[0].protocol`); proto != "bearer" {
		t.Errorf("selected subprotocol %q, want bearer", proto)
	}
	if u := evalJS[string](t, ctx, `window.__ws[0].url`); strings.Contains(u, "token") {
		t.Errorf("WebSocket URL %q carries a token", u)
	}
	d.do("type a message", chromedp.SetValue(chromedp.CSS("#wsmsg"), "header mode echo"))
	d.click("#wssend", "WebSocket message\nheader mode echo")
	d.click("#wsclose", "WebSocket\nclosed (")

	// Without a token the handshake is refused.
	if got := evalJS[string](t, ctx, wsProbe(`new URL("/ws", location.href).href.replace(/^http/, "ws")`)); got != "refused" {
		t.Errorf("WebSocket without a token: %s, want refused", got)
	}

	d.call("DELETE /logout", 200)
	d.call("GET /protected", 401) // the page forgot its tokens
}

// wsProbe is a JavaScript promise that opens a WebSocket to the URL
// expression urlExpr and resolves to "open" when the handshake succeeds,
// else "refused".
func wsProbe(urlExpr string) string {
	return `new Promise(resolve => {
		const ws = new WebSocket(` + urlExpr + `);
		ws.onopen = () => { resolve("open"); ws.close(); };
		ws.onclose = () => resolve("refused");
	})`
}

// attackerFormPage, served from another origin, posts a form to the
// reference server as soon as it loads.
const attackerFormPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>attacker</title></head>
<body onload="document.forms[0].submit()">
<form method="POST" action="%s"><input name="x" value="1"></form>
</body></html>`

// attackerWSPage, served from another origin, opens the reference server's
// WebSocket with the victim's cookies and sets window.result.
const attackerWSPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>attacker</title></head>
<body><script>
const ws = new WebSocket(%q);
ws.onopen = () => { window.result = "open"; };
ws.onmessage = (ev) => { window.result = "open: " + ev.data; };
ws.onclose = () => { if (!window.result) window.result = "refused"; };
</script></body></html>`

// syncBuilder is a strings.Builder that a running process may write to
// while the test reads it.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
