package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/librenz/authjwt"
)

func runToken(e *env, args []string) int {
	flags := newFlagSet(e, "token", "--sub SUB [--type access|refresh] [--fresh] [--claims JSON] [--exp DUR]",
		`Mints a token with the keys configured by AUTHJWT_* variables (the same ones
serve reads; a secret or private key must be set) and prints it.`)
	sub := flags.String("sub", "", "the token's subject (required)")
	typ := flags.String("type", "access", "token type: access or refresh")
	fresh := flags.Bool("fresh", false, "mark the access token fresh")
	claims := flags.String("claims", "", `custom claims as a JSON object, e.g. '{"partner":"acme","roles":["admin"]}'`)
	exp := flags.String("exp", "", "lifetime instead of the configured one: a Go duration (15m, 2h) or never")
	if st, done := parseFlags(flags, e, args); done {
		return st
	}
	if flags.NArg() > 0 {
		return usageError(e, "token", "unexpected argument %q", flags.Arg(0))
	}
	if *sub == "" {
		return usageError(e, "token", "--sub is required")
	}
	var opts []authjwt.TokenOption
	switch *typ {
	case "access":
		opts = append(opts, authjwt.WithFresh(*fresh))
	case "refresh":
		if *fresh {
			return usageError(e, "token", "--fresh applies to access tokens only")
		}
	default:
		return usageError(e, "token", "--type must be access or refresh, not %q", *typ)
	}
	if *claims != "" {
		m, err := parseClaims(*claims)
		if err != nil {
			return usageError(e, "token", "--claims: %v", err)
		}
		opts = append(opts, authjwt.WithClaims(m))
	}
	switch {
	case *exp == "":
	case strings.EqualFold(*exp, "never"):
		opts = append(opts, authjwt.WithNoExpiry())
	default:
		d, err := time.ParseDuration(*exp)
		if err != nil || d <= 0 {
			return usageError(e, "token", "--exp: %q is not a positive duration (15m, 2h) or never", *exp)
		}
		opts = append(opts, authjwt.WithExpiry(d))
	}
	a, code := authFromEnv(e)
	if a == nil {
		return code
	}
	var tok string
	var err error
	if *typ == "refresh" {
		tok, err = a.CreateRefreshToken(*sub, opts...)
	} else {
		tok, err = a.CreateAccessToken(*sub, opts...)
	}
	if err != nil {
		// Options the configuration refuses (a reserved claim, a lifetime
		// it does not allow) are usage errors.
		return usageError(e, "token", "%s", trimPrefix(err.Error()))
	}
	fmt.Fprintln(e.stdout, tok)
	return exitOK
}

// parseClaims decodes a JSON object of claims, numbers kept exact.
func parseClaims(s string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object: null")
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON object")
	}
	return m, nil
}

// authFromEnv builds the Auth configured by the environment; on error it
// prints it and returns nil with exit status 2.
func authFromEnv(e *env) (*authjwt.Auth, int) {
	a, _, code := authAndStoreFromEnv(e)
	return a, code
}

// authAndStoreFromEnv is authFromEnv also returning the revocation store's
// URL as displayed ("" when the denylist is off).
func authAndStoreFromEnv(e *env) (*authjwt.Auth, string, int) {
	st, err := loadSettings(e.environ, loadOptions{})
	if err != nil {
		return nil, "", configError(e, err)
	}
	st.Auth.Logger = discardLogger()
	a, err := authjwt.New(st.Auth)
	if err != nil {
		return nil, "", configError(e, nameCommandVars(err, e.environ))
	}
	return a, st.StoreURL, exitOK
}

// prettyJSON indents raw JSON, keeping member order and numbers as they
// are.
func prettyJSON(raw []byte) (string, error) {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return "", err
	}
	return b.String(), nil
}
