package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// sessionRows is what the demo page's "Your sessions" panel lists: one
// entry per row, the session id then "*" for the current one.
func (d demo) sessionRows() []string {
	d.t.Helper()
	s := evalJS[string](d.t, d.ctx, `Array.from(document.querySelectorAll("#sessions li")).map(li => li.dataset.sessionId + (li.classList.contains("current") ? "*" : "")).join(" ")`)
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

// showSessions clicks "Show my sessions" and returns the panel's rows.
func (d demo) showSessions() []string {
	d.t.Helper()
	d.click("#sessload", "GET /sessions → 200\n")
	return d.sessionRows()
}

// waitRows waits until the panel lists n rows (it reloads itself after an
// action, without writing to the response panel) and returns them.
func (d demo) waitRows(n int) []string {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows := d.sessionRows()
		if len(rows) == n {
			return rows
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("the sessions panel lists %v, want %d rows", rows, n)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// current returns the id of the row marked current, failing unless
// exactly one is.
func current(t *testing.T, rows []string) string {
	t.Helper()
	var cur []string
	for _, r := range rows {
		if id, ok := strings.CutSuffix(r, "*"); ok {
			cur = append(cur, id)
		}
	}
	if len(cur) != 1 {
		t.Fatalf("sessions panel rows %v: %d marked current, want 1", rows, len(cur))
	}
	return cur[0]
}

// TestReferenceServerSessions drives the demo page's "Your sessions"
// panel from two browser contexts (two devices of alice), in header and
// in cookie mode: each sees both sessions with its own marked current;
// ending the other one from the panel makes the other context's next
// request refused while this one goes on; "End other sessions" does the
// same for a new login. The other device's user agent, an HTML payload
// here, is shown as text.
func TestReferenceServerSessions(t *testing.T) {
	for _, mode := range []struct {
		name string
		env  []string
	}{
		{"headers", nil},
		{"cookies", []string{"AUTHJWT_TOKEN_LOCATION=cookies"}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			laptop, phone := newTab(t), newTab(t)
			const evilUA = `Mozilla/5.0 (phone) <img src=x onerror="window.pwned=1">`
			if _, err := chromedp.Call(phone, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: evilUA}); err != nil {
				t.Fatalf("Emulation.setUserAgentOverride: %v", err)
			}
			base := startReferenceTLS(t, mode.env...)
			a, b := demo{t, laptop, base}, demo{t, phone, base}
			a.open()
			b.open()

			if rows := a.showSessionsRefused(); len(rows) != 0 {
				t.Fatalf("before logging in, the panel lists %v", rows)
			}
			if got := evalJS[string](t, laptop, `document.getElementById("sessstatus").textContent`); !strings.Contains(got, "Log in") {
				t.Errorf("panel status before logging in: %q", got)
			}
			a.call("POST /login", 200)
			b.call("POST /login", 200)
			a.call("GET /protected", 200)
			b.call("GET /protected", 200)

			rowsA, rowsB := a.showSessions(), b.showSessions()
			if len(rowsA) != 2 || len(rowsB) != 2 {
				t.Fatalf("panels list %v and %v, want both sessions in each", rowsA, rowsB)
			}
			idA, idB := current(t, rowsA), current(t, rowsB)
			if idA == idB {
				t.Fatalf("both contexts marked %s current", idA)
			}
			for _, r := range rowsA {
				if r != idA+"*" && r != idB {
					t.Fatalf("laptop's panel %v: want %s (current) and %s", rowsA, idA, idB)
				}
			}

			// The phone's user agent is text in the laptop's panel, not markup.
			text := evalJS[string](t, laptop, fmt.Sprintf(`document.querySelector('#sessions li[data-session-id=%q] .sessdesc').textContent`, idB))
			if !strings.Contains(text, evilUA) {
				t.Errorf("the phone's row reads %q, want its user agent %q", text, evilUA)
			}
			if n := evalJS[int](t, laptop, `document.querySelectorAll("#sessions img").length`); n != 0 {
				t.Errorf("the user agent became %d <img> element(s) in the panel", n)
			}
			if pwned := evalJS[bool](t, laptop, `window.pwned === 1`); pwned {
				t.Error("the user agent's markup ran in the page")
			}

			// End the phone's session from the laptop's panel.
			got := a.click(fmt.Sprintf(`#sessions li[data-session-id=%q] button.sessend`, idB), "DELETE /sessions/")
			if !strings.HasPrefix(got, "DELETE /sessions/"+idB+" → 200\n") || !strings.Contains(got, "Session ended") {
				t.Fatalf("ending the phone's session: panel %q", got)
			}
			if rows := a.waitRows(1); rows[0] != idA+"*" {
				t.Errorf("after ending the phone's session the panel lists %v, want only %s (current)", rows, idA)
			}
			if got := b.call("GET /protected", 401); !strings.Contains(got, "token_revoked") {
				t.Errorf("the phone's next request: %q, want token_revoked", got)
			}
			b.call("POST /refresh", 401)
			a.call("GET /protected", 200)
			if mode.name == "cookies" {
				// The page's own cookies (a header-mode page keeps its
				// tokens out of reach): ending it again is 404.
				csrf := evalJS[string](t, laptop, `decodeURIComponent((document.cookie.split("; ").find(c => c.startsWith("__Host-csrf_access=")) || "=").split("=")[1])`)
				if got := a.fetch("DELETE", "/sessions/"+idB, csrf); got != "404 session_not_found" {
					t.Errorf("DELETE of the ended session again: %s, want 404 session_not_found", got)
				}
			}

			// The phone logs in again; "End other sessions" on the laptop
			// ends it and keeps the laptop's.
			b.call("POST /login", 200)
			b.call("GET /protected", 200)
			if rows := a.showSessions(); len(rows) != 2 {
				t.Fatalf("after the phone's new login the laptop lists %v", rows)
			}
			if got := a.call("POST /logout-others", 200); !strings.Contains(got, "Other sessions ended") {
				t.Errorf("POST /logout-others panel %q", got)
			}
			if rows := a.waitRows(1); rows[0] != idA+"*" {
				t.Errorf("after ending the others the panel lists %v, want only %s (current)", rows, idA)
			}
			b.call("GET /protected", 401)
			a.call("GET /protected", 200)
			if rows := b.showSessionsRefused(); len(rows) != 0 {
				t.Errorf("the ended phone's panel lists %v", rows)
			}
		})
	}
}

// showSessionsRefused clicks "Show my sessions" where the page's session
// has ended: the list is refused (401) and the panel empty.
func (d demo) showSessionsRefused() []string {
	d.t.Helper()
	d.click("#sessload", "GET /sessions → 401\n")
	return d.sessionRows()
}
