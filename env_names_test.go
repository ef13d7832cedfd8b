package authjwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

// settingErrorSites returns every call of settingError in the package's
// non-test files, as field|format ("" for a field computed at run time),
// so that a validation added later needs a row in
// TestNewErrorsNameTheVariable.
func settingErrorSites(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	sites := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "settingError" {
				return true
			}
			field := ""
			if lit, ok := call.Args[0].(*ast.BasicLit); ok {
				field, _ = strconv.Unquote(lit.Value)
			}
			lit, ok := call.Args[1].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: settingError's format is not a literal", fset.Position(call.Pos()))
				return true
			}
			format, _ := strconv.Unquote(lit.Value)
			sites[field+"|"+format] = fset.Position(call.Pos()).String()
			return true
		})
	}
	return sites
}

func ecPEMs(t *testing.T) (priv, pub string, key *ecdsa.PrivateKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pder, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder})), k
}

// TestNewErrorsNameTheVariable: every validation error of New, for a
// configuration read by ConfigFromEnv, names the AUTHJWT_* variable (the
// one the operator set: X_FILE when the value came from a file), and
// names other settings it mentions by variable too; the same
// configuration built in code names the Go field. The rows are checked
// against the settingError calls of the package, so a new validation
// needs a row here.
func TestNewErrorsNameTheVariable(t *testing.T) {
	priv, pub, key := ecPEMs(t)
	_, otherPub, _ := ecPEMs(t)
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shortSecret := file("short", "Kp9!xQ2#\n")
	garbage := file("garbage", "not a PEM key")
	privFile := file("priv.pem", priv)
	spaces := file("spaces", strings.Repeat(" ", 32))
	bigDER, err := x509.MarshalPKIXPublicKey(bigRSA(8200))
	if err != nil {
		t.Fatal(err)
	}
	bigFile := file("big.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: bigDER})))
	secret := "AUTHJWT_SECRET_KEY=Ju8-fD3kq0Lz2Wm9Xb4Nc7Vr1Ty6Hs5Ge0Pa"
	es := []string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PRIVATE_KEY=" + priv}
	cookies := []string{secret, "AUTHJWT_TOKEN_LOCATION=cookies"}
	insecure := append(cookies[:2:2], "AUTHJWT_COOKIE_SECURE=false")
	with := func(base []string, more ...string) []string { return append(base[:len(base):len(base)], more...) }
	keySet := func(c *Config) {
		c.Keys.Set = keys.NewSet()
	}
	nonConsumer := revoke.Func(func(context.Context, revoke.Query) (bool, error) { return false, nil })

	tests := []struct {
		name    string
		env     []string
		code    func(*Config) // settings that are not text, or values the variables refuse
		field   string
		format  string // the settingError call the row reaches
		wantVar string // "" for fields no variable sets
		mention []string
	}{
		{"trusted origin", []string{secret, "AUTHJWT_TRUSTED_ORIGINS=not a url"}, nil,
			"Cookies.TrustedOrigins", "%v", "AUTHJWT_TRUSTED_ORIGINS", nil},
		{"negative cache size", []string{secret}, func(c *Config) { c.VerifyCacheSize = -1 },
			"VerifyCacheSize", "negative size %d", "AUTHJWT_VERIFY_CACHE_SIZE", nil},
		{"algorithm none", []string{secret, "AUTHJWT_ALGORITHM=none"}, nil,
			"Keys.Algorithm", "unknown or forbidden algorithm %q (AUTHJWT_ALGORITHM)", "AUTHJWT_ALGORITHM", nil},
		{"decode algorithm none", []string{secret, "AUTHJWT_DECODE_ALGORITHMS=HS256,none"}, nil,
			"Keys.DecodeAlgorithms", "unknown or forbidden algorithm %q (AUTHJWT_DECODE_ALGORITHMS)", "AUTHJWT_DECODE_ALGORITHMS", nil},
		{"PEM as a secret", []string{"AUTHJWT_SECRET_KEY=" + pub}, nil,
			"Keys.SecretKey", "%s: an asymmetric key belongs in Keys.PrivateKey/PublicKey (AUTHJWT_PRIVATE_KEY, AUTHJWT_PUBLIC_KEY); a public key used as an HMAC secret lets anyone forge tokens", "AUTHJWT_SECRET_KEY", nil},
		{"invalid UTF-8 issuer", []string{secret}, func(c *Config) { c.Claims.EncodeIssuer = "a\xffb" },
			"Claims.EncodeIssuer", "%q is not valid UTF-8", "AUTHJWT_ENCODE_ISSUER", nil},
		{"invalid UTF-8 audience", []string{secret}, func(c *Config) { c.Claims.DecodeAudience = []string{"a\xffb"} },
			"Claims.DecodeAudience", "%q is not valid UTF-8", "AUTHJWT_DECODE_AUDIENCE", nil},
		{"no secret", nil, nil,
			"Keys.SecretKey", "required for %s (AUTHJWT_SECRET_KEY or AUTHJWT_SECRET_KEY_FILE)", "AUTHJWT_SECRET_KEY", nil},
		{"short secret from a file", []string{"AUTHJWT_SECRET_KEY_FILE=" + shortSecret}, nil,
			"Keys.SecretKey", "%s needs a secret of at least %d bytes (RFC 7518 §3.2), got %d; generate one with `authjwt keygen --alg %s`, or set Keys.UnsafeAllowShortSecret (AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET) to keep a legacy secret", "AUTHJWT_SECRET_KEY_FILE", nil},
		{"the README's placeholder secret", []string{"AUTHJWT_SECRET_KEY=change-me-to-32-random-bytes-at-least!"}, nil,
			"Keys.SecretKey", "is the example secret of the documentation, which anyone can read and sign with; generate one with `authjwt keygen --alg %s`", "AUTHJWT_SECRET_KEY", nil},
		{"a secret of spaces from a file", []string{"AUTHJWT_SECRET_KEY_FILE=" + spaces}, nil,
			"Keys.SecretKey", "has only %d distinct bytes (a repeated character, whitespace): not a random secret; generate one with `authjwt keygen --alg %s`, or set Keys.UnsafeAllowShortSecret (AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET) to keep a legacy secret", "AUTHJWT_SECRET_KEY_FILE", nil},
		{"an RSA key above the signature limit", []string{"AUTHJWT_ALGORITHM=RS256", "AUTHJWT_PUBLIC_KEY_FILE=" + bigFile}, nil,
			"Keys.PublicKey", "RSA key is %d bits; at most %d are accepted (keys.MaxRSABits): its signatures would exceed the verifier's %d-byte limit (MaxSignatureSize), so no token it signed would verify", "AUTHJWT_PUBLIC_KEY_FILE", nil},
		{"key set and a secret", []string{secret}, keySet,
			"Keys.Set", "set Keys.Set or Keys.SecretKey/PrivateKey/PublicKey/Signer/VerifyKey, not both", "", nil},
		{"key set and a key id", []string{"AUTHJWT_PUBLIC_KEY_ID=k1"}, keySet,
			"Keys.Set", "each key of a Keys.Set carries its own kid: Keys.KeyID and Keys.PublicKeyID are for Keys.SecretKey and Keys.PrivateKey", "", nil},
		{"unknown compatibility profile", []string{secret, "AUTHJWT_COMPAT=fastapi-jwt"}, nil,
			"Compat", "unknown compatibility profile %q (the one profile is %q)", "AUTHJWT_COMPAT", nil},
		{"key set, decode algorithm none", []string{"AUTHJWT_DECODE_ALGORITHMS=none"}, keySet,
			"Keys.DecodeAlgorithms", "unknown or forbidden algorithm %q", "AUTHJWT_DECODE_ALGORITHMS", nil},
		{"private key and signer", es, func(c *Config) { c.Keys.Signer = key },
			"Keys.PrivateKey", "set Keys.PrivateKey or Keys.Signer, not both", "AUTHJWT_PRIVATE_KEY", nil},
		{"public key and verify key", []string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PUBLIC_KEY=" + pub}, func(c *Config) { c.Keys.VerifyKey = &key.PublicKey },
			"Keys.PublicKey", "set Keys.PublicKey or Keys.VerifyKey, not both", "AUTHJWT_PUBLIC_KEY", nil},
		{"private key file not PEM", []string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PRIVATE_KEY_FILE=" + garbage}, nil,
			"Keys.PrivateKey", "%v", "AUTHJWT_PRIVATE_KEY_FILE", nil},
		{"public key not PEM", []string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PUBLIC_KEY=not a PEM key"}, nil,
			"Keys.PublicKey", "%v", "AUTHJWT_PUBLIC_KEY", nil},
		{"no key", []string{"AUTHJWT_ALGORITHM=ES256"}, nil,
			"Keys.PublicKey", "%s needs a public key to verify (AUTHJWT_PUBLIC_KEY or AUTHJWT_PRIVATE_KEY, or their _FILE forms)", "AUTHJWT_PUBLIC_KEY", nil},
		{"key pair mismatch", []string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PRIVATE_KEY_FILE=" + privFile, "AUTHJWT_PUBLIC_KEY=" + otherPub}, nil,
			"Keys.PublicKey", "does not match %s", "AUTHJWT_PUBLIC_KEY", []string{"AUTHJWT_PRIVATE_KEY_FILE"}},
		{"algorithm does not fit the key", []string{"AUTHJWT_ALGORITHM=RS256", "AUTHJWT_PRIVATE_KEY=" + priv}, nil,
			"Keys.Algorithm", "%s does not fit the configured key: %v", "AUTHJWT_ALGORITHM", nil},
		{"decode algorithm does not fit the key", with(es, "AUTHJWT_DECODE_ALGORITHMS=ES256,RS256"), nil,
			"Keys.DecodeAlgorithms", "%s does not fit the configured key: %v", "AUTHJWT_DECODE_ALGORITHMS", nil},
		{"negative access lifetime", []string{secret}, func(c *Config) { c.Expiry.Access = -time.Second },
			"Expiry.Access", "negative duration %v (use authjwt.Never for non-expiring tokens)", "AUTHJWT_ACCESS_TOKEN_EXPIRES", nil},
		{"negative refresh lifetime", []string{secret}, func(c *Config) { c.Expiry.Refresh = -time.Second },
			"Expiry.Refresh", "negative duration %v (use authjwt.Never for non-expiring tokens)", "AUTHJWT_REFRESH_TOKEN_EXPIRES", nil},
		{"sub-second access lifetime", []string{secret, "AUTHJWT_ACCESS_TOKEN_EXPIRES=500ms"}, nil,
			"Expiry.Access", "%v is below one second: \"exp\" is in whole seconds, so a token could be expired when it is created", "AUTHJWT_ACCESS_TOKEN_EXPIRES", nil},
		{"sub-second refresh lifetime", []string{secret, "AUTHJWT_REFRESH_TOKEN_EXPIRES=0.5"}, nil,
			"Expiry.Refresh", "%v is below one second: \"exp\" is in whole seconds, so a token could be expired when it is created", "AUTHJWT_REFRESH_TOKEN_EXPIRES", nil},
		{"negative leeway", []string{secret}, func(c *Config) { c.Claims.DecodeLeeway = -time.Second },
			"Claims.DecodeLeeway", "negative duration %v", "AUTHJWT_DECODE_LEEWAY", nil},
		{"a leeway of centuries", []string{secret, "AUTHJWT_DECODE_LEEWAY=876000h"}, nil,
			"Claims.DecodeLeeway", "%v is more than the maximum %v: a leeway is for clock skew, and a larger one keeps expired tokens valid", "AUTHJWT_DECODE_LEEWAY", nil},
		{"token size too small", []string{secret, "AUTHJWT_MAX_TOKEN_SIZE=100"}, nil,
			"MaxTokenSize", "%d bytes is too small (minimum 256)", "AUTHJWT_MAX_TOKEN_SIZE", nil},
		{"token size too large", []string{secret, "AUTHJWT_MAX_TOKEN_SIZE=100000"}, nil,
			"MaxTokenSize", "%d bytes is too large (maximum %d)", "AUTHJWT_MAX_TOKEN_SIZE", nil},
		{"unknown DPoP mode", []string{secret, "AUTHJWT_DPOP=sometimes"}, nil,
			"DPoP.Mode", "unknown mode %q (use off, allowed or required)", "AUTHJWT_DPOP", nil},
		{"unknown DPoP algorithm", []string{secret, "AUTHJWT_DPOP_ALGORITHMS=ES256,ES257"}, nil,
			"DPoP.Algorithms", "unknown algorithm %q", "AUTHJWT_DPOP_ALGORITHMS", nil},
		{"symmetric DPoP algorithm", []string{secret, "AUTHJWT_DPOP_ALGORITHMS=HS256"}, nil,
			"DPoP.Algorithms", "%s is symmetric; DPoP proofs are signed with the client's private key (RFC 9449 §4.2)", "AUTHJWT_DPOP_ALGORITHMS", nil},
		{"DPoP proof lifetime of an hour", []string{secret, "AUTHJWT_DPOP_PROOF_LIFETIME=1h"}, nil,
			"DPoP.ProofLifetime", "%v is out of range (1s to %v)", "AUTHJWT_DPOP_PROOF_LIFETIME", nil},
		{"DPoP nonce lifetime under a second", []string{secret, "AUTHJWT_DPOP_NONCE_LIFETIME=0.5"}, nil,
			"DPoP.NonceLifetime", "%v is shorter than a second", "AUTHJWT_DPOP_NONCE_LIFETIME", nil},
		{"short DPoP nonce key", []string{secret, "AUTHJWT_DPOP_NONCE=true", "AUTHJWT_DPOP_NONCE_KEY=short"}, nil,
			"DPoP.NonceKey", "%d bytes is too short (at least 32)", "AUTHJWT_DPOP_NONCE_KEY", nil},
		{"DPoP nonces with DPoP off", []string{secret, "AUTHJWT_DPOP=off", "AUTHJWT_DPOP_NONCE=true"}, nil,
			"DPoP.Nonce", "set, but %s is off", "AUTHJWT_DPOP_NONCE", []string{"AUTHJWT_DPOP "}},
		{"bearer tokens under the DPoP scheme name", []string{secret, "AUTHJWT_HEADER_TYPE=dpop"}, nil,
			"Header.Type", "%q is the DPoP scheme (RFC 9449), whose tokens need a proof; use Bearer, or set %s to off", "AUTHJWT_HEADER_TYPE", []string{"AUTHJWT_DPOP "}},
		{"DPoP external URL with a query", []string{secret, "AUTHJWT_DPOP_EXTERNAL_URL=https://api.example.com/?x=1"}, nil,
			"DPoP.ExternalURL", "%v", "AUTHJWT_DPOP_EXTERNAL_URL", nil},
		{"negative store timeout", []string{secret}, func(c *Config) { c.Revocation.Timeout = -time.Second },
			"Revocation.Timeout", "negative duration %v", "AUTHJWT_STORE_TIMEOUT", nil},
		{"negative reuse grace", []string{secret}, func(c *Config) { c.Revocation.ReuseGrace = -time.Second },
			"Revocation.ReuseGrace", "negative duration %v", "AUTHJWT_REFRESH_REUSE_GRACE", nil},
		{"sessions without a store", []string{secret, "AUTHJWT_SESSIONS_ENABLED=true"}, nil,
			"Sessions.Enabled", "sessions need a revocation store (Revocation.Store)", "AUTHJWT_SESSIONS_ENABLED", nil},
		{"sessions with a store that cannot keep them", []string{secret, "AUTHJWT_SESSIONS_ENABLED=true"}, func(c *Config) { c.Revocation.Store = nonConsumer },
			"Sessions.Enabled", "the revocation store (%T) does not implement revoke.SessionStore", "AUTHJWT_SESSIONS_ENABLED", nil},
		{"too many sessions per subject", []string{secret, "AUTHJWT_SESSIONS_MAX_PER_SUBJECT=20000"}, nil,
			"Sessions.MaxPerSubject", "%d is outside 1..%d", "AUTHJWT_SESSIONS_MAX_PER_SUBJECT", nil},
		{"client IP header not a name", []string{secret, "AUTHJWT_SESSIONS_CLIENT_IP_HEADER=X Real IP"}, nil,
			"Sessions.ClientIPHeader", "%q is not a header name", "AUTHJWT_SESSIONS_CLIENT_IP_HEADER", nil},
		{"type claim named exp", []string{secret, "AUTHJWT_TOKEN_TYPE_CLAIM_NAME=exp"}, nil,
			"TypeClaim.Name", "%q collides with a registered claim", "AUTHJWT_TOKEN_TYPE_CLAIM_NAME", nil},
		{"roles claim named jti", []string{secret, "AUTHJWT_ROLES_CLAIM=jti"}, nil,
			"Claims.RolesClaim", "%q collides with a registered claim", "AUTHJWT_ROLES_CLAIM", nil},
		{"roles claim as a path", []string{secret, "AUTHJWT_ROLES_CLAIM=realm.roles"}, nil,
			"Claims.RolesClaim", "%q is not a top-level claim name (a dotted path is for TrustedIssuer.RolesClaim)", "AUTHJWT_ROLES_CLAIM", nil},
		{"roles claim not UTF-8", []string{secret, "AUTHJWT_ROLES_CLAIM=r\xffoles"}, nil,
			"Claims.RolesClaim", "%q is not valid UTF-8", "AUTHJWT_ROLES_CLAIM", nil},
		{"equal type values", []string{secret, "AUTHJWT_ACCESS_TOKEN_TYPE=refresh"}, nil,
			"TypeClaim.Refresh", "must differ from %s (both %q)", "AUTHJWT_REFRESH_TOKEN_TYPE", []string{"AUTHJWT_ACCESS_TOKEN_TYPE"}},
		{"access type is refresh", []string{secret, "AUTHJWT_ACCESS_TOKEN_TYPE=refresh", "AUTHJWT_REFRESH_TOKEN_TYPE=access"}, nil,
			"TypeClaim.Access", "%q is the refresh tokens' type value: access and refresh types swapped", "AUTHJWT_ACCESS_TOKEN_TYPE", nil},
		{"refresh type is access", []string{secret, "AUTHJWT_ACCESS_TOKEN_TYPE=a", "AUTHJWT_REFRESH_TOKEN_TYPE=access"}, nil,
			"TypeClaim.Refresh", "%q is the access tokens' type value: access and refresh types swapped", "AUTHJWT_REFRESH_TOKEN_TYPE", nil},
		{"header name with a space", []string{secret, "AUTHJWT_HEADER_NAME=X Auth"}, nil,
			"Header.Name", "%q is not a header name a client can send (RFC 9110 §5.1: letters, digits and !#$%%&'*+-.^_`|~)", "AUTHJWT_HEADER_NAME", nil},
		{"CSRF header name with a colon", []string{secret, "AUTHJWT_REFRESH_CSRF_HEADER_NAME=X-CSRF:"}, nil,
			"Cookies.Refresh.CSRFHeader", "%q is not a header name a client can send (RFC 9110 §5.1: letters, digits and !#$%%&'*+-.^_`|~)", "AUTHJWT_REFRESH_CSRF_HEADER_NAME", nil},
		{"Cookie as the header", []string{secret, "AUTHJWT_HEADER_NAME=cookie"}, nil,
			"Header.Name", "%q is the header browsers fill with cookies: to read tokens from cookies, add \"cookies\" to %s", "AUTHJWT_HEADER_NAME", []string{"AUTHJWT_TOKEN_LOCATION"}},
		{"unknown location", []string{secret, "AUTHJWT_TOKEN_LOCATION=body"}, nil,
			"TokenLocation", "unknown location %q (use \"headers\" and/or \"cookies\")", "AUTHJWT_TOKEN_LOCATION", nil},
		{"unknown token type checked", []string{secret, "AUTHJWT_DENYLIST_TOKEN_CHECKS=id"}, nil,
			"Revocation.Checks", "unknown token type %q (use \"access\" and/or \"refresh\")", "AUTHJWT_DENYLIST_TOKEN_CHECKS", nil},
		{"denylist without a store", []string{secret, "AUTHJWT_DENYLIST_ENABLED=true"}, nil,
			"Revocation.Store", "%s needs a revocation store (revoke.NewMemory(), a store module, or revoke.Func)", "", []string{"AUTHJWT_DENYLIST_ENABLED"}},
		{"rotation without a denylist", []string{secret, "AUTHJWT_REFRESH_TOKEN_ROTATION=true"}, nil,
			"Revocation.Rotation", "needs %s and a Revocation.Store", "AUTHJWT_REFRESH_TOKEN_ROTATION", []string{"AUTHJWT_DENYLIST_ENABLED"}},
		{"rotation with a store that cannot consume", []string{secret, "AUTHJWT_DENYLIST_ENABLED=true", "AUTHJWT_REFRESH_TOKEN_ROTATION=true"}, func(c *Config) { c.Revocation.Store = nonConsumer },
			"Revocation.Rotation", "the configured Revocation.Store (%T) cannot consume tokens atomically (revoke.Consumer)", "AUTHJWT_REFRESH_TOKEN_ROTATION", nil},
		{"explicit denylist off beside a store", []string{secret, "AUTHJWT_DENYLIST_ENABLED=false"}, func(c *Config) { c.Revocation.Store = nonConsumer },
			"Revocation.Enabled", "is false, but a Revocation.Store (%T) is configured: it would record revocations that verification never checks; unset the variable (a Revocation.Store turns the denylist on) or remove the Revocation.Store", "AUTHJWT_DENYLIST_ENABLED", []string{"Revocation.Store"}},
		{"rotation with refresh tokens unchecked", []string{secret, "AUTHJWT_REFRESH_TOKEN_ROTATION=true", "AUTHJWT_DENYLIST_TOKEN_CHECKS=access"}, func(c *Config) { c.Revocation.Store = revoke.NewMemory() },
			"Revocation.Rotation", "needs refresh tokens checked against the store (%s is %q): reuse detection revokes the family", "AUTHJWT_REFRESH_TOKEN_ROTATION", []string{"AUTHJWT_DENYLIST_TOKEN_CHECKS"}},
		{"negative replica staleness", []string{secret}, func(c *Config) { c.Revocation.MaxStaleness = -time.Second },
			"Revocation.MaxStaleness", "negative duration %v", "AUTHJWT_REVOCATION_MAX_STALENESS", nil},
		{"replica bound too small", []string{secret, "AUTHJWT_REVOCATION_MAX_STALENESS=1ms"}, func(c *Config) { c.Revocation.Store = newLogStore(time.Now) },
			"Revocation.MaxStaleness", "%v is below %v: a replica could not keep proving its freshness", "AUTHJWT_REVOCATION_MAX_STALENESS", nil},
		{"replica without a store", []string{secret, "AUTHJWT_REVOCATION_MAX_STALENESS=1s"}, nil,
			"Revocation.MaxStaleness", "needs a Revocation.Store with a change feed (redisstore, sqlstore)", "AUTHJWT_REVOCATION_MAX_STALENESS", nil},
		{"replica of a callback store", []string{secret, "AUTHJWT_REVOCATION_MAX_STALENESS=1s"}, func(c *Config) { c.Revocation.Store = nonConsumer },
			"Revocation.MaxStaleness", "a callback store (revoke.Func) has no change feed to replicate; leave this setting unset", "AUTHJWT_REVOCATION_MAX_STALENESS", nil},
		{"replica of a store without a feed", []string{secret, "AUTHJWT_REVOCATION_MAX_STALENESS=1s"}, func(c *Config) { c.Revocation.Store = noFeed{revoke.NewMemory()} },
			"Revocation.MaxStaleness", "the configured Revocation.Store (%T) has no change feed (revoke.Feed) to replicate", "AUTHJWT_REVOCATION_MAX_STALENESS", nil},
		{"replica failing open", []string{secret, "AUTHJWT_REVOCATION_MAX_STALENESS=1s", "AUTHJWT_UNSAFE_REVOCATION_FAIL_OPEN=true"}, func(c *Config) { c.Revocation.Store = newLogStore(time.Now) },
			"Revocation.MaxStaleness", "cannot be combined with %s: a stale replica fails closed, never open", "AUTHJWT_REVOCATION_MAX_STALENESS", []string{"AUTHJWT_UNSAFE_REVOCATION_FAIL_OPEN"}},
		{"replica whose snapshot fails", []string{secret, "AUTHJWT_REVOCATION_MAX_STALENESS=1s"}, func(c *Config) { st := newLogStore(time.Now); st.setCut(true); c.Revocation.Store = st },
			"Revocation.MaxStaleness", "cannot load the revocation replica's snapshot from the store: %v", "AUTHJWT_REVOCATION_MAX_STALENESS", nil},
		{"unknown SameSite", []string{secret, "AUTHJWT_COOKIE_SAMESITE=loose"}, nil,
			"Cookies.SameSite", "%q is not one of lax, strict, none (AUTHJWT_COOKIE_SAMESITE)", "AUTHJWT_COOKIE_SAMESITE", nil},
		{"unknown CSRF method", []string{secret, "AUTHJWT_CSRF_METHODS=FETCH"}, nil,
			"Cookies.CSRFMethods", "%q is not an HTTP method (AUTHJWT_CSRF_METHODS)", "AUTHJWT_CSRF_METHODS", nil},
		{"negative cookie max age", []string{secret}, func(c *Config) { c.Cookies.MaxAge = -time.Second },
			"Cookies.MaxAge", "negative duration %v", "AUTHJWT_COOKIE_MAX_AGE", nil},
		{"bare token and a scheme", []string{secret, "AUTHJWT_HEADER_TYPE="}, func(c *Config) { c.Header.Type = "Token" },
			"Header.Type", "set Header.Type or Header.BareToken, not both", "AUTHJWT_HEADER_TYPE", nil},
		{"scheme with a space", []string{secret, "AUTHJWT_HEADER_TYPE=Be arer"}, nil,
			"Header.Type", "%q contains whitespace", "AUTHJWT_HEADER_TYPE", nil},
		{"bad cookie domain", with(cookies, "AUTHJWT_COOKIE_DOMAIN=bad domain"), nil,
			"Cookies.Domain", "%q is not a valid cookie domain (AUTHJWT_COOKIE_DOMAIN)", "AUTHJWT_COOKIE_DOMAIN", nil},
		{"bad cookie name", with(cookies, "AUTHJWT_ACCESS_COOKIE_KEY=a b"), nil,
			"Cookies.Access.Name", "%q is not a valid cookie name", "AUTHJWT_ACCESS_COOKIE_KEY", nil},
		{"cookie name used twice", with(cookies, "AUTHJWT_REFRESH_COOKIE_KEY=__Host-access_token"), nil,
			"Cookies.Refresh.Name", "%q is also the %s: each auth cookie needs its own name", "AUTHJWT_REFRESH_COOKIE_KEY", []string{"AUTHJWT_ACCESS_COOKIE_KEY"}},
		{"relative cookie path", with(cookies, "AUTHJWT_REFRESH_CSRF_COOKIE_PATH=api"), nil,
			"Cookies.Refresh.CSRFPath", "%q must start with \"/\"", "AUTHJWT_REFRESH_CSRF_COOKIE_PATH", nil},
		{"bad cookie path", with(cookies, "AUTHJWT_ACCESS_COOKIE_PATH=/a;b"), nil,
			"Cookies.Access.Path", "%q is not a valid cookie path: %v", "AUTHJWT_ACCESS_COOKIE_PATH", nil},
		{"__Host- on plain HTTP", with(insecure, "AUTHJWT_ACCESS_COOKIE_KEY=__Host-a"), nil,
			"Cookies.Access.Name", "%q has the __Host- prefix, which browsers only accept on Secure cookies: remove Cookies.Insecure (AUTHJWT_COOKIE_SECURE=false) or rename the cookie", "AUTHJWT_ACCESS_COOKIE_KEY", nil},
		{"__Host- with a path", with(cookies, "AUTHJWT_ACCESS_COOKIE_KEY=__Host-a", "AUTHJWT_ACCESS_COOKIE_PATH=/api"), nil,
			"Cookies.Access.Name", "%q has the __Host- prefix, which requires Path \"/\": set %s to \"/\" (got %q) or rename the cookie", "AUTHJWT_ACCESS_COOKIE_KEY", []string{"AUTHJWT_ACCESS_COOKIE_PATH"}},
		{"__Host- with a domain", with(cookies, "AUTHJWT_ACCESS_CSRF_COOKIE_KEY=__Host-a", "AUTHJWT_COOKIE_DOMAIN=example.com"), nil,
			"Cookies.Access.CSRFName", "%q has the __Host- prefix, which forbids a Domain: unset Cookies.Domain (AUTHJWT_COOKIE_DOMAIN) or rename the cookie", "AUTHJWT_ACCESS_CSRF_COOKIE_KEY", nil},
		{"__Secure- on plain HTTP", with(insecure, "AUTHJWT_REFRESH_COOKIE_KEY=__Secure-r"), nil,
			"Cookies.Refresh.Name", "%q has the __Secure- prefix, which browsers only accept on Secure cookies: remove Cookies.Insecure (AUTHJWT_COOKIE_SECURE=false) or rename the cookie", "AUTHJWT_REFRESH_COOKIE_KEY", nil},
		{"SameSite=None on plain HTTP", with(insecure, "AUTHJWT_COOKIE_SAMESITE=none"), nil,
			"Cookies.SameSite", "\"none\" requires Secure cookies: remove Cookies.Insecure (AUTHJWT_COOKIE_SECURE=false) or use lax/strict (AUTHJWT_COOKIE_SAMESITE)", "AUTHJWT_COOKIE_SAMESITE", nil},
		// Trusted issuers are set in code (the reference server reads its
		// own AUTHJWT_TRUSTED_* variables and names them itself): their
		// fields have no library variable, so the error names the field.
		{"trusted issuer without iss", []string{secret}, func(c *Config) { c.TrustedIssuers = []TrustedIssuer{{}} },
			"TrustedIssuers[0].Issuer", "required", "", nil},
		{"trusted issuer twice", []string{secret}, func(c *Config) {
			c.TrustedIssuers = []TrustedIssuer{{Issuer: "https://i", Audience: []string{"a"}, Keys: noKeys{}}, {Issuer: "https://i"}}
		}, "TrustedIssuers[1].Issuer", "%q is configured twice", "", nil},
		{"trusted issuer is our own", []string{secret, "AUTHJWT_ENCODE_ISSUER=https://us"}, func(c *Config) { c.TrustedIssuers = []TrustedIssuer{{Issuer: "https://us"}} },
			"TrustedIssuers[0].Issuer", "%q is our own issuer; a trusted issuer must be another party", "", nil},
		{"trusted issuer without audience", []string{secret}, func(c *Config) { c.TrustedIssuers = []TrustedIssuer{{Issuer: "https://i"}} },
			"TrustedIssuers[0].Audience", "required for %q (AUTHJWT_TRUSTED_AUDIENCE), unless Resource.Identifier (AUTHJWT_RESOURCE) is set: without it, tokens the provider minted for any other service would be accepted", "", nil},
		{"resource not a URL", []string{secret, "AUTHJWT_RESOURCE=https://x.example/%zz"}, nil,
			"Resource.Identifier", "%q is not a URL: %v", "AUTHJWT_RESOURCE", nil},
		{"resource over http", []string{secret, "AUTHJWT_RESOURCE=http://x.example"}, nil,
			"Resource.Identifier", "%q is not an https URL (RFC 9728 §1.2: a resource identifier uses the https scheme)", "AUTHJWT_RESOURCE", nil},
		{"resource without host", []string{secret, "AUTHJWT_RESOURCE=https:///x"}, nil,
			"Resource.Identifier", "%q has no host", "AUTHJWT_RESOURCE", nil},
		{"resource with user information", []string{secret, "AUTHJWT_RESOURCE=https://u@x.example"}, nil,
			"Resource.Identifier", "%q has user information", "AUTHJWT_RESOURCE", nil},
		{"resource with a fragment", []string{secret, "AUTHJWT_RESOURCE=https://x.example/#f"}, nil,
			"Resource.Identifier", "%q has a fragment (RFC 9728 §1.2: a resource identifier has none)", "AUTHJWT_RESOURCE", nil},
		{"resource with a query", []string{secret, "AUTHJWT_RESOURCE=https://x.example/?q"}, nil,
			"Resource.Identifier", "%q has a query (RFC 8707 §2: a resource indicator should have none, and the metadata is located by its path)", "AUTHJWT_RESOURCE", nil},
		{"resource scope with a space", []string{secret, `AUTHJWT_RESOURCE_SCOPES=["a b"]`}, nil,
			"Resource.Scopes", "%q is not a scope (RFC 6749 §3.3: no spaces, quotes or backslashes)", "AUTHJWT_RESOURCE_SCOPES", nil},
		{"trusted issuer with HMAC", []string{secret}, func(c *Config) {
			c.TrustedIssuers = []TrustedIssuer{{Issuer: "https://i", Audience: []string{"a"}, Algorithms: []string{"HS256"}}}
		}, "TrustedIssuers[0].Algorithms", "%q is not an asymmetric JWS algorithm", "", nil},
		{"ML-DSA without crypto/mldsa, or with a classical key", []string{"AUTHJWT_ALGORITHM=ML-DSA-44", "AUTHJWT_PRIVATE_KEY=" + priv}, nil,
			"Keys.Algorithm", map[bool]string{false: "%v", true: "%s does not fit the configured key: %v"}[keys.PostQuantumAvailable()], "AUTHJWT_ALGORITHM", nil},
		{"tokens too large for a cookie", with(cookies, "AUTHJWT_ENCODE_ISSUER=https://"+strings.Repeat("i", 4000)+".example"), nil,
			"Keys.Algorithm", "%s tokens do not fit a browser cookie: the %s cookie %q would take at least %d bytes for its name and value (the library's claims alone, with an empty subject), over the %d bytes browsers keep, so browsers would drop it silently; choose an algorithm with shorter signatures (ML-DSA-44 rather than ML-DSA-65 or ML-DSA-87), shorten the issuer or the cookie names, or carry these tokens in headers (%s)", "AUTHJWT_ALGORITHM", []string{"AUTHJWT_TOKEN_LOCATION"}},
		{"trusted issuer with a bad JWKS URL", []string{secret}, func(c *Config) {
			c.TrustedIssuers = []TrustedIssuer{{Issuer: "https://i", Audience: []string{"a"}, JWKSURL: "http://plain.example/jwks"}}
		}, "TrustedIssuers[0]", "%v", "", nil},
	}

	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(tt.env)
			if err != nil {
				t.Fatalf("ConfigFromEnv: %v", err)
			}
			if tt.code != nil {
				tt.code(&cfg)
			}
			_, err = New(cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("New: %v (%T), want a *ConfigError", err, err)
			}
			if ce.Field != tt.field || ce.format != tt.format {
				t.Fatalf("New: %v\nreached %s with %q, want %s with %q", err, ce.Field, ce.format, tt.field, tt.format)
			}
			covered[tt.field+"|"+tt.format] = true
			covered["|"+tt.format] = true
			name := tt.field
			if tt.wantVar != "" {
				name = tt.wantVar
			}
			if ce.Var != tt.wantVar || !strings.HasPrefix(err.Error(), "authjwt: "+name+": ") {
				t.Errorf("from the environment: %v (Var %q), want it to start with %q", err, ce.Var, "authjwt: "+name+": ")
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("from the environment: %v, want it to name %s", err, m)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line: %q", err)
			}
			// Hints written for Config users read as variables here: the
			// error's own variable is not repeated, and no Go field is
			// named beside its variable.
			if own := fieldVars[tt.field]; own != "" && strings.Contains(ce.Message(), "("+own+")") {
				t.Errorf("from the environment: %v repeats %s", err, own)
			}
			for f, v := range fieldVars {
				if strings.Contains(ce.Message(), f+" ("+v) {
					t.Errorf("from the environment: %v names the field %s beside %s", err, f, v)
				}
			}

			// The same configuration built in code names the field. An
			// explicit false exists only in the environment: in code, a
			// Store turns the denylist on.
			if tt.field == "Revocation.Enabled" {
				return
			}
			_, err = New(WithoutOrigin(cfg))
			if !errors.As(err, &ce) || ce.Var != "" || !strings.HasPrefix(err.Error(), "authjwt: "+tt.field+": ") {
				t.Errorf("from code: %v, want it to start with %q", err, "authjwt: "+tt.field+": ")
			}
		})
	}
	for site, pos := range settingErrorSites(t) {
		if !covered[site] {
			t.Errorf("%s: settingError(%s) has no row in this test", pos, strings.Replace(site, "|", ", ", 1))
		}
	}
}

// noKeys is a trusted issuer's key source without keys.
type noKeys struct{}

func (noKeys) Lookup(context.Context, string) (keys.Key, error) {
	return keys.Key{}, errors.New("no keys")
}
func (noKeys) Keys() []keys.Key { return nil }
