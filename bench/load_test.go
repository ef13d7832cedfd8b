package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLoad drives the reference server (`authjwt serve`) on loopback with a
// bounded number of requests at concurrency 64 and compares /protected
// (HS256 header token, memory denylist on) with /healthz over paired
// rounds: the requirement is that /protected serves at least 85 % of
// /healthz's requests per second, judged by the median of the rounds'
// ratios. It reports p50/p99 latency per round, a distribution-free 95 %
// confidence interval for the median ratio, and the server's resident
// memory, which must stay flat (no round may end above 1.5 times the
// resident size after the warm-up).
//
// It is not part of the regular test run (too slow and too noisy for CI):
//
//	AUTHJWTBENCH_LOAD=1 go test -run TestLoad -v ./bench
//
// AUTHJWTBENCH_LOAD_ROUNDS sets the number of paired rounds (default 24),
// AUTHJWTBENCH_LOAD_REQUESTS the request count per run (default 12000).
func TestLoad(t *testing.T) {
	if os.Getenv("AUTHJWTBENCH_LOAD") == "" {
		t.Skip("load test: set AUTHJWTBENCH_LOAD=1 to run it (see BENCHMARKS.md)")
	}
	const conc = 64 // concurrent clients
	total := envInt(t, "AUTHJWTBENCH_LOAD_REQUESTS", 12000)
	rounds := envInt(t, "AUTHJWTBENCH_LOAD_ROUNDS", 24)
	if total < conc {
		t.Fatalf("AUTHJWTBENCH_LOAD_REQUESTS=%d: want at least one request per client (%d)", total, conc)
	}
	bin := filepath.Join(t.TempDir(), "authjwt")
	build := exec.Command("go", "build", "-o", bin, "github.com/librenz/authjwt/cmd/authjwt")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("building the server: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUTHJWT_") { // the server refuses unknown AUTHJWT_* variables
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "AUTHJWT_SECRET_KEY=load-test-secret-load-test-secret-0123")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := "http://" + addr
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}
	for i := 0; ; i++ {
		if r, err := client.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			break
		}
		if i > 100 {
			t.Fatalf("server did not start: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := client.Post(base+"/login", "application/json", strings.NewReader(`{"username":"alice","password":"secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" {
		t.Fatal("no token from /login")
	}
	run := func(path, bearer string) (rps float64, p50, p99 time.Duration) {
		per := total / conc
		lat := make([][]time.Duration, conc)
		var wg sync.WaitGroup
		start := time.Now()
		for w := range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequestWithContext(context.Background(), "GET", base+path, nil)
				if bearer != "" {
					req.Header.Set("Authorization", "Bearer "+bearer)
				}
				l := make([]time.Duration, 0, per)
				for range per {
					t0 := time.Now()
					r, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, r.Body)
					r.Body.Close()
					if r.StatusCode != 200 {
						t.Errorf("%s: status %d", path, r.StatusCode)
						return
					}
					l = append(l, time.Since(t0))
				}
				lat[w] = l
			}()
		}
		wg.Wait()
		el := time.Since(start)
		all := slices.Concat(lat...)
		if len(all) == 0 {
			t.Fatalf("%s: no request succeeded", path)
		}
		slices.Sort(all)
		return float64(len(all)) / el.Seconds(), all[len(all)/2], all[len(all)*99/100]
	}
	run("/healthz", "") // warm up
	run("/protected", tok.AccessToken)
	// Paired rounds: each round runs both paths back to back, in
	// alternating order (ABBA), and yields one ratio. This VM's speed
	// drifts by more than the difference being measured, over seconds; a
	// pair sees the same conditions, and the alternating order cancels a
	// steady drift within pairs. Many short rounds estimate the median
	// better than a few long ones: the drift is shared within a pair, and
	// the median of more pairs is steadier.
	var hs, ps, ratios []float64
	var h99s, p99s []time.Duration
	base0, err := rssKB(cmd.Process.Pid)
	if err != nil {
		t.Fatalf("reading the server's memory (the load test needs Linux's /proc): %v", err)
	}
	maxRSS, mem := base0, []string{fmt.Sprint(base0)}
	for r := range rounds {
		var hr, pr float64
		var h50, h99, p50, p99 time.Duration
		if r%2 == 0 {
			hr, h50, h99 = run("/healthz", "")
			pr, p50, p99 = run("/protected", tok.AccessToken)
		} else {
			pr, p50, p99 = run("/protected", tok.AccessToken)
			hr, h50, h99 = run("/healthz", "")
		}
		kb, err := rssKB(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		maxRSS = max(maxRSS, kb)
		mem = append(mem, fmt.Sprint(kb))
		hs, ps, ratios = append(hs, hr), append(ps, pr), append(ratios, pr/hr)
		h99s, p99s = append(h99s, h99), append(p99s, p99)
		t.Logf("round %2d: /healthz %8.0f req/s (p50 %v, p99 %v)  /protected %8.0f req/s (p50 %v, p99 %v)  %.1f %%",
			r+1, hr, h50.Round(time.Microsecond), h99.Round(time.Microsecond),
			pr, p50.Round(time.Microsecond), p99.Round(time.Microsecond), 100*pr/hr)
	}
	ratio := median(ratios)
	lo, hi := medianCI(ratios)
	t.Logf("GOMAXPROCS %d, %d requests per run, concurrency %d, %d paired rounds", runtime.GOMAXPROCS(0), total/conc*conc, conc, rounds)
	t.Logf("median /healthz    %8.0f req/s  p99 %v", median(hs), medianD(h99s))
	t.Logf("median /protected  %8.0f req/s  p99 %v", median(ps), medianD(p99s))
	t.Logf("/protected / /healthz: median of the rounds' ratios %.1f %% (95 %% confidence interval %.1f–%.1f %%; ratio of the medians %.1f %%)",
		100*ratio, 100*lo, 100*hi, 100*median(ps)/median(hs))
	t.Logf("server RSS (kB) after the warm-up and after each round: %s", strings.Join(mem, ", "))
	if ratio < 0.85 {
		t.Errorf("/protected served %.1f %% of /healthz's rate (median of paired rounds); want at least 85 %%", 100*ratio)
	}
	if maxRSS > base0*3/2 {
		t.Errorf("server memory grew from %d kB after the warm-up to %d kB: not flat", base0, maxRSS)
	}
}

// envInt reads a positive integer setting of the load test.
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

func medianD(v []time.Duration) time.Duration {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// medianCI returns a distribution-free confidence interval of at least
// 95 % for the median of the population v was drawn from: the order
// statistics x(k) and x(n+1-k), with k the largest for which
// P(Binomial(n, 1/2) < k) <= 2.5 %. With fewer than six values there is
// none, and it returns the extremes.
func medianCI(v []float64) (lo, hi float64) {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	k, cdf, pmf := 0, 0.0, math.Pow(0.5, float64(n)) // P(X = 0)
	for j := 0; j < n/2; j++ {
		if cdf+pmf > 0.025 {
			break
		}
		cdf += pmf
		pmf = pmf * float64(n-j) / float64(j+1) // P(X = j+1)
		k = j + 1                               // P(X < k) = cdf <= 2.5 %
	}
	if k == 0 {
		return v[0], v[n-1]
	}
	return v[k-1], v[n-k]
}

// rssKB returns the resident set size of process pid, in kB.
func rssKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func TestMedianCI(t *testing.T) {
	seq := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(n - i) // unsorted on purpose
		}
		return v
	}
	for _, c := range []struct{ n, lo, hi int }{
		{5, 1, 5},   // P(X = 0) = 3.1 % > 2.5 %: no interval, the extremes
		{8, 1, 8},   // P(X < 1) = 0.4 %, P(X < 2) = 3.5 %
		{24, 7, 18}, // P(X < 7) = 1.1 %, P(X < 8) = 3.2 %
		{100, 40, 61},
	} {
		lo, hi := medianCI(seq(c.n))
		if lo != float64(c.lo) || hi != float64(c.hi) {
			t.Errorf("n=%d: interval [%v, %v], want [%d, %d]", c.n, lo, hi, c.lo, c.hi)
		}
	}
	if m := median(seq(24)); m != 12.5 {
		t.Errorf("median of 1..24 = %v", m)
	}
}
