package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/internal/tcpproxy"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// viaProxy returns dsn with its server's address replaced by a proxy of
// the test's own, and the proxy.
func viaProxy(t *testing.T, d sqlstore.Dialect, dsn string) (string, *tcpproxy.Proxy) {
	t.Helper()
	switch d {
	case sqlstore.Postgres:
		u, err := url.Parse(dsn)
		must(t, err)
		p, err := tcpproxy.Start(u.Host)
		must(t, err)
		t.Cleanup(func() { p.Close() })
		u.Host = p.Addr()
		return u.String(), p
	default:
		i, j := strings.Index(dsn, "tcp("), strings.Index(dsn, ")/")
		if i < 0 || j < i {
			t.Fatalf("DSN %q has no tcp(HOST:PORT)", dsn)
		}
		p, err := tcpproxy.Start(dsn[i+4 : j])
		must(t, err)
		t.Cleanup(func() { p.Close() })
		return dsn[:i+4] + p.Addr() + dsn[j:], p
	}
}

// TestReplicaPartition cuts one instance's link to the database (a proxy
// of the test's own, blackholed, then cut) while another keeps revoking:
// the cut-off instance answers 503 no later than the bound after its last
// proof of freshness, never accepts a token revoked on the other more
// than the bound earlier, and recovers without a restart when the link
// returns, refusing every token revoked meanwhile (issue 20, item 3, at
// the store's level; PostgreSQL's listener reconnects too).
func TestReplicaPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("partitions for seconds")
	}
	const bound = 500 * time.Millisecond
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dbA := b.open(t)
			prefix := newStore(t, dbA, b.dialect, sqlstore.Options{}).TablePrefix()
			dsn := envOr("AUTHJWT_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
			driver := "pgx"
			if b.dialect == sqlstore.MySQL {
				dsn, driver = envOr("AUTHJWT_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test?parseTime=true"), "mysql"
			}
			proxied, proxy := viaProxy(t, b.dialect, dsn)
			dbB, err := openPing(t, driver, proxied)
			if err != nil {
				t.Fatalf("through the proxy: %v", err)
			}
			t.Cleanup(func() { dbB.Close() })
			a := replicaAuth(t, dbA, b.dialect, prefix, bound)
			sB, err := sqlstore.New(dbB, sqlstore.Options{Dialect: b.dialect, TablePrefix: prefix})
			must(t, err)
			inB, err := authjwt.New(authjwt.Config{
				Keys: authjwt.KeyConfig{SecretKey: "sqlstore-replica-test-0123456789abcdef"},
				Revocation: authjwt.RevocationConfig{
					Store: sB, MaxStaleness: bound, Timeout: 200 * time.Millisecond,
				},
			})
			must(t, err)
			t.Cleanup(func() { inB.Close(); sB.Close() })

			ctx := context.Background()
			type revoked struct {
				raw string
				at  time.Time // when Revoke returned
			}
			var all []revoked
			n := 0
			revokeOnA := func() revoked {
				t.Helper()
				n++
				raw, err := a.CreateAccessToken(fmt.Sprintf("user-%d", n))
				must(t, err)
				v, err := a.Verify(ctx, raw, authjwt.Requirement{})
				must(t, err)
				must(t, a.Revoke(ctx, v))
				r := revoked{raw, time.Now()}
				all = append(all, r)
				return r
			}
			fresh, err := a.CreateAccessToken("never-revoked")
			must(t, err)
			refusedByB := func(r revoked) bool {
				_, err := inB.Verify(ctx, r.raw, authjwt.Requirement{})
				return errors.Is(err, authjwt.ErrTokenRevoked)
			}
			r0 := revokeOnA()
			eventuallyTrue(t, bound, "B refuses a token revoked on A", func() bool { return refusedByB(r0) })

			for _, mode := range []string{"blackhole", "cut"} {
				start := time.Now()
				if mode == "blackhole" {
					proxy.Blackhole()
				} else {
					proxy.Cut()
				}
				var first503 time.Time
				for time.Since(start) < 3*bound {
					revokeOnA()
					now := time.Now()
					for _, r := range all {
						_, err := inB.Verify(ctx, r.raw, authjwt.Requirement{})
						switch {
						case err == nil && now.Sub(r.at) > bound:
							t.Fatalf("%s: B accepted a token revoked on A %v earlier (bound %v)", mode, now.Sub(r.at), bound)
						case err != nil && !errors.Is(err, authjwt.ErrTokenRevoked) && !errors.Is(err, authjwt.ErrStoreUnavailable):
							t.Fatalf("%s: %v", mode, err)
						}
					}
					_, err := inB.Verify(ctx, fresh, authjwt.Requirement{})
					if errors.Is(err, authjwt.ErrStoreUnavailable) && first503.IsZero() {
						first503 = time.Now()
					}
					time.Sleep(20 * time.Millisecond)
				}
				if first503.IsZero() {
					t.Fatalf("%s: B kept answering from memory for %v without reaching the database (bound %v)", mode, time.Since(start), bound)
				}
				// Its last proof is at most start: 503 by start + bound,
				// with a margin for this loop's steps.
				if late := first503.Sub(start); late > bound+150*time.Millisecond {
					t.Fatalf("%s: B answered 503 only %v after the link went (bound %v)", mode, late, bound)
				}
				t.Logf("%s: B answered 503 %v after the link went", mode, first503.Sub(start).Round(time.Millisecond))
				proxy.Resume()
				healed := time.Now()
				eventuallyTrue(t, 10*time.Second, mode+": B recovers", func() bool {
					_, err := inB.Verify(ctx, fresh, authjwt.Requirement{})
					return err == nil
				})
				t.Logf("%s: B answers again %v after the link returned", mode, time.Since(healed).Round(time.Millisecond))
				for i, r := range all {
					if !refusedByB(r) {
						t.Fatalf("%s: after recovery B does not refuse revoked token %d of %d", mode, i, len(all))
					}
				}
			}
			if b.dialect == sqlstore.Postgres {
				eventuallyTrue(t, 10*time.Second, "B's listener reconnects", sB.Listening)
				var worst time.Duration
				for range 10 {
					r := revokeOnA()
					eventuallyTrue(t, bound, "B refuses a token revoked on A", func() bool { return refusedByB(r) })
					worst = max(worst, time.Since(r.at))
				}
				t.Logf("after the partitions, propagation through NOTIFY: worst of 10 %v", worst)
			}
		})
	}
}

func eventuallyTrue(t *testing.T, within time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
