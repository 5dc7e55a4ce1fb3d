package tests

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestNothingOutlivesProcsh kills the procsh runner while it has a session
// command with background and setsid children and an exec in flight, with
// each way a program can end: an untrappable SIGKILL, the signals a
// terminal, a supervisor or a user send, and SIGQUIT, which makes the Go
// runtime die at once as on a fatal error (no deferred cleanup runs). Every
// process it started must end, and its temporary directory must be left
// empty.
func TestNothingOutlivesProcsh(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		t.Run(sigName(sig), func(t *testing.T) {
			t.Parallel()
			marker := cliMarker(t)
			tmp := t.TempDir()
			secs := func(n int) string { return strconv.Itoa(60+n) + "." + strconv.Itoa(int(sig)) + "1" }
			script := `
local s = process.session()
s:start("sleep ` + secs(1) + ` & setsid sleep ` + secs(2) + ` >/dev/null 2>&1 & sleep ` + secs(3) + `")
process.spawn(function() process.exec("sleep ` + secs(4) + ` & sleep ` + secs(5) + `") end)
process.sleep(60)
`
			cmd := exec.Command(cliBinary(t), "-e", script)
			cmd.Env = cliEnv("PROCSH_CLI_MARK="+marker, "TMPDIR="+tmp)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pid := cmd.Process.Pid
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			for i := 1; i <= 5; i++ {
				cliWaitForProc(t, marker, "sleep "+secs(i), pid, 20*time.Second)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				// SIGHUP is handled like SIGTERM: exit 129, not death by
				// the signal.
				if code := cmd.ProcessState.ExitCode(); sig == syscall.SIGHUP && code != 129 {
					t.Errorf("exit status after SIGHUP: %d (%v), want 129", code, err)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("procsh did not exit on %v", sig)
			}
			cliAssertNoLeftovers(t, marker, pid)
			deadline := time.Now().Add(5 * time.Second)
			for {
				left, _ := filepath.Glob(filepath.Join(tmp, "*"))
				if len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("TMPDIR still holds %v", left)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "KILL"
	case syscall.SIGHUP:
		return "HUP"
	case syscall.SIGTERM:
		return "TERM"
	case syscall.SIGINT:
		return "INT"
	case syscall.SIGQUIT:
		return "QUIT"
	}
	return strconv.Itoa(int(s))
}
