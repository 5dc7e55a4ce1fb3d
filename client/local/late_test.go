//go:build linux

package local_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/internal/proctable"
)

// TestLateOutputBounded: a background job of a session command that writes
// without end after the command ended stays alive (no SIGPIPE), adds at
// most 1 MiB to the command's log, is read slowly enough to block on its
// pipe, and ends with the session, which then holds no descriptor for it.
// Not parallel: it counts descriptors.
func TestLateOutputBounded(t *testing.T) {
	ctx := context.Background()
	b, err := local.New(local.WithKillGrace(200 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "late"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecSession(ctx, "late", client.SessionExecRequest{Command: "true"}); err != nil {
		t.Fatal(err)
	}
	fds0 := countFDs(t)
	mark := fmt.Sprintf("late-%d", os.Getpid())
	r, err := b.ExecSession(ctx, "late", client.SessionExecRequest{Command: "(sleep 0.2; exec yes " + mark + ") & echo fg"})
	if err != nil || r.Stdout != "fg\n" {
		t.Fatalf("%+v %v", r, err)
	}
	time.Sleep(1500 * time.Millisecond)
	pids, _ := proctable.WithCmdline("yes", mark)
	if len(pids) != 1 {
		t.Fatalf("the background yes: %v, want one alive (SIGPIPE?)", pids)
	}
	l, err := b.GetCommandLogs(ctx, "late", r.CmdID)
	if err != nil {
		t.Fatal(err)
	}
	late := len(l.Stdout) - len("fg\n")
	t.Logf("late output kept: %d bytes", late)
	if late <= 0 || late > 1<<20 {
		t.Errorf("late output kept: %d bytes, want some and at most 1 MiB", late)
	}
	// Another command runs beside the writer.
	if r, err := b.ExecSession(ctx, "late", client.SessionExecRequest{Command: "echo next"}); err != nil || r.Stdout != "next\n" {
		t.Errorf("next command: %+v %v", r, err)
	}
	if err := b.DeleteSession(ctx, "late"); err != nil {
		t.Fatal(err)
	}
	if pids, _ := proctable.WithCmdline("yes", mark); len(pids) != 0 {
		t.Errorf("the background yes outlived its session: %v", pids)
	}
	if f, _ := settle(t, fds0, 1<<30); f > fds0 {
		t.Errorf("%d descriptors after the delete, %d before the command", f, fds0)
	}
}
