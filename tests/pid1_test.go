//go:build linux

package tests

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/internal/ids"
	"github.com/procsh/procsh/internal/proctable"
)

// pid1Command runs procsh as PID 1 of a fresh PID namespace, as a
// container runtime starts its main process.
func pid1Command(t *testing.T, extraEnv []string, args ...string) *exec.Cmd {
	t.Helper()
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	if out, err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "true").CombinedOutput(); err != nil {
		t.Skipf("this machine does not allow PID namespaces: %v %s", err, out)
	}
	cmd := exec.Command("unshare", append([]string{"--pid", "--fork", "--mount-proc", cliBinary(t)}, args...)...)
	cmd.Env = cliEnv(extraEnv...)
	return cmd
}

// TestPID1ReapsOrphans: background jobs that outlive their shell become
// children of PID 1. As PID 1, procsh splits off a reaping half, so they
// are reaped; the control run, with the split turned off, shows what a Go
// program as PID 1 leaves otherwise.
func TestPID1ReapsOrphans(t *testing.T) {
	script := `for i = 1, 20 do process.exec("sleep 0.01 & exit 0") end
process.sleep(0.3)
local r = process.exec("ps -eo stat= | grep -c '^Z' || true")
print("zombies=" .. r.stdout:gsub("%s", ""))`
	zombies := func(out []byte) string {
		for _, l := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(l, "zombies="); ok {
				return v
			}
		}
		return "?"
	}
	out, err := pid1Command(t, nil, "-e", script).CombinedOutput()
	if err != nil {
		t.Fatalf("procsh as PID 1: %v\n%s", err, out)
	}
	if z := zombies(out); z != "0" {
		t.Errorf("procsh as PID 1 left %s zombies:\n%s", z, out)
	}
	out, err = pid1Command(t, []string{"PROCSH_PID1_CHILD=1"}, "-e", script).CombinedOutput()
	if err != nil {
		t.Fatalf("control run: %v\n%s", err, out)
	}
	if z := zombies(out); z == "0" || z == "?" {
		t.Errorf("control run (no reaping half) shows %s zombies: the test cannot tell the difference\n%s", z, out)
	}
}

// TestPID1Signals: `docker stop` sends SIGTERM to PID 1. The reaping half
// passes it on; procsh ends what it started and exits 143, and so does the
// container's main process. Exit codes pass through unchanged.
func TestPID1Signals(t *testing.T) {
	mark := ids.UUID()
	cmd := pid1Command(t, []string{"PROCSH_CLI_MARK=" + mark}, "-e", `process.exec("sleep 30")`)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
	}()
	// The sleep itself (unshare's and procsh's command lines hold the
	// text too): then procsh runs and its signal handlers are in place.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		pids, _ := proctable.WithCmdline("sleep", "30")
		if slices.ContainsFunc(pids, func(p int) bool { return proctable.HasEnv(p, "PROCSH_CLI_MARK="+mark) }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sleep did not start")
		}
	}
	// unshare's child is the namespace's PID 1: the reaping half.
	var init int
	tab, err := proctable.Scan(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if kids := tab.Children(cmd.Process.Pid); len(kids) == 1 {
		init = kids[0]
	} else {
		t.Fatalf("unshare has children %v, want one", kids)
	}
	start := time.Now()
	if err := syscall.Kill(init, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("procsh as PID 1 did not end after SIGTERM")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Errorf("exit after SIGTERM: %v, want status 143; stderr:\n%s", err, stderr.String())
	}
	t.Logf("SIGTERM to PID 1 → exit in %v", time.Since(start).Round(time.Millisecond))
	for pid, c := range cliProcsWithMarker(mark, os.Getpid()) {
		t.Errorf("left running after SIGTERM to PID 1: %d %q", pid, c)
	}

	err = pid1Command(t, nil, "-e", `os.exit(7)`).Run()
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Errorf("os.exit(7) as PID 1: %v, want status 7", err)
	}
}
