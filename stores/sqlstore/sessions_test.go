package sqlstore_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// sqlSession is a session of sub under the issuer "iss".
func sqlSession(sub, id string, created, expires time.Time) revoke.Session {
	return revoke.Session{ID: id, Issuer: "iss", Subject: sub, CreatedAt: created, LastUsedAt: created, Expires: expires, UserAgent: "test"}
}

func sessionIDs(t *testing.T, s *sqlstore.Store, sub string) []string {
	t.Helper()
	page, err := s.ListSessions(context.Background(), "iss", sub, revoke.SessionCursor{}, revoke.MaxSessionPage)
	must(t, err)
	var ids []string
	for _, x := range page {
		ids = append(ids, x.ID)
	}
	return ids
}

// TestSessionsSQL checks what the conformance suite cannot see from
// outside: byte order of ids whatever the database's collation, hidden
// sessions deleted by the next login, expired ones by DeleteExpired.
func TestSessionsSQL(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			ctx := context.Background()

			t.Run("ByteOrderOfIDs", func(t *testing.T) {
				// A locale collation (en_US) sorts a < B; bytes say B < a.
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				if b.dialect == sqlstore.Postgres {
					// The test database's collation may be C already: give
					// the column a locale one, which the queries must override.
					var icu bool
					must(t, db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')`).Scan(&icu))
					if icu {
						_, err := db.ExecContext(ctx, "ALTER TABLE "+s.TablePrefix()+`sessions ALTER COLUMN id TYPE TEXT COLLATE "und-x-icu"`)
						must(t, err)
					} else {
						t.Log("no ICU collation: checking the order under the database's own collation only")
					}
				}
				at := time.Now()
				for _, id := range []string{"a", "B", "b", "A", "a ", "é", "z"} {
					_, err := s.CreateSession(ctx, sqlSession("u", id, at, at.Add(time.Hour)), 0)
					must(t, err)
				}
				if got, want := strings.Join(sessionIDs(t, s, "u"), ","), "é,z,b,a ,a,B,A"; got != want {
					t.Errorf("sessions %s, want %s (id descending, byte order)", got, want)
				}
				page, err := s.ListSessions(ctx, "iss", "u", revoke.SessionCursor{CreatedAt: at, ID: "a"}, 10)
				must(t, err)
				if len(page) != 2 || page[0].ID != "B" || page[1].ID != "A" {
					t.Errorf("after (at, \"a\"): %v, want B, A", page)
				}
			})

			t.Run("HiddenDeletedByTheNextLogin", func(t *testing.T) {
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
				hour := time.Now().Add(time.Hour)
				for i := range 20 {
					_, err := s.CreateSession(ctx, sqlSession("u", "s"+strconv.Itoa(i), base.Add(time.Duration(i)*time.Millisecond), hour), 0)
					must(t, err)
				}
				for i := range 10 {
					must(t, s.RevokeFamily(ctx, "s"+strconv.Itoa(i), hour))
				}
				must(t, s.RevokeSubject(ctx, "iss", "u", base.Add(14*time.Millisecond), hour))
				tab := s.TablePrefix() + "sessions"
				if n := count(t, db, tab); n != 20 {
					t.Fatalf("%d rows before the next login, want 20", n)
				}
				if ids := sessionIDs(t, s, "u"); len(ids) != 5 || ids[0] != "s19" || ids[4] != "s15" {
					t.Fatalf("listed %v, want s19 … s15", ids)
				}
				_, err := s.CreateSession(ctx, sqlSession("u", "new", time.Now(), hour), 0)
				must(t, err)
				if n := count(t, db, tab); n != 6 {
					t.Errorf("%d rows after the next login, want 6 (hidden ones deleted)", n)
				}
			})

			t.Run("IssuerSubjectLimit", func(t *testing.T) {
				// The store's own limit beside revoke.Session.Validate:
				// issuer and subject at most MaxIDLen bytes, as for cutoffs.
				s := newStore(t, db, b.dialect, sqlstore.Options{})
				long := strings.Repeat("x", sqlstore.MaxIDLen)
				x := sqlSession(long, "s1", time.Now(), time.Now().Add(time.Hour))
				x.Issuer = long
				_, err := s.CreateSession(ctx, x, 0)
				must(t, err)
				if _, err := s.GetSession(ctx, long, long, "s1"); err != nil {
					t.Errorf("GetSession of the longest issuer and subject: %v", err)
				}
				for _, mut := range []func(*revoke.Session){
					func(y *revoke.Session) { y.Issuer += "x" },
					func(y *revoke.Session) { y.Subject += "x" },
				} {
					y := x
					y.ID = "s2"
					mut(&y)
					if _, err := s.CreateSession(ctx, y, 0); err == nil {
						t.Errorf("CreateSession with issuer of %d and subject of %d bytes: no error", len(y.Issuer), len(y.Subject))
					}
				}
			})

			t.Run("DeleteExpired", func(t *testing.T) {
				clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
				s := newStore(t, db, b.dialect, sqlstore.Options{Now: clk.Now})
				_, err := s.CreateSession(ctx, sqlSession("u", "soon", clk.Now(), clk.Now().Add(time.Minute)), 0)
				must(t, err)
				_, err = s.CreateSession(ctx, sqlSession("u", "forever", clk.Now(), revoke.Forever), 0)
				must(t, err)
				clk.Add(time.Minute)
				n, err := s.DeleteExpired(ctx)
				must(t, err)
				if n != 1 {
					t.Errorf("DeleteExpired removed %d rows, want the expired session", n)
				}
				if ids := sessionIDs(t, s, "u"); len(ids) != 1 || ids[0] != "forever" {
					t.Errorf("sessions %v after DeleteExpired, want [forever]", ids)
				}
			})
		})
	}
}
