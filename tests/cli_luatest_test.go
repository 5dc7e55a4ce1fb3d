package tests

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The `procsh test` tests drive the built binary on spec files written to a
// temporary directory.

// specRun runs `procsh [pre...] test args...` in dir with a fresh process
// marker and checks that nothing it started outlives it.
func specRun(t *testing.T, dir string, args ...string) cliResult {
	t.Helper()
	mark := cliMarker(t)
	res := cliRun(t, cliCmd{args: args, dir: dir, env: []string{"PROCSH_CLI_MARK=" + mark}})
	cliAssertNoLeftovers(t, mark, -1)
	return res
}

func TestCLITestPassingSuite(t *testing.T) {
	dir := t.TempDir()
	cliWriteFile(t, dir, "math_spec.lua", `
describe("math", function()
  local n
  before_each(function() n = 1 end)
  it("adds", function() assert.equal(2, n + 1) end)
  it("compares deeply", function()
    assert.same({1, {a = {2}}}, {1, {a = {2}}})
    assert.are.same({}, {})
    assert.is_not.same({1}, {2})
  end)
  describe("strings", function()
    it("matches", function() assert.matches("^%d+$", "123"); assert.does_not.match("^%d+$", "x") end)
  end)
end)
it("top level", function() assert.truthy(0); assert.falsy(nil); assert.is_true(true); assert.is_nil(nil) end)
`)
	// Not a test file: must not be collected.
	cliWriteFile(t, dir, "helper.lua", `error("helper.lua must not run")`)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	cliWriteFile(t, sub, "exec_test.lua", `
it("runs a command", function()
  local r = assert(process.exec("echo hi"))
  assert.equal("hi\n", r.stdout)
end)
`)
	res := specRun(t, dir, "test")
	if res.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{
		"ok      math_spec.lua: math adds",
		"ok      math_spec.lua: math compares deeply",
		"ok      math_spec.lua: math strings matches",
		"ok      math_spec.lua: top level",
		"ok      sub/exec_test.lua: runs a command",
		"5 passed, 0 failed, 0 pending",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
}

// The assertions fail with busted's messages, at the line of the assertion.
func TestCLITestAssertionMessages(t *testing.T) {
	dir := t.TempDir()
	cliWriteFile(t, dir, "a_spec.lua", `
-- every assertion failure is checked from inside Lua
local function fails(fn, pattern) assert.raises(fn, pattern) end
it("reports", function()
  fails(function() assert.equal(1, 2) end, "a_spec.lua:5: expected 1, got 2$")
  fails(function() assert.are.equal("x", "y", "context") end, "context\nexpected \"x\", got \"y\"")
  fails(function() assert.same({1, {2}}, {1, {3}}) end, "expected %(deep%) {1, {2}}, got {1, {3}}")
  fails(function() assert.is_not.equal(1, 1) end, "expected a value other than 1")
  fails(function() assert.truthy(false) end, "expected a truthy value, got false")
  fails(function() assert.falsy(0) end, "expected a falsy value, got 0")
  fails(function() assert.matches("^a", "ba") end, "expected \"ba\" to match \"%^a\"")
  fails(function() assert.raises(function() end) end, "expected an error, none was raised")
  fails(function() assert.raises(function() error("boom") end, "bang") end, "expected an error matching \"bang\"")
  fails(function() assert.has_no.errors(function() error("boom") end) end, "expected no error")
  fails(function() assert.is_nil(1) end, "expected nil, got 1")
  fails(function() assert.is.no_such_thing(1) end, "no assertion named no_such_thing")
  fails(function() assert(false, "plain") end, "^plain$")
  fails(function() assert.raises("x") end, "assert.raises: bad argument #1 %(fn%)")
  assert.equal(3, select("#", assert(1, 2, 3)))
end)
it("fails at the line", function()
  assert.equal(1, 2)
end)
`)
	res := specRun(t, dir, "test", "a_spec.lua")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{
		"ok      a_spec.lua: reports",
		"FAIL    a_spec.lua: fails at the line",
		"        a_spec.lua:22: expected 1, got 2",
		"1 passed, 1 failed, 0 pending",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
}

// Hooks run in busted's order; after_each runs after a failure too; setup
// failures fail the block's tests.
func TestCLITestHooks(t *testing.T) {
	dir := t.TempDir()
	cliWriteFile(t, dir, "hooks_spec.lua", `
local log = {}
local function add(s) log[#log + 1] = s end
describe("outer", function()
  setup(function() add("setup") end)
  teardown(function() add("teardown") end)
  before_each(function() add("before") end)
  after_each(function() add("after") end)
  it("one", function() add("one") end)
  describe("inner", function()
    before_each(function() add("inner before") end)
    after_each(function() add("inner after") end)
    it("two", function() add("two"); error("two failed") end)
  end)
end)
describe("broken setup", function()
  setup(function() error("no database") end)
  it("never runs", function() add("never") end)
end)
it("checks the order", function()
  assert.same({"setup", "before", "one", "after",
    "before", "inner before", "two", "inner after", "after", "teardown"}, log)
end)
`)
	res := specRun(t, dir, "test")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{
		"ok      hooks_spec.lua: outer one",
		"FAIL    hooks_spec.lua: outer inner two",
		"hooks_spec.lua:13: two failed",
		"FAIL    hooks_spec.lua: broken setup never runs",
		"setup failed: hooks_spec.lua:17: no database",
		"ok      hooks_spec.lua: checks the order",
		"2 passed, 2 failed, 0 pending",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
}

// Everything a test starts is ended after it; a test that leaves a process
// running fails, and so does one whose process escapes the cleanup. What
// setup starts lives until teardown and is then ended without failing.
func TestCLITestIsolation(t *testing.T) {
	dir := t.TempDir()
	// Durations unique to this run: other test processes on the machine
	// run the same spec.
	tag := fmt.Sprintf("%04d", time.Now().UnixNano()%10000)
	cliWriteFile(t, dir, "iso_spec.lua", strings.ReplaceAll(`
local shared
describe("with a server", function()
  setup(function()
    shared = process.session()
    shared:start("sleep 300.4242")
  end)
  it("sees the setup's session", function()
    assert.truthy(process.get_session(shared.id))
  end)
  teardown(function() end)
end)
it("leaves a command", function()
  process.session():start("sleep 301.4242")
end)
it("leaves a pty", function()
  process.pty{command = "sleep 302.4242"}
end)
it("leaves a task", function()
  process.spawn(function() process.sleep(0.2) end)
end)
it("escapes the cleanup", function()
  os.execute("setsid sleep 303.4242 >/dev/null 2>&1 < /dev/null &")
end)
it("finds nothing left by earlier tests", function()
  assert.equal(0, #process.list_sessions())
  assert.is_nil(process.get_session(shared.id)) -- the setup's session ended after the block
end)
it("cleans up after itself", function()
  local s = process.session()
  local c = s:start("sleep 5")
  c:kill()
  c:wait()
  s:delete()
end)
`, "4242", tag))
	res := specRun(t, dir, "test")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	for _, re := range []string{
		`ok      iso_spec.lua: with a server sees the setup's session`,
		`FAIL    iso_spec.lua: leaves a command .*\n\s+left running after the test: command "sleep 301.` + tag + `" in session`,
		`FAIL    iso_spec.lua: leaves a pty .*\n\s+left running after the test: pty `,
		`ok      iso_spec.lua: leaves a task`,
		`FAIL    iso_spec.lua: escapes the cleanup .*\n\s+left running after the test: process \d+ \(sleep 303.` + tag + `\), killed`,
		`ok      iso_spec.lua: finds nothing left by earlier tests`,
		`ok      iso_spec.lua: cleans up after itself`,
		`4 passed, 3 failed, 0 pending`,
	} {
		if !regexp.MustCompile(re).MatchString(res.stdout) {
			t.Errorf("output does not match %q:\n%s", re, res.stdout)
		}
	}
}

func TestCLITestFormats(t *testing.T) {
	dir := t.TempDir()
	cliWriteFile(t, dir, "f_spec.lua", `
describe("suite", function()
  it("passes", function() print("some output") end)
  it("fails", function() assert.equal(1, 2) end)
  pending("later")
  it("also later")
end)
`)
	t.Run("tap", func(t *testing.T) {
		res := specRun(t, dir, "test", "--format", "tap")
		if res.code != 1 {
			t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
		}
		var plan []string
		for _, l := range strings.Split(res.stdout, "\n") {
			if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "not ok ") || strings.HasPrefix(l, "1..") || strings.HasPrefix(l, "# ") || strings.HasPrefix(l, "TAP") {
				plan = append(plan, l)
			}
		}
		want := []string{
			"TAP version 13",
			"# some output",
			"ok 1 - suite passes",
			"not ok 2 - suite fails",
			"ok 3 - suite later # SKIP pending",
			"ok 4 - suite also later # SKIP pending",
			"1..4",
		}
		if strings.Join(plan, "\n") != strings.Join(want, "\n") {
			t.Errorf("TAP lines:\n%s\nwant:\n%s\nfull output:\n%s", strings.Join(plan, "\n"), strings.Join(want, "\n"), res.stdout)
		}
		if !strings.Contains(res.stdout, "f_spec.lua:4: expected 1, got 2") {
			t.Errorf("TAP diagnostics lack the failure:\n%s", res.stdout)
		}
	})
	t.Run("junit", func(t *testing.T) {
		res := specRun(t, dir, "test", "--format", "junit")
		if res.code != 1 {
			t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
		}
		var doc struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Skipped  int `xml:"skipped,attr"`
			Suites   []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name    string `xml:"name,attr"`
					Failure *struct {
						Message string `xml:"message,attr"`
					} `xml:"failure"`
					Skipped *struct{} `xml:"skipped"`
					Out     string    `xml:"system-out"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(res.stdout), &doc); err != nil {
			t.Fatalf("not XML: %v\n%s", err, res.stdout)
		}
		if doc.Tests != 4 || doc.Failures != 1 || doc.Skipped != 2 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 4 {
			t.Fatalf("counts: %+v\n%s", doc, res.stdout)
		}
		cs := doc.Suites[0].Cases
		if cs[0].Name != "suite passes" || cs[0].Out != "some output\n" || cs[0].Failure != nil {
			t.Errorf("first case: %+v", cs[0])
		}
		if cs[1].Failure == nil || cs[1].Failure.Message != "f_spec.lua:4: expected 1, got 2" {
			t.Errorf("second case: %+v", cs[1])
		}
		if cs[2].Skipped == nil || cs[3].Skipped == nil {
			t.Errorf("pending cases not skipped: %+v", cs)
		}
	})
	t.Run("filter", func(t *testing.T) {
		res := specRun(t, dir, "test", "--filter", "^suite pa", "--format", "tap")
		if res.code != 0 || !strings.Contains(res.stdout, "ok 1 - suite passes\n") || !strings.Contains(res.stdout, "1..1\n") {
			t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
}

func TestCLITestTimeoutAndErrors(t *testing.T) {
	dir := t.TempDir()
	cliWriteFile(t, dir, "slow_spec.lua", `
it("hangs", function() process.exec("sleep 30") end)
it("runs after", function() end)
`)
	res := specRun(t, dir, "test", "--timeout", "0.5")
	if res.code != 1 || !regexp.MustCompile(`FAIL    slow_spec.lua: hangs .*\n.*stopped after 500ms`).MatchString(res.stdout) ||
		!strings.Contains(res.stdout, "ok      slow_spec.lua: runs after") {
		t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// os.exit in a test fails it and ends the run.
	exit := t.TempDir()
	cliWriteFile(t, exit, "a_spec.lua", `it("exits", function() os.exit(3) end)
it("never runs", function() end)`)
	cliWriteFile(t, exit, "b_spec.lua", `it("never runs either", function() end)`)
	res = specRun(t, exit, "test")
	if res.code != 1 || !strings.Contains(res.stdout, "FAIL    a_spec.lua: exits") || !strings.Contains(res.stdout, "os.exit(3) called in a test") ||
		strings.Contains(res.stdout, "never runs") || !strings.Contains(res.stderr, "a_spec.lua: os.exit(3) called in a test") {
		t.Errorf("os.exit: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	bad := t.TempDir()
	cliWriteFile(t, bad, "syntax_spec.lua", "it('x', function() end\n")
	res = specRun(t, bad, "test")
	if res.code != 1 || !strings.Contains(res.stdout, "FAIL    syntax_spec.lua: (file)") {
		t.Errorf("syntax error: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"test", "--format", "xml"}, 2, `unknown format "xml"`},
		{[]string{"test", "nonexistent"}, 2, "no such file"},
		{[]string{"test", "--nope"}, 2, "flag provided but not defined"},
		{[]string{"test", t.TempDir()}, 1, "no *_test.lua or *_spec.lua files"},
	} {
		res := specRun(t, dir, c.args...)
		if res.code != c.code || !strings.Contains(res.stderr, c.msg) {
			t.Errorf("%q: exit %d, want %d with %q\nstderr: %s", c.args, res.code, c.code, c.msg, res.stderr)
		}
	}
}

// The sandbox profile has no os.execute; the runner still works.
func TestCLITestSandbox(t *testing.T) {
	dir := t.TempDir()
	cliWriteFile(t, dir, "s_spec.lua", `
it("has no os.execute", function() assert.is_nil(os.execute) end)
it("runs commands", function() assert.equal("x\n", process.exec("echo x").stdout) end)
`)
	res := specRun(t, dir, "--sandbox", "test")
	if res.code != 0 || !strings.Contains(res.stdout, "2 passed, 0 failed") {
		t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// A file that declares no tests is one test: it passes when it runs, and
// like a script run what it leaves running is ended, not a failure.
func TestCLITestPlainScript(t *testing.T) {
	dir := t.TempDir()
	cliWriteFile(t, dir, "plain_test.lua", `
local s = process.session()
s:start("sleep 304.4242")
assert(process.exec("true").ok)
`)
	cliWriteFile(t, dir, "broken_test.lua", `error("broken script")`)
	res := specRun(t, dir, "test")
	for _, want := range []string{
		"FAIL    broken_test.lua: (file)",
		"broken_test.lua:1: broken script",
		"ok      plain_test.lua: (file)",
		"1 passed, 1 failed, 0 pending",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
}

// The project's own Lua test scripts run through procsh test too (their Go
// driver, TestLuaScripts, stays the main way to run them).
func TestCLITestProjectLuaScripts(t *testing.T) {
	dir := "lua"
	if _, err := os.Stat("../luabind/testdata"); err == nil {
		dir = "../luabind/testdata"
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.lua"))
	var full, sandbox []string
	for _, f := range files {
		switch base := filepath.Base(f); {
		case base == "exec.lua": // needs script arguments
		case strings.HasPrefix(base, "sandbox_"):
			sandbox = append(sandbox, f)
		default:
			full = append(full, f)
		}
	}
	if len(full) == 0 || len(sandbox) == 0 {
		t.Fatalf("no Lua test scripts in %s: %q", dir, files)
	}
	for _, c := range []struct {
		pre   []string
		files []string
	}{{nil, full}, {[]string{"--sandbox"}, sandbox}} {
		res := specRun(t, ".", append(append(c.pre, "test"), c.files...)...)
		want := fmt.Sprintf("%d passed, 0 failed, 0 pending", len(c.files))
		if res.code != 0 || !strings.Contains(res.stdout, want) {
			t.Errorf("%q: exit %d, want 0 and %q\n%s%s", c.files, res.code, want, res.stdout, res.stderr)
		}
	}
}

// Against a server, tests run remotely and the isolation still ends and
// reports what a test left running (the stray scan is local only).
func TestCLITestRemote(t *testing.T) {
	srv := cliStartServer(t, "tok-luatest")
	dir := t.TempDir()
	cliWriteFile(t, dir, "remote_spec.lua", `
it("runs remotely", function()
  assert.equal("r\n", process.exec("echo r").stdout)
end)
it("leaves a command", function()
  process.session():start("sleep 305.4242")
end)
it("finds it ended", function()
  assert.equal(0, #process.list_sessions())
end)
`)
	res := specRun(t, dir, "--server", srv.url, "--token", "tok-luatest", "test", "--format", "tap")
	want := []string{"ok 1 - runs remotely", "not ok 2 - leaves a command", `left running after the test: command "sleep 305.4242"`, "ok 3 - finds it ended", "1..3"}
	for _, w := range want {
		if !strings.Contains(res.stdout, w) {
			t.Errorf("output lacks %q:\n%s%s", w, res.stdout, res.stderr)
		}
	}
	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
}
