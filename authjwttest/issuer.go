package authjwttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
)

// Issuer is a third-party identity provider for tests: a loopback TLS
// server that serves OpenID Connect discovery at
// /.well-known/openid-configuration and its public keys as a JWK Set at
// /.well-known/jwks.json, and mints tokens signed with its own keys. Point
// an [authjwt.TrustedIssuer] at it with [Issuer.TrustedIssuer] to test an
// application that accepts tokens from Auth0, Keycloak, Okta or Entra ID,
// without them.
//
// An Issuer is safe for concurrent use. It is closed when the test ends.
type Issuer struct {
	// URL is the issuer identifier ("iss") and the server's base URL,
	// https://127.0.0.1:<port>.
	URL string
	// Alg is the algorithm the issuer signs with.
	Alg string
	// Server is the TLS test server. Its Client() trusts the server's
	// certificate.
	Server *httptest.Server
	// Keys holds the issuer's keys; the JWKS lists their public halves.
	Keys *keys.Set

	mu  sync.Mutex
	now func() time.Time
	typ string
}

// NewIssuer starts an Issuer signing with alg (RS256 when empty; any of
// RS*, PS*, ES* and EdDSA), with a freshly generated key. Tokens it mints
// take their times from the real clock unless [Issuer.SetNow] says
// otherwise.
func NewIssuer(tb testing.TB, alg string) *Issuer {
	tb.Helper()
	if alg == "" {
		alg = "RS256"
	}
	iss := &Issuer{Alg: alg, Keys: keys.NewSet(), now: time.Now, typ: "JWT"}
	if _, err := iss.Keys.AddSigner(generateKey(tb, alg)); err != nil {
		tb.Fatalf("authjwttest.NewIssuer: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", keys.Handler(iss.Keys))
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		// iss.URL is written after the server starts, and a client in
		// another process (whose requests the race detector cannot order
		// after that write) may ask at any time: read it under the lock.
		iss.mu.Lock()
		u := iss.URL
		iss.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                u,
			"jwks_uri":                              u + "/.well-known/jwks.json",
			"id_token_signing_alg_values_supported": []string{iss.Alg},
		})
	})
	iss.Server = httptest.NewTLSServer(mux)
	iss.mu.Lock()
	iss.URL = iss.Server.URL
	iss.mu.Unlock()
	tb.Cleanup(iss.Server.Close)
	return iss
}

// generateKey returns a new signing key for alg.
func generateKey(tb testing.TB, alg string) keys.Key {
	tb.Helper()
	var (
		signer crypto.Signer
		err    error
	)
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		signer, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		signer, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA", "Ed25519":
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	default:
		tb.Fatalf("authjwttest: issuer algorithm %q is not an asymmetric JWS algorithm", alg)
	}
	if err != nil {
		tb.Fatalf("authjwttest: generating a %s key: %v", alg, err)
	}
	k, err := keys.NewSigningKey(alg, signer)
	if err != nil {
		tb.Fatalf("authjwttest: %v", err)
	}
	return k
}

// SetNow makes the issuer take iat and exp from now (for instance a
// [Clock]'s Now, shared with the Auth under test).
func (i *Issuer) SetNow(now func() time.Time) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.now = now
}

// SetTyp sets the "typ" header of the tokens the issuer signs from now on:
// "JWT" by default, as most providers send; "at+jwt" for a provider that
// types its access tokens (RFC 9068), to test a TrustedIssuer with
// RequireAtJWT; "" for no typ at all; or any other type (logout+jwt,
// dpop+jwt) to test that it is refused.
func (i *Issuer) SetTyp(typ string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.typ = typ
}

// TrustedIssuer returns the configuration that makes an Auth accept this
// issuer's tokens for audience: its URL, its algorithm, and an HTTP client
// trusting its certificate (discovery finds the JWKS). Set RolesClaim and
// the other fields on the result as needed.
func (i *Issuer) TrustedIssuer(audience ...string) authjwt.TrustedIssuer {
	return authjwt.TrustedIssuer{
		Issuer:     i.URL,
		Audience:   audience,
		Algorithms: []string{i.Alg},
		HTTPClient: i.Server.Client(),
		Remote:     keys.RemoteConfig{RefreshUnknownKIDInterval: time.Nanosecond},
	}
}

// Token returns a token signed by the issuer's current key with claims.
// Unless claims set them, "iss" is the issuer's URL, "iat" is now and "exp"
// one hour later; a claim set to nil is left out (to test a token without
// "exp", say). A provider's tokens carry no authjwt type claim; add "aud",
// "sub" and the provider's own claims ("scp", "realm_access", …) as the
// test needs.
func (i *Issuer) Token(tb testing.TB, claims map[string]any) string {
	tb.Helper()
	i.mu.Lock()
	now := i.now()
	i.mu.Unlock()
	all := map[string]any{
		"iss": i.URL,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	maps.Copy(all, claims)
	for k, v := range all {
		if v == nil {
			delete(all, k)
		}
	}
	payload, err := json.Marshal(all)
	if err != nil {
		tb.Fatalf("authjwttest: Issuer.Token: %v", err)
	}
	return i.Sign(tb, payload)
}

// Sign returns a compact JWS of payload (taken as is, so it may be any
// bytes) signed by the issuer's current key, with the header
// {"alg":…,"kid":…,"typ":"JWT"} (the typ of [Issuer.SetTyp]).
func (i *Issuer) Sign(tb testing.TB, payload []byte) string {
	tb.Helper()
	k := i.Keys.Signer()
	alg, ok := jws.ParseAlg(k.Alg)
	if !ok {
		tb.Fatalf("authjwttest: Issuer.Sign: unknown algorithm %q", k.Alg)
	}
	h := map[string]string{"alg": k.Alg, "kid": k.KID}
	i.mu.Lock()
	if i.typ != "" {
		h["typ"] = i.typ
	}
	i.mu.Unlock()
	hdr, err := json.Marshal(h)
	if err != nil {
		tb.Fatalf("authjwttest: Issuer.Sign: %v", err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hdr) + "." + enc.EncodeToString(payload)
	sig, err := jws.Sign(alg, k.Signer, input)
	if err != nil {
		tb.Fatalf("authjwttest: Issuer.Sign: %v", err)
	}
	return input + "." + enc.EncodeToString(sig)
}

// RotateKey adds a new key of the issuer's algorithm and signs with it
// from now on; the previous keys stay in the JWKS, as a provider keeps
// them during a rollover. It returns the new key's kid. An Auth trusting
// the issuer fetches the new key when it first sees its kid.
func (i *Issuer) RotateKey(tb testing.TB) string {
	tb.Helper()
	k, err := i.Keys.AddSigner(generateKey(tb, i.Alg))
	if err != nil {
		tb.Fatalf("authjwttest: Issuer.RotateKey: %v", err)
	}
	return k.KID
}

// String describes the issuer: its URL and algorithm.
func (i *Issuer) String() string { return fmt.Sprintf("authjwttest.Issuer(%s, %s)", i.URL, i.Alg) }
