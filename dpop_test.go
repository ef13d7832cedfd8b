package authjwt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest"
	"github.com/librenz/authjwt/revoke"
)

// dpopEnv is the accepted baseline every row of TestDPoPMUSTs starts
// from: two instances sharing a store, a client key, a token bound to it.
type dpopEnv struct {
	a, b   *authjwt.Auth // two instances sharing the store
	clock  *authjwttest.Clock
	key    *authjwttest.DPoPKey
	other  *authjwttest.DPoPKey
	token  string // bound to key
	bearer string // unbound
}

func newDPoPEnv(t *testing.T, mut func(*authjwt.Config)) *dpopEnv {
	t.Helper()
	clock := authjwttest.NewClock(authjwttest.Epoch)
	store := revoke.NewMemory(revoke.WithClock(clock.Now))
	t.Cleanup(func() { store.Close() })
	cfg := authjwt.Config{Now: clock.Now, Revocation: authjwt.RevocationConfig{Store: store}}
	if mut != nil {
		mut(&cfg)
	}
	a, _ := authjwttest.New(t, cfg)
	b, _ := authjwttest.New(t, cfg)
	e := &dpopEnv{a: a, b: b, clock: clock, key: authjwttest.NewDPoPKey(t, "ES256"), other: authjwttest.NewDPoPKey(t, "ES256")}
	e.key.Now, e.other.Now = clock.Now, clock.Now
	e.token = authjwttest.AccessToken(t, a, "alice", authjwt.WithDPoP(e.key.Thumbprint()))
	e.bearer = authjwttest.AccessToken(t, a, "alice")
	return e
}

func dpopWhoami(w http.ResponseWriter, r *http.Request) {
	t := authjwt.FromContext(r.Context())
	json.NewEncoder(w).Encode(map[string]string{"user": t.Subject(), "source": t.Source(), "jkt": t.DPoPThumbprint()})
}

// serveDPoP runs r through a's Required middleware.
func serveDPoP(a *authjwt.Auth, r *http.Request, req authjwt.Requirement) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	a.Middleware(req)(http.HandlerFunc(dpopWhoami)).ServeHTTP(w, r)
	return w
}

func errCode(w *httptest.ResponseRecorder) string {
	var body struct{ Code string }
	json.Unmarshal(w.Body.Bytes(), &body)
	return body.Code
}

const resourceURL = "https://api.example.com/resource"

func dpopRequest(method string) *http.Request {
	return httptest.NewRequest(method, resourceURL, nil)
}

// TestDPoPMUSTs has one row per MUST of RFC 9449 §4.3 and §7.1 and of the
// MCP authorization checklist for resource servers, each a change to an
// accepted baseline (checked first): the row's request must be refused
// with its code, and a DPoP challenge naming its error and the algs.
func TestDPoPMUSTs(t *testing.T) {
	type row struct {
		name string
		cfg  func(*authjwt.Config)
		// req builds the request from the baseline env; the second
		// instance serves it when onB.
		req  func(t *testing.T, e *dpopEnv) *http.Request
		onB  bool
		code string // "" for accepted
		attr string // the challenge's error
		dreq authjwt.Requirement
	}
	baseline := func(t *testing.T, e *dpopEnv) *http.Request {
		r := dpopRequest("GET")
		e.key.SetDPoP(t, r, e.token)
		return r
	}
	withProof := func(opts ...authjwttest.ProofOption) func(*testing.T, *dpopEnv) *http.Request {
		return func(t *testing.T, e *dpopEnv) *http.Request {
			r := dpopRequest("GET")
			e.key.SetDPoP(t, r, e.token, opts...)
			return r
		}
	}
	withHTU := func(htu string) func(*testing.T, *dpopEnv) *http.Request {
		return withProof(authjwttest.ProofClaim("htu", htu))
	}
	const bad, badTok = "invalid_dpop_proof", "invalid_token"
	rows := []row{
		{name: "baseline: bound token, proof of its key", req: baseline},
		{name: "htu normalised: scheme and host case, default port", req: withHTU("HTTPS://API.Example.COM:443/resource")},
		{name: "request query and fragment are not part of htu", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := httptest.NewRequest("GET", resourceURL+"?page=2", nil)
			r.Header.Set("Authorization", "DPoP "+e.token)
			r.Header.Set("DPoP", e.key.Proof(t, "GET", resourceURL, authjwttest.ProofAccessToken(e.token)))
			return r
		}},
		{name: "scheme name case-insensitive (RFC 9110 §11.1)", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := baseline(t, e)
			r.Header.Set("Authorization", "dpop "+e.token)
			return r
		}},
		{name: "§4.3.1 no DPoP header", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := baseline(t, e)
			r.Header.Del("DPoP")
			return r
		}, code: bad, attr: bad},
		{name: "§4.3.1 two DPoP headers", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := baseline(t, e)
			r.Header.Add("DPoP", e.key.Proof(t, "GET", resourceURL, authjwttest.ProofAccessToken(e.token)))
			return r
		}, code: bad, attr: bad},
		{name: "§4.3.2 not a JWT", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := baseline(t, e)
			r.Header.Set("DPoP", "not.a.jwt")
			return r
		}, code: bad, attr: bad},
		{name: "§4.3.4 typ JWT", req: withProof(authjwttest.ProofHeader("typ", "JWT")), code: bad, attr: bad},
		{name: "§4.3.4 no typ", req: withProof(authjwttest.ProofHeader("typ", nil)), code: bad, attr: bad},
		{name: "§4.3.5 alg none", req: withProof(authjwttest.ProofHeader("alg", "none")), code: bad, attr: bad},
		{name: "§4.3.5 symmetric alg HS256", req: withProof(authjwttest.ProofHeader("alg", "HS256")), code: bad, attr: bad},
		{name: "§4.3.5 alg not in DPoP.Algorithms", cfg: func(c *authjwt.Config) { c.DPoP.Algorithms = []string{"EdDSA"} }, req: baseline, code: bad, attr: bad},
		{name: "§4.3.6 signature by another key than the jwk", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := dpopRequest("GET")
			e.other.SetDPoP(t, r, e.token, authjwttest.ProofHeader("jwk", e.key.PublicJWK()))
			return r
		}, code: bad, attr: bad},
		{name: "§4.3.6 signature tampered", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := baseline(t, e)
			p := r.Header.Get("DPoP")
			i := strings.LastIndexByte(p, '.')
			sig := []byte(p[i+1:])
			if sig[3] == 'A' {
				sig[3] = 'B'
			} else {
				sig[3] = 'A'
			}
			r.Header.Set("DPoP", p[:i+1]+string(sig))
			return r
		}, code: bad, attr: bad},
		{name: "§4.3.7 private key material in jwk", req: func(t *testing.T, e *dpopEnv) *http.Request {
			jwk := e.key.PublicJWK()
			jwk["d"] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
			return withProof(authjwttest.ProofHeader("jwk", jwk))(t, e)
		}, code: bad, attr: bad},
		{name: "§4.3.7 symmetric jwk", req: withProof(authjwttest.ProofHeader("jwk", map[string]any{"kty": "oct", "k": "c2VjcmV0"})), code: bad, attr: bad},
		{name: "§4.3.7 no jwk", req: withProof(authjwttest.ProofHeader("jwk", nil)), code: bad, attr: bad},
		{name: "§4.3.8 htm of another method", req: withProof(authjwttest.ProofClaim("htm", "POST")), code: bad, attr: bad},
		{name: "§4.3.8 htm in lower case", req: withProof(authjwttest.ProofClaim("htm", "get")), code: bad, attr: bad},
		{name: "§4.3.8 no htm", req: withProof(authjwttest.ProofClaim("htm", nil)), code: bad, attr: bad},
		{name: "§4.3.9 htu of another host", req: withHTU("https://evil.example.com/resource"), code: bad, attr: bad},
		{name: "§4.3.9 htu of another path", req: withHTU("https://api.example.com/other"), code: bad, attr: bad},
		{name: "§4.3.9 htu of another scheme", req: withHTU("http://api.example.com/resource"), code: bad, attr: bad},
		{name: "§4.3.9 htu of another port", req: withHTU("https://api.example.com:8443/resource"), code: bad, attr: bad},
		{name: "§4.3.9 htu with a query", req: withHTU(resourceURL + "?page=2"), code: bad, attr: bad},
		{name: "§4.3.9 htu with a fragment", req: withHTU(resourceURL + "#top"), code: bad, attr: bad},
		{name: "§4.3.9 no htu", req: withHTU(""), code: bad, attr: bad},
		{name: "§4.3.11 iat too old", req: func(t *testing.T, e *dpopEnv) *http.Request {
			return withProof(authjwttest.ProofIssuedAt(e.clock.Now().Add(-61*time.Second)))(t, e)
		}, code: bad, attr: bad},
		{name: "§4.3.11 iat in the future", req: func(t *testing.T, e *dpopEnv) *http.Request {
			return withProof(authjwttest.ProofIssuedAt(e.clock.Now().Add(61*time.Second)))(t, e)
		}, code: bad, attr: bad},
		{name: "§4.3.11 no iat", req: withProof(authjwttest.ProofClaim("iat", nil)), code: bad, attr: bad},
		{name: "§4.3.12 no jti", req: withProof(authjwttest.ProofClaim("jti", nil)), code: bad, attr: bad},
		{name: "§11.1 jti replayed on the same instance", req: func(t *testing.T, e *dpopEnv) *http.Request {
			first := baseline(t, e)
			if w := serveDPoP(e.a, first, authjwt.Requirement{}); w.Code != 200 {
				t.Fatalf("first use: %d %s", w.Code, w.Body)
			}
			r := dpopRequest("GET")
			r.Header = first.Header.Clone()
			return r
		}, code: "dpop_proof_replayed", attr: bad},
		{name: "§11.1 jti replayed on another instance sharing the store", req: func(t *testing.T, e *dpopEnv) *http.Request {
			first := baseline(t, e)
			if w := serveDPoP(e.a, first, authjwt.Requirement{}); w.Code != 200 {
				t.Fatalf("first use: %d %s", w.Code, w.Body)
			}
			r := dpopRequest("GET")
			r.Header = first.Header.Clone()
			return r
		}, onB: true, code: "dpop_proof_replayed", attr: bad},
		{name: "§4.3.12 ath missing", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := dpopRequest("GET")
			r.Header.Set("Authorization", "DPoP "+e.token)
			e.key.SetProof(t, r)
			return r
		}, code: bad, attr: bad},
		{name: "§4.3.12 ath of another token", req: withProof(authjwttest.ProofAccessToken("another.access.token")), code: bad, attr: bad},
		{name: "§4.3.12 cnf.jkt of another key", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := dpopRequest("GET")
			e.other.SetDPoP(t, r, e.token)
			return r
		}, code: "dpop_key_mismatch", attr: badTok},
		{name: "§7.1 bound token as Bearer", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := dpopRequest("GET")
			authjwttest.SetBearer(r, e.token)
			return r
		}, code: "dpop_bound_token", attr: badTok},
		{name: "§7.1 bound token as Bearer with a valid proof", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := baseline(t, e)
			authjwttest.SetBearer(r, e.token)
			return r
		}, code: "dpop_bound_token", attr: badTok},
		{name: "§7.1 bearer token under the DPoP scheme", req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := dpopRequest("GET")
			e.key.SetDPoP(t, r, e.bearer)
			return r
		}, code: "dpop_token_not_bound", attr: badTok},
		{name: "§7.1 expired bound token: invalid_token under DPoP", req: func(t *testing.T, e *dpopEnv) *http.Request {
			e.clock.Advance(16 * time.Minute)
			return baseline(t, e)
		}, code: "token_expired", attr: badTok},
		{name: "§7.1 route requiring DPoP refuses a bearer token", dreq: authjwt.Requirement{DPoP: authjwt.DPoPRequired}, req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := dpopRequest("GET")
			authjwttest.SetBearer(r, e.bearer)
			return r
		}, code: "dpop_required", attr: badTok},
		{name: "DPoP required in the configuration refuses a bearer token", cfg: func(c *authjwt.Config) { c.DPoP.Mode = authjwt.DPoPRequired }, req: func(t *testing.T, e *dpopEnv) *http.Request {
			r := dpopRequest("GET")
			authjwttest.SetBearer(r, e.bearer)
			return r
		}, code: "dpop_required", attr: badTok},
		{name: "route with DPoP off does not read the DPoP scheme", dreq: authjwt.Requirement{DPoP: authjwt.DPoPOff}, req: baseline, code: "missing_token"},
		{name: "§8 nonce required, none sent", cfg: func(c *authjwt.Config) { c.DPoP.Nonce = true }, req: baseline, code: "use_dpop_nonce", attr: "use_dpop_nonce"},
		{name: "§8 nonce required, stale nonce", cfg: func(c *authjwt.Config) { c.DPoP.Nonce = true }, req: func(t *testing.T, e *dpopEnv) *http.Request {
			n := e.a.DPoPNonce()
			e.clock.Advance(11 * time.Minute) // two 5-minute windows later
			e.key.Now = e.clock.Now
			e.token = authjwttest.AccessToken(t, e.a, "alice", authjwt.WithDPoP(e.key.Thumbprint()))
			return withProof(authjwttest.ProofNonce(n))(t, e)
		}, code: "use_dpop_nonce", attr: "use_dpop_nonce"},
		{name: "§8 nonce required, forged nonce", cfg: func(c *authjwt.Config) { c.DPoP.Nonce = true }, req: withProof(authjwttest.ProofNonce("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")), code: "use_dpop_nonce", attr: "use_dpop_nonce"},
		{name: "§8 nonce required, current nonce", cfg: func(c *authjwt.Config) { c.DPoP.Nonce = true }, req: func(t *testing.T, e *dpopEnv) *http.Request {
			return withProof(authjwttest.ProofNonce(e.a.DPoPNonce()))(t, e)
		}},
		{name: "§8 nonce of the other instance (no shared state)", cfg: func(c *authjwt.Config) { c.DPoP.Nonce = true }, onB: true, req: func(t *testing.T, e *dpopEnv) *http.Request {
			return withProof(authjwttest.ProofNonce(e.a.DPoPNonce()))(t, e)
		}},
		{name: "§8 nonce of the previous window", cfg: func(c *authjwt.Config) { c.DPoP.Nonce = true }, req: func(t *testing.T, e *dpopEnv) *http.Request {
			n := e.a.DPoPNonce()
			e.clock.Advance(5 * time.Minute)
			e.token = authjwttest.AccessToken(t, e.a, "alice", authjwt.WithDPoP(e.key.Thumbprint()))
			return withProof(authjwttest.ProofNonce(n))(t, e)
		}},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			e := newDPoPEnv(t, tc.cfg)
			if tc.code != "" && tc.code != "dpop_required" && tc.code != "missing_token" {
				// The baseline of this configuration is accepted.
				base := baseline
				if tc.cfg != nil && strings.Contains(tc.name, "nonce") {
					base = func(t *testing.T, e *dpopEnv) *http.Request {
						return withProof(authjwttest.ProofNonce(e.a.DPoPNonce()))(t, e)
					}
				}
				if tc.name == "§4.3.5 alg not in DPoP.Algorithms" {
					base = func(t *testing.T, e *dpopEnv) *http.Request {
						k := authjwttest.NewDPoPKey(t, "EdDSA")
						k.Now = e.clock.Now
						tok := authjwttest.AccessToken(t, e.a, "alice", authjwt.WithDPoP(k.Thumbprint()))
						r := dpopRequest("GET")
						k.SetDPoP(t, r, tok)
						return r
					}
				}
				if w := serveDPoP(e.a, base(t, e), tc.dreq); w.Code != 200 {
					t.Fatalf("baseline refused: %d %s", w.Code, w.Body)
				}
			}
			srv := e.a
			if tc.onB {
				srv = e.b
			}
			w := serveDPoP(srv, tc.req(t, e), tc.dreq)
			if tc.code == "" {
				if w.Code != 200 {
					t.Fatalf("refused: %d %s (WWW-Authenticate %q)", w.Code, w.Body, w.Header().Get("WWW-Authenticate"))
				}
				var body map[string]string
				json.Unmarshal(w.Body.Bytes(), &body)
				if body["source"] != "dpop" || body["jkt"] != e.key.Thumbprint() {
					t.Fatalf("token in context: %v", body)
				}
				return
			}
			if w.Code != 401 || errCode(w) != tc.code {
				t.Fatalf("got %d %s, want 401 code %s", w.Code, w.Body, tc.code)
			}
			ch := w.Header().Get("WWW-Authenticate")
			if tc.attr == "" {
				return
			}
			if !strings.HasPrefix(ch, "DPoP ") || !strings.Contains(ch, `error="`+tc.attr+`"`) || !strings.Contains(ch, `algs="`) {
				t.Fatalf("WWW-Authenticate %q, want a DPoP challenge with error=%q and algs", ch, tc.attr)
			}
			if tc.attr == "use_dpop_nonce" {
				n := w.Header().Get("DPoP-Nonce")
				if n == "" || n != e.a.DPoPNonce() {
					t.Fatalf("DPoP-Nonce %q, want the current nonce %q", n, e.a.DPoPNonce())
				}
			}
		})
	}
}

// TestDPoPWebSocket: a WebSocket handshake carries a bound token under the
// DPoP scheme with a proof for GET and the handshake's http(s) URL; the
// same refusals hold as for HTTP requests.
func TestDPoPWebSocket(t *testing.T) {
	e := newDPoPEnv(t, nil)
	const wsURL = "https://api.example.com/ws"
	handshake := func() *http.Request {
		r := httptest.NewRequest("GET", wsURL+"?x=1", nil)
		r.Header.Set("Connection", "Upgrade")
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Sec-WebSocket-Version", "13")
		r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		return r
	}
	r := handshake()
	r.Header.Set("Authorization", "DPoP "+e.token)
	r.Header.Set("DPoP", e.key.Proof(t, "GET", wsURL, authjwttest.ProofAccessToken(e.token)))
	tok, _, err := e.a.CheckWebSocket(r, authjwt.Requirement{})
	if err != nil {
		t.Fatalf("handshake under DPoP: %v", err)
	}
	if tok.Source() != "dpop" || tok.DPoPThumbprint() != e.key.Thumbprint() {
		t.Fatalf("token source %q, jkt %q", tok.Source(), tok.DPoPThumbprint())
	}
	if _, _, err := e.b.CheckWebSocket(r, authjwt.Requirement{}); !errors.Is(err, authjwt.ErrDPoPReplay) {
		t.Fatalf("the same handshake on the other instance: %v, want ErrDPoPReplay", err)
	}
	for _, tc := range []struct {
		name string
		set  func(r *http.Request)
		want error
	}{
		{"a wss htu", func(r *http.Request) {
			r.Header.Set("Authorization", "DPoP "+e.token)
			r.Header.Set("DPoP", e.key.Proof(t, "GET", "wss://api.example.com/ws", authjwttest.ProofAccessToken(e.token)))
		}, authjwt.ErrInvalidDPoPProof},
		{"htm of another method", func(r *http.Request) {
			r.Header.Set("Authorization", "DPoP "+e.token)
			r.Header.Set("DPoP", e.key.Proof(t, "POST", wsURL, authjwttest.ProofAccessToken(e.token)))
		}, authjwt.ErrInvalidDPoPProof},
		{"bound token in the query", func(r *http.Request) {
			r.URL.RawQuery = "token=" + e.token
		}, authjwt.ErrDPoPBoundToken},
		{"bound token in the bearer subprotocol", func(r *http.Request) {
			r.Header.Set("Sec-WebSocket-Protocol", "bearer, "+e.token)
		}, authjwt.ErrDPoPBoundToken},
		{"bearer token under DPoP", func(r *http.Request) {
			r.Header.Set("Authorization", "DPoP "+e.bearer)
			r.Header.Set("DPoP", e.key.Proof(t, "GET", wsURL, authjwttest.ProofAccessToken(e.bearer)))
		}, authjwt.ErrDPoPNotBound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := handshake()
			tc.set(r)
			if _, _, err := e.a.CheckWebSocket(r, authjwt.Requirement{}); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// A route requiring DPoP refuses the bearer subprotocol's bearer token.
	r = handshake()
	r.Header.Set("Sec-WebSocket-Protocol", "bearer, "+e.bearer)
	if _, _, err := e.a.CheckWebSocket(r, authjwt.Requirement{DPoP: authjwt.DPoPRequired}); !errors.Is(err, authjwt.ErrDPoPRequired) {
		t.Fatalf("bearer subprotocol on a route requiring DPoP: %v", err)
	}
	// Without any token there, the refusal's challenge is DPoP's.
	w := httptest.NewRecorder()
	_, _, err = e.a.CheckWebSocket(handshake(), authjwt.Requirement{DPoP: authjwt.DPoPRequired})
	e.a.WriteError(w, handshake(), err)
	if !errors.Is(err, authjwt.ErrMissingToken) || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "DPoP") {
		t.Fatalf("no token on a handshake requiring DPoP: %v, WWW-Authenticate %q", err, w.Header().Get("WWW-Authenticate"))
	}
}

// TestDPoPRefresh: a bound refresh token refreshes only with a proof of
// its key, with rotation on too (both rules apply: the used token is
// consumed, the successors stay bound); an unbound refresh token sent
// with a proof gets bound successors.
func TestDPoPRefresh(t *testing.T) {
	for _, rotation := range []bool{false, true} {
		t.Run(fmt.Sprintf("rotation=%v", rotation), func(t *testing.T) {
			e := newDPoPEnv(t, func(c *authjwt.Config) { c.Revocation.Rotation = rotation })
			pair := authjwttest.Pair(t, e.a, "alice", authjwt.WithDPoP(e.key.Thumbprint()))
			if pair.TokenType != "DPoP" {
				t.Fatalf("bound pair TokenType %q", pair.TokenType)
			}
			h := e.a.RefreshHandler(authjwt.RefreshOptions{})
			post := func(set func(r *http.Request)) *httptest.ResponseRecorder {
				r := httptest.NewRequest("POST", "https://api.example.com/refresh", nil)
				set(r)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w
			}
			if w := post(func(r *http.Request) { authjwttest.SetBearer(r, pair.RefreshToken) }); errCode(w) != "dpop_bound_token" {
				t.Fatalf("bound refresh token as Bearer: %d %s", w.Code, w.Body)
			}
			if w := post(func(r *http.Request) { e.other.SetDPoP(t, r, pair.RefreshToken) }); errCode(w) != "dpop_key_mismatch" {
				t.Fatalf("bound refresh token with another key: %d %s", w.Code, w.Body)
			}
			w := post(func(r *http.Request) { e.key.SetDPoP(t, r, pair.RefreshToken) })
			var body struct{ AccessToken, RefreshToken, TokenType string }
			json.Unmarshal(w.Body.Bytes(), &struct {
				A *string `json:"access_token"`
				R *string `json:"refresh_token"`
				T *string `json:"token_type"`
			}{&body.AccessToken, &body.RefreshToken, &body.TokenType})
			if w.Code != 200 || body.TokenType != "DPoP" {
				t.Fatalf("refresh with the key: %d %s", w.Code, w.Body)
			}
			if rotation != (body.RefreshToken != "") {
				t.Fatalf("rotation %v, refresh_token in the body %q", rotation, body.RefreshToken)
			}
			for _, tok := range []string{body.AccessToken, body.RefreshToken} {
				if tok == "" {
					continue
				}
				v, err := e.a.Verify(context.Background(), tok, authjwt.Requirement{Refresh: tok == body.RefreshToken})
				if err != nil || v.DPoPThumbprint() != e.key.Thumbprint() {
					t.Fatalf("successor: %v, jkt %q, want bound to the key", err, v.DPoPThumbprint())
				}
			}
			if rotation {
				// The used token is consumed: a second use, even with the
				// key, is reuse.
				if w := post(func(r *http.Request) { e.key.SetDPoP(t, r, pair.RefreshToken) }); errCode(w) != "refresh_token_reuse" {
					t.Fatalf("second use of a rotated bound refresh token: %d %s", w.Code, w.Body)
				}
			}

			// An unbound refresh token with a proof: bound successors.
			plain := authjwttest.Pair(t, e.a, "bob")
			w = post(func(r *http.Request) {
				authjwttest.SetBearer(r, plain.RefreshToken)
				e.key.SetProof(t, r)
			})
			var at struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
			}
			json.Unmarshal(w.Body.Bytes(), &at)
			if w.Code != 200 || at.TokenType != "DPoP" {
				t.Fatalf("unbound refresh token with a proof: %d %s", w.Code, w.Body)
			}
			if v, err := e.a.Verify(context.Background(), at.AccessToken, authjwt.Requirement{}); err != nil || v.DPoPThumbprint() != e.key.Thumbprint() {
				t.Fatalf("access token from an unbound refresh with a proof: %v", err)
			}
			// Without a proof, bearer tokens as before.
			plain2 := authjwttest.Pair(t, e.a, "bob")
			if w := post(func(r *http.Request) { authjwttest.SetBearer(r, plain2.RefreshToken) }); w.Code != 200 || strings.Contains(w.Body.String(), "token_type") {
				t.Fatalf("unbound refresh without a proof: %d %s", w.Code, w.Body)
			}
		})
	}
}

// TestCheckDPoPProof: the proof of a token request (no ath), its errors,
// and the modes.
func TestCheckDPoPProof(t *testing.T) {
	e := newDPoPEnv(t, nil)
	login := func(opts ...authjwttest.ProofOption) *http.Request {
		r := httptest.NewRequest("POST", "https://api.example.com/login", nil)
		e.key.SetProof(t, r, opts...)
		return r
	}
	r := login()
	jkt, err := e.a.CheckDPoPProof(r)
	if err != nil || jkt != e.key.Thumbprint() {
		t.Fatalf("CheckDPoPProof = %q, %v", jkt, err)
	}
	if _, err := e.b.CheckDPoPProof(r); !errors.Is(err, authjwt.ErrDPoPReplay) {
		t.Fatalf("the same proof on the other instance: %v", err)
	}
	if _, err := e.a.CheckDPoPProof(login(authjwttest.ProofClaim("htm", "GET"))); !errors.Is(err, authjwt.ErrInvalidDPoPProof) {
		t.Fatalf("proof for GET at a POST: %v", err)
	}
	if jkt, err := e.a.CheckDPoPProof(httptest.NewRequest("POST", "https://api.example.com/login", nil)); jkt != "" || err != nil {
		t.Fatalf("no proof, DPoP allowed: %q, %v", jkt, err)
	}
	req, _ := authjwttest.New(t, authjwt.Config{DPoP: authjwt.DPoPConfig{Mode: authjwt.DPoPRequired}})
	if _, err := req.CheckDPoPProof(httptest.NewRequest("POST", "https://api.example.com/login", nil)); !errors.Is(err, authjwt.ErrDPoPRequired) {
		t.Fatalf("no proof, DPoP required: %v", err)
	}
	off, _ := authjwttest.New(t, authjwt.Config{DPoP: authjwt.DPoPConfig{Mode: authjwt.DPoPOff}})
	if jkt, err := off.CheckDPoPProof(login()); jkt != "" || err != nil {
		t.Fatalf("DPoP off: %q, %v", jkt, err)
	}
	if _, err := e.a.CreateAccessToken("alice", authjwt.WithDPoP("not-a-thumbprint")); err == nil {
		t.Fatal("WithDPoP accepted a value that is not a thumbprint")
	}
}

// TestDPoPExternalURL: behind a proxy, htu is judged against the
// configured external URL (with its path prefix), never X-Forwarded-*.
func TestDPoPExternalURL(t *testing.T) {
	e := newDPoPEnv(t, func(c *authjwt.Config) { c.DPoP.ExternalURL = "https://public.example.com/api/" })
	inner := func(htu string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "http://10.0.0.7:8080/resource", nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		r.Header.Set("Authorization", "DPoP "+e.token)
		r.Header.Set("DPoP", e.key.Proof(t, "GET", htu, authjwttest.ProofAccessToken(e.token)))
		return serveDPoP(e.a, r, authjwt.Requirement{})
	}
	if w := inner("https://public.example.com/api/resource", nil); w.Code != 200 {
		t.Fatalf("htu of the external URL: %d %s", w.Code, w.Body)
	}
	if w := inner("http://10.0.0.7:8080/resource", nil); errCode(w) != "invalid_dpop_proof" {
		t.Fatalf("htu of the internal URL: %d %s", w.Code, w.Body)
	}
	fwd := map[string]string{"X-Forwarded-Host": "evil.example.com", "X-Forwarded-Proto": "https", "Forwarded": "host=evil.example.com;proto=https"}
	if w := inner("https://evil.example.com/resource", fwd); errCode(w) != "invalid_dpop_proof" {
		t.Fatalf("htu of a forwarded host: %d %s", w.Code, w.Body)
	}
}

// TestDPoPConcurrent: many requests at once on two instances sharing the
// store, each with its own proof, all pass (the jwk cache and the replay
// marks are safe for concurrent use); the same proof sent concurrently to
// both passes exactly once.
func TestDPoPConcurrent(t *testing.T) {
	e := newDPoPEnv(t, nil)
	const n = 40
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = dpopRequest("GET")
		e.key.SetDPoP(t, reqs[i], e.token)
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv := e.a
			if i%2 == 1 {
				srv = e.b
			}
			codes[i] = serveDPoP(srv, reqs[i], authjwt.Requirement{}).Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	same := dpopRequest("GET")
	e.key.SetDPoP(t, same, e.token)
	ok := make([]bool, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := dpopRequest("GET")
			r.Header = same.Header.Clone()
			srv := e.a
			if i%2 == 1 {
				srv = e.b
			}
			ok[i] = serveDPoP(srv, r, authjwt.Requirement{}).Code == 200
		}()
	}
	wg.Wait()
	passed := 0
	for _, v := range ok {
		if v {
			passed++
		}
	}
	if passed != 1 {
		t.Fatalf("the same proof passed %d times of %d, want exactly once", passed, n)
	}
}
