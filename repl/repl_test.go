package repl

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
)

// scriptedReader plays the part of readline: it hands out the given lines
// (or errInterrupt/errEOF for the entries "^C"/"^D") and records prompts,
// history and output.
type scriptedReader struct {
	mu      sync.Mutex
	lines   []string
	prompt  string
	prompts []string
	history []string
	outMu   sync.Mutex // guards stdout and stderr, which the host writes too
	stdout  bytes.Buffer
	stderr  bytes.Buffer
	// onRead, when set, runs after the line with that index was handed out.
	onRead map[int]func()
	n      int
}

func (r *scriptedReader) Readline() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prompts = append(r.prompts, r.prompt)
	if len(r.lines) == 0 {
		return "", errEOF
	}
	line := r.lines[0]
	r.lines = r.lines[1:]
	if fn := r.onRead[r.n]; fn != nil {
		go fn()
	}
	r.n++
	switch line {
	case "^C":
		return "", errInterrupt
	case "^D":
		return "", errEOF
	}
	return line, nil
}

func (r *scriptedReader) SetPrompt(p string) { r.prompt = p }
func (r *scriptedReader) SaveHistory(s string) error {
	r.history = append(r.history, s)
	return nil
}
func (r *scriptedReader) Stdout() io.Writer { return &lockedWriter{&r.outMu, &r.stdout} }
func (r *scriptedReader) Stderr() io.Writer { return &lockedWriter{&r.outMu, &r.stderr} }

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func newTestHost(t *testing.T, out io.Writer) *luabind.Host {
	t.Helper()
	backend, err := local.New()
	if err != nil {
		t.Fatal(err)
	}
	h, err := luabind.New(backend, luabind.WithStdout(out), luabind.WithStderr(out))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = h.Close()
		_ = backend.Close()
	})
	return h
}

func testConfig() Config {
	return Config{
		IsIncomplete: func(err error) bool { return errors.Is(err, luabind.ErrIncomplete) },
		IsExit: func(err error) bool {
			var e *luabind.ExitError
			return errors.As(err, &e)
		},
	}
}

func runScripted(t *testing.T, r *scriptedReader, interrupt chan os.Signal) (*scriptedReader, error) {
	t.Helper()
	h := newTestHost(t, r.Stdout())
	if interrupt == nil {
		interrupt = make(chan os.Signal, 1)
	}
	s := &session{ev: h, cfg: testConfig(), rl: r, comp: &completer{}, interrupt: interrupt}
	err := s.loop(context.Background())
	return r, err
}

func TestLoopLuaCSemantics(t *testing.T) {
	r, err := runScripted(t, &scriptedReader{lines: []string{
		"1 + 1",                 // expression printed
		"=6 * 7",                // '=' means return
		"x = 10",                // statement: nothing printed
		"x, x * 2, 'three'",     // several results, tab-separated
		"function add(a, b)",    // incomplete → secondary prompt
		"  return a + b",        //
		"end",                   //
		"add(x, 5)",             //
		"_ * 2",                 // _ is the last value
		"s = [[first",           // an unfinished long string
		"second]]",              //
		"#s",                    //
		"local t = {",           // dropped by Ctrl-C
		"^C",                    //
		"error('boom')",         // error printed, loop goes on
		"nosuch.field",          // runtime error
		"x = = 1",               // syntax error, not incomplete
		"{b = {1, 2}, a = 'x'}", // pretty-printed table
		"",                      // empty line: nothing
		"_PROMPT = 'lua> '",     // lua.c prompt globals
		"1",                     //
		"if true then",          // Ctrl-D on a continuation drops it
		"^D",                    //
		"print('still here')",   //
	}}, nil)
	if err != nil {
		t.Fatalf("loop: %v", err)
	}
	wantOut := "2\n42\n10\t20\t\"three\"\n15\n30\n12\n{ a = \"x\", b = { 1, 2 } }\n1\n\nstill here\n\n"
	if got := r.stdout.String(); got != wantOut {
		t.Errorf("stdout:\n%q\nwant\n%q", got, wantOut)
	}
	for _, want := range []string{"stdin:1: boom", "attempt to index global 'nosuch' (a nil value)", "syntax error near '='"} {
		if !strings.Contains(r.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr.String())
		}
	}
	// Prompts: secondary while a chunk is unfinished, _PROMPT once set.
	wantPrompts := []string{"> ", "> ", "> ", "> ", "> ", ">> ", ">> ", "> ", "> ", "> ", ">> ", "> ",
		"> ", ">> ", "> ", "> ", "> ", "> ", "> ", "> ", "lua> ", "lua> ", ">> ", "lua> ", "lua> "}
	if strings.Join(r.prompts, "|") != strings.Join(wantPrompts, "|") {
		t.Errorf("prompts:\n%q\nwant\n%q", r.prompts, wantPrompts)
	}
	// Multi-line input is saved as one history entry, with its newlines.
	if !contains(r.history, "function add(a, b)\n  return a + b\nend") || !contains(r.history, "s = [[first\nsecond]]") || !contains(r.history, "1 + 1") {
		t.Errorf("history: %q", r.history)
	}
	if contains(r.history, "local t = {") {
		t.Errorf("input dropped with Ctrl-C went to history: %q", r.history)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestLoopInterruptCancelsEvaluation(t *testing.T) {
	for _, busy := range []string{
		"process.sleep(30)",                       // blocked in a host call
		"process.exec('sleep 30')",                // waiting for a process
		"local n = 0 while true do n = n + 1 end", // running Lua code
	} {
		t.Run(busy, func(t *testing.T) {
			interrupt := make(chan os.Signal, 1)
			r := &scriptedReader{lines: []string{busy, "1 + 2"}}
			r.onRead = map[int]func(){0: func() {
				time.Sleep(200 * time.Millisecond)
				interrupt <- os.Interrupt
			}}
			start := time.Now()
			r, err := runScripted(t, r, interrupt)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("interrupt took %v", d)
			}
			if !strings.Contains(r.stderr.String(), "interrupted") {
				t.Errorf("stderr: %q", r.stderr.String())
			}
			if r.stdout.String() != "3\n\n" {
				t.Errorf("the REPL did not go on after the interrupt: %q", r.stdout.String())
			}
		})
	}
}

func TestLoopExit(t *testing.T) {
	_, err := runScripted(t, &scriptedReader{lines: []string{"os.exit(5)", "print('not reached')"}}, nil)
	var e *luabind.ExitError
	if !errors.As(err, &e) || e.Code != 5 {
		t.Fatalf("os.exit(5) ended the loop with %v", err)
	}
}

func TestLoopCompletionSnapshot(t *testing.T) {
	var printed bytes.Buffer
	h := newTestHost(t, &printed)
	comp := &completer{}
	s := &session{ev: h, cfg: testConfig(), rl: &scriptedReader{lines: []string{"my_table = {alpha = 1, beta = function() end}", "sess = process.session()"}},
		comp: comp, interrupt: make(chan os.Signal)}
	if err := s.loop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The snapshot taken after the evaluation knows the new global, its
	// fields and the process module.
	for line, want := range map[string]string{"my_ta": "my_table", "my_table.al": "alpha", "my_table:": "beta", "process.ex": "exec", "sess:st": "start", "sess:": "run"} {
		names, _ := comp.snap.Load().Complete(line)
		if !contains(names, want) {
			t.Errorf("Complete(%q) = %q, want %q among them", line, names, want)
		}
	}
}

func TestHistoryPath(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/state")
	if p, _ := HistoryPath(); p != "/state/procsh/history" {
		t.Errorf("with XDG_STATE_HOME: %s", p)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"", "relative/dir"} {
		t.Setenv("XDG_STATE_HOME", v)
		if p, _ := HistoryPath(); p != filepath.Join(home, ".local/state/procsh/history") {
			t.Errorf("XDG_STATE_HOME=%q: %s", v, p)
		}
	}
	p := filepath.Join(home, "a", "b", "history")
	if err := prepareHistory(p); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Dir(p)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("history dir: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("history file: %v %v", fi.Mode(), err)
	}
}

func TestSwitchWriter(t *testing.T) {
	var a, b bytes.Buffer
	w := NewSwitchWriter(&a)
	_, _ = w.Write([]byte("one "))
	if prev := w.Set(&b); prev != &a {
		t.Errorf("Set returned %v", prev)
	}
	_, _ = w.Write([]byte("two"))
	if a.String() != "one " || b.String() != "two" {
		t.Errorf("a=%q b=%q", a.String(), b.String())
	}
	w.Set(nil)
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("write without a target succeeded")
	}
}

func TestRunRequiresIsIncomplete(t *testing.T) {
	if err := Run(context.Background(), nil, Config{}); err == nil {
		t.Fatal("Run without IsIncomplete succeeded")
	}
}
