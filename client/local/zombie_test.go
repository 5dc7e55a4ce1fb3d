//go:build linux

package local_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/internal/proctable"
)

// zombieGrace is the kill grace of the helper's backend: long, so a wait
// for a group that only holds unreaped orphans shows up as tens of seconds
// and not as noise.
const zombieGrace = 20 * time.Second

// TestUnreapedOrphans: a command killed or cancelled leaves its background
// child as an orphan, and its new parent may reap it late (a container's
// PID 1 often does; the CI run that found this took 2 s for a Ctrl-C in the
// REPL). A zombie still counts as a group member for kill(-pgid, 0), so a
// backend that waits for the group to empty waited the whole grace. The
// helper process makes itself a child subreaper that never reaps, which
// turns "late" into "never", and reports how long each way of ending a
// command took and how many zombies it was left holding.
func TestUnreapedOrphans(t *testing.T) {
	if os.Getenv("PROCSH_ZOMBIE_HELPER") == "1" {
		zombieHelper()
		return
	}
	out, err := runAsHelper(t, "PROCSH_ZOMBIE_HELPER", 5*time.Minute)
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "RESULT" {
			continue
		}
		seen++
		d, _ := time.ParseDuration(f[2])
		zombies, _ := strconv.Atoi(f[3])
		t.Logf("%s: ended in %v, %d unreaped orphan(s) in its group", f[1], d, zombies)
		if zombies == 0 {
			t.Errorf("%s: no unreaped orphan: the case did not reproduce the condition", f[1])
		}
		// Ending the command is system calls and one scan; the bound only
		// tells "did not wait for the zombies" from "waited the grace".
		if d > zombieGrace/4 {
			t.Errorf("%s took %v with a %v grace: it waited for zombies", f[1], d, zombieGrace)
		}
	}
	if seen != 4 {
		t.Fatalf("helper reported %d cases, want 4:\n%s", seen, out)
	}
}

// orphaning is a command whose background child outlives the main process
// and is never reaped by it: `exec` replaces the shell, so the orphan goes
// to the subreaper whichever of the two dies first.
const orphaning = "sleep 300 & exec sleep 30"

func zombieHelper() {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Println("prctl:", err)
		os.Exit(1)
	}
	b, err := local.New(local.WithKillGrace(zombieGrace))
	if err != nil {
		fmt.Println("new:", err)
		os.Exit(1)
	}
	defer b.Close()
	ctx := context.Background()
	report := func(name string, d time.Duration) {
		fmt.Printf("RESULT %s %v %d\n", name, d, zombiesOfSelf())
	}

	// Cancelled exec.
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan time.Time, 1)
	go func() {
		_, _ = b.Exec(cctx, client.ExecRequest{Command: orphaning})
		done <- time.Now()
	}()
	waitForSleep300()
	start := time.Now()
	cancel()
	report("exec-cancel", (<-done).Sub(start))

	// Timed-out exec: its duration counts from the deadline.
	start = time.Now()
	_, _ = b.Exec(ctx, client.ExecRequest{Command: orphaning, Timeout: 500 * time.Millisecond})
	report("exec-timeout", time.Since(start)-500*time.Millisecond)

	// Killed session command.
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "z"}); err != nil {
		fmt.Println("session:", err)
		os.Exit(1)
	}
	r, err := b.ExecSession(ctx, "z", client.SessionExecRequest{Command: orphaning, Async: true})
	if err != nil {
		fmt.Println("exec session:", err)
		os.Exit(1)
	}
	waitForSleep300()
	start = time.Now()
	_ = b.KillCommand(ctx, "z", r.CmdID, syscall.SIGTERM)
	_, _ = b.WaitCommand(ctx, "z", r.CmdID)
	report("session-kill", time.Since(start))

	// Deleted session with the command running.
	if _, err := b.ExecSession(ctx, "z", client.SessionExecRequest{Command: orphaning, Async: true}); err != nil {
		fmt.Println("exec session:", err)
		os.Exit(1)
	}
	waitForSleep300()
	start = time.Now()
	_ = b.DeleteSession(ctx, "z")
	report("session-delete", time.Since(start))
}

// waitForSleep300 waits until this process has a live `sleep 300`
// descendant (the background child has started).
func waitForSleep300() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tab, err := proctable.Scan()
		if err == nil {
			for _, pid := range tab.Tree(os.Getpid()) {
				if argv, _ := proctable.Cmdline(pid); tab.Live(pid) && len(argv) == 2 && argv[0] == "sleep" && argv[1] == "300" {
					return
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Println("no sleep 300 started")
	os.Exit(1)
}

// zombiesOfSelf reaps this process's unreaped orphans and says how many
// there were, so each case starts from none.
func zombiesOfSelf() int {
	n := 0
	tab, err := proctable.Scan()
	if err != nil {
		return 0
	}
	for _, p := range tab.Procs() {
		if p.PPID == os.Getpid() && p.Zombie() {
			var ws unix.WaitStatus
			if pid, _ := unix.Wait4(p.PID, &ws, unix.WNOHANG, nil); pid == p.PID {
				n++
			}
		}
	}
	return n
}
