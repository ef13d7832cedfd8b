package authjwt_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

const wsSecret = "websocket-test-secret-0123456789abcdef"

// wsAuth returns an Auth for WebSocket tests; mutate adjusts the config.
func wsAuth(t testing.TB, mutate func(*authjwt.Config)) *authjwt.Auth {
	t.Helper()
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: wsSecret}, Cookies: authjwt.CookieConfig{Insecure: true}}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := authjwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func wsCookies(c *authjwt.Config) { c.TokenLocation = []string{authjwt.LocationCookies} }

func wsBoth(c *authjwt.Config) {
	c.TokenLocation = []string{authjwt.LocationHeaders, authjwt.LocationCookies}
}

// wsMust returns a function failing t on error: wsMust(t)(a.CreateAccessToken(…)).
func wsMust(t testing.TB) func(string, error) string {
	return func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// wsTokens creates tokens with a: access, fresh access, refresh.
type wsTokens struct{ access, fresh, refresh string }

func newWSTokens(t testing.TB, a *authjwt.Auth) wsTokens {
	return wsTokens{
		access:  wsMust(t)(a.CreateAccessToken("alice")),
		fresh:   wsMust(t)(a.CreateAccessToken("alice", authjwt.WithFresh(true))),
		refresh: wsMust(t)(a.CreateRefreshToken("alice")),
	}
}

// csrfOf returns the csrf claim of a token created by a.
func csrfOf(t testing.TB, a *authjwt.Auth, raw string, refresh bool) string {
	t.Helper()
	tok, err := a.Verify(context.Background(), raw, authjwt.Requirement{Refresh: refresh})
	if err != nil {
		t.Fatal(err)
	}
	return tok.CSRF()
}

// handshake builds an upgrade request to http://example.com/ws.
func handshake(query url.Values, header http.Header) *http.Request {
	u := "http://example.com/ws"
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	r := httptest.NewRequest(http.MethodGet, u, nil)
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	for k, v := range header {
		r.Header[k] = v
	}
	return r
}

func TestWebSocketCheck(t *testing.T) {
	hdr := wsAuth(t, nil)      // headers only (default)
	both := wsAuth(t, wsBoth)  // headers and cookies
	ck := wsAuth(t, wsCookies) // cookies only
	noCSRF := wsAuth(t, func(c *authjwt.Config) { wsCookies(c); c.Cookies.UnsafeDisableCSRF = true })
	trusted := wsAuth(t, func(c *authjwt.Config) {
		wsCookies(c)
		c.Cookies.TrustedOrigins = []string{"https://app.example.net"}
	})
	skipOrigin := wsAuth(t, func(c *authjwt.Config) { wsCookies(c); c.Cookies.SkipCrossOriginProtection = true })
	noQuery := wsAuth(t, func(c *authjwt.Config) { c.WebSocket.NoQueryToken = true })
	renamed := wsAuth(t, func(c *authjwt.Config) {
		wsCookies(c)
		c.WebSocket.QueryParam = "jwt"
		c.WebSocket.CSRFQueryParam = "xsrf"
	})
	later := wsAuth(t, func(c *authjwt.Config) { c.Now = func() time.Time { return time.Now().Add(time.Hour) } })

	ht := newWSTokens(t, hdr)
	ct := newWSTokens(t, ck) // carry a csrf claim
	accCSRF := csrfOf(t, ck, ct.access, false)
	refCSRF := csrfOf(t, ck, ct.refresh, true)
	// Same secret, CSRF off at creation: no csrf claim in the token.
	noClaim := wsMust(t)(noCSRF.CreateAccessToken("alice"))

	self := "http://example.com"
	cookie := func(name, val string) string { return name + "=" + val }
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	h := func(kv ...string) http.Header {
		x := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			x.Add(kv[i], kv[i+1])
		}
		return x
	}

	tests := []struct {
		name    string
		why     string
		a       *authjwt.Auth
		req     authjwt.Requirement
		opts    []authjwt.WebSocketOption
		r       *http.Request
		tls     bool
		wantErr *authjwt.Error // nil: success
		wantMsg string         // exact detail when set
		wantSrc string         // token source on success; "" means no token
		wantSub string
	}{
		{name: "header", why: "non-browser clients send the Authorization header",
			a: hdr, r: handshake(nil, h("Authorization", "Bearer "+ht.access)), wantSrc: "header"},
		{name: "subprotocol", why: "browsers offer bearer, <token>; the server must select bearer",
			a: hdr, r: handshake(nil, h("Sec-WebSocket-Protocol", "bearer, "+ht.access)), wantSrc: "subprotocol", wantSub: "bearer"},
		{name: "subprotocol app protocol", why: "the application's own protocol wins over bearer when offered",
			a: hdr, opts: []authjwt.WebSocketOption{authjwt.WithSubprotocols("chat.v1", "chat.v2")},
			r: handshake(nil, h("Sec-WebSocket-Protocol", "chat.v2, bearer, "+ht.access)), wantSrc: "subprotocol", wantSub: "chat.v2"},
		{name: "subprotocol repeated header", why: "offers may be spread over several header lines",
			a: hdr, opts: []authjwt.WebSocketOption{authjwt.WithSubprotocols("chat.v1")},
			r: handshake(nil, h("Sec-WebSocket-Protocol", "bearer", "Sec-WebSocket-Protocol", ht.access+", chat.v1")), wantSrc: "subprotocol", wantSub: "chat.v1"},
		{name: "subprotocol unknown app protocol", why: "a protocol the server does not speak is not selected",
			a: hdr, opts: []authjwt.WebSocketOption{authjwt.WithSubprotocols("chat.v1")},
			r: handshake(nil, h("Sec-WebSocket-Protocol", "other, bearer, "+ht.access)), wantSrc: "subprotocol", wantSub: "bearer"},
		{name: "subprotocol token never selected", why: "even if the app lists a string equal to the token, the token is not a protocol",
			a: hdr, opts: []authjwt.WebSocketOption{authjwt.WithSubprotocols(ht.access)},
			r: handshake(nil, h("Sec-WebSocket-Protocol", "bearer, "+ht.access)), wantSrc: "subprotocol", wantSub: "bearer"},
		{name: "subprotocol without token", why: "bearer must be followed by the token",
			a: hdr, r: handshake(nil, h("Sec-WebSocket-Protocol", "bearer")), wantErr: authjwt.ErrBadHeader},
		{name: "subprotocol twice", why: "two bearer offers are ambiguous",
			a: hdr, r: handshake(nil, h("Sec-WebSocket-Protocol", "bearer, "+ht.access+", bearer, x")), wantErr: authjwt.ErrBadHeader},
		{name: "subprotocol bad token", why: "a subprotocol token is verified like any other",
			a: hdr, r: handshake(nil, h("Sec-WebSocket-Protocol", "bearer, abc.def.ghi")), wantErr: authjwt.ErrMalformedToken},
		{name: "query", why: "the seed's ?token= form",
			a: hdr, r: handshake(q("token", ht.access), nil), wantSrc: "query"},
		{name: "query renamed param", why: "Config.WebSocketQueryParam names the parameter",
			a: wsAuth(t, func(c *authjwt.Config) { c.WebSocket.QueryParam = "jwt" }), r: handshake(q("jwt", ht.access), nil), wantSrc: "query"},
		{name: "query disabled", why: "WebSocket.NoQueryToken keeps tokens out of URLs",
			a: noQuery, r: handshake(q("token", ht.access), nil), wantErr: authjwt.ErrMissingToken, wantMsg: "Missing Authorization Header"},
		{name: "query duplicate", why: "two values for the token parameter are ambiguous",
			a: hdr, r: handshake(q("token", ht.access, "token", ht.access), nil), wantErr: authjwt.ErrMalformedToken},
		{name: "missing token", why: "seed: ?token= is no token",
			a: hdr, r: handshake(q("token", ""), nil), wantErr: authjwt.ErrMissingToken, wantMsg: "Missing access token from Query or Path"},
		{name: "missing refresh token", why: "seed: the message names the token type",
			a: hdr, req: authjwt.Requirement{Refresh: true}, r: handshake(q("token", ""), nil), wantErr: authjwt.ErrMissingToken, wantMsg: "Missing refresh token from Query or Path"},
		{name: "other scheme", why: "credentials of another scheme are not ours, as on HTTP routes",
			a: hdr, r: handshake(nil, h("Authorization", "Basic Zm9vOmJhcg==")), wantErr: authjwt.ErrMissingToken, wantMsg: "Bad Authorization header. Expected value 'Bearer <JWT>'"},
		{name: "header beats query", why: "the header is read first; the query is not consulted",
			a: hdr, r: handshake(q("token", "garbage"), h("Authorization", "Bearer "+ht.access)), wantSrc: "header"},
		{name: "refresh on access route", why: "seed: only access tokens are allowed",
			a: hdr, r: handshake(q("token", ht.refresh), nil), wantErr: authjwt.ErrAccessRequired, wantMsg: "Only access tokens are allowed"},
		{name: "refresh on optional route", why: "seed: optional refuses a token of the wrong type",
			a: hdr, req: authjwt.Requirement{Optional: true}, r: handshake(q("token", ht.refresh), nil), wantErr: authjwt.ErrAccessRequired},
		{name: "access on refresh route", why: "seed: only refresh tokens are allowed",
			a: hdr, req: authjwt.Requirement{Refresh: true}, r: handshake(q("token", ht.access), nil), wantErr: authjwt.ErrRefreshRequired, wantMsg: "Only refresh tokens are allowed"},
		{name: "refresh on refresh route", why: "seed: refresh-required accepts a refresh token",
			a: hdr, req: authjwt.Requirement{Refresh: true}, r: handshake(q("token", ht.refresh), nil), wantSrc: "query"},
		{name: "stale on fresh route", why: "seed: fresh token required",
			a: hdr, req: authjwt.Requirement{Fresh: true}, r: handshake(q("token", ht.access), nil), wantErr: authjwt.ErrFreshRequired, wantMsg: "Fresh token required"},
		{name: "fresh on fresh route", why: "seed: a fresh token passes",
			a: hdr, req: authjwt.Requirement{Fresh: true}, r: handshake(q("token", ht.fresh), nil), wantSrc: "query"},
		{name: "optional without token", why: "seed: anonymous users pass an optional route",
			a: hdr, req: authjwt.Requirement{Optional: true}, r: handshake(q("token", ""), nil)},
		{name: "optional with token", why: "seed: a valid token is verified on an optional route",
			a: hdr, req: authjwt.Requirement{Optional: true}, r: handshake(q("token", ht.access), nil), wantSrc: "query"},
		{name: "expired", why: "expiry is checked at the handshake",
			a: later, r: handshake(q("token", ht.access), nil), wantErr: authjwt.ErrTokenExpired},
		{name: "bearer ignores origin", why: "a bearer token is no ambient credential: cross-site handshakes are harmless",
			a: hdr, r: handshake(q("token", ht.access), h("Origin", "https://evil.example")), wantSrc: "query"},

		// Cookies.
		{name: "missing cookie", why: "seed: cookie-only config names the cookie",
			a: ck, r: handshake(q("csrf_token", ""), h("Origin", self)), wantErr: authjwt.ErrMissingToken, wantMsg: "Missing cookie access_token"},
		{name: "missing refresh cookie", why: "seed: refresh routes read the refresh cookie",
			a: ck, req: authjwt.Requirement{Refresh: true}, r: handshake(q("csrf_token", ""), h("Origin", self)), wantErr: authjwt.ErrMissingToken, wantMsg: "Missing cookie refresh_token"},
		{name: "cookie-only ignores query token", why: "bearer sources are read only when headers are a token location",
			a: ck, r: handshake(q("token", ct.access), h("Origin", self)), wantErr: authjwt.ErrMissingToken, wantMsg: "Missing cookie access_token"},
		{name: "both locations missing", why: "with headers configured the bearer message is used",
			a: both, r: handshake(nil, h("Origin", self)), wantErr: authjwt.ErrMissingToken, wantMsg: "Missing access token from Query or Path"},
		{name: "missing csrf token", why: "seed: a cookie handshake needs ?csrf_token=",
			a: ck, r: handshake(q("csrf_token", ""), h("Origin", self, "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCSRFMissing, wantMsg: "Missing CSRF Token"},
		{name: "missing csrf token optional", why: "seed: optional routes check CSRF when a cookie is sent",
			a: ck, req: authjwt.Requirement{Optional: true}, r: handshake(nil, h("Origin", self, "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCSRFMissing},
		{name: "optional no cookie", why: "optional without any cookie is anonymous",
			a: ck, req: authjwt.Requirement{Optional: true}, r: handshake(nil, h("Origin", "https://evil.example"))},
		{name: "csrf mismatch", why: "seed: the double-submitted value must match",
			a: ck, r: handshake(q("csrf_token", "test"), h("Origin", self, "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCSRFMismatch, wantMsg: "CSRF double submitted tokens do not match"},
		{name: "csrf duplicate", why: "two CSRF values are ambiguous",
			a: ck, r: handshake(q("csrf_token", accCSRF, "csrf_token", accCSRF), h("Origin", self, "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCSRFMismatch},
		{name: "csrf claim missing", why: "seed: a token without csrf claim cannot be checked",
			a: ck, r: handshake(q("csrf_token", "test"), h("Origin", self, "Cookie", cookie("access_token", noClaim))), wantErr: authjwt.ErrCSRFClaimMissing, wantMsg: "Missing claim: csrf"},
		{name: "valid csrf", why: "seed: matching CSRF value passes",
			a: ck, r: handshake(q("csrf_token", accCSRF), h("Origin", self, "Cookie", cookie("access_token", ct.access))), wantSrc: "cookie"},
		{name: "valid csrf refresh", why: "seed: refresh routes use the refresh token's csrf",
			a: ck, req: authjwt.Requirement{Refresh: true}, r: handshake(q("csrf_token", refCSRF), h("Origin", self, "Cookie", cookie("refresh_token", ct.refresh))), wantSrc: "cookie"},
		{name: "refresh csrf on access route", why: "each cookie has its own csrf value",
			a: ck, r: handshake(q("csrf_token", refCSRF), h("Origin", self, "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCSRFMismatch},
		{name: "valid csrf optional", why: "seed: optional with a valid cookie passes with the token",
			a: ck, req: authjwt.Requirement{Optional: true}, r: handshake(q("csrf_token", accCSRF), h("Origin", self, "Cookie", cookie("access_token", ct.access))), wantSrc: "cookie"},
		{name: "csrf renamed param", why: "Config.WebSocketCSRFQueryParam names the parameter",
			a: renamed, r: handshake(q("xsrf", accCSRF), h("Origin", self, "Cookie", cookie("access_token", ct.access))), wantSrc: "cookie"},
		{name: "csrf disabled", why: "seed: with CSRF protection off no value is needed",
			a: noCSRF, r: handshake(q("csrf_token", ""), h("Origin", self, "Cookie", cookie("access_token", noClaim))), wantSrc: "cookie"},
		{name: "duplicate cookie", why: "cookie tossing from a sibling domain",
			a: ck, r: handshake(q("csrf_token", accCSRF), h("Origin", self, "Cookie", cookie("access_token", ct.access)+"; "+cookie("access_token", ct.access))), wantErr: authjwt.ErrMalformedToken},
		{name: "cookie wrong type", why: "a refresh token in the access cookie is refused",
			a: ck, r: handshake(q("csrf_token", refCSRF), h("Origin", self, "Cookie", cookie("access_token", ct.refresh))), wantErr: authjwt.ErrAccessRequired},

		// Origin of cookie handshakes.
		{name: "origin missing", why: "browsers always send Origin on handshakes; its absence is suspicious",
			a: ck, r: handshake(q("csrf_token", accCSRF), h("Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCrossOrigin},
		{name: "origin cross-site", why: "cross-site WebSocket hijacking",
			a: ck, r: handshake(q("csrf_token", accCSRF), h("Origin", "https://evil.example", "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCrossOrigin},
		{name: "origin other port", why: "the port is part of the origin",
			a: ck, r: handshake(q("csrf_token", accCSRF), h("Origin", "http://example.com:8080", "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCrossOrigin},
		{name: "origin other scheme", why: "https://host is not the origin of a plain-HTTP server",
			a: ck, r: handshake(q("csrf_token", accCSRF), h("Origin", "https://example.com", "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCrossOrigin},
		{name: "origin subdomain", why: "no suffix matching",
			a: ck, r: handshake(q("csrf_token", accCSRF), h("Origin", "http://evil.example.com", "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCrossOrigin},
		{name: "origin null", why: "sandboxed and file pages send null",
			a: ck, r: handshake(q("csrf_token", accCSRF), h("Origin", "null", "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCrossOrigin},
		{name: "origin checked before csrf", why: "a cross-site page learns nothing from the CSRF answer",
			a: ck, r: handshake(nil, h("Origin", "https://evil.example", "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCrossOrigin},
		{name: "origin explicit default port", why: "http://example.com:80 is the same origin",
			a: ck, r: handshake(q("csrf_token", accCSRF), h("Origin", "http://EXAMPLE.com:80", "Cookie", cookie("access_token", ct.access))), wantSrc: "cookie"},
		{name: "origin tls", why: "over TLS the server's own origin is https",
			a: ck, tls: true, r: handshake(q("csrf_token", accCSRF), h("Origin", "https://example.com", "Cookie", cookie("access_token", ct.access))), wantSrc: "cookie"},
		{name: "origin tls plain origin", why: "http://host is not the origin of a TLS server",
			a: ck, tls: true, r: handshake(q("csrf_token", accCSRF), h("Origin", "http://example.com", "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCrossOrigin},
		{name: "origin trusted", why: "Config.TrustedOrigins extends the server's own",
			a: trusted, r: handshake(q("csrf_token", accCSRF), h("Origin", "https://app.example.net", "Cookie", cookie("access_token", ct.access))), wantSrc: "cookie"},
		{name: "origin trusted other port", why: "trusted origins compare exactly too",
			a: trusted, r: handshake(q("csrf_token", accCSRF), h("Origin", "https://app.example.net:8443", "Cookie", cookie("access_token", ct.access))), wantErr: authjwt.ErrCrossOrigin},
		{name: "origin skipped", why: "Cookies.SkipCrossOriginProtection is the explicit opt-out",
			a: skipOrigin, r: handshake(q("csrf_token", accCSRF), h("Cookie", cookie("access_token", ct.access))), wantSrc: "cookie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.tls {
				tt.r.TLS = &tls.ConnectionState{}
			}
			tok, sub, err := tt.a.CheckWebSocket(tt.r, tt.req, tt.opts...)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v (%s)", err, tt.wantErr, tt.why)
				}
				var e *authjwt.Error
				if !errors.As(err, &e) {
					t.Fatalf("err %T is not an *authjwt.Error", err)
				}
				if tt.wantMsg != "" && e.Message != tt.wantMsg {
					t.Errorf("detail = %q, want %q", e.Message, tt.wantMsg)
				}
				if tok != nil || sub != "" {
					t.Errorf("refused handshake returned token %v, subprotocol %q", tok, sub)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v (%s)", err, tt.why)
			}
			if tt.wantSrc == "" {
				if tok != nil {
					t.Fatalf("token = %v, want none", tok)
				}
			} else {
				if tok == nil {
					t.Fatalf("no token (%s)", tt.why)
				}
				if tok.Source() != tt.wantSrc {
					t.Errorf("source = %q, want %q", tok.Source(), tt.wantSrc)
				}
				if tok.Subject() != "alice" {
					t.Errorf("subject = %q", tok.Subject())
				}
			}
			if sub != tt.wantSub {
				t.Errorf("subprotocol = %q, want %q", sub, tt.wantSub)
			}
		})
	}
}

func TestWebSocketMiddleware(t *testing.T) {
	a := wsAuth(t, nil)
	tok := wsMust(t)(a.CreateAccessToken("alice"))

	t.Run("refused before upgrade", func(t *testing.T) {
		called := false
		h := a.WebSocket(authjwt.Requirement{})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, handshake(url.Values{"token": {"abc.def.ghi"}}, nil))
		if called {
			t.Fatal("handler reached with a bad token")
		}
		if w.Code != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", w.Code)
		}
		var body struct{ Detail, Code string }
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("body %q: %v", w.Body, err)
		}
		if body.Code != string(authjwt.CodeMalformedToken) || body.Detail != "Invalid token" {
			t.Errorf("body = %+v", body)
		}
		if w.Header().Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
	})

	t.Run("legacy status", func(t *testing.T) {
		la := wsAuth(t, func(c *authjwt.Config) { c.LegacyStatusCodes = true })
		h := la.WebSocket(authjwt.Requirement{})(http.NotFoundHandler())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, handshake(url.Values{"token": {"abc.def.ghi"}}, nil))
		if w.Code != http.StatusUnprocessableEntity {
			t.Errorf("status = %d, want the seed's 422", w.Code)
		}
	})

	t.Run("subprotocol stored and token stripped", func(t *testing.T) {
		var sub, seen string
		var got *authjwt.Token
		h := a.WebSocket(authjwt.Requirement{}, authjwt.WithSubprotocols("chat"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = authjwt.FromContext(r.Context())
			sub = authjwt.WebSocketSubprotocol(r.Context())
			seen = strings.Join(r.Header.Values("Sec-WebSocket-Protocol"), "|")
		}))
		r := handshake(nil, http.Header{"Sec-Websocket-Protocol": {"chat, bearer, " + tok}})
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got == nil || got.Subject() != "alice" {
			t.Fatalf("FromContext = %v", got)
		}
		if sub != "chat" {
			t.Errorf("WebSocketSubprotocol = %q, want chat", sub)
		}
		if strings.Contains(seen, tok) || seen != "chat, bearer" {
			t.Errorf("next saw Sec-WebSocket-Protocol %q, want %q", seen, "chat, bearer")
		}
		if !strings.Contains(r.Header.Get("Sec-WebSocket-Protocol"), tok) {
			t.Error("the caller's request header was modified in place")
		}
	})

	t.Run("optional anonymous", func(t *testing.T) {
		reached := false
		h := a.WebSocket(authjwt.Requirement{Optional: true})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached = true
			if authjwt.FromContext(r.Context()) != nil || authjwt.WebSocketSubprotocol(r.Context()) != "" {
				t.Error("anonymous handshake carries a token or subprotocol")
			}
		}))
		h.ServeHTTP(httptest.NewRecorder(), handshake(nil, nil))
		if !reached {
			t.Fatal("optional route refused an anonymous handshake")
		}
	})
}

// TestWebSocketRawHandshake upgrades with the standard library alone
// through a real listener: the response selects bearer and never carries
// the token.
func TestWebSocketRawHandshake(t *testing.T) {
	a := wsAuth(t, nil)
	tok := wsMust(t)(a.CreateAccessToken("alice"))
	upgrade := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		h := w.Header()
		h.Set("Upgrade", "websocket")
		h.Set("Connection", "Upgrade")
		h.Set("Sec-WebSocket-Accept", base64.StdEncoding.EncodeToString(sum[:]))
		if p := authjwt.WebSocketSubprotocol(r.Context()); p != "" {
			h.Set("Sec-WebSocket-Protocol", p)
		}
		w.WriteHeader(http.StatusSwitchingProtocols)
	})
	srv := httptest.NewServer(a.WebSocket(authjwt.Requirement{})(upgrade))
	defer srv.Close()

	do := func(protocol string) (*http.Response, string) {
		t.Helper()
		c, err := net.DialTimeout("tcp", srv.Listener.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		req := "GET /ws HTTP/1.1\r\nHost: " + srv.Listener.Addr().String() +
			"\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: " + protocol + "\r\n\r\n"
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		var raw strings.Builder
		resp.Header.Write(&raw)
		return resp, raw.String()
	}

	resp, raw := do("bearer, " + tok)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status = %d, want 101", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "bearer" {
		t.Errorf("selected %q, want bearer", got)
	}
	if strings.Contains(raw, tok) {
		t.Errorf("response headers carry the token:\n%s", raw)
	}

	resp, raw = do("bearer, " + tok + "x")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: status = %d, want 401", resp.StatusCode)
	}
	if strings.Contains(raw, tok) {
		t.Errorf("refusal carries the token:\n%s", raw)
	}
}

func TestWebSocketCloseReason(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes, 2-byte runes
	tests := []struct {
		name       string
		why        string
		err        error
		wantCode   int
		wantReason string
	}{
		{"nil", "no error is a normal closure", nil, 1000, ""},
		{"expired", "an expired token is a policy violation with the seed's message", authjwt.ErrTokenExpired, 1008, "Signature has expired"},
		{"revoked", "a revoked token likewise", authjwt.ErrTokenRevoked, 1008, "Token has been revoked"},
		{"csrf", "seed messages pass through", authjwt.ErrCSRFMismatch, 1008, "CSRF double submitted tokens do not match"},
		{"wrapped", "errors.As finds a wrapped *Error", errors.Join(errors.New("ctx"), authjwt.ErrAccessRequired), 1008, "Only access tokens are allowed"},
		{"store", "a store failure is the server's, not the client's", authjwt.ErrStoreUnavailable, 1011, "Revocation store unavailable"},
		{"foreign", "other errors' text is not for clients", errors.New("db password is hunter2"), 1011, "Internal error"},
		{"long", "a close reason is at most 123 bytes and stays valid UTF-8",
			&authjwt.Error{Code: authjwt.CodeInvalidClaim, Status: 401, Message: long}, 1008, strings.Repeat("é", 61)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reason := authjwt.CloseReason(tt.err)
			if code != tt.wantCode || reason != tt.wantReason {
				t.Errorf("CloseReason = %d %q, want %d %q (%s)", code, reason, tt.wantCode, tt.wantReason, tt.why)
			}
			if len(reason) > 123 {
				t.Errorf("reason is %d bytes", len(reason))
			}
		})
	}
}

// countingStore is a real revocation store (revoke.Memory) that counts
// IsRevoked calls and can be made to fail.
type countingStore struct {
	*revoke.Memory
	calls atomic.Int64
	fail  atomic.Bool
}

func (s *countingStore) IsRevoked(ctx context.Context, q revoke.Query) (bool, error) {
	s.calls.Add(1)
	if s.fail.Load() {
		return false, revoke.ErrUnavailable
	}
	return s.Memory.IsRevoked(ctx, q)
}

func newCountingStore() *countingStore {
	return &countingStore{Memory: revoke.NewMemory(revoke.WithSweepInterval(0))}
}

// watchSetup creates, inside a synctest bubble, an Auth with a store and a
// verified access token expiring in exp.
func watchSetup(t *testing.T, exp time.Duration, mutate func(*authjwt.Config)) (*authjwt.Auth, *countingStore, *authjwt.Token) {
	t.Helper()
	st := newCountingStore()
	a := wsAuth(t, func(c *authjwt.Config) {
		c.Revocation.Enabled = true
		c.Revocation.Store = st
		if mutate != nil {
			mutate(c)
		}
	})
	raw := wsMust(t)(a.CreateAccessToken("alice", authjwt.WithExpiry(exp)))
	tok, err := a.Verify(context.Background(), raw, authjwt.Requirement{})
	if err != nil {
		t.Fatal(err)
	}
	st.calls.Store(0)
	return a, st, tok
}

func isDone(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

// TestWebSocketWatchToken runs in synctest bubbles: time is virtual and
// synctest.Test fails if any goroutine started by WatchToken outlives the
// test function, so every subtest also checks for leaks.
func TestWebSocketWatchToken(t *testing.T) {
	t.Run("expires at exp", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, _, tok := watchSetup(t, 2*time.Second, nil)
			ctx, cancel := a.WatchToken(context.Background(), tok)
			defer cancel()
			if dl, ok := ctx.Deadline(); !ok || !dl.Equal(tok.ExpiresAt()) {
				t.Errorf("Deadline = %v %v, want %v", dl, ok, tok.ExpiresAt())
			}
			time.Sleep(2*time.Second - time.Millisecond)
			synctest.Wait()
			if isDone(ctx) {
				t.Fatal("ended before exp")
			}
			time.Sleep(time.Millisecond)
			synctest.Wait()
			if !isDone(ctx) {
				t.Fatal("still alive at exp")
			}
			if c := context.Cause(ctx); !errors.Is(c, authjwt.ErrTokenExpired) {
				t.Errorf("cause = %v, want ErrTokenExpired", c)
			}
		})
	})

	t.Run("leeway extends", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, _, tok := watchSetup(t, 2*time.Second, func(c *authjwt.Config) { c.Claims.DecodeLeeway = time.Second })
			ctx, cancel := a.WatchToken(context.Background(), tok)
			defer cancel()
			time.Sleep(2500 * time.Millisecond)
			synctest.Wait()
			if isDone(ctx) {
				t.Fatal("ended within the leeway, which verification still accepts")
			}
			time.Sleep(500 * time.Millisecond)
			synctest.Wait()
			if !errors.Is(context.Cause(ctx), authjwt.ErrTokenExpired) {
				t.Fatalf("cause = %v at exp+leeway", context.Cause(ctx))
			}
		})
	})

	t.Run("Config.Now measures the remaining time", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var skew atomic.Int64
			a, _, tok := watchSetup(t, 10*time.Second, func(c *authjwt.Config) {
				c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			})
			skew.Store(int64(8 * time.Second)) // the configured clock says 2s are left
			ctx, cancel := a.WatchToken(context.Background(), tok)
			defer cancel()
			time.Sleep(2 * time.Second)
			synctest.Wait()
			if !errors.Is(context.Cause(ctx), authjwt.ErrTokenExpired) {
				t.Fatalf("cause = %v, want expiry after the 2s the configured clock leaves", context.Cause(ctx))
			}
		})
	})

	t.Run("already expired", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, _, tok := watchSetup(t, time.Second, nil)
			time.Sleep(2 * time.Second)
			ctx, cancel := a.WatchToken(context.Background(), tok)
			defer cancel()
			if !isDone(ctx) || !errors.Is(context.Cause(ctx), authjwt.ErrTokenExpired) {
				t.Fatalf("done=%v cause=%v, want ended at once", isDone(ctx), context.Cause(ctx))
			}
		})
	})

	t.Run("revoked", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, st, tok := watchSetup(t, time.Hour, nil)
			ctx, cancel := a.WatchToken(context.Background(), tok, authjwt.WithRevocationPoll(100*time.Millisecond))
			defer cancel()
			time.Sleep(250 * time.Millisecond)
			synctest.Wait()
			if isDone(ctx) {
				t.Fatal("ended before revocation")
			}
			if n := st.calls.Load(); n != 2 {
				t.Errorf("store asked %d times in 250ms at 100ms, want 2", n)
			}
			if err := a.Revoke(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			synctest.Wait()
			if !isDone(ctx) {
				t.Fatal("still alive one poll after revocation")
			}
			if c := context.Cause(ctx); !errors.Is(c, authjwt.ErrTokenRevoked) {
				t.Errorf("cause = %v, want ErrTokenRevoked", c)
			}
			if _, ok := ctx.Deadline(); !ok {
				t.Error("no deadline on a token that expires")
			}
		})
	})

	t.Run("default poll interval", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, st, tok := watchSetup(t, time.Hour, nil)
			_, cancel := a.WatchToken(context.Background(), tok)
			defer cancel()
			time.Sleep(authjwt.DefaultRevocationPoll - time.Millisecond)
			synctest.Wait()
			if n := st.calls.Load(); n != 0 {
				t.Fatalf("store asked %d times before the default interval", n)
			}
			time.Sleep(time.Millisecond)
			synctest.Wait()
			if n := st.calls.Load(); n != 1 {
				t.Fatalf("store asked %d times at the default interval, want 1", n)
			}
		})
	})

	t.Run("store failure fails closed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, st, tok := watchSetup(t, time.Hour, nil)
			st.fail.Store(true)
			ctx, cancel := a.WatchToken(context.Background(), tok, authjwt.WithRevocationPoll(time.Second))
			defer cancel()
			time.Sleep(time.Second)
			synctest.Wait()
			if c := context.Cause(ctx); !errors.Is(c, authjwt.ErrStoreUnavailable) {
				t.Fatalf("cause = %v, want ErrStoreUnavailable", c)
			}
		})
	})

	t.Run("store failure with fail-open", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, st, tok := watchSetup(t, time.Hour, func(c *authjwt.Config) { c.Revocation.UnsafeFailOpen = true })
			st.fail.Store(true)
			ctx, cancel := a.WatchToken(context.Background(), tok, authjwt.WithRevocationPoll(time.Second))
			defer cancel()
			time.Sleep(3 * time.Second)
			synctest.Wait()
			if isDone(ctx) || st.calls.Load() != 3 {
				t.Fatalf("done=%v calls=%d, want alive and polling", isDone(ctx), st.calls.Load())
			}
		})
	})

	t.Run("no polling without denylist", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, st, tok := watchSetup(t, time.Hour, func(c *authjwt.Config) { c.Revocation.Enabled, c.Revocation.Store = false, nil })
			ctx, cancel := a.WatchToken(context.Background(), tok, authjwt.WithRevocationPoll(time.Millisecond))
			defer cancel()
			time.Sleep(time.Second)
			synctest.Wait()
			if n := st.calls.Load(); n != 0 || isDone(ctx) {
				t.Fatalf("calls=%d done=%v, want no polling", n, isDone(ctx))
			}
		})
	})

	t.Run("no polling for unchecked type", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, st, tok := watchSetup(t, time.Hour, func(c *authjwt.Config) { c.Revocation.Checks = []string{authjwt.TypeRefresh} })
			_, cancel := a.WatchToken(context.Background(), tok, authjwt.WithRevocationPoll(time.Millisecond))
			defer cancel()
			time.Sleep(time.Second)
			synctest.Wait()
			if n := st.calls.Load(); n != 0 {
				t.Fatalf("calls=%d for an access token the denylist does not check", n)
			}
		})
	})

	t.Run("poll disabled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, st, tok := watchSetup(t, time.Hour, nil)
			_, cancel := a.WatchToken(context.Background(), tok, authjwt.WithRevocationPoll(0))
			defer cancel()
			time.Sleep(time.Minute)
			synctest.Wait()
			if n := st.calls.Load(); n != 0 {
				t.Fatalf("calls=%d with polling off", n)
			}
		})
	})

	t.Run("cancel stops polling", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, st, tok := watchSetup(t, time.Hour, nil)
			ctx, cancel := a.WatchToken(context.Background(), tok, authjwt.WithRevocationPoll(time.Second))
			time.Sleep(time.Second)
			synctest.Wait()
			cancel()
			if !errors.Is(context.Cause(ctx), context.Canceled) {
				t.Errorf("cause = %v, want context.Canceled", context.Cause(ctx))
			}
			n := st.calls.Load()
			time.Sleep(10 * time.Second)
			synctest.Wait()
			if m := st.calls.Load(); m != n {
				t.Fatalf("store asked %d more times after cancel", m-n)
			}
			cancel() // idempotent
		})
	})

	t.Run("parent ends", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, _, tok := watchSetup(t, time.Hour, nil)
			parent, stop := context.WithCancelCause(context.Background())
			ctx, cancel := a.WatchToken(parent, tok, authjwt.WithRevocationPoll(time.Second))
			defer cancel()
			bye := errors.New("connection closed")
			stop(bye)
			synctest.Wait()
			if context.Cause(ctx) != bye {
				t.Fatalf("cause = %v, want the parent's", context.Cause(ctx))
			}
		})
	})

	t.Run("non-expiring token", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			st := newCountingStore()
			a := wsAuth(t, func(c *authjwt.Config) {
				c.Expiry.AllowNonExpiring = true
				c.Revocation.Enabled = true
				c.Revocation.Store = st
			})
			raw := wsMust(t)(a.CreateAccessToken("alice", authjwt.WithNoExpiry()))
			tok, err := a.Verify(context.Background(), raw, authjwt.Requirement{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := a.WatchToken(context.Background(), tok, authjwt.WithRevocationPoll(time.Hour))
			defer cancel()
			if _, ok := ctx.Deadline(); ok {
				t.Error("deadline on a token without exp")
			}
			time.Sleep(100 * 24 * time.Hour)
			synctest.Wait()
			if isDone(ctx) {
				t.Fatalf("ended: %v", context.Cause(ctx))
			}
		})
	})

	t.Run("nil token", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, _, _ := watchSetup(t, time.Hour, nil)
			ctx, cancel := a.WatchToken(context.Background(), nil)
			time.Sleep(time.Hour)
			synctest.Wait()
			if isDone(ctx) {
				t.Fatal("a context for no token ended by itself")
			}
			cancel()
			if !isDone(ctx) {
				t.Fatal("cancel did not end it")
			}
		})
	})
}
