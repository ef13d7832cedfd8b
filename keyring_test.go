package authjwt

import (
	"context"
	"testing"
)

// TestStaticKeysAreASet: the static keys live in a keys.Set like a
// configured Keys.Set (a secret and a key pair: two keys, the configured
// algorithm's the signer), and keep their rules: a short secret under
// UnsafeAllowShortSecret, every configured algorithm of their family, and
// tokens verified whatever kid they name.
func TestStaticKeysAreASet(t *testing.T) {
	rsaKey := keyFor("RS256")
	a := mustNew(t, Config{
		Keys: KeyConfig{SecretKey: testSecret + testSecret, PrivateKey: privPEM(t, rsaKey), KeyID: "hk", Algorithm: "HS256", DecodeAlgorithms: []string{"HS256", "HS384", "RS256", "PS256"}}})
	ks := a.ring.set.Keys()
	if len(ks) != 2 || ks[0].Secret == nil || ks[0].KID != "hk" || ks[1].Public == nil || ks[1].Alg != "RS256" {
		t.Fatalf("static set: %+v", ks)
	}
	if s := a.ring.set.Signer(); s.Secret == nil {
		t.Fatalf("signer %+v, want the secret", s)
	}
	if pub := a.Keys(); len(pub) != 1 || pub[0].KID != ks[1].KID || pub[0].Secret != nil {
		t.Fatalf("published %+v", pub)
	}
	for _, alg := range []string{"HS256", "HS384", "RS256", "PS256"} {
		tok := must(a.CreateAccessToken("alice", WithAlgorithm(alg)))
		if v, err := a.Verify(context.Background(), tok, Requirement{}); err != nil || v.Algorithm() != alg {
			t.Fatalf("%s: %v", alg, err)
		}
	}
	// A token naming a kid the set does not hold verifies with the
	// static key, as it always did.
	other := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret + testSecret, KeyID: "elsewhere"}})
	tok := must(other.CreateAccessToken("bob"))
	if _, err := a.Verify(context.Background(), tok, Requirement{}); err != nil {
		t.Fatalf("kid not in the set: %v", err)
	}
	short := mustNew(t, Config{Keys: KeyConfig{SecretKey: "short-but-allowed!", UnsafeAllowShortSecret: true}})
	if ks := short.ring.set.Keys(); len(ks) != 1 || string(ks[0].Secret) != "short-but-allowed!" {
		t.Fatalf("short secret: %+v", ks)
	}
	if _, err := short.Verify(context.Background(), must(short.CreateAccessToken("c")), Requirement{}); err != nil {
		t.Fatal(err)
	}
}
