package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/librenz/authjwt"
)

// wsRevocationPoll is how often an open /ws connection asks the
// revocation store whether its token was revoked. Shorter than the
// library's default so that the demo shows a revoked token's connection
// closing promptly; one cheap store lookup per connection every 5 s.
const wsRevocationPoll = 5 * time.Second

func init() {
	addExtension(extension{
		Name:     "websocket",
		Patterns: []string{"GET /ws"},
		Register: func(s *server, mux *http.ServeMux) error {
			mux.Handle("GET /ws", s.auth.WebSocket(authjwt.Requirement{})(http.HandlerFunc(s.handleWS)))
			return nil
		},
	})
}

// handleWS is GET /ws: the handshake was authenticated by the library's
// WebSocket middleware (a token from ?token=, from Sec-WebSocket-Protocol
// "bearer, <token>", or from the cookies with ?csrf_token= and a
// same-origin Origin); a refused handshake was answered with the library's
// status and JSON body. It sends "Successful Login!", echoes every text
// message, and closes with 1008 and the library's message when the token
// expires or is revoked.
func (s *server) handleWS(w http.ResponseWriter, r *http.Request) {
	var protos []string
	if p := authjwt.WebSocketSubprotocol(r.Context()); p != "" {
		// "bearer" (never the token itself).
		protos = []string{p}
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: protos,
		// The middleware already refused cookie handshakes from any origin
		// but the server's own and AUTHJWT_TRUSTED_ORIGINS; handshakes
		// authenticated by a bearer token carry no ambient credential, so
		// they are safe from any origin. coder's own check would refuse
		// those with a plain-text 403 instead of the library's JSON.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept has answered the request.
	}
	defer c.CloseNow()

	ctx, cancel := s.auth.WatchToken(context.Background(), authjwt.FromContext(r.Context()),
		authjwt.WithRevocationPoll(wsRevocationPoll))
	defer cancel()
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(closed)
		if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
			code, reason := authjwt.CloseReason(cause)
			c.Close(websocket.StatusCode(code), reason)
		}
	})
	defer func() {
		if !stop() {
			<-closed
		}
	}()

	// Reads and writes do not use the watched context: coder drops the
	// connection without a close frame when a pending Read's context ends.
	bg := context.Background()
	if err := c.Write(bg, websocket.MessageText, []byte("Successful Login!")); err != nil {
		return
	}
	for {
		typ, msg, err := c.Read(bg)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			c.Close(websocket.StatusUnsupportedData, "Text messages only")
			return
		}
		if err := c.Write(bg, websocket.MessageText, msg); err != nil {
			return
		}
	}
}
