package revoke_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/revoke/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) revoke.Store {
		m := revoke.NewMemory(revoke.WithSweepInterval(50 * time.Millisecond))
		t.Cleanup(func() { m.Close() })
		return m
	})
}

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestMemoryVerifier: revoked tokens stay refused through the verifier's
// whole acceptance window (issue 15, item 1).
func TestMemoryVerifier(t *testing.T) {
	storetest.RunVerifier(t, func(t *testing.T) revoke.Store {
		m := revoke.NewMemory()
		t.Cleanup(func() { m.Close() })
		return m
	})
}

func TestMemoryFakeClockExpiry(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	m := revoke.NewMemory(revoke.WithClock(clk.Now), revoke.WithSweepInterval(0))
	defer m.Close()
	ctx := context.Background()
	exp := clk.Now().Add(time.Minute)
	if err := m.RevokeToken(ctx, "j", exp); err != nil {
		t.Fatal(err)
	}
	if err := m.RevokeFamily(ctx, "f", exp); err != nil {
		t.Fatal(err)
	}
	if err := m.RevokeSubject(ctx, "i", "s", clk.Now(), exp); err != nil {
		t.Fatal(err)
	}
	if err := m.RevokeToken(ctx, "forever", revoke.Forever); err != nil {
		t.Fatal(err)
	}
	first, at, err := m.Consume(ctx, "r", exp)
	if err != nil || !first || !at.Equal(clk.Now()) {
		t.Fatalf("Consume = %v, %v, %v", first, at, err)
	}
	clk.Add(30 * time.Second)
	first, at2, err := m.Consume(ctx, "r", exp)
	if err != nil || first || !at2.Equal(at) {
		t.Fatalf("second Consume = %v, %v, %v; want false, %v", first, at2, err, at)
	}
	q := revoke.Query{JTI: "j", Family: "f", Issuer: "i", Subject: "s", IssuedAt: clk.Now().Add(-time.Hour)}
	if ok, _ := m.IsRevoked(ctx, q); !ok {
		t.Fatal("not revoked before expiry")
	}
	clk.Add(30 * time.Second) // exactly at expiry: gone
	for _, q := range []revoke.Query{{JTI: "j"}, {Family: "f"}, {Issuer: "i", Subject: "s"}} {
		if ok, err := m.IsRevoked(ctx, q); ok || err != nil {
			t.Fatalf("IsRevoked(%+v) at expiry = %v, %v", q, ok, err)
		}
	}
	// Lazy deletion removed the three revocations read above; the consume
	// mark and the Forever entry remain until a sweep.
	if n := m.Len(); n != 2 {
		t.Fatalf("Len after lazy deletion = %d, want 2", n)
	}
	if n := m.Sweep(); n != 1 {
		t.Fatalf("Sweep removed %d, want 1", n)
	}
	if ok, _ := m.IsRevoked(ctx, revoke.Query{JTI: "forever"}); !ok {
		t.Fatal("Forever entry lost")
	}
	clk.Add(100 * 365 * 24 * time.Hour)
	if ok, _ := m.IsRevoked(ctx, revoke.Query{JTI: "forever"}); !ok {
		t.Fatal("Forever entry lost after a century")
	}
}

func TestMemorySweeper(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	m := revoke.NewMemory(revoke.WithClock(clk.Now), revoke.WithSweepInterval(5*time.Millisecond))
	ctx := context.Background()
	for _, j := range []string{"a", "b", "c"} {
		if err := m.RevokeToken(ctx, j, clk.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := m.Consume(ctx, "r", clk.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := m.RevokeSubject(ctx, "i", "s", clk.Now(), clk.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Second)
	deadline := time.Now().Add(2 * time.Second)
	for m.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sweeper left %d entries", m.Len())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	// Still answers after Close.
	if ok, err := m.IsRevoked(ctx, revoke.Query{JTI: "a"}); ok || err != nil {
		t.Fatalf("after Close: %v, %v", ok, err)
	}
}

func TestMemoryEmptyIDs(t *testing.T) {
	m := revoke.NewMemory()
	defer m.Close()
	ctx := context.Background()
	if err := m.RevokeToken(ctx, "", revoke.Forever); err == nil {
		t.Error("RevokeToken(\"\") succeeded")
	}
	if err := m.RevokeFamily(ctx, "", revoke.Forever); err == nil {
		t.Error("RevokeFamily(\"\") succeeded")
	}
	if _, _, err := m.Consume(ctx, "", revoke.Forever); err == nil {
		t.Error("Consume(\"\") succeeded")
	}
}

func TestMemoryIsRevokedMissDoesNotAllocate(t *testing.T) {
	m := revoke.NewMemory()
	defer m.Close()
	ctx := context.Background()
	for i := range 1000 {
		_ = m.RevokeToken(ctx, "jti-"+string(rune('a'+i%26)), revoke.Forever)
	}
	_ = m.RevokeSubject(ctx, "iss", "other", time.Now(), revoke.Forever)
	q := revoke.Query{JTI: "miss", Family: "fam", Issuer: "iss", Subject: "sub", IssuedAt: time.Now()}
	allocs := testing.AllocsPerRun(1000, func() {
		if ok, err := m.IsRevoked(ctx, q); ok || err != nil {
			t.Fatal(ok, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("IsRevoked miss allocates %.1f times", allocs)
	}
}

func BenchmarkMemoryIsRevoked(b *testing.B) {
	m := revoke.NewMemory()
	defer m.Close()
	ctx := context.Background()
	now := time.Now()
	for i := range 10000 {
		_ = m.RevokeToken(ctx, "jti-"+itoa(i), now.Add(time.Hour))
	}
	_ = m.RevokeSubject(ctx, "iss", "sub", now.Add(-time.Hour), now.Add(time.Hour))
	b.Run("Miss", func(b *testing.B) {
		q := revoke.Query{JTI: "miss", Family: "fam", Issuer: "iss", Subject: "sub", IssuedAt: now}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = m.IsRevoked(ctx, q)
			}
		})
	})
	b.Run("Hit", func(b *testing.B) {
		q := revoke.Query{JTI: "jti-42", Issuer: "iss", Subject: "sub", IssuedAt: now}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = m.IsRevoked(ctx, q)
			}
		})
	})
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

// TestMemoryRotationRetry: concurrent retries of one refresh token within
// the grace window get one successor (storetest.RunRotationRetry).
func TestMemoryRotationRetry(t *testing.T) {
	m := revoke.NewMemory()
	t.Cleanup(func() { m.Close() })
	storetest.RunRotationRetry(t, m)
}
