package tests

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// cliTerm is procsh running on a real PTY, with everything it prints
// collected so the test can wait for text with a deadline (a broken REPL
// fails the test instead of hanging it).
type cliTerm struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mark string

	mu     sync.Mutex
	out    []byte
	pos    int // expect searches the ANSI-stripped output from here
	closed bool
	notify chan struct{}
	exited chan struct{}
	err    error
}

// cliANSI matches what readline adds around the text: escape sequences,
// and the " \b" it writes to place the cursor.
var cliANSI = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]| \x08`)

func cliStartTerm(t *testing.T, args ...string) *cliTerm {
	t.Helper()
	return cliStartTermIn(t, t.TempDir(), args...)
}

// cliStartTermIn is cliStartTerm with a given home directory (and state
// directory under it), so that two sessions can share history.
func cliStartTermIn(t *testing.T, home string, args ...string) *cliTerm {
	t.Helper()
	mark := cliMarker(t)
	cmd := exec.Command(cliBinary(t), args...)
	cmd.Env = cliEnv("PROCSH_CLI_MARK="+mark, "HOME="+home, "XDG_STATE_HOME="+filepath.Join(home, "state"), "TERM=xterm")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	ct := &cliTerm{t: t, cmd: cmd, tty: tty, mark: mark, notify: make(chan struct{}, 1), exited: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			ct.mu.Lock()
			ct.out = append(ct.out, buf[:n]...)
			if err != nil {
				ct.closed = true
			}
			ct.mu.Unlock()
			select {
			case ct.notify <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		ct.err = cmd.Wait()
		close(ct.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-ct.exited:
		default:
			_ = cmd.Process.Kill()
			<-ct.exited
		}
		_ = tty.Close()
		if t.Failed() {
			t.Logf("terminal output:\n%s", ct.text())
		}
	})
	return ct
}

func (ct *cliTerm) text() string {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return cliANSI.ReplaceAllString(string(ct.out), "")
}

// expect waits until re matches the output after the previous match and
// returns the matched text.
func (ct *cliTerm) expect(re string, within time.Duration) string {
	ct.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		ct.mu.Lock()
		text := cliANSI.ReplaceAllString(string(ct.out), "")
		closed := ct.closed
		ct.mu.Unlock()
		if ct.pos > len(text) {
			ct.pos = len(text)
		}
		if loc := rx.FindStringIndex(text[ct.pos:]); loc != nil {
			m := text[ct.pos+loc[0] : ct.pos+loc[1]]
			ct.pos += loc[1]
			return m
		}
		if closed {
			ct.t.Fatalf("terminal closed while waiting for %q; output after last match:\n%q", re, text[ct.pos:])
		}
		select {
		case <-ct.notify:
		case <-deadline.C:
			ct.t.Fatalf("no %q within %v; output after last match:\n%q", re, within, text[ct.pos:])
		}
	}
}

func (ct *cliTerm) send(s string) {
	ct.t.Helper()
	if _, err := ct.tty.Write([]byte(s)); err != nil {
		ct.t.Fatal(err)
	}
}

// prompt waits for the primary prompt at the start of a line.
func (ct *cliTerm) prompt() {
	ct.t.Helper()
	// Nothing follows a fresh prompt until the test types, so anchoring at
	// the end skips prompts that readline redraws while echoing input.
	ct.expect(`(^|[\r\n])> $`, 10*time.Second)
}

// line types a line and waits for the REPL to print want on a line of its
// own, then for the next prompt.
func (ct *cliTerm) line(input, want string) {
	ct.t.Helper()
	ct.send(input + "\r")
	ct.expect(`\n\r?`+regexp.QuoteMeta(want)+`\r?\n`, 15*time.Second)
	ct.prompt()
}

func (ct *cliTerm) waitExit(within time.Duration) int {
	ct.t.Helper()
	select {
	case <-ct.exited:
	case <-time.After(within):
		ct.t.Fatalf("procsh did not exit within %v", within)
	}
	var exitErr *exec.ExitError
	if errors.As(ct.err, &exitErr) {
		return exitErr.ExitCode()
	}
	return 0
}

func TestCLIREPL(t *testing.T) {
	ct := cliStartTerm(t)
	ct.expect(`Lua REPL`, 20*time.Second)
	ct.prompt()

	// Expressions are printed; "=" works; statements run silently.
	ct.line("40 + 2", "42")
	ct.line("=7 * 11", "77")
	ct.line(`"a" .. "b"`, `"ab"`)
	ct.line(`{b = 2, a = 1, "x"}`, `{ "x", a = 1, b = 2 }`)
	ct.line("_.b * 100", "200")
	ct.send("local unused = 1\r")
	ct.prompt()

	// A multi-line function continues with the secondary prompt.
	ct.send("function add(a, b)\r")
	ct.expect(`(^|[\r\n])>> $`, 10*time.Second)
	ct.send("  return a + b\r")
	ct.expect(`(^|[\r\n])>> $`, 10*time.Second)
	ct.send("end\r")
	ct.prompt()
	ct.line("add(20, 22) * 10", "420")
	// An unfinished string too.
	ct.send("s = [[one\r")
	ct.expect(`(^|[\r\n])>> $`, 10*time.Second)
	ct.send("two]]\r")
	ct.prompt()
	ct.line("#s", "7")

	// Errors are shown and the REPL goes on.
	ct.send(`error("oops-123")` + "\r")
	ct.expect(`oops-123`, 10*time.Second)
	ct.prompt()
	ct.line("1 + 2", "3")

	// process.exec results are shown as their fields.
	ct.send(`process.exec("echo hi")` + "\r")
	ct.expect(`exit_code = 0`, 15*time.Second)
	ct.prompt()
	ct.line("_.stdout", `"hi\n"`)

	// Tab completion of a global and of a field after '.'.
	ct.send("my_unique_variable = 5\r")
	ct.prompt()
	ct.send("my_uniq\t")
	ct.expect(`ue_variable`, 10*time.Second)
	ct.send("\r")
	ct.expect(`\n\r?5\r?\n`, 10*time.Second)
	ct.prompt()
	ct.send("string.reve\t")
	ct.expect(`rse`, 10*time.Second)
	ct.send(`("abc")` + "\r")
	ct.expect(`"cba"`, 10*time.Second)
	ct.prompt()

	// Ctrl-C at the prompt clears the line.
	ct.send("this is not lua")
	ct.send("\x03")
	ct.expect(`\^C`, 5*time.Second)
	ct.line("2 * 3", "6")

	// Ctrl-C during a running command: the prompt is back within a second
	// and the command is gone.
	ct.send(`process.exec("sleep 30")` + "\r")
	cliWaitForProc(t, ct.mark, "sleep 30", ct.cmd.Process.Pid, 15*time.Second)
	start := time.Now()
	ct.send("\x03")
	ct.expect(`interrupted`, 5*time.Second)
	ct.prompt()
	if d := time.Since(start); d > time.Second {
		t.Errorf("prompt came back %v after Ctrl-C, want within 1s", d)
	}
	for pid, cmd := range cliProcsWithMarker(ct.mark, ct.cmd.Process.Pid) {
		if strings.Contains(cmd, "sleep") {
			t.Errorf("sleep survived Ctrl-C: pid %d %q", pid, cmd)
		}
	}
	ct.line("1 + 1", "2")

	// Ctrl-D exits with status 0.
	ct.send("\x04")
	if code := ct.waitExit(10 * time.Second); code != 0 {
		t.Errorf("exit status after Ctrl-D: %d", code)
	}
	cliAssertNoLeftovers(t, ct.mark, -1)

	// History was saved to the state directory.
	home := cliEnvValue(ct.cmd.Env, "XDG_STATE_HOME")
	hist, err := os.ReadFile(filepath.Join(home, "procsh", "history"))
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	// A multi-line entry is one line of the file, quoted with its newlines.
	for _, want := range []string{"40 + 2", "add(20, 22) * 10", `\"function add(a, b)\n  return a + b\nend"`} {
		if !strings.Contains(string(hist), want+"\n") {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
}

func TestCLIREPLBackgroundOutput(t *testing.T) {
	ct := cliStartTerm(t)
	ct.prompt()
	// A task that prints while the user sits at the prompt: the output
	// appears above the prompt, which is drawn again, and the half-typed
	// line survives.
	ct.send(`process.spawn(function() process.sleep(0.5) print("from-task") end)` + "\r")
	ct.prompt()
	ct.send("10 +")
	ct.expect(`from-task\r?\n`, 10*time.Second)
	ct.expect(`> 10 \+`, 5*time.Second)
	ct.send(" 5\r")
	ct.expect(`\n\r?15\r?\n`, 10*time.Second)
	ct.prompt()
	// os.exit leaves the REPL with that status.
	ct.send("os.exit(4)\r")
	if code := ct.waitExit(10 * time.Second); code != 4 {
		t.Errorf("exit status after os.exit(4): %d", code)
	}
	cliAssertNoLeftovers(t, ct.mark, -1)
}

func TestCLIREPLHistoryPersists(t *testing.T) {
	home := t.TempDir()
	ct := cliStartTermIn(t, home)
	ct.prompt()
	ct.line("10 * 3 + 1", "31")
	ct.send("\x04")
	if code := ct.waitExit(10 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	// A new session recalls the line with the Up arrow.
	ct = cliStartTermIn(t, home)
	ct.prompt()
	ct.send("\x1b[A")
	ct.expect(`10 \* 3 \+ 1`, 10*time.Second)
	ct.send("\r")
	ct.expect(`\n\r?31\r?\n`, 10*time.Second)
	ct.prompt()
	ct.send("\x04")
	ct.waitExit(10 * time.Second)
}

func cliEnvValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}
