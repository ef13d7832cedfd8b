package authjwttest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
)

// DPoPKey is a client's DPoP key (RFC 9449), for tests: it signs the
// proofs a client sends beside a DPoP-bound token, or at login and
// refresh to get tokens bound to it ([authjwt.Auth.CheckDPoPProof],
// [authjwt.WithDPoP]).
//
//	key := authjwttest.NewDPoPKey(t, "ES256")
//	key.Now = clock.Now // proofs dated by the test's clock
//	tok := authjwttest.AccessToken(t, a, "alice", authjwt.WithDPoP(key.Thumbprint()))
//	r := httptest.NewRequest("GET", "/profile", nil)
//	key.SetDPoP(t, r, tok) // Authorization: DPoP <tok>, DPoP: <proof>
type DPoPKey struct {
	// Key is the key pair; Key.Alg signs the proofs.
	Key keys.Key
	// Now dates the proofs' iat (default time.Now).
	Now func() time.Time

	jwk map[string]any
	jkt string
}

// NewDPoPKey returns a new DPoP key for alg ("" for ES256): ES256,
// ES384, ES512, RS256…PS512 (RSA-2048) or EdDSA.
func NewDPoPKey(tb testing.TB, alg string) *DPoPKey {
	tb.Helper()
	if alg == "" {
		alg = "ES256"
	}
	k := generateKey(tb, alg)
	j, err := keys.PublicJWK(k)
	if err != nil {
		tb.Fatalf("authjwttest: NewDPoPKey: %v", err)
	}
	// The proof's jwk: the key's members only (no kid, use or alg).
	raw, _ := json.Marshal(j)
	var m map[string]any
	json.Unmarshal(raw, &m)
	for _, drop := range []string{"kid", "use", "alg"} {
		delete(m, drop)
	}
	jkt, err := keys.Thumbprint(k.Public)
	if err != nil {
		tb.Fatalf("authjwttest: NewDPoPKey: %v", err)
	}
	return &DPoPKey{Key: k, jwk: m, jkt: jkt}
}

// Thumbprint returns the key's RFC 7638 thumbprint, the cnf.jkt of the
// tokens bound to it.
func (k *DPoPKey) Thumbprint() string { return k.jkt }

// PublicJWK returns the public JWK the proofs carry (a copy).
func (k *DPoPKey) PublicJWK() map[string]any {
	out := make(map[string]any, len(k.jwk))
	for n, v := range k.jwk {
		out[n] = v
	}
	return out
}

// ProofOption adjusts one proof.
type ProofOption func(*proofSpec)

type proofSpec struct {
	header, claims map[string]any
}

// ProofAccessToken puts the hash of token in the proof (its ath), as a
// proof sent beside an access token must carry. [DPoPKey.SetDPoP] sets it.
func ProofAccessToken(token string) ProofOption {
	return func(s *proofSpec) {
		sum := sha256.Sum256([]byte(token))
		s.claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
}

// ProofNonce puts a server nonce in the proof (the DPoP-Nonce the server
// sent).
func ProofNonce(nonce string) ProofOption {
	return func(s *proofSpec) { s.claims["nonce"] = nonce }
}

// ProofIssuedAt dates the proof (its iat) at t instead of Now.
func ProofIssuedAt(t time.Time) ProofOption {
	return func(s *proofSpec) { s.claims["iat"] = t.Unix() }
}

// ProofJTI gives the proof jti instead of a random one (to replay one).
func ProofJTI(jti string) ProofOption {
	return func(s *proofSpec) { s.claims["jti"] = jti }
}

// ProofClaim sets a payload member of the proof to v, or removes it when v
// is nil: for tests of what a server refuses.
func ProofClaim(name string, v any) ProofOption {
	return func(s *proofSpec) { setOrDelete(s.claims, name, v) }
}

// ProofHeader sets a header member of the proof to v ("typ", "alg",
// "jwk"…), or removes it when v is nil. The signature is still made with
// the key's own algorithm.
func ProofHeader(name string, v any) ProofOption {
	return func(s *proofSpec) { setOrDelete(s.header, name, v) }
}

func setOrDelete(m map[string]any, name string, v any) {
	if v == nil {
		delete(m, name)
		return
	}
	m[name] = v
}

// Proof returns a DPoP proof for a request of method to url (its htu: the
// URL without query and fragment, as a client sends it; url is used as
// given).
func (k *DPoPKey) Proof(tb testing.TB, method, url string, opts ...ProofOption) string {
	tb.Helper()
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	var jti [12]byte
	rand.Read(jti[:])
	s := proofSpec{
		header: map[string]any{"typ": "dpop+jwt", "alg": k.Key.Alg, "jwk": k.PublicJWK()},
		claims: map[string]any{"jti": hex.EncodeToString(jti[:]), "htm": method, "htu": url, "iat": now().Unix()},
	}
	for _, o := range opts {
		o(&s)
	}
	hdr, err := json.Marshal(s.header)
	if err != nil {
		tb.Fatalf("authjwttest: DPoPKey.Proof: %v", err)
	}
	payload, err := json.Marshal(s.claims)
	if err != nil {
		tb.Fatalf("authjwttest: DPoPKey.Proof: %v", err)
	}
	alg, _ := jws.ParseAlg(k.Key.Alg)
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hdr) + "." + enc.EncodeToString(payload)
	sig, err := jws.Sign(alg, k.Key.Signer, input)
	if err != nil {
		tb.Fatalf("authjwttest: DPoPKey.Proof: %v", err)
	}
	return input + "." + enc.EncodeToString(sig)
}

// RequestURL returns the htu of r as a server without
// [authjwt.DPoPConfig.ExternalURL] computes it: http or https (r.TLS),
// r.Host and the path, without query and fragment.
func RequestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + strings.ToLower(r.Host) + path
}

// SetDPoP makes r present token under the DPoP scheme: Authorization:
// DPoP <token>, and a DPoP header with a proof for r's method and URL
// ([RequestURL]) carrying the token's hash. Options adjust the proof.
func (k *DPoPKey) SetDPoP(tb testing.TB, r *http.Request, token string, opts ...ProofOption) {
	tb.Helper()
	r.Header.Set("Authorization", "DPoP "+token)
	r.Header.Set("DPoP", k.Proof(tb, r.Method, RequestURL(r), append([]ProofOption{ProofAccessToken(token)}, opts...)...))
}

// SetProof adds a DPoP header with a proof for r's method and URL and no
// access token hash, as a token request (login, refresh with a bearer
// refresh token) carries.
func (k *DPoPKey) SetProof(tb testing.TB, r *http.Request, opts ...ProofOption) {
	tb.Helper()
	r.Header.Set("DPoP", k.Proof(tb, r.Method, RequestURL(r), opts...))
}
