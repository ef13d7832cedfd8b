package redisstore_test

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the kernel kill a helper server if the test binary dies
// without running its cleanups.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
