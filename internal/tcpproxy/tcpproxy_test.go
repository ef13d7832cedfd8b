package tcpproxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoServer answers every line with the same line, on loopback, until
// the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { io.Copy(c, c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func startProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// client is one connection through the proxy, reading lines.
type client struct {
	t  *testing.T
	c  net.Conn
	r  *bufio.Reader
	rc chan result // the reader's lines, one read at a time
}

type result struct {
	line string
	err  error
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl := &client{t: t, c: c, r: bufio.NewReader(c), rc: make(chan result, 1)}
	go func() {
		for {
			line, err := cl.r.ReadString('\n')
			cl.rc <- result{line, err}
			if err != nil {
				return
			}
		}
	}()
	return cl
}

func (cl *client) send(s string) error {
	_, err := cl.c.Write([]byte(s + "\n"))
	return err
}

// expect waits up to a second for the line s.
func (cl *client) expect(what, s string) {
	cl.t.Helper()
	select {
	case r := <-cl.rc:
		if r.err != nil || r.line != s+"\n" {
			cl.t.Fatalf("%s: read %q, %v; want %q", what, r.line, r.err, s)
		}
	case <-time.After(time.Second):
		cl.t.Fatalf("%s: no answer within 1s; want %q", what, s)
	}
}

// silent checks that nothing arrives for d.
func (cl *client) silent(what string, d time.Duration) {
	cl.t.Helper()
	select {
	case r := <-cl.rc:
		cl.t.Fatalf("%s: read %q, %v; want nothing", what, r.line, r.err)
	case <-time.After(d):
	}
}

// closed waits up to a second for the connection to end.
func (cl *client) closed(what string) {
	cl.t.Helper()
	select {
	case r := <-cl.rc:
		if r.err == nil {
			cl.t.Fatalf("%s: read %q; want the connection closed", what, r.line)
		}
		if !errors.Is(r.err, io.EOF) && !errors.Is(r.err, net.ErrClosed) && !isReset(r.err) {
			cl.t.Fatalf("%s: %v; want EOF or a reset", what, r.err)
		}
	case <-time.After(time.Second):
		cl.t.Fatalf("%s: still open after 1s", what)
	}
}

// expectReset checks that a connection to addr is reset, before or after
// connect returns.
func expectReset(t *testing.T, addr, what string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		if !isReset(err) {
			t.Fatalf("%s: dial: %v; want success or a reset", what, err)
		}
		return
	}
	defer c.Close()
	c.Write([]byte("hello\n"))
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("%s: read: %v; want the connection reset", what, err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}

// waitConns waits until the proxy holds n connections.
func waitConns(t *testing.T, p *Proxy, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for p.Conns() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections through the proxy, want %d", p.Conns(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const quiet = 150 * time.Millisecond // long enough for a loopback echo to come back

func TestForward(t *testing.T) {
	t.Parallel()
	p := startProxy(t, echoServer(t))
	if p.Mode() != Forward {
		t.Fatalf("mode %v at start", p.Mode())
	}
	a, b := dial(t, p.Addr()), dial(t, p.Addr())
	a.send("one")
	b.send("two")
	a.expect("first connection", "one")
	b.expect("second connection", "two")
	big := strings.Repeat("x", 200<<10) // more than one read buffer
	a.send(big)
	a.expect("200 kB line", big)
	waitConns(t, p, 2)
	a.c.Close()
	waitConns(t, p, 1) // a client's close ends its proxied connection
}

func TestPause(t *testing.T) {
	t.Parallel()
	p := startProxy(t, echoServer(t))
	held := dial(t, p.Addr())
	held.send("before")
	held.expect("before the pause", "before")

	p.Pause()
	held.send("during")
	held.silent("paused: nothing is delivered", quiet)
	late := dial(t, p.Addr()) // accepted, reaches the target only on resume
	late.send("late")
	late.silent("paused: a new connection", quiet)
	if n := p.Conns(); n != 2 {
		t.Fatalf("paused: %d connections, want both held open", n)
	}

	p.Resume()
	held.expect("resumed: what was sent during the pause arrives", "during")
	late.expect("resumed: the held connection reaches the target", "late")
	held.send("after")
	held.expect("resumed", "after")
}

func TestBlackhole(t *testing.T) {
	t.Parallel()
	p := startProxy(t, echoServer(t))
	old := dial(t, p.Addr())
	old.send("before")
	old.expect("before", "before")
	idle := dial(t, p.Addr()) // sends nothing while blackholed
	idle.send("hello")
	idle.expect("idle before", "hello")

	p.Blackhole()
	old.send("lost")
	old.silent("blackholed: bytes vanish", quiet)
	if err := old.send("still writable"); err != nil {
		t.Fatalf("blackholed: the connection was closed: %v", err)
	}
	fresh := dial(t, p.Addr()) // accepted, never reaches the target
	fresh.send("lost too")
	fresh.silent("blackholed: a new connection", quiet)
	waitConns(t, p, 3)

	p.Resume()
	old.closed("resumed: a connection that lost bytes is broken")
	fresh.closed("resumed: a connection that never reached the target")
	idle.send("again")
	idle.expect("resumed: a connection that lost nothing goes on", "again")
	next := dial(t, p.Addr())
	next.send("new")
	next.expect("resumed: a new connection", "new")
}

func TestCut(t *testing.T) {
	t.Parallel()
	p := startProxy(t, echoServer(t))
	a := dial(t, p.Addr())
	a.send("before")
	a.expect("before", "before")

	p.Cut()
	a.closed("cut: open connections close")
	expectReset(t, p.Addr(), "cut: a new connection")
	waitConns(t, p, 0)

	p.Resume()
	c := dial(t, p.Addr())
	c.send("after")
	c.expect("resumed", "after")
}

func TestTargetDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := startProxy(t, addr)
	expectReset(t, p.Addr(), "a target that refuses")
}

// TestConcurrent switches modes while clients talk, for the race
// detector, and checks that every goroutine ends with Close.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	p, err := Start(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
				if err != nil {
					continue
				}
				c.SetDeadline(time.Now().Add(50 * time.Millisecond))
				c.Write([]byte("ping\n"))
				io.ReadAll(c)
				c.Close()
			}
		})
	}
	for i := range 40 {
		switch i % 4 {
		case 0:
			p.Pause()
		case 1:
			p.Blackhole()
		case 2:
			p.Cut()
		case 3:
			p.Resume()
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	done := make(chan error)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s")
	}
	if n := p.Conns(); n != 0 {
		t.Fatalf("%d connections after Close", n)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("the proxy still accepts after Close")
	}
}
