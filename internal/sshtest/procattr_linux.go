//go:build linux

package sshtest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes sshd die with the test process, so a test binary
// killed by its -timeout (Cleanup never runs) leaves no listener behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
