//go:build linux

package local

import (
	"fmt"
	"github.com/procsh/procsh/client"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/internal/ids"
	"github.com/procsh/procsh/internal/proctable"
)

// openPTY opens a pseudo-terminal pair with creack/pty and sets its size.
//
// creack/pty's Open hands back a master whose descriptor has been switched to
// blocking mode (its ioctls go through File.Fd), which takes it out of Go's
// poller: read deadlines, which the exit drain relies on, would not work. So
// the master is re-opened as a non-blocking duplicate that os.NewFile
// registers with the poller, and the blocking original is closed.
func openPTY(cols, rows uint16) (master, slave *os.File, err error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	if err := pty.Setsize(s, &pty.Winsize{Cols: cols, Rows: rows}); err != nil {
		m.Close()
		s.Close()
		return nil, nil, fmt.Errorf("set pty size: %w", err)
	}
	fd, err := unix.FcntlInt(m.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	m.Close()
	if err == nil {
		err = unix.SetNonblock(fd, true)
		if err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("set up pty master: %w", err)
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), s, nil
}

// setWinsize sets the window size without leaving the poller (see openPTY).
func setWinsize(f *os.File, cols, rows uint16) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := sc.Control(func(fd uintptr) {
		ierr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Col: cols, Row: rows})
	}); err != nil {
		return err
	}
	return ierr
}

// ptyExit maps a wait status to the Daytona close-frame convention.
func ptyExit(ws syscall.WaitStatus) (code int, reason string) {
	switch {
	case ws.Signaled():
		code = 128 + int(ws.Signal())
	case ws.Exited():
		code = ws.ExitStatus()
	default:
		code = -1
	}
	return code, client.PTYExitReason(code)
}

// ptyTagKey is the environment variable that tags every process a PTY
// starts. Processes that leave the session and lose their parent (a daemon
// started with setsid from the shell) are still found by it.
const ptyTagKey = "PROCSH_PTY_TAG"

var ptyTagSeq atomic.Int64

// newPTYTag returns a tag unique on this host for the backend's lifetime.
func newPTYTag() string {
	return fmt.Sprintf("%d-%d-%s", os.Getpid(), ptyTagSeq.Add(1), ids.Hex(6))
}

// ptyTarget names one PTY program's tree: the program's pid (a session
// leader) and the tag in its environment.
type ptyTarget struct {
	root int
	tag  string
}

// ptyTrees returns, from one scan of /proc, every process of the targets'
// trees: each root's session members (background jobs of an interactive
// shell have their own process groups but stay in its session; orphans
// reparented to init keep it too), the processes carrying a target's tag
// (daemons that left the session), and the descendants of all of those.
// Roots still alive come first: a program killed after one of its children
// could see that child die and exit normally in between, and then its status
// would not report the kill.
func ptyTrees(targets []ptyTarget) []int {
	roots := make(map[int]bool, len(targets))
	tags := make(map[string]bool, len(targets))
	for _, t := range targets {
		roots[t.root] = true
		if t.tag != "" {
			tags[t.tag] = true
		}
	}
	rootPIDs := make([]int, 0, len(targets))
	for _, t := range targets {
		rootPIDs = append(rootPIDs, t.root)
	}
	tab, err := proctable.Scan(rootPIDs...)
	if err != nil {
		return nil
	}
	self := os.Getpid()
	// The program is a session leader (Setsid), so sid == root also
	// identifies root itself; a recycled pid would not match.
	seeds := tab.Select(func(p proctable.Proc) bool {
		if roots[p.SID] {
			return true
		}
		if len(tags) == 0 {
			return false
		}
		tag, _ := proctable.EnvValue(p.PID, ptyTagKey)
		return tag != "" && tags[tag]
	})
	// Scan looked the roots up by pid, so a root the /proc listing missed
	// under fork churn is still in the table.
	for r := range roots {
		if tab.Live(r) {
			seeds = append(seeds, r)
		}
	}
	in := make(map[int]bool)
	for _, p := range tab.Tree(seeds...) {
		in[p] = true
	}
	out := make([]int, 0, len(in))
	for p := range in {
		if roots[p] && p > 1 && p != self {
			out = append(out, p)
		}
	}
	for p := range in {
		if !roots[p] && p > 1 && p != self {
			out = append(out, p)
		}
	}
	return out
}

// killPTYTrees sends SIGKILL to the targets' whole trees, then rescans for a
// while to catch processes forked between a scan and the kill, and verifies
// that the kills landed rather than trusting kill(2)'s return value. One
// sweep serves any number of PTYs, so closing a backend with many of them
// scans /proc a few times, not a few times per PTY.
func killPTYTrees(targets []ptyTarget) {
	if len(targets) == 0 {
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		alive := 0
		for _, p := range ptyTrees(targets) {
			if err := syscall.Kill(p, syscall.SIGKILL); err == nil && proctable.Alive(p) {
				alive++
			}
		}
		if alive == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}
