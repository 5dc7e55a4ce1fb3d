//go:build linux

package local_test

import (
	"context"
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/internal/proctable"
)

// Local-only behaviour: details the wire protocol does not carry, and
// configuration of the local backend.

func TestSessionPOSIXShell(t *testing.T) {
	dash, err := exec.LookPath("dash")
	if err != nil {
		t.Skip("dash not installed")
	}
	b, _ := local.New(local.WithShell(dash), local.WithKillGrace(200*time.Millisecond))
	defer b.Close()
	ctx := context.Background()
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "d"}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		cmd  string
		code int
		out  string
	}{
		{"cd /tmp; export A='x y'; B=2", 0, ""},
		{`pwd; echo "$A" $B`, 0, "/tmp\nx y 2\n"},
		{"exit 4", 4, ""},
		{`pwd; echo "$A"`, 0, "/tmp\nx y\n"}, // exported state survives on sh
	}
	for _, s := range steps {
		r, err := b.ExecSession(ctx, "d", client.SessionExecRequest{Command: s.cmd})
		if err != nil || *r.ExitCode != s.code || r.Stdout != s.out {
			t.Errorf("%q: %+v %v", s.cmd, r, err)
		}
	}
	a, _ := b.ExecSession(ctx, "d", client.SessionExecRequest{Command: "cat", Async: true})
	_ = b.SendInput(ctx, "d", a.CmdID, []byte("in"))
	_ = b.CloseInput(ctx, "d", a.CmdID)
	if _, err := b.WaitCommand(ctx, "d", a.CmdID); err != nil {
		t.Fatal(err)
	}
	if l, _ := b.GetCommandLogs(ctx, "d", a.CmdID); l.Output != "in" {
		t.Errorf("stdin on sh: %q", l.Output)
	}
}

func TestSessionLocalDetails(t *testing.T) {
	b, _ := local.New(local.WithKillGrace(200 * time.Millisecond))
	defer b.Close()
	ctx := context.Background()
	err := b.CreateSession(ctx, client.SessionOptions{ID: "nocwd", Cwd: "/nonexistent/dir"})
	if !errors.Is(err, client.ErrInvalidArgument) {
		t.Errorf("missing cwd: %v", err)
	}
	if _, err := b.GetSession(ctx, "nocwd"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("a failed create left a session behind: %v", err)
	}
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "k"}); err != nil {
		t.Fatal(err)
	}
	a, _ := b.ExecSession(ctx, "k", client.SessionExecRequest{Command: "sleep 30", Async: true})
	time.Sleep(50 * time.Millisecond)
	if err := b.KillCommand(ctx, "k", a.CmdID, syscall.Signal(0)); !errors.Is(err, client.ErrInvalidArgument) {
		t.Errorf("signal 0: %v", err)
	}
	if err := b.KillCommand(ctx, "k", a.CmdID, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ci, err := b.WaitCommand(ctx, "k", a.CmdID)
	if err != nil || *ci.ExitCode != 143 || ci.Signal != "TERM" {
		t.Errorf("killed command: %+v %v", ci, err)
	}
	// A builtin-only command killed with SIGKILL: the session shell goes,
	// its state does not.
	r0, _ := b.ExecSession(ctx, "k", client.SessionExecRequest{Command: "cd /tmp; export KEEP=k"})
	if *r0.ExitCode != 0 {
		t.Fatal(r0)
	}
	loop, _ := b.ExecSession(ctx, "k", client.SessionExecRequest{Command: "while :; do :; done", Async: true})
	time.Sleep(50 * time.Millisecond)
	if err := b.KillCommand(ctx, "k", loop.CmdID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ci, err = b.WaitCommand(ctx, "k", loop.CmdID)
	if err != nil || ci.Signal != "KILL" || *ci.ExitCode == 0 {
		t.Errorf("builtin loop killed: %+v %v", ci, err)
	}
	r0, _ = b.ExecSession(ctx, "k", client.SessionExecRequest{Command: "pwd; echo $KEEP"})
	if r0.Stdout != "/tmp\nk\n" {
		t.Errorf("state after killing a builtin loop: %q", r0.Stdout)
	}
	// A command killed before it started never runs.
	blocker, _ := b.ExecSession(ctx, "k", client.SessionExecRequest{Command: "sleep 0.3", Async: true})
	q, _ := b.ExecSession(ctx, "k", client.SessionExecRequest{Command: "touch /tmp/procsh-never-$$", Async: true})
	if err := b.KillCommand(ctx, "k", q.CmdID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ci, _ = b.WaitCommand(ctx, "k", q.CmdID)
	if ci.Signal != "KILL" {
		t.Errorf("queued kill: %+v", ci)
	}
	if ci, _ := b.WaitCommand(ctx, "k", blocker.CmdID); *ci.ExitCode != 0 {
		t.Errorf("blocker: %+v", ci)
	}
	r, _ := b.ExecSession(ctx, "k", client.SessionExecRequest{Command: "sync"})
	if *r.ExitCode != 0 {
		t.Errorf("session after kills: %+v", r)
	}
	// SendInput to a sync command is refused (its stdin is /dev/null).
	if err := b.SendInput(ctx, "k", r.CmdID, []byte("x")); !errors.Is(err, client.ErrClosed) {
		t.Errorf("input to a sync command: %v", err)
	}
}

// TestSessionShellKilled: a command that kills its own session shell
// with SIGKILL completes with 128+9 and the signal's name, and the session
// carries on in a new shell (state saved at an earlier exit survives;
// nothing can be saved at the moment of a SIGKILL).
func TestSessionShellKilled(t *testing.T) {
	b, _ := local.New(local.WithKillGrace(100 * time.Millisecond))
	defer b.Close()
	ctx := context.Background()
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "k9"}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		cmd, sig string
		code     int
		out      string
	}{
		{"export A=1; exit 0", "", 0, ""},
		{"echo pre; kill -9 $$", "KILL", 137, "pre\n"},
		{"echo $A", "", 0, "1\n"},
	}
	for _, st := range steps {
		r, err := b.ExecSession(ctx, "k9", client.SessionExecRequest{Command: st.cmd})
		if err != nil || *r.ExitCode != st.code || r.Signal != st.sig || r.Stdout != st.out {
			t.Errorf("%q: %+v %v", st.cmd, r, err)
		}
	}
}

func TestExecCancelReturnsPartialResult(t *testing.T) {
	b, _ := local.New(local.WithKillGrace(100 * time.Millisecond))
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(time.Second); cancel() }()
	r, err := b.Exec(ctx, client.ExecRequest{Command: "echo part; sleep 30"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if r == nil || r.Result != "part\n" || r.Signal != "TERM" || r.ExitCode != 143 {
		t.Errorf("result %+v", r)
	}
}

func TestExecDirAndEnvOptions(t *testing.T) {
	b, _ := local.New(local.WithDir("/tmp"), local.WithEnv([]string{"PATH=/usr/bin:/bin", "ONLY=1"}))
	defer b.Close()
	r, err := b.Exec(context.Background(), client.ExecRequest{Command: `pwd; echo "$ONLY$HOME"`})
	if err != nil || r.Result != "/tmp\n1\n" {
		t.Errorf("%+v %v", r, err)
	}
	r, _ = b.Exec(context.Background(), client.ExecRequest{Command: "pwd", Cwd: "."})
	if r.Result != "/tmp\n" {
		t.Errorf("relative cwd: %q", r.Result)
	}
}

// TestCloseEndsSessions: the local backend's Close ends every process its
// sessions started.
func TestCloseEndsSessions(t *testing.T) {
	b, _ := local.New(local.WithKillGrace(100 * time.Millisecond))
	ctx := context.Background()
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "c"}); err != nil {
		t.Fatal(err)
	}
	const m = "31.7654321"
	if _, err := b.ExecSession(ctx, "c", client.SessionExecRequest{Command: "sleep " + m + " & setsid sleep " + m + " &"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecSession(ctx, "c", client.SessionExecRequest{Command: "sleep 30", Async: true}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if pids := withArg(m); len(pids) > 0 {
		t.Errorf("processes left after Close: %v", pids)
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
}

// withArg returns live processes that have arg as a whole argument.
func withArg(arg string) []int {
	pids, err := proctable.WithArg(arg)
	if err != nil {
		panic(err)
	}
	return pids
}
