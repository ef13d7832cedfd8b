package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/librenz/authjwt/keys"
)

// maxKeyFileSize bounds the PEM files the command reads.
const maxKeyFileSize = 1 << 20

func runJWKS(e *env, args []string) int {
	flags := newFlagSet(e, "jwks", "[--alg ALG] PUBKEY.pem...",
		`Prints the JWK Set ({"keys":[...]}) of the given public keys (SPKI or PKCS#1
PEM, or certificates), each with its RFC 7638 thumbprint as kid, use "sig" and
its alg. Without --alg, the algorithm is inferred from each key: RS256 for
RSA, ES256/ES384/ES512 by curve, EdDSA for Ed25519, ML-DSA-44/65/87 by
parameter set (an AKP key, RFC 9964; Go 1.27 builds).`)
	alg := flags.String("alg", "", "bind every key to this algorithm instead of inferring it")
	if st, done := parseFlags(flags, e, args); done {
		return st
	}
	if flags.NArg() == 0 {
		return usageError(e, "jwks", "no public key file given")
	}
	if *alg != "" {
		if !keys.KnownAlgorithm(*alg) {
			return usageError(e, "jwks", "unknown algorithm %q (one of %s)", *alg, strings.Join(keys.Algorithms(), ", "))
		}
		if keys.IsHMAC(*alg) {
			return usageError(e, "jwks", "%s is an HMAC algorithm: its secret is never published in a JWKS", *alg)
		}
		if err := postQuantumBuilt(*alg); err != nil {
			return usageError(e, "jwks", "%v", err)
		}
	}
	var list []keys.Key
	for _, path := range flags.Args() {
		pub, err := readPublicKey(path)
		if err != nil {
			return configError(e, err)
		}
		a := *alg
		if a == "" {
			a = inferAlg(pub)
		}
		k, err := keys.NewVerifyKey(a, pub)
		if err != nil {
			return configError(e, fmt.Errorf("%s: %s", path, trimPrefix(err.Error())))
		}
		list = append(list, k)
	}
	set, err := keys.PublicJWKS(list)
	if err != nil {
		return configError(e, err)
	}
	b, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		fmt.Fprintf(e.stderr, "authjwt jwks: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	return exitOK
}

// readFileLimited reads a small file (a key), with a clear error.
func readFileLimited(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	if st.Size() > maxKeyFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes; not a key", path, maxKeyFileSize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	return b, nil
}

// readPublicKey reads a PEM public key. A private key is refused with a
// hint, so that nobody publishes the wrong file by habit.
func readPublicKey(path string) (crypto.PublicKey, error) {
	b, err := readFileLimited(path)
	if err != nil {
		return nil, err
	}
	if _, perr := keys.ParsePrivateKeyPEM(b); perr == nil {
		return nil, fmt.Errorf("%s: is a private key; give the public key (authjwt keygen writes public.pem)", path)
	}
	pub, err := keys.ParsePublicKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, trimPrefix(err.Error()))
	}
	return pub, nil
}

// inferAlg returns the usual algorithm for a public key.
func inferAlg(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return keys.RS256
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
		case 384:
			return keys.ES384
		case 521:
			return keys.ES512
		}
		return keys.ES256
	case ed25519.PublicKey:
		return keys.EdDSA
	}
	if alg := keys.PostQuantumAlgorithm(pub); alg != "" {
		return alg
	}
	return keys.RS256 // NewVerifyKey then explains what is wrong
}
