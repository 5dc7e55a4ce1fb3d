package local

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
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
	return code, ptyExitReason(code)
}

// ptyExitReason is the reason string of docs/protocol.md §7.4 for an exit code.
func ptyExitReason(code int) string {
	switch {
	case code == 0:
		return ""
	case code == 130:
		return "Ctrl+C"
	case code == 137:
		return "SIGKILL"
	case code == 143:
		return "SIGTERM"
	case code > 128:
		return "signal " + strconv.Itoa(code-128)
	}
	return "non-zero exit"
}

// ptyTagKey is the environment variable that tags every process a PTY
// starts. Processes that leave the session and lose their parent (a daemon
// started with setsid from the shell) are still found by it.
const ptyTagKey = "PROCSH_PTY_TAG"

var ptyTagSeq atomic.Int64

// newPTYTag returns a tag unique on this host for the backend's lifetime.
func newPTYTag() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%d-%d-%x", os.Getpid(), ptyTagSeq.Add(1), b)
}

// ptyEnvTag returns the value of pid's ptyTagKey environment entry, or "".
func ptyEnvTag(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return ""
	}
	prefix := []byte(ptyTagKey + "=")
	for _, e := range bytes.Split(data, []byte{0}) {
		if bytes.HasPrefix(e, prefix) {
			return string(e[len(prefix):])
		}
	}
	return ""
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
	self := os.Getpid()
	children := map[int][]int{}
	in := map[int]bool{}
	for _, p := range scanProcs() {
		children[p.ppid] = append(children[p.ppid], p.pid)
		// The program is a session leader (Setsid), so sid == root also
		// identifies root itself; a recycled pid would not match.
		if roots[p.sid] || (len(tags) > 0 && p.pid != self && tags[ptyEnvTag(p.pid)]) {
			in[p.pid] = true
		}
	}
	// A /proc listing can miss a live process under fork churn (see
	// treeSpec.find); the roots are known by pid.
	for r := range roots {
		if !in[r] && procAlive(r) {
			in[r] = true
		}
	}
	queue := make([]int, 0, len(in))
	for p := range in {
		queue = append(queue, p)
	}
	for len(queue) > 0 {
		p := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, c := range children[p] {
			if !in[c] {
				in[c] = true
				queue = append(queue, c)
			}
		}
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
			if err := syscall.Kill(p, syscall.SIGKILL); err == nil && procAlive(p) {
				alive++
			}
		}
		if alive == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}
