//go:build linux

package local

import (
	"os"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// child is a process started without os/exec, for the one kind the backend
// keeps by the thousand: session shells. os.StartProcess keeps a pidfd of
// its own inside os.Process and, when the caller asks for one too (to wait
// in the poller, see pidwait.go), hands out a duplicate: two descriptors
// per shell where one does. A child holds exactly one pidfd, which serves
// the wait (readable when the process exits, so it waits in Go's poller
// without an OS thread) and signals (pidfd_send_signal cannot hit a
// recycled pid).
type child struct {
	pid    int
	exited chan struct{} // closed once the process is reaped

	mu    sync.Mutex
	pidfd *os.File           // nil once reaped, or where the kernel has none
	ws    syscall.WaitStatus // valid once exited is closed
}

// devNull is the shells' stdout and stderr: opened once and shared, so
// spawning a shell opens no descriptor it does not keep.
var devNull = sync.OnceValues(func() (*os.File, error) { return os.OpenFile(os.DevNull, os.O_RDWR, 0) })

// noPidfd makes startChild behave as on a kernel without pidfds (tests).
var noPidfd bool

// startChild starts argv[0] (an absolute path) with files as its
// descriptors 0, 1, 2, 3... (nil: /dev/null) in its own process group.
func startChild(argv, env []string, dir string, files []*os.File) (*child, error) {
	null, err := devNull()
	if err != nil {
		return nil, err
	}
	fds := make([]uintptr, len(files))
	for i, f := range files {
		if f == nil {
			f = null
		}
		// The raw descriptor, without Fd()'s switch to blocking mode:
		// the child gets its own copy at these numbers either way.
		rc, err := f.SyscallConn()
		if err != nil {
			return nil, err
		}
		_ = rc.Control(func(fd uintptr) { fds[i] = fd })
	}
	pidfd := -1
	sys := &syscall.SysProcAttr{Setpgid: true, PidFD: &pidfd}
	if noPidfd {
		sys.PidFD = nil
	}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Dir: dir, Env: env, Files: fds, Sys: sys})
	// The descriptors were only borrowed: the files must not be
	// collected (and closed) before the fork has copied them.
	runtime.KeepAlive(files)
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: argv[0], Err: err}
	}
	c := &child{pid: pid, exited: make(chan struct{})}
	if pidfd >= 0 {
		if err := unix.SetNonblock(pidfd, true); err == nil {
			c.pidfd = os.NewFile(uintptr(pidfd), "pidfd")
		} else {
			unix.Close(pidfd)
		}
	}
	go c.wait()
	return c, nil
}

// wait reaps the child once it has exited. With a pidfd the goroutine
// waits in the poller; without one (kernels before 5.3) wait4 blocks a
// thread, as os/exec would.
func (c *child) wait() {
	var ws syscall.WaitStatus
	if c.pidfd != nil {
		awaitExit(c.pidfd)
	}
	for {
		// The child is a zombie now (or, without a pidfd, this blocks
		// until it is); its pid cannot be reused before this reaps it.
		_, err := syscall.Wait4(c.pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	c.mu.Lock()
	c.ws = ws
	if c.pidfd != nil {
		c.pidfd.Close()
		c.pidfd = nil
	}
	c.mu.Unlock()
	close(c.exited)
}

// signal sends sig to the child; after it was reaped it does nothing and
// returns os.ErrProcessDone.
func (c *child) signal(sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.exited:
		return os.ErrProcessDone
	default:
	}
	if c.pidfd == nil {
		return unix.Kill(c.pid, sig)
	}
	rc, err := c.pidfd.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return err
	}
	return serr
}

// status is how the child ended (valid once exited is closed).
func (c *child) status() syscall.WaitStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws
}
