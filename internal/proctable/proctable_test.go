//go:build linux

package proctable_test

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/internal/ids"
	"github.com/procsh/procsh/internal/proctable"
)

// start runs argv with entry added to its environment and ends it with the
// test.
func start(t *testing.T, entry string, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), entry)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// eventually polls cond for up to 5 s (a forked shell needs a moment to
// start its child).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestFindByMarkerArgAndCmdline(t *testing.T) {
	mark := "PROCTABLE_TEST=" + ids.Hex(8)
	secs := "30." + strconv.Itoa(os.Getpid())
	cmd := start(t, mark, "sleep", secs)
	pid := cmd.Process.Pid

	tests := []struct {
		name string
		find func() ([]int, error)
	}{
		{"WithEnv", func() ([]int, error) { return proctable.WithEnv(mark) }},
		{"WithArg", func() ([]int, error) { return proctable.WithArg(secs) }},
		{"WithCmdline", func() ([]int, error) { return proctable.WithCmdline("sleep", secs) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.find()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []int{pid}) {
				t.Errorf("got %v, want [%d]", got, pid)
			}
		})
	}
	// Near misses match nothing: a prefix of the entry, part of an argument.
	for _, miss := range []func() ([]int, error){
		func() ([]int, error) { return proctable.WithEnv(mark[:len(mark)-1]) },
		func() ([]int, error) { return proctable.WithArg(secs[:len(secs)-1]) },
		func() ([]int, error) { return proctable.WithCmdline("sleep") },
	} {
		if got, err := miss(); err != nil || len(got) != 0 {
			t.Errorf("near miss found %v (err %v)", got, err)
		}
	}
	if v, ok := proctable.EnvValue(pid, "PROCTABLE_TEST"); !ok || "PROCTABLE_TEST="+v != mark {
		t.Errorf("EnvValue = %q, %v", v, ok)
	}
	if _, ok := proctable.EnvValue(pid, "PROCTABLE_TES"); ok {
		t.Error("EnvValue matched a key prefix")
	}
}

func TestStatAndZombie(t *testing.T) {
	p, err := proctable.Stat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if p.PID != os.Getpid() || p.PPID != os.Getppid() || p.Zombie() {
		t.Errorf("Stat(self) = %+v", p)
	}
	// An exited child that nobody waited for yet is a zombie: present in
	// the table but not alive.
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	eventually(t, "the child to become a zombie", func() bool {
		p, err := proctable.Stat(pid)
		return err == nil && p.Zombie()
	})
	if proctable.Alive(pid) {
		t.Error("a zombie is reported alive")
	}
	tab, err := proctable.Scan()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tab.Get(pid); !ok || tab.Live(pid) {
		t.Errorf("scan: zombie %d present=%v live=%v", pid, ok, tab.Live(pid))
	}
	if got := tab.Select(func(p proctable.Proc) bool { return p.PID == pid }); len(got) != 0 {
		t.Errorf("Select returned the zombie: %v", got)
	}
	_ = cmd.Wait()
	if _, err := proctable.Stat(pid); err == nil {
		t.Error("Stat of a reaped process succeeded")
	}
	if proctable.Alive(pid) {
		t.Error("a reaped process is reported alive")
	}
}

// TestTree follows a shell's children and grandchildren, and finds them
// through the children files even for a root given explicitly.
func TestTree(t *testing.T) {
	mark := "PROCTABLE_TREE=" + ids.Hex(8)
	cmd := start(t, mark, "sh", "-c", "sleep 31 & sh -c 'sleep 32 & wait' & wait")
	root := cmd.Process.Pid
	var tree []int
	eventually(t, "the shell's 3 descendants", func() bool {
		tab, err := proctable.Scan(root)
		if err != nil {
			t.Fatal(err)
		}
		tree = tab.Tree(root)
		return len(tree) == 4
	})
	if tree[0] != root {
		t.Errorf("tree %v does not start with its root %d", tree, root)
	}
	tagged, err := proctable.WithEnv(mark)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(tagged)
	sorted := slices.Clone(tree)
	slices.Sort(sorted)
	if !slices.Equal(sorted, tagged) {
		t.Errorf("tree %v, tagged processes %v", sorted, tagged)
	}
	kids := proctable.Children(root)
	if len(kids) != 2 {
		t.Errorf("Children(root) = %v, want the sleep and the inner sh", kids)
	}
	walked := proctable.Walk(root)
	slices.Sort(walked)
	if !slices.Equal(walked, sorted) {
		t.Errorf("Walk(root) = %v, want the tree %v", walked, sorted)
	}
	// Own children are found from the default root (this process).
	tab, _ := proctable.Scan()
	if !slices.Contains(tab.Tree(os.Getpid()), root) {
		t.Errorf("this process's tree lacks its child %d", root)
	}
}

func TestProcsSorted(t *testing.T) {
	tab, err := proctable.Scan()
	if err != nil {
		t.Fatal(err)
	}
	procs := tab.Procs()
	if len(procs) < 2 || !slices.IsSortedFunc(procs, func(a, b proctable.Proc) int { return a.PID - b.PID }) {
		t.Fatalf("%d procs, sorted=%v", len(procs), slices.IsSortedFunc(procs, func(a, b proctable.Proc) int { return a.PID - b.PID }))
	}
	for _, p := range procs {
		if !strings.ContainsRune("RSDTtZXIPWKx", rune(p.State)) {
			t.Errorf("pid %d: state %q", p.PID, p.State)
		}
	}
}

// TestGroupLive: a group whose members all exited but are not reaped yet
// is over, although kill(-pgid, 0) still finds it.
func TestGroupLive(t *testing.T) {
	start := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	live := start("sleep", "30")
	defer func() { _ = live.Process.Kill(); _ = live.Wait() }()
	dead := start("true")
	defer func() { _ = dead.Wait() }()
	eventually(t, "the child to become a zombie", func() bool {
		p, err := proctable.Stat(dead.Process.Pid)
		return err == nil && p.Zombie()
	})
	if syscall.Kill(-dead.Process.Pid, 0) != nil {
		t.Fatal("kill(-pgid, 0) does not find the zombie's group: the case tests nothing")
	}
	for _, tc := range []struct {
		name string
		pgid int
		want bool
	}{
		{"running member", live.Process.Pid, true},
		{"zombie only", dead.Process.Pid, false},
		{"no such group", 0x3fffffff, false},
		{"invalid", 0, false},
	} {
		if got := proctable.GroupLive(tc.pgid); got != tc.want {
			t.Errorf("%s: GroupLive(%d) = %v, want %v", tc.name, tc.pgid, got, tc.want)
		}
	}
}

// TestPipeHolders: what holds a pipe is found, except this process's own
// children: a child between fork and exec holds a copy of every descriptor
// for a moment and must not be taken for a holder (a concurrent exec was
// once killed that way).
func TestPipeHolders(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(r.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	// A grandchild holds w (fd 3): sh starts it in the background and exits
	// at once, so it is reparented away from us.
	mark := "PROCTABLE_HOLDER=" + ids.UUID()
	sh := exec.Command("sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!")
	sh.ExtraFiles = []*os.File{w}
	sh.Env = append(os.Environ(), mark)
	out, err := sh.Output()
	if err != nil {
		t.Fatal(err)
	}
	grand, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	defer syscall.Kill(grand, syscall.SIGKILL)
	// A child of ours holds it too.
	child := exec.Command("sleep", "30")
	child.ExtraFiles = []*os.File{w}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	w.Close()
	got := proctable.PipeHolders(st.Ino)
	if !slices.Contains(got, grand) {
		t.Errorf("PipeHolders = %v: the grandchild %d holding the pipe is missing", got, grand)
	}
	if slices.Contains(got, child.Process.Pid) {
		t.Errorf("PipeHolders = %v: it names our own child %d", got, child.Process.Pid)
	}
	if slices.Contains(got, os.Getpid()) {
		t.Errorf("PipeHolders = %v: it names this process", got)
	}
}
