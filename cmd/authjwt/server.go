package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/keys"
)

// serverConfig configures [newServer].
type serverConfig struct {
	// Auth is the library configuration (Revocation.Store set when the denylist is
	// enabled). newServer builds the *authjwt.Auth from it.
	Auth authjwt.Config
	// StoreURL names the store for display ("" when the denylist is off).
	StoreURL string
	// Users are the accounts /login accepts; nil means [demoUsers].
	Users map[string]user
	// Logger receives request-handling errors (default slog.Default()).
	Logger *slog.Logger
}

// server is the reference server: the library's Auth, the users, and the
// routes of the spec on a standard library ServeMux.
type server struct {
	auth    *authjwt.Auth
	cfg     authjwt.Config // defaults applied (auth.Config())
	users   map[string]user
	log     *slog.Logger
	jwks    http.Handler
	cookies bool // "cookies" is a token location
	headers bool // "headers" is a token location
	mux     *http.ServeMux
}

// extension adds routes to the server from a file of its own (the
// WebSocket endpoint, the OpenAPI document and docs page): such a file calls
// addExtension from an init function. Patterns lists the ServeMux patterns
// it registers; a placeholder answering 501 is registered for every
// [placeholderPatterns] entry no extension claims.
type extension struct {
	// Name names the extension in errors.
	Name string
	// Patterns are the ServeMux patterns Register adds.
	Patterns []string
	// Register adds the routes to mux. It may use s.auth, s.cfg, s.routes()
	// (for an OpenAPI document) and the helpers of routes.go.
	Register func(s *server, mux *http.ServeMux) error
}

var extensions []extension

// addExtension registers e; call it from an init function.
func addExtension(e extension) { extensions = append(extensions, e) }

// placeholderPatterns are the spec's routes other files provide; until
// they do, each answers 501 with a JSON error.
var placeholderPatterns = []string{"GET /ws", "GET /openapi.json", "GET /docs"}

// newServer validates cfg and returns the reference server's handler. A bad
// setting is an error here, before anything listens.
func newServer(cfg serverConfig) (http.Handler, error) {
	s, err := buildServer(cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// buildServer is newServer returning the concrete *server (tests use its
// Auth to mint tokens).
func buildServer(cfg serverConfig) (*server, error) {
	enableSessions(&cfg.Auth)
	if cfg.Users == nil {
		cfg.Users = demoUsers()
	}
	// The server is an OAuth protected resource (RFC 9728): its metadata
	// is always served, for AUTHJWT_RESOURCE or else its own origin, and
	// lists the roles its routes check as scopes.
	cfg.Auth.Resource.Metadata = true
	if len(cfg.Auth.Resource.Scopes) == 0 {
		cfg.Auth.Resource.Scopes = knownRoles(cfg.Users)
	}
	a, err := authjwt.New(cfg.Auth)
	if err != nil {
		return nil, err
	}
	s := &server{
		auth:  a,
		cfg:   a.Config(),
		users: cfg.Users,
		log:   cfg.Logger,
		mux:   http.NewServeMux(),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.headers = slices.Contains(s.cfg.TokenLocation, authjwt.LocationHeaders)
	s.cookies = slices.Contains(s.cfg.TokenLocation, authjwt.LocationCookies)
	lister, err := publicKeysOf(s.cfg)
	if err != nil {
		return nil, err
	}
	s.jwks = keys.Handler(lister)

	claimed := map[string]bool{}
	for _, r := range s.routes() {
		s.mux.Handle(r.Pattern, r.Handler)
		claimed[r.Pattern] = true
	}
	for _, e := range extensions {
		for _, p := range e.Patterns {
			if claimed[p] {
				return nil, fmt.Errorf("extension %s: pattern %q registered twice", e.Name, p)
			}
			claimed[p] = true
		}
		if err := e.Register(s, s.mux); err != nil {
			return nil, fmt.Errorf("extension %s: %w", e.Name, err)
		}
	}
	for _, p := range placeholderPatterns {
		if !claimed[p] {
			s.mux.Handle(p, s.notImplemented(p))
		}
	}
	return s, nil
}

// knownRoles returns the roles of users, sorted, each once: the scopes of
// the metadata.
func knownRoles(users map[string]user) []string {
	var out []string
	for _, u := range users {
		for _, r := range u.Roles {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Auth returns the server's library instance.
func (s *server) Auth() *authjwt.Auth { return s.auth }

// ServeHTTP dispatches to the routes. Requests that match no route get
// JSON 404 and 405 bodies ({"detail","code"}) instead of the ServeMux's
// plain text.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if headerBytes(r) > maxHeaderBytes {
		s.auth.WriteError(w, r, errHeaderTooLarge)
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.mux.ServeHTTP(&jsonStatusWriter{ResponseWriter: w}, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// errHeaderTooLarge answers a request whose header exceeds maxHeaderBytes.
var errHeaderTooLarge = &authjwt.Error{Code: "request_header_too_large", Status: http.StatusRequestHeaderFieldsTooLarge,
	Message: fmt.Sprintf("Request header fields too large (limit %d bytes)", maxHeaderBytes)}

// headerBytes returns the size of r's request line and header fields as
// sent over HTTP/1.1 ("Name: value\r\n" each), which is what net/http's
// MaxHeaderBytes bounds.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len(r.Host) + len("Host: \r\n")
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// jsonStatusWriter rewrites the ServeMux's own 404 and 405 responses as
// JSON error bodies, keeping their headers (Allow). Other statuses
// (redirects to the canonical path) pass through unchanged.
type jsonStatusWriter struct {
	http.ResponseWriter
	swallow bool
}

func (j *jsonStatusWriter) WriteHeader(code int) {
	var body errorBody
	switch code {
	case http.StatusNotFound:
		body = errorBody{Detail: "Not Found", Code: "not_found"}
	case http.StatusMethodNotAllowed:
		body = errorBody{Detail: "Method Not Allowed", Code: "method_not_allowed"}
	default:
		j.ResponseWriter.WriteHeader(code)
		return
	}
	j.swallow = true
	h := j.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	j.ResponseWriter.WriteHeader(code)
	json.NewEncoder(j.ResponseWriter).Encode(body)
}

func (j *jsonStatusWriter) Write(b []byte) (int, error) {
	if j.swallow {
		return len(b), nil
	}
	return j.ResponseWriter.Write(b)
}

// errorBody is the spec's JSON error body.
type errorBody struct {
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// notImplemented answers a placeholder route.
func (s *server) notImplemented(pattern string) http.Handler {
	err := &authjwt.Error{Code: "not_implemented", Status: http.StatusNotImplemented,
		Message: "Not implemented yet: " + pattern}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.auth.WriteError(w, r, err)
	})
}

// keyList is a fixed list of keys for the JWKS handler.
type keyList []keys.Key

// Keys implements keys.KeyLister.
func (l keyList) Keys() []keys.Key { return l }

// publicKeysOf returns the public key the server verifies with, bound to
// its asymmetric algorithm, or an empty list under HMAC.
func publicKeysOf(cfg authjwt.Config) (keyList, error) {
	alg := ""
	for _, a := range append([]string{cfg.Keys.Algorithm}, cfg.Keys.DecodeAlgorithms...) {
		if a != "" && !keys.IsHMAC(a) {
			alg = a
			break
		}
	}
	if alg == "" {
		return keyList{}, nil
	}
	var pub any
	switch {
	case cfg.Keys.VerifyKey != nil:
		pub = cfg.Keys.VerifyKey
	case cfg.Keys.PublicKey != "":
		p, err := keys.ParsePublicKeyPEM([]byte(cfg.Keys.PublicKey))
		if err != nil {
			return nil, fmt.Errorf("AUTHJWT_PUBLIC_KEY: %s", trimPrefix(err.Error()))
		}
		pub = p
	case cfg.Keys.Signer != nil:
		pub = cfg.Keys.Signer.Public()
	case cfg.Keys.PrivateKey != "":
		sg, err := keys.ParsePrivateKeyPEM([]byte(cfg.Keys.PrivateKey))
		if err != nil {
			return nil, fmt.Errorf("AUTHJWT_PRIVATE_KEY: %s", trimPrefix(err.Error()))
		}
		pub = sg.Public()
	default:
		return keyList{}, nil
	}
	k, err := keys.NewVerifyKey(alg, pub)
	if err != nil {
		return nil, fmt.Errorf("AUTHJWT_ALGORITHM: %s", trimPrefix(err.Error()))
	}
	return keyList{k}, nil
}
