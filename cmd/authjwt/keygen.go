package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/librenz/authjwt/keys"
)

// defaultRSABits is the RSA modulus keygen uses without --bits.
const defaultRSABits = 3072

func runKeygen(e *env, args []string) int {
	flags := newFlagSet(e, "keygen", "--alg ALG [--bits N] [--out DIR]",
		`Generates a key for ALG: a PKCS#8 private key and its SPKI public key (PEM)
for RS*, PS*, ES256/384/512, EdDSA and, in a build with Go 1.27 or later,
ML-DSA-44/65/87 (post-quantum, RFC 9964); a random base64url secret, at least as
long as the hash, for HS256/384/512. Without --out, prints to stdout; with
--out, writes DIR/private.pem (mode 0600) and DIR/public.pem, or DIR/secret
(mode 0600), refusing to overwrite existing files.

Use them with AUTHJWT_ALGORITHM plus AUTHJWT_PRIVATE_KEY_FILE and
AUTHJWT_PUBLIC_KEY_FILE, or AUTHJWT_SECRET_KEY_FILE.`)
	alg := flags.String("alg", "", "algorithm: "+strings.Join(keys.Algorithms(), ", "))
	bits := flags.Int("bits", defaultRSABits, fmt.Sprintf("RSA modulus size in bits (RS*, PS* only; %d to %d)", keys.MinRSABits, keys.MaxRSABits))
	out := flags.String("out", "", "write the key files into `DIR` instead of printing them")
	if st, done := parseFlags(flags, e, args); done {
		return st
	}
	if flags.NArg() > 0 {
		return usageError(e, "keygen", "unexpected argument %q", flags.Arg(0))
	}
	if *alg == "" {
		return usageError(e, "keygen", "--alg is required (one of %s)", strings.Join(keys.Algorithms(), ", "))
	}
	if !keys.KnownAlgorithm(*alg) {
		return usageError(e, "keygen", "unknown algorithm %q (one of %s)", *alg, strings.Join(keys.Algorithms(), ", "))
	}
	if err := postQuantumBuilt(*alg); err != nil {
		return usageError(e, "keygen", "%v", err)
	}
	bitsSet := false
	flags.Visit(func(f *flag.Flag) { bitsSet = bitsSet || f.Name == "bits" })
	isRSA := strings.HasPrefix(*alg, "RS") || strings.HasPrefix(*alg, "PS")
	if bitsSet && !isRSA {
		return usageError(e, "keygen", "--bits applies to RSA algorithms only, not %s", *alg)
	}
	if isRSA && (*bits < keys.MinRSABits || *bits > keys.MaxRSABits) {
		return usageError(e, "keygen", "--bits %d: RSA keys must have %d to %d bits (the verifier's signature limit)", *bits, keys.MinRSABits, keys.MaxRSABits)
	}

	// The output is checked before generating: an RSA key of 8192 bits
	// takes minutes, which a typo in --out must not waste.
	if *out != "" {
		if st, err := os.Stat(*out); err != nil || !st.IsDir() {
			if err == nil {
				err = errors.New("not a directory")
			}
			return usageError(e, "keygen", "--out %s: %v", *out, unwrapPath(err))
		}
		if err := checkWritable(*out, keyFileNames(*alg)); err != nil {
			fmt.Fprintf(e.stderr, "authjwt keygen: %v\n", err)
			return exitFailed
		}
	}
	files, err := generate(*alg, *bits)
	if err != nil {
		fmt.Fprintf(e.stderr, "authjwt keygen: %v\n", err)
		return exitFailed
	}
	if *out == "" {
		for _, f := range files {
			e.stdout.Write(f.data)
		}
		return exitOK
	}
	for _, f := range files {
		p := filepath.Join(*out, f.name)
		if err := writeNew(p, f.data, f.mode); err != nil {
			fmt.Fprintf(e.stderr, "authjwt keygen: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", p)
	}
	return exitOK
}

// postQuantumBuilt refuses an ML-DSA algorithm in a build without
// crypto/mldsa (Go older than 1.27), naming the Go version needed.
func postQuantumBuilt(alg string) error {
	if keys.IsPostQuantum(alg) && !keys.PostQuantumAvailable() {
		return fmt.Errorf("%s needs authjwt built with Go 1.27 or later (crypto/mldsa); this one was built with %s", alg, runtime.Version())
	}
	return nil
}

// keyFile is one output of keygen.
type keyFile struct {
	name string
	data []byte
	mode os.FileMode
}

// keyFileNames are the names of the files generate writes for alg.
func keyFileNames(alg string) []string {
	if keys.IsHMAC(alg) {
		return []string{"secret"}
	}
	return []string{"private.pem", "public.pem"}
}

// checkWritable reports, before any key is generated, what would make
// writing names into dir fail: a file that already exists (never
// overwritten) or a directory the command cannot create files in.
func checkWritable(dir string, names []string) error {
	for _, n := range names {
		p := filepath.Join(dir, n)
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s already exists; not overwriting it", p)
		}
	}
	f, err := os.CreateTemp(dir, ".authjwt-keygen-*")
	if err != nil {
		return fmt.Errorf("--out %s: cannot create files there: %v", dir, unwrapPath(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// generate returns the key files for alg.
func generate(alg string, bits int) ([]keyFile, error) {
	if keys.IsHMAC(alg) {
		n := map[string]int{keys.HS256: 32, keys.HS384: 48, keys.HS512: 64}[alg]
		return []keyFile{{keyFileNames(alg)[0], []byte(randomSecret(n) + "\n"), 0o600}}, nil
	}
	var priv crypto.Signer
	var err error
	switch alg {
	case keys.RS256, keys.RS384, keys.RS512, keys.PS256, keys.PS384, keys.PS512:
		priv, err = rsa.GenerateKey(rand.Reader, bits)
	case keys.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case keys.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case keys.ES512:
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case keys.EdDSA, keys.Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case keys.MLDSA44, keys.MLDSA65, keys.MLDSA87:
		// Refused, naming the Go version needed, in a build without
		// crypto/mldsa.
		priv, err = keys.GenerateMLDSAKey(alg)
	default:
		return nil, fmt.Errorf("no key generator for %s", alg)
	}
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pub, err := keys.MarshalPublicKeyPEM(priv.Public())
	if err != nil {
		return nil, err
	}
	names := keyFileNames(alg)
	return []keyFile{
		{names[0], pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600},
		{names[1], pub, 0o644},
	}, nil
}

// writeNew creates path with data and mode, refusing to overwrite.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; not overwriting it", path)
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// unwrapPath drops the operation and path of a *fs.PathError.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
