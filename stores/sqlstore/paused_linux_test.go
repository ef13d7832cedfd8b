package sqlstore_test

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

	"github.com/librenz/authjwt/revoke/storetest"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// TestAuthPausedStore pauses a private PostgreSQL (SIGSTOP of the
// postmaster and every backend) and checks that every authjwt operation
// that calls the store — verification, Revoke, RevokeFamily,
// RevokeSubject, Rotate's consume and reuse paths, WatchToken's polling —
// fails with ErrStoreUnavailable within about Revocation.Timeout instead of
// hanging for the pause, and that every session call fails at its
// context's deadline. The DSN sets no timeouts, so only Revocation.Timeout
// can end the calls.
func TestAuthPausedStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and pauses a PostgreSQL server")
	}
	pg := startPostgres(t)
	db, err := openPing(t, "pgx", pg.dsn())
	if err != nil {
		t.Fatalf("connecting to the private PostgreSQL: %v\n%s", err, pg.out)
	}
	t.Cleanup(func() { db.Close() })
	s := newStore(t, db, sqlstore.Postgres, sqlstore.Options{})
	storetest.RunPaused(t, s, pg.pause, pg.resume)
}

// pgProc is a PostgreSQL server the test started in a directory of its own.
type pgProc struct {
	cmd  *exec.Cmd
	port int
	out  *bytes.Buffer
}

func (p *pgProc) dsn() string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(p.port) + "/postgres?sslmode=disable"
}

// postgresBinaries returns the directory holding initdb and postgres, or
// skips.
func postgresBinaries(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		requireService(t, "PostgreSQL server binaries (initdb, postgres)",
			"apt-get install postgresql (initdb on PATH or under /usr/lib/postgresql/*/bin)", errors.New("initdb not found"))
	}
	sort.Strings(found)
	return filepath.Dir(found[len(found)-1])
}

// startPostgres creates a throw-away cluster (initdb, trust auth) in a
// temporary directory and runs its postmaster on a free loopback port
// until the test ends. PostgreSQL refuses to run as root: as root, the
// server runs as the "postgres" user.
func startPostgres(t *testing.T) *pgProc {
	t.Helper()
	bin := postgresBinaries(t)
	dir, err := os.MkdirTemp("", "authjwt-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			requireService(t, "a postgres user to run a private PostgreSQL as (the tests run as root)", "useradd postgres", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		attr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = attr
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=50")
	out := new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting postgres: %v", err)
	}
	p := &pgProc{cmd: cmd, port: port, out: out}
	t.Cleanup(p.stop)
	db, err := sql.Open("pgx", p.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres on port %d did not come up: %v\n%s", port, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procs returns the postmaster and its children (the backends), read from
// /proc.
func (p *pgProc) procs() []int {
	pids := []int{p.cmd.Process.Pid}
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
		rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
		f := strings.Fields(rest)
		if len(f) > 1 && f[1] == strconv.Itoa(p.cmd.Process.Pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// pause stops the postmaster first (no new backends), then every backend:
// connections stay open, no answer comes.
func (p *pgProc) pause(t *testing.T) {
	for _, pid := range p.procs() {
		stopAndWait(t, pid)
	}
}

func (p *pgProc) resume(t *testing.T) {
	pids := p.procs()
	for i := len(pids) - 1; i >= 0; i-- {
		if err := syscall.Kill(pids[i], syscall.SIGCONT); err != nil {
			t.Logf("SIGCONT %d: %v", pids[i], err)
		}
	}
}

// stop shuts the server down at once (SIGQUIT: immediate shutdown), and
// kills it if it does not exit.
func (p *pgProc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	for _, pid := range p.procs() {
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// stopAndWait sends SIGSTOP to pid and waits until every thread of it is
// stopped (state T in /proc/PID/task/*/stat). The signal only takes effect
// as each thread returns to user space: a thread finishing a disk write on
// a loaded machine could otherwise still answer a query "while paused".
func stopAndWait(t *testing.T, pid int) {
	t.Helper()
	err := syscall.Kill(pid, syscall.SIGSTOP)
	if err == syscall.ESRCH {
		return // exited meanwhile (a backend): nothing left to answer
	}
	if err != nil {
		t.Fatalf("SIGSTOP %d: %v", pid, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !allThreadsStopped(pid) {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not stop within 10 s of SIGSTOP", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// allThreadsStopped reports whether every thread of pid is in state T
// (stopped) or t (traced); false when pid's threads cannot be read.
func allThreadsStopped(pid int) bool {
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
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 || i+2 >= len(stat) || (stat[i+2] != 'T' && stat[i+2] != 't') {
			return false
		}
	}
	return true
}
