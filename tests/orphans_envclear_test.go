package tests

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/internal/proctable"
)

// TestEnvClearedDaemonsOutliveNothing: daemons that left the process group
// and cleared their environment, so that procsh's markers are gone, from a
// session and from an exec in flight, still end when procsh is killed with
// SIGKILL: the reaper knows the lifelines they hold.
func TestEnvClearedDaemonsOutliveNothing(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("setsid (util-linux) is not installed")
	}
	arg := func(i int) string { return strconv.Itoa(900+i) + "." + strconv.Itoa(os.Getpid()%1000) }
	alive := func(i int) []int {
		pids, _ := proctable.WithCmdline("sleep", arg(i))
		return pids
	}
	t.Cleanup(func() {
		for i := 1; i <= 2; i++ {
			for _, p := range alive(i) {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
	script := `
local s = process.session()
s:run("env -i setsid -f sleep ` + arg(1) + `")
process.spawn(function() process.exec("env -i setsid -f sleep ` + arg(2) + `; sleep 600") end)
process.sleep(60)
`
	cmd := exec.Command(cliBinary(t), "-e", script)
	cmd.Env = cliEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 1; i <= 2; i++ {
		for deadline := time.Now().Add(20 * time.Second); len(alive(i)) != 1; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("sleep %s did not start", arg(i))
			}
		}
	}
	// The reaper learns an exec's lifeline once the exec has run 50 ms
	// (telling it on every exec would cost `exec true` 3%).
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for i := 1; i <= 2; i++ {
		deadline := time.Now().Add(10 * time.Second)
		for len(alive(i)) != 0 {
			if time.Now().After(deadline) {
				t.Errorf("sleep %s (env cleared, own session) outlived procsh's SIGKILL", arg(i))
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
