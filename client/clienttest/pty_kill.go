package clienttest

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/expect"
)

func sleepBrief() { time.Sleep(5 * time.Millisecond) }

// testPTYKillTree: killing ends the whole tree, background jobs included,
// and the handles see exit 137 "SIGKILL"; the PTY is then gone.
func testPTYKillTree(t *testing.T, newBackend NewFunc) {
	tests := []struct {
		name string
		kill func(ctx context.Context, c client.Client, h client.PTYHandle) error
	}{
		{"KillPTY", func(ctx context.Context, c client.Client, h client.PTYHandle) error { return c.KillPTY(ctx, h.ID()) }},
		{"handle Kill", func(ctx context.Context, c client.Client, h client.PTYHandle) error { return h.Kill(ctx) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newPTYBackend(t, newBackend)
			id := ptyID("kill")
			mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true, Command: plainShell})
			h := mustConnect(t, c, id, false)
			other := mustConnect(t, c, id, false)
			sh := newShell(t, h)
			// A background job, a background subshell with its own child, a
			// job that left the session, and one that ignores SIGHUP/TERM.
			out := sh.run(`sleep 300 & echo "P=$!"; (sleep 301; true) & echo "P=$!"; ` +
				`setsid sh -c 'echo "S=$$"; exec sleep 302' & nohup sh -c 'trap "" TERM HUP; sleep 303' >/dev/null 2>&1 & echo "P=$!"`)
			var pids []int
			for _, m := range regexp.MustCompile(`P=(\d+)`).FindAllStringSubmatch(out, -1) {
				p, _ := strconv.Atoi(m[1])
				pids = append(pids, p)
			}
			if len(pids) != 3 {
				t.Fatalf("background pids from %q", out)
			}
			// setsid may fork, so the process reports its own pid.
			sm := regexp.MustCompile(`S=(\d+)`).FindStringSubmatch(out)
			if sm == nil {
				res, err := sh.e.Expect(ptyCtx(t), expect.Regexp(`S=(\d+)`))
				if err != nil {
					t.Fatal(err)
				}
				sm = []string{res.Match, res.Groups[0]}
			}
			p, _ := strconv.Atoi(sm[1])
			pids = append(pids, p)
			sleepBrief() // let the jobs exec their sleeps
			// Kill while a foreground command runs too.
			if err := sh.e.SendLine("sleep 304"); err != nil {
				t.Fatal(err)
			}
			for _, p := range pids {
				if !pidAlive(p) {
					t.Fatalf("background process %d not running before the kill", p)
				}
			}
			if err := tc.kill(ptyCtx(t), c, h); err != nil {
				t.Fatal(err)
			}
			for _, hh := range []client.PTYHandle{h, other} {
				if r := mustWait(t, hh); r.ExitCode != 137 || r.Reason != "SIGKILL" {
					t.Errorf("result %+v, want 137 SIGKILL", r)
				}
			}
			if _, err := readAll(t, other); err != nil {
				t.Errorf("read after kill: %v, want EOF", err)
			}
			waitGone(t, pids)
			if _, err := c.GetPTY(ptyCtx(t), id); !isKind(err, client.ErrNotFound) {
				t.Errorf("GetPTY after kill: %v, want ErrNotFound", err)
			}
			if err := c.KillPTY(ptyCtx(t), id); !isKind(err, client.ErrNotFound) {
				t.Errorf("second KillPTY: %v, want ErrNotFound", err)
			}
		})
	}
}

// testPTYBadInput: each bad request is a typed error and leaves nothing
// running.
func testPTYBadInput(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	marker := "PROCSH_PTY_BAD=" + ptyID("bad")
	tag := map[string]string{"PROCSH_PTY_BAD": marker[len("PROCSH_PTY_BAD="):]}
	live := ptyID("live")
	mustCreate(t, c, client.PTYOptions{ID: live, Env: tag, Command: []string{"sleep", "60"}})
	ended := ptyID("ended")
	mustCreate(t, c, client.PTYOptions{ID: ended, LazyStart: true, Command: []string{"true"}})
	eh := mustConnect(t, c, ended, false)
	mustWait(t, eh)
	lazyBadCwd := ptyID("lazybadcwd")
	mustCreate(t, c, client.PTYOptions{ID: lazyBadCwd, LazyStart: true, Cwd: "/nonexistent/procsh", Env: tag})
	unknown := ptyID("unknown")

	ctx := ptyCtx(t)
	tests := []struct {
		name string
		call func() error
		kind error
	}{
		{"get unknown", func() error { _, err := c.GetPTY(ctx, unknown); return err }, client.ErrNotFound},
		{"connect unknown", func() error { _, err := c.ConnectPTY(ctx, unknown, client.PTYConnectOptions{}); return err }, client.ErrNotFound},
		{"resize unknown", func() error { _, err := c.ResizePTY(ctx, unknown, 80, 24); return err }, client.ErrNotFound},
		{"kill unknown", func() error { return c.KillPTY(ctx, unknown) }, client.ErrNotFound},
		{"duplicate id", func() error {
			_, err := c.CreatePTY(ctx, client.PTYOptions{ID: live, Env: tag, Command: []string{"sleep", "61"}})
			return err
		}, client.ErrConflict},
		{"empty id", func() error { _, err := c.CreatePTY(ctx, client.PTYOptions{Env: tag}); return err }, client.ErrInvalidArgument},
		{"id with slash", func() error { _, err := c.CreatePTY(ctx, client.PTYOptions{ID: "a/b", Env: tag}); return err }, client.ErrInvalidArgument},
		{"cols 1001", func() error {
			_, err := c.CreatePTY(ctx, client.PTYOptions{ID: ptyID("big"), Cols: 1001, Env: tag})
			return err
		}, client.ErrInvalidArgument},
		{"rows 1001", func() error {
			_, err := c.CreatePTY(ctx, client.PTYOptions{ID: ptyID("big"), Rows: 1001, Env: tag})
			return err
		}, client.ErrInvalidArgument},
		{"resize cols 0", func() error { _, err := c.ResizePTY(ctx, live, 0, 24); return err }, client.ErrInvalidArgument},
		{"resize rows 0", func() error { _, err := c.ResizePTY(ctx, live, 80, 0); return err }, client.ErrInvalidArgument},
		{"resize cols 1001", func() error { _, err := c.ResizePTY(ctx, live, 1001, 24); return err }, client.ErrInvalidArgument},
		{"resize rows 1001", func() error { _, err := c.ResizePTY(ctx, live, 80, 1001); return err }, client.ErrInvalidArgument},
		{"handle resize 1001", func() error { return eh.Resize(ctx, 1001, 24) }, client.ErrInvalidArgument},
		{"input to ended PTY", func() error { _, err := eh.Write([]byte("x\n")); return err }, client.ErrClosed},
		{"bad cwd", func() error {
			_, err := c.CreatePTY(ctx, client.PTYOptions{ID: ptyID("badcwd"), Cwd: "/nonexistent/procsh", Env: tag})
			return err
		}, client.ErrInvalidArgument},
		{"missing program", func() error {
			_, err := c.CreatePTY(ctx, client.PTYOptions{ID: ptyID("noprog"), Command: []string{"/nonexistent/procsh-prog"}, Env: tag})
			return err
		}, client.ErrInvalidArgument},
		{"lazy bad cwd at connect", func() error { _, err := c.ConnectPTY(ctx, lazyBadCwd, client.PTYConnectOptions{}); return err }, client.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !isKind(err, tc.kind) {
				t.Fatalf("error %v (%T), want one matching %v", err, err, tc.kind)
			}
			if err.Error() == "" {
				t.Errorf("empty error message")
			}
		})
	}
	// Failed creates keep nothing; the live PTY is untouched by them.
	list, err := c.ListPTYs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		switch p.ID {
		case live:
			if !p.Active {
				t.Errorf("live PTY disturbed: %+v", p)
			}
		case ended:
		default:
			t.Errorf("unexpected PTY left behind: %+v", p)
		}
	}
	if pids := pidsWithEnv(marker); len(pids) != 1 {
		t.Errorf("want exactly the live PTY's process tagged, got %v", pids)
	}
	if err := c.KillPTY(ctx, live); err != nil {
		t.Fatal(err)
	}
	expectNoneTagged(t, marker)
}

// testPTYCloseBackend: closing the backend ends every PTY tree, and later
// calls fail with ErrClosed.
func testPTYCloseBackend(t *testing.T, newBackend NewFunc) {
	c := newBackend(t)
	marker := ptyID("close")
	env := map[string]string{"PROCSH_PTY_CLOSE": marker}
	var handles []client.PTYHandle
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("%s-%d", marker, i)
		mustCreate(t, c, client.PTYOptions{ID: id, Env: env, LazyStart: true,
			Command: []string{"sh", "-c", "sleep 300 & echo STARTED; wait"}})
		h := mustConnect(t, c, id, false)
		handles = append(handles, h)
		if _, err := newShell(t, h).e.Expect(ptyCtx(t), expectLit("STARTED")); err != nil {
			t.Fatal(err)
		}
	}
	mustCreate(t, c, client.PTYOptions{ID: marker + "-lazy", Env: env, LazyStart: true})
	if got := len(pidsWithEnv("PROCSH_PTY_CLOSE=" + marker)); got < 6 {
		t.Fatalf("want at least 6 tagged processes before Close, got %d", got)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	expectNoneTagged(t, "PROCSH_PTY_CLOSE="+marker)
	for _, h := range handles {
		if r, err := h.Wait(ptyCtx(t)); err != nil || r.ExitCode != 137 {
			t.Errorf("after Close: %+v, %v", r, err)
		}
	}
	if _, err := c.CreatePTY(ptyCtx(t), client.PTYOptions{ID: marker + "-after"}); !isKind(err, client.ErrClosed) {
		t.Errorf("CreatePTY after Close: %v, want ErrClosed", err)
	}
	if _, err := c.ListPTYs(ptyCtx(t)); !isKind(err, client.ErrClosed) {
		t.Errorf("ListPTYs after Close: %v, want ErrClosed", err)
	}
}
