// Command authjwt runs the authjwt reference server and helps with keys and
// tokens.
//
// Usage:
//
//	authjwt serve   [--addr HOST:PORT] [--tls-cert FILE --tls-key FILE]
//	authjwt keygen  --alg ALG [--bits N] [--out DIR]
//	authjwt jwks    [--alg ALG] PUBKEY.pem...
//	authjwt token   --sub SUB [--type access|refresh] [--fresh] [--claims JSON] [--exp DUR]
//	authjwt decode  TOKEN|-
//	authjwt verify  [--type access|refresh|any] TOKEN|-
//
// Configuration comes from AUTHJWT_* environment variables (the same keys
// as the library's configuration reference). Exit status: 0 success, 1
// verification failed (or another runtime failure), 2 usage or
// configuration error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // verification failed, or a runtime failure
	exitUsage  = 2 // usage or configuration error
)

// env is what a subcommand may read from its surroundings; tests supply
// their own.
type env struct {
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	environ []string
	getenv  func(string) string
}

func newEnv(environ []string, stdin io.Reader, stdout, stderr io.Writer) *env {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, environ: environ}
	e.getenv = func(k string) string {
		v := ""
		for _, kv := range e.environ {
			if len(kv) > len(k) && kv[len(k)] == '=' && kv[:len(k)] == k {
				v = kv[len(k)+1:]
			}
		}
		return v
	}
	return e
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(e *env, args []string) int
}

func commands() []command {
	return []command{
		{"serve", "run the reference server", runServe},
		{"keygen", "generate a key pair (or an HMAC secret) for an algorithm", runKeygen},
		{"jwks", "print the JWK Set of public keys", runJWKS},
		{"token", "mint a token with the configured keys", runToken},
		{"decode", "show a token's header and claims WITHOUT verifying it", runDecode},
		{"verify", "verify a token with the configured keys", runVerify},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: authjwt <command> [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'authjwt <command> -h' for a command's flags. Configuration comes from")
	fmt.Fprintln(w, "AUTHJWT_* environment variables. Exit status: 0 ok, 1 verification failed,")
	fmt.Fprintln(w, "2 usage or configuration error.")
}

// run runs the command line args (without the program name) and returns
// the exit status.
func run(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "authjwt: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

// newFlagSet returns a flag set for a subcommand that reports errors
// itself (so the caller maps them to exit status 2).
func newFlagSet(e *env, name, argsUsage, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("authjwt "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: authjwt %s %s\n\n%s\n", name, argsUsage, description)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(out, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; done is true when the command must stop and
// return status (help was asked for: 0; a flag error: 2).
func parseFlags(fs *flag.FlagSet, e *env, args []string) (status int, done bool) {
	full := fs.Usage
	fs.Usage = func() {} // flag calls it on errors; we print our own hint
	defer func() { fs.Usage = full }()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// -h prints the full usage to stdout with status 0.
			fs.SetOutput(e.stdout)
			full()
			return exitOK, true
		}
		fmt.Fprintf(e.stderr, "Run '%s -h' for usage.\n", fs.Name())
		return exitUsage, true
	}
	return exitOK, false
}

// usageError prints a one-line usage error and returns exit status 2.
func usageError(e *env, cmd, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "authjwt %s: %s\n", cmd, fmt.Sprintf(format, args...))
	fmt.Fprintf(e.stderr, "Run 'authjwt %s -h' for usage.\n", cmd)
	return exitUsage
}

// configError prints a configuration error on one line and returns 2.
func configError(e *env, err error) int {
	fmt.Fprintf(e.stderr, "authjwt: configuration error: %s\n", trimPrefix(err.Error()))
	return exitUsage
}

// trimPrefix drops the "authjwt: " prefixes of library errors, since the
// command prints its own.
func trimPrefix(s string) string {
	for strings.HasPrefix(s, "authjwt: ") {
		s = strings.TrimPrefix(s, "authjwt: ")
	}
	return s
}

func main() {
	os.Exit(run(newEnv(os.Environ(), os.Stdin, os.Stdout, os.Stderr), os.Args[1:]))
}
