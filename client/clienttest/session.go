package clienttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
)

func runSession(t *testing.T, nb NewFunc) {
	// The parallel group ends before the load test starts, so that
	// timing-sensitive checks (stream order) do not share the CPU with 200
	// shells starting at once.
	t.Run("Group", func(t *testing.T) {
		t.Run("Lifecycle", func(t *testing.T) { t.Parallel(); sessLifecycle(t, nb) })
		t.Run("InvalidAndUnknownIDs", func(t *testing.T) { t.Parallel(); sessIDs(t, nb) })
		t.Run("StatePersists", func(t *testing.T) { t.Parallel(); sessState(t, nb) })
		t.Run("ExitKeepsSession", func(t *testing.T) { t.Parallel(); sessExit(t, nb) })
		t.Run("CwdAndEnv", func(t *testing.T) { t.Parallel(); sessCwdEnv(t, nb) })
		t.Run("SubmissionOrder", func(t *testing.T) { t.Parallel(); sessOrder(t, nb) })
		t.Run("AsyncReturnsAtOnce", func(t *testing.T) { t.Parallel(); sessAsync(t, nb) })
		t.Run("LogsBinaryAndStreamsApart", func(t *testing.T) { t.Parallel(); sessLogs(t, nb) })
		t.Run("StreamExactlyOnce", func(t *testing.T) { t.Parallel(); sessStream(t, nb) })
		t.Run("Stdin", func(t *testing.T) { t.Parallel(); sessStdin(t, nb) })
		t.Run("KillCommand", func(t *testing.T) { t.Parallel(); sessKill(t, nb) })
		t.Run("Kill", func(t *testing.T) { t.Parallel(); runSessionKill(t, nb) })
		t.Run("DeleteKillsEverything", func(t *testing.T) { t.Parallel(); sessDelete(t, nb) })
		t.Run("DeleteFailsWaiters", func(t *testing.T) { t.Parallel(); sessDeleteWaiters(t, nb) })
		t.Run("SyncContextCancel", func(t *testing.T) { t.Parallel(); sessCancel(t, nb) })
		t.Run("BackgroundJobDoesNotHoldCommand", func(t *testing.T) { t.Parallel(); sessBackground(t, nb) })
		t.Run("BackgroundJobKeepsWriting", func(t *testing.T) { t.Parallel(); sessBackgroundWrites(t, nb) })
		t.Run("Close", func(t *testing.T) { t.Parallel(); sessClose(t, nb) })
	})
	t.Run("Concurrent200", func(t *testing.T) { sessConcurrent(t, nb, 200) })
}

// mkSession creates a session with a unique id and deletes it at the end.
func mkSession(t *testing.T, c client.Client, opts client.SessionOptions) string {
	t.Helper()
	if opts.ID == "" {
		opts.ID = "ct-" + strings.ReplaceAll(t.Name(), "/", "_") + "-" + marker(0)[2:]
	}
	if err := c.CreateSession(ctxFor(t, 30*time.Second), opts); err != nil {
		t.Fatalf("CreateSession(%q): %v", opts.ID, err)
	}
	t.Cleanup(func() { _ = c.DeleteSession(context.Background(), opts.ID) })
	return opts.ID
}

// run runs a sync command and checks it succeeded as far as the API goes.
func run(t *testing.T, c client.Client, sid, cmd string) *client.SessionExecResult {
	t.Helper()
	r, err := c.ExecSession(ctxFor(t, 30*time.Second), sid, client.SessionExecRequest{Command: cmd})
	if err != nil {
		t.Fatalf("ExecSession(%q): %v", cmd, err)
	}
	if r.ExitCode == nil {
		t.Fatalf("ExecSession(%q): no exit code in a sync result", cmd)
	}
	return r
}

// want runs cmd and checks its exit code and stdout.
func want(t *testing.T, c client.Client, sid, cmd string, code int, stdout string) {
	t.Helper()
	r := run(t, c, sid, cmd)
	if *r.ExitCode != code || r.Stdout != stdout {
		t.Errorf("%q: got exit %d stdout %s stderr %s, want %d %s", cmd, *r.ExitCode, q(r.Stdout), q(r.Stderr), code, q(stdout))
	}
}

// ours filters a session list down to the ids with prefix, so that the
// suite also works against a server that other tests share.
func ours(list []client.SessionInfo, prefix string) []client.SessionInfo {
	var out []client.SessionInfo
	for _, s := range list {
		if strings.HasPrefix(s.ID, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func sessLifecycle(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	p := "life-" + marker(0)[2:] + "-"
	a, b := p+"a", p+"b"
	t.Cleanup(func() {
		_ = c.DeleteSession(context.Background(), a)
		_ = c.DeleteSession(context.Background(), b)
	})
	for _, id := range []string{b, a} {
		if err := c.CreateSession(ctx, client.SessionOptions{ID: id}); err != nil {
			t.Fatalf("CreateSession(%q): %v", id, err)
		}
	}
	wantKind(t, c.CreateSession(ctx, client.SessionOptions{ID: a}), client.ErrConflict, "duplicate session")
	all, err := c.ListSessions(ctx)
	list := ours(all, p)
	if err != nil || len(list) != 2 || list[0].ID != a || list[1].ID != b {
		t.Fatalf("ListSessions = %+v, %v; want %s, %s", list, err, a, b)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].ID >= all[i].ID {
			t.Errorf("ListSessions not ordered by id: %q before %q", all[i-1].ID, all[i].ID)
		}
	}
	r := run(t, c, a, "echo one")
	info, err := c.GetSession(ctx, a)
	if err != nil || len(info.Commands) != 1 || info.Commands[0].ID != r.CmdID || info.Commands[0].Command != "echo one" ||
		info.Commands[0].ExitCode == nil || *info.Commands[0].ExitCode != 0 {
		t.Errorf("GetSession = %+v, %v", info, err)
	}
	ci, err := c.GetCommand(ctx, a, r.CmdID)
	if err != nil || !ci.Done() || *ci.ExitCode != 0 {
		t.Errorf("GetCommand = %+v, %v", ci, err)
	}
	if err := c.DeleteSession(ctx, a); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	_, err = c.GetSession(ctx, a)
	wantKind(t, err, client.ErrNotFound, "GetSession after delete")
	wantKind(t, c.DeleteSession(ctx, a), client.ErrNotFound, "second DeleteSession")
	_, err = c.GetCommand(ctx, a, r.CmdID)
	wantKind(t, err, client.ErrNotFound, "GetCommand after delete")
	if err := c.CreateSession(ctx, client.SessionOptions{ID: a}); err != nil {
		t.Errorf("re-creating a deleted session id: %v", err)
	}
	all, _ = c.ListSessions(ctx)
	if list := ours(all, p); len(list) != 2 {
		t.Errorf("ListSessions after re-create: %+v", list)
	}
}

func sessIDs(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	for _, id := range []string{"", "entrypoint", "a/b", "..", "x..y", "../etc"} {
		wantKind(t, c.CreateSession(ctx, client.SessionOptions{ID: id}), client.ErrInvalidArgument, fmt.Sprintf("CreateSession(%q)", id))
	}
	sid := mkSession(t, c, client.SessionOptions{})
	_, err := c.ExecSession(ctx, "nope", client.SessionExecRequest{Command: "true"})
	wantKind(t, err, client.ErrNotFound, "ExecSession on an unknown session")
	_, err = c.ExecSession(ctx, sid, client.SessionExecRequest{Command: "  \n"})
	wantKind(t, err, client.ErrInvalidArgument, "ExecSession with a blank command")
	_, err = c.GetSession(ctx, "nope")
	wantKind(t, err, client.ErrNotFound, "GetSession unknown")
	wantKind(t, c.DeleteSession(ctx, "nope"), client.ErrNotFound, "DeleteSession unknown")
	_, err = c.GetCommand(ctx, sid, "nope")
	wantKind(t, err, client.ErrNotFound, "GetCommand unknown")
	_, err = c.WaitCommand(ctx, sid, "nope")
	wantKind(t, err, client.ErrNotFound, "WaitCommand unknown")
	_, err = c.GetCommandLogs(ctx, sid, "nope")
	wantKind(t, err, client.ErrNotFound, "GetCommandLogs unknown")
	_, err = c.StreamCommandLogs(ctx, sid, "nope", client.LogOptions{})
	wantKind(t, err, client.ErrNotFound, "StreamCommandLogs unknown")
	wantKind(t, c.SendInput(ctx, sid, "nope", []byte("x")), client.ErrNotFound, "SendInput unknown")
	wantKind(t, c.CloseInput(ctx, sid, "nope"), client.ErrNotFound, "CloseInput unknown")
	wantKind(t, c.KillCommand(ctx, sid, "nope", syscall.SIGTERM), client.ErrNotFound, "KillCommand unknown")
	_, err = c.GetCommand(ctx, "nope", "nope")
	wantKind(t, err, client.ErrNotFound, "GetCommand in unknown session")
}

func sessState(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	want(t, c, sid, "cd /tmp && export ZZ=42; y=local; f() { echo fn:$1; }; set -o pipefail", 0, "")
	want(t, c, sid, "pwd; echo $ZZ $y; f a; false | true; echo $?", 0, "/tmp\n42 local\nfn:a\n1\n")
	want(t, c, sid, "cat <<EOF\nhello $ZZ\nEOF", 0, "hello 42\n")
	want(t, c, sid, "sh -c 'echo $ZZ'", 0, "42\n")
}

func sessExit(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	want(t, c, sid, "cd /tmp; export A=1; f(){ echo fn; }", 0, "")
	want(t, c, sid, "set -o pipefail -o noclobber; shopt -s expand_aliases; alias al='echo aliased'; plain=p", 0, "")
	r := run(t, c, sid, "echo bye; exit 3")
	if *r.ExitCode != 3 || r.Stdout != "bye\n" {
		t.Errorf("exit 3: got %d %s", *r.ExitCode, q(r.Stdout))
	}
	want(t, c, sid, "pwd; echo $A; f", 0, "/tmp\n1\nfn\n")
	want(t, c, sid, "al; echo $plain; false | true; echo $?", 0, "aliased\np\n1\n")
	r = run(t, c, sid, "set -e; false; echo not-reached")
	if *r.ExitCode != 1 || r.Stdout != "" {
		t.Errorf("set -e; false: got %d %s", *r.ExitCode, q(r.Stdout))
	}
	want(t, c, sid, "set +e; pwd; echo $A; f", 0, "/tmp\n1\nfn\n")
	// A second exit: the state file is rewritten even under noclobber.
	want(t, c, sid, "export A=2; exit 5", 5, "")
	want(t, c, sid, "echo $A", 0, "2\n")
	// Syntax errors and redirections of the shell's own fds stay within
	// the command.
	r = run(t, c, sid, "echo 'unterminated")
	if *r.ExitCode == 0 || r.Stderr == "" {
		t.Errorf("syntax error: exit %d stderr %s", *r.ExitCode, q(r.Stderr))
	}
	want(t, c, sid, "exec >/dev/null 2>&1 3>&- 9>&-; echo gone", 0, "")
	want(t, c, sid, "echo $A; echo e >&2", 0, "2\n")
	// An async command that exits the shell still reports its code.
	a, err := c.ExecSession(ctxFor(t, 30*time.Second), sid, client.SessionExecRequest{Command: "exit 7", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := c.WaitCommand(ctxFor(t, 30*time.Second), sid, a.CmdID)
	if err != nil || ci.ExitCode == nil || *ci.ExitCode != 7 {
		t.Errorf("async exit 7: %+v, %v", ci, err)
	}
	want(t, c, sid, "echo $A", 0, "2\n")
}

func sessCwdEnv(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{Cwd: "/tmp", Env: map[string]string{"SESS_V": "v w"}})
	want(t, c, sid, `pwd; echo "$SESS_V"`, 0, "/tmp\nv w\n")
	err := c.CreateSession(ctxFor(t, 30*time.Second), client.SessionOptions{ID: "bad-env-" + marker(0), Env: map[string]string{"1X": "y"}})
	wantKind(t, err, client.ErrInvalidArgument, "session env key")
}

func sessOrder(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	sid := mkSession(t, c, client.SessionOptions{})
	f := "/tmp/procsh-ct-order-" + marker(0)
	t.Cleanup(func() { _, _ = c.Exec(context.Background(), client.ExecRequest{Command: "rm -f " + f}) })
	var ids []string
	for i := 1; i <= 3; i++ {
		r, err := c.ExecSession(ctx, sid, client.SessionExecRequest{Command: fmt.Sprintf("sleep 0.0%d; echo %d >> %s", 4-i, i, f), Async: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.CmdID)
	}
	want(t, c, sid, "cat "+f, 0, "1\n2\n3\n")
	info, err := c.GetSession(ctx, sid)
	if err != nil || len(info.Commands) != 4 {
		t.Fatalf("GetSession: %+v %v", info, err)
	}
	for i, id := range ids {
		if info.Commands[i].ID != id || !info.Commands[i].Done() {
			t.Errorf("command %d: %+v", i, info.Commands[i])
		}
	}
}

func sessAsync(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	sid := mkSession(t, c, client.SessionOptions{})
	m := marker(30)
	r, err := c.ExecSession(ctx, sid, client.SessionExecRequest{Command: "echo started; sleep " + m, Async: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.CmdID == "" || r.ExitCode != nil {
		t.Fatalf("async result %+v", r)
	}
	ci, err := c.GetCommand(ctx, sid, r.CmdID)
	if err != nil || ci.Done() {
		t.Errorf("GetCommand right after async start: %+v %v", ci, err)
	}
	waitFor(t, 10*time.Second, "the async command's output", func() bool {
		l, err := c.GetCommandLogs(ctx, sid, r.CmdID)
		return err == nil && l.Stdout == "started\n"
	})
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = c.WaitCommand(wctx, sid, r.CmdID)
	cancel()
	if err == nil {
		t.Errorf("WaitCommand on a running command returned before its context ended")
	}
	if err := c.KillCommand(ctx, sid, r.CmdID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ci, err = c.WaitCommand(ctx, sid, r.CmdID)
	if err != nil || !ci.Done() || *ci.ExitCode == 0 {
		t.Errorf("WaitCommand after kill: %+v %v", ci, err)
	}
	noProcs(t, m)
}

func sessLogs(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	sid := mkSession(t, c, client.SessionOptions{})
	// Writes to different streams are ordered only when they are not too
	// close together (two pipes); the sleeps make the order defined.
	r := run(t, c, sid, `printf 'a\000b\377\n'; sleep 0.05; printf '\001\001\001x' >&2; sleep 0.05; printf 'nonl'`)
	if r.Stdout != "a\x00b\xff\nnonl" || r.Stderr != "\x01\x01\x01x" || r.Output != "a\x00b\xff\n\x01\x01\x01xnonl" {
		t.Errorf("binary: stdout %s stderr %s output %s", q(r.Stdout), q(r.Stderr), q(r.Output))
	}
	r2 := run(t, c, sid, "echo 1; sleep 0.2; echo 2 >&2; sleep 0.2; echo 3; sleep 0.2; echo 4 >&2")
	if r2.Output != "1\n2\n3\n4\n" || r2.Stdout != "1\n3\n" || r2.Stderr != "2\n4\n" {
		t.Errorf("order: output %s stdout %s stderr %s", q(r2.Output), q(r2.Stdout), q(r2.Stderr))
	}
	for i := 0; i < 3; i++ {
		run(t, c, sid, "echo later")
	}
	l, err := c.GetCommandLogs(ctx, sid, r.CmdID)
	if err != nil || l.Output != r.Output || l.Stdout != r.Stdout || l.Stderr != r.Stderr {
		t.Errorf("logs of an earlier command: %+v %v", l, err)
	}
}

// collect reads a stream to its end, checking offsets are contiguous.
func collect(t *testing.T, s client.LogStream, from int64) (all, out, errb string, err error) {
	t.Helper()
	defer s.Close()
	var a, o, e strings.Builder
	next := from
	for {
		ch, rerr := s.Recv()
		if rerr != nil {
			if rerr == io.EOF {
				rerr = nil
			}
			return a.String(), o.String(), e.String(), rerr
		}
		if ch.Offset != next {
			t.Errorf("chunk offset %d, want %d", ch.Offset, next)
		}
		next = ch.Offset + int64(len(ch.Data))
		a.Write(ch.Data)
		if ch.Stream == client.Stdout {
			o.Write(ch.Data)
		} else {
			e.Write(ch.Data)
		}
	}
}

func sessStream(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 60*time.Second)
	sid := mkSession(t, c, client.SessionOptions{})
	const n = 3000
	cmd := fmt.Sprintf(`for i in $(seq 1 %d); do echo line$i; done; sleep 0.05; echo err >&2; sleep 0.05; printf tail-without-newline`, n)
	want := seqWith("line", n) + "err\n" + "tail-without-newline"
	r, err := c.ExecSession(ctx, sid, client.SessionExecRequest{Command: cmd, Async: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.StreamCommandLogs(ctx, sid, r.CmdID, client.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	all, out, errb, err := collect(t, s, 0)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	if all != want || errb != "err\n" || out != seqWith("line", n)+"tail-without-newline" {
		t.Errorf("early follower got %d bytes (want %d), ends %s", len(all), len(want), q(all[max(0, len(all)-40):]))
	}
	ci, err := c.GetCommand(ctx, sid, r.CmdID)
	if err != nil || !ci.Done() {
		t.Errorf("stream ended before the command: %+v %v", ci, err)
	}
	// A late reader gets everything from the start.
	s, _ = c.StreamCommandLogs(ctx, sid, r.CmdID, client.LogOptions{Follow: true})
	if all, _, _, err := collect(t, s, 0); err != nil || all != want {
		t.Errorf("late follower: %d bytes, %v", len(all), err)
	}
	// A reader that passes an offset gets the rest, without duplicates.
	off := int64(len(want) / 3)
	s, _ = c.StreamCommandLogs(ctx, sid, r.CmdID, client.LogOptions{Follow: true, Offset: off})
	if all, _, _, err := collect(t, s, off); err != nil || all != want[off:] {
		t.Errorf("offset reader: %d bytes (want %d), %v", len(all), len(want)-int(off), err)
	}
	_, err = c.StreamCommandLogs(ctx, sid, r.CmdID, client.LogOptions{Offset: -1})
	wantKind(t, err, client.ErrInvalidArgument, "negative offset")

	// Non-follow on a running command: what is there now, then EOF.
	m := marker(30)
	r2, err := c.ExecSession(ctx, sid, client.SessionExecRequest{Command: "echo first; sleep " + m, Async: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "first output", func() bool {
		l, _ := c.GetCommandLogs(ctx, sid, r2.CmdID)
		return l != nil && l.Output == "first\n"
	})
	s, _ = c.StreamCommandLogs(ctx, sid, r2.CmdID, client.LogOptions{})
	if all, _, _, err := collect(t, s, 0); err != nil || all != "first\n" {
		t.Errorf("non-follow snapshot: %s %v", q(all), err)
	}
	// A follower of a running command ends with its context.
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	s, _ = c.StreamCommandLogs(sctx, sid, r2.CmdID, client.LogOptions{Follow: true})
	_, _, _, err = collect(t, s, 0)
	cancel()
	if err == nil {
		t.Errorf("follower of a running command ended without error when its context expired")
	}
	// Concurrent followers each get every byte once; delivery ends when
	// the command is killed.
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		s, err := c.StreamCommandLogs(ctx, sid, r2.CmdID, client.LogOptions{Follow: true})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// stderr may carry the shell's "Killed" notice.
			_, out, _, err := collect(t, s, 0)
			if err != nil || out != "first\n" {
				t.Errorf("follower: %s %v", q(out), err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	if err := c.KillCommand(ctx, sid, r2.CmdID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}

func sessStdin(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	sid := mkSession(t, c, client.SessionOptions{})
	async := func(cmd string) string {
		r, err := c.ExecSession(ctx, sid, client.SessionExecRequest{Command: cmd, Async: true})
		if err != nil {
			t.Fatal(err)
		}
		return r.CmdID
	}
	done := func(id string) (int, string) {
		ci, err := c.WaitCommand(ctx, sid, id)
		if err != nil {
			t.Fatalf("WaitCommand: %v", err)
		}
		l, _ := c.GetCommandLogs(ctx, sid, id)
		return *ci.ExitCode, l.Output
	}
	// Input is delivered exactly as given, and close gives EOF.
	id := async("cat; echo '<eof>'")
	for _, p := range []string{"ab", "c\x00d", "\n"} {
		if err := c.SendInput(ctx, sid, id, []byte(p)); err != nil {
			t.Fatalf("SendInput: %v", err)
		}
	}
	if err := c.CloseInput(ctx, sid, id); err != nil {
		t.Fatalf("CloseInput: %v", err)
	}
	if code, out := done(id); code != 0 || out != "abc\x00d\n<eof>\n" {
		t.Errorf("cat: %d %s", code, q(out))
	}
	wantKind(t, c.SendInput(ctx, sid, id, []byte("x")), client.ErrClosed, "SendInput to a finished command")
	wantKind(t, c.CloseInput(ctx, sid, id), client.ErrClosed, "CloseInput of a finished command")

	// No newline is added: head -c 3 completes with exactly "abc".
	id = async("head -c 3")
	if err := c.SendInput(ctx, sid, id, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if code, out := done(id); code != 0 || out != "abc" {
		t.Errorf("head -c 3: %d %s", code, q(out))
	}
	// read without a newline sees the data once stdin closes.
	id = async(`read -r x; echo "[$x] $?"`)
	_ = c.SendInput(ctx, sid, id, []byte("partial"))
	_ = c.CloseInput(ctx, sid, id)
	if _, out := done(id); out != "[partial] 1\n" {
		t.Errorf("read at EOF: %s", q(out))
	}
	wantKind(t, c.SendInput(ctx, sid, id, nil), client.ErrInvalidArgument, "SendInput with no data")
	// Input sent to a command still waiting in the queue is kept.
	blocker := async("sleep 0.2")
	id = async("cat")
	_ = c.SendInput(ctx, sid, id, []byte("queued"))
	_ = c.CloseInput(ctx, sid, id)
	if _, out := done(id); out != "queued" {
		t.Errorf("input to a queued command: %s", q(out))
	}
	done(blocker)
	// A sync command's stdin is closed.
	want(t, c, sid, "cat; echo end", 0, "end\n")
}

func sessKill(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	sid := mkSession(t, c, client.SessionOptions{})
	want(t, c, sid, "export KEEP=yes; cd /tmp", 0, "")
	m1, m2 := marker(30), marker(30)
	r, err := c.ExecSession(ctx, sid, client.SessionExecRequest{Command: "sleep " + m1 + " & sleep " + m2 + "; echo after", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the command's processes", func() bool { return len(procsWith(m2)) > 0 })
	if err := c.KillCommand(ctx, sid, r.CmdID, syscall.SIGTERM); err != nil {
		t.Fatalf("KillCommand: %v", err)
	}
	ci, err := c.WaitCommand(ctx, sid, r.CmdID)
	if err != nil || !ci.Done() {
		t.Fatalf("WaitCommand: %+v %v", ci, err)
	}
	noProcs(t, m1)
	noProcs(t, m2)
	want(t, c, sid, "echo $KEEP; pwd", 0, "yes\n/tmp\n")
	wantKind(t, c.KillCommand(ctx, sid, r.CmdID, syscall.SIGTERM), client.ErrClosed, "KillCommand of a finished command")

	// A command made only of shell builtins.
	r, err = c.ExecSession(ctx, sid, client.SessionExecRequest{Command: "while :; do :; done", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if err := c.KillCommand(ctx, sid, r.CmdID, syscall.SIGTERM); err != nil {
		t.Fatalf("KillCommand builtin loop: %v", err)
	}
	if ci, err := c.WaitCommand(ctx, sid, r.CmdID); err != nil || *ci.ExitCode == 0 {
		t.Errorf("builtin loop after kill: %+v %v", ci, err)
	}
	want(t, c, sid, "echo $KEEP; pwd", 0, "yes\n/tmp\n")
}

func sessDelete(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	sid := mkSession(t, c, client.SessionOptions{})
	m1, m2, m3, m4 := marker(30), marker(30), marker(30), marker(30)
	run(t, c, sid, "sleep "+m1+" &")
	run(t, c, sid, "setsid sleep "+m2+" >/dev/null 2>&1 &")
	run(t, c, sid, "nohup sh -c 'trap \"\" TERM HUP; sleep "+m3+"' >/dev/null 2>&1 &")
	run(t, c, sid, "sleep "+m4+" & exit 0") // its shell exits; the job must still be found
	if _, err := c.ExecSession(ctx, sid, client.SessionExecRequest{Command: "sleep 30", Async: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "background jobs", func() bool {
		return len(procsWith(m1))+len(procsWith(m2))+len(procsWith(m3))+len(procsWith(m4)) == 4
	})
	if err := c.DeleteSession(ctx, sid); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	for _, m := range []string{m1, m2, m3, m4} {
		noProcs(t, m)
	}
}

func sessDeleteWaiters(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	sid := mkSession(t, c, client.SessionOptions{})
	errs := make(chan error, 2)
	go func() {
		_, err := c.ExecSession(ctx, sid, client.SessionExecRequest{Command: "sleep 30"})
		errs <- err
	}()
	waitFor(t, 10*time.Second, "the sync command to be recorded", func() bool {
		info, err := c.GetSession(ctx, sid)
		return err == nil && len(info.Commands) == 1
	})
	info, _ := c.GetSession(ctx, sid)
	go func() {
		_, err := c.WaitCommand(ctx, sid, info.Commands[0].ID)
		errs <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := c.DeleteSession(ctx, sid); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		select {
		case err := <-errs:
			wantKind(t, err, client.ErrClosed, "waiter of a deleted session")
		case <-time.After(10 * time.Second):
			t.Fatal("waiter not released by DeleteSession")
		}
	}
}

func sessCancel(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	want(t, c, sid, "export KEEP=1", 0, "")
	m := marker(30)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.ExecSession(ctx, sid, client.SessionExecRequest{Command: "sleep " + m})
	if err == nil || !(errors.Is(err, context.DeadlineExceeded) || errors.Is(err, client.ErrTimeout)) {
		t.Errorf("ExecSession with an expiring context: %v", err)
	}
	noProcs(t, m)
	want(t, c, sid, "echo $KEEP", 0, "1\n")
}

func sessBackground(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	m := marker(30)
	start := time.Now()
	r := run(t, c, sid, "sleep "+m+" & echo hi")
	if r.Stdout != "hi\n" || time.Since(start) > 5*time.Second {
		t.Errorf("got %s after %v", q(r.Stdout), time.Since(start))
	}
	want(t, c, sid, "echo next", 0, "next\n")
	// A background job that never stops writing does not hold the
	// command open either. (It writes a line a millisecond: a writer at
	// full speed would fill the result's MaxOutput before the last line.)
	m2 := marker(0)
	t.Cleanup(func() { killProcs(m2) })
	done := make(chan *client.SessionExecResult)
	go func() {
		r, _ := c.ExecSession(ctxFor(t, 30*time.Second), sid, client.SessionExecRequest{
			Command: "yes " + m2 + " | while read -r l; do printf '%s\\n' \"$l\"; sleep 0.001; done & sleep 0.1; echo hi >&2"})
		done <- r
	}()
	select {
	case r := <-done:
		if r == nil || r.Stderr != "hi\n" {
			t.Errorf("endless writer: %+v", r)
		}
	case <-time.After(10 * time.Second):
		killProcs(m2)
		t.Fatal("session command held open by an endless background writer")
	}
	killProcs(m2)
	want(t, c, sid, "echo next", 0, "next\n")
}

// sessBackgroundWrites: a background job that goes on writing to its
// inherited stdout and stderr after its command ended keeps running (it
// must not die of SIGPIPE at its first line: `./server &` that logs), and
// what it writes lands in that command's log, as with the reference daemon.
func sessBackgroundWrites(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	r := run(t, c, sid, "(for i in 1 2 3; do sleep 0.1; echo late$i; done; echo lateerr >&2) & echo fg")
	if r.Stdout != "fg\n" {
		t.Fatalf("the command's own output: %s", q(r.Stdout))
	}
	const wantOut, wantErr = "fg\nlate1\nlate2\nlate3\n", "lateerr\n"
	var l *client.Logs
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var err error
		l, err = c.GetCommandLogs(ctxFor(t, 10*time.Second), sid, r.CmdID)
		if err != nil {
			t.Fatalf("logs: %v", err)
		}
		if l.Stdout == wantOut && l.Stderr == wantErr {
			break
		}
	}
	if l.Stdout != wantOut || l.Stderr != wantErr {
		t.Errorf("the background job's output after its command ended: stdout %s stderr %s, want %s and %s (did it die of SIGPIPE?)", q(l.Stdout), q(l.Stderr), q(wantOut), q(wantErr))
	}
	want(t, c, sid, "echo next", 0, "next\n")
}

func sessClose(t *testing.T, nb NewFunc) {
	// What Close does to the sessions themselves differs (the local backend
	// ends them, a remote client only lets go of them); after Close, every
	// call fails with ErrClosed.
	c := nb(t)
	ctx := ctxFor(t, 30*time.Second)
	id := "closing-" + marker(0)[2:]
	if err := c.CreateSession(ctx, client.SessionOptions{ID: id}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantKind(t, c.CreateSession(ctx, client.SessionOptions{ID: "x"}), client.ErrClosed, "CreateSession after Close")
	_, err := c.Exec(ctx, client.ExecRequest{Command: "true"})
	wantKind(t, err, client.ErrClosed, "Exec after Close")
	_, err = c.ListSessions(ctx)
	wantKind(t, err, client.ErrClosed, "ListSessions after Close")
	_, err = c.ExecSession(ctx, id, client.SessionExecRequest{Command: "true"})
	wantKind(t, err, client.ErrClosed, "ExecSession after Close")
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	d := nb(t)
	_ = d.DeleteSession(ctx, id)
	_ = d.Close()
}

func sessConcurrent(t *testing.T, nb NewFunc, n int) {
	c := open(t, nb)
	prefix := "conc-" + marker(0)[2:] + "-"
	ctx := ctxFor(t, 120*time.Second)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("%s%d", prefix, i)
			if err := c.CreateSession(ctx, client.SessionOptions{ID: id}); err != nil {
				t.Errorf("CreateSession %d: %v", i, err)
				return
			}
			r, err := c.ExecSession(ctx, id, client.SessionExecRequest{Command: fmt.Sprintf("x=%d; echo $x; echo e$x >&2", i)})
			if err != nil || r.Stdout != fmt.Sprintf("%d\n", i) || r.Stderr != fmt.Sprintf("e%d\n", i) {
				t.Errorf("session %d: %+v %v", i, r, err)
			}
			if _, err := c.GetSession(ctx, id); err != nil {
				t.Errorf("GetSession %d: %v", i, err)
			}
			if err := c.DeleteSession(ctx, id); err != nil {
				t.Errorf("DeleteSession %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	list, err := c.ListSessions(ctx)
	if list = ours(list, prefix); err != nil || len(list) != 0 {
		t.Errorf("sessions left: %d %v", len(list), err)
	}
}
