// Command websocket authenticates WebSocket connections (with
// github.com/coder/websocket) before they are accepted: the handshake
// carries the access token in the query (?token=, for clients that cannot
// set headers), in the Sec-WebSocket-Protocol header (the browser's
// new WebSocket(url, ["bearer", token]), which keeps the token out of
// URLs and logs), in the Authorization header (other clients), or as the
// cookies of a logged-in browser with ?csrf_token= and a same-origin
// Origin. A refused handshake gets the library's status and JSON body and
// no connection. An accepted connection is closed with 1008 when its token
// expires (or is revoked), thanks to WatchToken.
//
//	go run ./websocket -insecure    # then open http://localhost:8000/
package main

import (
	"context"
	"errors"
	"flag"
	"net/http"

	"github.com/coder/websocket"
	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
)

func main() {
	insecure := flag.Bool("insecure", false, "plain-HTTP development: cookies without Secure and without the __Host- prefix")
	flag.Parse()
	demo.Serve(newApp(authjwt.Config{
		Keys:          authjwt.KeyConfig{SecretKey: demo.Secret()},
		TokenLocation: []string{authjwt.LocationHeaders, authjwt.LocationCookies},
		Cookies:       authjwt.CookieConfig{Insecure: *insecure},
	}))
}

func newApp(cfg authjwt.Config) (http.Handler, error) {
	auth, err := authjwt.New(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		pair, err := auth.CreatePair(u)
		if err == nil {
			err = auth.SetPairCookies(w, pair)
		}
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		demo.JSON(w, http.StatusOK, pair)
	})
	// auth.WebSocket checks the handshake before the handler runs; use
	// Requirement{Fresh: true}, {Refresh: true} or {Optional: true} as
	// for HTTP routes.
	mux.Handle("GET /ws", auth.WebSocket(authjwt.Requirement{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var protos []string
		if p := authjwt.WebSocketSubprotocol(r.Context()); p != "" {
			protos = []string{p} // "bearer": the browser fails the connection unless it is selected
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: protos})
		if err != nil {
			return
		}
		defer c.CloseNow()
		echo(r.Context(), auth, c, authjwt.FromContext(r.Context()))
	})))
	return mux, nil
}

// echo greets the user and echoes messages until the client leaves or the
// token stops being valid.
func echo(ctx context.Context, auth *authjwt.Auth, c *websocket.Conn, t *authjwt.Token) {
	watch, stop := auth.WatchToken(ctx, t)
	defer stop()
	go func() {
		<-watch.Done()
		if cause := context.Cause(watch); !errors.Is(cause, context.Canceled) {
			// 1008 "Signature has expired", 1008 "Token has been revoked"…
			code, reason := authjwt.CloseReason(cause)
			c.Close(websocket.StatusCode(code), reason)
		}
	}()
	if err := c.Write(ctx, websocket.MessageText, []byte("Successful Login! Hello "+t.Subject())); err != nil {
		return
	}
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}

const page = `<!DOCTYPE html>
<title>authjwt WebSocket</title>
<button onclick="login()">Log in as alice</button>
<button onclick="connect()">Connect</button>
<ul id="log"></ul>
<script>
let token = '';
const log = (m) => { const li = document.createElement('li'); li.textContent = m; document.getElementById('log').append(li); };
async function login() {
  const r = await fetch('/login', {method: 'POST', body: JSON.stringify({username: 'alice', password: 'secret'})});
  token = (await r.json()).access_token;
  log('logged in');
}
function connect() {
  // The token travels as a subprotocol, not in the URL.
  const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws', ['bearer', token]);
  ws.onopen = () => ws.send('ping');
  ws.onmessage = (e) => log('← ' + e.data);
  ws.onclose = (e) => log('closed ' + e.code + ' ' + e.reason);
}
</script>
`
