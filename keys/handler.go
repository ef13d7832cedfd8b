package keys

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// KeyLister is anything that lists keys: a [*Set], a [*Remote], or a
// custom source.
type KeyLister interface {
	// Keys returns the keys to publish; private and secret material is
	// never served.
	Keys() []Key
}

// DefaultJWKSMaxAge is the Cache-Control max-age [Handler] sends.
const DefaultJWKSMaxAge = 5 * time.Minute

// HandlerConfig configures [NewHandler].
type HandlerConfig struct {
	// MaxAge is sent as Cache-Control: public, max-age=N. Zero means
	// [DefaultJWKSMaxAge]; negative sends "no-cache".
	MaxAge time.Duration
	// ContentType defaults to "application/jwk-set+json"; some clients
	// prefer "application/json".
	ContentType string
}

// Handler returns an http.Handler serving the public keys of src as a JWK
// Set with the defaults of [HandlerConfig].
func Handler(src KeyLister) http.Handler { return NewHandler(src, HandlerConfig{}) }

// NewHandler returns an http.Handler serving {"keys":[...]}: every public
// key of src (listed on each request, so rotations show at once) with use
// "sig", its alg and kid, and never private or symmetric material (HMAC keys
// are left out, so a set of HMAC keys only gives an empty list). Responses
// carry Cache-Control and a strong ETag; If-None-Match gives 304. Methods
// other than GET and HEAD get 405.
func NewHandler(src KeyLister, cfg HandlerConfig) http.Handler {
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultJWKSMaxAge
	}
	if cfg.ContentType == "" {
		cfg.ContentType = "application/jwk-set+json"
	}
	cc := "no-cache"
	if cfg.MaxAge > 0 {
		cc = "public, max-age=" + strconv.FormatInt(int64(cfg.MaxAge/time.Second), 10)
	}
	return &jwksHandler{src: src, cacheControl: cc, contentType: cfg.ContentType}
}

type jwksHandler struct {
	src          KeyLister
	cacheControl string
	contentType  string
}

func (h *jwksHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	set, err := PublicJWKS(h.src.Keys())
	if err != nil {
		http.Error(w, "key set unavailable", http.StatusInternalServerError)
		return
	}
	body, err := json.Marshal(set)
	if err != nil {
		http.Error(w, "key set unavailable", http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	hdr := w.Header()
	hdr.Set("Cache-Control", h.cacheControl)
	hdr.Set("ETag", etag)
	hdr.Set("X-Content-Type-Options", "nosniff")
	if etagMatches(r.Header.Values("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", h.contentType)
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// etagMatches applies If-None-Match (RFC 9110 §13.1.2, weak comparison).
func etagMatches(values []string, etag string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// PublicKeyPEM returns the public key of k as an SPKI "PUBLIC KEY" PEM
// block and its RFC 7638 thumbprint (the default kid), for services that
// hand their verification key out directly rather than as a JWKS. HMAC keys
// have no public key and are an error.
func PublicKeyPEM(k Key) (pemText string, thumbprint string, err error) {
	if k.Secret != nil {
		return "", "", errors.New("authjwt: an HMAC key has no public key to publish")
	}
	pub := k.Public
	if pub == nil && k.Signer != nil {
		pub = k.Signer.Public()
	}
	if pub == nil {
		return "", "", errors.New("authjwt: key has no public key")
	}
	p, err := MarshalPublicKeyPEM(pub)
	if err != nil {
		return "", "", err
	}
	tp, err := Thumbprint(pub)
	if err != nil {
		return "", "", err
	}
	return string(p), tp, nil
}
