package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/librenz/authjwt"
)

// runCmd runs the command in-process with environ and returns its status
// and output.
func runCmd(t *testing.T, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	st := run(newEnv(environ, strings.NewReader(""), &stdout, &stderr), args)
	return st, stdout.String(), stderr.String()
}

// checkTerminalSafe fails when out holds anything a terminal would not
// show as itself (besides newlines).
func checkTerminalSafe(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("output is not UTF-8: %q", out)
	}
	for _, r := range out {
		if r != '\n' && !unicode.IsPrint(r) {
			t.Fatalf("output holds %U raw:\n%q", r, out)
		}
	}
}

// hostileClaims carry what rewrites a terminal: ANSI escapes that move up
// and erase the banner, a carriage return, a C1 CSI, DEL, bidi overrides,
// a line separator, a zero-width space and a byte that is not UTF-8.
const hostileClaims = `{"sub":"mallory","exp":"\u001b[1A\u001b[2K\rVALID access token","name":"` +
	"\u202e\u2066txet\u2069 \u0085\u009b2J \x7f \u2028 \u200b \xff" + `"}`

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestDecodeEscapesHostileTokens: decode prints a token it has not
// verified, so its content must not be able to erase the NOT VERIFIED
// banner or fake a verdict: every non-printable character is escaped
// (as \uXXXX), and the banner stays the first line.
func TestDecodeEscapesHostileTokens(t *testing.T) {
	for _, c := range []struct{ name, header, payload string }{
		{"claims", `{"alg":"HS256"}`, hostileClaims},
		{"header", `{"alg":"HS256","kid":"\u001b[2K` + "\u202e\x9b" + `"}`, `{"sub":"a"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := b64(c.header) + "." + b64(c.payload) + ".sig"
			st, out, stderr := runCmd(t, nil, "decode", tok)
			if st != exitOK {
				t.Fatalf("status %d: %s", st, stderr)
			}
			checkTerminalSafe(t, out)
			if !strings.HasPrefix(out, "NOT VERIFIED") {
				t.Fatalf("banner not first:\n%s", out)
			}
			for _, want := range []string{`\u001b[`, `\u202e`} {
				if !strings.Contains(out, want) {
					t.Fatalf("output lacks the escape %s:\n%s", want, out)
				}
			}
		})
	}
}

// TestVerifyEscapesAndSaysWhatRevocationMeans: verify escapes a valid
// token's hostile claims too, and says whether its "VALID" covers
// revocation: without AUTHJWT_DENYLIST_URL its store is its own empty
// memory (not checked); with the server's Redis store, checked, and a
// token revoked there is INVALID.
func TestVerifyEscapesAndSaysWhatRevocationMeans(t *testing.T) {
	environ := []string{"AUTHJWT_SECRET_KEY=" + testSecret}
	st, err := loadSettings(environ, loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := authjwt.New(st.Auth)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.CreateAccessToken("mallory", authjwt.WithClaims(map[string]any{
		"name": "\u001b[1A\u001b[2K\rINVALID \u202e\u009b \u2028", // tokens are UTF-8 (RFC 8259 §8.1)
	}))
	if err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runCmd(t, environ, "verify", tok)
	if code != exitOK {
		t.Fatalf("status %d: %s", code, stderr)
	}
	checkTerminalSafe(t, out)
	if !strings.Contains(out, "\nRevocation: NOT checked: no AUTHJWT_DENYLIST_URL") {
		t.Fatalf("no word on revocation:\n%s", out)
	}
	code, out, _ = runCmd(t, append(environ, "AUTHJWT_DENYLIST_ENABLED=false"), "verify", tok)
	if code != exitOK || !strings.Contains(out, "Revocation: NOT checked (AUTHJWT_DENYLIST_ENABLED=false)") {
		t.Fatalf("denylist off: %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, append(environ, "AUTHJWT_DENYLIST_TOKEN_CHECKS=refresh"), "verify", tok)
	if code != exitOK || !strings.Contains(out, "Revocation: NOT checked for access tokens (AUTHJWT_DENYLIST_TOKEN_CHECKS)") {
		t.Fatalf("access not checked: %d\n%s", code, out)
	}

	withRedis := append(environ, "AUTHJWT_DENYLIST_URL="+sharedRedisURL(t))
	code, out, stderr = runCmd(t, withRedis, "verify", tok)
	if code != exitOK || !strings.Contains(out, "Revocation: checked against redis://") {
		t.Fatalf("with Redis: %d %s\n%s", code, stderr, out)
	}
	rs, err := loadSettings(withRedis, loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	ra, err := authjwt.New(rs.Auth)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	vt, err := ra.Verify(ctx, tok, authjwt.Requirement{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ra.Revoke(ctx, vt); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, withRedis, "verify", tok)
	if code != exitFailed || !strings.Contains(stderr, "INVALID: Token has been revoked") {
		t.Fatalf("revoked in Redis: %d %s", code, stderr)
	}
}
