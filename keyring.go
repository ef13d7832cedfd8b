package authjwt

import (
	"context"
	"crypto"
	"errors"
	"net/http"
	"sync"

	"github.com/librenz/authjwt/internal/jws"
	"github.com/librenz/authjwt/keys"
)

// ErrNoSigningKey is returned when no configured key can sign.
var ErrNoSigningKey = errors.New("authjwt: no private key, signer or secret configured for this algorithm")

// hmacCache keeps one pooled HMAC key per (secret, alg) found in a key
// set, so rotation does not cost an hmac.New per request.
type hmacCache struct{ m sync.Map } // string(alg)+secret -> *jws.HMACKey

func (c *hmacCache) get(alg jws.Alg, secret []byte) *jws.HMACKey {
	key := alg.String() + "\x00" + string(secret)
	if v, ok := c.m.Load(key); ok {
		return v.(*jws.HMACKey)
	}
	v, _ := c.m.LoadOrStore(key, jws.NewHMACKey(alg, secret))
	return v.(*jws.HMACKey)
}

// headerCache remembers the encoded header of the last (alg, kid) a key
// set signed with.
type headerCache struct {
	alg jws.Alg
	kid string
	seg string
}

// keyRing is our own verifier, for the decoder: the gate of our tokens
// (DecodeAlgorithms, DecodeKID) and our keys.
type keyRing struct {
	a    *Auth
	gate jws.Gate
}

// Gate returns what we accept of a header.
func (r *keyRing) Gate() *jws.Gate { return &r.gate }

// bindKey binds one key to alg for the decoder.
func bindKey(hmacs *hmacCache, k keys.Key, alg jws.Alg) (jws.Key, error) {
	if !k.Accepts(alg.String()) {
		return jws.Key{}, ErrInvalidAlgorithm
	}
	if k.Secret != nil {
		return jws.Key{HMAC: hmacs.get(alg, k.Secret)}, nil
	}
	return jws.Key{Public: k.Public}, nil
}

// Key returns the i-th key to try for a token of ours under alg: with a
// key set, the key its kid names, or each candidate in turn for a token
// without kid; otherwise the configured key.
func (r *keyRing) Key(_ context.Context, alg jws.Alg, kid jws.KID, i int) (jws.Key, error) {
	a := r.a
	if a.keySet != nil {
		if kid.Present() {
			if i > 0 {
				return jws.Key{}, jws.ErrSignature
			}
			k, ok := a.keySet.Lookup(string(kid.Bytes()))
			if !ok {
				return jws.Key{}, ErrInvalidKID.with(nil, "Unknown kid on header")
			}
			return bindKey(&a.hmacs, k, alg)
		}
		n := 0
		for k := range a.keySet.Candidates(alg.String()) {
			if !k.Accepts(alg.String()) {
				continue
			}
			if n == i {
				return bindKey(&a.hmacs, k, alg)
			}
			n++
		}
		if i == 0 {
			return jws.Key{}, ErrInvalidKID.with(nil, "Missing kid on header")
		}
		return jws.Key{}, jws.ErrSignature
	}
	if i > 0 {
		return jws.Key{}, jws.ErrSignature
	}
	if alg.IsHMAC() {
		return jws.Key{HMAC: a.hmacKey[alg]}, nil
	}
	return jws.Key{Public: a.pub}, nil
}

// signingKey returns the key new tokens are signed with under alg (the
// configured algorithm unless overridden), with its kid and header.
type signing struct {
	alg    jws.Alg
	hmac   *jws.HMACKey
	signer crypto.Signer
	kid    string
	header string
}

func (a *Auth) signingFor(alg jws.Alg, override bool) (signing, error) {
	if a.keySet != nil {
		k := a.keySet.Signer()
		if !k.CanSign() {
			return signing{}, ErrNoSigningKey
		}
		ka, ok := jws.ParseAlg(k.Alg)
		if !ok {
			return signing{}, ErrNoSigningKey
		}
		if override && !keys.SameAlgorithm(alg.String(), k.Alg) {
			return signing{}, errors.New("authjwt: WithAlgorithm: the key set's signer is bound to " + k.Alg)
		}
		s := signing{alg: ka, kid: k.KID}
		if k.Secret != nil {
			s.hmac = a.hmacs.get(ka, k.Secret)
		} else {
			s.signer = k.Signer
		}
		if hc := a.lastHeader.Load(); hc != nil && hc.alg == ka && hc.kid == k.KID {
			s.header = hc.seg
		} else {
			s.header = a.encodeHeader(ka, k.KID)
			a.lastHeader.Store(&headerCache{ka, k.KID, s.header})
		}
		return s, nil
	}
	s := signing{alg: alg, kid: a.kidFor(alg), header: a.headerSeg[alg]}
	if alg.IsHMAC() {
		s.hmac = a.hmacKey[alg]
		if s.hmac == nil {
			return signing{}, errors.New("authjwt: WithAlgorithm: no HMAC secret configured for " + alg.String())
		}
		return s, nil
	}
	if a.signer == nil {
		return signing{}, ErrNoSigningKey
	}
	s.signer = a.signer
	return s, nil
}

// Keys returns our public verification keys (never a private or symmetric
// key), for JWKS publication. See [Auth.JWKSHandler].
func (a *Auth) Keys() []keys.Key {
	if a.keySet != nil {
		var out []keys.Key
		for _, k := range a.keySet.Keys() {
			if k.Secret == nil && k.Public != nil {
				out = append(out, keys.Key{KID: k.KID, Alg: k.Alg, Public: k.Public})
			}
		}
		return out
	}
	if a.pub == nil {
		return nil
	}
	alg := a.signAlg
	if alg.IsHMAC() {
		for i := jws.HS256; i < 16; i++ {
			if a.allowed[i] && !i.IsHMAC() {
				alg = i
				break
			}
		}
	}
	return []keys.Key{{KID: a.pubKID, Alg: alg.String(), Public: a.pub}}
}

// JWKSHandler serves our public keys as a JWK Set, for
// /.well-known/jwks.json (RFC 7517), with Cache-Control and ETag. Under
// HMAC the set is empty: secrets are never published.
func (a *Auth) JWKSHandler() http.Handler { return keys.Handler(a) }

// PublicKey returns the public verification key (the signer's, with a
// Keys.Set) as PEM, like the seed's get_public_key(), with its RFC 7638
// thumbprint. The thumbprint is the key's default kid, but not the kid of
// its tokens when Keys.PublicKeyID, the compatibility profile or a
// Keys.Set kid says otherwise: [Auth.Keys] has that. It fails under HMAC.
func (a *Auth) PublicKey() (pemText, thumbprint string, err error) {
	ks := a.Keys()
	if len(ks) == 0 {
		return "", "", errors.New("authjwt: no public key configured (HMAC algorithms have none)")
	}
	k := ks[0]
	if a.keySet != nil {
		if s := a.keySet.Signer(); s.Public != nil {
			k = keys.Key{KID: s.KID, Alg: s.Alg, Public: s.Public}
		}
	}
	return keys.PublicKeyPEM(k)
}
