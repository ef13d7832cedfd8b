package authjwt

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

func TestVerifyCache(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := revoke.NewMemory(revoke.WithClock(clk.Now))
	defer store.Close()
	set := keys.NewSet()
	k1 := must(set.AddSigner(must(keys.NewSigningKey("ES256", keyFor("ES256")))))
	a := mustNew(t, Config{Keys: KeyConfig{Set: set}, VerifyCacheSize: 64, Now: clk.Now, Revocation: RevocationConfig{Enabled: true, Store: store}})
	tok := must(a.CreateAccessToken("alice", WithExpiry(time.Minute)))
	for range 3 {
		if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
			t.Fatal(err)
		}
	}
	if !cached(a, tok) {
		t.Fatal("verified token not cached")
	}
	// Requirements still apply on a hit.
	if _, err := a.Verify(ctx, tok, Requirement{Fresh: true}); !errors.Is(err, ErrFreshRequired) {
		t.Fatalf("fresh check skipped on a cache hit: %v", err)
	}
	// Revocation is still checked on a hit.
	v := must(a.Verify(ctx, tok, Requirement{}))
	if err := a.Revoke(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, tok, Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("revoked token served from the cache: %v", err)
	}
	// Expiry is still checked on a hit.
	tok2 := must(a.CreateAccessToken("bob", WithExpiry(time.Minute)))
	must(a.Verify(ctx, tok2, Requirement{}))
	clk.Add(2 * time.Minute)
	if _, err := a.Verify(ctx, tok2, Requirement{}); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired token served from the cache: %v", err)
	}
	// A changed key set is never served from the cache.
	tok3 := must(a.CreateAccessToken("carol"))
	must(a.Verify(ctx, tok3, Requirement{}))
	must(set.AddSigner(must(keys.NewSigningKey("EdDSA", keyFor("EdDSA")))))
	if err := set.Remove(k1.KID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, tok3, Requirement{}); err == nil {
		t.Fatal("token of a removed key served from the cache")
	}
	// Bounded: many tokens never grow the cache past its size.
	for range 200 {
		must(a.Verify(ctx, must(a.CreateAccessToken("x")), Requirement{}))
	}
	n := 0
	for i := range a.vcache.shards {
		n += len(a.vcache.shards[i].m)
	}
	if n > 64 {
		t.Fatalf("cache holds %d entries, bound is 64", n)
	}
}

// TestVerifyCacheHitClaims: a token served from the verification cache
// reports the same claims and key id as its first verification, whose
// Token's buffer the cache entry shares, even after that Token is dropped
// and the garbage collector has run; subjects around the size of the
// Token's own string buffer (tokenBufSize) take both the inline and the
// overflow storage.
func TestVerifyCacheHitClaims(t *testing.T) {
	ctx := context.Background()
	set := keys.NewSet()
	k := must(set.AddSigner(must(keys.NewSigningKey("ES256", keyFor("ES256")))))
	a := mustNew(t, Config{Keys: KeyConfig{Set: set}, VerifyCacheSize: 64, Claims: ClaimsConfig{DecodeAudience: []string{"api"}}})
	for _, n := range []int{1, tokenBufSize - 72 - len(k.KID), tokenBufSize - 72 - len(k.KID) + 1, tokenBufSize, 3000} {
		sub := strings.Repeat("s", n)
		tok := must(a.CreateAccessToken(sub, WithAudience("api"), WithFamily("f0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"),
			WithClaims(map[string]any{"roles": []string{"admin", "ops"}})))
		check := func(v *Token) {
			t.Helper()
			if v.Subject() != sub || v.KeyID() != k.KID || v.Family() != "f0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b" || len(v.JTI()) != 36 ||
				v.Type() != "access" || !slices.Equal(v.Audience(), []string{"api"}) || !slices.Equal(v.Roles(), []string{"admin", "ops"}) {
				t.Fatalf("subject of %d bytes: sub %d bytes, kid %q, aid %q, jti %q, type %q, aud %q, roles %q",
					n, len(v.Subject()), v.KeyID(), v.Family(), v.JTI(), v.Type(), v.Audience(), v.Roles())
			}
		}
		first := must(a.Verify(ctx, tok, Requirement{}))
		check(first)
		first = nil
		runtime.GC()
		hit := must(a.Verify(ctx, tok, Requirement{}))
		if !cached(a, tok) {
			t.Fatal("not cached")
		}
		runtime.GC()
		check(hit)
	}
}

// cached reports whether the verification cache would serve tok now, by
// the rule verifyToken applies.
func cached(a *Auth, tok string) bool {
	e := a.vcache.get(tok)
	if e == nil {
		return false
	}
	ver, ok := a.cacheVersion(e.ti, e.alg)
	return ok && ver == e.ver
}

// servedFromCache reports whether hit was served by the verification
// cache from the entry that first's verification filled: a hit's claims
// are a copy of the entry's, whose strings live in the first Token's
// buffer, while a verification that misses materializes them anew. It
// observes the hot path without a hook or a counter on it.
func servedFromCache(first, hit *Token) bool {
	return unsafe.StringData(first.Subject()) == unsafe.StringData(hit.Subject())
}

// TestVerifyCacheHitWithTrustedIssuers: with trusted issuers configured,
// the verification cache is read as well as filled (one rule,
// cacheVersion, for both), for our own asymmetric tokens and for a
// provider's tokens verified through its keys.Remote; a provider token
// served from the cache keeps the roles of its RolesClaim, still has its
// time and route checks, and is no longer served once the provider's keys
// were fetched again. A provider whose key source has no version is never
// served from the cache.
func TestVerifyCacheHitWithTrustedIssuers(t *testing.T) {
	ctx := context.Background()
	idp := newFakeIdP(t)
	static := newFakeIdP(t)
	staticKey := must(keys.NewVerifyKey("RS256", rsaKey2.Public()))
	set := keys.NewSet()
	must(set.AddSigner(must(keys.NewSigningKey("ES256", keyFor("ES256")))))
	a := mustNew(t, Config{
		Keys:            KeyConfig{Set: set},
		VerifyCacheSize: 64,
		Logger:          discardLogger(),
		TrustedIssuers: []TrustedIssuer{
			{Issuer: idp.srv.URL, Audience: []string{"my-api"}, RolesClaim: "realm_access.roles", HTTPClient: idp.srv.Client()},
			{Issuer: static.srv.URL, Audience: []string{"my-api"}, Keys: staticKeys{staticKey}},
		},
	})
	defer a.Close()
	twice := func(t *testing.T, tok string, req Requirement) (first, second *Token) {
		t.Helper()
		first = must(a.Verify(ctx, tok, req))
		second = must(a.Verify(ctx, tok, req))
		return first, second
	}
	t.Run("own ES256 token", func(t *testing.T) {
		first, second := twice(t, must(a.CreateAccessToken("alice")), Requirement{})
		if !servedFromCache(first, second) {
			t.Fatal("our own token was verified again: the cache is filled but not read beside trusted issuers")
		}
	})
	t.Run("provider token", func(t *testing.T) {
		tok := idp.token(t, map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}})
		first, second := twice(t, tok, Requirement{Roles: []string{"admin"}})
		if !servedFromCache(first, second) {
			t.Fatal("the provider's token was verified again")
		}
		if !second.IsThirdParty() || !slices.Equal(second.Roles(), []string{"admin"}) {
			t.Fatalf("hit: third party %v, roles %q", second.IsThirdParty(), second.Roles())
		}
		// The route's checks still run on a hit, through the middleware too.
		for _, c := range []struct {
			req  Requirement
			want error
		}{{Requirement{Fresh: true}, ErrFreshRequired}, {Requirement{Refresh: true}, ErrRefreshRequired}, {Requirement{Roles: []string{"ops"}}, ErrNotEnoughPerms}} {
			if _, err := a.Verify(ctx, tok, c.req); !errors.Is(err, c.want) {
				t.Fatalf("%+v on a hit: %v, want %v", c.req, err, c.want)
			}
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		a.RequireRoles("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("middleware on a hit: %d", w.Code)
		}
		// Keys fetched again: the entry is stale, the token verifies anew
		// and is cached again.
		if err := a.trusted[idp.srv.URL].remote.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		third := must(a.Verify(ctx, tok, Requirement{}))
		if servedFromCache(first, third) {
			t.Fatal("served from the cache after the provider's keys changed")
		}
		if fourth := must(a.Verify(ctx, tok, Requirement{})); !servedFromCache(third, fourth) {
			t.Fatal("not cached again after the keys changed")
		}
	})
	t.Run("key source without a version", func(t *testing.T) {
		now := time.Now().Unix()
		tok := signedToken(t, "RS256", rsaKey2, `{"alg":"RS256","kid":"`+staticKey.KID+`"}`,
			`{"iss":"`+static.srv.URL+`","sub":"bob","aud":"my-api","exp":`+itoa(now+600)+`}`)
		first, second := twice(t, tok, Requirement{})
		if servedFromCache(first, second) || cached(a, tok) {
			t.Fatal("a token of an unversioned key source was served from the cache")
		}
	})
}
