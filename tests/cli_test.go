package tests

import (
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCLIScriptArgs(t *testing.T) {
	dir := t.TempDir()
	script := cliWriteFile(t, dir, "args.lua", `
		print("arg0", arg[0])
		print("n", #arg, select("#", ...))
		for i = 1, #arg do print(i, arg[i], (select(i, ...))) end
	`)
	for _, args := range [][]string{
		{script, "one", "two words", "--flag"},
		{"run", script, "one", "two words", "--flag"},
		{"--timeout", "30s", script, "one", "two words", "--flag"},
	} {
		res := cliRun(t, cliCmd{args: args})
		want := "arg0\t" + script + "\nn\t3\t3\n1\tone\tone\n2\ttwo words\ttwo words\n3\t--flag\t--flag\n"
		if res.code != 0 || res.stdout != want {
			t.Errorf("procsh %q: code %d\nstdout %q\nwant   %q\nstderr %s", args, res.code, res.stdout, want, res.stderr)
		}
	}
}

func TestCLIExitStatus(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, script string
		code         int
		stderr       []string // regexps stderr must match
		stdout       string
	}{
		{name: "success", script: `print("done")`, code: 0, stdout: "done\n"},
		{name: "error", script: "local x = 1\nlocal function f()\n  error(\"boom\")\nend\nf()\n", code: 1,
			stderr: []string{`(?m)^\S*error\.lua:3: boom$`, `stack traceback:`, `error\.lua:5`}},
		{name: "runtime error", script: "print('before')\nlocal t = nil\nprint(t.field)\n", code: 1, stdout: "before\n",
			stderr: []string{`runtime_error\.lua:3: .*(index|nil)`, `stack traceback:`}},
		{name: "syntax error", script: "print(\n", code: 1, stderr: []string{`syntax_error\.lua`}},
		{name: "os.exit", script: `print("bye") os.exit(3)`, code: 3, stdout: "bye\n"},
		{name: "os.exit true", script: `os.exit(true)`, code: 0},
		{name: "os.exit false", script: `os.exit(false)`, code: 1},
		{name: "non-zero command is data", script: `local r = process.exec("exit 7") print(r.exit_code, r.ok)`, code: 0, stdout: "7\tfalse\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := strings.ReplaceAll(tt.name, " ", "_") + ".lua"
			res := cliRun(t, cliCmd{args: []string{cliWriteFile(t, dir, name, tt.script)}})
			if res.code != tt.code {
				t.Errorf("exit status %d, want %d; stderr: %s", res.code, tt.code, res.stderr)
			}
			if tt.stdout != "" && res.stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", res.stdout, tt.stdout)
			}
			for _, re := range tt.stderr {
				if !regexp.MustCompile(re).MatchString(res.stderr) {
					t.Errorf("stderr does not match %s:\n%s", re, res.stderr)
				}
			}
		})
	}
}

func TestCLIStdinScript(t *testing.T) {
	src := `print("from stdin", 1 + 1)` + "\n" + `local r = process.exec("echo hi") io.write(r.stdout)`
	for _, args := range [][]string{nil, {"-"}} {
		res := cliRun(t, cliCmd{args: args, stdin: src})
		if res.code != 0 || res.stdout != "from stdin\t2\nhi\n" {
			t.Errorf("procsh %q < script: code %d stdout %q stderr %s", args, res.code, res.stdout, res.stderr)
		}
	}
	// Errors in a stdin script name the chunk "stdin".
	res := cliRun(t, cliCmd{stdin: "\n\nerror('bad')\n"})
	if res.code != 1 || !strings.Contains(res.stderr, "stdin:3: bad") {
		t.Errorf("stdin error: code %d stderr %s", res.code, res.stderr)
	}
}

func TestCLIEval(t *testing.T) {
	res := cliRun(t, cliCmd{args: []string{"-e", "x = 20", "-e", "print(x + 22)"}})
	if res.code != 0 || res.stdout != "42\n" {
		t.Errorf("-e: code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
	// -e runs before a script, which sees what it set.
	dir := t.TempDir()
	script := cliWriteFile(t, dir, "s.lua", `print(greeting .. " " .. arg[1])`)
	res = cliRun(t, cliCmd{args: []string{"-e", "greeting = 'hello'", script, "world"}})
	if res.code != 0 || res.stdout != "hello world\n" {
		t.Errorf("-e + script: code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"-e", "error('nope')"}})
	if res.code != 1 || !strings.Contains(res.stderr, "(command line):1: nope") {
		t.Errorf("-e error: code %d stderr %s", res.code, res.stderr)
	}
}

func TestCLIHelpVersionUsage(t *testing.T) {
	res := cliRun(t, cliCmd{args: []string{"--help"}})
	if res.code != 0 || res.stderr != "" || !strings.Contains(res.stdout, "Usage:") || !strings.Contains(res.stdout, "-sandbox") || !strings.Contains(res.stdout, "serve") {
		t.Errorf("--help: code %d stdout %s stderr %s", res.code, res.stdout, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"--version"}})
	if res.code != 0 || !regexp.MustCompile(`^procsh \S+.* go1\.\d+`).MatchString(res.stdout) {
		t.Errorf("--version: code %d stdout %q", res.code, res.stdout)
	}
	res = cliRun(t, cliCmd{args: []string{"--no-such-flag"}})
	if res.code != 2 || !strings.Contains(res.stderr, "no-such-flag") || !strings.Contains(res.stderr, "procsh --help") {
		t.Errorf("bad flag: code %d stderr %s", res.code, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"--timeout", "soon", "-e", "print(1)"}})
	if res.code != 2 || !strings.Contains(res.stderr, "not a duration") {
		t.Errorf("bad timeout: code %d stderr %s", res.code, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"/no/such/script.lua"}})
	if res.code != 1 || !strings.Contains(res.stderr, "cannot open /no/such/script.lua") {
		t.Errorf("missing script: code %d stderr %s", res.code, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"run"}})
	if res.code != 2 || !strings.Contains(res.stderr, "missing script") {
		t.Errorf("run without script: code %d stderr %s", res.code, res.stderr)
	}
}

func TestCLITimeout(t *testing.T) {
	mark := cliMarker(t)
	res := cliRun(t, cliCmd{
		args:    []string{"--timeout", "500ms", "-e", `print("start") process.exec("sleep 30") print("not reached")`},
		env:     []string{"PROCSH_CLI_MARK=" + mark},
		timeout: 20 * time.Second,
	})
	if res.code != 124 || res.stdout != "start\n" || !strings.Contains(res.stderr, "timed out after 500ms") {
		t.Errorf("--timeout: code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
	if res.elapsed > 10*time.Second {
		t.Errorf("--timeout 500ms took %v", res.elapsed)
	}
	cliAssertNoLeftovers(t, mark, -1)

	// A busy Lua loop is bounded too.
	res = cliRun(t, cliCmd{args: []string{"--timeout", "0.3", "-e", `while true do end`}, timeout: 20 * time.Second})
	if res.code != 124 {
		t.Errorf("--timeout on a Lua loop: code %d stderr %s", res.code, res.stderr)
	}

	// A run that finishes in time is not affected.
	res = cliRun(t, cliCmd{args: []string{"--timeout", "30", "-e", `print(process.exec("echo fine").stdout)`}})
	if res.code != 0 || res.stdout != "fine\n\n" {
		t.Errorf("in time: code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
}

func TestCLISandbox(t *testing.T) {
	probe := `print(io == nil, os.execute == nil, dofile == nil, type(process.exec))`
	res := cliRun(t, cliCmd{args: []string{"--restricted", "-e", probe}})
	if res.code != 0 || res.stdout != "true\ttrue\ttrue\tfunction\n" {
		t.Errorf("--restricted: code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"-e", probe}})
	if res.code != 0 || res.stdout != "false\tfalse\tfalse\tfunction\n" {
		t.Errorf("full profile: code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
	// os.exit stays host-safe in the sandbox.
	res = cliRun(t, cliCmd{args: []string{"--restricted", "-e", "os.exit(5)"}})
	if res.code != 5 {
		t.Errorf("--restricted os.exit(5): code %d stderr %s", res.code, res.stderr)
	}
}

func TestCLISIGINTEndsEverything(t *testing.T) {
	mark := cliMarker(t)
	cmd := cliStart(t, mark, "-e", `process.exec("sleep 30")`)
	cliWaitForProc(t, mark, "sleep 30", cmd.Process.Pid, 15*time.Second)
	start := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	code, stderr := cliWait(t, cmd, 15*time.Second)
	if code != 130 {
		t.Errorf("exit status after SIGINT: %d, want 130; stderr: %s", code, stderr)
	}
	if !strings.Contains(stderr, "interrupted") {
		t.Errorf("stderr after SIGINT: %s", stderr)
	}
	t.Logf("SIGINT → exit in %v", time.Since(start))
	cliAssertNoLeftovers(t, mark, -1)
}

func TestCLISIGTERMInSession(t *testing.T) {
	mark := cliMarker(t)
	cmd := cliStart(t, mark, "-e", `
		local s = process.session()
		local c = s:start("sleep 40")
		process.exec("sleep 30")`)
	cliWaitForProc(t, mark, "sleep 30", cmd.Process.Pid, 15*time.Second)
	cliWaitForProc(t, mark, "sleep 40", cmd.Process.Pid, 5*time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, stderr := cliWait(t, cmd, 15*time.Second); code != 143 {
		t.Errorf("exit status after SIGTERM: %d, want 143; stderr: %s", code, stderr)
	}
	cliAssertNoLeftovers(t, mark, -1)
}

func TestCLIServer(t *testing.T) {
	const token = "s3cret-token"
	srv := cliStartServer(t, token)
	script := `
		local r = assert(process.exec("echo remote-ok; echo $PROCSH_CLI_MARK"))
		io.write(r.result)
		local s = process.session()
		s:run("cd /tmp && X=41")
		print(s:run("echo $((X + 1)) $(pwd)").stdout)`
	want := "remote-ok\n" + srv.mark + "\n42 /tmp\n\n"

	// Flags.
	res := cliRun(t, cliCmd{args: []string{"--server", srv.url, "--token", token, "-e", script}})
	if res.code != 0 || res.stdout != want {
		t.Errorf("--server: code %d stdout %q want %q stderr %s", res.code, res.stdout, want, res.stderr)
	}
	// Environment.
	res = cliRun(t, cliCmd{args: []string{"-e", script}, env: []string{"PROCSH_SERVER=" + srv.url, "PROCSH_TOKEN=" + token}})
	if res.code != 0 || res.stdout != want {
		t.Errorf("PROCSH_SERVER: code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
	// A wrong token is refused before the script runs, with a clear message.
	res = cliRun(t, cliCmd{args: []string{"--server", srv.url, "--token", "wrong", "-e", `print("ran")`}})
	if res.code != 1 || res.stdout != "" || !strings.Contains(res.stderr, "refused the token") {
		t.Errorf("wrong token: code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"--server", srv.url, "-e", `print("ran")`}})
	if res.code != 1 || res.stdout != "" || !strings.Contains(res.stderr, "requires a token") {
		t.Errorf("no token: code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
	// Nothing listening.
	res = cliRun(t, cliCmd{args: []string{"--server", "http://127.0.0.1:1", "-e", `print("ran")`}})
	if res.code != 1 || !strings.Contains(res.stderr, "cannot reach the server") {
		t.Errorf("no server: code %d stderr %s", res.code, res.stderr)
	}
}

func TestCLIServeRefusesOpenAddressWithoutToken(t *testing.T) {
	// The check happens before anything is bound.
	res := cliRun(t, cliCmd{args: []string{"serve", "--listen", "0.0.0.0:0"}})
	if res.code != 2 || !strings.Contains(res.stderr, "token is required") {
		t.Errorf("serve 0.0.0.0 without token: code %d stderr %s", res.code, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"serve", "--help"}})
	if res.code != 0 || res.stderr != "" || !strings.Contains(res.stdout, "-listen") {
		t.Errorf("serve --help: code %d stdout %s", res.code, res.stdout)
	}
}

func TestCLIStatusLine(t *testing.T) {
	script := `print("before") process.exec("sleep 2.2") print("after")`
	t.Run("terminal", func(t *testing.T) {
		t.Parallel()
		// On a terminal a wait longer than ~1.5 s shows what it waits for,
		// and the line is erased before the script prints again.
		ct := cliStartTerm(t, "-e", script)
		ct.expect(`before\r?\n`, 10*time.Second)
		ct.expect(`⏳ exec: sleep 2\.2 \(\d+s\)`, 10*time.Second)
		ct.expect(`\r\n?after\r?\n`, 10*time.Second)
		if code := ct.waitExit(10 * time.Second); code != 0 {
			t.Errorf("exit status %d", code)
		}
	})
	t.Run("pipe", func(t *testing.T) {
		t.Parallel()
		// Never on a pipe.
		res := cliRun(t, cliCmd{args: []string{"-e", script}})
		if res.code != 0 || res.stdout != "before\nafter\n" || res.stderr != "" {
			t.Errorf("on a pipe: code %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
		}
	})
}

func TestCLIServeShutdownEndsProcesses(t *testing.T) {
	srv := cliStartServer(t, "shutdown-token")
	// A client keeps a session command and a PTY running on the server...
	client := cliStart(t, cliMarker(t), "--server", srv.url, "--token", srv.token, "-e", `
		local s = process.session()
		s:start("sleep 60")
		local p = process.pty{command = "sleep 61"}
		process.sleep(60)`)
	cliWaitForProc(t, srv.mark, "sleep 60", srv.cmd.Process.Pid, 10*time.Second)
	cliWaitForProc(t, srv.mark, "sleep 61", srv.cmd.Process.Pid, 10*time.Second)
	// ...when the server shuts down, which ends every session and PTY
	// (stop checks that nothing with the server's marker is left).
	if code := srv.stop(t); code != 0 {
		t.Errorf("procsh serve exit status after SIGTERM: %d", code)
	}
	// The client, interrupted, still exits promptly with the server gone.
	_ = client.Process.Signal(os.Interrupt)
	if code, stderr := cliWait(t, client, 20*time.Second); code != 130 {
		t.Errorf("client exit status %d; stderr: %s", code, stderr)
	}
}

func TestCLIServeTokenFromEnvironment(t *testing.T) {
	srv := cliStartServerWith(t, "env-token", nil, []string{"PROCSH_TOKEN=env-token"})
	res := cliRun(t, cliCmd{args: []string{"--server", srv.url, "-e", `print("ran")`}})
	if res.code != 1 || !strings.Contains(res.stderr, "requires a token") {
		t.Errorf("no token against PROCSH_TOKEN server: code %d stderr %s", res.code, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"--server", srv.url, "--token", "env-token", "-e", `print(process.exec("echo ok").result)`}})
	if res.code != 0 || res.stdout != "ok\n\n" {
		t.Errorf("right token: code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
}

func TestCLITeeStreamsLive(t *testing.T) {
	mark := cliMarker(t)
	c := cliStart(t, mark, "-e", `process.exec("echo live-out; echo live-err >&2; sleep 30", {tee = true})`)
	// The output shows up while the command still runs.
	deadline := time.Now().Add(15 * time.Second)
	for !(strings.Contains(c.stdout.String(), "live-out\n") && strings.Contains(c.stderr.String(), "live-err\n")) {
		if time.Now().After(deadline) {
			t.Fatalf("no live output; stdout %q stderr %q", c.stdout.String(), c.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(cliProcsWithMarker(mark, c.Process.Pid)) == 0 {
		t.Fatal("the command had already finished: the output was not live")
	}
	_ = c.Process.Signal(os.Interrupt)
	if code, stderr := cliWait(t, c, 15*time.Second); code != 130 {
		t.Errorf("exit status %d; stderr %s", code, stderr)
	}
	cliAssertNoLeftovers(t, mark, -1)
}

// TestCLITrace: --trace and PROCSH_TRACE=1 print every command with a
// timestamp, the target, its status and duration on stderr; stdout stays
// the script's own.
func TestCLITrace(t *testing.T) {
	src := `print(process.exec({"echo", "a b"}).stdout); process.exec("exit 4")`
	stamp := regexp.MustCompile(`(?m)^\[\d\d:\d\d:\d\d\.\d{3}\] local exec: echo 'a b' → exit 0 in \S+\n\[\d\d:\d\d:\d\d\.\d{3}\] local exec: exit 4 → exit 4 in \S+$`)
	for name, c := range map[string]cliCmd{
		"flag": {args: []string{"--trace", "-e", src}},
		"env":  {args: []string{"-e", src}, env: []string{"PROCSH_TRACE=1"}},
	} {
		res := cliRun(t, c)
		if res.code != 0 || res.stdout != "a b\n\n" || !stamp.MatchString(res.stderr) {
			t.Errorf("%s: code %d stdout %q stderr %q", name, res.code, res.stdout, res.stderr)
		}
	}
	if res := cliRun(t, cliCmd{args: []string{"-e", src}}); strings.Contains(res.stderr, "exec:") {
		t.Errorf("traced without --trace: %q", res.stderr)
	}
}
