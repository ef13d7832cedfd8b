package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/librenz/authjwt"
)

// wsDial opens /ws on ts with a real client.
func wsDial(t *testing.T, ts *testServer, query url.Values, h http.Header, protos []string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(ts.srv.URL, "http") + "/ws"
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h, Subprotocols: protos})
}

// wsExpectEcho reads the greeting and checks the echo.
func wsExpectEcho(t *testing.T, c *websocket.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, msg, err := c.Read(ctx)
	if err != nil || string(msg) != "Successful Login!" {
		t.Fatalf("greeting = %q, %v", msg, err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != "hello" {
		t.Fatalf("echo = %q, %v", msg, err)
	}
	c.Close(websocket.StatusNormalClosure, "")
}

// wsExpectRefused checks a refused handshake's status and JSON body.
func wsExpectRefused(t *testing.T, resp *http.Response, err error, status int, detail string) {
	t.Helper()
	if err == nil {
		t.Fatalf("handshake accepted, want %d %q", status, detail)
	}
	if resp == nil || resp.StatusCode != status {
		t.Fatalf("handshake: %v, want status %d", err, status)
	}
	b, _ := io.ReadAll(resp.Body)
	var body struct{ Detail, Code string }
	if json.Unmarshal(b, &body) != nil || body.Code == "" || (detail != "" && body.Detail != detail) {
		t.Fatalf("body = %s, want detail %q", b, detail)
	}
}

func TestWebSocketRoute(t *testing.T) {
	clk := newClock()
	ts := startServer(t, authConfig(t, "HS256", clk), clk)
	access, refresh := ts.login("alice", "secret")

	c, _, err := wsDial(t, ts, url.Values{"token": {access}}, nil, nil)
	if err != nil {
		t.Fatalf("query token: %v", err)
	}
	wsExpectEcho(t, c)

	c, resp, err := wsDial(t, ts, nil, nil, []string{"bearer", access})
	if err != nil {
		t.Fatalf("subprotocol token: %v", err)
	}
	if c.Subprotocol() != "bearer" || strings.Contains(strings.Join(resp.Header.Values("Sec-WebSocket-Protocol"), ","), access) {
		t.Fatalf("selected %q; response header %v", c.Subprotocol(), resp.Header)
	}
	wsExpectEcho(t, c)

	_, resp, err = wsDial(t, ts, nil, nil, nil)
	wsExpectRefused(t, resp, err, 401, "Missing access token from Query or Path")
	_, resp, err = wsDial(t, ts, url.Values{"token": {refresh}}, nil, nil)
	wsExpectRefused(t, resp, err, 401, "Only access tokens are allowed")
	// A cross-site page may use a token it holds: no ambient credential.
	c, _, err = wsDial(t, ts, url.Values{"token": {access}}, http.Header{"Origin": {"https://elsewhere.example"}}, nil)
	if err != nil {
		t.Fatalf("bearer handshake from another origin: %v", err)
	}
	wsExpectEcho(t, c)
}

func TestWebSocketRouteCookies(t *testing.T) {
	clk := newClock()
	cfg := authConfig(t, "HS256", clk)
	cfg.TokenLocation = []string{authjwt.LocationCookies}
	cfg.Cookies.Insecure = true
	ts := startServer(t, cfg, clk)
	r := ts.do(req{method: "POST", path: "/login", body: `{"username":"alice","password":"secret"}`})
	r.expect(t, "login", 200, "Logged in")
	var cookie []string
	csrf := ""
	for _, c := range r.cookie {
		switch c.Name {
		case "access_token":
			cookie = append(cookie, c.Name+"="+c.Value)
		case "csrf_access":
			csrf = c.Value
		}
	}
	if len(cookie) == 0 || csrf == "" {
		t.Fatalf("login cookies: %v", r.cookie)
	}
	same := http.Header{"Origin": {ts.srv.URL}, "Cookie": cookie}

	c, _, err := wsDial(t, ts, url.Values{"csrf_token": {csrf}}, same, nil)
	if err != nil {
		t.Fatalf("cookie handshake: %v", err)
	}
	wsExpectEcho(t, c)

	_, resp, err := wsDial(t, ts, nil, same, nil)
	wsExpectRefused(t, resp, err, 403, "Missing CSRF Token")
	_, resp, err = wsDial(t, ts, url.Values{"csrf_token": {"wrong"}}, same, nil)
	wsExpectRefused(t, resp, err, 403, "CSRF double submitted tokens do not match")
	_, resp, err = wsDial(t, ts, url.Values{"csrf_token": {csrf}}, http.Header{"Origin": {"https://evil.example"}, "Cookie": cookie}, nil)
	wsExpectRefused(t, resp, err, 403, "")
	_, resp, err = wsDial(t, ts, url.Values{"csrf_token": {csrf}}, http.Header{"Cookie": cookie}, nil)
	wsExpectRefused(t, resp, err, 403, "")
}
