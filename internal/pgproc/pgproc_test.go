//go:build linux

package pgproc

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestStopAndWait stops a child process with StopAndWait, checks that all
// its threads are then stopped, continues it and checks they no longer
// are.
func TestStopAndWait(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run sleep: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	StopAndWait(t, pid)
	if !AllThreadsStopped(pid) {
		t.Fatalf("process %d not stopped after StopAndWait", pid)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	for i := 0; AllThreadsStopped(pid); i++ {
		if i > 1000 {
			t.Fatalf("process %d still stopped after SIGCONT", pid)
		}
		time.Sleep(time.Millisecond)
	}
}
