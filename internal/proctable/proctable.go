package proctable

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"sort"
	"strings"
)

// ErrUnsupported is returned where there is no /proc to read.
var ErrUnsupported = errors.New("proctable: the process table is read from Linux's /proc; this system has none")

// Proc is one process as /proc/<pid>/stat describes it.
type Proc struct {
	PID, PPID, PGID, SID int
	// State is the one-letter state: R, S, D, T, Z (zombie), X (dead)...
	State byte
}

// Zombie reports whether the process has exited and only waits to be
// reaped (or is already dead): it no longer runs anything.
func (p Proc) Zombie() bool { return p.State == 'Z' || p.State == 'X' }

// Table is one scan of the process table. Its methods answer from the scan;
// they do not read /proc again.
type Table struct {
	procs    []Proc
	index    map[int]int   // pid -> position in procs
	children map[int][]int // ppid -> pids
}

func newTable(procs []Proc) *Table {
	t := &Table{procs: procs, index: make(map[int]int, len(procs)), children: make(map[int][]int, len(procs)/2+1)}
	for i, p := range procs {
		t.index[p.PID] = i
		t.children[p.PPID] = append(t.children[p.PPID], p.PID)
	}
	return t
}

// Procs returns every process of the scan, zombies included, in pid order.
func (t *Table) Procs() []Proc { return t.procs }

// Get returns the process pid, if the scan saw it.
func (t *Table) Get(pid int) (Proc, bool) {
	i, ok := t.index[pid]
	if !ok {
		return Proc{}, false
	}
	return t.procs[i], true
}

// Live reports whether the scan saw pid running (present, not a zombie).
func (t *Table) Live(pid int) bool {
	p, ok := t.Get(pid)
	return ok && !p.Zombie()
}

// Children returns the pids whose parent is pid.
func (t *Table) Children(pid int) []int { return t.children[pid] }

// Tree returns roots and all their descendants that the scan saw, each once,
// roots first (in the order given), then the rest in the order found. A
// recycled pid cannot make it loop.
func (t *Table) Tree(roots ...int) []int {
	in := make(map[int]bool, len(roots))
	out := make([]int, 0, len(roots))
	for _, r := range roots {
		if !in[r] {
			in[r] = true
			out = append(out, r)
		}
	}
	for i := 0; i < len(out); i++ {
		for _, c := range t.children[out[i]] {
			if !in[c] {
				in[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// Select returns the pids of the live processes, other than this process,
// for which match reports true, in pid order.
func (t *Table) Select(match func(Proc) bool) []int {
	self := os.Getpid()
	var out []int
	for _, p := range t.procs {
		if p.PID != self && !p.Zombie() && match(p) {
			out = append(out, p.PID)
		}
	}
	return out
}

// Alive reports whether pid exists and is not a zombie, reading its stat
// file directly rather than trusting a directory listing.
func Alive(pid int) bool {
	p, err := Stat(pid)
	return err == nil && !p.Zombie()
}

// Scan reads the whole process table: the /proc listing plus the
// descendants of this process and of roots found through the kernel's
// children files (see the package doc for why both).
func Scan(roots ...int) (*Table, error) {
	pids, err := listPIDs()
	if err != nil {
		return nil, err
	}
	procs := make([]Proc, 0, len(pids)+8)
	seen := make(map[int]bool, len(pids)+8)
	for _, pid := range pids {
		if p, err := Stat(pid); err == nil {
			procs = append(procs, p)
			seen[pid] = true
		}
	}
	walked := make(map[int]bool)
	queue := append([]int{os.Getpid()}, roots...)
	for _, r := range roots {
		if !seen[r] {
			if p, err := Stat(r); err == nil {
				procs = append(procs, p)
			}
			seen[r] = true
		}
	}
	for len(queue) > 0 {
		pid := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, c := range Children(pid) {
			if walked[c] { // a recycled pid must not loop the walk
				continue
			}
			walked[c] = true
			queue = append(queue, c)
			if !seen[c] {
				seen[c] = true
				if p, err := Stat(c); err == nil {
					procs = append(procs, p)
				}
			}
		}
	}
	sort.Slice(procs, func(i, j int) bool { return procs[i].PID < procs[j].PID })
	return newTable(procs), nil
}

// WithEnv returns the live processes (other than this one) whose
// environment holds the exact entry ("KEY=VALUE").
func WithEnv(entry string) ([]int, error) {
	t, err := Scan()
	if err != nil {
		return nil, err
	}
	return t.Select(func(p Proc) bool { return HasEnv(p.PID, entry) }), nil
}

// WithArg returns the live processes (other than this one) that have arg
// as one whole element of their argument vector.
func WithArg(arg string) ([]int, error) {
	t, err := Scan()
	if err != nil {
		return nil, err
	}
	return t.Select(func(p Proc) bool {
		argv, err := Cmdline(p.PID)
		return err == nil && slices.Contains(argv, arg)
	}), nil
}

// WithCmdline returns the live processes (other than this one) whose
// argument vector is exactly argv.
func WithCmdline(argv ...string) ([]int, error) {
	t, err := Scan()
	if err != nil {
		return nil, err
	}
	return t.Select(func(p Proc) bool {
		got, err := Cmdline(p.PID)
		return err == nil && slices.Equal(got, argv)
	}), nil
}

// HasEnv reports whether the environment of pid holds the exact entry
// ("KEY=VALUE"). A process whose environment cannot be read (gone, or not
// ours) does not.
func HasEnv(pid int, entry string) bool {
	data, err := environBytes(pid)
	if err != nil {
		return false
	}
	// Compare in place: a kill sweep asks this of every process on the
	// host, and splitting each environment would allocate for all of them.
	for len(data) > 0 {
		e := data
		if i := bytes.IndexByte(data, 0); i >= 0 {
			e, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if string(e) == entry {
			return true
		}
	}
	return false
}

// EnvValue returns the value of key in the environment of pid (the last one
// if it is set twice, as getenv would).
func EnvValue(pid int, key string) (string, bool) {
	env, err := Environ(pid)
	if err != nil {
		return "", false
	}
	v, found := "", false
	for _, e := range env {
		if k, val, ok := strings.Cut(e, "="); ok && k == key {
			v, found = val, true
		}
	}
	return v, found
}

// Environ returns the environment pid started with, one "KEY=VALUE" entry
// per element.
func Environ(pid int) ([]string, error) {
	data, err := environBytes(pid)
	return splitNul(data), err
}

// Cmdline returns the argument vector of pid (empty for a kernel thread or
// a zombie).
func Cmdline(pid int) ([]string, error) {
	data, err := cmdlineBytes(pid)
	return splitNul(data), err
}

func splitNul(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	data = bytes.TrimSuffix(data, []byte{0})
	return strings.Split(string(data), "\x00")
}

// Walk returns the live processes among roots and their descendants,
// following only the kernel's children files: no listing of /proc, so its
// cost is that of the tree, not of the whole host. Processes that left the
// tree (reparented to init) are not found.
func Walk(roots ...int) []int {
	seen := make(map[int]bool, len(roots))
	var out []int
	queue := append([]int(nil), roots...)
	for len(queue) > 0 {
		pid := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		if !Alive(pid) {
			continue
		}
		out = append(out, pid)
		queue = append(queue, Children(pid)...)
	}
	return out
}
