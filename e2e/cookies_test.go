package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

// appPage drives the cookie flow from JavaScript, as a browser app would:
// it reads the CSRF cookie and sends it in the X-CSRF-Token header.
const appPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>authjwt cookie mode</title></head>
<body>
<form id="login">
  <input id="username" name="username" autocomplete="username">
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button id="submit" type="submit">Log in</button>
</form>
<p id="status"></p>
<script>
function csrf(name) {
  name = name || '__Host-csrf_access';
  for (const part of document.cookie.split('; ')) {
    const i = part.indexOf('=');
    if (part.slice(0, i) === name) return decodeURIComponent(part.slice(i + 1));
  }
  return '';
}
async function call(method, path, withCSRF) {
  const headers = {};
  if (withCSRF) headers['X-CSRF-Token'] = csrf();
  const r = await fetch(path, {method, headers, credentials: 'same-origin'});
  return r.status;
}
document.getElementById('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await fetch('/login', {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({username: username.value, password: password.value}),
  });
  document.getElementById('status').textContent = r.ok ? 'logged in' : 'refused ' + r.status;
});
</script>
</body></html>`

// attackerPage, served from another origin, submits a form to the app as
// soon as it loads: a classic cross-site request forgery.
const attackerPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>attacker</title></head>
<body onload="document.forms[0].submit()">
<form method="POST" action="%s/protected"><input name="amount" value="1000"></form>
</body></html>`

// cookieApp is a small application using authjwt in cookie mode.
type cookieApp struct {
	auth    *authjwt.Auth
	reached atomic.Int32 // times the protected handler ran
	mu      sync.Mutex
	refused []authjwt.Code // codes of refused requests, in order
}

func newCookieApp(t *testing.T) *cookieApp {
	t.Helper()
	app := &cookieApp{}
	a, err := authjwt.New(authjwt.Config{
		Keys:          authjwt.KeyConfig{SecretKey: "e2e-secret-of-at-least-32-bytes!"},
		TokenLocation: []string{authjwt.LocationCookies},
		Revocation: authjwt.RevocationConfig{
			Enabled: true,
			Store:   revoke.NewMemory(),
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			app.mu.Lock()
			app.refused = append(app.refused, authjwt.AsError(err).Code)
			app.mu.Unlock()
			authjwt.WriteError(w, r, err)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	app.auth = a
	return app
}

func (app *cookieApp) lastRefusal() authjwt.Code {
	app.mu.Lock()
	defer app.mu.Unlock()
	if len(app.refused) == 0 {
		return ""
	}
	return app.refused[len(app.refused)-1]
}

func (app *cookieApp) handler() http.Handler {
	a := app.auth
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, appPage)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var c struct{ Username, Password string }
		if err := json.NewDecoder(r.Body).Decode(&c); err != nil || c.Username != "alice" || c.Password != "wonderland" {
			http.Error(w, `{"detail":"Bad username or password"}`, http.StatusUnauthorized)
			return
		}
		p, err := a.CreatePair(c.Username, authjwt.WithFresh(true))
		if err == nil {
			err = a.SetPairCookies(w, p)
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"detail":"Logged in"}`)
	})
	mux.Handle("POST /protected", a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.reached.Add(1)
		json.NewEncoder(w).Encode(map[string]string{"hello": authjwt.Subject(r.Context())})
	})))
	mux.Handle("DELETE /logout", a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.RevokeFamily(r.Context(), authjwt.FromContext(r.Context())); err != nil {
			a.WriteError(w, r, err)
			return
		}
		if err := a.UnsetCookies(w); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprint(w, `{"detail":"Logged out"}`)
	})))
	return mux
}

var authCookies = []string{"__Host-access_token", "__Host-refresh_token", "__Host-csrf_access", "__Host-csrf_refresh"}

func TestBrowserCookieFlow(t *testing.T) {
	ctx := newTab(t)
	app := newCookieApp(t)
	srv := serveTLS(t, app.handler())
	base := srv.URL // https://127.0.0.1:<port>

	// Log in through the page.
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), "wonderland"),
		chromedp.Click(chromedp.CSS("#submit")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if status := waitJS(t, ctx, `document.getElementById('status').textContent`, 20*time.Second); status != "logged in" {
		t.Fatalf("login: %q", status)
	}

	// The browser stored all four cookies, with the attributes we set.
	stored := browserCookies(t, ctx, base+"/")
	for _, name := range authCookies {
		c := stored[name]
		if c == nil {
			t.Fatalf("browser did not store %s (stored: %v)", name, names(stored))
		}
		wantHTTPOnly := !strings.Contains(name, "csrf")
		if c.HTTPOnly != wantHTTPOnly || !c.Secure || c.SameSite != "Lax" || c.Path != "/" || c.Session {
			t.Errorf("%s stored as httpOnly=%v secure=%v sameSite=%s path=%s session=%v", name, c.HTTPOnly, c.Secure, c.SameSite, c.Path, c.Session)
		}
	}
	if d := time.Until(time.Unix(int64(stored["__Host-refresh_token"].Expires), 0)); d < 13*24*time.Hour {
		t.Errorf("refresh cookie expires in %v, want its token's 14 days", d)
	}

	// Token cookies are out of reach of scripts; CSRF cookies are readable.
	jar := evalJS[string](t, ctx, `document.cookie`)
	for _, name := range authCookies {
		visible := strings.Contains(jar, name+"=")
		if want := strings.Contains(name, "csrf"); visible != want {
			t.Errorf("document.cookie = %q: %s visible = %v, want %v", jar, name, visible, want)
		}
	}

	// A protected POST: with the header 200, without it 403.
	if got := evalJS[int](t, ctx, `call('POST', '/protected', true)`); got != 200 {
		t.Errorf("POST with CSRF header: %d, want 200 (last refusal %q)", got, app.lastRefusal())
	}
	if got := evalJS[int](t, ctx, `call('POST', '/protected', false)`); got != 403 || app.lastRefusal() != authjwt.CodeCSRFMissing {
		t.Errorf("POST without CSRF header: %d %q, want 403 %s", got, app.lastRefusal(), authjwt.CodeCSRFMissing)
	}
	if n := app.reached.Load(); n != 1 {
		t.Errorf("protected handler ran %d times, want 1", n)
	}

	// Log out: the server revokes and unsets; the browser keeps no auth cookie.
	if got := evalJS[int](t, ctx, `call('DELETE', '/logout', true)`); got != 200 {
		t.Fatalf("logout: %d (last refusal %q)", got, app.lastRefusal())
	}
	if left := browserCookies(t, ctx, base+"/"); len(left) != 0 {
		t.Errorf("cookies left after logout: %v", names(left))
	}
	if got := evalJS[string](t, ctx, `document.cookie`); got != "" {
		t.Errorf("document.cookie after logout = %q", got)
	}
	if got := evalJS[int](t, ctx, `call('POST', '/protected', true)`); got != 401 {
		t.Errorf("POST after logout: %d, want 401", got)
	}
}

func TestBrowserCrossOriginFormRefused(t *testing.T) {
	ctx := newTab(t)
	app := newCookieApp(t)
	srv := serveTLS(t, app.handler())
	// Another origin (same host, another port): the browser still sends the
	// SameSite=Lax cookies with its form POST, since it is the same site.
	attacker := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, attackerPage, srv.URL)
	}))

	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), "wonderland"),
		chromedp.Click(chromedp.CSS("#submit")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if status := waitJS(t, ctx, `document.getElementById('status').textContent`, 20*time.Second); status != "logged in" {
		t.Fatalf("login: %q", status)
	}

	// The attacker's page auto-submits; the tab lands on the app's answer.
	if err := chromedp.Do(ctx, chromedp.Navigate(attacker.URL+"/")); err != nil {
		t.Fatal(err)
	}
	body := waitJS(t, ctx, `location.pathname === '/protected' && document.body ? document.body.innerText : ''`, 20*time.Second)
	if !strings.Contains(body, string(authjwt.CodeCrossOrigin)) || app.lastRefusal() != authjwt.CodeCrossOrigin {
		t.Errorf("forged POST answered %q (last refusal %q), want %s", body, app.lastRefusal(), authjwt.CodeCrossOrigin)
	}
	if n := app.reached.Load(); n != 0 {
		t.Errorf("protected handler ran %d times for a forged request", n)
	}
	// The session itself is intact.
	if c := browserCookies(t, ctx, srv.URL+"/"); c["__Host-access_token"] == nil {
		t.Error("access cookie gone")
	}
}

func names[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
