// Package keyhook lets package authjwt keep its static keys (Config.Keys
// SecretKey, PrivateKey, PublicKey, Signer, VerifyKey) in a keys.Set
// without widening package keys' API: New has already applied its own,
// documented rules to them (a short secret under UnsafeAllowShortSecret,
// one kid shared by the secret and the public key under the
// compatibility profile), which a Set's Add would refuse.
package keyhook

// StaticSet, set by package keys, returns a *keys.Set holding ks (a
// []keys.Key) as they are, ks[signer] its signer (-1: none), verifying
// tokens without kid with candidates.
var StaticSet func(ks any, signer int) any
