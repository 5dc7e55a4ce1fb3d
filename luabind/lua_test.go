package luabind_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/internal/proctable"
	"github.com/procsh/procsh/luabind"
	"github.com/procsh/procsh/server"
)

// The process module's Lua tests: TestLuaScripts runs every
// testdata/*.lua script as a subtest against the real local backend. A script passes when it returns without error; it
// asserts with the stdlib t module. Scripts named sandbox_*.lua run in the
// sandbox profile. After each script no process it started may be left:
// every process the backend starts carries a marker in its environment,
// and the test scans /proc for it.

const luaMarkerVar = "PROCSH_LUATEST"

// luaSyncBuffer is a goroutine-safe output buffer.
type luaSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *luaSyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *luaSyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func luaMarker(t testing.TB) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "luatest-" + hex.EncodeToString(b[:])
}

// luaBackend returns a local backend whose processes carry marker.
func luaBackend(t testing.TB, marker string) client.Client {
	t.Helper()
	b, err := local.New(local.WithEnv(append(os.Environ(), luaMarkerVar+"="+marker)), local.WithKillGrace(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// luaProcs returns the pids of live processes whose environment has marker.
func luaProcs(marker string) []int {
	pids, err := proctable.WithEnv(luaMarkerVar + "=" + marker)
	if err != nil {
		panic(err)
	}
	return pids
}

// luaAssertNoProcs fails if processes with marker are still there shortly
// after a run (killing is asynchronous: a TERM grace may still be running).
func luaAssertNoProcs(t testing.TB, marker string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		pids := luaProcs(marker)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var desc []string
			for _, p := range pids {
				cmd, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
				desc = append(desc, strconv.Itoa(p)+":"+strings.ReplaceAll(string(cmd), "\x00", " "))
			}
			t.Fatalf("processes left after the run: %s", strings.Join(desc, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func luaHost(t testing.TB, backend client.Client, stdout, stderr *luaSyncBuffer, opts ...luabind.Option) *luabind.Host {
	t.Helper()
	opts = append([]luabind.Option{luabind.WithStdout(stdout), luabind.WithStderr(stderr)}, opts...)
	h, err := luabind.New(backend, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func TestLuaScripts(t *testing.T) {
	scripts, err := filepath.Glob("testdata/*.lua")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no Lua test scripts found (%v)", err)
	}
	for _, path := range scripts {
		name := strings.TrimSuffix(filepath.Base(path), ".lua")
		t.Run(name, func(t *testing.T) {
			marker := luaMarker(t)
			var stdout, stderr luaSyncBuffer
			var opts []luabind.Option
			if strings.HasPrefix(name, "sandbox_") {
				opts = append(opts, luabind.WithProfile(luabind.ProfileSandbox))
			}
			h := luaHost(t, luaBackend(t, marker), &stdout, &stderr, opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := h.RunFile(ctx, path, "arg-one", "arg two")
			if err != nil {
				t.Fatalf("%s failed: %v\nstdout:\n%s\nstderr:\n%s", path, err, stdout.String(), stderr.String())
			}
			if s := stderr.String(); s != "" {
				t.Errorf("unexpected stderr output:\n%s", s)
			}
			luaAssertNoProcs(t, marker)
		})
	}
}

// luaRun runs src on a fresh host and returns its error and output.
func luaRun(t *testing.T, ctx context.Context, marker, src string, opts ...luabind.Option) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut luaSyncBuffer
	h := luaHost(t, luaBackend(t, marker), &out, &errOut, opts...)
	err = h.RunString(ctx, "test.lua", src)
	return out.String(), errOut.String(), err
}

// luaWriterSignal closes ch the first time the written text contains want.
type luaWriterSignal struct {
	luaSyncBuffer
	want string
	once sync.Once
	ch   chan struct{}
}

func (w *luaWriterSignal) Write(p []byte) (int, error) {
	n, err := w.luaSyncBuffer.Write(p)
	if strings.Contains(w.String(), w.want) {
		w.once.Do(func() { close(w.ch) })
	}
	return n, err
}

// TestLuaCancelMidWait cancels the run's context while the script waits in
// different blocking calls; the run must return promptly with an error that
// matches context.Canceled, and leave no process behind.
func TestLuaCancelMidWait(t *testing.T) {
	cases := map[string]string{
		"cmd:wait":    `local c = process.session():start("sleep 60"); print("ready"); c:wait()`,
		"exec":        `print("ready"); process.exec("sleep 60")`,
		"session:run": `local s = process.session(); print("ready"); s:run("sleep 60")`,
		"sleep":       `print("ready"); process.sleep(60)`,
		"lines":       `local c = process.session():start("sleep 60"); print("ready"); for l in c:lines() do end`,
		"task:wait":   `local tk = process.spawn(function() process.exec("sleep 60") end); print("ready"); tk:wait()`,
		"pcall":       `print("ready"); while true do pcall(process.sleep, 60) end`,
		"busy loop":   `print("ready"); while true do end`,
		"callback":    `process.session():start("echo go; sleep 60", {on_stdout = function() print("ready"); process.sleep(60) end})`,
		"pty:expect":  `local p = process.pty{command = "sleep 60"}; print("ready"); p:expect("never", {timeout = 60})`,
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			marker := luaMarker(t)
			out := &luaWriterSignal{want: "ready", ch: make(chan struct{})}
			var stderr luaSyncBuffer
			b := luaBackend(t, marker)
			h, err := luabind.New(b, luabind.WithStdout(out), luabind.WithStderr(&stderr))
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- h.RunString(ctx, "cancel.lua", src) }()
			select {
			case <-out.ch:
			case err := <-done:
				t.Fatalf("run ended before cancel: %v", err)
			case <-time.After(20 * time.Second):
				t.Fatal("script never got ready")
			}
			time.Sleep(50 * time.Millisecond) // let it enter the wait
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("run took %v to stop after cancel", d)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("run did not stop after cancel")
			}
			luaAssertNoProcs(t, marker)
		})
	}
}

// TestLuaCleanupAtRunEnd: everything a run started and did not detach is
// gone when RunString returns; detached things survive.
func TestLuaCleanupAtRunEnd(t *testing.T) {
	marker := luaMarker(t)
	var stdout, stderr luaSyncBuffer
	b := luaBackend(t, marker)
	h := luaHost(t, b, &stdout, &stderr)
	ctx := context.Background()
	err := h.RunString(ctx, "cleanup.lua", `
		local s = process.session{id = "lua-cleanup-owned"}
		s:start("sleep 300")
		local d = process.session{id = "lua-cleanup-detached", detach = true}
		d:start("sleep 301", {detach = true})
		process.pty{command = "sleep 302"}
		process.pty{id = "lua-cleanup-pty-detached", command = "sleep 303", detach = true}
		process.spawn(function() process.sleep(0.05) end)
		process.sleep(0.1)
		error("deliberate failure")
	`)
	// The script ends with an error, which also exercises cleanup after a
	// script error.
	if err == nil || !strings.Contains(err.Error(), "cleanup.lua:10: deliberate failure") {
		t.Fatalf("err = %v, want the deliberate error", err)
	}
	// Owned session and PTY are gone; detached ones remain.
	if _, err := b.GetSession(ctx, "lua-cleanup-owned"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("owned session still there: %v", err)
	}
	if _, err := b.GetSession(ctx, "lua-cleanup-detached"); err != nil {
		t.Errorf("detached session gone: %v", err)
	}
	if info, err := b.GetPTY(ctx, "lua-cleanup-pty-detached"); err != nil || !info.Active {
		t.Errorf("detached PTY not running: %+v %v", info, err)
	}
	// Killing is asynchronous (a TERM grace may run) and a detached
	// command may still be starting: poll for the expected picture.
	var cmdlines string
	ok := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		cmdlines = ""
		for _, p := range luaProcs(marker) {
			c, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
			cmdlines += strings.ReplaceAll(string(c), "\x00", " ") + ";"
		}
		ok = !strings.Contains(cmdlines, "sleep 300") && !strings.Contains(cmdlines, "sleep 302") &&
			strings.Contains(cmdlines, "sleep 301") && strings.Contains(cmdlines, "sleep 303")
		if ok {
			break
		}
	}
	if !ok {
		t.Errorf("want sleep 301 and 303 running (detached), 300 and 302 gone; processes: %s", cmdlines)
	}
	_ = b.DeleteSession(ctx, "lua-cleanup-detached")
	_ = b.KillPTY(ctx, "lua-cleanup-pty-detached")
	luaAssertNoProcs(t, marker)
}

// TestLuaRunWaitsForPending: the run ends only after un-detached commands
// with callbacks and unwaited tasks finished.
func TestLuaRunWaitsForPending(t *testing.T) {
	marker := luaMarker(t)
	out, stderr, err := luaRun(t, context.Background(), marker, `
		process.session():start("sleep 0.2; echo unattended", {on_exit = function(r) print("on_exit: " .. r.stdout) end})
		process.spawn(function() process.sleep(0.1); print("late task") end)
	`)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "on_exit: unattended") || !strings.Contains(out, "late task") {
		t.Fatalf("pending work did not finish before the run ended; stdout:\n%s", out)
	}
	luaAssertNoProcs(t, marker)
}

// TestLuaBackgroundErrors: a failing callback and a failing task nobody
// waited for are reported with a traceback on stderr and returned as the
// run's error; the rest of the script still ran.
func TestLuaBackgroundErrors(t *testing.T) {
	marker := luaMarker(t)
	out, stderr, err := luaRun(t, context.Background(), marker, `
		local c = process.session():start("echo a; echo b", {on_stdout = function(line)
			if line == "a" then error("callback failed on " .. line) end
			print("got " .. line)
		end})
		local r = c:wait()
		print("callback_error: " .. tostring(r.callback_error))
	`)
	var se *luabind.ScriptError
	if !errors.As(err, &se) || !strings.Contains(se.Message, "test.lua:3: callback failed on a") {
		t.Fatalf("err = %#v, want ScriptError for the callback", err)
	}
	if !strings.Contains(stderr, "callback failed on a") || !strings.Contains(stderr, "stack traceback") {
		t.Errorf("stderr lacks the report with traceback:\n%s", stderr)
	}
	if !strings.Contains(out, "got b") || !strings.Contains(out, "callback_error: test.lua:3: callback failed on a") {
		t.Errorf("later callbacks or the result field missing; stdout:\n%s", out)
	}
	_, stderr, err = luaRun(t, context.Background(), marker, `process.spawn(function() error("task exploded") end)`)
	if !errors.As(err, &se) || !strings.Contains(se.Message, "task exploded") || !strings.Contains(stderr, "never waited") {
		t.Fatalf("err = %v, stderr = %s", err, stderr)
	}
	// A task error that was observed is not reported.
	_, stderr, err = luaRun(t, context.Background(), marker, `
		local tk = process.spawn(function() error("seen") end)
		assert(not pcall(tk.wait, tk))`)
	if err != nil || stderr != "" {
		t.Fatalf("err = %v, stderr = %q", err, stderr)
	}
	luaAssertNoProcs(t, marker)
}

// TestLuaExit: os.exit is host-safe, cannot be swallowed by pcall, and
// still cleans up.
func TestLuaExit(t *testing.T) {
	for _, tc := range []struct {
		src  string
		code int
	}{
		{`os.exit(3)`, 3},
		{`os.exit()`, 0},
		{`os.exit(false)`, 1},
		{`process.session():start("sleep 300"); pcall(os.exit, 7); print("not reached")`, 7},
		{`local tk = process.spawn(function() os.exit(5) end); process.sleep(10)`, 5},
	} {
		marker := luaMarker(t)
		start := time.Now()
		out, _, err := luaRun(t, context.Background(), marker, tc.src)
		var ee *luabind.ExitError
		if !errors.As(err, &ee) || ee.Code != tc.code {
			t.Errorf("%s: err = %v, want exit %d", tc.src, err, tc.code)
		}
		if strings.Contains(out, "not reached") {
			t.Errorf("%s: pcall swallowed os.exit", tc.src)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%s: took %v", tc.src, time.Since(start))
		}
		luaAssertNoProcs(t, marker)
	}
	for _, p := range []luabind.Profile{luabind.ProfileFull, luabind.ProfileSandbox} {
		_, _, err := luaRun(t, context.Background(), luaMarker(t), `os.exit(2)`, luabind.WithProfile(p))
		var ee *luabind.ExitError
		if !errors.As(err, &ee) || ee.Code != 2 {
			t.Errorf("profile %v: err = %v", p, err)
		}
	}
}

// TestLuaScriptErrorPosition: errors carry file:line and a traceback.
func TestLuaScriptErrorPosition(t *testing.T) {
	_, _, err := luaRun(t, context.Background(), luaMarker(t), "local x = 1\nprocess.exec('true', {bogus = 1})\n")
	var se *luabind.ScriptError
	if !errors.As(err, &se) {
		t.Fatalf("err = %#v", err)
	}
	if se.Message != `test.lua:2: process.exec: bad argument #2 (opts): unknown option "bogus"` {
		t.Errorf("Message = %q", se.Message)
	}
	if !strings.Contains(se.Traceback, "stack traceback") || !strings.Contains(se.Traceback, "test.lua:2") {
		t.Errorf("Traceback = %q", se.Traceback)
	}
	if se.Error() != se.Message+"\n"+se.Traceback {
		t.Errorf("Error() = %q", se.Error())
	}
	_, _, err = luaRun(t, context.Background(), luaMarker(t), "x = = 1")
	if !errors.As(err, &se) || !strings.HasPrefix(se.Message, "test.lua:1:") {
		t.Errorf("syntax error = %v", err)
	}
}

// TestLuaConnectRemote runs testdata/remote/connect.lua against a real
// procsh server on loopback, with the host's default connector.
func TestLuaConnectRemote(t *testing.T) {
	marker := luaMarker(t)
	srv := server.New(luaBackend(t, marker), server.WithToken("sekrit"))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var stdout, stderr luaSyncBuffer
	other := luaBackend(t, luaMarker(t))
	h := luaHost(t, other, &stdout, &stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.RunFile(ctx, "testdata/remote/connect.lua", ts.URL, "sekrit"); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, stderr.String())
	}
	luaAssertNoProcs(t, marker)
}

// TestLuaTee: tee=true streams a command's output to the host's writers as
// it runs, for exec and session commands.
func TestLuaTee(t *testing.T) {
	out, errOut, err := luaRun(t, context.Background(), luaMarker(t), `
		local r = process.exec("echo to-out; echo to-err >&2", {tee = true})
		assert(r.stdout == "to-out\n")
		local s = process.session()
		s:run("echo run-out", {tee = true})
		s:start("echo start-out", {tee = true}):wait()
		print("after")`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"to-out\n", "run-out\n", "start-out\n", "after\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout %q lacks %q", out, want)
		}
	}
	if errOut != "to-err\n" {
		t.Errorf("stderr = %q", errOut)
	}
}

// TestLuaDetachedDoesNotKeepRunAlive: a detached command with callbacks and
// a PTY with an output callback do not keep the run alive, and the detached
// command survives the run.
func TestLuaDetachedDoesNotKeepRunAlive(t *testing.T) {
	marker := luaMarker(t)
	var stdout, stderr luaSyncBuffer
	b := luaBackend(t, marker)
	h := luaHost(t, b, &stdout, &stderr)
	start := time.Now()
	err := h.RunString(context.Background(), "detached.lua", `
		local s = process.session{id = "lua-detached-keep", detach = true}
		s:start("sleep 30", {detach = true, on_exit = function() print("never") end})
		process.pty{command = "sleep 30", on_output = function() end}`)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("run took %v: something kept it alive", d)
	}
	info, err := b.GetSession(context.Background(), "lua-detached-keep")
	if err != nil || len(info.Commands) != 1 || info.Commands[0].Done() {
		t.Errorf("detached command not running after the run: %+v %v", info, err)
	}
	_ = b.DeleteSession(context.Background(), "lua-detached-keep")
	luaAssertNoProcs(t, marker)
}

// TestLuaCheckErrorEndsRun: an uncaught check=true failure ends the run
// with a ScriptError whose message is the error's (position, command,
// status, stderr tail).
func TestLuaCheckErrorEndsRun(t *testing.T) {
	marker := luaMarker(t)
	out, _, err := luaRun(t, context.Background(), marker, "print('before')\nprocess.exec('echo bad >&2; exit 7', {check = true})\nprint('after')")
	var se *luabind.ScriptError
	if !errors.As(err, &se) || se.Message != "test.lua:2: process.exec: echo bad >&2; exit 7: exit status 7\nbad" {
		t.Fatalf("err = %#v", err)
	}
	if out != "before\n" {
		t.Errorf("stdout = %q", out)
	}
	luaAssertNoProcs(t, marker)
}

// TestLuaTrace: WithTrace writes one line per command with a timestamp,
// the target, what ran, its status and duration.
func TestLuaTrace(t *testing.T) {
	marker := luaMarker(t)
	var trace luaSyncBuffer
	_, _, err := luaRun(t, context.Background(), marker, `
		process.exec("true")
		process.exec({"sh", "-c", "exit 3"})
		pcall(process.exec, "sleep 5", {timeout = 0.05, check = true})
		local s = process.session()
		s:run("echo hi")
		s:run("false", {timeout = 5})
		s:start("true"):wait()
		process.pty{command = {"true"}}:wait()`, luabind.WithTrace(&trace, "local"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(trace.String(), "\n"), "\n")
	want := []string{
		`local exec: true → exit 0 in `,
		`local exec: sh -c 'exit 3' → exit 3 in `,
		`local exec: sleep 5 → timed out in `,
		`local run: echo hi → exit 0 in `,
		`local run: false → exit 1 in `,
		`local start: true`,
		`local pty: true`,
	}
	if len(lines) != len(want) {
		t.Fatalf("trace has %d lines, want %d:\n%s", len(lines), len(want), trace.String())
	}
	stamp := regexp.MustCompile(`^\[\d\d:\d\d:\d\d\.\d{3}\] `)
	for i, w := range want {
		if !stamp.MatchString(lines[i]) || !strings.Contains(lines[i], "] "+w) {
			t.Errorf("line %d = %q, want a timestamp and %q", i, lines[i], w)
		}
	}
	luaAssertNoProcs(t, marker)
}
