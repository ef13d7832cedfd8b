package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
)

// The conformance of [revoke.SessionStore], run by [Run] for stores that
// implement it (skipped otherwise).
var sessionTests = []struct {
	name string
	fn   func(*testing.T, revoke.Store, revoke.SessionStore)
}{
	{"SessionRoundTrip", testSessionRoundTrip},
	{"SessionIsolation", testSessionIsolation},
	{"SessionOrderAndPages", testSessionPages},
	{"SessionEndedByFamily", testSessionEndedByFamily},
	{"SessionCutOff", testSessionCutOff},
	{"SessionExpiry", testSessionExpiry},
	{"SessionTouch", testSessionTouch},
	{"SessionDelete", testSessionDelete},
	{"SessionReplace", testSessionReplace},
	{"SessionCap", testSessionCap},
	{"SessionInvalid", testSessionInvalid},
	{"SessionContext", testSessionContext},
	{"SessionConcurrent", testSessionConcurrent},
}

// RunSessions runs only the session part of the suite against stores made
// by newStore; [Run] includes it.
func RunSessions(t *testing.T, newStore func(t *testing.T) revoke.Store) {
	t.Helper()
	for _, tc := range sessionTests {
		t.Run(tc.name, func(t *testing.T) { runSession(t, newStore(t), tc.fn) })
	}
}

func runSession(t *testing.T, s revoke.Store, fn func(*testing.T, revoke.Store, revoke.SessionStore)) {
	ss, ok := s.(revoke.SessionStore)
	if !ok {
		t.Skip("store does not implement revoke.SessionStore")
	}
	fn(t, s, ss)
}

// newSession returns a session of (iss, sub) created at, lasting an hour.
func newSession(iss, sub string, at time.Time) revoke.Session {
	return revoke.Session{
		ID: id("sess"), Issuer: iss, Subject: sub,
		CreatedAt: at, LastUsedAt: at, Expires: at.Add(time.Hour),
		UserAgent: "Mozilla/5.0 (storetest)", ClientIP: "192.0.2.7",
	}
}

// ms is t truncated to the millisecond, as stores keep session times.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli())
}

func create(t *testing.T, ss revoke.SessionStore, s revoke.Session, max int) []revoke.Session {
	t.Helper()
	over, err := ss.CreateSession(ctxT(t), s, max)
	if err != nil {
		t.Fatalf("CreateSession(%s): %v", s.ID, err)
	}
	return over
}

// sameSession fails unless got is want as a store keeps it: times to the
// millisecond, Expires never earlier (stores may round it up).
func sameSession(t *testing.T, got, want revoke.Session) {
	t.Helper()
	wantE, gotE := want.Expires, got.Expires
	want.Expires, got.Expires = time.Time{}, time.Time{}
	want.CreatedAt, want.LastUsedAt, want.AuthTime = ms(want.CreatedAt), ms(want.LastUsedAt), ms(want.AuthTime)
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.LastUsedAt.Equal(want.LastUsedAt) || !got.AuthTime.Equal(want.AuthTime) {
		t.Fatalf("session %s times: created %v, last used %v, auth %v; want %v, %v, %v", want.ID,
			got.CreatedAt, got.LastUsedAt, got.AuthTime, want.CreatedAt, want.LastUsedAt, want.AuthTime)
	}
	got.CreatedAt, got.LastUsedAt, got.AuthTime = want.CreatedAt, want.LastUsedAt, want.AuthTime
	if got != want {
		t.Fatalf("session = %+v\nwant      %+v", got, want)
	}
	switch {
	case wantE.IsZero() && !gotE.IsZero():
		t.Fatalf("session %s: Expires %v, want Forever", want.ID, gotE)
	case !wantE.IsZero() && (gotE.IsZero() || gotE.Before(wantE) || gotE.After(wantE.Add(2*time.Second))):
		t.Fatalf("session %s: Expires %v, want %v (or up to 2 s later)", want.ID, gotE, wantE)
	}
}

func getSession(t *testing.T, ss revoke.SessionStore, iss, sub, sid string) (revoke.Session, bool) {
	t.Helper()
	s, err := ss.GetSession(ctxT(t), iss, sub, sid)
	if errors.Is(err, revoke.ErrSessionNotFound) {
		return revoke.Session{}, false
	}
	if err != nil {
		t.Fatalf("GetSession(%q, %q, %q): %v", iss, sub, sid, err)
	}
	if s.ID != sid || s.Issuer != iss || s.Subject != sub {
		t.Fatalf("GetSession(%q, %q, %q) returned session %q of (%q, %q)", iss, sub, sid, s.ID, s.Issuer, s.Subject)
	}
	return s, true
}

func notFound(t *testing.T, ss revoke.SessionStore, iss, sub, sid string) {
	t.Helper()
	if s, ok := getSession(t, ss, iss, sub, sid); ok {
		t.Fatalf("GetSession(%q, %q, %q) = %+v, want ErrSessionNotFound", iss, sub, sid, s)
	}
}

// listAll walks every page of (iss, sub) with pages of n and returns the
// ids, checking each page's order and size.
func listAll(t *testing.T, ss revoke.SessionStore, iss, sub string, n int) []string {
	t.Helper()
	var ids []string
	var cur revoke.SessionCursor
	var prev *revoke.Session
	for range 1000 {
		page, err := ss.ListSessions(ctxT(t), iss, sub, cur, n)
		if err != nil {
			t.Fatalf("ListSessions(%q, %q, %+v, %d): %v", iss, sub, cur, n, err)
		}
		if len(page) > n {
			t.Fatalf("ListSessions(limit %d) returned %d sessions", n, len(page))
		}
		for i := range page {
			s := &page[i]
			if s.Issuer != iss || s.Subject != sub {
				t.Fatalf("ListSessions(%q, %q) returned a session of (%q, %q)", iss, sub, s.Issuer, s.Subject)
			}
			if prev != nil && !before(prev, s) {
				t.Fatalf("ListSessions: %s (%v) listed after %s (%v): want newest first, then id descending", s.ID, s.CreatedAt, prev.ID, prev.CreatedAt)
			}
			prev = s
			ids = append(ids, s.ID)
		}
		if len(page) < n {
			return ids
		}
		cur = revoke.SessionCursor{CreatedAt: page[len(page)-1].CreatedAt, ID: page[len(page)-1].ID}
	}
	t.Fatal("ListSessions never returned a short page")
	return nil
}

// before reports whether a comes strictly before b, newest first.
func before(a, b *revoke.Session) bool {
	am, bm := a.CreatedAt.UnixMilli(), b.CreatedAt.UnixMilli()
	return am > bm || am == bm && a.ID > b.ID
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: sessions %v, want %v", what, got, want)
	}
}

func testSessionRoundTrip(t *testing.T, _ revoke.Store, ss revoke.SessionStore) {
	now := time.Now()
	sub := id("user")
	// Every field at its longest, non-ASCII included, sub-millisecond times.
	full := revoke.Session{
		ID:         id("sess") + strings.Repeat("i", revoke.MaxSessionIDLen-len(id("sess"))),
		Issuer:     "https://issuer.example",
		Subject:    sub,
		CreatedAt:  now.Add(-1500 * time.Microsecond),
		LastUsedAt: now.Add(-700 * time.Microsecond),
		Expires:    now.Add(time.Hour + 250*time.Millisecond),
		AuthTime:   now.Add(-time.Minute - 300*time.Microsecond),
		AuthMethod: strings.Repeat("m", revoke.MaxAuthMethodLen),
		UserAgent:  strings.Repeat("é", revoke.MaxUserAgentLen/2),
		ClientIP:   strings.Repeat("f", revoke.MaxClientIPLen),
		Label:      strings.Repeat("ü", revoke.MaxSessionLabelLen/2),
	}
	if over := create(t, ss, full, 0); len(over) != 0 {
		t.Fatalf("CreateSession without a cap returned %d sessions over it", len(over))
	}
	got, ok := getSession(t, ss, full.Issuer, sub, full.ID)
	if !ok {
		t.Fatal("GetSession of a session just created: not found")
	}
	sameSession(t, got, full)

	// The fewest fields: no issuer, no optional metadata, Forever.
	min := revoke.Session{ID: id("sess"), Subject: sub, CreatedAt: now, LastUsedAt: now}
	create(t, ss, min, 0)
	got, ok = getSession(t, ss, "", sub, min.ID)
	if !ok {
		t.Fatal("GetSession of a minimal session: not found")
	}
	sameSession(t, got, min)

	page, err := ss.ListSessions(ctxT(t), full.Issuer, sub, revoke.SessionCursor{}, revoke.MaxSessionPage)
	must(t, err)
	if len(page) != 1 {
		t.Fatalf("ListSessions: %d sessions, want 1", len(page))
	}
	sameSession(t, page[0], full)
}

// testSessionIsolation: a session is reached only through its own
// (issuer, subject) and exact id.
func testSessionIsolation(t *testing.T, _ revoke.Store, ss revoke.SessionStore) {
	now := time.Now()
	alice, bob := id("alice"), id("bob")
	a := newSession("iss", alice, now)
	b := newSession("iss", bob, now)
	create(t, ss, a, 0)
	create(t, ss, b, 0)
	notFound(t, ss, "iss", bob, a.ID)
	notFound(t, ss, "iss", alice, b.ID)
	notFound(t, ss, "other", alice, a.ID)
	notFound(t, ss, "", alice, a.ID)
	notFound(t, ss, "iss", alice, a.ID+"x")
	notFound(t, ss, "iss", alice, a.ID[:len(a.ID)-1])
	notFound(t, ss, "iss", alice, strings.ToUpper(a.ID))
	notFound(t, ss, "iss", alice, "")
	notFound(t, ss, "iss", alice, "*")
	notFound(t, ss, "iss", alice, "%")
	notFound(t, ss, "iss", alice, id("guess"))
	notFound(t, ss, "iss", "", a.ID)
	// Issuer and subject must not be confused when concatenated.
	c := newSession("x:", ":"+alice, now)
	create(t, ss, c, 0)
	notFound(t, ss, "x::", alice, c.ID)
	notFound(t, ss, "x", "::"+alice, c.ID)
	if _, ok := getSession(t, ss, "x:", ":"+alice, c.ID); !ok {
		t.Fatal("session of (\"x:\", \":sub\") not found")
	}
	sameIDs(t, "alice's", listAll(t, ss, "iss", alice, 10), []string{a.ID})
	sameIDs(t, "bob's", listAll(t, ss, "iss", bob, 10), []string{b.ID})
	sameIDs(t, "another issuer's", listAll(t, ss, "other", alice, 10), nil)
	sameIDs(t, "an unknown subject's", listAll(t, ss, "iss", id("nobody"), 10), nil)
	// Ending nothing of another subject.
	must(t, ss.DeleteSession(ctxT(t), "iss", bob, a.ID))
	must(t, ss.TouchSession(ctxT(t), "iss", bob, a.ID, now.Add(time.Minute)))
	got, ok := getSession(t, ss, "iss", alice, a.ID)
	if !ok {
		t.Fatal("DeleteSession of another subject deleted alice's session")
	}
	sameSession(t, got, a)
}

func testSessionPages(t *testing.T, _ revoke.Store, ss revoke.SessionStore) {
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	sub := id("user")
	var want []revoke.Session
	// Eleven sessions: distinct times, and three sharing one millisecond
	// (ordered by id), created out of order.
	for i, off := range []int{5, 1, 9, 3, 3, 3, 7, 0, 10, 2, 8} {
		s := newSession("iss", sub, base.Add(time.Duration(off)*time.Second+time.Duration(i)*time.Microsecond))
		create(t, ss, s, 0)
		want = append(want, s)
	}
	order := func() []string {
		ss := append([]revoke.Session(nil), want...)
		for i := range ss {
			for j := i + 1; j < len(ss); j++ {
				if before(&ss[j], &ss[i]) {
					ss[i], ss[j] = ss[j], ss[i]
				}
			}
		}
		ids := make([]string, len(ss))
		for i := range ss {
			ids[i] = ss[i].ID
		}
		return ids
	}()
	for _, n := range []int{1, 2, 3, 4, 10, 11, 12, revoke.MaxSessionPage} {
		sameIDs(t, fmt.Sprintf("pages of %d", n), listAll(t, ss, "iss", sub, n), order)
	}
	// A cursor that is no session's position still resumes after it.
	mid := want[0] // created at base+5s
	page, err := ss.ListSessions(ctxT(t), "iss", sub, revoke.SessionCursor{CreatedAt: mid.CreatedAt, ID: ""}, revoke.MaxSessionPage)
	must(t, err)
	for _, s := range page {
		if s.CreatedAt.UnixMilli() > mid.CreatedAt.UnixMilli() || s.ID == mid.ID {
			t.Fatalf("after a cursor at %v (id \"\"), got %s created at %v", mid.CreatedAt, s.ID, s.CreatedAt)
		}
	}
	if len(page) != 6 {
		t.Fatalf("after the cursor at base+5s: %d sessions, want 6", len(page))
	}
}

// testSessionEndedByFamily: a session whose family is revoked is no
// longer live, whoever revoked it, even though its metadata is still
// stored.
func testSessionEndedByFamily(t *testing.T, s revoke.Store, ss revoke.SessionStore) {
	now := time.Now()
	sub := id("user")
	a, b, c := newSession("iss", sub, now), newSession("iss", sub, now.Add(time.Millisecond)), newSession("iss", sub, now.Add(2*time.Millisecond))
	for _, x := range []revoke.Session{a, b, c} {
		create(t, ss, x, 0)
	}
	must(t, s.RevokeFamily(ctxT(t), b.ID, hour()))
	notFound(t, ss, "iss", sub, b.ID)
	sameIDs(t, "after revoking b's family", listAll(t, ss, "iss", sub, 10), []string{c.ID, a.ID})
	// A revoked jti of the same text is not a family.
	must(t, s.RevokeToken(ctxT(t), a.ID, hour()))
	if _, ok := getSession(t, ss, "iss", sub, a.ID); !ok {
		t.Fatal("RevokeToken(session id) hid the session: only its family ends it")
	}
	// A family entry that expired no longer hides (the session's own
	// Expires still rules).
	d := newSession("iss", sub, now.Add(3*time.Millisecond))
	create(t, ss, d, 0)
	must(t, s.RevokeFamily(ctxT(t), d.ID, time.Now().Add(-time.Second)))
	if _, ok := getSession(t, ss, "iss", sub, d.ID); !ok {
		t.Fatal("a family entry already expired hid the session")
	}
	// Touching an ended session does not bring it back.
	must(t, ss.TouchSession(ctxT(t), "iss", sub, b.ID, time.Now()))
	notFound(t, ss, "iss", sub, b.ID)
}

// testSessionCutOff: "log out everywhere" (a subject cutoff) hides every
// session created at or before it, to the millisecond, and none created
// after, even in the same second.
func testSessionCutOff(t *testing.T, s revoke.Store, ss revoke.SessionStore) {
	base := time.Now().Truncate(time.Second)
	sub, other := id("user"), id("user")
	early := newSession("iss", sub, base.Add(-time.Minute))
	atCut := newSession("iss", sub, base.Add(900*time.Millisecond+999*time.Microsecond))
	after := newSession("iss", sub, base.Add(901*time.Millisecond))
	otherIss := newSession("other", sub, base)
	otherSub := newSession("iss", other, base)
	for _, x := range []revoke.Session{early, atCut, after, otherIss, otherSub} {
		create(t, ss, x, 0)
	}
	must(t, s.RevokeSubject(ctxT(t), "iss", sub, base.Add(900*time.Millisecond), hour()))
	notFound(t, ss, "iss", sub, early.ID)
	notFound(t, ss, "iss", sub, atCut.ID)
	sameIDs(t, "after the cutoff", listAll(t, ss, "iss", sub, 10), []string{after.ID})
	if _, ok := getSession(t, ss, "other", sub, otherIss.ID); !ok {
		t.Fatal("a cutoff of one issuer hid the session of another")
	}
	if _, ok := getSession(t, ss, "iss", other, otherSub.ID); !ok {
		t.Fatal("a cutoff of one subject hid the session of another")
	}
	// A login right after it, in the same second: a new live session that
	// counts towards the cap while the hidden ones do not.
	next := newSession("iss", sub, base.Add(902*time.Millisecond))
	if over := create(t, ss, next, 2); len(over) != 0 {
		t.Fatalf("CreateSession(max 2) after the cutoff returned %d over it; hidden sessions must not count", len(over))
	}
	sameIDs(t, "after a new login", listAll(t, ss, "iss", sub, 10), []string{next.ID, after.ID})
}

func testSessionExpiry(t *testing.T, _ revoke.Store, ss revoke.SessionStore) {
	start := time.Now()
	sub := id("user")
	past := newSession("iss", sub, start.Add(-time.Hour))
	past.Expires = start.Add(-time.Second)
	soon := newSession("iss", sub, start)
	soon.Expires = start.Add(time.Second)
	forever := newSession("iss", sub, start.Add(-time.Minute))
	forever.Expires = revoke.Forever
	for _, x := range []revoke.Session{past, soon, forever} {
		create(t, ss, x, 0)
	}
	notFound(t, ss, "iss", sub, past.ID)
	if time.Since(start) > 800*time.Millisecond {
		t.Skip("store too slow to check one-second expiries reliably")
	}
	if _, ok := getSession(t, ss, "iss", sub, soon.ID); !ok && time.Now().Before(soon.Expires) {
		t.Fatal("session forgotten before its expiry")
	}
	sameIDs(t, "before the expiry", listAll(t, ss, "iss", sub, 10), []string{soon.ID, forever.ID})
	time.Sleep(time.Until(soon.Expires.Add(150 * time.Millisecond)))
	notFound(t, ss, "iss", sub, soon.ID)
	sameIDs(t, "after the expiry", listAll(t, ss, "iss", sub, 10), []string{forever.ID})
	must(t, ss.TouchSession(ctxT(t), "iss", sub, soon.ID, time.Now()))
	notFound(t, ss, "iss", sub, soon.ID)
}

func testSessionTouch(t *testing.T, _ revoke.Store, ss revoke.SessionStore) {
	now := time.Now()
	sub := id("user")
	a := newSession("iss", sub, now)
	create(t, ss, a, 0)
	later := now.Add(90*time.Second + 1234*time.Microsecond)
	must(t, ss.TouchSession(ctxT(t), "iss", sub, a.ID, later))
	got, _ := getSession(t, ss, "iss", sub, a.ID)
	want := a
	want.LastUsedAt = later
	sameSession(t, got, want)
	// Never backwards.
	must(t, ss.TouchSession(ctxT(t), "iss", sub, a.ID, now.Add(time.Second)))
	got, _ = getSession(t, ss, "iss", sub, a.ID)
	sameSession(t, got, want)
	// An unknown session is not created by a touch.
	ghost := id("sess")
	must(t, ss.TouchSession(ctxT(t), "iss", sub, ghost, later))
	notFound(t, ss, "iss", sub, ghost)
	sameIDs(t, "after touching an unknown id", listAll(t, ss, "iss", sub, 10), []string{a.ID})
}

func testSessionDelete(t *testing.T, _ revoke.Store, ss revoke.SessionStore) {
	now := time.Now()
	sub := id("user")
	a, b := newSession("iss", sub, now), newSession("iss", sub, now.Add(time.Millisecond))
	create(t, ss, a, 0)
	create(t, ss, b, 0)
	must(t, ss.DeleteSession(ctxT(t), "iss", sub, a.ID))
	notFound(t, ss, "iss", sub, a.ID)
	sameIDs(t, "after deleting a", listAll(t, ss, "iss", sub, 10), []string{b.ID})
	must(t, ss.DeleteSession(ctxT(t), "iss", sub, a.ID))     // again
	must(t, ss.DeleteSession(ctxT(t), "iss", sub, id("no"))) // never stored
	must(t, ss.DeleteSession(ctxT(t), "iss", id("nobody"), id("no")))
	must(t, ss.DeleteSession(ctxT(t), "iss", sub, b.ID))
	sameIDs(t, "after deleting both", listAll(t, ss, "iss", sub, 10), nil)
}

func testSessionReplace(t *testing.T, _ revoke.Store, ss revoke.SessionStore) {
	now := time.Now()
	sub := id("user")
	a := newSession("iss", sub, now)
	create(t, ss, a, 0)
	a2 := a
	a2.Label, a2.UserAgent, a2.LastUsedAt = "renamed", "curl/8", now.Add(time.Second)
	create(t, ss, a2, 0)
	got, _ := getSession(t, ss, "iss", sub, a.ID)
	sameSession(t, got, a2)
	sameIDs(t, "after replacing", listAll(t, ss, "iss", sub, 10), []string{a.ID})
}

// testSessionCap: CreateSession reports the oldest live sessions beyond
// the cap, oldest first, without deleting them and never the new one.
func testSessionCap(t *testing.T, s revoke.Store, ss revoke.SessionStore) {
	base := time.Now().Add(-time.Minute)
	sub := id("user")
	var all []revoke.Session
	for i := range 3 {
		x := newSession("iss", sub, base.Add(time.Duration(i)*time.Second))
		all = append(all, x)
		if over := create(t, ss, x, 3); len(over) != 0 {
			t.Fatalf("session %d of a cap of 3: %d over it", i+1, len(over))
		}
	}
	// The fourth and fifth: one over, the oldest.
	d := newSession("iss", sub, base.Add(3*time.Second))
	over := create(t, ss, d, 3)
	if len(over) != 1 || over[0].ID != all[0].ID {
		t.Fatalf("a 4th session, cap 3: over = %v, want [%s]", sessionIDs(over), all[0].ID)
	}
	sameSession(t, over[0], all[0])
	// Not deleted: the caller ends it.
	if _, ok := getSession(t, ss, "iss", sub, all[0].ID); !ok {
		t.Fatal("CreateSession deleted the session over the cap itself")
	}
	must(t, s.RevokeFamily(ctxT(t), all[0].ID, hour()))
	must(t, ss.DeleteSession(ctxT(t), "iss", sub, all[0].ID))
	// A new session older than the others (a clock behind) is not
	// reported over the cap, even though it is the oldest.
	old := newSession("iss", sub, base.Add(-time.Hour))
	old.Expires = hour()
	over = create(t, ss, old, 3)
	if len(over) != 1 || over[0].ID != all[1].ID {
		t.Fatalf("an old new session, cap 3: over = %v, want [%s] (never the new one)", sessionIDs(over), all[1].ID)
	}
	// Cap 1 with four live: three over, oldest first, excluding the new one.
	e := newSession("iss", sub, base.Add(4*time.Second))
	over = create(t, ss, e, 1)
	sameIDs(t, "cap 1", sessionIDs(over), []string{old.ID, all[1].ID, all[2].ID, d.ID})
	// No cap.
	if over := create(t, ss, newSession("iss", sub, base.Add(5*time.Second)), 0); len(over) != 0 {
		t.Fatalf("max 0: %d over", len(over))
	}
}

func sessionIDs(ss []revoke.Session) []string {
	var ids []string
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return ids
}

func testSessionInvalid(t *testing.T, _ revoke.Store, ss revoke.SessionStore) {
	now := time.Now()
	sub := id("user")
	bad := map[string]func(*revoke.Session){
		"empty id":           func(s *revoke.Session) { s.ID = "" },
		"empty subject":      func(s *revoke.Session) { s.Subject = "" },
		"long id":            func(s *revoke.Session) { s.ID = strings.Repeat("i", revoke.MaxSessionIDLen+1) },
		"long user agent":    func(s *revoke.Session) { s.UserAgent = strings.Repeat("u", revoke.MaxUserAgentLen+1) },
		"long client ip":     func(s *revoke.Session) { s.ClientIP = strings.Repeat("1", revoke.MaxClientIPLen+1) },
		"long label":         func(s *revoke.Session) { s.Label = strings.Repeat("l", revoke.MaxSessionLabelLen+1) },
		"long auth method":   func(s *revoke.Session) { s.AuthMethod = strings.Repeat("m", revoke.MaxAuthMethodLen+1) },
		"user agent not UTF": func(s *revoke.Session) { s.UserAgent = "a\xffb" },
	}
	for name, mut := range bad {
		x := newSession("iss", sub, now)
		mut(&x)
		if _, err := ss.CreateSession(ctxT(t), x, 0); err == nil {
			t.Errorf("CreateSession with %s: no error", name)
		}
	}
	sameIDs(t, "after refused sessions", listAll(t, ss, "iss", sub, 10), nil)
	for _, n := range []int{0, -1, revoke.MaxSessionPage + 1} {
		if _, err := ss.ListSessions(ctxT(t), "iss", sub, revoke.SessionCursor{}, n); err == nil {
			t.Errorf("ListSessions(limit %d): no error", n)
		}
	}
}

func testSessionContext(t *testing.T, _ revoke.Store, ss revoke.SessionStore) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	now := time.Now()
	sub := id("user")
	x := newSession("iss", sub, now)
	if _, err := ss.CreateSession(ctx, x, 0); err == nil {
		t.Error("CreateSession with a cancelled context: no error")
	}
	if _, err := ss.GetSession(ctx, "iss", sub, x.ID); err == nil || errors.Is(err, revoke.ErrSessionNotFound) {
		t.Errorf("GetSession with a cancelled context = %v, want the context's error", err)
	}
	if _, err := ss.ListSessions(ctx, "iss", sub, revoke.SessionCursor{}, 10); err == nil {
		t.Error("ListSessions with a cancelled context: no error")
	}
	if err := ss.TouchSession(ctx, "iss", sub, x.ID, now); err == nil {
		t.Error("TouchSession with a cancelled context: no error")
	}
	if err := ss.DeleteSession(ctx, "iss", sub, x.ID); err == nil {
		t.Error("DeleteSession with a cancelled context: no error")
	}
}

// testSessionConcurrent: logins, touches, listings and ends of one
// subject at once, as several instances sharing the store do.
func testSessionConcurrent(t *testing.T, s revoke.Store, ss revoke.SessionStore) {
	now := time.Now()
	sub := id("user")
	const n = 16
	sess := make([]revoke.Session, n)
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for i := range n {
		sess[i] = newSession("iss", sub, now.Add(time.Duration(i)*time.Millisecond))
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := ctxT(t)
			if _, err := ss.CreateSession(ctx, sess[i], 0); err != nil {
				errs <- err
				return
			}
			if err := ss.TouchSession(ctx, "iss", sub, sess[i].ID, now.Add(time.Minute)); err != nil {
				errs <- err
			}
			if _, err := ss.ListSessions(ctx, "iss", sub, revoke.SessionCursor{}, 5); err != nil {
				errs <- err
			}
			if i%2 == 1 {
				if err := s.RevokeFamily(ctx, sess[i].ID, hour()); err != nil {
					errs <- err
				}
				if err := ss.DeleteSession(ctx, "iss", sub, sess[i].ID); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var want []string
	for i := n - 2; i >= 0; i -= 2 {
		want = append(want, sess[i].ID)
	}
	sameIDs(t, "after concurrent logins and ends", listAll(t, ss, "iss", sub, 3), want)
}
