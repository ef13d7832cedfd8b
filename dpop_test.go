package authjwt_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
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
