package wstest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"

	"github.com/librenz/authjwt"
)

// greeting is what the echo servers send first, as the reference server's
// /ws does.
const greeting = "Successful Login!"

// revocationPoll is short so that revocation tests stay fast.
const revocationPoll = 50 * time.Millisecond

// greet returns the first message: the seed's "hello world"/"hello
// anonym" on optional routes, else the greeting.
func greet(optional bool) func(*http.Request) string {
	return func(r *http.Request) string {
		if !optional {
			return greeting
		}
		if authjwt.FromContext(r.Context()) != nil {
			return "hello world"
		}
		return "hello anonym"
	}
}

// serverLib is one WebSocket library's server side.
type serverLib struct {
	name string
	// echo upgrades a request authenticated by a.WebSocket, sends the
	// greeting, echoes text until the client leaves, and closes with 1008
	// when the token expires or is revoked.
	echo func(a *authjwt.Auth, first func(*http.Request) string) http.Handler
	// acceptFirst accepts every handshake, then authenticates it (the
	// seed's style) and closes with CloseReason on failure.
	acceptFirst func(a *authjwt.Auth, req authjwt.Requirement) http.Handler
}

var serverLibs = []serverLib{
	{"coder", coderEcho, coderAcceptFirst},
	{"gorilla", gorillaEcho, gorillaAcceptFirst},
}

// coderEcho is the recommended pattern with github.com/coder/websocket.
func coderEcho(a *authjwt.Auth, first func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var protos []string
		if p := authjwt.WebSocketSubprotocol(r.Context()); p != "" {
			protos = []string{p}
		}
		c, err := coder.Accept(w, r, &coder.AcceptOptions{
			Subprotocols: protos,
			// Cookie handshakes were checked by authjwt against the
			// server's own origin and these; bearer handshakes are safe
			// from any origin, but coder checks all of them.
			OriginPatterns: a.Config().Cookies.TrustedOrigins,
		})
		if err != nil {
			return
		}
		defer c.CloseNow()

		// The connection lives until the token expires or is revoked.
		ctx, cancel := a.WatchToken(context.Background(), authjwt.FromContext(r.Context()),
			authjwt.WithRevocationPoll(revocationPoll))
		defer cancel()
		closed := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(closed)
			if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
				code, reason := authjwt.CloseReason(cause)
				c.Close(coder.StatusCode(code), reason)
			}
		})
		defer func() {
			if !stop() {
				<-closed
			}
		}()

		// Reads and writes use a context that is not the watched one:
		// coder drops the connection without a close frame when the
		// context of a pending Read ends.
		bg := context.Background()
		if err := c.Write(bg, coder.MessageText, []byte(first(r))); err != nil {
			return
		}
		for {
			typ, msg, err := c.Read(bg)
			if err != nil {
				return
			}
			if err := c.Write(bg, typ, msg); err != nil {
				return
			}
		}
	})
}

func coderAcceptFirst(a *authjwt.Auth, req authjwt.Requirement) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, proto, err := a.CheckWebSocket(r, req)
		var protos []string
		if proto != "" {
			protos = []string{proto}
		}
		c, aerr := coder.Accept(w, r, &coder.AcceptOptions{Subprotocols: protos, InsecureSkipVerify: true})
		if aerr != nil {
			return
		}
		defer c.CloseNow()
		if err != nil {
			code, reason := authjwt.CloseReason(err)
			c.Close(coder.StatusCode(code), reason)
			return
		}
		c.Write(r.Context(), coder.MessageText, []byte(greeting))
		c.Close(coder.StatusNormalClosure, "")
	})
}

// gorillaOrigin allows what authjwt allows: the server's own host and the
// trusted origins. (Cookie handshakes were already checked by authjwt.)
func gorillaOrigin(a *authjwt.Auth) func(*http.Request) bool {
	return func(r *http.Request) bool {
		o := r.Header.Get("Origin")
		if o == "" || strings.EqualFold(strings.TrimPrefix(strings.TrimPrefix(o, "http://"), "https://"), r.Host) {
			return true
		}
		return slices.Contains(a.Config().Cookies.TrustedOrigins, o)
	}
}

// gorillaEcho is the recommended pattern with github.com/gorilla/websocket.
func gorillaEcho(a *authjwt.Auth, first func(*http.Request) string) http.Handler {
	up := gorilla.Upgrader{CheckOrigin: gorillaOrigin(a)}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var h http.Header
		if p := authjwt.WebSocketSubprotocol(r.Context()); p != "" {
			h = http.Header{"Sec-Websocket-Protocol": {p}}
		}
		c, err := up.Upgrade(w, r, h)
		if err != nil {
			return
		}
		defer c.Close()

		ctx, cancel := a.WatchToken(context.Background(), authjwt.FromContext(r.Context()),
			authjwt.WithRevocationPoll(revocationPoll))
		defer cancel()
		closed := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(closed)
			if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
				code, reason := authjwt.CloseReason(cause)
				// WriteControl may run concurrently with the read loop,
				// which receives the client's answering close frame.
				c.WriteControl(gorilla.CloseMessage, gorilla.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
			}
		})
		defer func() {
			if !stop() {
				<-closed
			}
		}()

		if err := c.WriteMessage(gorilla.TextMessage, []byte(first(r))); err != nil {
			return
		}
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, msg); err != nil {
				return
			}
		}
	})
}

func gorillaAcceptFirst(a *authjwt.Auth, req authjwt.Requirement) http.Handler {
	up := gorilla.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, proto, err := a.CheckWebSocket(r, req)
		var h http.Header
		if proto != "" {
			h = http.Header{"Sec-Websocket-Protocol": {proto}}
		}
		c, uerr := up.Upgrade(w, r, h)
		if uerr != nil {
			return
		}
		defer c.Close()
		msg := gorilla.FormatCloseMessage(gorilla.CloseNormalClosure, "")
		if err != nil {
			msg = gorilla.FormatCloseMessage(authjwt.CloseReason(err))
		} else {
			c.WriteMessage(gorilla.TextMessage, []byte(greeting))
		}
		c.WriteControl(gorilla.CloseMessage, msg, time.Now().Add(time.Second))
		// Wait for the client's close frame (or give up).
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
}

// newServer serves the seed's WebSocket routes, guarded by a, with lib.
func newServer(t *testing.T, a *authjwt.Auth, lib serverLib, opts ...authjwt.WebSocketOption) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	route := func(path string, req authjwt.Requirement) {
		mux.Handle(path, a.WebSocket(req, opts...)(lib.echo(a, greet(req.Optional))))
	}
	route("/jwt-required", authjwt.Requirement{})
	route("/jwt-optional", authjwt.Requirement{Optional: true})
	route("/jwt-refresh-required", authjwt.Requirement{Refresh: true})
	route("/fresh-jwt-required", authjwt.Requirement{Fresh: true})
	mux.Handle("/accept-first", lib.acceptFirst(a, authjwt.Requirement{}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// client is one WebSocket library's client side.
type client interface {
	Read(ctx context.Context) (string, error)
	Write(ctx context.Context, s string) error
	Subprotocol() string
	Close()
}

type dialFunc func(ctx context.Context, url string, h http.Header, protos []string) (client, *http.Response, error)

type clientLib struct {
	name string
	dial dialFunc
}

var clientLibs = []clientLib{{"coder", dialCoder}, {"gorilla", dialGorilla}}

type coderClient struct{ c *coder.Conn }

func (c coderClient) Read(ctx context.Context) (string, error) {
	_, b, err := c.c.Read(ctx)
	return string(b), err
}
func (c coderClient) Write(ctx context.Context, s string) error {
	return c.c.Write(ctx, coder.MessageText, []byte(s))
}
func (c coderClient) Subprotocol() string { return c.c.Subprotocol() }
func (c coderClient) Close()              { c.c.Close(coder.StatusNormalClosure, "") }

func dialCoder(ctx context.Context, url string, h http.Header, protos []string) (client, *http.Response, error) {
	c, resp, err := coder.Dial(ctx, url, &coder.DialOptions{HTTPHeader: h, Subprotocols: protos})
	if err != nil {
		return nil, resp, err
	}
	return coderClient{c}, resp, nil
}

type gorillaClient struct{ c *gorilla.Conn }

func (c gorillaClient) Read(ctx context.Context) (string, error) {
	if dl, ok := ctx.Deadline(); ok {
		c.c.SetReadDeadline(dl)
	}
	_, b, err := c.c.ReadMessage()
	return string(b), err
}
func (c gorillaClient) Write(ctx context.Context, s string) error {
	return c.c.WriteMessage(gorilla.TextMessage, []byte(s))
}
func (c gorillaClient) Subprotocol() string { return c.c.Subprotocol() }
func (c gorillaClient) Close() {
	c.c.WriteControl(gorilla.CloseMessage, gorilla.FormatCloseMessage(gorilla.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.c.Close()
}

func dialGorilla(ctx context.Context, url string, h http.Header, protos []string) (client, *http.Response, error) {
	d := gorilla.Dialer{Subprotocols: protos, HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.DialContext(ctx, url, h)
	if err != nil {
		return nil, resp, err
	}
	return gorillaClient{c}, resp, nil
}

// closeOf returns the close code and reason in a read error of either
// library.
func closeOf(err error) (code int, reason string, ok bool) {
	var ce coder.CloseError
	if errors.As(err, &ce) {
		return int(ce.Code), ce.Reason, true
	}
	var ge *gorilla.CloseError
	if errors.As(err, &ge) {
		return ge.Code, ge.Text, true
	}
	return 0, "", false
}

// readBody reads what the library kept of a refused handshake's body.
func readBody(resp *http.Response) string {
	if resp == nil || resp.Body == nil {
		return ""
	}
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// wsURL turns the test server's URL and a path into a ws:// URL.
func wsURL(srv *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + path
}
