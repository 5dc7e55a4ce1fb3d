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

// awaitExit waits in the poller until the process of pidfd (non-blocking,
// in the poller) has exited, leaving it for the caller to reap.
func awaitExit(pidfd *os.File) {
	rc, err := pidfd.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Read(func(fd uintptr) bool {
		done, err := exitedNoWait(unix.P_PIDFD, int(fd))
		return err != nil || done
	})
}

// exitedNoWait reports whether the process named by idtype and id has
// exited, without reaping it.
func exitedNoWait(idtype, id int) (bool, error) {
	var info unix.Siginfo
	err := unix.Waitid(idtype, id, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err == nil && info.Signo != 0, err
}

// waitCmd waits for cmd (started with withPidfd) to exit and reaps it. It
// falls back to a plain Wait where the kernel has no pidfds.
func waitCmd(cmd *exec.Cmd, pidfd int) error {
	if pidfd >= 0 {
		if err := unix.SetNonblock(pidfd, true); err == nil {
			f := os.NewFile(uintptr(pidfd), "pidfd")
			awaitExit(f)
			f.Close()
		} else {
			unix.Close(pidfd)
		}
	}
	return cmd.Wait()
}
