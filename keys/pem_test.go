package keys

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

func pemOf(typ string, der []byte, hdr map[string]string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der, Headers: hdr})
}

// derMust returns a function that fails t on error and returns the DER.
func derMust(t *testing.T) func([]byte, error) []byte {
	return func(der []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
}

func selfSignedCert(t *testing.T, s crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0)}
	return derMust(t)(x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.Public(), s))
}

func TestParsePrivateKeyPEM(t *testing.T) {
	k := testKeys()
	pkcs8 := func(s crypto.Signer) []byte {
		return pemOf("PRIVATE KEY", derMust(t)(x509.MarshalPKCS8PrivateKey(s)), nil)
	}
	sec1 := pemOf("EC PRIVATE KEY", derMust(t)(x509.MarshalECPrivateKey(k.p256)), nil)
	ecParams := pemOf("EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, nil)
	for _, tc := range []struct {
		name    string
		data    []byte
		want    crypto.Signer
		wantErr string
	}{
		{"pkcs1 rsa", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.rsa), nil), k.rsa, ""},
		{"pkcs8 rsa", pkcs8(k.rsa), k.rsa, ""},
		{"pkcs8 p256", pkcs8(k.p256), k.p256, ""},
		{"pkcs8 p521", pkcs8(k.p521), k.p521, ""},
		{"pkcs8 ed25519", pkcs8(k.ed), k.ed, ""},
		{"sec1", sec1, k.p256, ""},
		{"sec1 after ec parameters", append(append([]byte{}, ecParams...), sec1...), k.p256, ""},
		{"leading text", append([]byte("Bag Attributes\n  friendlyName: x\n"), sec1...), k.p256, ""},
		{"trailing newline", append(append([]byte{}, sec1...), "\n\n"...), k.p256, ""},
		{"no pem", []byte("not a key"), nil, "no PEM block"},
		{"der", derMust(t)(x509.MarshalPKCS8PrivateKey(k.p256)), nil, "no PEM block"},
		{"empty", nil, nil, "no PEM block"},
		{"trailing junk", append(append([]byte{}, sec1...), "junk"...), nil, "trailing data"},
		{"two keys", append(append([]byte{}, sec1...), pkcs8(k.rsa)...), nil, "more than one"},
		{"encrypted pkcs8", pemOf("ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}, nil), nil, "encrypted"},
		{"encrypted legacy", pemOf("RSA PRIVATE KEY", []byte{1, 2, 3}, map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}), nil, "encrypted"},
		{"public key", pemOf("PUBLIC KEY", derMust(t)(x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)), nil), nil, "not a private key"},
		{"only ec parameters", ecParams, nil, "no private key"},
		{"corrupt pkcs1", pemOf("RSA PRIVATE KEY", []byte{0x30, 0}, nil), nil, "bad PKCS#1"},
		{"corrupt pkcs8", pemOf("PRIVATE KEY", []byte{0x30, 0}, nil), nil, "bad PKCS#8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePrivateKeyPEM(tc.data)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "authjwt: ") {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(tc.want.Public()) {
				t.Fatal("parsed a different key")
			}
		})
	}
}

func TestParsePublicKeyPEM(t *testing.T) {
	k := testKeys()
	spki := func(p crypto.PublicKey) []byte {
		return pemOf("PUBLIC KEY", derMust(t)(x509.MarshalPKIXPublicKey(p)), nil)
	}
	cert := pemOf("CERTIFICATE", selfSignedCert(t, k.p384), nil)
	for _, tc := range []struct {
		name    string
		data    []byte
		want    crypto.PublicKey
		wantErr string
	}{
		{"spki rsa", spki(&k.rsa.PublicKey), &k.rsa.PublicKey, ""},
		{"spki p256", spki(&k.p256.PublicKey), &k.p256.PublicKey, ""},
		{"spki ed25519", spki(k.ed.Public()), k.ed.Public(), ""},
		{"pkcs1", pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey), nil), &k.rsa.PublicKey, ""},
		{"certificate", cert, &k.p384.PublicKey, ""},
		{"certificate chain", append(append([]byte{}, cert...), pemOf("CERTIFICATE", selfSignedCert(t, k.rsa), nil)...), &k.p384.PublicKey, ""},
		{"private pkcs8", pemOf("PRIVATE KEY", derMust(t)(x509.MarshalPKCS8PrivateKey(k.ed)), nil), k.ed.Public(), ""},
		{"private sec1", pemOf("EC PRIVATE KEY", derMust(t)(x509.MarshalECPrivateKey(k.p521)), nil), &k.p521.PublicKey, ""},
		{"no pem", []byte("hello"), nil, "no PEM block"},
		{"trailing junk", append(spki(&k.rsa.PublicKey), "x"...), nil, "trailing data"},
		{"wrong type", pemOf("X509 CRL", []byte{1}, nil), nil, "not a public key"},
		{"corrupt spki", pemOf("PUBLIC KEY", []byte{0x30, 0}, nil), nil, "bad SPKI"},
		{"corrupt cert", pemOf("CERTIFICATE", []byte{0x30, 0}, nil), nil, "bad certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePublicKeyPEM(tc.data)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(tc.want) {
				t.Fatal("parsed a different key")
			}
		})
	}
}

func TestPublicKeyPEMRoundTrip(t *testing.T) {
	k := testKeys()
	for _, s := range []crypto.Signer{k.rsa, k.p256, k.p384, k.p521, k.ed} {
		key := Key{Alg: "", Signer: s}
		p, tp, err := PublicKeyPEM(key)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ParsePublicKeyPEM([]byte(p))
		if err != nil {
			t.Fatal(err)
		}
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
			t.Fatal("round trip changed the key")
		}
		if want, _ := Thumbprint(s); tp != want {
			t.Fatalf("thumbprint %s, want %s", tp, want)
		}
	}
	if _, _, err := PublicKeyPEM(Key{Secret: make([]byte, 32)}); err == nil {
		t.Fatal("HMAC key gave a public key PEM")
	}
}
