package main

import (
	"strings"
	"testing"

	"github.com/librenz/authjwt/authjwttest"
)

// dpopReq is a request presenting token under the DPoP scheme with a
// proof of key for it (ath), against the server at base.
func dpopReq(t *testing.T, key *authjwttest.DPoPKey, base, method, path, token string, opts ...authjwttest.ProofOption) req {
	h := map[string]string{}
	if token != "" {
		h["Authorization"] = "DPoP " + token
		opts = append([]authjwttest.ProofOption{authjwttest.ProofAccessToken(token)}, opts...)
	}
	h["DPoP"] = key.Proof(t, method, base+path, opts...)
	return req{method: method, path: path, header: h}
}

const aliceLogin = `{"username":"alice","password":"secret"}`

func expectDPoPChallenge(t *testing.T, what string, r response, code, attr string) {
	t.Helper()
	if r.status != 401 || r.body["code"] != code {
		t.Fatalf("%s: %d %s, want 401 %s", what, r.status, r.raw, code)
	}
	ch := r.header.Get("WWW-Authenticate")
	if !strings.HasPrefix(ch, "DPoP ") || !strings.Contains(ch, `error="`+attr+`"`) || !strings.Contains(ch, `algs="`) || !strings.Contains(ch, " ES256 ") {
		t.Fatalf("%s: WWW-Authenticate %q, want DPoP error=%q with algs", what, ch, attr)
	}
}

// TestDPoPProcess drives `authjwt serve` with DPoP allowed (the default):
// a login with a proof gets bound tokens, which work only under the
// DPoP scheme with a fresh proof of their key, refresh only with it, and
// a login without a proof gets bearer tokens as before.
func TestDPoPProcess(t *testing.T) {
	p := startServe(t)
	key := authjwttest.NewDPoPKey(t, "ES256")
	other := authjwttest.NewDPoPKey(t, "EdDSA")

	login := dpopReq(t, key, p.base, "POST", "/login", "")
	login.body = aliceLogin
	r := p.do(login)
	if r.status != 200 || r.body["token_type"] != "DPoP" {
		t.Fatalf("login with a proof: %d %s", r.status, r.raw)
	}
	access, refresh := r.str(t, "access_token"), r.str(t, "refresh_token")

	claims := p.do(dpopReq(t, key, p.base, "GET", "/claims", access))
	if claims.status != 200 {
		t.Fatalf("GET /claims under DPoP: %d %s", claims.status, claims.raw)
	}
	cnf, _ := claims.body["claims"].(map[string]any)["cnf"].(map[string]any)
	if cnf["jkt"] != key.Thumbprint() {
		t.Fatalf("access token cnf = %v, want jkt %s", cnf, key.Thumbprint())
	}

	ok := dpopReq(t, key, p.base, "GET", "/protected", access)
	if r := p.do(ok); r.status != 200 || r.body["user"] != "alice" {
		t.Fatalf("GET /protected under DPoP: %d %s", r.status, r.raw)
	}
	expectDPoPChallenge(t, "the same proof again", p.do(ok), "dpop_proof_replayed", "invalid_dpop_proof")
	expectDPoPChallenge(t, "bound token as Bearer", p.do(req{method: "GET", path: "/protected", token: access}), "dpop_bound_token", "invalid_token")
	expectDPoPChallenge(t, "proof of another key", p.do(dpopReq(t, other, p.base, "GET", "/protected", access)), "dpop_key_mismatch", "invalid_token")
	elsewhere := dpopReq(t, key, p.base, "GET", "/admin", access)
	elsewhere.path = "/protected"
	expectDPoPChallenge(t, "proof for another URL", p.do(elsewhere), "invalid_dpop_proof", "invalid_dpop_proof")
	noProof := req{method: "GET", path: "/protected", header: map[string]string{"Authorization": "DPoP " + access}}
	expectDPoPChallenge(t, "no DPoP header", p.do(noProof), "invalid_dpop_proof", "invalid_dpop_proof")

	// Refresh: only with a proof of the same key, and what it issues is
	// bound too.
	expectDPoPChallenge(t, "refresh with another key", p.do(dpopReq(t, other, p.base, "POST", "/refresh", refresh)), "dpop_key_mismatch", "invalid_token")
	expectDPoPChallenge(t, "bound refresh token as Bearer", p.do(req{method: "POST", path: "/refresh", token: refresh}), "dpop_bound_token", "invalid_token")
	rr := p.do(dpopReq(t, key, p.base, "POST", "/refresh", refresh))
	if rr.status != 200 || rr.body["token_type"] != "DPoP" {
		t.Fatalf("refresh under DPoP: %d %s", rr.status, rr.raw)
	}
	fresh := rr.str(t, "access_token")
	if r := p.do(dpopReq(t, key, p.base, "GET", "/protected", fresh)); r.status != 200 {
		t.Fatalf("refreshed token under DPoP: %d %s", r.status, r.raw)
	}
	expectDPoPChallenge(t, "refreshed token as Bearer", p.do(req{method: "GET", path: "/protected", token: fresh}), "dpop_bound_token", "invalid_token")

	// /fresh-login binds its token the same way.
	fl := dpopReq(t, key, p.base, "POST", "/fresh-login", "")
	fl.body = aliceLogin
	if r := p.do(fl); r.status != 200 || r.body["token_type"] != "DPoP" {
		t.Fatalf("fresh login with a proof: %d %s", r.status, r.raw)
	} else if r := p.do(dpopReq(t, key, p.base, "GET", "/protected-fresh", r.str(t, "access_token"))); r.status != 200 {
		t.Fatalf("fresh bound token on /protected-fresh: %d %s", r.status, r.raw)
	}

	// Without a proof: bearer tokens, as before; under DPoP they are
	// refused.
	b := p.do(req{method: "POST", path: "/login", body: aliceLogin})
	if b.status != 200 || b.body["token_type"] != nil {
		t.Fatalf("login without a proof: %d %s", b.status, b.raw)
	}
	bearer := b.str(t, "access_token")
	if r := p.do(req{method: "GET", path: "/protected", token: bearer}); r.status != 200 {
		t.Fatalf("bearer token: %d %s", r.status, r.raw)
	}
	expectDPoPChallenge(t, "bearer token under DPoP", p.do(dpopReq(t, key, p.base, "GET", "/protected", bearer)), "dpop_token_not_bound", "invalid_token")

	// A bearer refresh token with a proof: the new access token is bound.
	br := dpopReq(t, key, p.base, "POST", "/refresh", "")
	br.token = b.str(t, "refresh_token")
	if r := p.do(br); r.status != 200 || r.body["token_type"] != "DPoP" {
		t.Fatalf("bearer refresh token with a proof: %d %s", r.status, r.raw)
	} else if r := p.do(dpopReq(t, key, p.base, "GET", "/protected", r.str(t, "access_token"))); r.status != 200 {
		t.Fatalf("token bound at refresh: %d %s", r.status, r.raw)
	}
}

// TestDPoPProcessRequiredNonce: AUTHJWT_DPOP=required refuses bearer
// tokens and logins without a proof; AUTHJWT_DPOP_NONCE=true makes a
// proof without the server's nonce fail with use_dpop_nonce and a
// DPoP-Nonce to retry with, at login and at the resource.
func TestDPoPProcessRequiredNonce(t *testing.T) {
	p := startServe(t, "AUTHJWT_DPOP=required", "AUTHJWT_DPOP_NONCE=true")
	key := authjwttest.NewDPoPKey(t, "RS256")

	bare := p.do(req{method: "POST", path: "/login", body: aliceLogin})
	expectDPoPChallenge(t, "login without a proof", bare, "dpop_required", "invalid_token")

	login := dpopReq(t, key, p.base, "POST", "/login", "")
	login.body = aliceLogin
	r := p.do(login)
	expectDPoPChallenge(t, "login without a nonce", r, "use_dpop_nonce", "use_dpop_nonce")
	nonce := r.header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
	}
	login = dpopReq(t, key, p.base, "POST", "/login", "", authjwttest.ProofNonce(nonce))
	login.body = aliceLogin
	r = p.do(login)
	if r.status != 200 || r.body["token_type"] != "DPoP" || r.header.Get("DPoP-Nonce") == "" {
		t.Fatalf("login with the nonce: %d %s (DPoP-Nonce %q)", r.status, r.raw, r.header.Get("DPoP-Nonce"))
	}
	access := r.str(t, "access_token")

	expectDPoPChallenge(t, "resource without a nonce", p.do(dpopReq(t, key, p.base, "GET", "/protected", access)), "use_dpop_nonce", "use_dpop_nonce")
	expectDPoPChallenge(t, "resource with a forged nonce", p.do(dpopReq(t, key, p.base, "GET", "/protected", access, authjwttest.ProofNonce("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))), "use_dpop_nonce", "use_dpop_nonce")
	if r := p.do(dpopReq(t, key, p.base, "GET", "/protected", access, authjwttest.ProofNonce(nonce))); r.status != 200 {
		t.Fatalf("resource with the nonce: %d %s", r.status, r.raw)
	}
	expectDPoPChallenge(t, "bearer scheme with DPoP required", p.do(req{method: "GET", path: "/protected", token: access}), "dpop_required", "invalid_token")
	none := p.do(req{method: "GET", path: "/protected"})
	if ch := none.header.Get("WWW-Authenticate"); none.status != 401 || !strings.HasPrefix(ch, "DPoP") {
		t.Fatalf("no token with DPoP required: %d, WWW-Authenticate %q", none.status, ch)
	}
}
