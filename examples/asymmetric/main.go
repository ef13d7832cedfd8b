// Command asymmetric signs tokens with a private key (RS256, ES256 or
// EdDSA) and publishes the public key at /.well-known/jwks.json, so other
// services verify tokens without sharing a secret. The key comes from
// -key (a PEM private key: PKCS#8, PKCS#1 or SEC 1, for instance from
// `authjwt keygen`), or is generated at start.
//
//	go run ./asymmetric -alg ES256
//	go run ./asymmetric -alg RS256 -key private.pem
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
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/examples/internal/demo"
)

func main() {
	alg := flag.String("alg", "ES256", "signing algorithm: RS256, ES256 or EdDSA")
	keyFile := flag.String("key", "", "PEM private key file (default: generate one)")
	flag.Parse()
	var privPEM string
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			log.Fatal(err)
		}
		privPEM = string(b)
	} else {
		var err error
		if privPEM, err = generateKeyPEM(*alg); err != nil {
			log.Fatal(err)
		}
		log.Printf("generated a %s key; tokens will not survive a restart", *alg)
	}
	demo.Serve(newApp(authjwt.Config{Keys: authjwt.KeyConfig{PrivateKey: privPEM, Algorithm: *alg}}))
}

// generateKeyPEM returns a new private key for alg as PKCS#8 PEM.
func generateKeyPEM(alg string) (string, error) {
	var (
		k   crypto.Signer
		err error
	)
	switch alg {
	case "RS256":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		return "", fmt.Errorf("-alg: %q is not RS256, ES256 or EdDSA", alg)
	}
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

func newApp(cfg authjwt.Config) (http.Handler, error) {
	// New checks that the key fits the algorithm (an RSA key for RS256…)
	// and derives the public key from the private one.
	auth, err := authjwt.New(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, ok := demo.LoginOr401(w, r)
		if !ok {
			return
		}
		pair, err := auth.CreatePair(u, authjwt.WithFresh(true))
		if err != nil {
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		demo.JSON(w, http.StatusOK, pair)
	})
	mux.Handle("GET /protected", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := authjwt.FromContext(r.Context())
		demo.JSON(w, http.StatusOK, map[string]string{"user": t.Subject(), "alg": t.Algorithm(), "kid": t.KeyID()})
	})))
	// The public key as a JWK Set (the kid is its RFC 7638 thumbprint),
	// with Cache-Control and ETag. Secrets are never published.
	mux.Handle("GET /.well-known/jwks.json", auth.JWKSHandler())
	// The same public key as PEM (the seed's get_public_key()).
	mux.HandleFunc("GET /public-key", func(w http.ResponseWriter, r *http.Request) {
		pemText, kid, err := auth.PublicKey()
		if err != nil {
			demo.JSON(w, http.StatusInternalServerError, map[string]string{"detail": err.Error()})
			return
		}
		demo.JSON(w, http.StatusOK, map[string]string{"public_key": pemText, "kid": kid})
	})
	return mux, nil
}
