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

// procs returns the live (not zombie) processes carrying the marker, other
// than this one, with their command lines.
func (w *Watch) procs() map[int]string {
	found := map[int]string{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return found
	}
	needle := []byte(w.Var + "=" + w.Value + "\x00")
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		env, err := os.ReadFile(filepath.Join(dir, "environ"))
		if err != nil || !bytes.Contains(append(env, 0), needle) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join(dir, "stat"))
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		found[pid] = strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return found
}

func (w *Watch) snapshot() map[int]bool {
	before := map[int]bool{}
	for pid := range w.procs() {
		before[pid] = true
	}
	return before
}

// leaked returns the processes that appeared since before, do not descend
// from a process that was there before (a command that an enclosing
// block's setup started may still be starting up), and are still alive
// after Grace; it kills them.
func (w *Watch) leaked(before map[int]bool) []string {
	deadline := time.Now().Add(w.Grace)
	for {
		now := w.procs()
		for pid := range now {
			if descends(pid, before) {
				delete(now, pid)
			}
		}
		if len(now) == 0 {
			return nil
		}
		if time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		pids := make([]int, 0, len(now))
		for pid := range now {
			pids = append(pids, pid)
		}
		sort.Ints(pids)
		out := make([]string, 0, len(pids))
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			out = append(out, fmt.Sprintf("process %d (%s), killed", pid, now[pid]))
		}
		return out
	}
}

// descends reports whether pid or one of its ancestors is in set.
func descends(pid int, set map[int]bool) bool {
	for range 64 {
		if set[pid] {
			return true
		}
		if pid <= 1 {
			return false
		}
		pid = parentPID(pid)
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
