package luatest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/procsh/procsh/internal/ids"
)

// Watch finds the processes a test left behind by an environment marker
// that every process of the run inherits: the runner puts Var=Value in its
// own environment before it creates the backend, so commands, sessions,
// PTYs and os.execute children all carry it, also after they daemonize.
// It reads /proc and finds nothing where there is none.
type Watch struct {
	Var, Value string
	// Grace is how long a process may take to die after the cleanup
	// before it counts as left behind.
	Grace time.Duration
}

// NewWatch returns a Watch for the variable name with a fresh random value
// and sets it in this process's environment.
func NewWatch(name string) (*Watch, error) {
	w := &Watch{Var: name, Value: ids.Hex(8), Grace: time.Second}
	if err := os.Setenv(w.Var, w.Value); err != nil {
		return nil, fmt.Errorf("luatest: %w", err)
	}
	return w, nil
}

// pids lists the process ids in /proc: cheap, no file is read.
func pids() map[int]bool {
	out := map[int]bool{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out[pid] = true
		}
	}
	return out
}

// Process states as the scan sees them.
const (
	unmarked = iota // gone, a zombie, or without the marker
	isMarked        // alive and carrying the marker
	unknown         // alive, environment not readable yet (mid-exec)
)

// state reads pid: whether it is alive and carries the marker, and its
// command line.
func (w *Watch) state(pid int) (string, int) {
	if pid == os.Getpid() {
		return "", unmarked
	}
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return "", unmarked
	}
	if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return "", unmarked
	}
	env, err := os.ReadFile(filepath.Join(dir, "environ"))
	if err != nil {
		return "", unmarked // gone, or another user's
	}
	if len(env) == 0 {
		// A process the kernel is still setting up (fork, exec) may show
		// no environment for a moment; kernel threads never have one.
		if pid == 2 || parentPID(pid) == 2 {
			return "", unmarked
		}
		return "", unknown
	}
	if !bytes.Contains(append(env, 0), []byte(w.Var+"="+w.Value+"\x00")) {
		return "", unmarked
	}
	cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	return strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " ")), isMarked
}

// marked reports whether pid is alive and carries the marker.
func (w *Watch) marked(pid int) (string, bool) {
	cmd, st := w.state(pid)
	return cmd, st == isMarked
}

// snapshot is taken before a test: the processes that exist then.
func (w *Watch) snapshot() map[int]bool { return pids() }

// leaked returns the marked processes that appeared since before, do not
// descend from a marked process that was there before (a command that an
// enclosing block's setup started may still be starting up), and are
// still alive after Grace; it kills them. Only new processes are read, so
// a scan costs a directory listing when nothing was left.
func (w *Watch) leaked(before map[int]bool) []string {
	deadline := time.Now().Add(w.Grace)
	for {
		now := map[int]string{}
		undecided := false
		for pid := range pids() {
			if before[pid] {
				continue
			}
			switch cmd, st := w.state(pid); st {
			case isMarked:
				if !w.descendsFromOld(pid, before) {
					now[pid] = cmd
				}
			case unknown:
				undecided = true
			}
		}
		if len(now) == 0 && !undecided {
			return nil
		}
		if time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if len(now) == 0 {
			return nil
		}
		list := make([]int, 0, len(now))
		for pid := range now {
			list = append(list, pid)
		}
		sort.Ints(list)
		out := make([]string, 0, len(list))
		for _, pid := range list {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			out = append(out, fmt.Sprintf("process %d (%s), killed", pid, now[pid]))
		}
		// SIGKILL is delivered asynchronously: wait until they are gone, so
		// that the next test starts clean.
		for end := time.Now().Add(w.Grace); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			alive := false
			for _, pid := range list {
				if _, ok := w.marked(pid); ok {
					alive = true
				}
			}
			if !alive {
				break
			}
		}
		return out
	}
}

// descendsFromOld reports whether an ancestor of pid existed before and
// carries the marker.
func (w *Watch) descendsFromOld(pid int, before map[int]bool) bool {
	for range 64 {
		pid = parentPID(pid)
		if pid <= 1 {
			return false
		}
		if before[pid] {
			if _, ok := w.marked(pid); ok {
				return true
			}
		}
	}
	return false
}

// parentPID returns the parent of pid from /proc, or 0.
func parentPID(pid int) int {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}
