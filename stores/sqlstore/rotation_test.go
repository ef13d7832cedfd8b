package sqlstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke/storetest"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// TestRotationRetry: concurrent retries of one refresh token within the
// grace window get one successor, recorded atomically with the consume,
// on every dialect.
func TestRotationRetry(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			storetest.RunRotationRetry(t, newStore(t, b.open(t), b.dialect, sqlstore.Options{}))
		})
	}
}

// TestSuccessorColumnAdded: a consumed table created before successors
// were recorded (id, used_at, expires_at) gets the successor column from
// CreateTables, keeps its marks, and CreateTables stays idempotent.
func TestSuccessorColumnAdded(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			prefix := uniquePrefix()
			idType, intType := "TEXT", "BIGINT"
			if b.dialect == sqlstore.MySQL {
				idType = "VARBINARY(512)"
			}
			ctx := context.Background()
			old := "CREATE TABLE " + prefix + "consumed (id " + idType + " NOT NULL PRIMARY KEY, used_at " + intType + " NOT NULL, expires_at " + intType + " NOT NULL)"
			if _, err := db.ExecContext(ctx, old); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+prefix+"consumed") })
			now := time.Now()
			ins := "INSERT INTO " + prefix + "consumed (id, used_at, expires_at) VALUES ('old-jti', " +
				strconv.FormatInt(now.UnixMilli(), 10) + ", " + strconv.FormatInt(now.Add(time.Hour).UnixMilli(), 10) + ")"
			if _, err := db.ExecContext(ctx, ins); err != nil {
				t.Fatal(err)
			}
			s := newStore(t, db, b.dialect, sqlstore.Options{TablePrefix: prefix})
			must(t, s.CreateTables(ctx))
			first, _, rec, err := s.ConsumeWithSuccessor(ctx, "old-jti", "s", now.Add(time.Hour))
			if err != nil || first || rec != "" {
				t.Fatalf("the old mark after migration: first=%v recorded=%q err=%v; want false, \"\", nil", first, rec, err)
			}
			first, _, rec, err = s.ConsumeWithSuccessor(ctx, "new-jti", "succ", now.Add(time.Hour))
			if err != nil || !first || rec != "succ" {
				t.Fatalf("a new mark: first=%v recorded=%q err=%v", first, rec, err)
			}
			if _, _, rec, err = s.ConsumeWithSuccessor(ctx, "new-jti", "other", now.Add(time.Hour)); err != nil || rec != "succ" {
				t.Fatalf("the new mark again: recorded=%q err=%v, want \"succ\"", rec, err)
			}
		})
	}
}
