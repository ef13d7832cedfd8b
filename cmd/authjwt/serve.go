package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server timeouts. WriteTimeout is left to the handlers: a hijacked
// WebSocket connection sets its own deadlines.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	// maxHeaderBytes is the request header limit the server answers with
	// a JSON 431 (server.ServeHTTP). net/http's own limit,
	// netHTTPHeaderBytes, is set higher so that it is the server, not
	// net/http's plain-text "431 Request Header Fields Too Large", that
	// answers requests between the two; only headers beyond
	// netHTTPHeaderBytes get net/http's plain text, before any handler.
	maxHeaderBytes     = 64 << 10
	netHTTPHeaderBytes = 4 * maxHeaderBytes
	shutdownTimeout    = 10 * time.Second
	defaultAddr        = "127.0.0.1:8000"
)

func runServe(e *env, args []string) int {
	fs := newFlagSet(e, "serve", "[--addr HOST:PORT] [--tls-cert FILE --tls-key FILE] [--metrics HOST:PORT]",
		`Runs the reference server (every route of the reference-server spec).
Configuration comes from AUTHJWT_* variables (the library's, and those below).
Without AUTHJWT_SECRET_KEY under an HMAC algorithm, a random secret is
generated and tokens do not survive a restart. The listen address is --addr,
else 127.0.0.1:$PORT, else `+defaultAddr+`. SIGINT or SIGTERM shuts the
server down gracefully.

Revocation store, AUTHJWT_DENYLIST_URL (default memory://):
  memory://                           in this process only; lost on restart
  redis://[USER:PASS@]HOST:PORT/DB    Redis; rediss:// for TLS; go-redis URL
                                      options; ?prefix=P sets the key prefix
                                      (default "authjwt:")
  redis-cluster://HOST:PORT,HOST:PORT,…
                                      Redis Cluster, from any seed nodes
  redis-sentinel://HOST:PORT,…/MASTER_NAME/DB
                                      the master a Sentinel set names
                                      (?sentinel_password= for the Sentinels)
  postgres://USER:PASS@HOST:PORT/DB   PostgreSQL (pgx; postgresql:// too,
                                      libpq options such as ?sslmode=disable)
  mysql://USER:PASS@HOST:PORT/DB      MySQL or MariaDB (go-sql-driver options)
  sqlite://PATH                       SQLite file, WAL mode; sqlite:///abs.db
                                      or sqlite://relative.db
  SQL URLs take ?table_prefix=P (default "authjwt_") and create their tables.
  Every URL but memory:// takes ?max_conns=N, the connection pool's bound
  (default 32; per node on a Redis Cluster): instances x N must stay under
  the database's connection limit. A Redis of another kind than the scheme
  says stops the server; Redis persistence that would lose revocations on a
  restart is a warning.
  An unreachable store stops the server at start-up (status 2, within 5s);
  later, a store error or AUTHJWT_STORE_TIMEOUT answers 503.
  AUTHJWT_REVOCATION_MAX_STALENESS=1s keeps a replica of the store's
  revocations in memory (Redis and SQL stores; memory:// needs none) and
  answers 503 when it cannot prove it is fresh within that bound.

Refresh rotation: AUTHJWT_REFRESH_TOKEN_ROTATION=true makes /refresh return a
new refresh token and refuse (and revoke the family of) a used one.

DPoP (RFC 9449): a login or refresh with a DPoP proof gets tokens bound to the
proof's key ("token_type":"DPoP"), accepted only as "Authorization: DPoP" with
a new proof per request; every instance sharing the store refuses a replay.
  AUTHJWT_DPOP=off|allowed|required   default allowed; required refuses bearer
                                tokens everywhere
  AUTHJWT_DPOP_NONCE=true       require server nonces (401 use_dpop_nonce with
                                a DPoP-Nonce header to retry with)
  AUTHJWT_DPOP_EXTERNAL_URL     the URL clients use, behind a proxy (for htu)

Trusted third-party issuer (OpenID Connect provider):
  AUTHJWT_TRUSTED_ISSUER        its "iss"
  AUTHJWT_TRUSTED_AUDIENCE      accepted "aud" values, comma-separated (required
                                unless AUTHJWT_RESOURCE is set: then that URL)
  AUTHJWT_TRUSTED_JWKS_URL      its JWK Set (default: discovery from the issuer)
  AUTHJWT_TRUSTED_ALGORITHMS    accepted algorithms (default RS256)
  AUTHJWT_TRUSTED_ROLES_CLAIM   claim path of its roles (realm_access.roles, scp)
  AUTHJWT_TRUSTED_REQUIRE_AT_JWT=true  accept only tokens typed at+jwt (RFC 9068);
                                otherwise "JWT" and untyped tokens pass too
  The JWKS is fetched over HTTPS trusting the system CAs; point SSL_CERT_FILE
  at a PEM bundle to trust a private CA.

OAuth protected resource (RFC 9728): GET /.well-known/oauth-protected-resource
serves the metadata, and every challenge carries resource_metadata="<its URL>".
  AUTHJWT_RESOURCE              the resource identifier, an https URL (default:
                                the origin each request reached); with a path,
                                the metadata moves to
                                /.well-known/oauth-protected-resource/<path>
  AUTHJWT_RESOURCE_SCOPES       scopes_supported (default: the users' roles)

Metrics: --metrics HOST:PORT serves http://HOST:PORT/metrics in the Prometheus
text format, on a listener of its own (bind it to a private address):
  authjwt_verify_duration_seconds     verifications by authjwt_code ("ok" or
                                      the error's stable code), token source
                                      and type
  authjwt_store_call_duration_seconds revocation-store calls by operation
  authjwt_store_errors_total          failed store calls, by error type
  authjwt_jwks_fetch_duration_seconds JWKS fetches of the trusted issuer,
                                      by result
  authjwt_rotation_reuse_total        used refresh tokens presented again
  See docs/observability.md.`)
	addr := fs.String("addr", "", "listen address `HOST:PORT` (default 127.0.0.1:$PORT, else "+defaultAddr+")")
	certFile := fs.String("tls-cert", "", "serve HTTPS with this certificate chain (PEM `FILE`)")
	keyFile := fs.String("tls-key", "", "the TLS certificate's private key (PEM `FILE`)")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics at http://`HOST:PORT`/metrics (default: none)")
	if st, done := parseFlags(fs, e, args); done {
		return st
	}
	if fs.NArg() > 0 {
		return usageError(e, "serve", "unexpected argument %q", fs.Arg(0))
	}
	listenAddr, err := resolveAddr(*addr, e.getenv("PORT"))
	if err != nil {
		return configError(e, err)
	}
	if *metricsAddr != "" {
		if err := checkHostPort("--metrics", *metricsAddr); err != nil {
			return configError(e, err)
		}
	}
	var tlsCfg *tls.Config
	switch {
	case (*certFile == "") != (*keyFile == ""):
		return usageError(e, "serve", "--tls-cert and --tls-key go together")
	case *certFile != "":
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return configError(e, fmt.Errorf("--tls-cert/--tls-key: %v", err))
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	st, err := loadSettings(e.environ, loadOptions{generateSecret: true, logger: logger})
	if err != nil {
		return configError(e, err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Warn("authjwt serve: closing the revocation store", "error", err.Error())
		}
	}()
	st.Auth.Logger = logger
	var metrics *metricsServer
	if *metricsAddr != "" {
		// Before the server is built: the hooks go into its configuration.
		if metrics, err = startMetrics(*metricsAddr, &st.Auth, logger); err != nil {
			fmt.Fprintf(e.stderr, "authjwt serve: %v\n", err)
			return exitFailed
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			_ = metrics.shutdown(ctx)
		}()
	}
	h, err := buildServer(serverConfig{Auth: st.Auth, StoreURL: st.StoreURL, Logger: logger})
	if err != nil {
		return configError(e, nameCommandVars(err, e.environ))
	}
	defer h.Auth().Close() // stops the trusted issuers' JWKS refreshes
	if err := checkCanSign(st.Auth, e.environ); err != nil {
		return configError(e, err)
	}
	if st.GeneratedSecret {
		logger.Warn("no AUTHJWT_SECRET_KEY set: using a random secret; tokens will not survive a restart")
	}
	secureCookies := !st.Auth.Cookies.Insecure
	if tlsCfg == nil && secureCookies && strings.Contains(strings.Join(locationsOf(st.Auth), ","), "cookies") {
		logger.Warn("cookies are Secure but the server speaks plain HTTP: browsers keep them only on http://localhost; set AUTHJWT_COOKIE_SECURE=false for plain-HTTP development, or use --tls-cert/--tls-key")
	}

	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		fmt.Fprintf(e.stderr, "authjwt serve: %v\n", err)
		return exitFailed
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    netHTTPHeaderBytes,
		TLSConfig:         tlsCfg,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	store := st.StoreURL
	if store == "" {
		store = "none (denylist disabled)"
	}
	rotation := "off"
	if st.Auth.Revocation.Rotation {
		rotation = "on"
	}
	// Before the line that tells a supervisor (or a test) the server is
	// up: a SIGTERM right after it must shut down gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 2)
	if metrics != nil {
		go func() {
			if err := metrics.run(); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("--metrics: %v", err)
			}
		}()
		// Before the listening line, which tells that everything is up.
		fmt.Fprintf(e.stdout, "authjwt: metrics on %s\n", metrics.URL())
	}
	fmt.Fprintf(e.stdout, "authjwt: listening on %s://%s\n", scheme, ln.Addr())
	fmt.Fprintf(e.stdout, "authjwt: algorithm %s, token locations %s, store %s, refresh rotation %s\n",
		algorithmOf(st.Auth), strings.Join(locationsOf(st.Auth), ","), store, rotation)
	for _, ti := range st.Auth.TrustedIssuers {
		jwks := ti.JWKSURL
		if jwks == "" {
			jwks = "discovery"
		}
		typ := ""
		if ti.RequireAtJWT {
			typ = ", typ at+jwt only"
		}
		fmt.Fprintf(e.stdout, "authjwt: trusting issuer %s (audience %s, keys from %s%s)\n",
			ti.Issuer, strings.Join(ti.Audience, ","), jwks, typ)
	}

	go func() {
		if tlsCfg != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(jsonErrorListener{ln}) // see netHTTPErrorHeaders
		}
	}()
	select {
	case err := <-errc:
		fmt.Fprintf(e.stderr, "authjwt serve: %v\n", err)
		return exitFailed
	case <-ctx.Done():
	}
	stop()
	fmt.Fprintln(e.stdout, "authjwt: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(e.stderr, "authjwt serve: shutdown: %v\n", err)
		return exitFailed
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(e.stderr, "authjwt serve: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// resolveAddr returns the listen address: flag, else 127.0.0.1:$PORT,
// else the default.
func resolveAddr(flagAddr, port string) (string, error) {
	if flagAddr != "" {
		if err := checkHostPort("--addr", flagAddr); err != nil {
			return "", err
		}
		return flagAddr, nil
	}
	if port != "" {
		if err := checkPort(port); err != nil {
			return "", fmt.Errorf("PORT: %v", err)
		}
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	return defaultAddr, nil
}

// checkHostPort checks the HOST:PORT value of a flag.
func checkHostPort(flag, addr string) error {
	if _, p, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%s: %q is not HOST:PORT: %v", flag, addr, err)
	} else if err := checkPort(p); err != nil {
		return fmt.Errorf("%s: %v", flag, err)
	}
	return nil
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q is not a port number (0-65535)", p)
	}
	return nil
}
