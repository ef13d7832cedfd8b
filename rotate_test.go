package authjwt

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

func TestRotation(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := revoke.NewMemory(revoke.WithClock(clk.Now))
	defer store.Close()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: store, Rotation: true}, Now: clk.Now})
	p0 := must(a.CreatePair("alice", WithFresh(true)))
	r0 := must(a.Verify(ctx, p0.RefreshToken, Requirement{Refresh: true}))
	clk.Add(time.Hour)
	p1, err := a.Rotate(ctx, r0)
	if err != nil {
		t.Fatal(err)
	}
	r1 := must(a.Verify(ctx, p1.RefreshToken, Requirement{Refresh: true}))
	a1 := must(a.Verify(ctx, p1.AccessToken, Requirement{}))
	if r1.Family() != r0.Family() || a1.Family() != r0.Family() {
		t.Fatal("rotation left the family")
	}
	if !r1.ExpiresAt().Equal(r0.ExpiresAt()) {
		t.Fatalf("rotation extended the session: %v -> %v", r0.ExpiresAt(), r1.ExpiresAt())
	}
	if a1.Fresh() {
		t.Fatal("rotated access token is fresh")
	}
	// The old refresh token presented again: reuse, the family dies.
	r0again := must(a.Verify(ctx, p0.RefreshToken, Requirement{Refresh: true}))
	if _, err := a.Rotate(ctx, r0again); !errors.Is(err, ErrRefreshReuse) {
		t.Fatalf("reuse: %v", err)
	}
	for _, tok := range []string{p1.RefreshToken, p0.RefreshToken} {
		if _, err := a.Verify(ctx, tok, Requirement{Refresh: true}); !errors.Is(err, ErrTokenRevoked) {
			t.Fatalf("family member still valid after reuse: %v", err)
		}
	}
	if _, err := a.Verify(ctx, p1.AccessToken, Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("access token of the family still valid: %v", err)
	}
	// Another session is unaffected.
	other := must(a.CreatePair("alice"))
	if _, err := a.Verify(ctx, other.AccessToken, Requirement{}); err != nil {
		t.Fatal(err)
	}
}

func TestRotationConcurrentExactlyOnce(t *testing.T) {
	ctx := context.Background()
	store := revoke.NewMemory()
	defer store.Close()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: store, Rotation: true}})
	p := must(a.CreatePair("alice"))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, reuse := 0, 0
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true})
			if err == nil {
				_, err = a.Rotate(ctx, r)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrRefreshReuse), errors.Is(err, ErrTokenRevoked):
				reuse++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || reuse != 31 {
		t.Fatalf("%d successes, %d refusals; want exactly one success", ok, reuse)
	}
}

func TestRotationGrace(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := revoke.NewMemory(revoke.WithClock(clk.Now))
	defer store.Close()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true, Store: store, Rotation: true, ReuseGrace: 10 * time.Second}, Now: clk.Now})
	p := must(a.CreatePair("alice"))
	r := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
	if _, err := a.Rotate(ctx, r); err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Second)
	if _, err := a.Rotate(ctx, r); err != nil {
		t.Fatalf("retry within the grace window: %v", err)
	}
	clk.Add(10 * time.Second)
	if _, err := a.Rotate(ctx, r); !errors.Is(err, ErrRefreshReuse) {
		t.Fatalf("reuse after the grace window: %v", err)
	}
	b := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	if _, err := b.Rotate(ctx, r); err == nil {
		t.Fatal("Rotate without Revocation.Rotation")
	}
}

// TestRotationEndOfLife rotates refresh tokens at the end of their life,
// with an injected clock, in header and cookie mode. Below
// MinRotationLifetime Rotate refuses as expired and leaves the token
// unconsumed (a retry is no theft); above it, the new access token
// expires with the session at the latest, the new refresh token exactly
// with it, and in cookie mode SetPairCookies sets the cookies even when
// time has passed before the response is written (the library does not
// refuse a token it has just minted).
func TestRotationEndOfLife(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{LocationHeaders, LocationCookies} {
		for _, left := range []time.Duration{
			-time.Second, 0, 500 * time.Millisecond, time.Second, 1500 * time.Millisecond, 2 * time.Second,
			MinRotationLifetime - time.Millisecond, MinRotationLifetime, MinRotationLifetime + 500*time.Millisecond,
			time.Minute, time.Hour,
		} {
			t.Run(mode+"/"+left.String(), func(t *testing.T) {
				clk := newClock()
				store := revoke.NewMemory(revoke.WithClock(clk.Now))
				defer store.Close()
				cfg := Config{
					Keys: KeyConfig{SecretKey: testSecret},
					Revocation: RevocationConfig{
						Store:    store,
						Enabled:  true,
						Rotation: true,
					},
					Now: clk.Now,
					Claims: ClaimsConfig{
						DecodeLeeway: 2 * time.Second,
					},
					TokenLocation: []string{mode},
					Cookies:       CookieConfig{Insecure: true},
				}
				a := mustNew(t, cfg)
				p := must(a.CreatePair("alice"))
				old := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
				clk.Add(old.ExpiresAt().Sub(clk.Now()) - left)
				now := clk.Now()
				pair, err := a.Rotate(ctx, old)
				if left < MinRotationLifetime {
					if !errors.Is(err, ErrTokenExpired) {
						t.Fatalf("Rotate with %v left: %v, want ErrTokenExpired", left, err)
					}
					first, _, err := store.Consume(ctx, old.JTI(), time.Time{})
					if err != nil || !first {
						t.Fatalf("the refused refresh token was consumed (first=%v, %v)", first, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Rotate with %v left: %v", left, err)
				}
				at := must(a.Verify(ctx, pair.AccessToken, Requirement{}))
				rt := must(a.Verify(ctx, pair.RefreshToken, Requirement{Refresh: true}))
				if !rt.ExpiresAt().Equal(old.ExpiresAt()) {
					t.Fatalf("new refresh token expires %v, the session %v", rt.ExpiresAt(), old.ExpiresAt())
				}
				if at.ExpiresAt().After(old.ExpiresAt()) {
					t.Fatalf("new access token expires %v, after the session (%v)", at.ExpiresAt(), old.ExpiresAt())
				}
				if life := at.ExpiresAt().Sub(now); life < min(MinRotationLifetime, 15*time.Minute) {
					t.Fatalf("new access token lives %v, want at least %v", life, MinRotationLifetime)
				}
				if mode == LocationHeaders {
					return
				}
				// The response is written a while later: the access token
				// has expired meanwhile, and its cookies are set anyway.
				clk.Add(MinRotationLifetime + 2*time.Second + cfg.Claims.DecodeLeeway)
				w := httptest.NewRecorder()
				if err := a.SetPairCookies(w, pair); err != nil {
					t.Fatalf("SetPairCookies of the pair Rotate returned: %v", err)
				}
				names := map[string]bool{}
				for _, c := range w.Result().Cookies() {
					names[c.Name] = c.Value != "" && c.MaxAge >= 1
				}
				for _, n := range []string{a.cfg.Cookies.Access.Name, a.cfg.Cookies.Access.CSRFName, a.cfg.Cookies.Refresh.Name, a.cfg.Cookies.Refresh.CSRFName} {
					if !names[n] {
						t.Fatalf("cookie %s missing or without value/Max-Age: %v", n, w.Result().Cookies())
					}
				}
				// A token string the application passes is still checked.
				expired := clk.Now().After(at.ExpiresAt().Add(cfg.Claims.DecodeLeeway))
				if err := a.SetAccessCookies(httptest.NewRecorder(), pair.AccessToken); expired && !errors.Is(err, ErrTokenExpired) {
					t.Fatalf("SetAccessCookies of an expired token string: %v, want ErrTokenExpired", err)
				}
			})
		}
	}
}

// TestRotationFailureDoesNotConsume: a Rotate that cannot produce the new
// pair (here an option that fails creation) leaves the refresh token
// unconsumed, so the next, correct call succeeds instead of being taken
// as reuse.
func TestRotationFailureDoesNotConsume(t *testing.T) {
	ctx := context.Background()
	store := revoke.NewMemory()
	defer store.Close()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Store: store, Enabled: true, Rotation: true}})
	p := must(a.CreatePair("alice"))
	r := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
	if _, err := a.Rotate(ctx, r, WithClaims(map[string]any{"sub": "mallory"})); err == nil {
		t.Fatal("Rotate with a claim overwriting sub: nil error")
	}
	if _, err := a.Rotate(ctx, r); err != nil {
		t.Fatalf("Rotate after a failed Rotate: %v (the failed call consumed the token)", err)
	}
}

// consumerOnly is a real store seen through the two interfaces a store
// without revoke.SuccessorConsumer offers.
type consumerOnly struct {
	revoke.Store
	revoke.Consumer
}

// TestRotationRetrySameSuccessor: retries of one refresh token within
// Revocation.ReuseGrace stay in one session. With a store that records
// successors each retry gets the very pair the first use issued (8
// retries, one chain); with a store that cannot, each gets a new pair of
// the same family. Either way revoking the family ends everything the
// retries returned, and a use after the window is reuse.
func TestRotationRetrySameSuccessor(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		same bool // the store records successors
		wrap func(*revoke.Memory) revoke.Store
	}{
		{"SuccessorConsumer", true, func(m *revoke.Memory) revoke.Store { return m }},
		{"ConsumerOnly", false, func(m *revoke.Memory) revoke.Store { return consumerOnly{m, m} }},
	} {
		for _, mode := range []string{LocationHeaders, LocationCookies} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				clk := newClock()
				mem := revoke.NewMemory(revoke.WithClock(clk.Now))
				defer mem.Close()
				a := mustNew(t, Config{
					Keys: KeyConfig{SecretKey: testSecret},
					Revocation: RevocationConfig{
						Store:      tc.wrap(mem),
						Enabled:    true,
						Rotation:   true,
						ReuseGrace: 10 * time.Second,
					},
					Now:           clk.Now,
					TokenLocation: []string{mode},
					Cookies:       CookieConfig{Insecure: true},
				})
				p0 := must(a.CreatePair("alice"))
				r0 := must(a.Verify(ctx, p0.RefreshToken, Requirement{Refresh: true}))
				p1, err := a.Rotate(ctx, r0, WithClaims(map[string]any{"roles": []string{"admin"}}))
				if err != nil {
					t.Fatal(err)
				}
				var got []Pair
				for i := range 8 {
					clk.Add(time.Second)
					p, err := a.Rotate(ctx, r0, WithClaims(map[string]any{"roles": []string{"admin"}}))
					if err != nil {
						t.Fatalf("retry %d within the grace window: %v", i, err)
					}
					if tc.same && (p.RefreshToken != p1.RefreshToken || p.AccessToken != p1.AccessToken) {
						t.Fatalf("retry %d got a new pair: the retry forked the session", i)
					}
					if tc.same {
						w := httptest.NewRecorder()
						if mode == LocationCookies {
							if err := a.SetPairCookies(w, p); err != nil {
								t.Fatalf("SetPairCookies of a retry's pair: %v", err)
							}
						}
					}
					rt := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
					if rt.Family() != r0.Family() {
						t.Fatalf("retry %d left the family: %q, want %q", i, rt.Family(), r0.Family())
					}
					got = append(got, p)
				}
				// Ending the family ends every chain the retries started.
				r1 := must(a.Verify(ctx, p1.RefreshToken, Requirement{Refresh: true}))
				if err := a.RevokeFamily(ctx, r1); err != nil {
					t.Fatal(err)
				}
				for i, p := range append(got, p1) {
					if _, err := a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}); !errors.Is(err, ErrTokenRevoked) {
						t.Fatalf("pair %d survived the family's revocation: %v", i, err)
					}
				}
				// Past the window: reuse.
				q := must(a.CreatePair("bob"))
				rq := must(a.Verify(ctx, q.RefreshToken, Requirement{Refresh: true}))
				must(a.Rotate(ctx, rq))
				clk.Add(11 * time.Second)
				if _, err := a.Rotate(ctx, rq); !errors.Is(err, ErrRefreshReuse) {
					t.Fatalf("a use after the grace window: %v, want ErrRefreshReuse", err)
				}
			})
		}
	}
}
