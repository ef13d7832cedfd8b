package sqlstore_test

import (
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/librenz/authjwt/internal/pgproc"
	"github.com/librenz/authjwt/revoke/storetest"
	"github.com/librenz/authjwt/stores/sqlstore"
)

// TestAuthPausedMariaDB is TestAuthPausedStore against a private MariaDB
// (one process, so one SIGSTOP pauses it): every authjwt operation that
// calls the store fails with ErrStoreUnavailable within about
// Revocation.Timeout, and every session call at its context's deadline. The DSN sets no timeouts, so only Revocation.Timeout can end
// the calls.
func TestAuthPausedMariaDB(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and pauses a MariaDB server")
	}
	m := startMariaDB(t)
	db, err := openPing(t, "mysql", m.dsn())
	if err != nil {
		t.Fatalf("connecting to the private MariaDB: %v\n%s", err, m.out)
	}
	t.Cleanup(func() { db.Close() })
	s := newStore(t, db, sqlstore.MySQL, sqlstore.Options{})
	pause := func(t *testing.T) {
		pgproc.StopAndWait(t, m.cmd.Process.Pid)
	}
	resume := func(t *testing.T) {
		if err := syscall.Kill(m.cmd.Process.Pid, syscall.SIGCONT); err != nil {
			t.Error(err)
		}
	}
	storetest.RunPaused(t, s, pause, resume)
}

// mariaProc is a MariaDB server the test started in a directory of its own.
type mariaProc struct {
	cmd  *exec.Cmd
	port int
	out  *bytes.Buffer
}

func (m *mariaProc) dsn() string {
	return "root@tcp(127.0.0.1:" + strconv.Itoa(m.port) + ")/mysql?parseTime=true"
}

// startMariaDB creates a throw-away data directory (mariadb-install-db)
// and runs mariadbd on a free loopback port until the test ends, as the
// "mysql" user when the tests run as root.
func startMariaDB(t *testing.T) *mariaProc {
	t.Helper()
	install, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		requireService(t, "MariaDB server binaries (mariadb-install-db, mariadbd)", "apt-get install mariadb-server", err)
	}
	server, err := exec.LookPath("mariadbd")
	if err != nil {
		if server, err = exec.LookPath("/usr/sbin/mariadbd"); err != nil {
			requireService(t, "MariaDB server binaries (mariadb-install-db, mariadbd)", "apt-get install mariadb-server", err)
		}
	}
	dir, err := os.MkdirTemp("", "authjwt-maria-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var asUser []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("mysql")
		if err != nil {
			requireService(t, "a mysql user to run a private MariaDB as (the tests run as root)", "useradd mysql", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		asUser = []string{"--user=mysql"}
	}
	data := filepath.Join(dir, "data")
	init := exec.Command(install, append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve"}, asUser...)...)
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	port := pgproc.FreePort(t)
	cmd := exec.Command(server, append([]string{"--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1", "--socket=" + filepath.Join(dir, "sock"), "--pid-file=" + filepath.Join(dir, "pid"),
		"--skip-log-bin", "--innodb-buffer-pool-size=16M", "--skip-name-resolve"}, asUser...)...)
	out := new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting mariadbd: %v", err)
	}
	m := &mariaProc{cmd: cmd, port: port, out: out}
	t.Cleanup(m.stop)
	pgproc.WaitReady(t, "mysql", m.dsn(), "mariadbd on port "+strconv.Itoa(port), 30*time.Second, out.String)
	return m
}

// stop resumes the server if paused and ends it (SIGTERM), killing it if
// it does not exit.
func (m *mariaProc) stop() {
	if m.cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(m.cmd.Process.Pid, syscall.SIGCONT)
	pgproc.Terminate(m.cmd, syscall.SIGTERM)
}
