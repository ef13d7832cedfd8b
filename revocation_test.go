package authjwt

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// TestStoreImpliesDenylist (issue 15, item 3): a configured Store is
// consulted. Config{Revocation: RevocationConfig{Store: …}} without Revocation.Enabled used to accept
// revocations and never check them; an explicit AUTHJWT_DENYLIST_ENABLED=false
// beside a Store is a contradiction refused at New, naming both settings.
func TestStoreImpliesDenylist(t *testing.T) {
	ctx := context.Background()
	env := func(extra ...string) Config {
		t.Helper()
		cfg, err := ConfigFromEnv(append([]string{"AUTHJWT_SECRET_KEY=" + testSecret}, extra...))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	withStore := func(c Config) Config { c.Revocation.Store = revoke.NewMemory(revoke.WithSweepInterval(0)); return c }
	tests := []struct {
		name    string
		cfg     Config
		enabled bool
		refused []string // substrings of New's error; nil when accepted
	}{
		{"Revocation.Store alone", withStore(Config{Keys: KeyConfig{SecretKey: testSecret}}), true, nil},
		{"Revocation.Store and Revocation.Enabled", withStore(Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Enabled: true}}), true, nil},
		{"LoadEnv then Revocation.Store (README snippet)", withStore(env()), true, nil},
		{"env true then Revocation.Store", withStore(env("AUTHJWT_DENYLIST_ENABLED=true")), true, nil},
		{"env empty then Revocation.Store", withStore(env("AUTHJWT_DENYLIST_ENABLED=")), true, nil},
		{"env false without Revocation.Store", env("AUTHJWT_DENYLIST_ENABLED=false"), false, nil},
		{"env false then Revocation.Store", withStore(env("AUTHJWT_DENYLIST_ENABLED=false")), false,
			[]string{"authjwt: AUTHJWT_DENYLIST_ENABLED: is false, but a Revocation.Store", "Revocation.Store"}},
		{"env 0 then Revocation.Store", withStore(env("AUTHJWT_DENYLIST_ENABLED=0")), false,
			[]string{"AUTHJWT_DENYLIST_ENABLED", "Revocation.Store"}},
		{"neither", Config{Keys: KeyConfig{SecretKey: testSecret}}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.cfg)
			if tt.refused != nil {
				if err == nil {
					t.Fatal("New accepted a Revocation.Store with the denylist explicitly off")
				}
				for _, s := range tt.refused {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("New: %v; want it to mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Config().Revocation.Enabled; got != tt.enabled {
				t.Fatalf("Revocation.Enabled = %v, want %v", got, tt.enabled)
			}
			tok := must(a.Verify(ctx, must(a.CreateAccessToken("alice")), Requirement{}))
			err = a.Revoke(ctx, tok)
			if !tt.enabled {
				if !errors.Is(err, ErrRevocationDisabled) {
					t.Fatalf("Revoke without a denylist = %v, want ErrRevocationDisabled", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Verify(ctx, tok.Raw(), Requirement{}); !errors.Is(err, ErrTokenRevoked) {
				t.Fatalf("revoked token: Verify = %v, want ErrTokenRevoked", err)
			}
		})
	}
}

// TestRevokeDisabled (issue 15, item 3): a revocation that verification
// would never consult fails with ErrRevocationDisabled (501) and records
// nothing, instead of returning nil for a token that keeps working.
func TestRevokeDisabled(t *testing.T) {
	ctx := context.Background()
	type call int
	const (
		revokeAccess call = iota
		revokeRefresh
		familyOfAccess
		familyOfRefresh
		subject
	)
	names := map[call]string{revokeAccess: "Revoke(access)", revokeRefresh: "Revoke(refresh)",
		familyOfAccess: "RevokeFamily(access)", familyOfRefresh: "RevokeFamily(refresh)", subject: "RevokeSubject"}
	tests := []struct {
		name     string
		noStore  bool
		checks   []string
		disabled map[call]bool // the calls that must fail; the others succeed
	}{
		{"no store", true, nil, map[call]bool{revokeAccess: true, revokeRefresh: true, familyOfAccess: true, familyOfRefresh: true, subject: true}},
		{"no type checked", false, []string{}, map[call]bool{revokeAccess: true, revokeRefresh: true, familyOfAccess: true, familyOfRefresh: true, subject: true}},
		// A family or a subject holds both types: one checked type is
		// enough for the revocation to take effect.
		{"refresh only", false, []string{TypeRefresh}, map[call]bool{revokeAccess: true}},
		{"access only", false, []string{TypeAccess}, map[call]bool{revokeRefresh: true}},
		{"both", false, nil, map[call]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for c := revokeAccess; c <= subject; c++ {
				mem := revoke.NewMemory(revoke.WithSweepInterval(0))
				cfg := Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Checks: tt.checks}}
				if !tt.noStore {
					cfg.Revocation.Store = mem
				}
				a := mustNew(t, cfg)
				p := must(a.CreatePair("alice"))
				at := must(a.Verify(ctx, p.AccessToken, Requirement{}))
				rt := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
				var err error
				switch c {
				case revokeAccess:
					err = a.Revoke(ctx, at)
				case revokeRefresh:
					err = a.Revoke(ctx, rt)
				case familyOfAccess:
					err = a.RevokeFamily(ctx, at)
				case familyOfRefresh:
					err = a.RevokeFamily(ctx, rt)
				case subject:
					err = a.RevokeSubject(ctx, "", "alice")
				}
				if !tt.disabled[c] {
					if err != nil {
						t.Errorf("%s: %v", names[c], err)
					}
					continue
				}
				var e *Error
				if !errors.Is(err, ErrRevocationDisabled) || !errors.As(err, &e) || e.Status != 501 || e.Code != "revocation_disabled" {
					t.Errorf("%s = %v, want ErrRevocationDisabled (501 revocation_disabled)", names[c], err)
					continue
				}
				if n := mem.Len(); n != 0 {
					t.Errorf("%s failed but recorded %d entries", names[c], n)
				}
			}
		})
	}
}

// TestRotationNeedsRefreshChecked: reuse detection revokes the family, which
// must then stop the refresh tokens of the chain; a configuration leaving
// refresh tokens unchecked could not, and is refused at New.
func TestRotationNeedsRefreshChecked(t *testing.T) {
	_, err := New(Config{
		Keys: KeyConfig{SecretKey: testSecret},
		Revocation: RevocationConfig{
			Store:    revoke.NewMemory(),
			Rotation: true,
			Checks:   []string{TypeAccess},
		},
	})
	if err == nil || !strings.Contains(err.Error(), "Revocation.Rotation") || !strings.Contains(err.Error(), "Revocation.Checks") {
		t.Fatalf("New = %v, want an error naming Revocation.Rotation and Revocation.Checks", err)
	}
}

// lateStore answers as a store does when the query reaches it a while
// after the verifier read its clock: it advances the shared clock first.
type lateStore struct {
	*revoke.Memory
	clk   *clock
	delay time.Duration
}

func (s lateStore) IsRevoked(ctx context.Context, q revoke.Query) (bool, error) {
	s.clk.Add(s.delay)
	defer s.clk.Add(-s.delay)
	return s.Memory.IsRevoked(ctx, q)
}

// TestRevocationRetention (issue 15, item 1): a revocation entry lives as
// long as the verifier could accept the token it refuses: exp plus
// Claims.DecodeLeeway rounded up to whole seconds, plus Revocation.Timeout for the
// query that reaches the store late. Before, entries ended at exp, and
// revoked tokens were accepted again for the whole leeway.
func TestRevocationRetention(t *testing.T) {
	ctx := context.Background()
	type target int
	const (
		accessTok target = iota
		refreshTok
	)
	tests := []struct {
		name   string
		leeway time.Duration
		delay  time.Duration // how late the store sees the query
		revoke func(a *Auth, at, rt *Token) error
		check  target // the token that must stay refused
	}{
		{"Revoke access", 2 * time.Second, 0, func(a *Auth, at, rt *Token) error { return a.Revoke(ctx, at) }, accessTok},
		{"Revoke refresh", 2 * time.Second, 0, func(a *Auth, at, rt *Token) error { return a.Revoke(ctx, rt) }, refreshTok},
		{"Revoke, fractional leeway", 1500 * time.Millisecond, 0, func(a *Auth, at, rt *Token) error { return a.Revoke(ctx, at) }, accessTok},
		{"Revoke, no leeway, late store", 0, 1900 * time.Millisecond, func(a *Auth, at, rt *Token) error { return a.Revoke(ctx, at) }, accessTok},
		{"RevokeFamily via access, refresh refused", 2 * time.Second, 0, func(a *Auth, at, rt *Token) error { return a.RevokeFamily(ctx, at) }, refreshTok},
		{"RevokeFamily via refresh, access refused", 2 * time.Second, 0, func(a *Auth, at, rt *Token) error { return a.RevokeFamily(ctx, rt) }, accessTok},
		{"RevokeFamily, late store", 2 * time.Second, 1900 * time.Millisecond, func(a *Auth, at, rt *Token) error { return a.RevokeFamily(ctx, at) }, refreshTok},
		{"RevokeSubject", 2 * time.Second, 0, func(a *Auth, at, rt *Token) error { return a.RevokeSubject(ctx, "", "alice") }, refreshTok},
		{"RevokeSubject, late store", 2 * time.Second, 1900 * time.Millisecond, func(a *Auth, at, rt *Token) error { return a.RevokeSubject(ctx, "", "alice") }, refreshTok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			clk.Add(123456789 * time.Nanosecond) // not on a second
			mem := revoke.NewMemory(revoke.WithClock(clk.Now), revoke.WithSweepInterval(0))
			a := mustNew(t, Config{
				Keys: KeyConfig{SecretKey: testSecret},
				Now:  clk.Now,
				Claims: ClaimsConfig{
					DecodeLeeway: tt.leeway,
				},
				Expiry: ExpiryConfig{
					Access:  10 * time.Minute,
					Refresh: time.Hour,
				},
				Revocation: RevocationConfig{
					Store: lateStore{mem, clk, tt.delay},
				},
			})
			p := must(a.CreatePair("alice"))
			at := must(a.Verify(ctx, p.AccessToken, Requirement{}))
			rt := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
			clk.Add(time.Second)
			if err := tt.revoke(a, at, rt); err != nil {
				t.Fatal(err)
			}
			tok, req := at, Requirement{}
			if tt.check == refreshTok {
				tok, req = rt, Requirement{Refresh: true}
			}
			// The last instant the verifier accepts the token by time.
			last := tok.ExpiresAt().Add(time.Duration(a.leeway)*time.Second - time.Nanosecond)
			clk.Add(last.Sub(clk.Now()))
			if _, err := a.Verify(ctx, tok.Raw(), req); !errors.Is(err, ErrTokenRevoked) {
				t.Fatalf("at exp+leeway-1ns: Verify = %v, want ErrTokenRevoked", err)
			}
			clk.Add(time.Nanosecond)
			if _, err := a.Verify(ctx, tok.Raw(), req); !errors.Is(err, ErrTokenExpired) {
				t.Fatalf("at exp+leeway: Verify = %v, want ErrTokenExpired", err)
			}
		})
	}
}

// tickingClock advances by step at every reading, like a real clock seen
// by a fast program, from a chosen instant.
type tickingClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// TestLogoutEverywhereThenLogin (issue 15, item 4): RevokeSubject refuses
// every token issued before it and none issued after it returns, even in
// the same second (the change-password flow: log out everywhere, then log
// in again). Before, the cutoff was truncated to the second and a pair
// issued in the same second after it was dead for its whole life.
func TestLogoutEverywhereThenLogin(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, a *Auth, old, fresh Pair) {
		t.Helper()
		for _, raw := range []string{old.AccessToken, old.RefreshToken} {
			if _, err := a.Verify(ctx, raw, Requirement{Refresh: raw == old.RefreshToken}); !errors.Is(err, ErrTokenRevoked) {
				t.Fatalf("token issued before the cutoff: %v, want ErrTokenRevoked", err)
			}
		}
		if _, err := a.Verify(ctx, fresh.AccessToken, Requirement{}); err != nil {
			t.Fatalf("access token of the login after the cutoff: %v", err)
		}
		if _, err := a.Verify(ctx, fresh.RefreshToken, Requirement{Refresh: true}); err != nil {
			t.Fatalf("refresh token of the login after the cutoff: %v", err)
		}
	}
	t.Run("real clock", func(t *testing.T) {
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Store: revoke.NewMemory()}})
		for i := range 20 {
			sub := "alice-" + strconv.Itoa(i)
			old := must(a.CreatePair(sub))
			if err := a.RevokeSubject(ctx, "", sub); err != nil {
				t.Fatal(err)
			}
			check(t, a, old, must(a.CreatePair(sub)))
		}
	})
	for _, at := range []time.Duration{0, 500 * time.Millisecond, 998 * time.Millisecond, 999*time.Millisecond + 990*time.Microsecond} {
		t.Run("clock at +"+at.String(), func(t *testing.T) {
			clk := &tickingClock{t: time.Unix(1_800_000_000, 0).Add(at), step: 100 * time.Microsecond}
			a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, Revocation: RevocationConfig{Store: revoke.NewMemory(revoke.WithClock(clk.Now))}})
			old := must(a.CreatePair("alice"))
			if err := a.RevokeSubject(ctx, "", "alice"); err != nil {
				t.Fatal(err)
			}
			check(t, a, old, must(a.CreatePair("alice")))
		})
	}
	t.Run("after ending a family", func(t *testing.T) {
		clk := &tickingClock{t: time.Unix(1_800_000_000, 0), step: 100 * time.Microsecond}
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, Revocation: RevocationConfig{Store: revoke.NewMemory(revoke.WithClock(clk.Now))}})
		old := must(a.CreatePair("alice"))
		if err := a.RevokeFamily(ctx, must(a.Verify(ctx, old.AccessToken, Requirement{}))); err != nil {
			t.Fatal(err)
		}
		check(t, a, old, must(a.CreatePair("alice")))
	})

	// Tokens that do not say their millisecond: an integer iat without a
	// UUID v7 jti (the seed's, a provider's), or a v7 jti whose time is
	// not in iat's second, compare by the whole second, refused throughout
	// the cutoff's second: the safe side.
	t.Run("whole-second tokens", func(t *testing.T) {
		clk := newClock()
		base := clk.Now().Unix()
		clk.Add(500 * time.Millisecond)
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, Revocation: RevocationConfig{Store: revoke.NewMemory(revoke.WithClock(clk.Now))}})
		if err := a.RevokeSubject(ctx, "", "alice"); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Second) // the tokens below are all in the past
		mint := func(iat string, jti string) string {
			return signHS256(testSecret, `{"alg":"HS256","typ":"JWT"}`,
				`{"sub":"alice","iat":`+iat+`,"jti":"`+jti+`","exp":`+strconv.FormatInt(base+900, 10)+`,"type":"access","fresh":false}`)
		}
		v7 := func(ms int64) string {
			return string(appendUUIDv7(nil, time.UnixMilli(ms)))
		}
		sec := strconv.FormatInt(base, 10)
		next := strconv.FormatInt(base+1, 10)
		tests := []struct {
			name    string
			tok     string
			revoked bool
		}{
			{"integer iat, uuid4 jti, the cutoff's second", mint(sec, "0b6f3f0e-4c1d-4a7b-9c2e-5d6f7a8b9c0d"), true},
			{"integer iat, uuid4 jti, the next second", mint(next, "0b6f3f0e-4c1d-4a7b-9c2e-5d6f7a8b9c0d"), false},
			{"integer iat, v7 jti after the cutoff", mint(sec, v7(base*1000+501)), false},
			{"integer iat, v7 jti at the cutoff", mint(sec, v7(base*1000+500)), true},
			{"integer iat, v7 jti of another second", mint(sec, v7((base+5)*1000)), true},
			{"fractional iat after the cutoff", mint(sec+".501", "x"), false},
			{"fractional iat at the cutoff", mint(sec+".5009", "x"), true},
		}
		for _, tt := range tests {
			_, err := a.Verify(ctx, tt.tok, Requirement{})
			if tt.revoked != errors.Is(err, ErrTokenRevoked) || !tt.revoked && err != nil {
				t.Errorf("%s: Verify = %v, want revoked=%v", tt.name, err, tt.revoked)
			}
		}
	})
}
