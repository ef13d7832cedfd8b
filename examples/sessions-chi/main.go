// Command sessions-chi is a "where you're signed in" page for a chi app:
// every login is a session (authjwt.Auth.StartSession) that the user sees
// in a list — device, address, when it signed in and was last used,
// which one is "this device" — and can end one at a time or all but the
// current one. Ending a session revokes its tokens in the store, so every
// instance sharing the store refuses them at once. A new sign-in is
// announced (OnEvent), as an application would e-mail the user; an
// administrator's route lists and ends any user's sessions.
//
//	go run ./sessions-chi    # then open http://127.0.0.1:8000/
//
// The memory store suits one process; with several, use the Redis or SQL
// store (stores/redisstore, stores/sqlstore), which keep sessions too.
package main

import (
	"context"
	"flag"
	"html/template"
	"log"
	"net/http"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
	"github.com/librenz/authjwt/revoke"
)

func main() {
	flag.Parse()
	store := revoke.NewMemory()
	defer store.Close()
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: demo.Secret()}}
	cfg.Revocation.Store = store
	cfg.Sessions.Enabled = true
	cfg.Sessions.MaxPerSubject = 20 // a 21st login ends the oldest
	// Behind a reverse proxy that sets X-Real-IP, name it (never trust a
	// header a client could send directly):
	// cfg.Sessions.ClientIPHeader = "X-Real-IP"
	app, err := newApp(cfg, &notifier{})
	demo.Serve(app, err)
}

// notifier stands for the application's mailer: it keeps the "new
// sign-in" notices it would send.
type notifier struct {
	mu   sync.Mutex
	sent []string
}

func (n *notifier) newSignIn(ctx context.Context, ev authjwt.SessionEvent) {
	if ev.Kind != authjwt.SessionStarted {
		return
	}
	s := ev.Session
	msg := "New sign-in to your account (" + s.Subject + ") from " + s.UserAgent + " at " + s.ClientIP
	n.mu.Lock()
	n.sent = append(n.sent, msg)
	n.mu.Unlock()
	log.Print(msg)
}

func (n *notifier) messages() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.sent...)
}

// admins may list and end anyone's sessions.
var admins = map[string]bool{"alice": true}

// newApp builds the router on an Auth made from cfg, which must enable
// sessions over a store that keeps them.
func newApp(cfg authjwt.Config, n *notifier) (http.Handler, error) {
	cfg.Sessions.OnEvent = n.newSignIn // the hook runs on the request: keep it quick
	auth, err := authjwt.New(cfg)
	if err != nil {
		return nil, err
	}
	// fail answers a library error as the library does: 404
	// session_not_found, 503 when the store cannot be reached, …
	fail := func(w http.ResponseWriter, r *http.Request, err error) { auth.WriteError(w, r, err) }
	ok := func(w http.ResponseWriter, detail string) {
		demo.JSON(w, http.StatusOK, map[string]string{"detail": detail})
	}

	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, nil)
	})
	// A login is a session: StartSession issues the pair and records the
	// request's user agent and address. Its id is the pair's family.
	r.Post("/login", func(w http.ResponseWriter, r *http.Request) {
		user, good := demo.LoginOr401(w, r)
		if !good {
			return
		}
		pair, err := auth.StartSession(r, user, authjwt.SessionInfo{
			AuthMethod: "pwd",
			Label:      r.Header.Get("X-Device-Name"), // optional, the client's name for itself
		}, authjwt.WithFresh(true))
		if err != nil {
			fail(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, pair)
	})
	// Refreshing keeps the session (its family) and marks it used.
	r.Method("POST", "/refresh", auth.RefreshHandler(authjwt.RefreshOptions{}))

	r.Group(func(r chi.Router) {
		r.Use(auth.Required)
		r.Get("/me", func(w http.ResponseWriter, r *http.Request) {
			demo.JSON(w, http.StatusOK, map[string]string{"user": authjwt.Subject(r.Context())})
		})
		// Where you're signed in: newest first, this device marked
		// "current". ?cursor= pages through a long list.
		r.Get("/account/sessions", func(w http.ResponseWriter, r *http.Request) {
			page, err := auth.Sessions(r.Context(), authjwt.FromContext(r.Context()), r.URL.Query().Get("cursor"), 0)
			if err != nil {
				fail(w, r, err)
				return
			}
			demo.JSON(w, http.StatusOK, page)
		})
		// Sign out one device. Only the user's own sessions: any other id,
		// another user's included, is 404 session_not_found.
		r.Delete("/account/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
			if err := auth.EndSession(r.Context(), authjwt.FromContext(r.Context()), chi.URLParam(r, "id")); err != nil {
				fail(w, r, err)
				return
			}
			ok(w, "Session ended")
		})
		// Sign out all other devices; this one stays signed in.
		r.Post("/account/sessions/end-others", func(w http.ResponseWriter, r *http.Request) {
			if _, err := auth.EndOtherSessions(r.Context(), authjwt.FromContext(r.Context())); err != nil {
				fail(w, r, err)
				return
			}
			ok(w, "Other sessions ended")
		})
		// Sign out everywhere, this device too (after a password change).
		r.Post("/account/sessions/end-all", func(w http.ResponseWriter, r *http.Request) {
			if err := auth.EndAllSessions(r.Context(), authjwt.FromContext(r.Context())); err != nil {
				fail(w, r, err)
				return
			}
			ok(w, "Signed out everywhere")
		})
		// Sign out this device: its session ends with its family.
		r.Delete("/logout", func(w http.ResponseWriter, r *http.Request) {
			if err := auth.RevokeFamily(r.Context(), authjwt.FromContext(r.Context())); err != nil {
				fail(w, r, err)
				return
			}
			ok(w, "Logged out")
		})

		// The administrator's path: any user's sessions. The application
		// guards it; the library trusts the subject it is given.
		r.Route("/admin/users/{user}/sessions", func(r chi.Router) {
			r.Use(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !admins[authjwt.Subject(r.Context())] {
						fail(w, r, authjwt.ErrNotEnoughPerms)
						return
					}
					next.ServeHTTP(w, r)
				})
			})
			r.Get("/", func(w http.ResponseWriter, r *http.Request) {
				page, err := auth.SubjectSessions(r.Context(), "", chi.URLParam(r, "user"), r.URL.Query().Get("cursor"), 0)
				if err != nil {
					fail(w, r, err)
					return
				}
				demo.JSON(w, http.StatusOK, page)
			})
			r.Delete("/{id}", func(w http.ResponseWriter, r *http.Request) {
				if err := auth.EndSubjectSession(r.Context(), "", chi.URLParam(r, "user"), chi.URLParam(r, "id")); err != nil {
					fail(w, r, err)
					return
				}
				ok(w, "Session ended")
			})
		})
	})
	return r, nil
}

// page is the "where you're signed in" page: it logs in, lists the
// sessions and ends them with the API above (the access token kept in
// memory only).
var page = template.Must(template.New("page").Parse(`<!doctype html>
<meta charset="utf-8"><title>Where you're signed in</title>
<h1>Where you're signed in</h1>
<form id="login"><input name="username" value="alice"> <input name="password" type="password" value="secret"> <button>Sign in</button></form>
<ul id="sessions"></ul>
<button id="others" hidden>Sign out all other devices</button>
<script>
let token = "";
const api = (method, path, body) => fetch(path, {method, headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
  body: body && JSON.stringify(body)}).then(r => r.json());
async function show() {
  const {sessions} = await api("GET", "/account/sessions");
  const ul = document.getElementById("sessions");
  ul.replaceChildren(...(sessions || []).map(s => {
    const li = document.createElement("li");
    li.textContent = (s.label || s.user_agent || "unknown device") + " — " + s.client_ip +
      " — signed in " + new Date(s.created_at).toLocaleString() + ", last used " + new Date(s.last_used_at).toLocaleString();
    if (s.current) { li.append(" (this device)"); } else {
      const b = document.createElement("button"); b.textContent = "Sign out";
      b.onclick = async () => { await api("DELETE", "/account/sessions/" + encodeURIComponent(s.id)); show(); };
      li.append(" ", b);
    }
    return li;
  }));
  document.getElementById("others").hidden = !sessions || sessions.length < 2;
}
document.getElementById("login").onsubmit = async e => {
  e.preventDefault();
  const f = new FormData(e.target);
  const pair = await api("POST", "/login", {username: f.get("username"), password: f.get("password")});
  token = pair.access_token; show();
};
document.getElementById("others").onclick = async () => { await api("POST", "/account/sessions/end-others"); show(); };
</script>
`))
