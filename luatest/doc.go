// Package luatest is the busted-style test runner behind `procsh test`.
//
// Test files are Lua files named *_test.lua or *_spec.lua. They declare
// tests with busted's vocabulary, which the runner provides as globals:
//
//	describe("math", function()
//	  local n
//	  setup(function() ... end)          -- once, before the block's tests
//	  teardown(function() ... end)       -- once, after them
//	  before_each(function() n = 1 end)  -- before each test of the block (outer blocks first)
//	  after_each(function() end)         -- after each test, also when it failed (inner first)
//	  it("adds", function()
//	    assert.equal(2, n + 1)           -- expected first, then actual
//	    assert.same({1, {2}}, {1, {2}})  -- deep equality
//	    assert.truthy(n); assert.falsy(nil)
//	    assert.matches("^%d+$", "123")   -- Lua pattern
//	    assert.raises(function() error("boom") end, "boom")
//	    assert.are.equal(1, 1); assert.is_not.equal(1, 2); assert.is_nil(nil)
//	  end)
//	  pending("not written yet")
//	end)
//
// context is describe; test and spec are it; it(name) without a function
// is pending. Every assertion takes an optional message after its values.
// assert(v, msg) still works as Lua's assert. A failed assertion reports
// "file:line: expected X, got Y" at the line of the assertion.
//
// # Isolation
//
// Each test (with its before_each and after_each hooks) runs as a run of
// its own (luabind.Host.CallIsolated): once it has returned and its tasks
// and callback commands are done, everything it started is ended —
// commands killed, sessions deleted, PTYs killed, tasks cancelled. A test
// that leaves a command or PTY running fails, and so does one that leaves a
// process behind that the cleanup could not end (started with os.execute,
// daemonized, or detach=true): the runner marks every process with an
// environment variable (Watch) and kills and reports the strays. What a
// block's setup (or the file's top level) starts lives until the block's
// teardown has run (or the file's tests are done), so tests may share a
// server; it is then ended without failing anything, except for strays,
// which fail the block. A file that declares no tests is itself one test,
// named "(file)", that passes when it runs. Each file runs in a Lua host of
// its own.
//
// # Reports
//
// Text (default) prints a line per test and the failures' messages; TAP
// prints "ok N - <describe> <it>" / "not ok N - ..." lines with YAML
// diagnostics and what a test printed as "# " comments; JUnit prints one
// XML document at the end, a testsuite per file, what a test printed in
// system-out.
package luatest
