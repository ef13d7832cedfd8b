package authjwt

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// Recent authentication (RFC 9470): tokens say when the user logged in
// ("auth_time") and how ("acr"); routes require a recent enough login or
// an accepted class, and the challenge tells the client what would do.

func TestAuthTimeIssued(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now})
	login := clk.Now()
	for name, tc := range map[string]struct {
		mint    func() string
		refresh bool
		want    time.Time // zero: no auth_time
		acr     string
	}{
		// Nothing says when the user authenticated: no claim, not even on
		// a fresh token (the seed's tokens keep their shape).
		"fresh access":  {mint: func() string { return must(a.CreateAccessToken("alice", WithFresh(true))) }},
		"plain refresh": {mint: func() string { return must(a.CreateRefreshToken("alice")) }, refresh: true},
		// CreatePair at login: both tokens, so that refreshes keep it.
		"pair access": {mint: func() string {
			return must(a.CreatePair("alice", WithFresh(true), WithAuthTime(login))).AccessToken
		}, want: login},
		"pair refresh": {mint: func() string {
			return must(a.CreatePair("alice", WithFresh(true), WithAuthTime(login), WithACR("mfa"))).RefreshToken
		}, refresh: true, want: login, acr: "mfa"},
		// A login confirmed by a second factor a minute ago, to the second.
		"earlier": {mint: func() string {
			return must(a.CreateAccessToken("alice", WithAuthTime(login.Add(-time.Minute-300*time.Millisecond))))
		}, want: login.Add(-time.Minute - time.Second)},
		"explicit refresh token": {mint: func() string {
			return must(a.CreateRefreshToken("alice", WithAuthTime(login.Add(-90*time.Second))))
		}, refresh: true, want: login.Add(-90 * time.Second)},
	} {
		t.Run(name, func(t *testing.T) {
			raw := tc.mint()
			tok, err := a.Verify(ctx, raw, Requirement{Refresh: tc.refresh})
			if err != nil {
				t.Fatal(err)
			}
			if !tok.AuthTime().Equal(tc.want) || tok.ACR() != tc.acr {
				t.Fatalf("auth_time %v acr %q, want %v %q", tok.AuthTime(), tok.ACR(), tc.want, tc.acr)
			}
			// The claim is a registered one on the wire: an integer
			// NumericDate under its own name, read back by every decoder.
			m := payloadMap(t, raw)
			v, ok := m["auth_time"]
			if ok != !tc.want.IsZero() {
				t.Fatalf("payload auth_time present %v: %v", ok, m)
			}
			if ok && v != float64(tc.want.Unix()) {
				t.Fatalf("payload auth_time %v, want %d", v, tc.want.Unix())
			}
			if got, _ := m["acr"].(string); got != tc.acr {
				t.Fatalf("payload acr %v, want %q", m["acr"], tc.acr)
			}
		})
	}
}

func payloadMap(t *testing.T, raw string) map[string]any {
	t.Helper()
	seg := strings.Split(raw, ".")[1]
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAuthTimeOptionErrors(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	if _, err := a.CreateAccessToken("alice", WithAuthTime(time.Unix(-5, 0))); err == nil || !strings.Contains(err.Error(), "WithAuthTime") {
		t.Fatalf("a time before 1970: %v", err)
	}
	// The zero time is none: a hand-written refresh passes rt.AuthTime()
	// whatever it is.
	tok := must(a.Verify(context.Background(), must(a.CreateAccessToken("alice", WithAuthTime(time.Time{}), WithACR(""))), Requirement{}))
	if tok.Has("auth_time") || tok.Has("acr") {
		t.Fatal("zero auth_time or empty acr written")
	}
	// The claims are the library's: WithClaims cannot set them.
	for _, name := range []string{"auth_time", "acr"} {
		if _, err := a.CreateAccessToken("alice", WithClaims(map[string]any{name: 1})); err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("WithClaims %s: %v", name, err)
		}
	}
}

func TestMaxAuthAge(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, Claims: ClaimsConfig{DecodeLeeway: 2 * time.Second}, Expiry: ExpiryConfig{Access: time.Hour}})
	fresh := must(a.CreateAccessToken("alice", WithFresh(true), WithAuthTime(clk.Now())))
	plain := must(a.CreateAccessToken("alice", WithFresh(true)))
	req := Requirement{MaxAuthAge: 300 * time.Second}
	check := func(tok string, wantErr bool) {
		t.Helper()
		_, err := a.Verify(ctx, tok, req)
		if wantErr != (err != nil) {
			t.Fatalf("at +%v: %v", clk.Now().Sub(time.Unix(1_800_000_000, 0)), err)
		}
		if err != nil && !errors.Is(err, ErrAuthenticationTooOld) {
			t.Fatalf("error %v, want ErrAuthenticationTooOld", err)
		}
	}
	check(fresh, false)
	check(plain, true) // fresh, but no auth_time: no evidence of when
	clk.Add(300 * time.Second)
	check(fresh, false) // exactly the maximum age
	clk.Add(2 * time.Second)
	check(fresh, false) // within the leeway
	clk.Add(time.Second)
	check(fresh, true)
	// The seed's freshness is unchanged and independent: the old fresh
	// token is still fresh.
	if _, err := a.Verify(ctx, fresh, Requirement{Fresh: true}); err != nil {
		t.Fatal(err)
	}
	// A fraction of a second is rounded up, never down.
	if _, err := a.Verify(ctx, must(a.CreateAccessToken("alice", WithAuthTime(clk.Now().Add(-2*time.Second-1500*time.Millisecond)))), Requirement{MaxAuthAge: 1500 * time.Millisecond}); err != nil {
		t.Fatalf("1.5 s rounds up to 2 s (+2 s leeway): %v", err)
	}
	// A login in the future beyond the leeway is no recent login.
	future := must(a.CreateAccessToken("alice", WithAuthTime(clk.Now().Add(time.Minute))))
	if _, err := a.Verify(ctx, future, req); !errors.Is(err, ErrInvalidClaim) {
		t.Fatalf("future auth_time: %v", err)
	}
	// Without the requirement, auth_time is just a claim.
	if _, err := a.Verify(ctx, future, Requirement{}); err != nil {
		t.Fatal(err)
	}
}

func TestACRValues(t *testing.T) {
	ctx := context.Background()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	req := Requirement{ACRValues: []string{"mfa", "urn:example:hwk"}}
	for name, tc := range map[string]struct {
		opts []TokenOption
		ok   bool
	}{
		"one of them":   {[]TokenOption{WithACR("urn:example:hwk")}, true},
		"another class": {[]TokenOption{WithACR("pwd")}, false},
		"none":          {nil, false},
		"prefix only":   {[]TokenOption{WithACR("mf")}, false},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := a.Verify(ctx, must(a.CreateAccessToken("alice", tc.opts...)), req)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInsufficientACR)) {
				t.Fatalf("%v", err)
			}
		})
	}
}

// TestRecentAuthenticationChallenge: the 401 of each requirement carries
// RFC 9470's challenge, through the middleware and the error handler.
func TestRecentAuthenticationChallenge(t *testing.T) {
	clk := newClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, Expiry: ExpiryConfig{Access: time.Hour}})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	tok := must(a.CreateAccessToken("alice", WithAuthTime(clk.Now()), WithACR("pwd")))
	clk.Add(10 * time.Minute)
	for name, tc := range map[string]struct {
		req       Requirement
		code      Code
		challenge string
	}{
		"too old": {Requirement{MaxAuthAge: 5 * time.Minute}, CodeAuthTooOld,
			`Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age=300`},
		"acr": {Requirement{ACRValues: []string{"mfa", `odd"one`}}, CodeInsufficientACR,
			`Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="mfa odd\"one"`},
	} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			a.Middleware(tc.req)(ok).ServeHTTP(w, r)
			if w.Code != 401 || w.Header().Get("WWW-Authenticate") != tc.challenge {
				t.Fatalf("%d %q, want 401 %q", w.Code, w.Header().Get("WWW-Authenticate"), tc.challenge)
			}
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Code != tc.code {
				t.Fatalf("body %s: %v", w.Body, err)
			}
		})
	}
}

// TestRefreshKeepsAuthTime: every way of refreshing keeps the family's
// login ("auth_time" and "acr" of the refresh token), whatever the options
// say, so a refresh never makes a login more recent.
func TestRefreshKeepsAuthTime(t *testing.T) {
	ctx := context.Background()
	for _, rotation := range []bool{false, true} {
		t.Run(fmt.Sprintf("rotation=%v", rotation), func(t *testing.T) {
			clk := newClock()
			store := revoke.NewMemory(revoke.WithClock(clk.Now))
			defer store.Close()
			a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now,
				Revocation: RevocationConfig{Enabled: true, Store: store, Rotation: rotation}})
			login := clk.Now()
			p := must(a.CreatePair("alice", WithFresh(true), WithAuthTime(login), WithACR("mfa")))
			clk.Add(20 * time.Minute)
			h := a.RefreshHandler(RefreshOptions{TokenOptions: func(*http.Request, *Token) ([]TokenOption, error) {
				// Overridden: the refresh is no login.
				return []TokenOption{WithAuthTime(clk.Now()), WithACR("hwk")}, nil
			}})
			rep := doRefresh(t, h, bearerPost(p.RefreshToken))
			if rep.code != 200 {
				t.Fatalf("%d %v", rep.code, rep.body)
			}
			toks := []string{rep.body["access_token"]}
			if rotation {
				toks = append(toks, rep.body["refresh_token"])
			}
			for i, raw := range toks {
				tok := must(a.Verify(ctx, raw, Requirement{Refresh: i == 1}))
				if !tok.AuthTime().Equal(login) || tok.ACR() != "mfa" || tok.Fresh() {
					t.Fatalf("token %d: auth_time %v acr %q fresh %v, want %v mfa not fresh", i, tok.AuthTime(), tok.ACR(), tok.Fresh(), login)
				}
				if !tok.IssuedAt().After(login) {
					t.Fatalf("token %d issued at %v", i, tok.IssuedAt())
				}
			}
			if _, err := a.Verify(ctx, toks[0], Requirement{MaxAuthAge: 5 * time.Minute}); !errors.Is(err, ErrAuthenticationTooOld) {
				t.Fatalf("refreshed token 20 min after login passed a 5-minute requirement: %v", err)
			}
			if _, err := a.Verify(ctx, toks[0], Requirement{MaxAuthAge: time.Hour, ACRValues: []string{"mfa"}}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A refresh token without auth_time (issued before, or without a login
// time) gives tokens without one: no evidence of a login is made up.
func TestRefreshWithoutAuthTime(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	rep := doRefresh(t, a.RefreshHandler(RefreshOptions{}), bearerPost(must(a.CreateRefreshToken("alice"))))
	tok := must(a.Verify(context.Background(), rep.body["access_token"], Requirement{}))
	if !tok.AuthTime().IsZero() || tok.Has("auth_time") {
		t.Fatalf("auth_time %v made up by a refresh", tok.AuthTime())
	}
}

// TestImplicitRefreshKeepsAuthTime: the cookie renewal near expiry keeps
// the refresh token's login too.
func TestImplicitRefreshKeepsAuthTime(t *testing.T) {
	a, clk := cookieAuth(t, Config{Revocation: RevocationConfig{Enabled: true, Store: revoke.NewMemory()}})
	login := clk.Now()
	p := must(a.CreatePair("alice", WithFresh(true), WithAuthTime(login), WithACR("mfa")))
	rec := httptest.NewRecorder()
	if err := a.SetPairCookies(rec, p); err != nil {
		t.Fatal(err)
	}
	clk.Add(12 * time.Minute) // 3 minutes left
	rec = serveIR(a, 5*time.Minute, okHandler, cookieRequest("GET", "/page", rec.Header()))
	nc := responseCookies(rec.Header())["__Host-access_token"]
	if nc == nil {
		t.Fatalf("no renewal: %q", setCookies(rec.Header()))
	}
	tok := must(a.Verify(context.Background(), nc.Value, Requirement{}))
	if !tok.AuthTime().Equal(login) || tok.ACR() != "mfa" || tok.Fresh() {
		t.Fatalf("renewed: auth_time %v acr %q fresh %v, want %v mfa not fresh", tok.AuthTime(), tok.ACR(), tok.Fresh(), login)
	}
}
