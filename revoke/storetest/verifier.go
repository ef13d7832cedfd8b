package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

// RunVerifier checks a store end to end under authjwt, with the real
// clock: tokens revoked by [authjwt.Auth.Revoke], [authjwt.Auth.RevokeFamily]
// and [authjwt.Auth.RevokeSubject] stay refused for as long as the verifier
// accepts them by time, up to the end of Claims.DecodeLeeway after their exp, and
// are then refused as expired. Tokens live about a second and the leeway
// is one second, so it takes up to three seconds.
//
// It complements [Run], which checks the contract one method at a time:
// RunVerifier fails when the expiries authjwt passes and the store's
// retention together leave a window in which a revoked token is accepted.
func RunVerifier(t *testing.T, newStore func(t *testing.T) revoke.Store) {
	t.Helper()
	store := newStore(t)
	a, err := authjwt.New(authjwt.Config{
		Keys: authjwt.KeyConfig{SecretKey: "storetest-verifier-0123456789abcdef"},
		Revocation: authjwt.RevocationConfig{
			Store:   store,
			Timeout: 5 * time.Second,
		},
		Claims: authjwt.ClaimsConfig{
			DecodeLeeway: time.Second,
		},
		Expiry: authjwt.ExpiryConfig{
			Access:  time.Second,
			Refresh: 2 * time.Second,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	type watched struct {
		name string
		raw  string
		req  authjwt.Requirement
	}
	var toks []watched
	pair := func(sub string) (authjwt.Pair, *authjwt.Token, *authjwt.Token) {
		t.Helper()
		p, err := a.CreatePair(sub)
		must(t, err)
		at, err := a.Verify(ctx, p.AccessToken, authjwt.Requirement{})
		must(t, err)
		rt, err := a.Verify(ctx, p.RefreshToken, authjwt.Requirement{Refresh: true})
		must(t, err)
		return p, at, rt
	}
	_, at, rt := pair(id("revoke"))
	must(t, a.Revoke(ctx, at))
	must(t, a.Revoke(ctx, rt))
	toks = append(toks, watched{"Revoke(access)", at.Raw(), authjwt.Requirement{}},
		watched{"Revoke(refresh)", rt.Raw(), authjwt.Requirement{Refresh: true}})
	p, at, _ := pair(id("family"))
	must(t, a.RevokeFamily(ctx, at))
	toks = append(toks, watched{"RevokeFamily: access", p.AccessToken, authjwt.Requirement{}},
		watched{"RevokeFamily: refresh", p.RefreshToken, authjwt.Requirement{Refresh: true}})
	sub := id("subject")
	p, _, _ = pair(sub)
	must(t, a.RevokeSubject(ctx, "", sub))
	toks = append(toks, watched{"RevokeSubject: access", p.AccessToken, authjwt.Requirement{}},
		watched{"RevokeSubject: refresh", p.RefreshToken, authjwt.Requirement{Refresh: true}})

	deadline := time.Now().Add(5 * time.Second)
	for len(toks) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d tokens neither revoked nor expired after 5s", len(toks))
		}
		rest := toks[:0]
		for _, w := range toks {
			_, err := a.Verify(ctx, w.raw, w.req)
			switch {
			case errors.Is(err, authjwt.ErrTokenExpired):
				// Done: refused by time; the store may forget it now.
			case errors.Is(err, authjwt.ErrTokenRevoked):
				rest = append(rest, w)
			default:
				t.Fatalf("%s: Verify = %v before it expired, want ErrTokenRevoked", w.name, err)
			}
		}
		toks = rest
		time.Sleep(10 * time.Millisecond)
	}
}
