//go:build linux

package local

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/internal/proctable"
)

// TestChild starts shells the way sessions do, with and without a pidfd
// (kernels before 5.3 have none), and checks the wait, the status, signals
// before and after the exit, and that nothing is left: no zombie, no
// descriptor.
func TestChild(t *testing.T) {
	for _, tc := range []struct {
		name    string
		noPidfd bool
	}{{"pidfd", false}, {"wait4", true}} {
		t.Run(tc.name, func(t *testing.T) {
			noPidfd = tc.noPidfd
			defer func() { noPidfd = false }()
			fds0 := openFDs(t)

			c, err := startChild([]string{"/bin/sh", "-c", "exit 7"}, nil, "/", []*os.File{nil, nil, nil})
			if err != nil {
				t.Fatal(err)
			}
			waitExited(t, c)
			if ws := c.status(); !ws.Exited() || ws.ExitStatus() != 7 {
				t.Errorf("status = %#x, want exit 7", ws)
			}
			if err := c.signal(syscall.SIGTERM); !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("signal after exit = %v, want ErrProcessDone", err)
			}
			if _, err := proctable.Stat(c.pid); err == nil {
				t.Errorf("pid %d is still in the table after the wait (a zombie)", c.pid)
			}

			c, err = startChild([]string{"/bin/sleep", "30"}, nil, "", []*os.File{nil, nil, nil})
			if err != nil {
				t.Fatal(err)
			}
			if pg, err := syscall.Getpgid(c.pid); err != nil || pg != c.pid {
				t.Errorf("pgid = %d, %v: the child is not in a group of its own", pg, err)
			}
			if err := c.signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitExited(t, c)
			if ws := c.status(); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Errorf("status = %#x, want killed by KILL", ws)
			}

			if _, err := startChild([]string{"/nonexistent/sh"}, nil, "", []*os.File{nil, nil, nil}); !errors.Is(err, syscall.ENOENT) {
				t.Errorf("start of a missing program: %v, want ENOENT", err)
			}
			if n := openFDs(t); n > fds0 {
				t.Errorf("%d descriptors open, %d before", n, fds0)
			}
		})
	}
}

func waitExited(t *testing.T, c *child) {
	t.Helper()
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the child was not reaped")
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	// devNull is opened once for good: count it in the baseline.
	if _, err := devNull(); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestExitedBy: a timeout that fires as the command exits must see the
// exit, whether the child is still running, a zombie, or already reaped.
func TestExitedBy(t *testing.T) {
	running := exec.Command("sleep", "30")
	if err := running.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = running.Process.Kill(); _ = running.Wait() }()
	never := make(chan struct{})
	if exitedBy(running.Process.Pid, never) {
		t.Error("a running child counts as exited")
	}
	zombie := exec.Command("true")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if p, err := proctable.Stat(zombie.Process.Pid); err == nil && p.Zombie() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child did not become a zombie")
		}
	}
	if !exitedBy(zombie.Process.Pid, never) {
		t.Error("a zombie does not count as exited")
	}
	if p, err := proctable.Stat(zombie.Process.Pid); err != nil || !p.Zombie() {
		t.Error("exitedBy reaped the zombie (it must leave the reaping to the waiter)")
	}
	_ = zombie.Wait()
	if !exitedBy(zombie.Process.Pid, never) {
		t.Error("a reaped child does not count as exited")
	}
}
