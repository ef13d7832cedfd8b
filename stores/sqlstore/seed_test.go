package sqlstore_test

// Revocation shared with a libre-fastapi-jwt (seed) service through SQL
// (issue 17, item 6; docs/migrating-from-libre-fastapi-jwt.md): the seed's
// token_in_denylist_loader reads the tokens and families tables, and the
// seed's logout inserts into them. seedLoader and seedLogout run the
// guide's SQL, as the seed's Python would.

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// bind writes the guide's ? placeholders as the dialect wants them.
func bind(d sqlstore.Dialect, q string) string {
	if d != sqlstore.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$")
			b.WriteString(string(rune('0' + n)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// seedLoader is the guide's loader: revoked when a live row names the
// token's jti in <prefix>tokens or its aid in <prefix>families.
func seedLoader(ctx context.Context, db *sql.DB, d sqlstore.Dialect, prefix, jti, aid string, now time.Time) (bool, error) {
	q := bind(d, "SELECT COUNT(*) FROM "+prefix+"tokens WHERE id = ? AND expires_at > ?")
	var n int
	if err := db.QueryRowContext(ctx, q, jti, now.UnixMilli()).Scan(&n); err != nil || n > 0 {
		return n > 0, err
	}
	q = bind(d, "SELECT COUNT(*) FROM "+prefix+"families WHERE id = ? AND expires_at > ?")
	err := db.QueryRowContext(ctx, q, aid, now.UnixMilli()).Scan(&n)
	return n > 0, err
}

// seedLogout is the guide's seed-side logout: one row per revoked jti and
// aid, with its expiry in Unix ms.
func seedLogout(ctx context.Context, db *sql.DB, d sqlstore.Dialect, prefix, jti, aid string, tokenExp, familyExp time.Time) error {
	if _, err := db.ExecContext(ctx, bind(d, "INSERT INTO "+prefix+"tokens (id, expires_at) VALUES (?, ?)"), jti, tokenExp.UnixMilli()); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, bind(d, "INSERT INTO "+prefix+"families (id, expires_at) VALUES (?, ?)"), aid, familyExp.UnixMilli())
	return err
}

func TestSeedSharesRevocations(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			ctx := context.Background()
			prefix := uniquePrefix()
			store := newStore(t, db, b.dialect, sqlstore.Options{TablePrefix: prefix})
			auth, err := authjwt.New(authjwt.Config{
				Compat: authjwt.CompatLibreFastAPIJWT,
				Keys:   authjwt.KeyConfig{SecretKey: "a-secret-shared-with-the-seed-service-0123"},
				Revocation: authjwt.RevocationConfig{
					Enabled: true,
					Store:   store,
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			// authjwt's logout, read by the seed.
			p1, _ := auth.CreatePair("alice")
			at, err := auth.Verify(ctx, p1.AccessToken, authjwt.Requirement{})
			if err != nil {
				t.Fatal(err)
			}
			rt, err := auth.Verify(ctx, p1.RefreshToken, authjwt.Requirement{Refresh: true})
			if err != nil {
				t.Fatal(err)
			}
			if revoked, err := seedLoader(ctx, db, b.dialect, prefix, rt.JTI(), rt.Family(), time.Now()); err != nil || revoked {
				t.Fatalf("before logout: %v, %v", revoked, err)
			}
			if err := auth.RevokeFamily(ctx, at); err != nil {
				t.Fatal(err)
			}
			for _, tok := range []*authjwt.Token{at, rt} {
				if revoked, err := seedLoader(ctx, db, b.dialect, prefix, tok.JTI(), tok.Family(), time.Now()); err != nil || !revoked {
					t.Errorf("after authjwt's logout the seed accepts the %s token: %v, %v", tok.Type(), revoked, err)
				}
			}
			// The seed's logout, read by authjwt.
			p2, _ := auth.CreatePair("bob")
			at2, err := auth.Verify(ctx, p2.AccessToken, authjwt.Requirement{})
			if err != nil {
				t.Fatal(err)
			}
			if err := seedLogout(ctx, db, b.dialect, prefix, at2.JTI(), at2.Family(), at2.ExpiresAt(), time.Now().Add(auth.Config().Expiry.Refresh)); err != nil {
				t.Fatal(err)
			}
			if _, err := auth.Verify(ctx, p2.AccessToken, authjwt.Requirement{}); !errors.Is(err, authjwt.ErrTokenRevoked) {
				t.Errorf("access token after the seed's logout: %v", err)
			}
			if _, err := auth.Verify(ctx, p2.RefreshToken, authjwt.Requirement{Refresh: true}); !errors.Is(err, authjwt.ErrTokenRevoked) {
				t.Errorf("refresh token (same aid) after the seed's logout: %v", err)
			}
		})
	}
}
