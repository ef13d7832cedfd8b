//go:build linux

// Package pgproc runs a private PostgreSQL server for a test: it finds the
// server binaries, creates a throw-away cluster (initdb, trust
// authentication) in a temporary directory, runs its postmaster on a free
// loopback port, and pauses (SIGSTOP of the postmaster and every backend,
// waiting until every thread is stopped), resumes (SIGCONT), kills
// (SIGKILL, as a crash would), restarts on the same data directory and
// stops it. For tests only; Linux only, as it reads /proc.
//
// The package imports only the standard library: it waits for the server
// with database/sql under the driver name "pgx", which the test binary
// registers (import _ "github.com/jackc/pgx/v5/stdlib"). The store tests of
// stores/sqlstore and the process tests of cmd/authjwt share it;
// StopAndWait, Terminate, FreePort and WaitReady serve their MariaDB tests
// too.
package pgproc

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Missing reports that something a test needs is not there: what is
// missing, how to install it, and the error met. Tests pass their
// skip-with-a-message helper, which fails instead when
// AUTHJWTTEST_REQUIRE_SERVICES=1; it must end the test (t.Skip or
// t.Fatal).
type Missing func(t testing.TB, what, how string, err error)

// Options configure Start.
type Options struct {
	// Missing is called when the server binaries, or (as root) the
	// postgres user, are missing. Required.
	Missing Missing
	// DirPrefix is the prefix of the temporary directory's name.
	DirPrefix string
	// NoFsync runs the server with fsync=off (faster; a killed server may
	// lose its last commits).
	NoFsync bool
	// MaxConnections is the server's max_connections; 0 means 50.
	MaxConnections int
	// ReadyTimeout bounds how long a start waits for the server to answer;
	// 0 means 20 s.
	ReadyTimeout time.Duration
}

// Server is a PostgreSQL server a test runs in a directory of its own, on
// a fixed loopback port so that it can be restarted there.
type Server struct {
	// Port is the server's TCP port on 127.0.0.1.
	Port int

	opts            Options
	bin, data, sock string
	attr            *syscall.SysProcAttr
	cmd             *exec.Cmd
	log             string // the server's stdout and stderr, over every start
}

// Binaries returns the directory holding initdb and postgres: that of
// initdb on PATH, else the newest /usr/lib/postgresql/*/bin.
func Binaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", errors.New("initdb not found")
	}
	sort.Strings(found)
	return filepath.Dir(found[len(found)-1]), nil
}

// Start creates a throw-away cluster with initdb in a temporary directory
// and starts its postmaster on a free loopback port; the server is stopped
// and the directory removed when the test ends. PostgreSQL refuses to run
// as root: as root, the server runs as the "postgres" user. It calls
// o.Missing when the binaries or that user are missing.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin, err := Binaries()
	if err != nil {
		o.Missing(t, "PostgreSQL server binaries (initdb, postgres)",
			"apt-get install postgresql (initdb on PATH or under /usr/lib/postgresql/*/bin)", err)
		return nil
	}
	prefix := o.DirPrefix
	if prefix == "" {
		prefix = "authjwt-pg-"
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			o.Missing(t, "a postgres user to run a private PostgreSQL as (the tests run as root)", "useradd postgres", err)
			return nil
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		attr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	s := &Server{Port: FreePort(t), opts: o, bin: bin, data: filepath.Join(dir, "data"), sock: dir, attr: attr,
		log: filepath.Join(dir, "server.log")}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", s.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = attr
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.Start(t)
	t.Cleanup(s.Stop)
	return s
}

// URL returns the server's connection URL (user postgres, database
// postgres, no TLS), for pgx and for AUTHJWT_* store settings.
func (s *Server) URL() string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(s.Port) + "/postgres?sslmode=disable"
}

// Output returns what the server wrote to stdout and stderr so far, over
// every start.
func (s *Server) Output() string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return "(no server output: " + err.Error() + ")"
	}
	return string(b)
}

// Start runs the postmaster on the server's data directory and port and
// waits until it answers; after Kill it restarts the server, which
// recovers from its WAL.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	maxConns := s.opts.MaxConnections
	if maxConns == 0 {
		maxConns = 50
	}
	args := []string{"-D", s.data, "-p", strconv.Itoa(s.Port), "-k", s.sock,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=" + strconv.Itoa(maxConns)}
	if s.opts.NoFsync {
		args = append(args, "-c", "fsync=off")
	}
	log, err := os.OpenFile(s.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close() // the server holds its own descriptor
	s.cmd = exec.Command(filepath.Join(s.bin, "postgres"), args...)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.cmd.SysProcAttr = s.attr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting postgres: %v", err)
	}
	timeout := s.opts.ReadyTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	WaitReady(t, "pgx", s.URL(), "postgres on port "+strconv.Itoa(s.Port), timeout, s.Output)
}

// Procs returns the postmaster and its children (the backends), read from
// /proc; the postmaster comes first.
func (s *Server) Procs() []int {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	parent := strconv.Itoa(s.cmd.Process.Pid)
	pids := []int{s.cmd.Process.Pid}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 1 && f[1] == parent {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Pause stops the postmaster first (no new backends), then every backend,
// each until all its threads are stopped (StopAndWait): connections stay
// open, no answer comes.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	for _, pid := range s.Procs() {
		StopAndWait(t, pid)
	}
}

// Resume continues the backends, then the postmaster (SIGCONT). A
// process that exited meanwhile is logged; any other failure to signal
// fails the test.
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	pids := s.Procs()
	for i := len(pids) - 1; i >= 0; i-- {
		err := syscall.Kill(pids[i], syscall.SIGCONT)
		if err == syscall.ESRCH {
			t.Logf("SIGCONT %d: %v", pids[i], err)
		} else if err != nil {
			t.Fatalf("SIGCONT %d: %v", pids[i], err)
		}
	}
}

// Kill stops the server at once, as a crash would: SIGKILL to the
// backends and the postmaster, then it waits (up to 5 s) for the backends
// to be gone, as the next postmaster waits for their shared memory. Start
// restarts it.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.ProcessState != nil {
		return
	}
	pids := s.Procs()
	for i := len(pids) - 1; i >= 0; i-- {
		_ = syscall.Kill(pids[i], syscall.SIGKILL)
	}
	_ = s.cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids[1:] {
		for time.Now().Before(deadline) {
			if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Stop resumes the server if paused and shuts it down at once (SIGQUIT:
// immediate shutdown), killing it if it does not exit within 10 s. It does
// nothing when the server is not running.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.ProcessState != nil {
		return
	}
	for _, pid := range s.Procs() {
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	Terminate(s.cmd, syscall.SIGQUIT)
}

// Terminate sends sig to the started cmd and waits for it to exit,
// killing it (SIGKILL) if it has not within 10 s.
func Terminate(cmd *exec.Cmd, sig syscall.Signal) {
	_ = cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// StopAndWait sends SIGSTOP to pid and waits (up to 10 s, else the test
// fails) until every thread of it is stopped (state T in
// /proc/PID/task/*/stat). The signal only takes effect as each thread
// returns to user space: a thread finishing a disk write on a loaded
// machine could otherwise still answer a query "while paused". A process
// that exits meanwhile is left alone.
func StopAndWait(t testing.TB, pid int) {
	t.Helper()
	err := syscall.Kill(pid, syscall.SIGSTOP)
	if err == syscall.ESRCH {
		return // exited meanwhile (a backend): nothing left to answer
	}
	if err != nil {
		t.Fatalf("SIGSTOP %d: %v", pid, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !AllThreadsStopped(pid) {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not stop within 10 s of SIGSTOP", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// AllThreadsStopped reports whether every thread of pid is in state T
// (stopped) or t (traced); false when pid's threads cannot be read.
func AllThreadsStopped(pid int) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, task := range tasks {
		stat, err := os.ReadFile(dir + "/" + task.Name() + "/stat")
		if err != nil {
			return false
		}
		// The state follows the command name, which is in parentheses
		// and may itself hold spaces or parentheses.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 || i+2 >= len(stat) || (stat[i+2] != 'T' && stat[i+2] != 't') {
			return false
		}
	}
	return true
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitReady pings the database at dsn through database/sql driver until it
// answers, failing the test after timeout with what (e.g. "postgres on
// port 5433"), the last error and out(), the server's output.
func WaitReady(t testing.TB, driver, dsn, what string, timeout time.Duration, out func() string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come up: %v\n%s", what, err, out())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
