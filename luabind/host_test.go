package luabind_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/internal/proctable"
	"github.com/procsh/procsh/luabind"
)

const markerVar = "PROCSH_LUABIND_TEST"

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newHost returns a host on a local backend whose processes carry a
// marker in their environment, and that marker.
func newHost(t *testing.T, opts ...luabind.Option) (*luabind.Host, client.Client, string, *syncBuf) {
	t.Helper()
	marker := strconv.FormatInt(time.Now().UnixNano(), 36)
	b, err := local.New(local.WithEnv(append(os.Environ(), markerVar+"="+marker)), local.WithKillGrace(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	out := &syncBuf{}
	h, err := luabind.New(b, append([]luabind.Option{luabind.WithStdout(out), luabind.WithStderr(out)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h, b, marker, out
}

// procsWithMarker counts the live processes whose environment has marker.
func procsWithMarker(marker string) int {
	pids, err := proctable.WithEnv(markerVar + "=" + marker)
	if err != nil {
		panic(err)
	}
	return len(pids)
}

func waitNoProcs(t *testing.T, marker string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); procsWithMarker(marker) > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d processes left", procsWithMarker(marker))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func evalOne(t *testing.T, h *luabind.Host, src string) lua.LValue {
	t.Helper()
	vals, err := h.Eval(context.Background(), src)
	if err != nil {
		t.Fatalf("Eval(%q): %v", src, err)
	}
	if len(vals) == 0 {
		return lua.LNil
	}
	return vals[0]
}

func TestNewNilBackend(t *testing.T) {
	if _, err := luabind.New(nil); !errors.Is(err, client.ErrInvalidArgument) {
		t.Fatalf("New(nil) = %v", err)
	}
	b, _ := local.New()
	defer b.Close()
	if _, err := luabind.New(b, luabind.WithProfile(luabind.Profile(7))); !errors.Is(err, client.ErrInvalidArgument) {
		t.Fatalf("unknown profile: %v", err)
	}
}

func TestEval(t *testing.T) {
	h, _, _, _ := newHost(t)
	for _, tc := range []struct{ src, want string }{
		{"1 + 1", "2"},
		{"=2 * 3", "6"},
		{"x = 5", "nil"},
		{"x", "5"},
		{"_ + 1", "6"},
		{"local y = 1; return y + x", "6"},
		{"process.exec('echo hi').stdout", "hi\n"},
	} {
		if got := evalOne(t, h, tc.src).String(); got != tc.want {
			t.Errorf("Eval(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
	vals, err := h.Eval(context.Background(), "1, 'two', nil")
	if err != nil || len(vals) != 3 || vals[1].String() != "two" {
		t.Errorf("multiple values = %v, %v", vals, err)
	}
	for _, src := range []string{"for i = 1, 2 do", "f(", "x = [[abc", "if x then"} {
		if _, err := h.Eval(context.Background(), src); !errors.Is(err, luabind.ErrIncomplete) {
			t.Errorf("Eval(%q) err = %v, want ErrIncomplete", src, err)
		}
	}
	_, err = h.Eval(context.Background(), "x = = 1")
	var se *luabind.ScriptError
	if !errors.As(err, &se) || errors.Is(err, luabind.ErrIncomplete) {
		t.Errorf("syntax error = %v", err)
	}
	_, err = h.Eval(context.Background(), "error('boom')")
	if !errors.As(err, &se) || !strings.Contains(se.Message, "boom") || se.Traceback == "" {
		t.Errorf("runtime error = %#v", err)
	}
	// Exit ends only the evaluation; the state lives on.
	_, err = h.Eval(context.Background(), "os.exit(4)")
	var ee *luabind.ExitError
	if !errors.As(err, &ee) || ee.Code != 4 {
		t.Errorf("os.exit in Eval = %v", err)
	}
	if got := evalOne(t, h, "x").String(); got != "5" {
		t.Errorf("state after exit: x = %s", got)
	}
	// A background task's os.exit ends the Eval running at that moment...
	evalOne(t, h, "bg = process.spawn(function() os.exit(9) end)")
	if _, err = h.Eval(context.Background(), "process.sleep(5)"); !errors.As(err, &ee) || ee.Code != 9 {
		t.Errorf("background exit during an Eval: %v", err)
	}
	// ... or, when none runs, surfaces at the next one.
	evalOne(t, h, "bg = process.spawn(function() process.sleep(0.02); os.exit(8) end)")
	time.Sleep(200 * time.Millisecond)
	if _, err = h.Eval(context.Background(), "1"); !errors.As(err, &ee) || ee.Code != 8 {
		t.Errorf("background exit between Evals: %v", err)
	}
}

// TestEvalState: sessions and tasks started by one Eval live on; Eval does
// not wait for tasks; Close ends them.
func TestEvalState(t *testing.T) {
	h, b, marker, _ := newHost(t)
	evalOne(t, h, "s = process.session{id = 'eval-s'}")
	evalOne(t, h, "c = s:start('sleep 300')")
	start := time.Now()
	evalOne(t, h, "tk = process.spawn(function() process.sleep(0.3); return 'later' end)")
	if time.Since(start) > 200*time.Millisecond {
		t.Errorf("Eval waited for the task")
	}
	if got := evalOne(t, h, "tk:wait()").String(); got != "later" {
		t.Errorf("task result = %s", got)
	}
	if _, err := b.GetSession(context.Background(), "eval-s"); err != nil {
		t.Fatalf("session gone between Evals: %v", err)
	}
	if procsWithMarker(marker) == 0 {
		t.Fatal("the started command is not running")
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetSession(context.Background(), "eval-s"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("session survived Close: %v", err)
	}
	waitNoProcs(t, marker)
	if _, err := h.Eval(context.Background(), "1"); !errors.Is(err, luabind.ErrClosed) {
		t.Errorf("Eval after Close = %v", err)
	}
	if err := h.RunString(context.Background(), "x", "return"); !errors.Is(err, luabind.ErrClosed) {
		t.Errorf("RunString after Close = %v", err)
	}
	if err := h.Do(func(*lua.LState) error { return nil }); !errors.Is(err, luabind.ErrClosed) {
		t.Errorf("Do after Close = %v", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// TestEvalInterrupt: cancelling an Eval's context interrupts the blocking
// call and kills what it runs.
func TestEvalInterrupt(t *testing.T) {
	for _, src := range []string{"process.exec('sleep 60')", "process.session():run('sleep 60')", "process.sleep(60)"} {
		h, _, marker, _ := newHost(t)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(300*time.Millisecond, cancel)
		start := time.Now()
		_, err := h.Eval(ctx, src)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v", src, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v", src, d)
		}
		if !strings.Contains(src, "session") {
			waitNoProcs(t, marker)
		} else {
			// The session lives on (REPL state) but its command was killed.
			for deadline := time.Now().Add(3 * time.Second); procsWithMarker(marker) > 1; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Errorf("%s: command not killed", src)
					break
				}
			}
		}
		if got := evalOne(t, h, "1 + 1").String(); got != "2" {
			t.Errorf("after interrupt: %s", got)
		}
	}
}

func TestDo(t *testing.T) {
	h, _, _, _ := newHost(t)
	evalOne(t, h, "answer = 42")
	var got lua.LValue
	if err := h.Do(func(L *lua.LState) error { got = L.GetGlobal("answer"); return nil }); err != nil {
		t.Fatal(err)
	}
	if got.String() != "42" {
		t.Errorf("answer = %v", got)
	}
	want := errors.New("mine")
	if err := h.Do(func(*lua.LState) error { return want }); err != want {
		t.Errorf("Do error = %v", err)
	}
}

type counter struct{ N int }

func (c *counter) Add(d int) int { c.N += d; return c.N }

func TestWithGlobalAndModule(t *testing.T) {
	c := &counter{}
	h, _, _, out := newHost(t,
		luabind.WithGlobal("counter", c),
		luabind.WithModule("greet", func(L *lua.LState) int {
			mod := L.NewTable()
			mod.RawSetString("hello", L.NewFunction(func(L *lua.LState) int {
				L.Push(lua.LString("hello " + L.CheckString(1)))
				return 1
			}))
			L.Push(mod)
			return 1
		}),
		luabind.WithProfile(luabind.ProfileSandbox))
	err := h.RunString(context.Background(), "g.lua", `
		counter:Add(2)
		print(counter:Add(3), require("greet").hello("lua"))`)
	if err != nil {
		t.Fatal(err)
	}
	if c.N != 5 || out.String() != "5\thello lua\n" {
		t.Errorf("N = %d, out = %q", c.N, out.String())
	}
}

func TestWaitObserver(t *testing.T) {
	var mu sync.Mutex
	var events []string
	h, _, _, _ := newHost(t, luabind.WithWaitObserver(func(what string) func() {
		mu.Lock()
		events = append(events, "start "+what)
		mu.Unlock()
		return func() {
			mu.Lock()
			events = append(events, "end "+what)
			mu.Unlock()
		}
	}))
	if err := h.RunString(context.Background(), "w.lua", `
		process.exec("sleep 0.01")
		process.sleep(0.01) -- not reported: a sleep is not work
		process.session():start("true"):wait()`); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(events, ",") != "start exec: sleep 0.01,end exec: sleep 0.01,start wait: true,end wait: true" {
		t.Errorf("events = %q", events)
	}
}

func TestRunFile(t *testing.T) {
	h, _, _, out := newHost(t)
	path := filepath.Join(t.TempDir(), "s.lua")
	if err := os.WriteFile(path, []byte("#!/usr/bin/env procsh\nprint(arg[0] == ..., arg[1], select(2, ...), #arg)\nerror('line3')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := h.RunFile(context.Background(), path, path, "b")
	var se *luabind.ScriptError
	if !errors.As(err, &se) || se.Message != path+":3: line3" {
		t.Fatalf("err = %v", err)
	}
	if out.String() != "true\t"+path+"\tb\t2\n" {
		t.Errorf("out = %q", out.String())
	}
	if err := h.RunFile(context.Background(), filepath.Join(t.TempDir(), "missing.lua")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestConnect drives a remote server through process.connect; the test
// connector hands back a second local backend, so the script's calls reach
// a different backend than the default one.
func TestConnect(t *testing.T) {
	remote, err := local.New()
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	var gotURL, gotToken string
	h, b, _, out := newHost(t, luabind.WithConnector(func(ctx context.Context, url, token string) (client.Client, error) {
		gotURL, gotToken = url, token
		if url == "http://refused" {
			return nil, client.Errorf("connect", client.ErrUnavailable, "connection refused")
		}
		return remote, nil
	}))
	err = h.RunString(context.Background(), "c.lua", `
		local r = assert(process.connect("http://box:1", {token = "tok"}))
		local s = r.session{id = "remote-only", detach = true}
		print(s:run("echo remote").stdout, r.url)
		assert(r.list_sessions()[1].id == "remote-only")
		assert(process.list_sessions()[1] == nil)
		local none, msg, kind = process.connect("http://refused")
		print(none, kind)`)
	if err != nil {
		t.Fatal(err)
	}
	if gotURL != "http://refused" || gotToken != "" || out.String() != "remote\n\thttp://box:1\nnil\tunavailable\n" {
		t.Errorf("url %q token %q out %q", gotURL, gotToken, out.String())
	}
	// The run closed the connection it opened.
	if _, err := remote.GetSession(context.Background(), "remote-only"); !errors.Is(err, client.ErrClosed) {
		t.Errorf("connection not closed at the end of the run: %v", err)
	}
	if _, err := b.GetSession(context.Background(), "remote-only"); err == nil {
		t.Errorf("session on the default backend")
	}
}

// TestCloseStopsRun: Close stops a run in progress and cleans up.
func TestCloseStopsRun(t *testing.T) {
	h, _, marker, _ := newHost(t)
	done := make(chan error, 1)
	go func() {
		done <- h.RunString(context.Background(), "c.lua", `process.session():start("sleep 60"); process.sleep(60)`)
	}()
	for deadline := time.Now().Add(10 * time.Second); procsWithMarker(marker) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("command never started")
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, luabind.ErrClosed) {
			t.Errorf("RunString = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunString did not return after Close")
	}
	waitNoProcs(t, marker)
}

func countFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}

// TestNoLeaks: a run that uses every kind of resource leaves no goroutine,
// file descriptor or process behind.
func TestNoLeaks(t *testing.T) {
	h, _, marker, _ := newHost(t)
	script := `
		local s = process.session()
		local c = s:start("echo a; sleep 0.05; echo b", {on_stdout = function() end, tee = true})
		for l in s:start("echo x; echo y"):lines() do break end
		local p = process.pty{command = "cat", on_output = function() end}
		p:send_line("hi")
		p:expect("hi")
		process.spawn(function() process.exec("true") end)
		s:start("sleep 60")
		c:wait()`
	// One warm-up run: the runtime and the backend create a few long-lived
	// goroutines and descriptors on first use.
	if err := h.RunString(context.Background(), "leak.lua", script); err != nil {
		t.Fatal(err)
	}
	waitNoProcs(t, marker)
	g0, f0 := runtime.NumGoroutine(), countFDs()
	for range 3 {
		if err := h.RunString(context.Background(), "leak.lua", script); err != nil {
			t.Fatal(err)
		}
	}
	waitNoProcs(t, marker)
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > g0 || countFDs() > f0 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("goroutines %d → %d, fds %d → %d\n%s", g0, runtime.NumGoroutine(), f0, countFDs(), buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFullProfile: io and debug are there, io.write goes to the host's
// stdout, require finds modules next to the script, stdlib fs is loadable.
func TestFullProfile(t *testing.T) {
	h, _, _, out := newHost(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "helper.lua"), []byte("return {answer = 42}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "main.lua")
	src := `io.write("w", 1, "\n"):write("x", "\n")
		assert(debug.traceback)
		assert(require("helper").answer == 42)
		assert(require("fs"))
		assert(type(os.getenv("PATH")) == "string")
		print(collectgarbage("count") > 0)`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.RunFile(context.Background(), script); err != nil {
		t.Fatal(err)
	}
	if out.String() != "w1\nx\ntrue\n" {
		t.Errorf("out = %q", out.String())
	}
}

// TestEvalBusyBackgroundTask: a background task that never blocks cannot
// make the REPL deaf to Ctrl-C, and Close still stops it.
func TestEvalBusyBackgroundTask(t *testing.T) {
	running := make(chan struct{})
	var once sync.Once
	h, _, _, _ := newHost(t, luabind.WithGlobal("running", func() { once.Do(func() { close(running) }) }))
	evalOne(t, h, "busy = process.spawn(function() running(); while true do end end)")
	<-running // the task holds the lock from now on
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Eval(ctx, "1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	done := make(chan error, 1)
	go func() { done <- h.Close() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the busy task")
	}
}

// TestEvalCancelWhileTaskHogs: an Eval whose blocking call let a busy
// background task in still returns after Ctrl-C (the task is cancelled).
func TestEvalCancelWhileTaskHogs(t *testing.T) {
	h, _, _, _ := newHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	// The task starts when the Eval blocks in sleep, and never gives the
	// interpreter back.
	_, err := h.Eval(ctx, "busy = process.spawn(function() while true do end end); process.sleep(0.05)")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	// The REPL works again and the task was cancelled.
	if got := evalOne(t, h, "1 + 1").String(); got != "2" {
		t.Errorf("1 + 1 = %s", got)
	}
	_, err = h.Eval(context.Background(), "busy:wait()")
	var se *luabind.ScriptError
	if !errors.As(err, &se) || !strings.Contains(se.Message, "canceled") {
		t.Errorf("busy:wait() = %v", err)
	}
}

// TestStdlibWriters: the stdlib's log module writes to the host's stderr
// and time.sleep blocks like process.sleep.
func TestStdlibWriters(t *testing.T) {
	var stderr syncBuf
	b, _ := local.New()
	defer b.Close()
	h, err := luabind.New(b, luabind.WithStderr(&stderr), luabind.WithStdout(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.RunString(context.Background(), "log.lua", `require("log").warn("careful"); require("time").sleep(0.01)`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "careful") {
		t.Errorf("stderr = %q", stderr.String())
	}
}
