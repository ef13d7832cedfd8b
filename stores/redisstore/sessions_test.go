package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/stores/redisstore"
)

func session(sub, id string, created time.Time, expires time.Time) revoke.Session {
	return revoke.Session{ID: id, Issuer: "iss", Subject: sub, CreatedAt: created, LastUsedAt: created, Expires: expires, UserAgent: "test"}
}

func listIDs(t *testing.T, s *redisstore.Store, sub string, limit int) []string {
	t.Helper()
	var ids []string
	var cur revoke.SessionCursor
	for {
		page, err := s.ListSessions(context.Background(), "iss", sub, cur, limit)
		must(t, err)
		for _, x := range page {
			ids = append(ids, x.ID)
		}
		if len(page) < limit {
			return ids
		}
		cur = revoke.SessionCursor{CreatedAt: page[len(page)-1].CreatedAt, ID: page[len(page)-1].ID}
	}
}

// TestSessionKeys checks the documented layout: four keys per subject
// under one hash tag, living until the latest session's expiry, and gone
// with the last session.
func TestSessionKeys(t *testing.T) {
	c := sharedRedis(t)
	p := uniquePrefix("sesskeys")
	cleanPrefix(t, c, p)
	s := redisstore.New(c, redisstore.Options{Prefix: p})
	ctx := context.Background()
	now := time.Now()
	exp1, exp2 := now.Add(time.Hour).Truncate(time.Millisecond), now.Add(2*time.Hour).Truncate(time.Millisecond)
	_, err := s.CreateSession(ctx, session("alice", "s1", now, exp1), 0)
	must(t, err)
	_, err = s.CreateSession(ctx, session("alice", "s2", now.Add(time.Millisecond), exp2), 0)
	must(t, err)
	base := p + "{S3:issalice}"
	keys, err := c.Keys(ctx, p+"*").Result()
	must(t, err)
	if len(keys) != 4 {
		t.Fatalf("keys %v, want the four session keys of one subject", keys)
	}
	slot := -1
	for _, suffix := range []string{"c", "e", "d", "u"} {
		k := base + suffix
		n, err := c.Exists(ctx, k).Result()
		must(t, err)
		if n != 1 {
			t.Fatalf("key %s missing (keys: %v)", k, keys)
		}
		ks, err := c.ClusterKeySlot(ctx, k).Result()
		if err == nil {
			if slot >= 0 && int(ks) != slot {
				t.Errorf("%s in slot %d, other keys of the subject in %d", k, ks, slot)
			}
			slot = int(ks)
		}
		d, err := c.PExpireTime(ctx, k).Result()
		must(t, err)
		if want := time.Duration(exp2.UnixMilli()) * time.Millisecond; d < want || d > want+time.Second {
			t.Errorf("%s expires at %v, want the latest session's expiry %v (or up to a second later)", k, d, want)
		}
	}
	// A Forever session removes the time to live.
	_, err = s.CreateSession(ctx, session("alice", "s3", now.Add(2*time.Millisecond), revoke.Forever), 0)
	must(t, err)
	if d, _ := c.PExpireTime(ctx, base+"d").Result(); d != -1 {
		t.Errorf("with a Forever session the keys still expire at %v", d)
	}
	for _, id := range []string{"s1", "s2", "s3"} {
		must(t, s.DeleteSession(ctx, "iss", "alice", id))
	}
	if keys, _ := c.Keys(ctx, p+"*").Result(); len(keys) != 0 {
		t.Errorf("keys %v left after deleting every session", keys)
	}
}

// TestSessionHiddenRemoved: sessions ended by their family or cut off by
// "log out everywhere" without their metadata being deleted are removed
// by the subject's next login, so a subject's keys stay bounded.
func TestSessionHiddenRemoved(t *testing.T) {
	c := sharedRedis(t)
	p := uniquePrefix("sesshidden")
	cleanPrefix(t, c, p)
	s := redisstore.New(c, redisstore.Options{Prefix: p})
	ctx := context.Background()
	now := time.Now().Add(-time.Minute)
	hour := time.Now().Add(time.Hour)
	for i := range 50 {
		id := "s" + strconv.Itoa(i)
		_, err := s.CreateSession(ctx, session("bob", id, now.Add(time.Duration(i)*time.Millisecond), hour), 0)
		must(t, err)
	}
	for i := range 30 {
		must(t, s.RevokeFamily(ctx, "s"+strconv.Itoa(i), hour))
	}
	// 40 to 49 stay live; 30 to 39 are cut off; a page walk skips every
	// hidden one, in pages smaller than the run of hidden sessions.
	must(t, s.RevokeSubject(ctx, "iss", "bob", now.Add(39*time.Millisecond), hour))
	ids := listIDs(t, s, "bob", 3)
	if len(ids) != 10 || ids[0] != "s49" || ids[9] != "s40" {
		t.Fatalf("listed %v, want s49 … s40", ids)
	}
	hlen := func() int64 {
		n, err := c.HLen(ctx, p+"{S3:issbob}d").Result()
		must(t, err)
		return n
	}
	if n := hlen(); n != 50 {
		t.Fatalf("%d sessions stored before the next login, want 50", n)
	}
	_, err := s.CreateSession(ctx, session("bob", "new", time.Now(), hour), 0)
	must(t, err)
	if n := hlen(); n != 11 {
		t.Errorf("%d sessions stored after the next login, want 11 (the hidden ones removed)", n)
	}
	for _, k := range []string{"c", "e", "u"} {
		var n int64
		var err error
		if k == "u" {
			n, err = c.HLen(ctx, p+"{S3:issbob}"+k).Result()
		} else {
			n, err = c.ZCard(ctx, p+"{S3:issbob}"+k).Result()
		}
		must(t, err)
		if n != 11 {
			t.Errorf("key %s holds %d entries, want 11", k, n)
		}
	}
}

// TestSessionsSpreadOverShards: on a Cluster, each subject's sessions sit
// in one slot and different subjects' in different ones.
func TestSessionsSpreadOverShards(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	cc := startCluster(t)
	p := uniquePrefix("sessspread")
	cleanPrefix(t, cc, p)
	s := redisstore.New(cc, redisstore.Options{Prefix: p})
	ctx := context.Background()
	for i := range 30 {
		sub := "user" + strconv.Itoa(i)
		for j := range 3 {
			over, err := s.CreateSession(ctx, session(sub, "s"+strconv.Itoa(j), time.Now(), time.Now().Add(time.Hour)), 2)
			must(t, err)
			if j == 2 && (len(over) != 1 || over[0].ID != "s0") {
				t.Fatalf("%s: the third session over a cap of 2: %v, want s0", sub, over)
			}
		}
		if ids := listIDs(t, s, sub, 2); len(ids) != 3 {
			t.Fatalf("%s: listed %v", sub, ids)
		}
	}
	slots := map[int64]bool{}
	for i := range 30 {
		slot, err := cc.ClusterKeySlot(ctx, p+"{S3:issuser"+strconv.Itoa(i)+"}d").Result()
		must(t, err)
		slots[slot] = true
	}
	if len(slots) < 10 {
		t.Errorf("30 subjects' sessions in %d slots, want them spread", len(slots))
	}
}
