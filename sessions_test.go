package authjwt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// sessionAuth returns an Auth with sessions on over a memory store.
func sessionAuth(t *testing.T, mod func(*Config)) (*Auth, *revoke.Memory) {
	t.Helper()
	store := revoke.NewMemory()
	t.Cleanup(func() { store.Close() })
	cfg := Config{Keys: KeyConfig{SecretKey: testSecret}, Claims: ClaimsConfig{EncodeIssuer: "https://issuer.test", DecodeIssuer: "https://issuer.test"}}
	cfg.Revocation.Store = store
	cfg.Sessions.Enabled = true
	if mod != nil {
		mod(&cfg)
	}
	return mustNew(t, cfg), store
}

// login starts a session of sub from a request with the user agent and
// peer address given.
func login(t *testing.T, a *Auth, sub, ua, peer string) Pair {
	t.Helper()
	r := httptest.NewRequest("POST", "/login", nil)
	r.Header.Set("User-Agent", ua)
	r.RemoteAddr = peer
	p, err := a.StartSession(r, sub, SessionInfo{AuthMethod: "pwd"})
	if err != nil {
		t.Fatalf("StartSession(%s): %v", sub, err)
	}
	return p
}

func verifyPair(t *testing.T, a *Auth, p Pair) (access, refresh *Token, accessErr, refreshErr error) {
	t.Helper()
	ctx := context.Background()
	access, accessErr = a.Verify(ctx, p.AccessToken, Requirement{})
	refresh, refreshErr = a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true})
	return
}

func mustAccess(t *testing.T, a *Auth, p Pair) *Token {
	t.Helper()
	at, _, aerr, rerr := verifyPair(t, a, p)
	if aerr != nil || rerr != nil {
		t.Fatalf("pair of session %s refused: access %v, refresh %v", p.Family, aerr, rerr)
	}
	return at
}

func mustBeRefused(t *testing.T, a *Auth, p Pair) {
	t.Helper()
	_, _, aerr, rerr := verifyPair(t, a, p)
	if !errors.Is(aerr, ErrTokenRevoked) || !errors.Is(rerr, ErrTokenRevoked) {
		t.Fatalf("pair of ended session %s: access %v, refresh %v; want both revoked", p.Family, aerr, rerr)
	}
}

func listIDs(t *testing.T, a *Auth, tok *Token) ([]string, []Session) {
	t.Helper()
	page, err := a.Sessions(context.Background(), tok, "", 0)
	if err != nil {
		t.Fatalf("Sessions: %v", err)
	}
	var ids []string
	for _, s := range page.Sessions {
		ids = append(ids, s.ID)
	}
	return ids, page.Sessions
}

func TestSessionStartAndList(t *testing.T) {
	a, _ := sessionAuth(t, nil)
	long := strings.Repeat("é", 400) // 800 bytes: clipped to 512
	p1 := login(t, a, "alice", "Firefox/1", "192.0.2.1:5555")
	time.Sleep(2 * time.Millisecond)
	p2 := login(t, a, "alice", long, "[2001:db8::1]:443")
	login(t, a, "bob", "curl", "198.51.100.9:1")
	at := mustAccess(t, a, p2)
	if p1.Family == "" || p1.Family == p2.Family {
		t.Fatalf("families %q and %q", p1.Family, p2.Family)
	}
	ids, ss := listIDs(t, a, at)
	if strings.Join(ids, ",") != p2.Family+","+p1.Family {
		t.Fatalf("alice's sessions %v, want [%s %s] (newest first, no one else's)", ids, p2.Family, p1.Family)
	}
	if !ss[0].Current || ss[1].Current {
		t.Fatalf("current flags %v %v, want true false", ss[0].Current, ss[1].Current)
	}
	if ss[1].UserAgent != "Firefox/1" || ss[1].ClientIP != "192.0.2.1" || ss[0].ClientIP != "2001:db8::1" {
		t.Fatalf("metadata: %+v / %+v", ss[0], ss[1])
	}
	if len(ss[0].UserAgent) > revoke.MaxUserAgentLen || !strings.HasPrefix(long, ss[0].UserAgent) || len(ss[0].UserAgent) < revoke.MaxUserAgentLen-1 {
		t.Fatalf("user agent of %d bytes kept as %d bytes", len(long), len(ss[0].UserAgent))
	}
	if ss[0].AuthMethod != "pwd" || ss[0].AuthTime.IsZero() || ss[0].CreatedAt.IsZero() || !ss[0].LastUsedAt.Equal(ss[0].CreatedAt) {
		t.Fatalf("times and method: %+v", ss[0])
	}
	// CreatedAt is the tokens' issue time, to the millisecond.
	if got, want := ss[0].CreatedAt.UnixMilli(), at.issuedMillis(); got != want {
		t.Fatalf("CreatedAt %d ms, token issued at %d ms", got, want)
	}
	b, _ := json.Marshal(ss[1])
	for _, k := range []string{`"id":`, `"created_at":`, `"last_used_at":`, `"user_agent":`, `"client_ip":`, `"current":false`} {
		if !strings.Contains(string(b), k) {
			t.Fatalf("JSON %s lacks %s", b, k)
		}
	}
}

func TestSessionEndOne(t *testing.T) {
	a, _ := sessionAuth(t, nil)
	ctx := context.Background()
	p1 := login(t, a, "alice", "one", "192.0.2.1:1")
	p2 := login(t, a, "alice", "two", "192.0.2.2:1")
	pb := login(t, a, "bob", "bob", "192.0.2.3:1")
	at2, atb := mustAccess(t, a, p2), mustAccess(t, a, pb)

	// Another subject's id, guesses, and ids that cannot be: 404, and
	// nothing ends.
	for _, id := range []string{pb.Family, p1.Family + "x", strings.ToUpper(p1.Family), "", "*", strings.Repeat("a", 200), "\xff", "00000000-0000-4000-8000-000000000000"} {
		if err := a.EndSession(ctx, at2, id); !errors.Is(err, ErrSessionNotFound) {
			t.Fatalf("EndSession(%q) by alice = %v, want ErrSessionNotFound", id, err)
		}
		if _, err := a.Session(ctx, at2, id); !errors.Is(err, ErrSessionNotFound) {
			t.Fatalf("Session(%q) by alice = %v, want ErrSessionNotFound", id, err)
		}
	}
	if err := a.EndSession(ctx, atb, p1.Family); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("bob ending alice's session: %v, want ErrSessionNotFound", err)
	}
	mustAccess(t, a, p1)
	mustAccess(t, a, pb)

	if err := a.EndSession(ctx, at2, p1.Family); err != nil {
		t.Fatal(err)
	}
	mustBeRefused(t, a, p1)
	mustAccess(t, a, p2)
	if ids, _ := listIDs(t, a, at2); strings.Join(ids, ",") != p2.Family {
		t.Fatalf("after ending p1: %v", ids)
	}
	if err := a.EndSession(ctx, at2, p1.Family); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("ending it again: %v, want ErrSessionNotFound", err)
	}
	// Its own session too.
	if err := a.EndSession(ctx, at2, p2.Family); err != nil {
		t.Fatal(err)
	}
	mustBeRefused(t, a, p2)
	// The administrator's path.
	if err := a.EndSubjectSession(ctx, "https://issuer.test", "alice", pb.Family); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("EndSubjectSession of bob's id as alice's: %v", err)
	}
	if err := a.EndSubjectSession(ctx, "https://issuer.test", "bob", pb.Family); err != nil {
		t.Fatal(err)
	}
	mustBeRefused(t, a, pb)

	w := httptest.NewRecorder()
	a.WriteError(w, httptest.NewRequest("DELETE", "/sessions/x", nil), ErrSessionNotFound)
	if w.Code != 404 || strings.TrimSpace(w.Body.String()) != `{"detail":"Session not found","code":"session_not_found"}` || w.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("ErrSessionNotFound answered %d %s (WWW-Authenticate %q)", w.Code, w.Body, w.Header().Get("WWW-Authenticate"))
	}
}

func TestSessionEndOthersAndAll(t *testing.T) {
	var events []SessionEvent
	var mu sync.Mutex
	a, _ := sessionAuth(t, func(c *Config) {
		c.Sessions.OnEvent = func(_ context.Context, ev SessionEvent) { mu.Lock(); events = append(events, ev); mu.Unlock() }
	})
	ctx := context.Background()
	var pairs []Pair
	for range 5 {
		pairs = append(pairs, login(t, a, "alice", "ua", "192.0.2.1:1"))
	}
	pb := login(t, a, "bob", "ua", "192.0.2.1:1")
	keep := pairs[2]
	at := mustAccess(t, a, keep)
	n, err := a.EndOtherSessions(ctx, at)
	if err != nil || n != 4 {
		t.Fatalf("EndOtherSessions = %d, %v; want 4", n, err)
	}
	for i, p := range pairs {
		if i == 2 {
			mustAccess(t, a, p)
		} else {
			mustBeRefused(t, a, p)
		}
	}
	mustAccess(t, a, pb)
	if ids, _ := listIDs(t, a, at); strings.Join(ids, ",") != keep.Family {
		t.Fatalf("after EndOtherSessions: %v", ids)
	}
	mu.Lock()
	started, ended := 0, 0
	for _, ev := range events {
		switch {
		case ev.Kind == SessionStarted:
			started++
		case ev.Kind == SessionEnded && ev.Reason == "others":
			ended++
		}
	}
	mu.Unlock()
	if started != 6 || ended != 4 {
		t.Fatalf("events: %d started, %d ended by others; want 6, 4", started, ended)
	}

	// End all, then a login at once (same second): the new session works
	// and is the only one listed.
	if err := a.EndAllSessions(ctx, at); err != nil {
		t.Fatal(err)
	}
	mustBeRefused(t, a, keep)
	next := login(t, a, "alice", "new", "192.0.2.1:1")
	nat := mustAccess(t, a, next)
	if ids, _ := listIDs(t, a, nat); strings.Join(ids, ",") != next.Family {
		t.Fatalf("after EndAllSessions and a new login: %v", ids)
	}
	mustAccess(t, a, pb)
}

// TestSessionLogoutAllSameSecond: RevokeSubject (/logout-all) and a login
// right after, many times, whatever the millisecond within the second.
func TestSessionLogoutAllSameSecond(t *testing.T) {
	a, _ := sessionAuth(t, nil)
	ctx := context.Background()
	for i := range 20 {
		p := login(t, a, "carol", "ua", "192.0.2.1:1")
		at := mustAccess(t, a, p)
		if err := a.RevokeSubject(ctx, at.Issuer(), at.Subject()); err != nil {
			t.Fatal(err)
		}
		mustBeRefused(t, a, p)
		q := login(t, a, "carol", "ua", "192.0.2.1:1")
		qt := mustAccess(t, a, q)
		if ids, _ := listIDs(t, a, qt); len(ids) != 1 || ids[0] != q.Family {
			t.Fatalf("round %d: sessions %v, want only %s", i, ids, q.Family)
		}
		if err := a.RevokeFamily(ctx, qt); err != nil { // logout
			t.Fatal(err)
		}
		if ids, _ := listIDs(t, a, qt); len(ids) != 0 {
			t.Fatalf("round %d: after logout, sessions %v", i, ids)
		}
	}
}

func TestSessionCap(t *testing.T) {
	var ended []string
	a, _ := sessionAuth(t, func(c *Config) {
		c.Sessions.MaxPerSubject = 3
		c.Sessions.OnEvent = func(_ context.Context, ev SessionEvent) {
			if ev.Kind == SessionEnded {
				ended = append(ended, ev.Reason+":"+ev.Session.ID)
			}
		}
	})
	var pairs []Pair
	for range 5 {
		pairs = append(pairs, login(t, a, "dave", "ua", "192.0.2.1:1"))
		time.Sleep(2 * time.Millisecond)
	}
	mustBeRefused(t, a, pairs[0])
	mustBeRefused(t, a, pairs[1])
	at := mustAccess(t, a, pairs[4])
	mustAccess(t, a, pairs[2])
	mustAccess(t, a, pairs[3])
	ids, _ := listIDs(t, a, at)
	if strings.Join(ids, ",") != pairs[4].Family+","+pairs[3].Family+","+pairs[2].Family {
		t.Fatalf("sessions under a cap of 3: %v", ids)
	}
	if strings.Join(ended, ",") != "cap:"+pairs[0].Family+",cap:"+pairs[1].Family {
		t.Fatalf("ended events %v", ended)
	}
}

func TestSessionPagesAndCursor(t *testing.T) {
	a, _ := sessionAuth(t, nil)
	ctx := context.Background()
	var want []string
	for range 7 {
		p := login(t, a, "erin", "ua", "192.0.2.1:1")
		want = append([]string{p.Family}, want...)
		time.Sleep(2 * time.Millisecond) // distinct creation times: the order is by time
	}
	at := mustAccess(t, a, login(t, a, "erin", "ua", "192.0.2.1:1"))
	want = append([]string{at.Family()}, want...)
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := a.Sessions(ctx, at, cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Sessions {
			got = append(got, s.ID)
		}
		if page.Next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("no last page")
		}
		cursor = page.Next
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("walked %v\nwant   %v", got, want)
	}
	for _, c := range []string{"x", "!!", strings.Repeat("A", 300), "MTIz", "LTEuYQ"} {
		if _, err := a.Sessions(ctx, at, c, 3); !errors.Is(err, ErrBadSessionCursor) {
			t.Fatalf("cursor %q: %v, want ErrBadSessionCursor", c, err)
		}
	}
	if _, err := a.Sessions(ctx, at, "", -1); !errors.Is(err, ErrBadSessionCursor) {
		t.Fatalf("limit -1: %v", err)
	}
}

func TestSessionExpiresWithFamily(t *testing.T) {
	for _, rotation := range []bool{false, true} {
		clk := newClock()
		store := revoke.NewMemory(revoke.WithClock(clk.Now))
		t.Cleanup(func() { store.Close() })
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, Expiry: ExpiryConfig{Refresh: time.Hour},
			Revocation: RevocationConfig{Store: store, Rotation: rotation}, Sessions: SessionConfig{Enabled: true}})
		ctx := context.Background()
		start := clk.Now()
		p := login(t, a, "frank", "ua", "192.0.2.1:1")
		s, err := store.GetSession(ctx, "", "frank", p.Family)
		if err != nil {
			t.Fatal(err)
		}
		// Kept as long as a revocation of the family must be: until the
		// last token the family can mint is no longer accepted. Without
		// rotation, a refresh just before the refresh token's exp mints an
		// access token of the full 15 minutes.
		last := start.Add(time.Hour)
		if !rotation {
			last = last.Add(15 * time.Minute)
		}
		if want := a.rev.keepUntil(last.Unix()); !s.Expires.Equal(want) {
			t.Fatalf("rotation %v: session Expires %v, want keepUntil(%v) = %v", rotation, s.Expires, last, want)
		}
		// A refresh 10 s before the refresh token's end, then the session
		// is ended: the token refreshed last stays refused past the
		// refresh token's exp, as long as it could be accepted.
		clk.Add(time.Hour - 10*time.Second)
		rt := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
		var lastAccess string
		if rotation {
			lastAccess = must(a.Rotate(ctx, rt)).AccessToken
		} else {
			lastAccess = must(a.CreateAccessTokenContext(ctx, "frank", WithFamily(rt.Family())))
		}
		at := must(a.Verify(ctx, lastAccess, Requirement{}))
		if err := a.EndSession(ctx, at, p.Family); err != nil {
			t.Fatal(err)
		}
		for _, later := range []time.Duration{time.Minute, 10 * time.Minute} {
			clk.Add(later)
			if _, err := a.Verify(ctx, lastAccess, Requirement{}); err == nil {
				t.Fatalf("rotation %v: the ended session's last access token accepted %v after the refresh token's exp", rotation, clk.Now().Sub(start.Add(time.Hour)))
			}
		}
		clk.Add(time.Hour)
		if ids, _ := listIDs(t, a, at); len(ids) != 0 {
			t.Fatalf("an expired session listed: %v", ids)
		}
	}
}

func TestSessionRefreshTouchesAndReuseEnds(t *testing.T) {
	clk := newClock()
	store := revoke.NewMemory(revoke.WithClock(clk.Now))
	t.Cleanup(func() { store.Close() })
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now,
		Revocation: RevocationConfig{Store: store, Rotation: true}, Sessions: SessionConfig{Enabled: true}})
	ctx := context.Background()
	p := login(t, a, "gina", "ua", "192.0.2.1:1")
	clk.Add(10 * time.Minute)
	rt := must(a.Verify(ctx, p.RefreshToken, Requirement{Refresh: true}))
	p2, err := a.Rotate(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}
	at := mustAccess(t, a, p2)
	_, ss := listIDs(t, a, at)
	if len(ss) != 1 || ss[0].ID != p.Family || !ss[0].Current || !ss[0].LastUsedAt.Equal(clk.Now()) {
		t.Fatalf("after a refresh 10 min later: %+v (now %v)", ss, clk.Now())
	}
	// Reuse of the first refresh token: the family, hence the session, ends.
	if _, err := a.Rotate(ctx, rt); !errors.Is(err, ErrRefreshReuse) {
		t.Fatalf("reuse: %v", err)
	}
	if _, err := store.GetSession(ctx, "", "gina", p.Family); !errors.Is(err, revoke.ErrSessionNotFound) {
		t.Fatalf("session after reuse detection: %v", err)
	}
}

func TestSessionTrackAccess(t *testing.T) {
	clk := newClock()
	store := revoke.NewMemory(revoke.WithClock(clk.Now))
	t.Cleanup(func() { store.Close() })
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now,
		Revocation: RevocationConfig{Store: store}, Sessions: SessionConfig{Enabled: true, TrackAccess: true}})
	ctx := context.Background()
	p := login(t, a, "hank", "ua", "192.0.2.1:1")
	last := func() time.Time {
		s, err := store.GetSession(ctx, "", "hank", p.Family)
		if err != nil {
			t.Fatal(err)
		}
		return s.LastUsedAt
	}
	created := last()
	clk.Add(90 * time.Second)
	mustAccess(t, a, p)
	want := clk.Now()
	deadline := time.Now().Add(5 * time.Second)
	for !last().Equal(want) {
		if time.Now().After(deadline) {
			t.Fatalf("LastUsedAt %v after an access 90 s later (want %v; created %v)", last(), want, created)
		}
		time.Sleep(time.Millisecond)
	}
	// Within the same minute, no second touch.
	clk.Add(time.Second)
	if a.rev.touched.first(p.Family, clk.Now()) && clk.Now().Unix()/60 == want.Unix()/60 {
		t.Fatal("throttle let a second touch through within the minute")
	}
}

// hangingStore is a memory store whose calls block until their context
// ends while hang is set: a server that stopped answering.
type hangingStore struct {
	*revoke.Memory
	hang atomic.Bool
}

func (h *hangingStore) wait(ctx context.Context) error {
	if !h.hang.Load() {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (h *hangingStore) RevokeFamily(ctx context.Context, f string, e time.Time) error {
	if err := h.wait(ctx); err != nil {
		return err
	}
	return h.Memory.RevokeFamily(ctx, f, e)
}

func (h *hangingStore) CreateSession(ctx context.Context, s revoke.Session, max int) ([]revoke.Session, error) {
	if err := h.wait(ctx); err != nil {
		return nil, err
	}
	return h.Memory.CreateSession(ctx, s, max)
}

func (h *hangingStore) GetSession(ctx context.Context, iss, sub, id string) (revoke.Session, error) {
	if err := h.wait(ctx); err != nil {
		return revoke.Session{}, err
	}
	return h.Memory.GetSession(ctx, iss, sub, id)
}

func (h *hangingStore) ListSessions(ctx context.Context, iss, sub string, c revoke.SessionCursor, n int) ([]revoke.Session, error) {
	if err := h.wait(ctx); err != nil {
		return nil, err
	}
	return h.Memory.ListSessions(ctx, iss, sub, c, n)
}

func TestSessionStoreDown(t *testing.T) {
	store := &hangingStore{Memory: revoke.NewMemory()}
	t.Cleanup(func() { store.Close() })
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret},
		Revocation: RevocationConfig{Store: store, Timeout: 150 * time.Millisecond}, Sessions: SessionConfig{Enabled: true}})
	ctx := context.Background()
	p := login(t, a, "ivy", "ua", "192.0.2.1:1")
	at := mustAccess(t, a, p)
	store.hang.Store(true)
	calls := map[string]func() error{
		"StartSession": func() error {
			_, err := a.StartSession(httptest.NewRequest("POST", "/login", nil), "ivy", SessionInfo{})
			return err
		},
		"Sessions":         func() error { _, err := a.Sessions(ctx, at, "", 0); return err },
		"Session":          func() error { _, err := a.Session(ctx, at, p.Family); return err },
		"EndSession":       func() error { return a.EndSession(ctx, at, p.Family) },
		"EndOtherSessions": func() error { _, err := a.EndOtherSessions(ctx, at); return err },
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		took := time.Since(start)
		if !errors.Is(err, ErrStoreUnavailable) {
			t.Errorf("%s with the store hanging: %v, want ErrStoreUnavailable", name, err)
		}
		if took > time.Second {
			t.Errorf("%s took %v with a 150 ms store timeout", name, took)
		}
	}
	store.hang.Store(false)
	mustAccess(t, a, p) // nothing was ended
}

func TestSessionsConfig(t *testing.T) {
	base := func() Config {
		return Config{Keys: KeyConfig{SecretKey: testSecret}, Sessions: SessionConfig{Enabled: true}}
	}
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"no store": {func(c *Config) {}, "Sessions.Enabled"},
		"store without": {func(c *Config) {
			c.Revocation.Store = revoke.Func(func(context.Context, revoke.Query) (bool, error) { return false, nil })
		}, "Sessions.Enabled"},
		"negative cap":        {func(c *Config) { c.Revocation.Store = revoke.NewMemory(); c.Sessions.MaxPerSubject = -1 }, "Sessions.MaxPerSubject"},
		"huge cap":            {func(c *Config) { c.Revocation.Store = revoke.NewMemory(); c.Sessions.MaxPerSubject = 1 << 20 }, "Sessions.MaxPerSubject"},
		"bad header name":     {func(c *Config) { c.Revocation.Store = revoke.NewMemory(); c.Sessions.ClientIPHeader = "X Real IP" }, "Sessions.ClientIPHeader"},
		"header name newline": {func(c *Config) { c.Revocation.Store = revoke.NewMemory(); c.Sessions.ClientIPHeader = "X-IP\n" }, "Sessions.ClientIPHeader"},
	} {
		cfg := base()
		tc.mod(&cfg)
		_, err := New(cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, want a ConfigError naming %s", name, err, tc.want)
		}
	}
	// Off: the session calls say so.
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Store: revoke.NewMemory()}})
	if _, err := a.StartSession(httptest.NewRequest("POST", "/login", nil), "x", SessionInfo{}); !errors.Is(err, ErrSessionsDisabled) {
		t.Fatalf("StartSession with sessions off: %v", err)
	}
	if ErrSessionsDisabled.Status != http.StatusNotImplemented {
		t.Fatal("ErrSessionsDisabled is not 501")
	}
}

func TestSessionClientIPHeader(t *testing.T) {
	a, _ := sessionAuth(t, func(c *Config) { c.Sessions.ClientIPHeader = "X-Forwarded-For" })
	for _, tc := range []struct {
		values []string
		want   string
	}{
		{[]string{"203.0.113.5"}, "203.0.113.5"},
		{[]string{"10.0.0.1, 203.0.113.6"}, "203.0.113.6"},        // the last entry: the one our proxy appended
		{[]string{"198.51.100.1", "203.0.113.7 "}, "203.0.113.7"}, // the last header line
		{[]string{"not an ip"}, "192.0.2.99"},                     // ignored: the peer
		{nil, "192.0.2.99"},
	} {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = "192.0.2.99:4444"
		for _, v := range tc.values {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := a.rev.clientIP(r); got != tc.want {
			t.Errorf("%q: client IP %q, want %q", tc.values, got, tc.want)
		}
	}
	// Off by default: the header is never trusted.
	b, _ := sessionAuth(t, nil)
	r := httptest.NewRequest("POST", "/login", nil)
	r.RemoteAddr = "192.0.2.99:4444"
	r.Header.Set("X-Forwarded-For", "203.0.113.5")
	r.Header.Set("X-Real-IP", "203.0.113.5")
	if got := b.rev.clientIP(r); got != "192.0.2.99" {
		t.Fatalf("without ClientIPHeader: %q, want the peer", got)
	}
}

// TestSessionTwoInstances: two Auths on one store, as two processes on a
// shared Redis or SQL store: a session started on one is listed by both,
// ended on the other, and refused by both at once.
func TestSessionTwoInstances(t *testing.T) {
	store := revoke.NewMemory()
	t.Cleanup(func() { store.Close() })
	cfg := Config{Keys: KeyConfig{SecretKey: testSecret}, Revocation: RevocationConfig{Store: store}, Sessions: SessionConfig{Enabled: true}}
	a, b := mustNew(t, cfg), mustNew(t, cfg)
	ctx := context.Background()
	p1 := login(t, a, "judy", "on A", "192.0.2.1:1")
	time.Sleep(2 * time.Millisecond)
	p2 := login(t, b, "judy", "on B", "192.0.2.2:1")
	onA, _ := listIDs(t, a, mustAccess(t, a, p1))
	onB, _ := listIDs(t, b, mustAccess(t, b, p2))
	if strings.Join(onA, ",") != strings.Join(onB, ",") || len(onA) != 2 {
		t.Fatalf("lists disagree: A %v, B %v", onA, onB)
	}
	if err := b.EndSession(ctx, mustAccess(t, b, p2), p1.Family); err != nil {
		t.Fatal(err)
	}
	mustBeRefused(t, a, p1)
	mustBeRefused(t, b, p1)
	onA, _ = listIDs(t, a, mustAccess(t, a, p2))
	if len(onA) != 1 || onA[0] != p2.Family {
		t.Fatalf("A lists %v after B ended the session", onA)
	}
}
