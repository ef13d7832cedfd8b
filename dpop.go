package authjwt

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
)

// dpopVerifier judges DPoP proofs (RFC 9449 §4.3), built once by New from
// Config.DPoP: the proof's form and signature (through internal/jws and
// package keys), the request it names (htm, htu), its age (iat), the
// access token it carries the hash of (ath), the server nonce. What needs
// the verified token (cnf.jkt) or the store (jti replay) comes later, in
// Auth.bindDPoP. Nothing here runs for a bearer request.
type dpopVerifier struct {
	mode     string
	algs     [jws.NumAlgs]bool
	algNames []string
	algAttr  string // algs="…" of challenges: the names, space-separated
	lifetime int64  // seconds: |now - iat| accepted, with leeway
	leeway   int64
	now      func() time.Time
	external *url.URL // Config.DPoP.ExternalURL; nil: the request's
	nonces   *nonceSource
	jwks     jwkCache
}

// jwkCache remembers the keys of the proofs' jwks: a client signs every
// proof with the same key, and parsing its jwk (JSON, the point's checks)
// and its thumbprint cost about a third of the proof's ES256 verification.
// An entry is the parse of exact bytes under one alg, so a hit is what a
// parse would give. Bounded: a client sending a new key with every
// request only evicts others.
type jwkCache struct {
	mu sync.RWMutex
	m  map[string]proofKey
}

// maxJWKCache bounds the jwk cache.
const maxJWKCache = 1024

// proofKey is a parsed proof jwk fit for its alg, with its thumbprint.
type proofKey struct {
	pub crypto.PublicKey
	jkt string
}

// key returns the public key of jwk for alg: parsed by package keys,
// refusing private members and a key that does not fit alg.
func (c *jwkCache) key(alg jws.Alg, jwk []byte) (proofKey, error) {
	ck := string(rune(alg)) + string(jwk)
	c.mu.RLock()
	k, ok := c.m[ck]
	c.mu.RUnlock()
	if ok {
		return k, nil
	}
	parsed, err := keys.ParseJWK(jwk)
	if err != nil {
		return proofKey{}, proofError("jwk is not a public key", err)
	}
	if err := keys.CheckKey(alg.String(), parsed.Public); err != nil {
		return proofKey{}, proofError("jwk does not fit alg "+alg.String(), err)
	}
	jkt, err := keys.Thumbprint(parsed.Public)
	if err != nil {
		return proofKey{}, proofError("jwk has no thumbprint", err)
	}
	k = proofKey{pub: parsed.Public, jkt: jkt}
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]proofKey)
	}
	if len(c.m) >= maxJWKCache {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[ck] = k
	c.mu.Unlock()
	return k, nil
}

// defaultDPoPAlgs is the algs attribute of the package-level WriteError,
// which has no configuration: the default algorithms.
var defaultDPoPAlgs = func() string {
	var d DPoPConfig
	d.applyDefaults()
	return strings.Join(d.Algorithms, " ")
}()

func newDPoPVerifier(cfg *Config, log *slog.Logger) *dpopVerifier {
	d := &cfg.DPoP
	v := &dpopVerifier{
		mode:     d.Mode,
		algNames: d.Algorithms,
		algAttr:  strings.Join(d.Algorithms, " "),
		lifetime: seconds(d.ProofLifetime),
		leeway:   seconds(cfg.Claims.DecodeLeeway),
		now:      cfg.Now,
	}
	for _, name := range d.Algorithms {
		a, _ := jws.ParseAlg(name)
		v.algs[a] = true
	}
	if d.ExternalURL != "" {
		v.external, _ = parseExternalURL(d.ExternalURL) // validated
	}
	if d.Nonce {
		key := []byte(d.NonceKey)
		if len(key) == 0 && cfg.Keys.SecretKey != "" {
			m := hmac.New(sha256.New, []byte(cfg.Keys.SecretKey))
			m.Write([]byte("authjwt DPoP nonce key"))
			key = m.Sum(nil)
		}
		if len(key) == 0 {
			key = make([]byte, 32)
			rand.Read(key)
			log.Warn("authjwt: DPoP nonces are keyed per process (no DPoP.NonceKey and no Keys.SecretKey): instances will not accept each other's nonces; set DPoP.NonceKey (AUTHJWT_DPOP_NONCE_KEY) when running several")
		}
		v.nonces = &nonceSource{key: key, window: seconds(d.NonceLifetime), now: cfg.Now}
	}
	return v
}

// parseExternalURL reads DPoP.ExternalURL: http or https, a host, an
// optional path prefix, nothing else.
func parseExternalURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%q is not an http or https URL with a host", s)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("%q has user information, a query or a fragment", s)
	}
	n, ok := normalizeHTU(u)
	if !ok {
		return nil, fmt.Errorf("%q has an invalid host or port", s)
	}
	out, _ := url.Parse(strings.TrimSuffix(n, "/"))
	return out, nil
}

// modeFor is the DPoP mode of a route.
func (v *dpopVerifier) modeFor(req *Requirement) string {
	if req.DPoP != "" {
		return req.DPoP
	}
	return v.mode
}

// requiredFor reports whether the route of req accepts DPoP-bound tokens
// only.
func (v *dpopVerifier) requiredFor(req *Requirement) bool {
	return req.DPoP == DPoPRequired || req.DPoP == "" && v.mode == DPoPRequired
}

// dpopProof is what a verified proof tells the rest of the request.
type dpopProof struct {
	jkt string // RFC 7638 thumbprint of the proof's key
	// replayKey names the proof (its key and jti) for the replay guard,
	// which must remember it until replayUntil.
	replayKey string
	iat       int64
}

// proofError is ErrInvalidDPoPProof with a reason.
func proofError(reason string, cause error) *Error {
	return ErrInvalidDPoPProof.with(cause, "Invalid DPoP proof: "+reason)
}

var (
	errProofMissing  = proofError("missing DPoP header", nil)
	errProofRepeated = proofError("more than one DPoP header", nil)
)

// maxProofJTI bounds a proof's jti: it is hashed, never stored as given,
// but a longer one is no client's.
const maxProofJTI = 256

// verify judges the proof of r (its DPoP header values) for the request
// r is, and, when token is not "", for that access token (ath).
func (v *dpopVerifier) verify(r *http.Request, vals []string, token string) (dpopProof, error) {
	if len(vals) == 0 || len(vals) == 1 && vals[0] == "" {
		return dpopProof{}, errProofMissing
	}
	if len(vals) > 1 {
		return dpopProof{}, errProofRepeated
	}
	p, err := jws.ParseProof(vals[0])
	if err != nil {
		reason, ok := proofRefusals.Map(err)
		if !ok {
			reason = proofRefusals.Malformed
		}
		return dpopProof{}, proofError(reason, err)
	}
	if !v.algs[p.Alg] {
		return dpopProof{}, proofError("algorithm "+p.Alg.String()+" not allowed", nil)
	}
	k, err := v.jwks.key(p.Alg, p.JWK)
	if err != nil {
		return dpopProof{}, err
	}
	if err := p.Verify(k.pub); err != nil {
		return dpopProof{}, proofError("signature verification failed", err)
	}
	if p.HTM != r.Method {
		return dpopProof{}, proofError("htm does not match the request method", nil)
	}
	if p.HTU == "" {
		return dpopProof{}, proofError("missing htu", nil)
	}
	if want := v.requestHTU(r); p.HTU != want {
		// Not the normal form byte for byte: normalise it (the expected
		// URL is normal and has no query or fragment).
		if got, ok := parseHTU(p.HTU); !ok {
			return dpopProof{}, proofError("htu is not an http or https URL without query and fragment", nil)
		} else if got != want {
			return dpopProof{}, proofError("htu does not match the request URL", nil)
		}
	}
	if !p.HasIAT {
		return dpopProof{}, proofError("missing iat", nil)
	}
	now := v.now().Unix()
	if d := now - p.IAT; d > v.lifetime+v.leeway || -d > v.lifetime+v.leeway {
		return dpopProof{}, proofError("iat outside the accepted window", nil)
	}
	if p.JTI == "" {
		return dpopProof{}, proofError("missing jti", nil)
	}
	if len(p.JTI) > maxProofJTI {
		return dpopProof{}, proofError("jti too long", nil)
	}
	if token != "" {
		if p.ATH == "" {
			return dpopProof{}, proofError("missing ath", nil)
		}
		sum := sha256.Sum256([]byte(token))
		want := base64.RawURLEncoding.EncodeToString(sum[:])
		if !hmac.Equal([]byte(p.ATH), []byte(want)) { // constant time
			return dpopProof{}, proofError("ath does not match the access token", nil)
		}
	}
	if v.nonces != nil && !v.nonces.valid(p.Nonce) {
		if p.Nonce == "" {
			return dpopProof{}, ErrUseDPoPNonce
		}
		return dpopProof{}, ErrUseDPoPNonce.with(nil, "DPoP nonce stale or invalid")
	}
	jkt := k.jkt
	h := sha256.New()
	h.Write([]byte(jkt))
	h.Write([]byte{0})
	h.Write([]byte(p.JTI))
	return dpopProof{jkt: jkt, replayKey: base64.RawURLEncoding.EncodeToString(h.Sum(nil)), iat: p.IAT}, nil
}

// proofRefusals says what the codec refused of a proof.
var proofRefusals = jws.Refusals[string]{
	ProofTyp:          "typ is not dpop+jwt",
	ProofJWK:          "no jwk in the header",
	Algorithm:         "unknown or missing algorithm",
	TooLarge:          "too large",
	HeaderTooLarge:    "too large",
	SignatureTooLarge: "too large",
	Unsigned:          "unsigned",
	Malformed:         "malformed",
}

// parseHTU reads a proof's htu: an absolute http or https URL without
// query or fragment, normalised (see normalizeHTU).
func parseHTU(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return "", false
	}
	return normalizeHTU(u)
}

// normalizeHTU is RFC 9449 §4.3 point 9 with RFC 3986 §6.2.2–6.2.3: the
// scheme and host in lower case, the default port dropped, an empty path
// as "/", the path in its escaped form. The scheme must be http or https
// (a WebSocket handshake's htu is its http or https URL too).
func normalizeHTU(u *url.URL) (string, bool) {
	scheme := strings.ToLower(u.Scheme)
	var def string
	switch scheme {
	case "http":
		def = "80"
	case "https":
		def = "443"
	default:
		return "", false
	}
	if u.Host == "" || strings.HasSuffix(u.Host, ":") {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" {
		return "", false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" && port != def {
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// requestHTU is the normalised URL of r as the client addressed it: under
// ExternalURL, or by r's own TLS state and Host. Never X-Forwarded-*.
func (v *dpopVerifier) requestHTU(r *http.Request) string {
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if v.external != nil {
		return v.external.Scheme + "://" + v.external.Host + v.external.EscapedPath() + path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	n, ok := normalizeHTU(&url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath})
	if !ok {
		return "" // matches no htu
	}
	return n
}

// nonceSource makes and checks the server nonces: the time window's
// number and an HMAC of it under the key, so that every instance with the
// key makes and accepts the same nonces with no shared state. A nonce is
// accepted in its window and the next.
type nonceSource struct {
	key    []byte
	window int64 // seconds
	now    func() time.Time
}

const nonceMACLen = 16

func (n *nonceSource) at(w int64) string {
	var b [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(b[:8], uint64(w))
	m := hmac.New(sha256.New, n.key)
	m.Write([]byte("authjwt DPoP nonce\x00"))
	m.Write(b[:8])
	mac := m.Sum(b[:8])
	return base64.RawURLEncoding.EncodeToString(mac[:8+nonceMACLen])
}

// current returns the nonce of the current window.
func (n *nonceSource) current() string { return n.at(n.now().Unix() / n.window) }

func (n *nonceSource) valid(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 8+nonceMACLen {
		return false
	}
	w := int64(binary.BigEndian.Uint64(b[:8]))
	cur := n.now().Unix() / n.window
	if w != cur && w != cur-1 {
		return false
	}
	return hmac.Equal([]byte(n.at(w)), []byte(s))
}

// cnfJKT returns the jkt member of a cnf claim (raw JSON), "" without one.
// The claim as WithDPoP writes it is read without a JSON decoder.
func cnfJKT(cnf string) (string, error) {
	if v, ok := strings.CutPrefix(cnf, `{"jkt":"`); ok {
		if v, ok := strings.CutSuffix(v, `"}`); ok && isThumbprint(v) {
			return v, nil
		}
	}
	var c struct {
		JKT *string `json:"jkt"`
	}
	if err := json.Unmarshal([]byte(cnf), &c); err != nil {
		return "", err
	}
	if c.JKT == nil {
		return "", nil
	}
	if *c.JKT == "" {
		return "", errors.New("empty cnf.jkt")
	}
	return *c.JKT, nil
}

// DPoPThumbprint returns the RFC 7638 thumbprint of the key the token is
// bound to (its cnf.jkt, RFC 9449 §6), or "" for a bearer token.
func (t *Token) DPoPThumbprint() string {
	if t == nil || t.c.Cnf() == "" {
		return ""
	}
	jkt, _ := cnfJKT(t.c.Cnf())
	return jkt
}

// bindDPoP checks what the verified token t and the way it came must
// prove together: a bound token came under the DPoP scheme with a proof of
// its key, whose jti is used for the first time; a token under the DPoP
// scheme is bound. It runs only for the DPoP scheme and tokens with cnf.
func (a *Auth) bindDPoP(ctx context.Context, cred *credential, t *Token) error {
	jkt := ""
	if cnf := t.c.Cnf(); cnf != "" {
		var err error
		if jkt, err = cnfJKT(cnf); err != nil {
			return ErrInvalidClaim.with(err, "Invalid claim: cnf")
		}
	}
	if cred.source != sourceDPoP {
		if jkt != "" {
			return ErrDPoPBoundToken
		}
		return nil
	}
	if jkt == "" {
		return ErrDPoPNotBound
	}
	if !hmac.Equal([]byte(jkt), []byte(cred.proof.jkt)) { // constant time
		return ErrDPoPKeyMismatch
	}
	return a.proofFirstUse(ctx, &cred.proof)
}

// proofFirstUse refuses a proof whose jti was seen within its window, on
// this instance or any sharing the store.
func (a *Auth) proofFirstUse(ctx context.Context, p *dpopProof) error {
	// Kept while the proof could be accepted: its iat plus the window and
	// the leeway, plus the store timeout for a late query.
	until := p.iat + a.dp.lifetime + a.dp.leeway
	first, err := a.rev.firstUse(ctx, p.replayKey, until)
	if err != nil {
		return err
	}
	if !first {
		return ErrDPoPReplay
	}
	return nil
}

// CheckDPoPProof verifies the DPoP proof of a token request (a login or
// refresh route issuing tokens, RFC 9449 §5): exactly one DPoP header
// whose proof is for this request (htm, htu, iat, nonce; no ath) and
// whose jti is new, and returns the RFC 7638 thumbprint of its key, for
// [WithDPoP]. A request without a DPoP header gives "" and nil (bearer
// tokens), unless DPoP.Mode is required ([ErrDPoPRequired]); with
// DPoP.Mode off, "" and nil whatever the request carries. Errors are
// *Error; write them with [Auth.WriteError] (which adds the DPoP-Nonce
// header a client retries with).
func (a *Auth) CheckDPoPProof(r *http.Request) (string, error) {
	if a.dp.mode == DPoPOff {
		return "", nil
	}
	vals := r.Header["Dpop"]
	if len(vals) == 0 {
		if a.dp.mode == DPoPRequired {
			return "", ErrDPoPRequired.with(nil, "DPoP proof required")
		}
		return "", nil
	}
	p, err := a.dp.verify(r, vals, "")
	if err != nil {
		return "", err
	}
	if err := a.proofFirstUse(r.Context(), &p); err != nil {
		return "", err
	}
	return p.jkt, nil
}

// DPoPNonce returns the current server nonce (RFC 9449 §8), "" when
// nonces are off. [Auth.WriteError] sends it with every DPoP error and the
// middleware with every response to a DPoP request; a token-issuing
// handler sends it as the DPoP-Nonce header.
func (a *Auth) DPoPNonce() string {
	if a.dp.nonces == nil {
		return ""
	}
	return a.dp.nonces.current()
}

// DPoPAlgorithms returns the proof algorithms accepted
// ([DPoPConfig.Algorithms]), for RFC 9728's
// dpop_signing_alg_values_supported; nil when DPoP is off.
func (a *Auth) DPoPAlgorithms() []string {
	if a.dp.mode == DPoPOff {
		return nil
	}
	return append([]string(nil), a.dp.algNames...)
}

// DPoPMode returns the configured DPoP mode ([DPoPConfig.Mode]).
func (a *Auth) DPoPMode() string { return a.dp.mode }

type dpopOpt string

func (o dpopOpt) applyToken(t *tokenOpts) {
	if o == "" {
		t.jkt = ""
		return
	}
	if !isThumbprint(string(o)) {
		t.err = fmt.Errorf("authjwt: WithDPoP: %q is not an RFC 7638 SHA-256 thumbprint (43 base64url characters)", string(o))
		return
	}
	t.jkt = string(o)
}

// WithDPoP binds the token to the key of thumbprint jkt (RFC 9449 §6: the
// claim cnf {"jkt": jkt}), as [Auth.CheckDPoPProof] returns it: the token
// is then accepted only under the DPoP scheme with a proof of that key.
// With [Auth.CreatePair] both tokens are bound, and the pair's TokenType
// is "DPoP". An empty jkt leaves the token unbound.
func WithDPoP(jkt string) TokenOption { return dpopOpt(jkt) }

func isThumbprint(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

// dpopTokenError makes the challenge of a token refused under the DPoP
// scheme a DPoP one (RFC 9449 §7.1): error="invalid_token" and the algs.
func dpopTokenError(err error) error {
	e := AsError(err)
	if e.dpop || e.Status != http.StatusUnauthorized {
		return e
	}
	c := *e
	c.dpop = true
	return &c
}
