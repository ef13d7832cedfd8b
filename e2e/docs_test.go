package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// startReferenceServer builds cmd/authjwt (a main package, so it cannot be
// imported) and runs `authjwt serve` on a free loopback port, for as long
// as t runs. It returns the server's base URL.
func startReferenceServer(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		msg := "reference-server test skipped: no go command on PATH (run it with the Go toolchain installed; AUTHJWTTEST_REQUIRE_SERVICES=1 makes this a failure)"
		if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := filepath.Join(t.TempDir(), "authjwt")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "cmd", "authjwt")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/authjwt: %v\n%s", err, out)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	// The server refuses unknown AUTHJWT_* variables (such as this suite's
	// own AUTHJWTTEST_REQUIRE_SERVICES): pass none of the caller's.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUTHJWT_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AUTHJWT_SECRET_KEY=e2e-docs-secret-0123456789abcdef0123")
	var logs strings.Builder
	cmd := exec.Command(bin, "serve", "--addr", addr)
	cmd.Env = env
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

	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
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
			t.Fatalf("authjwt serve did not answer /healthz within 15s (last error %v):\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDocsAuthorize opens the reference server's Swagger UI, calls GET
// /protected from the page without credentials (401), then uses
// "Authorize" with an access token from /login and calls it again (200).
func TestDocsAuthorize(t *testing.T) {
	// The server first: building it must not eat the tab's timeout.
	base := startReferenceServer(t)
	ctx := newTab(t)

	res, err := http.Post(base+"/login", "application/json", strings.NewReader(`{"username":"alice","password":"secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	if res.StatusCode != 200 || login.AccessToken == "" {
		t.Fatalf("POST /login: %d", res.StatusCode)
	}

	const op = "#operations-protected-get_protected"
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			text, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`))
			t.Fatalf("%s: %v\npage text:\n%s", what, err, text)
		}
	}
	status := func() string {
		t.Helper()
		return waitJS(t, ctx, fmt.Sprintf(`(() => {
			const c = document.querySelector(%q);
			return c ? c.textContent.trim() : "";
		})()`, op+" .live-responses-table .response .response-col_status"), 30*time.Second)
	}

	run("open /docs and expand GET /protected",
		chromedp.Navigate(base+"/docs"),
		chromedp.WaitVisible(chromedp.CSS(op+" .opblock-summary")),
		chromedp.Click(chromedp.CSS(op+" .opblock-summary-control")),
		chromedp.WaitVisible(chromedp.CSS(op+" .try-out__btn")),
		chromedp.Click(chromedp.CSS(op+" .try-out__btn")),
		chromedp.WaitVisible(chromedp.CSS(op+" .execute")),
		chromedp.Click(chromedp.CSS(op+" .execute")),
	)
	if got := status(); got != "401" {
		t.Fatalf("GET /protected before Authorize: %s, want 401", got)
	}

	run("open Authorize",
		chromedp.Click(chromedp.CSS(op+" .btn-clear")),
		chromedp.Click(chromedp.CSS(".auth-wrapper .authorize")),
		chromedp.WaitVisible(chromedp.CSS(".modal-ux .auth-container input")),
	)
	// The scheme's description, as the page renders it (CommonMark): the
	// header line shows whole; written plainly, "<JWT>" was taken for an
	// HTML tag and the page showed "Bearer '.".
	if modal := evalJS[string](t, ctx, `document.querySelector(".modal-ux").innerText`); !strings.Contains(modal, "Authorization: Bearer <JWT>") {
		t.Errorf("the Authorize dialog shows %q, want it to contain %q", modal, "Authorization: Bearer <JWT>")
	}
	run("Authorize with the access token",
		chromedp.SendKeys(chromedp.CSS(".modal-ux .auth-container input"), login.AccessToken),
		chromedp.Click(chromedp.CSS(".modal-ux .auth-btn-wrapper .authorize")),
		chromedp.WaitVisible(chromedp.CSS(".modal-ux .auth-btn-wrapper .btn-done")),
		chromedp.Click(chromedp.CSS(".modal-ux .auth-btn-wrapper .btn-done")),
		chromedp.WaitNotPresent(chromedp.CSS(".modal-ux")),
		chromedp.WaitVisible(chromedp.CSS(op+" .execute")),
		chromedp.Click(chromedp.CSS(op+" .execute")),
	)
	if got := status(); got != "200" {
		t.Fatalf("GET /protected after Authorize: %s, want 200", got)
	}
	body := waitJS(t, ctx, fmt.Sprintf(`(() => {
		const c = document.querySelector(%q);
		return c ? c.textContent : "";
	})()`, op+" .live-responses-table .response .response-col_description pre"), 10*time.Second)
	if !strings.Contains(body, `"alice"`) {
		t.Errorf("response body shown by the page %q does not name alice", body)
	}
}

// docsUI drives the reference server's Swagger UI page in one tab.
type docsUI struct{ demo }

// expand opens the operation (op is its "#operations-TAG-ID" selector)
// and presses "Try it out".
func (d docsUI) expand(op string) {
	d.t.Helper()
	d.do("expand "+op,
		chromedp.WaitVisible(chromedp.CSS(op+" .opblock-summary")),
		chromedp.Click(chromedp.CSS(op+" .opblock-summary-control")),
		chromedp.WaitVisible(chromedp.CSS(op+" .try-out__btn")),
		chromedp.Click(chromedp.CSS(op+" .try-out__btn")),
		chromedp.WaitVisible(chromedp.CSS(op+" .execute")),
	)
}

// execute clears the operation's last response, presses "Execute" and
// returns the status, the body and the curl command the page shows (the
// request as sent, after the page's requestInterceptor).
func (d docsUI) execute(op string) (status, body, curl string) {
	d.t.Helper()
	d.do("execute "+op,
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const b = document.querySelector(%q); if (b) b.click(); })()`, op+" .btn-clear")),
		chromedp.WaitNotPresent(chromedp.CSS(op+" .live-responses-table")),
		chromedp.Click(chromedp.CSS(op+" .execute")),
	)
	text := func(sel string) string {
		d.t.Helper()
		return waitJS(d.t, d.ctx, fmt.Sprintf(`(() => {
			const c = document.querySelector(%q);
			return c ? c.textContent.trim() : "";
		})()`, op+" "+sel), 30*time.Second)
	}
	return text(".live-responses-table .response .response-col_status"),
		text(".live-responses-table .response .response-col_description pre"),
		text(".curl-command")
}

// TestDocsCookieModeCSRF logs in through the docs page of a cookie-mode
// reference server (HTTPS, so the __Host- cookies are kept) and calls
// unsafe-method routes guarded by the refresh cookie (POST /refresh) and
// by the access cookie (DELETE /logout) from the page, without typing
// anything into "Authorize": the page's requestInterceptor copies each
// route's CSRF cookie into its CSRF header. With the interceptor turned
// off, the same call is refused for the missing CSRF header, which shows
// that the header, and nothing else, made the difference.
func TestDocsCookieModeCSRF(t *testing.T) {
	base := startReferenceTLS(t, "AUTHJWT_TOKEN_LOCATION=cookies")
	ctx := newTab(t)
	d := docsUI{demo{t, ctx, base}}
	const (
		login   = "#operations-session-post_login"
		refresh = "#operations-session-post_refresh"
		logout  = "#operations-session-delete_logout"
	)
	d.do("open /docs", chromedp.Navigate(base+"/docs"), chromedp.WaitVisible(chromedp.CSS(login+" .opblock-summary")))

	// The dialog names the cookies literally (code spans, no emphasis).
	d.do("open Authorize",
		chromedp.Click(chromedp.CSS(".auth-wrapper .authorize")),
		chromedp.WaitVisible(chromedp.CSS(".modal-ux .auth-container")),
	)
	modal := evalJS[string](t, ctx, `document.querySelector(".modal-ux").innerText`)
	for _, want := range []string{"The value of the __Host-csrf_access cookie", "The value of the __Host-csrf_refresh cookie"} {
		if !strings.Contains(modal, want) {
			t.Errorf("the Authorize dialog shows %q, want it to contain %q", modal, want)
		}
	}
	d.do("close Authorize",
		chromedp.Click(chromedp.CSS(".modal-ux .auth-btn-wrapper .btn-done")),
		chromedp.WaitNotPresent(chromedp.CSS(".modal-ux")),
	)

	// Log in from the page, with the example body the page fills in.
	d.expand(login)
	if status, body, _ := d.execute(login); status != "200" || !strings.Contains(body, "Logged in") {
		t.Fatalf("POST /login from the docs page: %s %s, want 200 Logged in", status, body)
	}
	cookie := func(name string) string {
		t.Helper()
		jar := evalJS[string](t, ctx, `document.cookie`)
		for part := range strings.SplitSeq(jar, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == name {
				return v
			}
		}
		t.Fatalf("document.cookie %q has no %s", jar, name)
		return ""
	}
	csrfRefresh := cookie("__Host-csrf_refresh")

	// Interceptor off: the browser sends the refresh cookie, not the header.
	d.expand(refresh)
	evalJS[bool](t, ctx, `window.authjwtDocs.sendCSRF = false`)
	status, body, curl := d.execute(refresh)
	if status != "403" || !strings.Contains(body, `"csrf_token_missing"`) {
		t.Errorf("POST /refresh with the interceptor off: %s %s, want 403 csrf_token_missing", status, body)
	}
	if strings.Contains(curl, "X-CSRF-Token") {
		t.Errorf("with the interceptor off the page still sent the CSRF header:\n%s", curl)
	}

	// Interceptor on: the refresh CSRF cookie goes into the header.
	evalJS[bool](t, ctx, `window.authjwtDocs.sendCSRF = true`)
	status, body, curl = d.execute(refresh)
	if status != "200" || !strings.Contains(body, "Token refreshed") {
		t.Errorf("POST /refresh from the docs page: %s %s, want 200 Token refreshed", status, body)
	}
	if !strings.Contains(curl, "X-CSRF-Token: "+csrfRefresh) {
		t.Errorf("POST /refresh was not sent with the refresh CSRF cookie's value %q:\n%s", csrfRefresh, curl)
	}

	// An access-cookie route: its own CSRF cookie, the access one (which
	// the refresh has just replaced).
	csrfAccess := cookie("__Host-csrf_access")
	if csrfAccess == csrfRefresh {
		t.Fatalf("the two CSRF cookies are equal (%q): the test could not tell them apart", csrfAccess)
	}
	d.expand(logout)
	status, body, curl = d.execute(logout)
	if status != "200" || !strings.Contains(body, "Logged out") {
		t.Errorf("DELETE /logout from the docs page: %s %s, want 200 Logged out", status, body)
	}
	if !strings.Contains(curl, "X-CSRF-Token: "+csrfAccess) {
		t.Errorf("DELETE /logout was not sent with the access CSRF cookie's value %q:\n%s", csrfAccess, curl)
	}
}
