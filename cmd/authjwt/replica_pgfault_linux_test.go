package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReplicaStoreFaultPostgres is TestReplicaStoreFault on a PostgreSQL
// server of the test's own (a throw-away cluster, fsync on): paused
// (SIGSTOP of the postmaster and every backend) and killed (SIGKILL of
// all of them) and restarted on the same data directory.
func TestReplicaStoreFaultPostgres(t *testing.T) {
	t.Parallel()
	bound := replicaMode(t)
	pg := startPrivatePostgres(t)
	u := pg.url()
	bound = storeBound(t, bound, u)
	tr := startTrio(t, u, "", bound, faultTimeout)
	storeFaults(t, tr, []storeFault{
		{"paused", "paused", func() { pg.signalAll(t, syscall.SIGSTOP); pg.waitStopped(t) }, func() { pg.signalAll(t, syscall.SIGCONT) }},
		{"killed and restarted", "killed", func() { pg.kill() }, func() { pg.start(t) }},
	})
}

// privatePG is a PostgreSQL server the test runs in a directory of its
// own, on a fixed loopback port so that it can be restarted there.
type privatePG struct {
	bin, data, sock string
	port            int
	attr            *syscall.SysProcAttr
	cmd             *exec.Cmd
	out             lockedBuffer
}

func (p *privatePG) url() string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(p.port) + "/postgres?sslmode=disable"
}

// startPrivatePostgres creates a cluster with initdb (trust
// authentication) and starts it; as root, the server runs as the
// "postgres" user. It skips when the PostgreSQL binaries are missing.
func startPrivatePostgres(t *testing.T) *privatePG {
	t.Helper()
	var bin string
	if p, err := exec.LookPath("initdb"); err == nil {
		bin = filepath.Dir(p)
	} else {
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		if len(found) == 0 {
			requireService(t, "PostgreSQL server binaries (initdb, postgres)",
				"apt-get install postgresql (initdb on PATH or under /usr/lib/postgresql/*/bin)", errors.New("initdb not found"))
		}
		sort.Strings(found)
		bin = filepath.Dir(found[len(found)-1])
	}
	dir, err := os.MkdirTemp("", "authjwt-replica-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 {
		u, err := osuser.Lookup("postgres")
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
	p := &privatePG{bin: bin, data: filepath.Join(dir, "data"), sock: dir, port: freePort(t), attr: attr}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", p.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = attr
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.start(t)
	t.Cleanup(p.kill)
	return p
}

// start runs the postmaster and waits until it answers.
func (p *privatePG) start(t *testing.T) {
	t.Helper()
	p.cmd = exec.Command(filepath.Join(p.bin, "postgres"), "-D", p.data, "-p", strconv.Itoa(p.port), "-k", p.sock,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=60")
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = p.attr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting postgres: %v", err)
	}
	db, err := sql.Open("pgx", p.url())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres on port %d did not come up: %v\n%s", p.port, err, p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procs returns the postmaster and its children (the backends).
func (p *privatePG) procs() []int {
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	parent := strconv.Itoa(p.cmd.Process.Pid)
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
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 1 && f[1] == parent {
			pids = append(pids, pid)
		}
	}
	return pids
}

// signalAll sends sig to the postmaster (first) and every backend.
func (p *privatePG) signalAll(t *testing.T, sig syscall.Signal) {
	t.Helper()
	for _, pid := range p.procs() {
		if err := syscall.Kill(pid, sig); err != nil && err != syscall.ESRCH {
			t.Fatalf("signal %v to %d: %v", sig, pid, err)
		}
	}
}

// waitStopped waits until every thread of every process of the server is
// stopped (state T): SIGSTOP takes effect as each thread returns to user
// space, and a backend finishing a write could otherwise still answer a
// query after signalAll returned.
func (p *privatePG) waitStopped(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range p.procs() {
		dir := "/proc/" + strconv.Itoa(pid) + "/task"
		for {
			tasks, err := os.ReadDir(dir)
			if err != nil {
				break // exited
			}
			stopped := true
			for _, task := range tasks {
				stat, err := os.ReadFile(dir + "/" + task.Name() + "/stat")
				if err != nil {
					continue
				}
				f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
				if len(f) > 0 && f[0] != "T" && f[0] != "t" {
					stopped = false
				}
			}
			if stopped {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("postgres process %d did not stop within 10s of SIGSTOP", pid)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// kill stops the server at once, as a crash would: SIGKILL to the
// backends and the postmaster; the next start recovers from the WAL.
func (p *privatePG) kill() {
	if p.cmd == nil || p.cmd.ProcessState != nil {
		return
	}
	pids := p.procs()
	for i := len(pids) - 1; i >= 0; i-- {
		_ = syscall.Kill(pids[i], syscall.SIGKILL)
	}
	_ = p.cmd.Wait()
	// Backends that were children of the killed postmaster exit once
	// they notice; the next postmaster waits for their shared memory.
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
