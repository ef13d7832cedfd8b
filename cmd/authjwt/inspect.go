package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/librenz/authjwt"
)

// maxTokenInput bounds a token read from standard input.
const maxTokenInput = 1 << 20

// readToken returns the token argument, or standard input for "-". A
// "Bearer " prefix and surrounding white space are dropped.
func readToken(e *env, cmd string, args []string) (string, int) {
	switch len(args) {
	case 0:
		return "", usageError(e, cmd, "no token given (pass it, or - to read it from standard input)")
	case 1:
	default:
		return "", usageError(e, cmd, "one token at a time (got %d arguments)", len(args))
	}
	tok := args[0]
	if tok == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, maxTokenInput+1))
		if err != nil {
			return "", usageError(e, cmd, "reading standard input: %v", err)
		}
		if len(b) > maxTokenInput {
			return "", usageError(e, cmd, "standard input is larger than %d bytes", maxTokenInput)
		}
		tok = string(b)
	}
	tok = strings.TrimSpace(tok)
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	if tok == "" {
		return "", usageError(e, cmd, "empty token")
	}
	return tok, exitOK
}

func runDecode(e *env, args []string) int {
	flags := newFlagSet(e, "decode", "TOKEN|-",
		`Prints a token's JOSE header and claims, and its exp, iat and nbf in local
time, WITHOUT verifying anything: the content may be forged. Use verify to
check a token. With -, the token is read from standard input (keeping it out of
shell history).`)
	if st, done := parseFlags(flags, e, args); done {
		return st
	}
	tok, code := readToken(e, "decode", flags.Args())
	if code != exitOK {
		return code
	}
	header, payload, err := splitUnverified(tok)
	if err != nil {
		fmt.Fprintf(e.stderr, "authjwt decode: malformed token: %v\n", err)
		return exitFailed
	}
	var w strings.Builder
	fmt.Fprintln(&w, "NOT VERIFIED: the signature and claims below were not checked.")
	fmt.Fprintln(&w)
	fmt.Fprintln(&w, "Header:")
	fmt.Fprintln(&w, header)
	fmt.Fprintln(&w)
	fmt.Fprintln(&w, "Claims:")
	fmt.Fprintln(&w, payload)
	printTimes(&w, []byte(payload), time.Now())
	io.WriteString(e.stdout, terminalSafe(w.String()))
	return exitOK
}

// terminalSafe escapes everything in s a terminal would not show as
// itself, so that a hostile token cannot rewrite the output around it
// (erase the NOT VERIFIED banner, print a fake verdict, reorder text):
// C0 and C1 controls (ESC, CR, backspace, CSI), DEL, format characters
// (the bidi overrides U+202A-U+202E and U+2066-U+2069, zero-width
// characters, U+FEFF), line and paragraph separators, non-ASCII spaces,
// and bytes that are not UTF-8. Each becomes \uXXXX (U+FFFD for a bad
// byte), the JSON escape, so claims stay readable as JSON; the newlines
// of the layout are kept. JSON text never holds such characters
// unescaped outside strings, and json.Indent copies strings as they are.
func terminalSafe(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !printable(r, n) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s // the common case: nothing to escape
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if printable(r, n) {
			b.WriteRune(r)
			continue
		}
		if r == utf8.RuneError {
			r = unicode.ReplacementChar
		}
		if r > 0xffff {
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&b, "\\u%04x\\u%04x", hi, lo)
		} else {
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

// printable reports whether the rune r, n bytes long, shows as itself.
func printable(r rune, n int) bool {
	if r == '\n' {
		return true
	}
	if r == utf8.RuneError && n <= 1 {
		return false
	}
	return unicode.IsPrint(r)
}

// splitUnverified decodes the header and payload of a compact JWS,
// checking only that they are base64url JSON objects; they are returned
// indented, in their original member order.
func splitUnverified(tok string) (header, payload string, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		if len(parts) == 5 {
			return "", "", errors.New("5 segments: an encrypted token (JWE), which this command cannot read")
		}
		return "", "", fmt.Errorf("%d segments, want 3 (header.payload.signature)", len(parts))
	}
	names := []string{"header", "payload"}
	var out [2]string
	for i, seg := range parts[:2] {
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
		if err != nil {
			return "", "", fmt.Errorf("%s is not base64url: %v", names[i], err)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return "", "", fmt.Errorf("%s is not a JSON object", names[i])
		}
		if out[i], err = prettyJSON(raw); err != nil {
			return "", "", fmt.Errorf("%s: %v", names[i], err)
		}
	}
	return out[0], out[1], nil
}

// printTimes prints the exp, iat and nbf claims of payload in local time,
// relative to now.
func printTimes(w io.Writer, payload []byte, now time.Time) {
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return
	}
	first := true
	for _, name := range []string{"iat", "nbf", "exp"} {
		v, ok := m[name]
		if !ok {
			continue
		}
		if first {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "Times (local):")
			first = false
		}
		n, isNum := v.(json.Number)
		f, err := n.Float64()
		if !isNum || err != nil || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
			fmt.Fprintf(w, "  %s  %v (not a NumericDate)\n", name, v)
			continue
		}
		t := time.Unix(int64(f), 0)
		fmt.Fprintf(w, "  %s  %s  (%s)\n", name, t.Local().Format("2006-01-02 15:04:05 MST"), relative(name, t, now))
	}
}

// relative describes t against now: "in 14m0s", "3m0s ago", "expired 3m0s ago".
func relative(name string, t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	switch {
	case d > 0:
		return "in " + d.String()
	case name == "exp":
		return "expired " + (-d).String() + " ago"
	default:
		return (-d).String() + " ago"
	}
}

func runVerify(e *env, args []string) int {
	flags := newFlagSet(e, "verify", "[--type access|refresh|any] TOKEN|-",
		`Verifies a token with the keys and rules configured by AUTHJWT_* variables
(algorithm allow-list, signature, exp/nbf with leeway, issuer, audience, type,
revocation): prints the claims and exits 0 when it is valid, prints the reason
and exits 1 when it is not. With -, the token is read from standard input.

Revocation is checked only against the store AUTHJWT_DENYLIST_URL names (the
server's); without it the command's own store is empty memory, so nothing is
revoked there, and the output says "Revocation: NOT checked".`)
	typ := flags.String("type", "any", "token type to require: access, refresh or any")
	if st, done := parseFlags(flags, e, args); done {
		return st
	}
	switch *typ {
	case "access", "refresh", "any":
	default:
		return usageError(e, "verify", "--type must be access, refresh or any, not %q", *typ)
	}
	tok, code := readToken(e, "verify", flags.Args())
	if code != exitOK {
		return code
	}
	a, storeURL, code := authAndStoreFromEnv(e)
	if a == nil {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t, err := a.Verify(ctx, tok, authjwt.Requirement{Refresh: *typ == "refresh"})
	if *typ == "any" && errors.Is(err, authjwt.ErrAccessRequired) {
		t, err = a.Verify(ctx, tok, authjwt.Requirement{Refresh: true})
	}
	if err != nil {
		ae := authjwt.AsError(err)
		fmt.Fprintf(e.stderr, "INVALID: %s (%s)\n", ae.Message, ae.Code)
		return exitFailed
	}
	kind := "access"
	if t.IsRefresh() {
		kind = "refresh"
	}
	var w strings.Builder
	fmt.Fprintf(&w, "VALID %s token (%s", kind, t.Algorithm())
	if t.KeyID() != "" {
		fmt.Fprintf(&w, ", kid %s", t.KeyID())
	}
	fmt.Fprintln(&w, ")")
	fmt.Fprintln(&w, revocationChecked(a.Config(), kind, storeURL))
	fmt.Fprintln(&w)
	fmt.Fprintln(&w, "Claims:")
	p, err := prettyJSON(t.PayloadJSON())
	if err != nil {
		p = string(t.PayloadJSON())
	}
	fmt.Fprintln(&w, p)
	printTimes(&w, t.PayloadJSON(), time.Now())
	io.WriteString(e.stdout, terminalSafe(w.String()))
	return exitOK
}

// revocationChecked says whether verify's "VALID" covers revocation: only
// a store shared with the server can say a token was revoked; the
// default memory:// store is this process's own, and empty.
func revocationChecked(cfg authjwt.Config, kind, storeURL string) string {
	switch {
	case !cfg.Revocation.Enabled:
		return "Revocation: NOT checked (AUTHJWT_DENYLIST_ENABLED=false)"
	case !slices.Contains(cfg.Revocation.Checks, kind):
		return "Revocation: NOT checked for " + kind + " tokens (AUTHJWT_DENYLIST_TOKEN_CHECKS)"
	case strings.HasPrefix(storeURL, "memory:"):
		return "Revocation: NOT checked: no AUTHJWT_DENYLIST_URL, so the store is this command's own, empty memory; set it to the server's store"
	}
	return "Revocation: checked against " + storeURL
}

// discardLogger drops the library's log output (the command reports
// errors itself).
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
