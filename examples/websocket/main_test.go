package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
)

func TestWebSocket(t *testing.T) {
	clock := authjwttest.NewClock(authjwttest.Epoch)
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: authjwttest.Secret}, Now: clock.Now, TokenLocation: []string{"headers", "cookies"}}
	app, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	defer srv.Close()
	a, _ := authjwttest.New(t, cfg)
	pair := authjwttest.Pair(t, a, "alice")
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"

	// The browser's cookies, as /login sets them.
	rec := httptest.NewRecorder()
	if err := a.SetPairCookies(rec, pair); err != nil {
		t.Fatal(err)
	}
	var cookie []string
	csrf := ""
	for _, c := range rec.Result().Cookies() {
		cookie = append(cookie, c.Name+"="+c.Value)
		if c.Name == "__Host-csrf_access" {
			csrf = c.Value
		}
	}
	cookieHeader := http.Header{"Cookie": {strings.Join(cookie, "; ")}, "Origin": {srv.URL}}

	cases := []struct {
		name, why string
		url       string
		opts      websocket.DialOptions
		status    int    // refused handshake
		proto     string // selected subprotocol
	}{
		{"query", "clients that cannot set headers", wsURL + "?token=" + pair.AccessToken, websocket.DialOptions{}, 0, ""},
		{"subprotocol", "browsers: the token stays out of the URL", wsURL, websocket.DialOptions{Subprotocols: []string{"bearer", pair.AccessToken}}, 0, "bearer"},
		{"header", "other clients", wsURL, websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + pair.AccessToken}}}, 0, ""},
		{"cookies", "a logged-in browser, with the CSRF value", wsURL + "?csrf_token=" + csrf, websocket.DialOptions{HTTPHeader: cookieHeader}, 0, ""},
		{"cookies without CSRF", "a handshake is state-changing", wsURL, websocket.DialOptions{HTTPHeader: cookieHeader}, 403, ""},
		{"cookies from another site", "cross-site WebSocket hijacking", wsURL + "?csrf_token=" + csrf, websocket.DialOptions{HTTPHeader: http.Header{"Cookie": cookieHeader["Cookie"], "Origin": {"https://evil.example"}}}, 403, ""},
		{"no token", "", wsURL, websocket.DialOptions{}, 401, ""},
		{"refresh token", "the requirement is an access token", wsURL + "?token=" + pair.RefreshToken, websocket.DialOptions{}, 401, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			conn, res, err := websocket.Dial(ctx, c.url, &c.opts)
			if c.status != 0 {
				if err == nil {
					conn.CloseNow()
					t.Fatalf("handshake accepted, want %d (%s)", c.status, c.why)
				}
				if res == nil || res.StatusCode != c.status {
					t.Fatalf("refused with %v, want %d (%s)", err, c.status, c.why)
				}
				return
			}
			if err != nil {
				t.Fatalf("handshake refused: %v (%s)", err, c.why)
			}
			defer conn.CloseNow()
			if conn.Subprotocol() != c.proto {
				t.Errorf("subprotocol %q, want %q", conn.Subprotocol(), c.proto)
			}
			if _, msg, err := conn.Read(ctx); err != nil || string(msg) != "Successful Login! Hello alice" {
				t.Fatalf("greeting %q, %v", msg, err)
			}
			conn.Write(ctx, websocket.MessageText, []byte("ping"))
			if _, msg, err := conn.Read(ctx); err != nil || string(msg) != "ping" {
				t.Fatalf("echo %q, %v", msg, err)
			}
			conn.Close(websocket.StatusNormalClosure, "")
		})
	}

	// The connection closes when its token expires: one second left.
	clock.Advance(15*time.Minute - time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL+"?token="+pair.AccessToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.Read(ctx) // greeting
	_, _, err = conn.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != "Signature has expired" {
		t.Fatalf("after expiry: %v", err)
	}
}
