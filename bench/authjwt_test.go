// authjwt's own entries.
//
// Registering here puts "impl=authjwt" first in every Benchmark*/TestAgreement
// /TestSignersAgree table, on exactly the same token bytes and keys as the
// peers (fixtures()[alg].valid, minted by common_test.go).

package bench

import (
	"context"
	"net/http"

	"github.com/librenz/authjwt"
)

func init() {
	verifierImpls = append([]verifierImpl{{name: "authjwt", new: newAuthjwtVerifier}}, verifierImpls...)
	signerImpls = append([]signerImpl{{name: "authjwt", new: newAuthjwtSigner}}, signerImpls...)
	mwImpls = append([]mwImpl{{name: "authjwt", new: newAuthjwtMiddleware}}, mwImpls...)
}

// plannedAlgs are the algorithms the core is planned to support now; for any
// other alg a failing New means "not supported yet" and the sub-benchmark is
// skipped instead of failed.
var plannedAlgs = map[string]bool{HS256: true, ES256: true}

// authjwtConfig: same secret/keys, issuer, audience and leeway as the peers.
// Asymmetric keys are PEM: PKCS#8 "PRIVATE KEY" and PKIX "PUBLIC KEY".
// Sign must emit the seed claim set incl. iss and aud (TestSignersAgree), so
// Claims.EncodeIssuer is set here and the audience is passed per token.
func authjwtConfig(alg string, k *keySet) authjwt.Config {
	c := authjwt.Config{
		Keys: authjwt.KeyConfig{
			Algorithm: alg,
		},
		Claims: authjwt.ClaimsConfig{
			DecodeIssuer:   benchIssuer,
			DecodeAudience: []string{benchAudience},
			DecodeLeeway:   leeway,
			EncodeIssuer:   benchIssuer,
		},
	}
	if alg == HS256 {
		c.Keys.SecretKey = benchSecret
	} else {
		c.Keys.PrivateKey = k.privatePEM(alg)
		c.Keys.PublicKey = k.publicPEM(alg)
	}
	return c
}

func newAuthjwtVerifier(alg string, k *keySet) (verifyFunc, error) {
	a, err := authjwt.New(authjwtConfig(alg, k))
	if err != nil {
		if !plannedAlgs[alg] {
			return nil, nil // skipped: not supported (yet)
		}
		return nil, err
	}
	ctx := context.Background()
	// Fresh required, like every peer in the Verify benchmarks: zero
	// Requirement would be "access token required" only.
	req := authjwt.Requirement{Fresh: true}
	return func(tok string) (string, error) {
		t, err := a.Verify(ctx, tok, req)
		if err != nil {
			return "", err
		}
		return t.Subject(), nil
	}, nil
}

func newAuthjwtSigner(k *keySet) (signFunc, error) {
	a, err := authjwt.New(authjwtConfig(HS256, k))
	if err != nil {
		return nil, err
	}
	return func() (string, error) {
		return a.CreateAccessToken(benchSubject, authjwt.WithFresh(true), authjwt.WithAudience(benchAudience))
	}, nil
}

// newAuthjwtMiddleware: a.Required has "access token required" semantics,
// the same the peer middlewares are configured for (fresh not required).
func newAuthjwtMiddleware(k *keySet) (http.Handler, error) {
	a, err := authjwt.New(authjwtConfig(HS256, k))
	if err != nil {
		return nil, err
	}
	return a.Required(okHandler), nil
}
