package authjwttest

import (
	"sync"
	"time"
)

// Epoch is where a [Clock] made by [New] starts: a fixed instant, so that
// tokens and outputs are the same on every run.
var Epoch = time.Date(2030, time.January, 1, 12, 0, 0, 0, time.UTC)

// Clock is a manual clock for [authjwt.Config.Now] (and for
// revoke.WithClock): time stands still until the test moves it. It is
// safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time. Pass the method value (clock.Now) as
// Config.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward for a negative d) and
// returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
