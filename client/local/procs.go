//go:build linux

package local

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/internal/proctable"
)

// treeSpec says which processes belong to something we must end: members of
// process group pgid, descendants of roots, and (when marker is set) every
// process whose environment carries marker, which catches daemons that
// called setsid and were reparented away from the tree.
type treeSpec struct {
	pgid   int
	roots  []int
	marker string
	// skip is never signalled (a session's own shell when only the
	// command's processes are targeted).
	skip int
}

// find returns the live (non-zombie) pids of the tree.
func (t treeSpec) find() []int {
	known := append([]int{t.pgid}, t.roots...)
	if t.pgid <= 0 {
		known = t.roots
	}
	tab, err := proctable.Scan(known...)
	if err != nil {
		return nil
	}
	seeds := tab.Select(func(p proctable.Proc) bool {
		return (t.pgid > 0 && p.PGID == t.pgid) || (t.marker != "" && proctable.HasEnv(p.PID, t.marker))
	})
	self := os.Getpid()
	var out []int
	for _, p := range tab.Tree(append(seeds, t.roots...)...) {
		if p != self && p != t.skip && tab.Live(p) {
			out = append(out, p)
		}
	}
	return out
}

// signal sends sig to the group and every process of the tree.
func (t treeSpec) signal(sig syscall.Signal) int {
	pids := t.find()
	if t.pgid > 0 && t.pgid != t.skip {
		_ = unix.Kill(-t.pgid, sig)
	}
	for _, p := range pids {
		_ = unix.Kill(p, sig)
	}
	return len(pids)
}

// signalNew sends sig to the processes of the tree that are not in seen
// yet and adds them to it. Following a tree this way reaches processes
// forked after an earlier scan without signalling any process twice (a
// second TERM means "hurry up" to some programs).
func (t treeSpec) signalNew(sig syscall.Signal, seen map[int]bool) int {
	n := 0
	for _, p := range t.find() {
		if !seen[p] {
			seen[p] = true
			_ = unix.Kill(p, sig)
			n++
		}
	}
	return n
}

// terminate ends the tree: SIGTERM, up to grace for it to go, then SIGKILL
// until nothing of it is left (bounded, so a process we cannot kill does not
// hang the caller forever). Checking the process table afterwards is what
// makes "nothing survives" true rather than hoped for.
func (t treeSpec) terminate(grace time.Duration) { t.terminateExcept(grace, nil) }

// terminateExcept is terminate for a tree some of whose processes were sent
// SIGTERM already (termed): those are given the grace without a second one.
func (t treeSpec) terminateExcept(grace time.Duration, termed map[int]bool) {
	pids := t.find()
	if len(pids) == 0 {
		return
	}
	if t.pgid > 0 && t.pgid != t.skip && termed == nil {
		_ = unix.Kill(-t.pgid, syscall.SIGTERM)
	}
	for _, p := range pids {
		if !termed[p] {
			_ = unix.Kill(p, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(grace)
	step := time.Millisecond
	for time.Now().Before(deadline) {
		time.Sleep(step)
		if step < 20*time.Millisecond {
			step *= 2
		}
		if len(t.find()) == 0 {
			return
		}
	}
	stop := time.Now().Add(5 * time.Second)
	for time.Now().Before(stop) {
		if t.signal(syscall.SIGKILL) == 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}
