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
