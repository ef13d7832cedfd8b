package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/keys"
)

// Environment variables read by the command beside the library's own.
const (
	envDenylistURL     = "AUTHJWT_DENYLIST_URL"
	envDenylistEnabled = "AUTHJWT_DENYLIST_ENABLED"
	envTrustedIssuer   = "AUTHJWT_TRUSTED_ISSUER"
	envTrustedAudience = "AUTHJWT_TRUSTED_AUDIENCE"
	envTrustedJWKSURL  = "AUTHJWT_TRUSTED_JWKS_URL"
	envTrustedAlgs     = "AUTHJWT_TRUSTED_ALGORITHMS"
	envTrustedRoles    = "AUTHJWT_TRUSTED_ROLES_CLAIM"
	envTrustedAtJWT    = "AUTHJWT_TRUSTED_REQUIRE_AT_JWT"
)

// extraKeys are the AUTHJWT_* variables the command reads itself; the
// library's loader refuses every other unknown AUTHJWT_* variable.
var extraKeys = []string{envDenylistURL, envTrustedIssuer, envTrustedAudience, envTrustedJWKSURL,
	envTrustedAlgs, envTrustedRoles, envTrustedAtJWT}

// defaultDenylistURL is the store used when AUTHJWT_DENYLIST_URL is unset.
const defaultDenylistURL = "memory://"

// settings is the command's configuration, read from AUTHJWT_* variables.
type settings struct {
	// Auth is the library configuration, Revocation.Store included when the denylist
	// is enabled.
	Auth authjwt.Config
	// StoreURL is the denylist URL in use ("" when the denylist is off).
	StoreURL string
	// GeneratedSecret is true when no secret was configured and a random
	// one was generated (serve only).
	GeneratedSecret bool
	// store is the opened revocation store (nil when the denylist is off);
	// Close releases it.
	store *openedStore
}

// Close releases the revocation store opened by [loadSettings].
func (st *settings) Close() error { return st.store.Close() }

// loadOptions says how [loadSettings] fills gaps.
type loadOptions struct {
	// generateSecret: a missing HMAC secret is generated at random (serve
	// only: a minted or verified token needs the real secret).
	generateSecret bool
	// logger receives the store's background errors (default slog.Default()).
	logger *slog.Logger
}

// loadSettings reads the AUTHJWT_* variables of environ. The denylist is
// enabled unless AUTHJWT_DENYLIST_ENABLED says otherwise (the reference
// server's default, which the other subcommands share so that one
// environment serves them all). Every error names the variable at fault.
func loadSettings(environ []string, opt loadOptions) (settings, error) {
	cfg, extra, err := authjwt.ConfigFromEnvExtra(environ, extraKeys...)
	if err != nil {
		return settings{}, err
	}
	if err := checkKeyFiles(environ); err != nil {
		return settings{}, err
	}
	var st settings
	if !hasVar(environ, envDenylistEnabled) {
		cfg.Revocation.Enabled = true // the reference server's default
	}
	ti, err := trustedIssuerOf(extra, cfg.Resource.Identifier != "")
	if err != nil {
		return settings{}, err
	}
	if ti != nil {
		cfg.TrustedIssuers = append(cfg.TrustedIssuers, *ti)
	}
	if opt.generateSecret && cfg.Keys.SecretKey == "" {
		if n := hmacSecretLen(cfg); n > 0 {
			cfg.Keys.SecretKey = randomSecret(n)
			st.GeneratedSecret = true
		}
	}
	if cfg.Revocation.Enabled && cfg.Revocation.Store == nil {
		// Last: the store is the only setting that holds resources.
		u := extra[envDenylistURL]
		if u == "" {
			u = defaultDenylistURL
		}
		s, err := openStore(u, opt.logger)
		if err != nil {
			return settings{}, fmt.Errorf("%s: %s", envDenylistURL, trimPrefix(err.Error()))
		}
		cfg.Revocation.Store = s.Store
		st.StoreURL = s.Display
		st.store = s
	} else if !cfg.Revocation.Enabled && extra[envDenylistURL] != "" {
		return settings{}, fmt.Errorf("%s: set, but the denylist is disabled (%s=false)", envDenylistURL, envDenylistEnabled)
	}
	st.Auth = cfg
	return st, nil
}

// keyFileVars are the variables naming files that hold key material.
var keyFileVars = []string{"AUTHJWT_SECRET_KEY_FILE", "AUTHJWT_PRIVATE_KEY_FILE", "AUTHJWT_PUBLIC_KEY_FILE"}

// checkKeyFiles refuses a key file that every user of the host may write:
// whoever replaces the secret or the private key signs tokens the server
// accepts, and whoever replaces the public key makes it accept tokens of
// their own key. (Files readable by others are not refused: Kubernetes
// mounts secrets 0644 by default, and who may read them is the pod's.)
// Modes mean nothing on Windows, where the check is skipped.
func checkKeyFiles(environ []string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	for _, name := range keyFileVars {
		path := lookupVar(environ, name)
		if path == "" {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			continue // the library's loader reports unreadable files
		}
		if fi.Mode().Perm()&0o002 != 0 {
			return fmt.Errorf("%s: %s is world-writable (mode %04o): anyone on this host could replace the key; run chmod o-w on it (0600 or 0400 is usual)", name, path, fi.Mode().Perm())
		}
	}
	return nil
}

// checkCanSign refuses an asymmetric algorithm without a private key (cfg
// as validated by authjwt.New): the library accepts a verify-only
// configuration, but the server signs at /login and /fresh-login, which
// would answer 500. The error names the variable in the form the
// operator used for the public key (AUTHJWT_PRIVATE_KEY_FILE beside
// AUTHJWT_PUBLIC_KEY_FILE).
func checkCanSign(cfg authjwt.Config, environ []string) error {
	alg := algorithmOf(cfg)
	if keys.IsHMAC(alg) || cfg.Keys.PrivateKey != "" || cfg.Keys.Signer != nil || cfg.Keys.Set != nil {
		return nil
	}
	name, other := "AUTHJWT_PRIVATE_KEY", "AUTHJWT_PRIVATE_KEY_FILE"
	pub := "AUTHJWT_PUBLIC_KEY"
	if lookupVar(environ, "AUTHJWT_PUBLIC_KEY_FILE") != "" {
		name, other = other, name
		pub = "AUTHJWT_PUBLIC_KEY_FILE"
	}
	if cfg.Keys.PublicKey == "" {
		return fmt.Errorf("%s: required: %s signs tokens at /login with a private key; set %s (or %s)", name, alg, name, other)
	}
	return fmt.Errorf("%s: required: only a public key is set (%s), but the server signs %s tokens at /login and /fresh-login; set %s (or %s), from which the public key is derived", name, pub, alg, name, other)
}

// lookupVar returns the value of name in environ ("" when unset).
func lookupVar(environ []string, name string) string {
	v := ""
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// trustedIssuerOf reads the AUTHJWT_TRUSTED_* variables (resource: a
// resource identifier is configured, the default audience): nil when
// AUTHJWT_TRUSTED_ISSUER is unset. The JWKS is fetched with the default
// HTTP client, which trusts the system's CAs (SSL_CERT_FILE and
// SSL_CERT_DIR override them on Linux and other Unix systems).
func trustedIssuerOf(extra map[string]string, resource bool) (*authjwt.TrustedIssuer, error) {
	iss := extra[envTrustedIssuer]
	if iss == "" {
		for _, k := range []string{envTrustedAudience, envTrustedJWKSURL, envTrustedAlgs, envTrustedRoles, envTrustedAtJWT} {
			if extra[k] != "" {
				return nil, fmt.Errorf("%s: set, but %s is not", k, envTrustedIssuer)
			}
		}
		return nil, nil
	}
	aud, err := listValue(envTrustedAudience, extra[envTrustedAudience])
	if err != nil {
		return nil, err
	}
	if len(aud) == 0 && !resource {
		// With AUTHJWT_RESOURCE the library takes the resource identifier
		// as the audience (RFC 8707).
		return nil, fmt.Errorf("%s: required with %s unless AUTHJWT_RESOURCE is set: without it, tokens the provider minted for any other service would be accepted", envTrustedAudience, envTrustedIssuer)
	}
	algs, err := listValue(envTrustedAlgs, extra[envTrustedAlgs])
	if err != nil {
		return nil, err
	}
	atJWT, err := boolValue(envTrustedAtJWT, extra[envTrustedAtJWT])
	if err != nil {
		return nil, err
	}
	return &authjwt.TrustedIssuer{
		Issuer:       iss,
		Audience:     aud,
		JWKSURL:      extra[envTrustedJWKSURL],
		Algorithms:   algs,
		RolesClaim:   extra[envTrustedRoles],
		RequireAtJWT: atJWT,
	}, nil
}

// trustedIssuerVars maps the library fields of the trusted issuer the
// command builds from AUTHJWT_TRUSTED_* (always TrustedIssuers[0]) to the
// variable that set them.
var trustedIssuerVars = map[string]string{
	"TrustedIssuers[0].Issuer":     envTrustedIssuer,
	"TrustedIssuers[0].Audience":   envTrustedAudience,
	"TrustedIssuers[0].Algorithms": envTrustedAlgs,
}

// nameCommandVars makes an error of authjwt.New about a setting the
// command itself filled from its own AUTHJWT_TRUSTED_* variables name that
// variable, as the library does for its own (authjwt.ConfigError.Var):
// TrustedIssuers[0].Algorithms is AUTHJWT_TRUSTED_ALGORITHMS, and
// TrustedIssuers[0] itself (its key source) AUTHJWT_TRUSTED_JWKS_URL, or
// AUTHJWT_TRUSTED_ISSUER when the keys come from discovery.
func nameCommandVars(err error, environ []string) error {
	var ce *authjwt.ConfigError
	if !errors.As(err, &ce) || ce.Var != "" {
		return err
	}
	name, ok := trustedIssuerVars[ce.Field]
	if ce.Field == "TrustedIssuers[0]" {
		name, ok = envTrustedIssuer, true
		if lookupVar(environ, envTrustedJWKSURL) != "" {
			name = envTrustedJWKSURL
		}
	}
	if !ok {
		return err
	}
	return fmt.Errorf("%s: %s", name, ce.Message())
}

// listValue parses a list variable as the library does: comma-separated
// (items trimmed, none empty) or a JSON array of strings. Empty is nil.
func listValue(name, v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	if strings.HasPrefix(v, "[") {
		var l []string
		if err := json.Unmarshal([]byte(v), &l); err != nil {
			return nil, fmt.Errorf("%s: not a JSON array of strings: %v", name, err)
		}
		for _, s := range l {
			if strings.TrimSpace(s) == "" {
				return nil, fmt.Errorf("%s: empty item in the list", name)
			}
		}
		return l, nil
	}
	var l []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("%s: empty item in the list %q", name, v)
		}
		l = append(l, s)
	}
	return l, nil
}

// boolValue parses a boolean variable as the library does: 1, t, true, y,
// yes, on or 0, f, false, n, no, off, in any case (the forms of the
// seed's pydantic-settings, which include strconv.ParseBool's). Empty is
// false, the default.
func boolValue(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "0", "f", "false", "n", "no", "off":
		return false, nil
	case "1", "t", "true", "y", "yes", "on":
		return true, nil
	}
	return false, fmt.Errorf("%s: %q is not a boolean (use true or false)", name, v)
}

// hasVar reports whether environ sets name (even to "").
func hasVar(environ []string, name string) bool {
	for _, kv := range environ {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

// hmacSecretLen returns the secret length, in bytes, the HMAC algorithms
// of cfg need (the longest hash among them), or 0 when none is HMAC.
func hmacSecretLen(cfg authjwt.Config) int {
	algs := append([]string{cfg.Keys.Algorithm}, cfg.Keys.DecodeAlgorithms...)
	if algs[0] == "" {
		algs[0] = keys.HS256
	}
	n := 0
	for _, a := range algs {
		switch a {
		case keys.HS256:
			n = max(n, 32)
		case keys.HS384:
			n = max(n, 48)
		case keys.HS512:
			n = max(n, 64)
		}
	}
	return n
}

// randomSecret returns n random bytes, base64url-encoded without padding:
// a string longer than n bytes carrying n bytes of entropy.
func randomSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// algorithmOf returns the signing algorithm in effect.
func algorithmOf(cfg authjwt.Config) string {
	if cfg.Keys.Algorithm == "" {
		return keys.HS256
	}
	return cfg.Keys.Algorithm
}

// locationsOf returns the token locations in effect.
func locationsOf(cfg authjwt.Config) []string {
	if len(cfg.TokenLocation) == 0 {
		return []string{authjwt.LocationHeaders}
	}
	return cfg.TokenLocation
}
