package authjwt

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/librenz/authjwt/revoke"
)

// TestStoreImpliesDenylist (issue 15, item 3): a configured Store is
// consulted. Config{Store: …} without DenylistEnabled used to accept
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
	withStore := func(c Config) Config { c.Store = revoke.NewMemory(revoke.WithSweepInterval(0)); return c }
	tests := []struct {
		name    string
		cfg     Config
		enabled bool
		refused []string // substrings of New's error; nil when accepted
	}{
		{"Store alone", withStore(Config{SecretKey: testSecret}), true, nil},
		{"Store and DenylistEnabled", withStore(Config{SecretKey: testSecret, DenylistEnabled: true}), true, nil},
		{"LoadEnv then Store (README snippet)", withStore(env()), true, nil},
		{"env true then Store", withStore(env("AUTHJWT_DENYLIST_ENABLED=true")), true, nil},
		{"env empty then Store", withStore(env("AUTHJWT_DENYLIST_ENABLED=")), true, nil},
		{"env false without Store", env("AUTHJWT_DENYLIST_ENABLED=false"), false, nil},
		{"env false then Store", withStore(env("AUTHJWT_DENYLIST_ENABLED=false")), false,
			[]string{"authjwt: AUTHJWT_DENYLIST_ENABLED: is false, but a Store", "Store"}},
		{"env 0 then Store", withStore(env("AUTHJWT_DENYLIST_ENABLED=0")), false,
			[]string{"AUTHJWT_DENYLIST_ENABLED", "Store"}},
		{"neither", Config{SecretKey: testSecret}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.cfg)
			if tt.refused != nil {
				if err == nil {
					t.Fatal("New accepted a Store with the denylist explicitly off")
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
			if got := a.Config().DenylistEnabled; got != tt.enabled {
				t.Fatalf("DenylistEnabled = %v, want %v", got, tt.enabled)
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
				cfg := Config{SecretKey: testSecret, DenylistTokenChecks: tt.checks}
				if !tt.noStore {
					cfg.Store = mem
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
	_, err := New(Config{SecretKey: testSecret, Store: revoke.NewMemory(), RefreshTokenRotation: true,
		DenylistTokenChecks: []string{TypeAccess}})
	if err == nil || !strings.Contains(err.Error(), "RefreshTokenRotation") || !strings.Contains(err.Error(), "DenylistTokenChecks") {
		t.Fatalf("New = %v, want an error naming RefreshTokenRotation and DenylistTokenChecks", err)
	}
}
