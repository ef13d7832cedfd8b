package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// replicaAuth is an instance with a local replica (Revocation.MaxStaleness)
// of the store on db under prefix.
func replicaAuth(t *testing.T, db *sql.DB, d sqlstore.Dialect, prefix string, bound time.Duration) *authjwt.Auth {
	t.Helper()
	s, err := sqlstore.New(db, sqlstore.Options{Dialect: d, TablePrefix: prefix})
	must(t, err)
	a, err := authjwt.New(authjwt.Config{
		Keys: authjwt.KeyConfig{SecretKey: "sqlstore-replica-test-0123456789abcdef"},
		Revocation: authjwt.RevocationConfig{
			Store:        s,
			MaxStaleness: bound,
			Timeout:      2 * time.Second,
		},
	})
	must(t, err)
	t.Cleanup(func() {
		a.Close()
		s.Close()
	})
	return a
}

// TestReplicaAcrossInstances: three instances with replicas on one
// database, each with a *sql.DB of its own (SQLite: one file). A
// revocation made on one is refused by the two others within the bound,
// through the change feed alone (the replicas never ask the store on a
// check): through NOTIFY on PostgreSQL, by polling every bound/4
// elsewhere. It reports the propagation times.
func TestReplicaAcrossInstances(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			const bound = time.Second
			db := b.open(t)
			prefix := newStore(t, db, b.dialect, sqlstore.Options{}).TablePrefix()
			dbs := []*sql.DB{db, db, db}
			if b.dialect != sqlstore.SQLite {
				dbs[1], dbs[2] = b.open(t), b.open(t)
			}
			var inst []*authjwt.Auth
			for _, d := range dbs {
				inst = append(inst, replicaAuth(t, d, b.dialect, prefix, bound))
			}
			ctx := context.Background()
			n := 60
			if b.dialect != sqlstore.Postgres {
				n = 15 // each takes up to bound/4
			}
			var lat []time.Duration
			for i := range n {
				a := inst[i%3]
				tok, err := a.CreateAccessToken(fmt.Sprintf("user-%d", i))
				must(t, err)
				v, err := a.Verify(ctx, tok, authjwt.Requirement{})
				must(t, err)
				for _, o := range inst {
					if _, err := o.Verify(ctx, tok, authjwt.Requirement{}); err != nil {
						t.Fatalf("before the revocation: %v", err)
					}
				}
				switch i % 3 {
				case 0:
					must(t, a.Revoke(ctx, v))
				case 1:
					must(t, a.RevokeFamily(ctx, v))
				default:
					must(t, a.RevokeSubject(ctx, "", v.Subject()))
				}
				revoked := time.Now()
				for _, o := range []*authjwt.Auth{inst[(i+1)%3], inst[(i+2)%3]} {
					for {
						_, err := o.Verify(ctx, tok, authjwt.Requirement{})
						if errors.Is(err, authjwt.ErrTokenRevoked) {
							break
						}
						if err != nil {
							t.Fatalf("revocation %d: %v", i, err)
						}
						if time.Since(revoked) > bound {
							t.Fatalf("revocation %d still accepted %v after it returned (bound %v)", i, time.Since(revoked), bound)
						}
						time.Sleep(time.Millisecond)
					}
					lat = append(lat, time.Since(revoked))
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			t.Logf("%d revocations, seen by both other instances: p50 %v, p99 %v, max %v",
				n, lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
		})
	}
}
