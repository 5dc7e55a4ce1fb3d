//go:build linux

package local_test

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/proctable"
)

// TestEnvClearedDaemons: a daemon that leaves the process group and clears
// its environment (so the marker is gone) but keeps its descriptors is
// still found, through the lifeline it holds, and ended: by a timeout, by
// exec's end, and by the session's deletion.
func TestEnvClearedDaemons(t *testing.T) {
	if _, err := os.Stat("/usr/bin/setsid"); err != nil {
		t.Skip("setsid (util-linux) is not installed")
	}
	b := newBackend(t)
	ctx := context.Background()
	arg := func(i int) string { return fmt.Sprintf("%d.%d", 700+i, os.Getpid()%1000) }
	alive := func(i int) []int {
		pids, _ := proctable.WithCmdline("sleep", arg(i))
		return pids
	}
	t.Cleanup(func() {
		for i := 1; i <= 3; i++ {
			for _, p := range alive(i) {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
	if _, err := b.Exec(ctx, client.ExecRequest{Command: "env -i setsid -f sleep " + arg(1) + "; sleep 30", Timeout: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	// A survivor needs a moment to exec sleep after setsid's fork.
	time.Sleep(200 * time.Millisecond)
	if p := alive(1); len(p) != 0 {
		t.Errorf("timeout: the env-cleared daemon %v survived", p)
	}
	if _, err := b.Exec(ctx, client.ExecRequest{Command: "env -i setsid -f sleep " + arg(2)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if p := alive(2); len(p) != 0 {
		t.Errorf("exec's end: the env-cleared daemon %v survived", p)
	}
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "envclear"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecSession(ctx, "envclear", client.SessionExecRequest{Command: "env -i setsid -f sleep " + arg(3)}); err != nil {
		t.Fatal(err)
	}
	// setsid -f returns before its child has exec'd sleep.
	for deadline := time.Now().Add(10 * time.Second); len(alive(3)) != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the session's daemon did not start")
		}
	}
	if err := b.DeleteSession(ctx, "envclear"); err != nil {
		t.Fatal(err)
	}
	if p := alive(3); len(p) != 0 {
		t.Errorf("session delete: the env-cleared daemon %v survived", p)
	}
}
