package authjwt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// envPrefix starts every variable [ConfigFromEnv] reads.
const envPrefix = "AUTHJWT_"

// maxEnvFileSize bounds the files named by the *_FILE variables: a secret
// or a PEM key is a few kilobytes at most.
const maxEnvFileSize = 1 << 20

// LoadEnv is ConfigFromEnv(os.Environ()).
func LoadEnv() (Config, error) {
	return ConfigFromEnv(os.Environ())
}

// ConfigFromEnv builds a Config from the AUTHJWT_* variables in environ,
// given in the form of [os.Environ] ("KEY=value"). Other variables are
// ignored. The result is meant for [New], which applies the defaults and
// validates the whole configuration; ConfigFromEnv only reports values it
// cannot parse, and every error it returns starts with
// "authjwt: AUTHJWT_<NAME>: " (several problems are joined, one a line).
// Values are never echoed for the key variables.
//
//	cfg, err := authjwt.ConfigFromEnv(os.Environ()) // or authjwt.LoadEnv()
//	if err != nil {
//		log.Fatal(err) // e.g. authjwt: AUTHJWT_ACESS_TOKEN_EXPIRES: unknown variable; did you mean AUTHJWT_ACCESS_TOKEN_EXPIRES?
//	}
//	cfg.Revocation.Store = revoke.NewMemory() // settings that are not text come from code; a Store turns revocation checks on
//	auth, err := authjwt.New(cfg)             // refused if AUTHJWT_DENYLIST_ENABLED=false contradicts the Store
//
// Rules:
//
//   - An AUTHJWT_* variable that is not in the table below is an error
//     naming it, with the closest known name when one is near, so a typo
//     never falls back to a default silently. Names are upper-case: a
//     lower- or mixed-case spelling (authjwt_secret_key), which the seed's
//     pydantic-settings would read, is an error naming the upper-case
//     name, since two spellings of one variable could both be set.
//     Variables read by the caller rather than the library are accepted
//     with [ConfigFromEnvExtra].
//   - An empty value means "use the default", like an unset variable,
//     except AUTHJWT_HEADER_TYPE: set to the empty string it means the
//     header carries the bare token (Header.BareToken), as in the seed.
//   - Durations are integer seconds (the seed's form, "900") or Go
//     durations ("15m", "1h30m"), and, as the seed's settings loader
//     (pydantic) reads them, decimal seconds ("900.5"), ISO 8601 durations
//     ("PT15M", "P14D", "P1DT2H"; years and months are refused, having no
//     fixed length) and [D,]HH:MM:SS[.ffffff] ("00:15:00", "1d,00:00:00";
//     "15:00" is refused: minutes or hours?). Negative values are
//     refused. The two lifetimes also take "never" or a false boolean form
//     (false, f, no, n, off; any case) for tokens that do not expire
//     ([Never]); a true form is refused, as in the seed. Where zero would
//     silently mean the default (the lifetimes, COOKIE_MAX_AGE,
//     STORE_TIMEOUT, MAX_TOKEN_SIZE), "0" is refused: leave the variable
//     empty for the default.
//   - Booleans take, in any case, the forms pydantic reads: 1, t, true, y,
//     yes, on and 0, f, false, n, no, off (those of [strconv.ParseBool]
//     included).
//   - Lists are comma-separated ("headers,cookies"; items are trimmed and
//     an empty item is refused) or a JSON array of strings
//     (["headers","cookies"]). The JSON array [] gives an empty list, which
//     only DENYLIST_TOKEN_CHECKS (no token type checked), DECODE_AUDIENCE
//     and TRUSTED_ORIGINS accept; elsewhere it is refused, since an empty
//     list means the default.
//   - X_FILE reads the value of X from a file (Docker and Kubernetes
//     secrets); setting both X and X_FILE is an error. One trailing
//     newline ("\n" or "\r\n") is trimmed from the secret file; PEM files
//     are used as they are. Files over 1 MiB are refused.
//   - A variable given twice in environ with different values is an error.
//   - The returned Config remembers which variable set each field, so that
//     [New]'s errors ([ConfigError]) name the variable, not the Go field:
//     "authjwt: AUTHJWT_SECRET_KEY_FILE: HS256 needs a secret of at least
//     32 bytes…". Fields changed in code afterwards keep their variable's
//     name in errors.
//
// Variables (the AUTHJWT_ prefix left out):
//
//	NAME                          TYPE      DEFAULT                FIELD                              MEANING
//	COMPAT                        string    none                   Compat                             compatibility profile: libre-fastapi-jwt (the seed's defaults)
//	SECRET_KEY                    string    none                   Keys.SecretKey                     HMAC secret for HS256/384/512 (its UTF-8 bytes; at least 32/48/64 bytes)
//	SECRET_KEY_FILE               path      none                   Keys.SecretKey                     read SECRET_KEY from this file; one trailing newline trimmed
//	PRIVATE_KEY                   PEM       none                   Keys.PrivateKey                    PEM private key for RS*, PS*, ES*, EdDSA, ML-DSA-* (PKCS#1, PKCS#8, SEC 1)
//	PRIVATE_KEY_FILE              path      none                   Keys.PrivateKey                    read PRIVATE_KEY from this file, as is
//	PUBLIC_KEY                    PEM       from PRIVATE_KEY       Keys.PublicKey                     PEM public key or certificate to verify with
//	PUBLIC_KEY_FILE               path      none                   Keys.PublicKey                     read PUBLIC_KEY from this file, as is
//	KEY_ID                        string    none                   Keys.KeyID                         kid header of HMAC-signed tokens
//	PUBLIC_KEY_ID                 string    RFC 7638 thumbprint    Keys.PublicKeyID                   kid of tokens signed with PRIVATE_KEY
//	UNSAFE_ALLOW_SHORT_SECRET     bool      false                  Keys.UnsafeAllowShortSecret        accept a legacy secret shorter than RFC 7518 allows
//	ALGORITHM                     string    HS256                  Keys.Algorithm                     signing algorithm
//	DECODE_ALGORITHMS             list      ALGORITHM              Keys.DecodeAlgorithms              algorithms accepted on verification
//	DECODE_KID                    string    none                   Keys.DecodeKID                     the only kid accepted
//	DECODE_LEEWAY                 duration  0                      Claims.DecodeLeeway                clock skew tolerated on exp, nbf, iat (at most 10m)
//	ENCODE_ISSUER                 string    none                   Claims.EncodeIssuer                iss of new tokens
//	DECODE_ISSUER                 string    none                   Claims.DecodeIssuer                iss a token must carry
//	ALLOW_REFRESH_WITHOUT_ISSUER  bool      false                  Claims.AllowRefreshWithoutIssuer   accept refresh tokens without iss (the seed's)
//	DECODE_AUDIENCE               list      none                   Claims.DecodeAudience              accepted audiences (any of)
//	RESOURCE                      URL       none                   Resource.Identifier                resource identifier (https URL, RFC 9728/8707): metadata, challenges, trusted issuers' default audience
//	RESOURCE_METADATA             bool      false                  Resource.Metadata                  serve RFC 9728 metadata for each request's origin (implied by RESOURCE)
//	RESOURCE_SCOPES               list      none                   Resource.Scopes                    scopes_supported of the metadata
//	DENYLIST_ENABLED              bool      false                  Revocation.Enabled                 check revocations (needs a Store, set in code, which implies true; false with a Store is refused)
//	DENYLIST_TOKEN_CHECKS         list      access,refresh         Revocation.Checks                  token types checked; [] for none
//	STORE_TIMEOUT                 duration  2s                     Revocation.Timeout                 bound on every revocation-store call (checks, Revoke*, Rotate, WatchToken polling)
//	REVOCATION_MAX_STALENESS      duration  0 (off)                Revocation.MaxStaleness            check revocations against a local replica proven fresh within this bound; 503 when it is not (needs a store with a change feed)
//	UNSAFE_REVOCATION_FAIL_OPEN   bool      false                  Revocation.UnsafeFailOpen          accept tokens when the store fails
//	HEADER_NAME                   string    Authorization          Header.Name                        request header carrying the token
//	HEADER_TYPE                   string    Bearer                 Header.Type                        scheme before the token; empty value sets Header.BareToken
//	ACCESS_TOKEN_EXPIRES          lifetime  900 (15m)              Expiry.Access                      access-token lifetime; false/never: Never
//	REFRESH_TOKEN_EXPIRES         lifetime  1209600 (14d)          Expiry.Refresh                     refresh-token lifetime; false/never: Never
//	ALLOW_NON_EXPIRING_TOKENS     bool      false                  Expiry.AllowNonExpiring            allow tokens without exp
//	TOKEN_LOCATION                list      headers                TokenLocation                      headers, cookies or both
//	ACCESS_COOKIE_KEY             string    __Host-access_token    Cookies.Access.Name                access-token cookie (no __Host- if insecure)
//	REFRESH_COOKIE_KEY            string    __Host-refresh_token   Cookies.Refresh.Name               refresh-token cookie (no __Host- if insecure)
//	ACCESS_COOKIE_PATH            string    /                      Cookies.Access.Path                access cookie Path
//	REFRESH_COOKIE_PATH           string    /                      Cookies.Refresh.Path               refresh cookie Path
//	COOKIE_MAX_AGE                duration  token lifetime         Cookies.MaxAge                     Max-Age of every auth cookie
//	COOKIE_DOMAIN                 string    none                   Cookies.Domain                     cookie Domain (none: host-only)
//	COOKIE_SECURE                 bool      true                   Cookies.Insecure                   inverted: false drops Secure (plain HTTP)
//	COOKIE_SAMESITE               string    lax                    Cookies.SameSite                   lax, strict or none
//	COOKIE_CSRF_PROTECT           bool      true                   Cookies.UnsafeDisableCSRF          inverted: false turns CSRF checks off
//	ACCESS_CSRF_COOKIE_KEY        string    __Host-csrf_access     Cookies.Access.CSRFName            access CSRF cookie (no __Host- if insecure)
//	REFRESH_CSRF_COOKIE_KEY       string    __Host-csrf_refresh    Cookies.Refresh.CSRFName           refresh CSRF cookie (no __Host- if insecure)
//	ACCESS_CSRF_COOKIE_PATH       string    /                      Cookies.Access.CSRFPath            access CSRF cookie Path
//	REFRESH_CSRF_COOKIE_PATH      string    /                      Cookies.Refresh.CSRFPath           refresh CSRF cookie Path
//	ACCESS_CSRF_HEADER_NAME       string    X-CSRF-Token           Cookies.Access.CSRFHeader          CSRF header with an access cookie
//	REFRESH_CSRF_HEADER_NAME      string    X-CSRF-Token           Cookies.Refresh.CSRFHeader         CSRF header with a refresh cookie
//	CSRF_METHODS                  list      POST,PUT,PATCH,DELETE  Cookies.CSRFMethods                methods that need the CSRF header
//	TRUSTED_ORIGINS               list      none                   Cookies.TrustedOrigins             extra origins allowed for cookie requests
//	SKIP_CROSS_ORIGIN_PROTECTION  bool      false                  Cookies.SkipCrossOriginProtection  turn the Origin/Fetch-Metadata check off
//	TOKEN_TYPE_CLAIM              bool      true                   TypeClaim.Skip                     inverted: false drops the type claim
//	TOKEN_TYPE_CLAIM_NAME         string    type                   TypeClaim.Name                     name of the type claim
//	ROLES_CLAIM                   string    roles                  Claims.RolesClaim                  claim holding our tokens' roles
//	ACCESS_TOKEN_TYPE             string    access                 TypeClaim.Access                   type claim of access tokens
//	REFRESH_TOKEN_TYPE            string    refresh                TypeClaim.Refresh                  type claim of refresh tokens
//	REFRESH_TOKEN_ROTATION        bool      false                  Revocation.Rotation                one-time refresh tokens, reuse detected
//	REFRESH_REUSE_GRACE           duration  0                      Revocation.ReuseGrace              window after a rotated token's first use in which a retry gets the same successor (not reuse)
//	SESSIONS_ENABLED              bool      false                  Sessions.Enabled                   record a session per login (StartSession; the store must keep sessions)
//	SESSIONS_MAX_PER_SUBJECT      int       100                    Sessions.MaxPerSubject             live sessions per subject; a login beyond ends the oldest (1 to 10000)
//	SESSIONS_CLIENT_IP_HEADER     string    none                   Sessions.ClientIPHeader            header a trusted proxy sets to the client address (none: the peer address)
//	SESSIONS_TRACK_ACCESS         bool      false                  Sessions.TrackAccess               access-token use updates a session's last use (once a minute)
//	MAX_TOKEN_SIZE                int       8192                   MaxTokenSize                       largest accepted token, in bytes (256 to 65536; default 16384 with ML-DSA)
//	VERIFY_CACHE_SIZE             int       0                      VerifyCacheSize                    verified asymmetric tokens to cache (0: off)
//	LEGACY_STATUS_CODES           bool      false                  LegacyStatusCodes                  the seed's statuses (422, 401 for CSRF)
//	WEBSOCKET_QUERY_PARAM         string    token                  WebSocket.QueryParam               query parameter of a WebSocket token
//	WEBSOCKET_NO_QUERY_TOKEN      bool      false                  WebSocket.NoQueryToken             refuse tokens in WebSocket URLs
//	WEBSOCKET_CSRF_QUERY_PARAM    string    csrf_token             WebSocket.CSRFQueryParam           query parameter of a WebSocket CSRF value
//	DPOP                          string    allowed                DPoP.Mode                          DPoP (RFC 9449): off, allowed or required
//	DPOP_ALGORITHMS               list      every asymmetric       DPoP.Algorithms                    DPoP proof algorithms accepted
//	DPOP_PROOF_LIFETIME           duration  60s                    DPoP.ProofLifetime                 how far a proof's iat may be from now (plus DECODE_LEEWAY)
//	DPOP_NONCE                    bool      false                  DPoP.Nonce                         require server-issued DPoP nonces
//	DPOP_NONCE_KEY                string    from SECRET_KEY        DPoP.NonceKey                      HMAC key of the DPoP nonces (at least 32 bytes)
//	DPOP_NONCE_LIFETIME           duration  5m                     DPoP.NonceLifetime                 window of a DPoP nonce (accepted in it and the next)
//	DPOP_EXTERNAL_URL             string    the request's          DPoP.ExternalURL                   URL clients reach the server at, for htu behind a proxy
//
// Config fields that are not text (Keys.Signer, Keys.VerifyKey, Keys.Set,
// Revocation.Store, Now, Logger, Hooks, ErrorHandler, UserLoader) are set
// in code.
func ConfigFromEnv(environ []string) (Config, error) {
	cfg, _, err := ConfigFromEnvExtra(environ)
	return cfg, err
}

// ConfigFromEnvExtra is [ConfigFromEnv] for a program that reads AUTHJWT_*
// variables of its own beside the library's, such as the reference
// server's AUTHJWT_DENYLIST_URL: the names in extraKeys (full names, e.g.
// "AUTHJWT_TRUSTED_ISSUER") are not "unknown", and the returned map holds
// the value of each one present in environ (empty values included).
//
//	cfg, extra, err := authjwt.ConfigFromEnvExtra(os.Environ(), "AUTHJWT_DENYLIST_URL")
//	if err != nil {
//		log.Fatal(err)
//	}
//	storeURL := extra["AUTHJWT_DENYLIST_URL"]
func ConfigFromEnvExtra(environ []string, extraKeys ...string) (Config, map[string]string, error) {
	var cfg Config
	extra := map[string]string{}
	isExtra := make(map[string]bool, len(extraKeys))
	for _, k := range extraKeys {
		isExtra[k] = true
	}
	var errs []error
	values := map[string]string{} // known library variables present
	seen := map[string]string{}   // every relevant key -> first value
	for _, kv := range environ {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			continue // not KEY=value (Windows' "=C:=C:\" entries have an empty key)
		}
		relevant := isExtra[key] || hasPrefixFold(key, envPrefix)
		if !relevant {
			continue
		}
		if prev, dup := seen[key]; dup {
			if prev != value {
				errs = append(errs, envError(key, "set more than once with different values"))
			}
			continue
		}
		seen[key] = value
		if isExtra[key] {
			extra[key] = value
			continue
		}
		if _, known := envIndex[key]; !known {
			upper := strings.ToUpper(key)
			switch _, knownUpper := envIndex[upper]; {
			case knownUpper:
				errs = append(errs, envError(upper, "variable names are upper-case (found %s; the seed's pydantic-settings reads names in any case, authjwt does not): rename it %s", quoteName(key), upper))
			case upper != key:
				errs = append(errs, envError(upper, "unknown variable (found as %s)%s", quoteName(key), suggest(upper, isExtra)))
			default:
				errs = append(errs, envError(key, "unknown variable%s", suggest(key, isExtra)))
			}
			continue
		}
		values[key] = value
	}

	origin := &envOrigin{set: map[string]string{}}
	for _, v := range envVars {
		name := envPrefix + v.name
		value, present := values[name]
		if !present {
			continue
		}
		if v.file != "" {
			if value == "" {
				continue
			}
			if values[envPrefix+v.file] != "" {
				errs = append(errs, envError(name, "set both %s%s and %s; use one", envPrefix, v.file, name))
				continue
			}
		}
		if value == "" && v.name != "HEADER_TYPE" {
			continue // empty means the default
		}
		if err := v.set(&cfg, value); err != nil {
			errs = append(errs, envError(name, "%v", err))
			continue
		}
		origin.set[v.field] = name
	}
	if len(errs) > 0 {
		return Config{}, nil, errors.Join(errs...)
	}
	cfg.origin = origin
	return cfg, extra, nil
}

// envOrigin records, for a Config read from the environment, which
// variable set each field, so that [New] names the variable the operator
// wrote instead of the Go field (see [ConfigError]).
type envOrigin struct {
	set map[string]string // field -> full name of the variable that set it
}

// fieldVars maps each field to the variable that sets it when none did
// (the first in envVars: SECRET_KEY before SECRET_KEY_FILE).
var fieldVars = func() map[string]string {
	m := map[string]string{"Header.BareToken": envPrefix + "HEADER_TYPE"}
	for _, v := range envVars {
		if _, ok := m[v.field]; !ok {
			m[v.field] = envPrefix + v.name
		}
	}
	return m
}()

// varOf returns the variable of field: the one that set it, else the one
// that would; "" for fields no variable sets.
func (o *envOrigin) varOf(field string) string {
	if v, ok := o.set[field]; ok {
		return v
	}
	return fieldVars[field]
}

// name returns err with its setting named by variable: the one
// translation of New's errors for a configuration from the environment.
// Errors other than *ConfigError, and every error when o is nil (a
// configuration built in code), are returned as they are.
func (o *envOrigin) name(err error) error {
	var ce *ConfigError
	if o == nil || !errors.As(err, &ce) {
		return err
	}
	c := *ce
	c.Var, c.names = o.varOf(c.Field), o
	return &c
}

// envVar is one variable ConfigFromEnv reads.
type envVar struct {
	name  string // without the prefix
	field string // the Config field it sets, for the documentation and tests
	// file, for X_FILE variables, names X, which may not be set as well.
	file string
	set  func(c *Config, value string) error

	// The variable's row in the table of variables (the ConfigFromEnv
	// documentation and README.md, generated from envVars by
	// TestEnvTableUpToDate): the form of its value, its default and
	// what it sets (`code` in meaning is code font in README.md).
	form, def, meaning string
}

// describe returns v with its row in the table of variables.
func (v envVar) describe(form, def, meaning string) envVar {
	v.form, v.def, v.meaning = form, def, meaning
	return v
}

// envVars lists every variable, in the order errors are reported.
var envVars = []envVar{
	strVar("COMPAT", "Compat", func(c *Config) *string { return &c.Compat }).describe("string", "none", "compatibility profile: `libre-fastapi-jwt` (the seed's defaults)"),
	strVar("SECRET_KEY", "Keys.SecretKey", func(c *Config) *string { return &c.Keys.SecretKey }).describe("string", "none", "HMAC secret for HS256/384/512 (its UTF-8 bytes; at least 32/48/64 bytes)"),
	fileVar("SECRET_KEY_FILE", "SECRET_KEY", "Keys.SecretKey", true, func(c *Config) *string { return &c.Keys.SecretKey }).describe("path", "none", "read SECRET_KEY from this file; one trailing newline trimmed"),
	strVar("PRIVATE_KEY", "Keys.PrivateKey", func(c *Config) *string { return &c.Keys.PrivateKey }).describe("PEM", "none", "PEM private key for RS*, PS*, ES*, EdDSA, ML-DSA-* (PKCS#1, PKCS#8, SEC 1)"),
	fileVar("PRIVATE_KEY_FILE", "PRIVATE_KEY", "Keys.PrivateKey", false, func(c *Config) *string { return &c.Keys.PrivateKey }).describe("path", "none", "read PRIVATE_KEY from this file, as is"),
	strVar("PUBLIC_KEY", "Keys.PublicKey", func(c *Config) *string { return &c.Keys.PublicKey }).describe("PEM", "from PRIVATE_KEY", "PEM public key or certificate to verify with"),
	fileVar("PUBLIC_KEY_FILE", "PUBLIC_KEY", "Keys.PublicKey", false, func(c *Config) *string { return &c.Keys.PublicKey }).describe("path", "none", "read PUBLIC_KEY from this file, as is"),
	strVar("KEY_ID", "Keys.KeyID", func(c *Config) *string { return &c.Keys.KeyID }).describe("string", "none", "kid header of HMAC-signed tokens"),
	strVar("PUBLIC_KEY_ID", "Keys.PublicKeyID", func(c *Config) *string { return &c.Keys.PublicKeyID }).describe("string", "RFC 7638 thumbprint", "kid of tokens signed with PRIVATE_KEY"),
	boolVar("UNSAFE_ALLOW_SHORT_SECRET", "Keys.UnsafeAllowShortSecret", false, func(c *Config) *bool { return &c.Keys.UnsafeAllowShortSecret }).describe("bool", "false", "accept a legacy secret shorter than RFC 7518 allows"),
	strVar("ALGORITHM", "Keys.Algorithm", func(c *Config) *string { return &c.Keys.Algorithm }).describe("string", "HS256", "signing algorithm"),
	listVar("DECODE_ALGORITHMS", "Keys.DecodeAlgorithms", false, func(c *Config) *[]string { return &c.Keys.DecodeAlgorithms }).describe("list", "ALGORITHM", "algorithms accepted on verification"),
	strVar("DECODE_KID", "Keys.DecodeKID", func(c *Config) *string { return &c.Keys.DecodeKID }).describe("string", "none", "the only kid accepted"),
	durVar("DECODE_LEEWAY", "Claims.DecodeLeeway", durZeroOK, func(c *Config) *time.Duration { return &c.Claims.DecodeLeeway }).describe("duration", "0", "clock skew tolerated on exp, nbf, iat (at most 10m)"),
	strVar("ENCODE_ISSUER", "Claims.EncodeIssuer", func(c *Config) *string { return &c.Claims.EncodeIssuer }).describe("string", "none", "iss of new tokens"),
	strVar("DECODE_ISSUER", "Claims.DecodeIssuer", func(c *Config) *string { return &c.Claims.DecodeIssuer }).describe("string", "none", "iss a token must carry"),
	boolVar("ALLOW_REFRESH_WITHOUT_ISSUER", "Claims.AllowRefreshWithoutIssuer", false, func(c *Config) *bool { return &c.Claims.AllowRefreshWithoutIssuer }).describe("bool", "false", "accept refresh tokens without iss (the seed's)"),
	listVar("DECODE_AUDIENCE", "Claims.DecodeAudience", true, func(c *Config) *[]string { return &c.Claims.DecodeAudience }).describe("list", "none", "accepted audiences (any of)"),
	strVar("RESOURCE", "Resource.Identifier", func(c *Config) *string { return &c.Resource.Identifier }).describe("URL", "none", "resource identifier (https URL, RFC 9728/8707): metadata, challenges, trusted issuers' default audience"),
	boolVar("RESOURCE_METADATA", "Resource.Metadata", false, func(c *Config) *bool { return &c.Resource.Metadata }).describe("bool", "false", "serve RFC 9728 metadata for each request's origin (implied by RESOURCE)"),
	listVar("RESOURCE_SCOPES", "Resource.Scopes", false, func(c *Config) *[]string { return &c.Resource.Scopes }).describe("list", "none", "scopes_supported of the metadata"),
	boolVar("DENYLIST_ENABLED", "Revocation.Enabled", false, func(c *Config) *bool { return &c.Revocation.Enabled }).describe("bool", "false", "check revocations (needs a Store, set in code, which implies true; false with a Store is refused)"),
	listVar("DENYLIST_TOKEN_CHECKS", "Revocation.Checks", true, func(c *Config) *[]string { return &c.Revocation.Checks }).describe("list", "access,refresh", "token types checked; [] for none"),
	durVar("STORE_TIMEOUT", "Revocation.Timeout", durPositive, func(c *Config) *time.Duration { return &c.Revocation.Timeout }).describe("duration", "2s", "bound on every revocation-store call (checks, `Revoke*`, `Rotate`, `WatchToken` polling)"),
	durVar("REVOCATION_MAX_STALENESS", "Revocation.MaxStaleness", durZeroOK, func(c *Config) *time.Duration { return &c.Revocation.MaxStaleness }).describe("duration", "0 (off)", "check revocations against a local replica proven fresh within this bound; 503 when it is not (needs a store with a change feed)"),
	boolVar("UNSAFE_REVOCATION_FAIL_OPEN", "Revocation.UnsafeFailOpen", false, func(c *Config) *bool { return &c.Revocation.UnsafeFailOpen }).describe("bool", "false", "accept tokens when the store fails"),
	strVar("HEADER_NAME", "Header.Name", func(c *Config) *string { return &c.Header.Name }).describe("string", "Authorization", "request header carrying the token"),
	envVar{name: "HEADER_TYPE", field: "Header.Type", set: func(c *Config, v string) error {
		if v == "" {
			c.Header.BareToken = true
		}
		c.Header.Type = v
		return nil
	}}.describe("string", "Bearer", "scheme before the token; empty value sets Header.BareToken"),
	durVar("ACCESS_TOKEN_EXPIRES", "Expiry.Access", durLifetime, func(c *Config) *time.Duration { return &c.Expiry.Access }).describe("lifetime", "900 (15m)", "access-token lifetime; false/never: Never"),
	durVar("REFRESH_TOKEN_EXPIRES", "Expiry.Refresh", durLifetime, func(c *Config) *time.Duration { return &c.Expiry.Refresh }).describe("lifetime", "1209600 (14d)", "refresh-token lifetime; false/never: Never"),
	boolVar("ALLOW_NON_EXPIRING_TOKENS", "Expiry.AllowNonExpiring", false, func(c *Config) *bool { return &c.Expiry.AllowNonExpiring }).describe("bool", "false", "allow tokens without exp"),
	listVar("TOKEN_LOCATION", "TokenLocation", false, func(c *Config) *[]string { return &c.TokenLocation }).describe("list", "headers", "headers, cookies or both"),
	strVar("ACCESS_COOKIE_KEY", "Cookies.Access.Name", func(c *Config) *string { return &c.Cookies.Access.Name }).describe("string", "__Host-access_token", "access-token cookie (no __Host- if insecure)"),
	strVar("REFRESH_COOKIE_KEY", "Cookies.Refresh.Name", func(c *Config) *string { return &c.Cookies.Refresh.Name }).describe("string", "__Host-refresh_token", "refresh-token cookie (no __Host- if insecure)"),
	strVar("ACCESS_COOKIE_PATH", "Cookies.Access.Path", func(c *Config) *string { return &c.Cookies.Access.Path }).describe("string", "/", "access cookie Path"),
	strVar("REFRESH_COOKIE_PATH", "Cookies.Refresh.Path", func(c *Config) *string { return &c.Cookies.Refresh.Path }).describe("string", "/", "refresh cookie Path"),
	durVar("COOKIE_MAX_AGE", "Cookies.MaxAge", durPositive, func(c *Config) *time.Duration { return &c.Cookies.MaxAge }).describe("duration", "token lifetime", "Max-Age of every auth cookie"),
	strVar("COOKIE_DOMAIN", "Cookies.Domain", func(c *Config) *string { return &c.Cookies.Domain }).describe("string", "none", "cookie Domain (none: host-only)"),
	boolVar("COOKIE_SECURE", "Cookies.Insecure", true, func(c *Config) *bool { return &c.Cookies.Insecure }).describe("bool", "true", "inverted: false drops Secure (plain HTTP)"),
	strVar("COOKIE_SAMESITE", "Cookies.SameSite", func(c *Config) *string { return &c.Cookies.SameSite }).describe("string", "lax", "lax, strict or none"),
	boolVar("COOKIE_CSRF_PROTECT", "Cookies.UnsafeDisableCSRF", true, func(c *Config) *bool { return &c.Cookies.UnsafeDisableCSRF }).describe("bool", "true", "inverted: false turns CSRF checks off"),
	strVar("ACCESS_CSRF_COOKIE_KEY", "Cookies.Access.CSRFName", func(c *Config) *string { return &c.Cookies.Access.CSRFName }).describe("string", "__Host-csrf_access", "access CSRF cookie (no __Host- if insecure)"),
	strVar("REFRESH_CSRF_COOKIE_KEY", "Cookies.Refresh.CSRFName", func(c *Config) *string { return &c.Cookies.Refresh.CSRFName }).describe("string", "__Host-csrf_refresh", "refresh CSRF cookie (no __Host- if insecure)"),
	strVar("ACCESS_CSRF_COOKIE_PATH", "Cookies.Access.CSRFPath", func(c *Config) *string { return &c.Cookies.Access.CSRFPath }).describe("string", "/", "access CSRF cookie Path"),
	strVar("REFRESH_CSRF_COOKIE_PATH", "Cookies.Refresh.CSRFPath", func(c *Config) *string { return &c.Cookies.Refresh.CSRFPath }).describe("string", "/", "refresh CSRF cookie Path"),
	strVar("ACCESS_CSRF_HEADER_NAME", "Cookies.Access.CSRFHeader", func(c *Config) *string { return &c.Cookies.Access.CSRFHeader }).describe("string", "X-CSRF-Token", "CSRF header with an access cookie"),
	strVar("REFRESH_CSRF_HEADER_NAME", "Cookies.Refresh.CSRFHeader", func(c *Config) *string { return &c.Cookies.Refresh.CSRFHeader }).describe("string", "X-CSRF-Token", "CSRF header with a refresh cookie"),
	listVar("CSRF_METHODS", "Cookies.CSRFMethods", false, func(c *Config) *[]string { return &c.Cookies.CSRFMethods }).describe("list", "POST,PUT,PATCH,DELETE", "methods that need the CSRF header"),
	listVar("TRUSTED_ORIGINS", "Cookies.TrustedOrigins", true, func(c *Config) *[]string { return &c.Cookies.TrustedOrigins }).describe("list", "none", "extra origins allowed for cookie requests"),
	boolVar("SKIP_CROSS_ORIGIN_PROTECTION", "Cookies.SkipCrossOriginProtection", false, func(c *Config) *bool { return &c.Cookies.SkipCrossOriginProtection }).describe("bool", "false", "turn the Origin/Fetch-Metadata check off"),
	boolVar("TOKEN_TYPE_CLAIM", "TypeClaim.Skip", true, func(c *Config) *bool { return &c.TypeClaim.Skip }).describe("bool", "true", "inverted: false drops the type claim"),
	strVar("TOKEN_TYPE_CLAIM_NAME", "TypeClaim.Name", func(c *Config) *string { return &c.TypeClaim.Name }).describe("string", "type", "name of the type claim"),
	strVar("ROLES_CLAIM", "Claims.RolesClaim", func(c *Config) *string { return &c.Claims.RolesClaim }).describe("string", "roles", "claim holding our tokens' roles"),
	strVar("ACCESS_TOKEN_TYPE", "TypeClaim.Access", func(c *Config) *string { return &c.TypeClaim.Access }).describe("string", "access", "type claim of access tokens"),
	strVar("REFRESH_TOKEN_TYPE", "TypeClaim.Refresh", func(c *Config) *string { return &c.TypeClaim.Refresh }).describe("string", "refresh", "type claim of refresh tokens"),
	boolVar("REFRESH_TOKEN_ROTATION", "Revocation.Rotation", false, func(c *Config) *bool { return &c.Revocation.Rotation }).describe("bool", "false", "one-time refresh tokens, reuse detected"),
	durVar("REFRESH_REUSE_GRACE", "Revocation.ReuseGrace", durZeroOK, func(c *Config) *time.Duration { return &c.Revocation.ReuseGrace }).describe("duration", "0", "window after a rotated token's first use in which a retry gets the same successor (not reuse)"),
	boolVar("SESSIONS_ENABLED", "Sessions.Enabled", false, func(c *Config) *bool { return &c.Sessions.Enabled }).describe("bool", "false", "record a session per login (`StartSession`; the store must keep sessions)"),
	envVar{name: "SESSIONS_MAX_PER_SUBJECT", field: "Sessions.MaxPerSubject", set: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("%s is not a positive whole number of sessions (e.g. 100)", quoteValue(v))
		}
		c.Sessions.MaxPerSubject = n
		return nil
	}}.describe("int", "100", "live sessions per subject; a login beyond ends the oldest (1 to 10000)"),
	strVar("SESSIONS_CLIENT_IP_HEADER", "Sessions.ClientIPHeader", func(c *Config) *string { return &c.Sessions.ClientIPHeader }).describe("string", "none", "header a trusted proxy sets to the client address (none: the peer address)"),
	boolVar("SESSIONS_TRACK_ACCESS", "Sessions.TrackAccess", false, func(c *Config) *bool { return &c.Sessions.TrackAccess }).describe("bool", "false", "access-token use updates a session's last use (once a minute)"),
	envVar{name: "MAX_TOKEN_SIZE", field: "MaxTokenSize", set: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%s is not a whole number of bytes (e.g. 8192)", quoteValue(v))
		}
		if n == 0 {
			return errors.New("0 would silently mean the default (8192 bytes); leave the variable empty for the default")
		}
		c.MaxTokenSize = n
		return nil
	}}.describe("int", "8192", "largest accepted token, in bytes (256 to 65536; default 16384 with ML-DSA)"),
	envVar{name: "VERIFY_CACHE_SIZE", field: "VerifyCacheSize", set: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%s is not a non-negative whole number of entries (e.g. 10000)", quoteValue(v))
		}
		c.VerifyCacheSize = n
		return nil
	}}.describe("int", "0", "verified asymmetric tokens to cache (0: off)"),
	boolVar("LEGACY_STATUS_CODES", "LegacyStatusCodes", false, func(c *Config) *bool { return &c.LegacyStatusCodes }).describe("bool", "false", "the seed's statuses (422, 401 for CSRF)"),
	strVar("WEBSOCKET_QUERY_PARAM", "WebSocket.QueryParam", func(c *Config) *string { return &c.WebSocket.QueryParam }).describe("string", "token", "query parameter of a WebSocket token"),
	boolVar("WEBSOCKET_NO_QUERY_TOKEN", "WebSocket.NoQueryToken", false, func(c *Config) *bool { return &c.WebSocket.NoQueryToken }).describe("bool", "false", "refuse tokens in WebSocket URLs"),
	strVar("WEBSOCKET_CSRF_QUERY_PARAM", "WebSocket.CSRFQueryParam", func(c *Config) *string { return &c.WebSocket.CSRFQueryParam }).describe("string", "csrf_token", "query parameter of a WebSocket CSRF value"),
	strVar("DPOP", "DPoP.Mode", func(c *Config) *string { return &c.DPoP.Mode }).describe("string", "allowed", "DPoP (RFC 9449): off, allowed or required"),
	listVar("DPOP_ALGORITHMS", "DPoP.Algorithms", false, func(c *Config) *[]string { return &c.DPoP.Algorithms }).describe("list", "every asymmetric", "DPoP proof algorithms accepted"),
	durVar("DPOP_PROOF_LIFETIME", "DPoP.ProofLifetime", durPositive, func(c *Config) *time.Duration { return &c.DPoP.ProofLifetime }).describe("duration", "60s", "how far a proof's iat may be from now (plus DECODE_LEEWAY)"),
	boolVar("DPOP_NONCE", "DPoP.Nonce", false, func(c *Config) *bool { return &c.DPoP.Nonce }).describe("bool", "false", "require server-issued DPoP nonces"),
	strVar("DPOP_NONCE_KEY", "DPoP.NonceKey", func(c *Config) *string { return &c.DPoP.NonceKey }).describe("string", "from SECRET_KEY", "HMAC key of the DPoP nonces (at least 32 bytes)"),
	durVar("DPOP_NONCE_LIFETIME", "DPoP.NonceLifetime", durPositive, func(c *Config) *time.Duration { return &c.DPoP.NonceLifetime }).describe("duration", "5m", "window of a DPoP nonce (accepted in it and the next)"),
	strVar("DPOP_EXTERNAL_URL", "DPoP.ExternalURL", func(c *Config) *string { return &c.DPoP.ExternalURL }).describe("string", "the request's", "URL clients reach the server at, for htu behind a proxy"),
}

// envIndex maps full variable names to their envVars entry.
var envIndex = func() map[string]int {
	m := make(map[string]int, len(envVars))
	for i, v := range envVars {
		m[envPrefix+v.name] = i
	}
	return m
}()

func strVar(name, field string, p func(*Config) *string) envVar {
	return envVar{name: name, field: field, set: func(c *Config, v string) error {
		*p(c) = v
		return nil
	}}
}

// fileVar reads the value of the variable named by of from the file at
// the variable's value. trim removes one trailing newline (secrets).
func fileVar(name, of, field string, trim bool, p func(*Config) *string) envVar {
	return envVar{name: name, field: field, file: of, set: func(c *Config, path string) error {
		b, err := readEnvFile(path)
		if err != nil {
			return err
		}
		s := string(b)
		if trim {
			if t, ok := strings.CutSuffix(s, "\r\n"); ok {
				s = t
			} else {
				s = strings.TrimSuffix(s, "\n")
			}
		}
		if s == "" {
			return fmt.Errorf("file %s is empty", quoteValue(path))
		}
		*p(c) = s
		return nil
	}}
}

func readEnvFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEnvFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %v", err)
	}
	if len(b) > maxEnvFileSize {
		return nil, fmt.Errorf("file %s is larger than %d bytes", quoteValue(path), maxEnvFileSize)
	}
	return b, nil
}

// boolVar parses a strconv.ParseBool value; inverted stores its negation
// (COOKIE_SECURE=false sets Cookies.Insecure).
func boolVar(name, field string, inverted bool, p func(*Config) *bool) envVar {
	return envVar{name: name, field: field, set: func(c *Config, v string) error {
		b, ok := parseEnvBool(v)
		if !ok {
			return fmt.Errorf("%s is not a boolean (use true or false)", quoteValue(v))
		}
		*p(c) = b != inverted
		return nil
	}}
}

// parseEnvBool reads the boolean forms pydantic (the seed's settings
// loader) reads, in any case: 1, t, true, y, yes, on and 0, f, false, n,
// no, off. They include every form of strconv.ParseBool.
func parseEnvBool(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "1", "t", "true", "y", "yes", "on":
		return true, true
	case "0", "f", "false", "n", "no", "off":
		return false, true
	}
	return false, false
}

// durKind says which durations a variable accepts.
type durKind int

const (
	durZeroOK   durKind = iota // 0 is the default and a real value
	durPositive                // 0 would mean the default: refused
	durLifetime                // as durPositive, plus false/never for Never
)

func durVar(name, field string, kind durKind, p func(*Config) *time.Duration) envVar {
	return envVar{name: name, field: field, set: func(c *Config, v string) error {
		d, err := parseEnvDuration(v, kind)
		if err != nil {
			return err
		}
		*p(c) = d
		return nil
	}}
}

func parseEnvDuration(v string, kind durKind) (time.Duration, error) {
	if kind == durLifetime {
		if strings.EqualFold(v, "never") {
			return Never, nil
		}
		// The seed's lifetimes are bool | int | timedelta: pydantic reads
		// its false forms as False (no exp). "0" and "1" stay seconds.
		if b, ok := parseEnvBool(v); ok && v != "0" && v != "1" {
			if b {
				return 0, fmt.Errorf("%s is not a lifetime (as in the seed): use seconds (900), a Go duration (15m), ISO 8601 (PT15M), or false/never for tokens that do not expire", quoteValue(v))
			}
			return Never, nil
		}
	}
	var d time.Duration
	n, err := strconv.ParseInt(v, 10, 64)
	if err == nil && (n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second)) ||
		errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%s seconds is out of range", quoteValue(v))
	}
	if err == nil {
		d = time.Duration(n) * time.Second
	} else if pd, perr := time.ParseDuration(v); perr == nil {
		d = pd
	} else if pd, ok, perr := parsePydanticDuration(v); ok {
		if perr != nil {
			return 0, fmt.Errorf("%s: %v", quoteValue(v), perr)
		}
		d = pd
	} else {
		hint := "integer seconds (900), a Go duration (15m), ISO 8601 (PT15M) or [D,]HH:MM:SS (00:15:00)"
		if kind == durLifetime {
			hint += ", or false/never for tokens that do not expire"
		}
		return 0, fmt.Errorf("%s is not a duration: use %s", quoteValue(v), hint)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s is negative", quoteValue(v))
	}
	if d == 0 && kind != durZeroOK {
		hint := "leave the variable empty for the default"
		if kind == durLifetime {
			hint += ", or use false/never for tokens that do not expire"
		}
		return 0, fmt.Errorf("%s would silently mean the default; %s", quoteValue(v), hint)
	}
	return d, nil
}

// parsePydanticDuration reads the other forms pydantic (the seed's
// settings loader) accepts for a timedelta, so that a seed .env file
// loads as it is: decimal seconds ("900.5"), ISO 8601 durations
// ("PT15M", "P14D", "P1DT2H30M", "PT0.5S"; weeks "P2W"; years and months
// are refused, having no fixed length) and [-][[D]D,]HH:MM:SS[.ffffff]
// ("00:15:00", "1d,00:00:00", "1D00:00:00"). ok reports whether v has
// one of these shapes; err then says what is wrong with it.
func parsePydanticDuration(v string) (d time.Duration, ok bool, err error) {
	const maxSeconds = float64(math.MaxInt64 / int64(time.Second))
	fromSeconds := func(f float64) (time.Duration, error) {
		if math.IsNaN(f) || math.Abs(f) > maxSeconds {
			return 0, errors.New("out of range")
		}
		return time.Duration(math.Round(f * float64(time.Second))), nil
	}
	number := func(s string) (float64, bool) {
		if s == "" || strings.Trim(s, "0123456789.") != "" || strings.Count(s, ".") > 1 || s == "." {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	neg := strings.HasPrefix(v, "-")
	body := strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+")
	sign := 1.0
	if neg {
		sign = -1
	}
	// Decimal seconds.
	if f, isNum := number(body); isNum && strings.Contains(body, ".") {
		d, err := fromSeconds(sign * f)
		return d, true, err
	}
	// ISO 8601: P[nW][nD][T[nH][nM][nS]].
	if up := strings.ToUpper(body); strings.HasPrefix(up, "P") && len(up) > 1 {
		total, rest, inTime, any := 0.0, up[1:], false, false
		for rest != "" {
			if rest[0] == 'T' {
				if inTime {
					return 0, true, errors.New("not an ISO 8601 duration: two T designators")
				}
				inTime, rest = true, rest[1:]
				continue
			}
			i := strings.IndexAny(rest, "YMWDHS")
			if i <= 0 {
				return 0, true, errors.New("not an ISO 8601 duration (e.g. PT15M, P14D, P1DT2H)")
			}
			f, isNum := number(strings.ReplaceAll(rest[:i], ",", "."))
			if !isNum {
				return 0, true, errors.New("not an ISO 8601 duration (e.g. PT15M, P14D, P1DT2H)")
			}
			unit := rest[i]
			var scale float64
			switch {
			case unit == 'Y' || unit == 'M' && !inTime:
				return 0, true, errors.New("ISO 8601 years and months have no fixed length: use days (P30D) or weeks (P2W)")
			case unit == 'W' && !inTime:
				scale = 7 * 86400
			case unit == 'D' && !inTime:
				scale = 86400
			case unit == 'H' && inTime:
				scale = 3600
			case unit == 'M' && inTime:
				scale = 60
			case unit == 'S' && inTime:
				scale = 1
			default:
				return 0, true, errors.New("not an ISO 8601 duration (e.g. PT15M, P14D, P1DT2H)")
			}
			total += f * scale
			rest, any = rest[i+1:], true
		}
		if !any {
			return 0, true, errors.New("not an ISO 8601 duration (e.g. PT15M, P14D, P1DT2H)")
		}
		d, err := fromSeconds(sign * total)
		return d, true, err
	}
	// [[D]D,]HH:MM:SS[.ffffff] (pydantic also takes "1d," and "1D").
	if strings.Contains(body, ":") {
		days := 0.0
		clock := body
		if i := strings.IndexAny(clock, "dD"); i >= 0 {
			n, isNum := number(clock[:i])
			if !isNum || strings.Contains(clock[:i], ".") {
				return 0, true, errors.New("not a [D,]HH:MM:SS duration (e.g. 00:15:00, 1d,00:00:00)")
			}
			days, clock = n, strings.TrimPrefix(clock[i+1:], ",")
		}
		parts := strings.Split(clock, ":")
		if len(parts) != 3 { // "15:00" could be minutes or hours
			return 0, true, errors.New("not a [D,]HH:MM:SS duration (e.g. 00:15:00, 1d,00:00:00)")
		}
		total := days * 86400
		for i, p := range parts {
			f, isNum := number(p)
			if !isNum || i < len(parts)-1 && strings.Contains(p, ".") || i > 0 && f >= 60 {
				return 0, true, errors.New("not a [D,]HH:MM:SS duration (e.g. 00:15:00, 1d,00:00:00)")
			}
			total += f * math.Pow(60, float64(len(parts)-1-i))
		}
		d, err := fromSeconds(sign * total)
		return d, true, err
	}
	return 0, false, nil
}

// listVar parses a comma-separated list or a JSON array of strings.
// allowEmpty accepts the JSON array [] (an empty, non-nil list).
func listVar(name, field string, allowEmpty bool, p func(*Config) *[]string) envVar {
	return envVar{name: name, field: field, set: func(c *Config, v string) error {
		l, err := parseEnvList(v)
		if err != nil {
			return err
		}
		if len(l) == 0 && !allowEmpty {
			return errors.New("an empty list would silently mean the default; leave the variable empty for the default")
		}
		*p(c) = l
		return nil
	}}
}

func parseEnvList(v string) ([]string, error) {
	if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") {
		var l []string
		if err := json.Unmarshal([]byte(t), &l); err != nil {
			return nil, fmt.Errorf("not a JSON array of strings: %v", err)
		}
		if l == nil {
			l = []string{}
		}
		for i, s := range l {
			if strings.TrimSpace(s) == "" {
				return nil, fmt.Errorf("item %d of the JSON array is empty", i+1)
			}
		}
		return l, nil
	}
	parts := strings.Split(v, ",")
	l := make([]string, 0, len(parts))
	for i, s := range parts {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("item %d of the comma-separated list is empty", i+1)
		}
		l = append(l, s)
	}
	return l, nil
}

// envError formats an error naming the variable.
func envError(name, format string, args ...any) error {
	return fmt.Errorf("authjwt: %s: %s", quoteName(name), fmt.Sprintf(format, args...))
}

// quoteName returns name as it is when it is plain printable ASCII
// without spaces, else Go-escaped (spaces as \x20), so an error stays on
// one line and the name ends at the first ": ".
func quoteName(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] <= ' ' || name[i] >= 0x7f {
			q := strconv.Quote(name)
			return strings.ReplaceAll(q[1:len(q)-1], " ", `\x20`)
		}
	}
	return name
}

// quoteValue quotes a value for an error message, shortened: a misplaced
// secret must not be printed whole.
func quoteValue(v string) string {
	const max = 32
	if len(v) > max {
		return strconv.Quote(v[:max]) + "…"
	}
	return strconv.Quote(v)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// suggest returns "; did you mean X?" for the known name (library or
// extra) closest to name, within edit distance 2, or "".
func suggest(name string, extra map[string]bool) string {
	best, bestD := "", 3
	try := func(k string) {
		if d := editDistance(name, k, bestD); d < bestD {
			best, bestD = k, d
		}
	}
	for _, v := range envVars {
		try(envPrefix + v.name)
	}
	for k := range extra {
		if strings.HasPrefix(k, envPrefix) {
			try(k)
		}
	}
	if best == "" {
		return "; see the list of variables in the ConfigFromEnv documentation"
	}
	return "; did you mean " + best + "?"
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and adjacent transpositions), or
// limit when it is at least limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin >= limit {
			return limit
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit)
}
