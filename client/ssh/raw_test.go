package ssh_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/ssh"
	"github.com/procsh/procsh/internal/sshtest"
)

// TestRawExec runs one-shot commands over plain SSH channels.
func TestRawExec(t *testing.T) {
	srv := sshtest.Start(t)
	c := dial(t, srv, opts(srv, ssh.ModeRaw))
	if c.Mode() != ssh.ModeRaw {
		t.Fatalf("mode %q", c.Mode())
	}
	dir := t.TempDir()
	big := strings.Repeat("# padding to exceed one argument's limit\n", 8000) + "echo big"
	cases := []struct {
		name string
		req  client.ExecRequest
		code int
		sig  string
		out  string // stdout
		err  string // stderr
	}{
		{"exit code", client.ExecRequest{Command: "exit 7"}, 7, "", "", ""},
		{"streams", client.ExecRequest{Command: "echo out; echo err >&2"}, 0, "", "out\n", "err\n"},
		{"cwd", client.ExecRequest{Command: "pwd", Cwd: dir}, 0, "", dir + "\n", ""},
		{"env", client.ExecRequest{Command: `printf '%s|%s' "$A" "$B"`, Env: map[string]string{"A": "it's", "B": "$x y"}}, 0, "", "it's|$x y", ""},
		{"no stdin", client.ExecRequest{Command: "cat; echo done"}, 0, "", "done\n", ""},
		{"signal", client.ExecRequest{Command: "kill -TERM $$"}, -1, "TERM", "", ""},
		{"large script", client.ExecRequest{Command: big}, 0, "", "big\n", ""},
		{"multi-line", client.ExecRequest{Command: "x=1\nif [ $x = 1 ]; then\n echo one\nfi"}, 0, "", "one\n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.Exec(ctxT(t, 20*time.Second), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tc.code || res.Signal != tc.sig || res.Stdout != tc.out || res.Stderr != tc.err {
				t.Fatalf("got code %d sig %q stdout %q stderr %q", res.ExitCode, res.Signal, res.Stdout, res.Stderr)
			}
			if !res.HasStreams || len(res.Result) != len(res.Stdout)+len(res.Stderr) {
				t.Fatalf("result %q", res.Result)
			}
		})
	}
}

// TestRawBadInput: invalid requests fail before anything runs.
func TestRawBadInput(t *testing.T) {
	srv := sshtest.Start(t)
	c := dial(t, srv, opts(srv, ssh.ModeRaw))
	ctx := ctxT(t, 10*time.Second)
	for _, req := range []client.ExecRequest{
		{Command: "  "},
		{Command: "true", Env: map[string]string{"BAD-KEY": "x"}},
		{Command: "true", Timeout: -time.Second},
	} {
		if _, err := c.Exec(ctx, req); !errors.Is(err, client.ErrInvalidArgument) {
			t.Errorf("%+v: err = %v", req, err)
		}
	}
	if err := c.CreateSession(ctx, client.SessionOptions{ID: "s"}); !errors.Is(err, client.ErrUnsupported) {
		t.Errorf("session: %v", err)
	}
	if err := c.KillCommand(ctx, "s", "c", 9); !errors.Is(err, client.ErrUnsupported) {
		t.Errorf("kill command: %v", err)
	}
	c.Close()
	if _, err := c.Exec(ctx, client.ExecRequest{Command: "true"}); !errors.Is(err, client.ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

// TestRawTimeoutKillsGroup: a timed-out command's whole remote process
// tree ends, killed over a second channel: children, and a daemon that left
// the process group and session.
func TestRawTimeoutKillsGroup(t *testing.T) {
	srv := sshtest.Start(t)
	c := dial(t, srv, opts(srv, ssh.ModeRaw))
	m := "31.7" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	var mu sync.Mutex
	var live []byte
	res, err := c.Exec(ctxT(t, 30*time.Second), client.ExecRequest{
		Command: "sleep " + m + " & setsid sleep " + m + " & sleep " + m + "; wait",
		Timeout: 500 * time.Millisecond,
		OnOutput: func(ch client.Chunk) {
			mu.Lock()
			live = append(live, ch.Data...)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut {
		t.Fatalf("res %+v", res)
	}
	if !eventually(3*time.Second, func() bool { return len(procsWith(m)) == 0 }) {
		t.Fatalf("left behind: %v", procsWith(m))
	}
}

// TestRawCancelKillsGroup: cancelling the context ends the remote command.
func TestRawCancelKillsGroup(t *testing.T) {
	srv := sshtest.Start(t)
	c := dial(t, srv, opts(srv, ssh.ModeRaw))
	m := "32.1" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	ctx := ctxT(t, 700*time.Millisecond)
	_, err := c.Exec(ctx, client.ExecRequest{Command: "trap '' TERM; sleep " + m})
	if !errors.Is(err, client.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if n := procsWith(m); len(n) != 0 {
		t.Fatalf("left behind: %v", n)
	}
}

// TestRawLiveOutput: OnOutput sees output before the command ends.
func TestRawLiveOutput(t *testing.T) {
	srv := sshtest.Start(t)
	c := dial(t, srv, opts(srv, ssh.ModeRaw))
	first := make(chan time.Time, 1)
	start := time.Now()
	res, err := c.Exec(ctxT(t, 20*time.Second), client.ExecRequest{
		Command: "echo a; sleep 0.5; echo b",
		OnOutput: func(ch client.Chunk) {
			select {
			case first <- time.Now():
			default:
			}
		},
	})
	if err != nil || res.Stdout != "a\nb\n" {
		t.Fatalf("%+v %v", res, err)
	}
	if at := (<-first).Sub(start); at >= res.Duration {
		t.Fatalf("first chunk at %v, run took %v", at, res.Duration)
	}
}

// TestRawCodeRun runs python with argv over stdin.
func TestRawCodeRun(t *testing.T) {
	srv := sshtest.Start(t)
	c := dial(t, srv, opts(srv, ssh.ModeRaw))
	res, err := c.CodeRun(ctxT(t, 20*time.Second), client.CodeRunRequest{Code: "import sys; print(sys.argv[1:]); sys.exit(3)", Argv: []string{"a b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.Stdout != "['a b', 'c']\n" {
		t.Fatalf("%+v", res)
	}
}

// TestRawChattyLoginShell: a login shell whose rc file prints (bash reads
// ~/.bashrc under sshd) does not confuse raw mode: the output comes first,
// then the command's, and killing by pid still works.
func TestRawChattyLoginShell(t *testing.T) {
	srv := sshtest.Start(t)
	if err := os.WriteFile(filepath.Join(srv.Home, ".bashrc"), []byte("echo rc-says-hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv, opts(srv, ssh.ModeRaw))
	res, err := c.Exec(ctxT(t, 20*time.Second), client.ExecRequest{Command: "echo cmd; exit 4"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 4 || res.Stdout != "rc-says-hi\ncmd\n" {
		t.Fatalf("%+v", res)
	}
	m := "33.2" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	res, err = c.Exec(ctxT(t, 20*time.Second), client.ExecRequest{Command: "sleep " + m, Timeout: 300 * time.Millisecond})
	if err != nil || !res.TimedOut {
		t.Fatalf("%+v %v", res, err)
	}
	if !eventually(3*time.Second, func() bool { return len(procsWith(m)) == 0 }) {
		t.Fatalf("left behind: %v", procsWith(m))
	}
	// PTYs drop the rc output before the program starts.
	info, err := c.CreatePTY(ctxT(t, 10*time.Second), client.PTYOptions{ID: "chatty", LazyStart: true, Command: []string{"echo", "pty-out"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.ConnectPTY(ctxT(t, 10*time.Second), info.ID, client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(h)
	if string(out) != "pty-out\r\n" {
		t.Fatalf("pty output %q", out)
	}
}
