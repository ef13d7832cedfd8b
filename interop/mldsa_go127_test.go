//go:build go1.27

package interop

// ML-DSA (RFC 9964) against an implementation nobody here wrote: Python
// cryptography 48's ML-DSA (OpenSSL's), all three parameter sets, both
// directions: tokens we sign verify there, tokens signed there verify
// through our whole verifier; our AKP JWK, its RFC 9964 thumbprint, the
// seed (the AKP private form) and PKCS#8/SPKI PEM agree with it.

import (
	"bytes"
	"context"
	"crypto/mldsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/keys"
)

// mldsaPython returns a Python with cryptography's ML-DSA: $AUTHJWTTEST_PYTHON,
// python3 on PATH, or pyenv's (not /usr/bin/python3, whose Debian
// cryptography predates ML-DSA). It skips when there is none, or fails
// with AUTHJWTTEST_REQUIRE_SERVICES=1.
func mldsaPython(t *testing.T) string {
	t.Helper()
	var cands []string
	if p := os.Getenv("AUTHJWTTEST_PYTHON"); p != "" {
		cands = append(cands, p)
	}
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	if home, err := os.UserHomeDir(); err == nil {
		cands = append(cands, filepath.Join(home, ".pyenv", "shims", "python3"))
	}
	var tried []string
	for _, p := range cands {
		out, err := exec.Command(p, "-c", "import cryptography; from cryptography.hazmat.primitives.asymmetric import mldsa; print(cryptography.__version__)").CombinedOutput()
		if err == nil {
			t.Logf("Python cryptography %s (%s)", strings.TrimSpace(string(out)), p)
			return p
		}
		why := lastLine(string(out))
		if why == "" {
			why = err.Error()
		}
		tried = append(tried, p+": "+why)
	}
	msg := "no Python with cryptography's ML-DSA (cryptography 48; tried " + strings.Join(tried, "; ") + "); install it with: pip install 'cryptography>=48', or set AUTHJWTTEST_PYTHON"
	if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// pyMLDSA is the Python side: for each parameter set it verifies our
// token with the public key of our JWK, computes that JWK's thumbprint,
// derives the public key of our seed, loads our PKCS#8 PEM, and signs a
// token of its own with a new key, returned with its SPKI PEM and seed.
const pyMLDSA = `
import sys, json, base64, hashlib, time
from cryptography.hazmat.primitives.asymmetric import mldsa
from cryptography.hazmat.primitives import serialization
from cryptography.exceptions import InvalidSignature

def b64d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def b64e(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
classes = {"ML-DSA-44": (mldsa.MLDSA44PrivateKey, mldsa.MLDSA44PublicKey),
           "ML-DSA-65": (mldsa.MLDSA65PrivateKey, mldsa.MLDSA65PublicKey),
           "ML-DSA-87": (mldsa.MLDSA87PrivateKey, mldsa.MLDSA87PublicKey)}
out = {}
for alg, case in json.load(sys.stdin).items():
    Priv, Pub = classes[alg]
    r = {}
    jwk = case["jwk"]
    assert jwk["kty"] == "AKP" and jwk["alg"] == alg, jwk
    pub = Pub.from_public_bytes(b64d(jwk["pub"]))
    canon = json.dumps({"alg": jwk["alg"], "kty": "AKP", "pub": jwk["pub"]}, separators=(",", ":"), sort_keys=True)
    r["thumbprint"] = b64e(hashlib.sha256(canon.encode()).digest())
    h, p, s = case["token"].split(".")
    assert json.loads(b64d(h))["alg"] == alg
    try:
        pub.verify(b64d(s), (h + "." + p).encode())
        r["verified"] = True
    except InvalidSignature:
        r["verified"] = False
    bad = bytearray(b64d(s)); bad[0] ^= 1
    try:
        pub.verify(bytes(bad), (h + "." + p).encode()); r["tampered_verified"] = True
    except InvalidSignature:
        r["tampered_verified"] = False
    r["seed_pub"] = b64e(Priv.from_seed_bytes(b64d(case["seed"])).public_key().public_bytes_raw())
    ours = serialization.load_pem_private_key(case["pkcs8"].encode(), password=None)
    r["pkcs8_pub"] = b64e(ours.public_key().public_bytes_raw())
    k = Priv.generate()
    now = int(time.time())
    hdr = b64e(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    pl = b64e(json.dumps({"sub": "py-" + alg, "iat": now, "nbf": now, "exp": now + 300, "jti": "py-jti-" + alg, "type": "access", "fresh": False}, separators=(",", ":")).encode())
    r["token"] = hdr + "." + pl + "." + b64e(k.sign((hdr + "." + pl).encode()))
    r["spki"] = k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    r["pkcs8"] = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    r["seed"] = b64e(k.private_bytes_raw())
    r["pub"] = b64e(k.public_key().public_bytes_raw())
    out[alg] = r
json.dump(out, sys.stdout)
`

func TestMLDSAPythonCryptography(t *testing.T) {
	py := mldsaPython(t)
	ctx := context.Background()
	algs := []string{keys.MLDSA44, keys.MLDSA65, keys.MLDSA87}
	type ourCase struct {
		JWK   map[string]string `json:"jwk"`
		Token string            `json:"token"`
		Seed  string            `json:"seed"`
		PKCS8 string            `json:"pkcs8"`
	}
	in := map[string]ourCase{}
	ours := map[string]*authjwt.Auth{}
	for _, alg := range algs {
		priv, err := keys.GenerateMLDSAKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		pkcs8 := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		a, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{PrivateKey: pkcs8, Algorithm: alg}})
		if err != nil {
			t.Fatal(err)
		}
		ours[alg] = a
		tok, err := a.CreateAccessToken("go-"+alg, authjwt.WithClaims(map[string]any{"lang": "go"}))
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		a.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
		var set struct{ Keys []map[string]string }
		if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Keys) != 1 {
			t.Fatalf("JWKS %s: %v", rec.Body, err)
		}
		in[alg] = ourCase{JWK: set.Keys[0], Token: tok, Seed: b64.EncodeToString(priv.(*mldsa.PrivateKey).Bytes()), PKCS8: pkcs8}
	}
	stdin, _ := json.Marshal(in)
	cmd := exec.Command(py, "-c", pyMLDSA)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var res map[string]struct {
		Verified   bool `json:"verified"`
		Tampered   bool `json:"tampered_verified"`
		Thumbprint string
		SeedPub    string `json:"seed_pub"`
		PKCS8Pub   string `json:"pkcs8_pub"`
		Token      string
		SPKI       string
		PKCS8      string
		Seed       string
		Pub        string
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("python output: %v\n%s", err, stdout.String())
	}
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			r, ok := res[alg]
			if !ok {
				t.Fatal("no result")
			}
			c := in[alg]
			// Ours, verified there.
			if !r.Verified || r.Tampered {
				t.Fatalf("cryptography: our token verified=%v, tampered verified=%v", r.Verified, r.Tampered)
			}
			if r.Thumbprint != c.JWK["kid"] {
				t.Errorf("RFC 9964 thumbprint: cryptography's %s, our kid %s", r.Thumbprint, c.JWK["kid"])
			}
			if r.SeedPub != c.JWK["pub"] || r.PKCS8Pub != c.JWK["pub"] {
				t.Errorf("our seed / PKCS#8 give another public key in cryptography")
			}
			// Theirs, verified here through the whole verifier, with their
			// SPKI PEM and with their seed as an AKP private JWK.
			a, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{PublicKey: r.SPKI, Algorithm: alg}})
			if err != nil {
				t.Fatal(err)
			}
			tk, err := a.Verify(ctx, r.Token, authjwt.Requirement{})
			if err != nil || tk.Subject() != "py-"+alg {
				t.Fatalf("cryptography's token refused: %v", err)
			}
			k, err := keys.ParsePrivateAKP([]byte(`{"kty":"AKP","alg":"` + alg + `","pub":"` + r.Pub + `","priv":"` + r.Seed + `"}`))
			if err != nil {
				t.Fatalf("cryptography's seed as an AKP private JWK: %v", err)
			}
			s, err := keys.ParsePrivateKeyPEM([]byte(r.PKCS8))
			if err != nil {
				t.Fatalf("cryptography's PKCS#8: %v", err)
			}
			if !k.Signer.(*mldsa.PrivateKey).Equal(s) {
				t.Fatal("cryptography's seed and PKCS#8 give different keys here")
			}
			// A token of theirs under another parameter set's key, and
			// ours under their key, are refused.
			if _, err := ours[alg].Verify(ctx, r.Token, authjwt.Requirement{}); !errors.Is(err, authjwt.ErrInvalidSignature) && !errors.Is(err, authjwt.ErrInvalidKID) {
				t.Fatalf("cryptography's token under our key: %v", err)
			}
			if _, err := a.Verify(ctx, c.Token, authjwt.Requirement{}); err == nil {
				t.Fatal("our token verified with cryptography's key")
			}
		})
	}
}
