package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tmuxTerm is the procsh REPL in a tmux window: the test types into it
// (send-keys -l) and reads the screen as a user would see it
// (capture-pane), which a raw PTY transcript cannot show: what a redraw
// erased, and what shares a line with the prompt.
type tmuxTerm struct {
	t      *testing.T
	socket string
	mark   string
}

func startTmux(t *testing.T, home string) *tmuxTerm {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is required (tools/deps/tmux.sh installs it): %v", err)
	}
	// A socket of its own: the test never talks to another tmux server.
	sockDir, err := os.MkdirTemp("", "procsh-tmux")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(sockDir) })
	tt := &tmuxTerm{t: t, socket: filepath.Join(sockDir, "s"), mark: cliMarker(t)}
	env := []string{"PROCSH_CLI_MARK=" + tt.mark, "HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state"), "TERM=xterm"}
	cmd := "exec env"
	for _, kv := range env {
		cmd += " " + shellQuote(kv)
	}
	cmd += " " + shellQuote(cliBinary(t))
	tt.run("-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", cmd)
	t.Cleanup(func() {
		_ = exec.Command("tmux", "-S", tt.socket, "kill-server").Run()
		cliAssertNoLeftovers(t, tt.mark, -1)
	})
	return tt
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (tt *tmuxTerm) run(args ...string) string {
	tt.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tt.socket}, args...)...).CombinedOutput()
	if err != nil {
		tt.t.Fatalf("tmux %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen returns the visible lines, trailing blanks removed.
func (tt *tmuxTerm) screen() []string {
	out := tt.run("capture-pane", "-p")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return lines
}

// waitScreen waits until the screen satisfies ok.
func (tt *tmuxTerm) waitScreen(what string, ok func([]string) bool) []string {
	tt.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := tt.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tt.t.Fatalf("screen never showed %s:\n%s", what, strings.Join(s, "\n"))
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// waitLine waits for a screen line matching re.
func (tt *tmuxTerm) waitLine(re string) []string {
	tt.t.Helper()
	rx := regexp.MustCompile(re)
	return tt.waitScreen(fmt.Sprintf("a line matching %q", re), func(s []string) bool {
		for _, l := range s {
			if rx.MatchString(l) {
				return true
			}
		}
		return false
	})
}

// lastLine waits until the last non-empty line is want.
func (tt *tmuxTerm) lastLine(want string) []string {
	tt.t.Helper()
	return tt.waitScreen(fmt.Sprintf("%q as the last line", want), func(s []string) bool {
		return len(s) > 0 && s[len(s)-1] == want
	})
}

// waitGone waits until procsh has exited and with it the tmux session.
func (tt *tmuxTerm) waitGone() {
	tt.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for exec.Command("tmux", "-S", tt.socket, "has-session").Run() == nil {
		if time.Now().After(deadline) {
			tt.t.Fatal("procsh did not exit after Ctrl-D")
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func (tt *tmuxTerm) typeText(s string) { tt.run("send-keys", "-l", s) }
func (tt *tmuxTerm) key(k string)      { tt.run("send-keys", k) }

// A multi-line entry is one history entry with its newlines: recalled in a
// new session, a first line that ends in a comment still works.
func TestTmuxREPLMultiLineHistory(t *testing.T) {
	home := t.TempDir()
	tt := startTmux(t, home)
	tt.lastLine(">")
	tt.typeText("y = 1 + -- c")
	tt.key("Enter")
	tt.lastLine(">>")
	tt.typeText("2")
	tt.key("Enter")
	tt.lastLine(">")
	tt.typeText("=y")
	tt.key("Enter")
	tt.waitLine(`^3$`)
	tt.key("C-d")
	tt.waitGone()

	tt = startTmux(t, home)
	tt.lastLine(">")
	tt.typeText("y = nil")
	tt.key("Enter")
	tt.lastLine(">")
	// Up: "y = nil"; Up again: "=y"; Up again: the two-line entry.
	tt.key("Up")
	tt.key("Up")
	tt.key("Up")
	// One entry, edited as one row, its newline shown as ↵.
	tt.waitLine(`^> y = 1 \+ -- c↵2$`)
	tt.key("Enter")
	tt.lastLine(">")
	tt.typeText("=y * 10")
	tt.key("Enter")
	tt.waitLine(`^30$`)
	tt.key("C-d")
}

// Output a background task prints while the prompt is up never shares a
// line with the prompt, even without a newline, and is not erased by the
// next redraw; the half-typed input survives.
func TestTmuxREPLBackgroundOutput(t *testing.T) {
	tt := startTmux(t, t.TempDir())
	tt.lastLine(">")
	tt.typeText(`process.spawn(function() process.sleep(0.3) io.write("partial-out") process.sleep(0.3) io.write("line-a\nline-b") end)`)
	tt.key("Enter")
	tt.lastLine(">")
	tt.typeText("10 +")
	s := tt.waitLine(`^line-b$`)
	// Every piece of output is on a line of its own, the prompt last.
	joined := strings.Join(s, "\n")
	for _, want := range []string{"\npartial-out\nline-a\nline-b\n> 10 +"} {
		if !strings.Contains(joined, want) {
			t.Errorf("screen lacks %q:\n%s", want, joined)
		}
	}
	for _, l := range s {
		if strings.Contains(l, "partial-out") && l != "partial-out" && !strings.Contains(l, "process.spawn") {
			t.Errorf("output on the prompt line: %q", l)
		}
	}
	tt.typeText(" 5")
	tt.key("Enter")
	tt.waitLine(`^15$`)
	// Foreground output without a newline: the next prompt starts a line.
	tt.typeText(`io.write("no-newline")`)
	tt.key("Enter")
	tt.waitLine(`no-newline$`)
	s = tt.lastLine(">")
	if !contains(s, "no-newline") {
		t.Errorf("foreground output not on a line of its own:\n%s", strings.Join(s, "\n"))
	}
	tt.key("C-d")
}

// string.<Tab> offers the string functions, not the table's own __index.
func TestTmuxREPLStringCompletion(t *testing.T) {
	tt := startTmux(t, t.TempDir())
	tt.lastLine(">")
	tt.typeText("string.")
	tt.key("Tab")
	tt.key("Tab")
	s := tt.waitLine(`\bformat\b`)
	if strings.Contains(strings.Join(s, "\n"), "__index") {
		t.Errorf("completion offers __index:\n%s", strings.Join(s, "\n"))
	}
	tt.key("C-c")
	tt.key("C-d")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// help(x) prints the doc of a procsh function, method or module.
func TestTmuxREPLHelp(t *testing.T) {
	tt := startTmux(t, t.TempDir())
	tt.lastLine(">")
	tt.typeText("help(process.exec)")
	tt.key("Enter")
	tt.waitLine(`^process\.exec\(cmd, \{cwd=, env=, .*\}\) → result$`)
	tt.waitLine(`^  Runs cmd `)
	tt.typeText(`s = process.session()`)
	tt.key("Enter")
	tt.typeText(`help(s)`)
	tt.key("Enter")
	tt.waitLine(`^session — A shell whose state persists`)
	tt.waitLine(`^  session:run\(cmd, \{`)
	tt.typeText(`help("json.decode")`)
	tt.key("Enter")
	tt.waitLine(`^json\.decode\(text\) → value$`)
	tt.key("C-d")
}
