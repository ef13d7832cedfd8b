//go:build go1.27

package bench

// ML-DSA (RFC 9964) verification, issue 23: authjwt's whole verifier
// (the same configuration and Requirement as BenchmarkVerifyES256's
// impl=authjwt) beside the floor, crypto/mldsa alone (split,
// base64url-decode the three parts, mldsa.Verify; no JSON). Go 1.27 only
// (crypto/mldsa). Run beside ES256 in one run:
//
//	GOTOOLCHAIN=go1.27.3 BENCH='VerifyES256$|VerifyMLDSA' bench/run.sh
//
// No peer is listed: none of the Go JWT libraries benchmarked here signs
// or verifies ML-DSA (jwx v4 does; this module pins v3).

import (
	"context"
	"crypto"
	"crypto/mldsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt"
)

type mldsaFixture struct {
	priv *mldsa.PrivateKey
	pem  string // PKCS#8
	tok  string // valid, the claim set of every other benchmark
}

var mldsaFixtures = sync.OnceValue(func() map[string]*mldsaFixture {
	out := map[string]*mldsaFixture{}
	for alg, p := range map[string]mldsa.Parameters{"ML-DSA-44": mldsa.MLDSA44(), "ML-DSA-65": mldsa.MLDSA65(), "ML-DSA-87": mldsa.MLDSA87()} {
		k, err := mldsa.GenerateKey(p)
		if err != nil {
			panic(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		input := b64.EncodeToString([]byte(stdHeader(alg))) + "." + b64.EncodeToString(mustJSON(validClaims(time.Now())))
		sig, err := k.Sign(nil, []byte(input), crypto.Hash(0))
		if err != nil {
			panic(err)
		}
		out[alg] = &mldsaFixture{priv: k, pem: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), tok: input + "." + b64.EncodeToString(sig)}
	}
	return out
})

func mustJSON(c wireClaims) []byte {
	tok := mint(`{}`, HS256, []byte(benchSecret), c)
	p := tok[strings.IndexByte(tok, '.')+1 : strings.LastIndexByte(tok, '.')]
	b, err := b64.DecodeString(p)
	if err != nil {
		panic(err)
	}
	return b
}

func benchmarkVerifyMLDSA(b *testing.B, alg string) {
	f := mldsaFixtures()[alg]
	cfg := authjwt.Config{Keys: authjwt.KeyConfig{Algorithm: alg}, Claims: authjwt.ClaimsConfig{DecodeIssuer: benchIssuer, DecodeAudience: []string{benchAudience}, DecodeLeeway: leeway, EncodeIssuer: benchIssuer}}
	cfg.Keys.PrivateKey = f.pem
	a, err := authjwt.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := authjwt.Requirement{Fresh: true}
	impls := []struct {
		name   string
		verify func(string) (string, error)
	}{
		{"authjwt", func(tok string) (string, error) {
			t, err := a.Verify(ctx, tok, req)
			if err != nil {
				return "", err
			}
			return t.Subject(), nil
		}},
		{"floor", mldsaFloor(f.priv.PublicKey())},
	}
	for _, impl := range impls {
		b.Run(subName(impl.name), func(b *testing.B) {
			if _, err := impl.verify(f.tok); err != nil {
				b.Fatalf("%s/%s rejects the valid token: %v", impl.name, alg, err)
			}
			if _, err := impl.verify(flipSigBit(f.tok)); err == nil {
				b.Fatalf("%s/%s accepts a flipped signature bit", impl.name, alg)
			}
			b.ReportAllocs()
			for b.Loop() {
				sinkString, sinkErr = impl.verify(f.tok)
			}
			if sinkErr != nil {
				b.Fatal(sinkErr)
			}
		})
	}
}

// mldsaFloor: split, decode the three parts into pooled buffers, check the
// signature with crypto/mldsa. A lower bound, not a verifier.
func mldsaFloor(pub *mldsa.PublicKey) func(string) (string, error) {
	type state struct{ hdr, pay, sig [8 << 10]byte }
	pool := sync.Pool{New: func() any { return new(state) }}
	return func(tok string) (string, error) {
		i := strings.IndexByte(tok, '.')
		j := strings.LastIndexByte(tok, '.')
		if i <= 0 || j <= i {
			return "", errFloor
		}
		st := pool.Get().(*state)
		defer pool.Put(st)
		if _, err := b64.Decode(st.hdr[:], bytesOf(tok[:i])); err != nil {
			return "", errFloor
		}
		if _, err := b64.Decode(st.pay[:], bytesOf(tok[i+1:j])); err != nil {
			return "", errFloor
		}
		n, err := b64.Decode(st.sig[:], bytesOf(tok[j+1:]))
		if err != nil {
			return "", errFloor
		}
		if mldsa.Verify(pub, bytesOf(tok[:j]), st.sig[:n], nil) != nil {
			return "", errFloor
		}
		return "", nil
	}
}

func BenchmarkVerifyMLDSA44(b *testing.B) { benchmarkVerifyMLDSA(b, "ML-DSA-44") }
func BenchmarkVerifyMLDSA65(b *testing.B) { benchmarkVerifyMLDSA(b, "ML-DSA-65") }
func BenchmarkVerifyMLDSA87(b *testing.B) { benchmarkVerifyMLDSA(b, "ML-DSA-87") }
