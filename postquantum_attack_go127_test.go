//go:build go1.27

package authjwt

import (
	"crypto"
	"crypto/mldsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"hash"
	"strings"
	"testing"

	"github.com/librenz/authjwt/keys"
)

// TestAttackMLDSA: the attack families of attack_test.go against an
// ML-DSA-44 service, alone and mixed with HMAC: the public key (in every
// encoding, its AKP JWK and pub too) as an HMAC secret, another parameter
// set or a classical alg over the ML-DSA signature, "none", a signature
// truncated, extended, over another payload, or made with a non-empty
// ML-DSA context (JOSE signs with the empty one).
func TestAttackMLDSA(t *testing.T) {
	clk, now := atkClock()
	pl := accessPayload(now)
	k, err := keys.GenerateMLDSAKey(keys.MLDSA44)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(header, payload string, opts crypto.SignerOpts) string {
		in := enc(header) + "." + enc(payload)
		sig, err := k.Sign(rand.Reader, []byte(in), opts)
		if err != nil {
			t.Fatal(err)
		}
		return in + "." + b64.EncodeToString(sig)
	}
	hdr := `{"alg":"ML-DSA-44"}`
	base := sign(hdr, pl, crypto.Hash(0))
	sigOf := func(tok string) string { return tok[strings.LastIndexByte(tok, '.')+1:] }
	encs := publicEncodings(t, k.Public())
	vk, _ := keys.NewVerifyKey(keys.MLDSA44, k.Public())
	j, _ := keys.PublicJWK(vk)
	jb, _ := json.Marshal(j)
	encs["AKP JWK"] = jb
	encs["AKP pub"] = []byte(j.Pub)
	encs["raw public key"] = k.Public().(*mldsa.PublicKey).Bytes()
	for _, mixed := range []bool{false, true} {
		name := map[bool]string{false: "ML-DSA-44 only", true: "mixed with HMAC"}[mixed]
		t.Run(name, func(t *testing.T) {
			cfg := Config{Keys: KeyConfig{PrivateKey: privPEM(t, k), Algorithm: keys.MLDSA44}, Now: clk.Now}
			confusion := ErrInvalidAlgorithm
			if mixed {
				cfg.Keys.SecretKey = strings.Repeat("0123456789abcdef", 4)
				cfg.Keys.DecodeAlgorithms = []string{keys.MLDSA44, "HS256", "HS384", "HS512"}
				confusion = ErrInvalidSignature
			}
			a := mustNew(t, cfg)
			var atks []attack
			for encName, secret := range encs {
				for _, hc := range []struct {
					alg string
					h   func() hash.Hash
				}{{"HS256", sha256.New}, {"HS384", sha512.New384}, {"HS512", sha512.New}} {
					atks = append(atks, attack{hc.alg + " keyed with " + encName,
						macToken(hc.h, secret, enc(`{"alg":"`+hc.alg+`"}`), enc(pl)), confusion, "public key as HMAC secret"})
				}
			}
			s := sigOf(base)
			in := base[:len(base)-len(s)-1]
			other := sign(hdr, strings.Replace(pl, "alice", "mallory", 1), crypto.Hash(0))
			atks = append(atks,
				attack{"ML-DSA-65 header over the ML-DSA-44 signature", enc(`{"alg":"ML-DSA-65"}`) + "." + enc(pl) + "." + s, ErrInvalidAlgorithm, "another parameter set is not allowed"},
				attack{"ES256 header over the ML-DSA signature", enc(`{"alg":"ES256"}`) + "." + enc(pl) + "." + s, ErrInvalidAlgorithm, "a classical alg is not allowed"},
				attack{"alg none", enc(`{"alg":"none"}`) + "." + enc(pl) + ".", ErrInvalidAlgorithm, "unsecured"},
				attack{"signature stripped", in + ".", ErrMalformedToken, "an empty signature under a known alg"},
				attack{"signature truncated", in + "." + s[:len(s)-4], ErrInvalidSignature, "ML-DSA-44 signatures are 2420 bytes"},
				attack{"signature extended", in + "." + s + "AAAA", ErrInvalidSignature, "ML-DSA-44 signatures are 2420 bytes"},
				attack{"signature of another payload", in + "." + sigOf(other), ErrInvalidSignature, "signature over other bytes"},
				attack{"non-empty ML-DSA context", sign(hdr, pl, &mldsa.Options{Context: "authjwt"}), ErrInvalidSignature, "JOSE signs with the empty context (RFC 9964)"},
			)
			runAttacks(t, a, base, atks)
		})
	}
}
