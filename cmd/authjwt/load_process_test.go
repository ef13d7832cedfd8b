package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/librenz/authjwt/stores/sqlstore"
)

// loadResult sums up a bounded load run.
type loadResult struct {
	requests int
	statuses map[int]int // status code -> count; 0 counts transport errors
	p50, p99 time.Duration
	elapsed  time.Duration
	samples  []string // the first few non-2xx answers, status and body
}

// non2xx counts the requests that did not answer 2xx.
func (r loadResult) non2xx() int {
	n := 0
	for s, c := range r.statuses {
		if s < 200 || s > 299 {
			n += c
		}
	}
	return n
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d requests in %v (%.0f req/s), p50 %v, p99 %v, statuses %v",
		r.requests, r.elapsed.Round(time.Millisecond), float64(r.requests)/r.elapsed.Seconds(),
		r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.statuses)
}

// detail is String plus the non-2xx answers kept, so that a failure
// says what the server answered (a store timeout, an exhausted pool, a
// transport error) rather than a bare count.
func (r loadResult) detail() string {
	if len(r.samples) == 0 {
		return r.String()
	}
	return r.String() + "\nfirst non-2xx answers:\n  " + strings.Join(r.samples, "\n  ")
}

// runLoad sends total GET path requests with the bearer token, conc at a
// time, spread over the bases in turn as a load balancer would, and
// returns the statuses and latencies. Bounded: every request has a 10 s
// client timeout.
func runLoad(bases []string, path, token string, total, conc int) loadResult {
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc},
	}
	defer client.CloseIdleConnections()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		statuses = map[int]int{}
		samples  []string
		lat      = make([][]time.Duration, conc)
		wg       sync.WaitGroup
	)
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			local := map[int]int{}
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					break
				}
				req, _ := http.NewRequest("GET", bases[i%len(bases)]+path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					local[0]++
					keep(&mu, &samples, fmt.Sprintf("after %v: %v", time.Since(t0).Round(time.Millisecond), err))
					continue
				}
				body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<10))
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat[w] = append(lat[w], time.Since(t0))
				local[res.StatusCode]++
				if res.StatusCode < 200 || res.StatusCode > 299 {
					keep(&mu, &samples, fmt.Sprintf("after %v: %d %s", time.Since(t0).Round(time.Millisecond), res.StatusCode, bytes.TrimSpace(body)))
				}
			}
			mu.Lock()
			for s, c := range local {
				statuses[s] += c
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	r := loadResult{requests: total, statuses: statuses, elapsed: time.Since(start), samples: samples}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		r.p50, r.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return r
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// keep appends an answer to samples, up to 5.
func keep(mu *sync.Mutex, samples *[]string, s string) {
	mu.Lock()
	defer mu.Unlock()
	if len(*samples) < 5 {
		*samples = append(*samples, s)
	}
}

// peakSampler polls count every 20 ms until stopped and keeps the largest
// value seen.
type peakSampler struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Int64
}

func samplePeak(count func(context.Context) (int, error)) *peakSampler {
	p := &peakSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if n, err := count(ctx); err == nil && int64(n) > p.peak.Load() {
				p.peak.Store(int64(n))
			}
			cancel()
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// Peak stops the sampler and returns the peak.
func (p *peakSampler) Peak() int {
	close(p.stop)
	<-p.done
	return int(p.peak.Load())
}

// privatePostgresDB creates a database of the test's own on the shared
// PostgreSQL (dropped when the test ends), so that its session counter
// (pg_stat_database.sessions) counts this test's connections only. It
// returns an admin handle on the shared database and the new database's
// URL.
func privatePostgresDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	sharedPostgresURL(t) // skips when PostgreSQL is down
	admin, err := sql.Open("pgx", testPostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	name := "authjwt_load_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	return admin, strings.Replace(testPostgresURL, "/test?", "/"+name+"?", 1)
}

// privateMySQLUser creates a MariaDB user of the test's own (dropped when
// the test ends), so that the process list shows this test's connections
// only. It returns an admin handle and the user's mysql:// URL.
func privateMySQLUser(t *testing.T) (*sql.DB, string, string) {
	t.Helper()
	shared := sharedMySQLURL(t) // skips when MariaDB is down
	admin, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/test")
	if err != nil {
		t.Fatal(err)
	}
	user := "authjwt_load_" + randomHex(4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, q := range []string{
		"CREATE USER '" + user + "'@'%'",
		"CREATE USER '" + user + "'@'localhost'",
		"GRANT ALL ON test.* TO '" + user + "'@'%'",
		"GRANT ALL ON test.* TO '" + user + "'@'localhost'",
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			admin.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, host := range []string{"%", "localhost"} {
			if _, err := admin.ExecContext(ctx, "DROP USER IF EXISTS '"+user+"'@'"+host+"'"); err != nil {
				t.Errorf("dropping user %s: %v", user, err)
			}
		}
	})
	return admin, user, strings.Replace(shared, "mysql://root@", "mysql://"+user+"@", 1)
}

// loadRequests is the request count of one load run: small by default
// (the test stays bounded), AUTHJWTTEST_STORE_LOAD=N asks for N (30000
// for the figures in BENCHMARKS.md).
func loadRequests(t *testing.T) int {
	if !fullLoad() {
		return 1000
	}
	v := os.Getenv("AUTHJWTTEST_STORE_LOAD")
	n, err := strconv.Atoi(v)
	if err != nil || n < 64 {
		t.Fatalf("AUTHJWTTEST_STORE_LOAD=%q: want a request count of at least 64", v)
	}
	return n
}

// fullLoad reports whether AUTHJWTTEST_STORE_LOAD asks for the full run.
func fullLoad() bool { return os.Getenv("AUTHJWTTEST_STORE_LOAD") != "" }

// TestStoreLoad drives one and three server processes sharing a
// PostgreSQL or a MariaDB store at concurrency 64 (/protected, every
// request a revocation check) and checks that every request answers 200
// and that the connection pools hold: the store sees at most 32
// connections per instance, opened once and reused (database/sql's
// defaults opened and closed a connection for most requests). It logs
// p50/p99; AUTHJWTTEST_STORE_LOAD=30000 runs the size the figures in
// BENCHMARKS.md come from, with the default pools on three instances too
// (the short run bounds those at 16 each).
func TestStoreLoad(t *testing.T) {
	const conc = 64
	total := loadRequests(t)
	type counter struct {
		live   func(context.Context) (int, error) // connections open now
		opened func(context.Context) (int, error) // connections opened so far
	}
	stores := []struct {
		name  string
		setup func(t *testing.T) (url string, c counter)
	}{
		{"postgres", func(t *testing.T) (string, counter) {
			admin, u := privatePostgresDB(t)
			name := u[strings.LastIndex(u, "/")+1 : strings.Index(u, "?")]
			return u, counter{
				live: func(ctx context.Context) (n int, err error) {
					err = admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name).Scan(&n)
					return
				},
				opened: func(ctx context.Context) (n int, err error) {
					// Session counts reach the statistics when a session
					// ends or reports; sessions are counted when they start.
					_, _ = admin.ExecContext(ctx, "SELECT pg_stat_clear_snapshot()")
					err = admin.QueryRowContext(ctx, "SELECT coalesce(sessions, 0) FROM pg_stat_database WHERE datname = $1", name).Scan(&n)
					return
				},
			}
		}},
		{"mysql", func(t *testing.T) (string, counter) {
			admin, user, u := privateMySQLUser(t)
			return u, counter{
				live: func(ctx context.Context) (n int, err error) {
					err = admin.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.PROCESSLIST WHERE USER = ?", user).Scan(&n)
					return
				},
			}
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			for _, instances := range []int{1, 3} {
				t.Run(fmt.Sprintf("%d instances", instances), func(t *testing.T) {
					u, c := st.setup(t)
					perInstance := sqlstore.DefaultMaxConns
					if instances > 1 && !fullLoad() {
						// Three default pools (96) would nearly fill
						// PostgreSQL's default limit of 100, which CI's
						// single go test shares with stores/sqlstore
						// (at most 50 at once, see its backends): the
						// short run bounds them at 8, so the whole suite
						// stays below the limit and 64 requests at a
						// time still exhaust every pool.
						perInstance = 8
						u += "&max_conns=8"
						if !strings.Contains(u, "?") {
							u = strings.Replace(u, "&max_conns", "?max_conns", 1)
						}
					}
					env := []string{"AUTHJWT_SECRET_KEY=" + testSecret, "AUTHJWT_DENYLIST_URL=" + u}
					if !fullLoad() {
						// The short run checks the pool bound and that
						// no request fails; on CI's shared cores under
						// -race a revocation check on a healthy store
						// has taken over the default 2 s (2 of 1000,
						// and the driver then drops that connection,
						// so the store saw one more while the server
						// tore it down). 5 s keeps that harness noise
						// out, and a 503 still fails the test: one
						// now means a check that waited 5 s, which a
						// bounded pool on a healthy store never does.
						// The full run keeps the server's defaults.
						env = append(env, "AUTHJWT_STORE_TIMEOUT=5s")
					}
					var bases []string
					var procs []*serveProc
					for range instances {
						p := startServe(t, env...)
						procs = append(procs, p)
						bases = append(bases, p.base)
					}
					at, _ := procs[0].login("alice", "secret")
					runLoad(bases, "/protected", at, conc*4, conc) // warm-up
					live := samplePeak(c.live)
					res := runLoad(bases, "/protected", at, total, conc)
					peak := live.Peak()
					bound := instances * perInstance
					t.Logf("%s, %d instance(s), concurrency %d: %v; peak %d connections (bound %d)", st.name, instances, conc, res, peak, bound)
					if n := res.non2xx(); n != 0 {
						t.Errorf("%d of %d requests did not answer 2xx: %v", n, total, res.detail())
						for i, p := range procs {
							t.Logf("instance %d stderr:\n%s", i, tail(p.stderr.String(), 20))
						}
					}
					if peak > bound {
						t.Errorf("peak of %d connections to the store; the pools allow %d", peak, bound)
					}
					if c.opened != nil {
						for _, p := range procs {
							p.stop() // sessions reach the statistics when they end
						}
						time.Sleep(700 * time.Millisecond)
						ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
						defer cancel()
						opened, err := c.opened(ctx)
						if err != nil {
							t.Fatal(err)
						}
						t.Logf("%d sessions opened over %d requests", opened, total+conc*4)
						if opened > bound {
							t.Errorf("%d sessions opened over %d requests: connections are not reused (the pools allow %d)", opened, total+conc*4, bound)
						}
					}
				})
			}
		})
	}

	t.Run("postgres with ?max_conns=4", func(t *testing.T) {
		admin, u := privatePostgresDB(t)
		name := u[strings.LastIndex(u, "/")+1 : strings.Index(u, "?")]
		p := startServe(t, "AUTHJWT_SECRET_KEY="+testSecret, "AUTHJWT_DENYLIST_URL="+u+"&max_conns=4", "AUTHJWT_STORE_TIMEOUT=5s")
		at, _ := p.login("alice", "secret")
		live := samplePeak(func(ctx context.Context) (n int, err error) {
			err = admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name).Scan(&n)
			return
		})
		res := runLoad([]string{p.base}, "/protected", at, 1000, conc)
		peak := live.Peak()
		t.Logf("max_conns=4: %v; peak %d connections", res, peak)
		if n := res.non2xx(); n != 0 {
			t.Errorf("%d requests did not answer 2xx: %v", n, res.detail())
		}
		if peak > 4 || peak == 0 {
			t.Errorf("peak of %d connections; ?max_conns=4", peak)
		}
	})
}

// TestRedisPoolBound runs the server on a Redis of the test's own with
// ?max_conns=4 under a load of concurrency 64 and checks, from Redis's
// own count of clients, that the server never holds more than 4
// connections (every check is a pipeline: go-redis's separate pipeline
// pool would add up to 10 more) and that every request answers 200.
func TestRedisPoolBound(t *testing.T) {
	t.Parallel()
	rd := startPrivateRedis(t)
	// AUTHJWT_STORE_TIMEOUT=5s as in TestStoreLoad's short run: a check
	// stalled past 2 s by a loaded CI machine is a 503 and a dropped
	// connection (one more client in Redis's count while it closes),
	// neither of which is the pool's doing.
	srv := startServe(t, "AUTHJWT_SECRET_KEY="+testSecret, "AUTHJWT_DENYLIST_URL=redis://"+rd.addr()+"/0?max_conns=4", "AUTHJWT_STORE_TIMEOUT=5s")
	at, _ := srv.login("alice", "secret")
	admin := redis.NewClient(&redis.Options{Addr: rd.addr()})
	defer admin.Close()
	live := samplePeak(func(ctx context.Context) (int, error) {
		info, err := admin.Info(ctx, "clients").Result()
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(infoField(info, "connected_clients"))
		return n - 1, err // not the sampler's own
	})
	res := runLoad([]string{srv.base}, "/protected", at, 2000, 64)
	peak := live.Peak()
	t.Logf("max_conns=4: %v; peak %d server connections", res, peak)
	if n := res.non2xx(); n != 0 {
		t.Errorf("%d requests did not answer 2xx: %v", n, res.detail())
	}
	if peak > 4 || peak == 0 {
		t.Errorf("peak of %d connections from the server; ?max_conns=4", peak)
	}
}
