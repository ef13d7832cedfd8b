package redisstore_test

// Revocation shared with a libre-fastapi-jwt (seed) service (issue 17,
// item 6; docs/migrating-from-libre-fastapi-jwt.md). The seed's denylist
// is its token_in_denylist_loader callback; the guide's loader reads this
// store's keys, and the seed's logout writes them. seedLoader and
// seedLogout below do, with raw Redis commands, exactly what the guide's
// Python does, so that a logout on either side holds on both.

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/stores/redisstore"
	"github.com/redis/go-redis/v9"
)

// seedLoader is the guide's token_in_denylist_loader: the token is revoked
// when <prefix>t:<jti> or <prefix>f:<aid> exists.
func seedLoader(ctx context.Context, c *redis.Client, prefix string, claims map[string]any) (bool, error) {
	keys := []string{prefix + "t:" + claims["jti"].(string)}
	if aid, ok := claims["aid"].(string); ok {
		keys = append(keys, prefix+"f:"+aid)
	}
	n, err := c.Exists(ctx, keys...).Result()
	return n > 0, err
}

// seedLogout is the guide's seed-side logout: SET <prefix>t:<jti> and
// <prefix>f:<aid> to the expiry in Unix ms, with a time to live until it.
func seedLogout(ctx context.Context, c *redis.Client, prefix string, claims map[string]any, familyTTL time.Duration, now time.Time) error {
	exp := time.Unix(int64(claims["exp"].(float64)), 0)
	if err := c.Set(ctx, prefix+"t:"+claims["jti"].(string), strconv.FormatInt(exp.UnixMilli(), 10), exp.Sub(now)).Err(); err != nil {
		return err
	}
	famExp := now.Add(familyTTL)
	return c.Set(ctx, prefix+"f:"+claims["aid"].(string), strconv.FormatInt(famExp.UnixMilli(), 10), familyTTL).Err()
}

func TestSeedSharesRevocations(t *testing.T) {
	c := sharedRedis(t)
	ctx := context.Background()
	p := uniquePrefix("seed")
	cleanPrefix(t, c, p)
	auth, err := authjwt.New(authjwt.Config{
		Compat: authjwt.CompatLibreFastAPIJWT,
		Keys:   authjwt.KeyConfig{SecretKey: "a-secret-shared-with-the-seed-service-0123"},
		Revocation: authjwt.RevocationConfig{
			Enabled: true,
			Store:   redisstore.New(c, redisstore.Options{Prefix: p}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(raw string, refresh bool) (*authjwt.Token, error) {
		return auth.Verify(ctx, raw, authjwt.Requirement{Refresh: refresh})
	}
	claimsOf := func(raw string, refresh bool) map[string]any {
		t.Helper()
		tok, err := verify(raw, refresh)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := tok.Claims()
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		if n, ok := out["exp"].(interface{ Float64() (float64, error) }); ok {
			f, _ := n.Float64()
			out["exp"] = f
		}
		return out
	}

	t.Run("logout at authjwt holds at the seed", func(t *testing.T) {
		pair, err := auth.CreatePair("alice")
		if err != nil {
			t.Fatal(err)
		}
		at, rt := claimsOf(pair.AccessToken, false), claimsOf(pair.RefreshToken, true)
		for _, cl := range []map[string]any{at, rt} {
			if revoked, err := seedLoader(ctx, c, p, cl); err != nil || revoked {
				t.Fatalf("before logout the seed's loader says %v, %v", revoked, err)
			}
		}
		tok, _ := verify(pair.AccessToken, false)
		if err := auth.RevokeFamily(ctx, tok); err != nil { // authjwt's logout
			t.Fatal(err)
		}
		for name, cl := range map[string]map[string]any{"access": at, "refresh": rt} {
			if revoked, err := seedLoader(ctx, c, p, cl); err != nil || !revoked {
				t.Errorf("after authjwt's logout the seed's loader accepts the %s token: %v, %v", name, revoked, err)
			}
		}
	})

	t.Run("logout at the seed holds at authjwt", func(t *testing.T) {
		pair, err := auth.CreatePair("bob")
		if err != nil {
			t.Fatal(err)
		}
		at := claimsOf(pair.AccessToken, false)
		if err := seedLogout(ctx, c, p, at, auth.Config().Expiry.Refresh, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := verify(pair.AccessToken, false); !errors.Is(err, authjwt.ErrTokenRevoked) {
			t.Errorf("access token after the seed's logout: %v", err)
		}
		if _, err := verify(pair.RefreshToken, true); !errors.Is(err, authjwt.ErrTokenRevoked) {
			t.Errorf("refresh token (same aid) after the seed's logout: %v", err)
		}
	})
}
