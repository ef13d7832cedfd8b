// Package tcpproxy is a TCP proxy on loopback that a test puts between a
// client and a server to make the link between them fail on command:
// pause it (nothing is delivered, nothing is lost), blackhole it (bytes
// vanish, connections stay open), cut it (every connection closes, new
// ones are reset) and resume it. For tests only: it listens on 127.0.0.1
// and forwards to one target address.
//
// The process tests of cmd/authjwt put it between one `authjwt serve`
// instance and the shared revocation store; store tests can put it between
// a store and its server.
package tcpproxy

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Mode is what the proxy does with the bytes of its connections.
type Mode int

const (
	// Forward copies bytes both ways, as a healthy link does.
	Forward Mode = iota
	// Pause stops delivering and holds everything: connections stay open,
	// bytes already sent wait (in the proxy and the kernel's buffers) and
	// arrive when the proxy resumes; a new connection is accepted but
	// reaches the target only then. A stalled network whose TCP
	// retransmits.
	Pause
	// Blackhole drops every byte, both ways, without closing anything: a
	// firewall that starts dropping packets. A connection that lost bytes
	// (and every connection accepted meanwhile, which never reached the
	// target) is broken, as its TCP connection would be once its
	// retransmissions time out: Resume closes it.
	Blackhole
	// Cut closes every connection, both ways, and resets each new
	// connection at once: the server or the route is gone.
	Cut
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case Forward:
		return "forward"
	case Pause:
		return "pause"
	case Blackhole:
		return "blackhole"
	case Cut:
		return "cut"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Proxy is a running proxy. Its methods are safe for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	mode    Mode
	changed chan struct{} // closed and replaced at every change of mode
	conns   map[*conn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// conn is one proxied connection: the client's side and, once dialled, the
// target's.
type conn struct {
	client   net.Conn
	upstream net.Conn // nil until dialled; never dialled in Blackhole
	broken   bool     // lost bytes (or never reached the target): closed by Resume
	once     sync.Once
	done     chan struct{} // closed by close
}

func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		c.client.Close()
		if c.upstream != nil {
			c.upstream.Close()
		}
	})
}

// Start listens on a free loopback port and forwards every connection to
// target (host:port), in Forward mode.
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tcpproxy: %w", err)
	}
	p := &Proxy{ln: ln, target: target, changed: make(chan struct{}), conns: map[*conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address (127.0.0.1:PORT), for the client to dial
// instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Mode returns the current mode.
func (p *Proxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Conns returns the number of open connections.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Pause holds every connection (see [Pause]).
func (p *Proxy) Pause() { p.set(Pause) }

// Blackhole drops every byte (see [Blackhole]).
func (p *Proxy) Blackhole() { p.set(Blackhole) }

// Cut closes every connection and resets new ones (see [Cut]).
func (p *Proxy) Cut() { p.set(Cut) }

// Resume forwards again: held bytes are delivered, held connections reach
// the target, broken connections (see [Blackhole]) are closed.
func (p *Proxy) Resume() { p.set(Forward) }

func (p *Proxy) set(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.mode = m
	close(p.changed)
	p.changed = make(chan struct{})
	for c := range p.conns {
		if m == Cut || (m == Forward && c.broken) {
			c.close()
		}
	}
}

// state returns the mode and a channel closed at its next change.
func (p *Proxy) state() (Mode, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode, p.changed
}

// Close stops listening, closes every connection and waits until every
// goroutine of the proxy has returned.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		c := &conn{client: nc, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			nc.Close()
			return
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(c)
	}
}

// dialTimeout bounds reaching the target (a stopped server still accepts;
// a missing one refuses at once).
const dialTimeout = 2 * time.Second

func (p *Proxy) serve(c *conn) {
	defer p.wg.Done()
	defer func() {
		c.close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	// Wait out a pause before reaching the target.
	for {
		m, changed := p.state()
		switch m {
		case Cut:
			reset(c.client)
			return
		case Blackhole:
			p.mu.Lock()
			c.broken = true
			p.mu.Unlock()
			p.sink(c)
			return
		case Pause:
			select {
			case <-changed:
				continue
			case <-c.done:
				return
			}
		}
		break
	}
	up, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		reset(c.client)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		up.Close()
		return
	}
	c.upstream = up
	p.mu.Unlock()
	// A Cut or Close between the dial and here closed the client only.
	select {
	case <-c.done:
		up.Close()
		return
	default:
	}
	var wg sync.WaitGroup
	wg.Go(func() { p.pump(c, c.client, up) })
	wg.Go(func() { p.pump(c, up, c.client) })
	wg.Wait()
}

// sink reads and drops what the client sends until the connection is
// closed (by the client, Resume, Cut or Close).
func (p *Proxy) sink(c *conn) {
	io.Copy(io.Discard, c.client)
}

// pump copies src to dst, obeying the mode before each write; either side
// ending ends the connection.
func (p *Proxy) pump(c *conn, src, dst net.Conn) {
	defer c.close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.deliver(c, dst, buf[:n]) {
			return
		}
		if err != nil {
			return
		}
	}
}

// deliver writes b to dst once the mode allows, drops it in Blackhole,
// and reports whether the connection goes on.
func (p *Proxy) deliver(c *conn, dst net.Conn, b []byte) bool {
	for {
		m, changed := p.state()
		switch m {
		case Forward:
			_, err := dst.Write(b)
			return err == nil
		case Blackhole:
			p.mu.Lock()
			c.broken = true
			p.mu.Unlock()
			return true
		case Cut:
			return false
		case Pause:
			select {
			case <-changed:
			case <-c.done:
				return false
			}
		}
	}
}

// reset closes nc with an RST rather than a FIN: a refused or reset
// connection, not a clean end of stream.
func reset(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	nc.Close()
}
