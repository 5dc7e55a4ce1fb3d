package clienttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/expect"
)

// RunPTY runs the PTY part of the conformance suite (Run includes it).
func RunPTY(t *testing.T, newBackend NewFunc) { runPTY(t, newBackend) }

func runPTY(t *testing.T, newBackend NewFunc) {
	t.Run("DefaultShell", func(t *testing.T) { testPTYDefaultShell(t, newBackend) })
	t.Run("Command", func(t *testing.T) { testPTYCommand(t, newBackend) })
	t.Run("Resize", func(t *testing.T) { testPTYResize(t, newBackend) })
	t.Run("LazyStart", func(t *testing.T) { testPTYLazyStart(t, newBackend) })
	t.Run("ControlKeys", func(t *testing.T) { testPTYControlKeys(t, newBackend) })
	t.Run("SharedHandles", func(t *testing.T) { testPTYSharedHandles(t, newBackend) })
	t.Run("ConcurrentInput", func(t *testing.T) { testPTYConcurrentInput(t, newBackend) })
	t.Run("NoOutputLostAtExit", func(t *testing.T) { testPTYNoOutputLost(t, newBackend) })
	t.Run("ExitWithBackgroundChild", func(t *testing.T) { testPTYExitWithBackgroundChild(t, newBackend) })
	t.Run("ExitStatus", func(t *testing.T) { testPTYExitStatus(t, newBackend) })
	t.Run("ExitQueryable", func(t *testing.T) { testPTYExitQueryable(t, newBackend) })
	t.Run("Scrollback", func(t *testing.T) { testPTYScrollback(t, newBackend) })
	t.Run("ScrollbackTruncated", func(t *testing.T) { testPTYScrollbackTruncated(t, newBackend) })
	t.Run("SlowConsumer", func(t *testing.T) { testPTYSlowConsumer(t, newBackend) })
	t.Run("KillTree", func(t *testing.T) { testPTYKillTree(t, newBackend) })
	t.Run("BadInput", func(t *testing.T) { testPTYBadInput(t, newBackend) })
	t.Run("CloseBackend", func(t *testing.T) { testPTYCloseBackend(t, newBackend) })
}

// testPTYDefaultShell: the default program is the shell, interactive and
// login, with TERM defaulted, env merged over the host's, and the cwd set.
func testPTYDefaultShell(t *testing.T, newBackend NewFunc) {
	t.Setenv("PROCSH_PTY_HOST_VAR", "host-value")
	c := newPTYBackend(t, newBackend)
	dir := t.TempDir()
	id := ptyID("default")
	// Lazy, so the handle sees the shell's very first output.
	mustCreate(t, c, client.PTYOptions{ID: id, Cwd: dir, LazyStart: true,
		Env: map[string]string{"PROCSH_PTY_VAR": "pty value", "PROCSH_PTY_HOST_VAR": "overridden"}})
	sh := newShell(t, mustConnect(t, c, id, false))

	tests := []struct{ cmd, want string }{
		{`case $- in *i*) echo interactive;; *) echo not-interactive;; esac`, "interactive"},
		{`{ shopt -q login_shell || [[ -o login ]]; } 2>/dev/null && echo login || echo not-login`, "login"},
		{`echo "$TERM"`, "xterm-256color"},
		{`echo "$PROCSH_PTY_VAR"`, "pty value"},
		{`echo "$PROCSH_PTY_HOST_VAR"`, "overridden"},
		{`[ -n "$PATH" ] && echo has-path`, "has-path"},
		{`stty size`, "24 80"},
		{`[ -t 0 ] && [ -t 1 ] && echo tty`, "tty"},
	}
	for _, tc := range tests {
		if got := sh.run(tc.cmd); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.cmd, got, tc.want)
		}
	}
	wd := sh.run(`pwd -P`)
	if real, _ := filepath.EvalSymlinks(dir); wd != real {
		t.Errorf("pwd = %q, want %q", wd, real)
	}
	// Host variables the PTY did not override come through.
	if got := sh.run(`echo "${HOME:-unset}"`); got == "unset" && os.Getenv("HOME") != "" {
		t.Errorf("HOME not inherited from the host environment")
	}

	info, err := c.GetPTY(ptyCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != id || info.Cols != 80 || info.Rows != 24 || !info.Active || !info.LazyStart || info.Exited ||
		info.Env["TERM"] != "xterm-256color" || info.Env["PROCSH_PTY_VAR"] != "pty value" || info.Cwd != dir {
		t.Errorf("GetPTY = %+v", info)
	}
}

// testPTYCommand: a command replaces the shell; TERM and size are honoured.
func testPTYCommand(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	tests := []struct {
		name       string
		opts       client.PTYOptions
		wantOutput string
	}{
		{"defaults", client.PTYOptions{}, "xterm-256color|24 80|arg1"},
		{"term and size", client.PTYOptions{Env: map[string]string{"TERM": "vt100"}, Cols: 132, Rows: 40}, "vt100|40 132|arg1"},
		{"largest size", client.PTYOptions{Cols: 1000, Rows: 1000}, "xterm-256color|1000 1000|arg1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.ID, opts.LazyStart = ptyID("cmd"), true
			opts.Command = []string{"sh", "-c", `printf '%s|%s|%s\n' "$TERM" "$(stty size)" "$1"`, "sh", "arg1"}
			mustCreate(t, c, opts)
			h := mustConnect(t, c, opts.ID, false)
			out, err := readAll(t, h)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(out)); got != tc.wantOutput {
				t.Errorf("output %q, want %q", got, tc.wantOutput)
			}
			if r := mustWait(t, h); r.ExitCode != 0 || r.Reason != "" {
				t.Errorf("result %+v", r)
			}
		})
	}
}

// testPTYResize: resizing through the client and the handle reaches the tty.
func testPTYResize(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	id := ptyID("resize")
	mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true, Command: plainShell})
	h := mustConnect(t, c, id, false)
	sh := newShell(t, h)
	info, err := c.ResizePTY(ptyCtx(t), id, 100, 30)
	if err != nil {
		t.Fatal(err)
	}
	if info.Cols != 100 || info.Rows != 30 {
		t.Errorf("ResizePTY info %+v", info)
	}
	if got := sh.run("stty size"); got != "30 100" {
		t.Errorf("after ResizePTY: stty size = %q", got)
	}
	if err := h.Resize(ptyCtx(t), 90, 20); err != nil {
		t.Fatal(err)
	}
	if got := sh.run("stty size"); got != "20 90" {
		t.Errorf("after handle Resize: stty size = %q", got)
	}
	if info, err := c.GetPTY(ptyCtx(t), id); err != nil || info.Cols != 90 || info.Rows != 20 {
		t.Errorf("GetPTY after resize: %+v, %v", info, err)
	}
}

// testPTYLazyStart: a lazy PTY is listed inactive until the first connect.
func testPTYLazyStart(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	lazy, eager := ptyID("lazy"), ptyID("eager")
	mustCreate(t, c, client.PTYOptions{ID: lazy, LazyStart: true, Command: []string{"sh", "-c", "echo started; sleep 30"}})
	mustCreate(t, c, client.PTYOptions{ID: eager, Command: []string{"sleep", "30"}})
	list, err := c.ListPTYs(ptyCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	active := map[string]bool{}
	var ids []string
	for _, p := range list {
		active[p.ID] = p.Active
		ids = append(ids, p.ID)
	}
	if a, ok := active[lazy]; !ok || a {
		t.Errorf("lazy PTY listed as %v (present %v)", a, ok)
	}
	if !active[eager] {
		t.Errorf("eager PTY not active: %+v", list)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			t.Errorf("ListPTYs not ordered by id: %v", ids)
		}
	}
	h := mustConnect(t, c, lazy, false)
	sh := newShell(t, h)
	if _, err := sh.e.Expect(ptyCtx(t), expect.Literal("started")); err != nil {
		t.Fatal(err)
	}
	if info, err := c.GetPTY(ptyCtx(t), lazy); err != nil || !info.Active {
		t.Errorf("after connect: %+v, %v", info, err)
	}
}
