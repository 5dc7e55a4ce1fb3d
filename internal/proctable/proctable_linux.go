//go:build linux

package proctable

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// listPIDs lists the numeric entries of /proc.
func listPIDs() ([]int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, fmt.Errorf("proctable: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil && len(names) == 0 {
		return nil, fmt.Errorf("proctable: list /proc: %w", err)
	}
	out := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil {
			out = append(out, pid)
		}
	}
	return out, nil
}

// Stat reads /proc/<pid>/stat.
func Stat(pid int) (Proc, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Proc{}, err
	}
	// comm may hold spaces and parentheses: the fields start after the
	// last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return Proc{}, fmt.Errorf("proctable: /proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(data[i+2:]))
	if len(f) < 4 || len(f[0]) != 1 { // state ppid pgrp session
		return Proc{}, fmt.Errorf("proctable: /proc/%d/stat: malformed", pid)
	}
	p := Proc{PID: pid, State: f[0][0]}
	p.PPID, _ = strconv.Atoi(f[1])
	p.PGID, _ = strconv.Atoi(f[2])
	p.SID, _ = strconv.Atoi(f[3])
	return p, nil
}

// Children returns the children of every thread of pid, from the kernel's
// /proc/<pid>/task/<tid>/children files (a multi-threaded parent such as a
// Go program forks from whichever thread it runs on, and each thread's file
// names only the children that thread forked).
func Children(pid int) []int {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	tids, _ := d.Readdirnames(-1)
	d.Close()
	var out []int
	for _, t := range tids {
		data, err := os.ReadFile(dir + "/" + t + "/children")
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

func environBytes(pid int) ([]byte, error) {
	return os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
}

func cmdlineBytes(pid int) ([]byte, error) {
	return os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
}

// GroupLive reports whether process group pgid has a member that still
// runs. kill(-pgid, 0) alone cannot tell: it succeeds while an exited
// member waits to be reaped, and an orphan is reaped by init, which in a
// container may do so late or never. Waiting for such a group to "empty"
// stalled every cancelled command for the whole kill grace.
//
// The process table is read only when kill finds a member, and callers
// asking at the same time share one reading (see tableSince): a thousand
// sessions ending at once cost a few scans, not a thousand. If the table
// then shows no member at all (a listing can miss a process, see the
// package doc) the group counts as live: better to wait than to leave
// something running.
func GroupLive(pgid int) bool {
	if pgid <= 0 || syscall.Kill(-pgid, 0) != nil {
		return false
	}
	tab, err := tableSince(time.Now())
	if err != nil {
		return true
	}
	members := 0
	for _, p := range tab.Procs() {
		if p.PGID != pgid {
			continue
		}
		if !p.Zombie() {
			return true
		}
		members++
	}
	return members == 0
}

// shared is the most recent table read for GroupLive, and the reading in
// flight.
var shared struct {
	mu       sync.Mutex
	tab      *Table
	at       time.Time     // when the reading of tab began
	inflight chan struct{} // closed when the reading in flight is done
}

// tableSince returns a table whose reading began at or after t, reading
// one only if no such reading is done or under way.
func tableSince(t time.Time) (*Table, error) {
	shared.mu.Lock()
	for {
		if shared.tab != nil && !shared.at.Before(t) {
			tab := shared.tab
			shared.mu.Unlock()
			return tab, nil
		}
		if ch := shared.inflight; ch != nil {
			// Wait for it: either it began after t and will do, or
			// it is stale and the next one is ours to start.
			shared.mu.Unlock()
			<-ch
			shared.mu.Lock()
			continue
		}
		ch := make(chan struct{})
		start := time.Now()
		shared.inflight = ch
		shared.mu.Unlock()
		tab, err := Scan()
		shared.mu.Lock()
		if err == nil {
			shared.tab, shared.at = tab, start
		}
		shared.inflight = nil
		close(ch)
		shared.mu.Unlock()
		return tab, err
	}
}

// PipeHolders returns the processes other than this one that hold a
// descriptor on the pipe with inode ino. It reads every process's fd
// directory, so it is for the rare case it serves: finding what still holds
// a lifeline after every other way of finding a tree's processes (group,
// descendants, environment marker) came up empty, such as a daemon started
// under `env -i` that cleared the marker but kept its descriptors.
func PipeHolders(ino uint64) []int { return PipeHoldersAny(map[uint64]bool{ino: true}) }

// PipeHoldersAny is PipeHolders for a set of pipes, in one pass.
//
// This process's own children are left out: a child between fork and exec
// holds a copy of every descriptor of ours for a moment, the pipe's
// included, and must not be taken for what holds it.
func PipeHoldersAny(inos map[uint64]bool) []int {
	pids, err := listPIDs()
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []int
	for _, pid := range pids {
		if pid == self {
			continue
		}
		dir := "/proc/" + strconv.Itoa(pid) + "/fd"
		d, err := os.Open(dir)
		if err != nil {
			continue
		}
		names, _ := d.Readdirnames(-1)
		d.Close()
		for _, n := range names {
			l, err := os.Readlink(dir + "/" + n)
			if err != nil {
				continue
			}
			v, ok := strings.CutPrefix(l, "pipe:[")
			if !ok {
				continue
			}
			if ino, err := strconv.ParseUint(strings.TrimSuffix(v, "]"), 10, 64); err == nil && inos[ino] {
				if p, err := Stat(pid); err == nil && p.PPID != self {
					out = append(out, pid)
				}
				break
			}
		}
	}
	return out
}
