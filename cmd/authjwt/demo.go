package main

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"strings"
)

//go:embed demo.html
var demoHTML string

var demoTemplate = template.Must(template.New("demo").Parse(demoHTML))

// demoData is rendered into the demo page, so its script knows the mode
// without another request.
type demoData struct {
	Nonce             string
	Mode              string // "headers", "cookies" or "headers,cookies"
	Algorithm         string
	AccessCSRFCookie  string
	RefreshCSRFCookie string
	AccessCSRFHeader  string
	RefreshCSRFHeader string
	CSRF              bool
}

// handleDemo serves the demo page: log in, call every route, refresh, log
// out, open the WebSocket. Its inline script runs under a per-response
// nonce (Content-Security-Policy).
func (s *server) handleDemo(w http.ResponseWriter, r *http.Request) {
	var n [18]byte
	rand.Read(n[:])
	nonce := hex.EncodeToString(n[:]) // hex: no character html/template would escape
	d := demoData{
		Nonce:             nonce,
		Mode:              strings.Join(s.cfg.TokenLocation, ","),
		Algorithm:         s.cfg.Keys.Algorithm,
		AccessCSRFCookie:  s.cfg.Cookies.Access.CSRFName,
		RefreshCSRFCookie: s.cfg.Cookies.Refresh.CSRFName,
		AccessCSRFHeader:  s.cfg.Cookies.Access.CSRFHeader,
		RefreshCSRFHeader: s.cfg.Cookies.Refresh.CSRFHeader,
		CSRF:              s.cookies && !s.cfg.Cookies.UnsafeDisableCSRF,
	}
	var buf bytes.Buffer
	if err := demoTemplate.Execute(&buf, d); err != nil {
		s.internalError(w, r, "rendering the demo page", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'nonce-"+nonce+"'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}
