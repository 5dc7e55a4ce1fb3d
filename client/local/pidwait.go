//go:build linux

package local

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// Waiting for a child without an OS thread. os/exec's Wait blocks in
// waitid, which pins a thread for as long as the child runs: one per
// session shell and one per running command, thousands with many sessions
// (and Go aborts the program at 10 000 threads). A pidfd becomes readable
// when its process exits, and a readable descriptor can wait in Go's
// network poller like a socket, costing a goroutine and no thread. Once it
// is readable, the child is a zombie and exec.Cmd.Wait reaps it at once.

// withPidfd asks Start to open a pidfd for cmd's process.
func withPidfd(cmd *exec.Cmd, fd *int) {
	*fd = -1
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.PidFD = fd
}

// waitCmd waits for cmd (started with withPidfd) to exit and reaps it. It
// falls back to a plain Wait where the kernel has no pidfds.
func waitCmd(cmd *exec.Cmd, pidfd int) error {
	if pidfd >= 0 {
		if err := unix.SetNonblock(pidfd, true); err == nil {
			f := os.NewFile(uintptr(pidfd), "pidfd")
			if rc, err := f.SyscallConn(); err == nil {
				_ = rc.Read(func(fd uintptr) bool {
					var info unix.Siginfo
					err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
					return err != nil || info.Signo != 0
				})
			}
			f.Close()
		} else {
			unix.Close(pidfd)
		}
	}
	return cmd.Wait()
}
