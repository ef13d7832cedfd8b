package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
)

// net/http answers a request it cannot parse (no Host, a malformed header
// line or URI, two Content-Lengths, an unknown HTTP version or transfer
// coding, a header over Server.MaxHeaderBytes) itself, before any handler
// runs, with a plain-text body, in one Write of
//
//	HTTP/1.1 <code> <text>\r\n<netHTTPErrorHeaders><body>
//
// on the connection, which it closes after. No hook of net/http's changes
// that answer, so on plain HTTP the server wraps its listener's
// connections and rewrites exactly that Write into the spec's JSON body.
// A handler's response never matches: net/http writes its header fields
// sorted (Connection before Content-Type) and always adds Date. Under TLS
// net/http needs the *tls.Conn itself (for the handshake and r.TLS), so
// these answers stay plain text there, as docs/reference-server.md says.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// jsonErrorListener wraps every accepted connection in a jsonErrorConn.
type jsonErrorListener struct{ net.Listener }

func (l jsonErrorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonErrorConn{c}, nil
}

// jsonErrorConn rewrites net/http's own plain-text error answers (see
// netHTTPErrorHeaders) into JSON and passes every other write through.
type jsonErrorConn struct{ net.Conn }

func (c *jsonErrorConn) Write(p []byte) (int, error) {
	if b, ok := jsonNetHTTPError(p); ok {
		if _, err := c.Conn.Write(b); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite keeps net/http's half-close before it closes a connection
// it answered with an error (the TCP connection's, when it has one).
func (c *jsonErrorConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// netHTTPErrorCodes gives the stable code of each status net/http answers
// by itself.
var netHTTPErrorCodes = map[int]string{
	http.StatusBadRequest:                  "bad_request",
	http.StatusRequestHeaderFieldsTooLarge: string(errHeaderTooLarge.Code),
	http.StatusNotImplemented:              "not_implemented",
	http.StatusHTTPVersionNotSupported:     "http_version_not_supported",
}

// jsonNetHTTPError returns the JSON answer for p when p is one of
// net/http's own plain-text error answers, whole.
func jsonNetHTTPError(p []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	// Every response's first Write passes here: a 2xx or 3xx leaves at
	// its first digit, without allocating.
	if !ok || len(rest) < 4 || rest[0] < '4' || rest[0] > '5' || rest[3] != ' ' {
		return nil, false
	}
	code := 0
	for _, d := range rest[:3] {
		if d < '0' || d > '9' {
			return nil, false
		}
		code = code*10 + int(d-'0')
	}
	line, body, ok := bytes.Cut(rest, []byte(netHTTPErrorHeaders))
	if !ok || bytes.ContainsAny(line, "\r\n") || bytes.ContainsAny(body, "\r\n") {
		return nil, false
	}
	name, ok := netHTTPErrorCodes[code]
	if !ok {
		name = "http_error"
	}
	detail := string(bytes.TrimSpace(body))
	if code == http.StatusRequestHeaderFieldsTooLarge {
		detail = errHeaderTooLarge.Message
	} else if t := http.StatusText(code); detail == strconv.Itoa(code)+" "+t || detail == "" {
		detail = t
	} else if d, ok := bytes.CutPrefix(body, []byte(strconv.Itoa(code)+" ")); ok {
		detail = string(d) // "Bad Request: missing required Host header"
	}
	js, err := json.Marshal(errorBody{Detail: detail, Code: name})
	if err != nil {
		return nil, false
	}
	js = append(js, '\n')
	out := make([]byte, 0, 128+len(js))
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(code), 10)
	out = append(out, ' ')
	out = append(out, http.StatusText(code)...)
	out = append(out, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	out = strconv.AppendInt(out, int64(len(js)), 10)
	out = append(out, "\r\nConnection: close\r\n\r\n"...)
	return append(out, js...), true
}
