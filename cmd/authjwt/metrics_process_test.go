package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMetricsProcess starts `authjwt serve --metrics 127.0.0.1:0`, makes
// requests whose verifications end with known codes (a login, protected
// calls with a good, a malformed, a refresh and a revoked token, a
// rotation and the reuse of its refresh token), scrapes /metrics and
// checks every counter by code.
func TestMetricsProcess(t *testing.T) {
	p := startServeArgs(t, []string{"--metrics", "127.0.0.1:0"}, "AUTHJWT_REFRESH_TOKEN_ROTATION=true")
	var metricsURL string
	for _, line := range strings.Split(p.stdout.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "authjwt: metrics on "); ok {
			metricsURL = rest
		}
	}
	if !strings.HasPrefix(metricsURL, "http://127.0.0.1:") || strings.HasSuffix(metricsURL, ":0/metrics") || metricsURL == p.base+"/metrics" {
		t.Fatalf("metrics address %q (API at %s)\nstdout:\n%s", metricsURL, p.base, p.stdout.String())
	}

	access, refresh := p.login("alice", "secret")
	expect := func(r req, status int, code string) {
		t.Helper()
		got := p.do(r)
		if got.status != status || (code != "" && got.body["code"] != code) {
			t.Fatalf("%s %s: %d %s, want %d %s", r.method, r.path, got.status, got.raw, status, code)
		}
	}
	expect(req{method: "GET", path: "/protected", token: access}, 200, "")
	expect(req{method: "GET", path: "/protected", token: "x.y.z"}, 401, "malformed_token")
	expect(req{method: "GET", path: "/protected", token: refresh}, 401, "access_token_required")
	expect(req{method: "POST", path: "/refresh", token: refresh}, 200, "")
	// The used refresh token again: reuse, its family revoked.
	expect(req{method: "POST", path: "/refresh", token: refresh}, 401, "refresh_token_reuse")
	expect(req{method: "GET", path: "/protected", token: access}, 401, "token_revoked")

	m := scrape(t, metricsURL)
	verify := "authjwt_verify_duration_seconds_count"
	for code, want := range map[string]float64{
		"ok":                    3, // /protected, both /refresh (the reused token itself is valid)
		"malformed_token":       1,
		"access_token_required": 1,
		"token_revoked":         1,
	} {
		if got := m.sum(verify, `authjwt_code="`+code+`"`); got != want {
			t.Errorf("%s{authjwt_code=%q} = %v, want %v\n%s", verify, code, got, want, m.text)
		}
	}
	if got := m.sum(verify); got != 6 {
		t.Errorf("%s: %v verifications in all, want 6\n%s", verify, got, m.text)
	}
	if got := m.sum(verify, `authjwt_code="ok"`, `authjwt_token_type="refresh"`, `authjwt_token_source="header"`); got != 2 {
		t.Errorf("accepted refresh tokens from the header: %v, want 2\n%s", got, m.text)
	}
	if got := m.sum("authjwt_rotation_reuse_total", `authjwt_rotation_outcome="family_revoked"`); got != 1 {
		t.Errorf("reuse detections: %v, want 1\n%s", got, m.text)
	}
	// Checks: the four tokens that got past their signature and type; one
	// consume per /refresh; the family revocation, and the reused token's
	// own. Sessions: the login's, its last use by the first /refresh, and
	// its deletion once reuse revoked its family.
	store := "authjwt_store_call_duration_seconds_count"
	if got := m.sum(store); got != 11 {
		t.Errorf("%s: %v store calls in all, want 11\n%s", store, got, m.text)
	}
	for op, want := range map[string]float64{"check": 4, "consume": 2, "revoke_family": 1, "revoke": 1,
		"session_create": 1, "session_touch": 1, "session_delete": 1} {
		if got := m.sum(store, `authjwt_store_operation="`+op+`"`); got != want {
			t.Errorf("%s{operation=%q} = %v, want %v\n%s", store, op, got, want, m.text)
		}
	}
	if got := m.sum("authjwt_store_errors_total"); got != 0 {
		t.Errorf("store errors: %v, want 0", got)
	}
	p.stop()
}

// metrics is a scrape in the Prometheus text format.
type metrics struct{ text string }

func scrape(t *testing.T, url string) metrics {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s\n%s", url, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return metrics{text: string(b)}
}

// sum adds the values of the samples of name whose labels contain every
// one of labels (`key="value"`).
func (m metrics) sum(name string, labels ...string) float64 {
	var total float64
	for _, line := range strings.Split(m.text, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		var lbls string
		if strings.HasPrefix(rest, "{") {
			end := strings.LastIndex(rest, "}")
			lbls, rest = rest[1:end], rest[end+1:]
		}
		match := true
		for _, l := range labels {
			if !strings.Contains(","+lbls+",", ","+l+",") {
				match = false
			}
		}
		if !match {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err == nil {
			total += v
		}
	}
	return total
}
