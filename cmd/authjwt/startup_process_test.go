package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runServeExit runs `authjwt serve` with env and returns its exit status
// and stderr; the process must exit on its own within 20s (a bad setting
// stops it before it listens).
func runServeExit(t *testing.T, env ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, serverBinary(t), "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("authjwt serve did not exit within 20s (it listens?)\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatal(err)
	return 0, "", ""
}

// publicPEMOf returns the SPKI PEM of a PKCS#8 private key PEM.
func publicPEMOf(t *testing.T, privPEM string) string {
	t.Helper()
	b, _ := pem.Decode([]byte(privPEM))
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(k.(crypto.Signer).Public())
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// TestServeRefusesBadSettings: settings the server used to accept, then
// fail on (a 500 at /login) or run insecurely with, stop it before it
// listens with exit status 2 and one line naming the AUTHJWT_* variable
// the operator set.
func TestServeRefusesBadSettings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // beyond the umask
			t.Fatal(err)
		}
		return p
	}
	priv := keyPEM(t, "ES256")
	pub := publicPEMOf(t, priv)
	pubFile := write("public.pem", pub, 0o644)
	openPriv := write("open-private.pem", priv, 0o666)
	openSecret := write("open-secret", testSecret, 0o646)
	openPub := write("open-public.pem", pub, 0o662)
	spaces := write("spaces", strings.Repeat(" ", 32), 0o600)

	for _, c := range []struct {
		name string
		env  []string
		want string // the line on stderr
	}{
		{"public key only, from a file", []string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PUBLIC_KEY_FILE=" + pubFile},
			"authjwt: configuration error: AUTHJWT_PRIVATE_KEY_FILE: required: only a public key is set (AUTHJWT_PUBLIC_KEY_FILE), but the server signs ES256 tokens at /login and /fresh-login"},
		{"public key only, as text", []string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PUBLIC_KEY=" + pub},
			"authjwt: configuration error: AUTHJWT_PRIVATE_KEY: required: only a public key is set (AUTHJWT_PUBLIC_KEY)"},
		{"world-writable private key", []string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PRIVATE_KEY_FILE=" + openPriv},
			"authjwt: configuration error: AUTHJWT_PRIVATE_KEY_FILE: " + openPriv + " is world-writable (mode 0666)"},
		{"world-writable secret", []string{"AUTHJWT_SECRET_KEY_FILE=" + openSecret},
			"authjwt: configuration error: AUTHJWT_SECRET_KEY_FILE: " + openSecret + " is world-writable (mode 0646)"},
		{"world-writable public key", []string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PRIVATE_KEY=" + priv, "AUTHJWT_PUBLIC_KEY_FILE=" + openPub},
			"authjwt: configuration error: AUTHJWT_PUBLIC_KEY_FILE: " + openPub + " is world-writable (mode 0662)"},
		{"resource over plain HTTP", []string{"AUTHJWT_RESOURCE=http://api.example.com"},
			`authjwt: configuration error: AUTHJWT_RESOURCE: "http://api.example.com" is not an https URL`},
		{"resource with a fragment", []string{"AUTHJWT_RESOURCE=https://api.example.com/v1#x"},
			`authjwt: configuration error: AUTHJWT_RESOURCE: "https://api.example.com/v1#x" has a fragment`},
		{"header name with a space", []string{"AUTHJWT_HEADER_NAME=X Auth"},
			`authjwt: configuration error: AUTHJWT_HEADER_NAME: "X Auth" is not a header name a client can send`},
		{"Cookie as the header", []string{"AUTHJWT_HEADER_NAME=Cookie"},
			`authjwt: configuration error: AUTHJWT_HEADER_NAME: "Cookie" is the header browsers fill with cookies: to read tokens from cookies, add "cookies" to AUTHJWT_TOKEN_LOCATION`},
		{"swapped types", []string{"AUTHJWT_ACCESS_TOKEN_TYPE=refresh", "AUTHJWT_REFRESH_TOKEN_TYPE=access"},
			`authjwt: configuration error: AUTHJWT_ACCESS_TOKEN_TYPE: "refresh" is the refresh tokens' type value`},
		{"equal types", []string{"AUTHJWT_ACCESS_TOKEN_TYPE=t", "AUTHJWT_REFRESH_TOKEN_TYPE=t"},
			`authjwt: configuration error: AUTHJWT_REFRESH_TOKEN_TYPE: must differ from AUTHJWT_ACCESS_TOKEN_TYPE (both "t")`},
		{"leeway of centuries", []string{"AUTHJWT_DECODE_LEEWAY=876000h"},
			"authjwt: configuration error: AUTHJWT_DECODE_LEEWAY: 876000h0m0s is more than the maximum 10m0s"},
		{"the README's placeholder", []string{"AUTHJWT_SECRET_KEY=change-me-to-32-random-bytes-at-least!"},
			"authjwt: configuration error: AUTHJWT_SECRET_KEY: is the example secret of the documentation"},
		{"a secret of spaces", []string{"AUTHJWT_SECRET_KEY_FILE=" + spaces},
			"authjwt: configuration error: AUTHJWT_SECRET_KEY_FILE: has only 1 distinct bytes"},
		{"one repeated character", []string{"AUTHJWT_SECRET_KEY=" + strings.Repeat("a", 48)},
			"authjwt: configuration error: AUTHJWT_SECRET_KEY: has only 1 distinct bytes"},
		{"trusted issuer with an HMAC algorithm", []string{"AUTHJWT_TRUSTED_ISSUER=https://idp.example", "AUTHJWT_TRUSTED_AUDIENCE=api", "AUTHJWT_TRUSTED_ALGORITHMS=HS256"},
			`authjwt: configuration error: AUTHJWT_TRUSTED_ALGORITHMS: "HS256" is not an asymmetric JWS algorithm`},
		{"trusted issuer is our own", []string{"AUTHJWT_TRUSTED_ISSUER=https://idp.example", "AUTHJWT_TRUSTED_AUDIENCE=api", "AUTHJWT_ENCODE_ISSUER=https://idp.example"},
			`authjwt: configuration error: AUTHJWT_TRUSTED_ISSUER: "https://idp.example" is our own issuer`},
		{"trusted JWKS over plain HTTP", []string{"AUTHJWT_TRUSTED_ISSUER=https://idp.example", "AUTHJWT_TRUSTED_AUDIENCE=api", "AUTHJWT_TRUSTED_JWKS_URL=http://idp.example/jwks"},
			`authjwt: configuration error: AUTHJWT_TRUSTED_JWKS_URL: URL "http://idp.example/jwks" must be absolute https`},
		{"unknown DPoP mode", []string{"AUTHJWT_DPOP=sometimes"},
			`authjwt: configuration error: AUTHJWT_DPOP: unknown mode "sometimes" (use off, allowed or required)`},
		{"DPoP nonces with DPoP off", []string{"AUTHJWT_DPOP=off", "AUTHJWT_DPOP_NONCE=true"},
			`authjwt: configuration error: AUTHJWT_DPOP_NONCE: set, but AUTHJWT_DPOP is off`},
		{"type claim named exp", []string{"AUTHJWT_TOKEN_TYPE_CLAIM_NAME=exp"},
			`authjwt: configuration error: AUTHJWT_TOKEN_TYPE_CLAIM_NAME: "exp" collides with a registered claim`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runServeExit(t, c.env...)
			if code != exitUsage || !strings.HasPrefix(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 2 and one line starting %q", code, stderr, c.want)
			}
			if strings.Contains(stdout, "listening") {
				t.Fatalf("it listened: %s", stdout)
			}
		})
	}
}
