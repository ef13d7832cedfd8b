package keys

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

func TestSetRotation(t *testing.T) {
	k := testKeys()
	s := NewSet()
	if s.Signer().CanSign() {
		t.Fatal("empty set has a signer")
	}
	k1, err := s.AddSigner(Key{Alg: "RS256", Signer: k.rsa})
	if err != nil {
		t.Fatal(err)
	}
	if tp, _ := Thumbprint(k.rsa); k1.KID != tp || k1.Public == nil {
		t.Fatalf("default kid %q, want thumbprint %q", k1.KID, tp)
	}
	k2, err := s.Add(Key{Alg: "ES256", Signer: k.p256})
	if err != nil {
		t.Fatal(err)
	}
	if s.Signer().KID != k1.KID {
		t.Fatal("Add changed the signer")
	}
	if _, err := s.Add(Key{Alg: "RS256", Signer: k.rsa}); err == nil {
		t.Fatal("duplicate kid accepted")
	}
	if err := s.Remove(k1.KID); err == nil {
		t.Fatal("removed the current signer")
	}
	if err := s.SetSigner(k2.KID); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(k1.KID); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Lookup(k1.KID); ok {
		t.Fatal("retired key still found")
	}
	if got, ok := s.Lookup(k2.KID); !ok || got.Alg != "ES256" || s.Signer().KID != k2.KID {
		t.Fatal("current key lost")
	}
	if _, ok := s.Lookup(""); ok {
		t.Fatal("empty kid matched")
	}
	v, _ := NewVerifyKey("EdDSA", k.ed.Public())
	if _, err := s.Add(v); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSigner(v.KID); err == nil {
		t.Fatal("verify-only key made signer")
	}
	if err := s.Remove("nope"); err == nil {
		t.Fatal("removed unknown kid")
	}
	if got := len(s.Keys()); got != 2 {
		t.Fatalf("%d keys", got)
	}
	// Invalid keys.
	for _, bad := range []Key{
		{Alg: "RS256", Signer: k.rsa1024},
		{Alg: "ES384", Signer: k.p256},
		{Alg: "", Signer: k.p256},
		{Alg: "HS256", Secret: make([]byte, 8), KID: "short"},
		{Alg: "RS256", Public: &k.rsa2.PublicKey, Signer: k.rsa},
		{Alg: "HS256", Secret: make([]byte, 32), Public: &k.rsa.PublicKey},
	} {
		if _, err := s.Add(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestSetHMACWithoutKID(t *testing.T) {
	old, _ := NewHMACKey("HS256", "", bytes.Repeat([]byte{1}, 32))
	cur, _ := NewHMACKey("HS256", "", bytes.Repeat([]byte{2}, 32))
	if _, err := NewSet().Add(old); err == nil {
		t.Fatal("kid-less HMAC key accepted without AllowMissingKID")
	}
	s := NewSet(AllowMissingKID())
	if _, err := s.AddSigner(old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSigner(cur); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for k := range s.Candidates("HS256") {
		got = append(got, k.Secret)
	}
	if len(got) != 2 || got[0][0] != 2 || got[1][0] != 1 {
		t.Fatalf("candidates = %v, want current then previous", got)
	}
	if slices.Collect(s.Candidates("HS512")) != nil {
		t.Fatal("HS512 candidates for HS256 keys")
	}
	if n := s.RemoveFunc(func(k Key) bool { return k.Secret[0] == 1 }); n != 1 {
		t.Fatalf("removed %d", n)
	}
	if n := s.RemoveFunc(func(Key) bool { return true }); n != 0 {
		t.Fatal("RemoveFunc removed the signer")
	}
	if len(slices.Collect(s.Candidates("HS256"))) != 1 {
		t.Fatal("old secret still a candidate")
	}
	// Without the option, no candidates at all.
	s2 := NewSet()
	k, _ := NewHMACKey("HS256", "a", bytes.Repeat([]byte{3}, 32))
	_, _ = s2.AddSigner(k)
	if slices.Collect(s2.Candidates("HS256")) != nil {
		t.Fatal("candidates without AllowMissingKID")
	}
}

// TestSetConcurrentRotation rotates keys while readers look them up; run
// with -race. Readers must always see a consistent snapshot: a signer that
// can sign, lookups that return the key they asked for, one or two keys.
func TestSetConcurrentRotation(t *testing.T) {
	s := NewSet()
	mk := func(i int) Key {
		k, err := NewHMACKey("HS256", string(rune('a'+i%26))+string(rune('0'+i/26)), bytes.Repeat([]byte{byte(i)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if _, err := s.AddSigner(mk(0)); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var misses atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				sig := s.Signer()
				if !sig.CanSign() {
					misses.Add(1)
				}
				if k, ok := s.Lookup(sig.KID); ok && (k.KID != sig.KID || !bytes.Equal(k.Secret, sig.Secret)) {
					misses.Add(1)
				}
				if n := len(s.Keys()); n < 1 || n > 2 {
					misses.Add(1)
				}
			}
		}()
	}
	prev := s.Signer().KID
	for i := 1; i < 200; i++ {
		k, err := s.AddSigner(mk(i))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Remove(prev); err != nil {
			t.Fatal(err)
		}
		prev = k.KID
	}
	stop.Store(true)
	wg.Wait()
	if misses.Load() != 0 {
		t.Fatalf("%d inconsistent reads", misses.Load())
	}
	if len(s.Keys()) != 1 {
		t.Fatalf("%d keys left", len(s.Keys()))
	}
}

func TestZeroSet(t *testing.T) {
	var s Set
	if _, ok := s.Lookup("x"); ok || len(s.Keys()) != 0 || s.Signer().KID != "" {
		t.Fatal("zero Set not empty")
	}
}

func BenchmarkSetLookup(b *testing.B) {
	s := NewSet()
	for i := range 10 {
		k, _ := NewHMACKey("HS256", string(rune('a'+i)), bytes.Repeat([]byte{byte(i)}, 32))
		_, _ = s.Add(k)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := s.Lookup("e"); !ok {
				b.Fatal("miss")
			}
		}
	})
}

// TestSetAliases: a key answers to its aliases exactly as to its kid (the
// same key, bound to the same alg); aliases never shadow another key, and
// SeedKIDAliases adds the seed's SPKI-hash kid to every asymmetric key.
func TestSetAliases(t *testing.T) {
	k := testKeys()
	s := NewSet()
	rk, err := s.AddSigner(Key{Alg: "RS256", Signer: k.rsa, Aliases: []string{"legacy-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Lookup("legacy-1"); !ok || got.KID != rk.KID || got.Alg != "RS256" {
		t.Fatalf("alias lookup: %+v %v", got, ok)
	}
	if s.Signer().KID != rk.KID {
		t.Fatal("the signer's kid is not its KID")
	}
	if _, err := s.Add(Key{Alg: "ES256", Signer: k.p256, Aliases: []string{"legacy-1"}}); err == nil {
		t.Fatal("an alias of another key accepted")
	}
	if _, err := s.Add(Key{KID: "legacy-1", Alg: "ES256", Signer: k.p256}); err == nil {
		t.Fatal("a kid equal to another key's alias accepted")
	}
	if _, err := s.Add(Key{Alg: "ES256", Signer: k.p256, Aliases: []string{rk.KID}}); err == nil {
		t.Fatal("an alias equal to another key's kid accepted")
	}
	if _, err := s.Add(Key{KID: "k\xff", Alg: "ES256", Signer: k.p256}); err == nil {
		t.Fatal("a kid that is not valid UTF-8 accepted")
	}
	for _, bad := range [][]string{{""}, {"a", "a"}, {"legacy-\xff"}} {
		if _, err := s.Add(Key{Alg: "ES256", Signer: k.p256, Aliases: bad}); err == nil {
			t.Fatalf("aliases %q accepted", bad)
		}
	}
	ek, err := s.Add(Key{Alg: "ES256", Signer: k.p256, Aliases: []string{"legacy-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSigner(ek.KID); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(rk.KID); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Lookup("legacy-1"); ok {
		t.Fatal("a removed key's alias still found")
	}

	seed := NewSet(SeedKIDAliases())
	sk, err := seed.AddSigner(Key{Alg: "ES256", Signer: k.p256})
	if err != nil {
		t.Fatal(err)
	}
	want, err := SeedKID(k.p256)
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := Thumbprint(k.p256)
	if sk.KID != tp || !slices.Equal(sk.Aliases, []string{want}) {
		t.Fatalf("SeedKIDAliases: kid %q aliases %q, want %q and [%q]", sk.KID, sk.Aliases, tp, want)
	}
	if got, ok := seed.Lookup(want); !ok || got.KID != tp {
		t.Fatal("the seed's kid does not find the key")
	}
	// A key whose KID already is the seed's gets no alias.
	seed2 := NewSet(SeedKIDAliases())
	sk2, err := seed2.Add(Key{KID: want, Alg: "ES256", Signer: k.p256})
	if err != nil || len(sk2.Aliases) != 0 {
		t.Fatalf("KID = seed kid: %+v %v", sk2.Aliases, err)
	}
}

// TestSeedKID checks SeedKID against the definition: base64url(SHA-256(DER
// SubjectPublicKeyInfo)), and that it differs from the RFC 7638 thumbprint.
func TestSeedKID(t *testing.T) {
	k := testKeys()
	for _, pub := range []any{k.rsa.Public(), k.p256.Public(), k.ed.Public()} {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		want := base64.RawURLEncoding.EncodeToString(sum[:])
		got, err := SeedKID(pub)
		if err != nil || got != want {
			t.Fatalf("SeedKID(%T) = %q, %v; want %q", pub, got, err, want)
		}
		if tp, _ := Thumbprint(pub); tp == got {
			t.Fatalf("SeedKID equals the thumbprint for %T", pub)
		}
	}
}
