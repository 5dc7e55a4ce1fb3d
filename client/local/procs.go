package local

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// procInfo is one line of the process table.
type procInfo struct {
	pid, ppid, pgid, sid int
	zombie               bool
}

// scanProcs reads /proc/<pid>/stat for every process.
//
// A listing of /proc can miss a live process while others are being created
// and reaped (seen under heavy fork churn: a freshly started shell absent
// from the listing while its stat file was readable, so a kill sweep never
// signalled it). Every process this package starts descends from this
// process, and the kernel's children files name descendants reliably, so the
// scan also walks our own tree through them and adds what the listing missed.
func scanProcs() []procInfo {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	out := make([]procInfo, 0, len(names)+8)
	seen := make(map[int]bool, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if p, ok := readStat(pid); ok {
			out = append(out, p)
			seen[pid] = true
		}
	}
	walked := map[int]bool{}
	for queue := []int{os.Getpid()}; len(queue) > 0; {
		pid := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, c := range childrenOf(pid) {
			if walked[c] { // a recycled pid must not loop the walk
				continue
			}
			walked[c] = true
			queue = append(queue, c)
			if !seen[c] {
				if p, ok := readStat(c); ok {
					out = append(out, p)
				}
				seen[c] = true
			}
		}
	}
	return out
}

// readStat parses /proc/<pid>/stat.
func readStat(pid int) (procInfo, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, false
	}
	// comm may contain spaces and parens: fields start after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return procInfo{}, false
	}
	f := strings.Fields(string(data[i+2:]))
	if len(f) < 4 { // state ppid pgrp session
		return procInfo{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	pgid, _ := strconv.Atoi(f[2])
	sid, _ := strconv.Atoi(f[3])
	return procInfo{pid: pid, ppid: ppid, pgid: pgid, sid: sid, zombie: f[0] == "Z" || f[0] == "X"}, true
}

// childrenOf returns the children of every thread of pid, from the
// kernel's /proc/<pid>/task/<tid>/children files (a Go program forks from
// whichever thread it runs on).
func childrenOf(pid int) []int {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tids, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []int
	for _, t := range tids {
		data, err := os.ReadFile(dir + "/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(data)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// envHas reports whether the environment of pid contains the exact entry
// marker ("KEY=VALUE").
func envHas(pid int, marker []byte) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for len(data) > 0 {
		e := data
		if i := bytes.IndexByte(data, 0); i >= 0 {
			e, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if bytes.Equal(e, marker) {
			return true
		}
	}
	return false
}

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
	procs := scanProcs()
	self := os.Getpid()
	in := make(map[int]bool)
	children := make(map[int][]int)
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p.pid)
	}
	var mark []byte
	if t.marker != "" {
		mark = []byte(t.marker)
	}
	var stack []int
	for _, p := range procs {
		if p.pid == self || p.zombie {
			continue
		}
		if (t.pgid > 0 && p.pgid == t.pgid) || (mark != nil && envHas(p.pid, mark)) {
			if !in[p.pid] {
				in[p.pid] = true
				stack = append(stack, p.pid)
			}
		}
	}
	stack = append(stack, t.roots...)
	for _, r := range t.roots {
		in[r] = true
	}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range children[p] {
			if !in[c] {
				in[c] = true
				stack = append(stack, c)
			}
		}
	}
	zombie := make(map[int]bool)
	for _, p := range procs {
		if p.zombie {
			zombie[p.pid] = true
		}
	}
	live := make(map[int]bool, len(procs))
	for _, p := range procs {
		live[p.pid] = true
	}
	out := make([]int, 0, len(in))
	for p := range in {
		if p != self && p != t.skip && live[p] && !zombie[p] {
			out = append(out, p)
		}
	}
	// A listing of /proc can miss a live process while other processes are
	// being created and reaped (seen under heavy fork churn: a session shell
	// absent from the listing while /proc/<pid>/stat was readable). The roots
	// and the group leader are known by pid, so look them up directly.
	known := append([]int{t.pgid}, t.roots...)
	for _, p := range known {
		if p > 0 && p != self && p != t.skip && !live[p] && procAlive(p) {
			live[p] = true
			out = append(out, p)
		}
	}
	return out
}

// procAlive reports whether pid exists and is not a zombie, reading its
// stat file directly rather than trusting a directory listing.
func procAlive(pid int) bool {
	p, ok := readStat(pid)
	return ok && !p.zombie
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

// terminate ends the tree: SIGTERM, up to grace for it to go, then SIGKILL
// until nothing of it is left (bounded, so a process we cannot kill does not
// hang the caller forever). Checking the process table afterwards is what
// makes "nothing survives" true rather than hoped for.
func (t treeSpec) terminate(grace time.Duration) {
	if t.signal(syscall.SIGTERM) == 0 {
		return
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

// signalName returns "TERM" for SIGTERM and so on.
func signalName(s syscall.Signal) string {
	n := unix.SignalName(s)
	if n == "" {
		return "SIG" + strconv.Itoa(int(s))
	}
	return strings.TrimPrefix(n, "SIG")
}
