-- Short and safe scripts: argv commands, process.quote, stdin=, check=true
-- and process.with.
local t = require("t")

-- argv commands run word for word: no splitting, globbing or expansion
local words = {"a b", "$HOME", "it's", "*", "", "-n", "x;y", "`id`"}
local r = process.exec({"printf", "[%s]", unpack(words)})
t.eq(r.stdout, "[a b][$HOME][it's][*][][-n][x;y][`id`]")
t.raises(function() process.exec({}) end, "process.exec: bad argument #1 %(command%): empty list")
t.raises(function() process.exec({"echo", {}}) end, "process.exec: bad argument #1 %(command%): element 2 must be a string")
t.raises(function() process.exec(true) end, "string or list of strings expected, got boolean")

t.eq(process.quote("plain"), "plain")
t.eq(process.quote("a b"), "'a b'")
t.eq(process.quote("it's"), [['it'\''s']])
t.eq(process.quote{"echo", "x y", "$Z"}, "echo 'x y' '$Z'")
t.eq(process.exec("printf %s " .. process.quote("a;b $HOME")).stdout, "a;b $HOME")
t.raises(function() process.quote(nil) end, "process.quote: bad argument #1")

local s = process.session()
t.eq(s:run({"printf", "%s", "x y"}).stdout, "x y")
t.eq(s:start({"printf", "%s", "$PATH"}):wait().stdout, "$PATH")

-- stdin: written, then EOF; byte-exact
local bin = "a\0b'\\\n\255 %s $X `x`"
t.eq(process.exec("cat", {stdin = bin}).stdout, bin)
t.eq(process.exec({"cat"}, {stdin = ""}).stdout, "")
t.eq(process.exec("wc -c", {stdin = string.rep("x", 200000)}).stdout:match("%d+"), "200000")
t.eq(s:run("cat", {stdin = bin}).stdout, bin)
t.eq(s:run("tr a-z A-Z", {stdin = "hi", timeout = 10}).stdout, "HI")
t.eq(s:start("cat", {stdin = "from start"}):wait().stdout, "from start")
t.raises(function() process.exec("cat", {stdin = {}}) end, 'option "stdin": string expected')
-- a command that ends without reading its stdin is not an error
for _ = 1, 20 do
	t.eq(s:run("true", {stdin = "unread"}).exit_code, 0)
	t.eq(s:start("true", {stdin = "unread"}):wait().exit_code, 0)
end
-- stdin on code_run: the program reads it, then EOF; argv[0] is still "-"
t.eq(process.code_run("import sys; d = sys.stdin.buffer.read(); print(repr(d), sys.argv[0])", {stdin = "a\0\255'"}).result,
	"b\"a\\x00\\xff'\" -\n")
t.eq(process.code_run("print(input() * 2)", {stdin = "ab\n"}).result, "abab\n")
t.eq(process.code_run("let d = ''; process.stdin.on('data', c => d += c).on('end', () => console.log(d.length))",
	{language = "javascript", stdin = string.rep("y", 300000)}).result, "300000\n")
t.raises(function() process.code_run("print(1)", {stdin = {}}) end, 'option "stdin": string expected')

-- check = true: a failure raises an error object naming the command, the
-- status and the tail of stderr
local ok, err = pcall(function() return process.exec("echo out; echo boom >&2; exit 3", {check = true}) end)
t.eq(ok, false)
t.eq(err.kind, "failed")
t.eq(err.result.exit_code, 3)
t.ok(tostring(err):find("scripting.lua:%d+: process.exec: echo out; echo boom >&2; exit 3: exit status 3\nboom$"), tostring(err))
t.eq(err.message, tostring(err))
t.ok(("x: " .. err):find("^x: .*exit status 3"), "concatenation uses the message")
local _, gerr = pcall(process.exec, "exit 2", {check = true}) -- called from Go: no position
t.ok(tostring(gerr):find("^process.exec: exit 2: exit status 2$"), tostring(gerr))
local _, terr = pcall(process.exec, "sleep 5", {timeout = 0.1, check = true})
t.eq(terr.kind, "timeout")
t.ok(tostring(terr):find("timed out"), tostring(terr))
local _, serr = pcall(process.exec, "kill -KILL $$", {check = true})
t.eq(serr.kind, "failed")
t.ok(tostring(serr):find("killed by signal KILL") or tostring(serr):find("exit status 137"), tostring(serr))
t.eq(process.exec("true", {check = true}).ok, true)
local _, rerr = pcall(s.run, s, "echo nope >&2; false", {check = true})
t.eq(rerr.kind, "failed")
t.ok(tostring(rerr):find("session:run: echo nope >&2; false: exit status 1\nnope"), tostring(rerr))
local _, rerr2 = pcall(s.run, s, "exit 4", {check = true, timeout = 10})
t.eq(rerr2.result.exit_code, 4)
local _, cerr = pcall(process.code_run, "import sys; sys.exit(5)", {check = true})
t.eq(cerr.kind, "failed")
t.eq(cerr.result.exit_code, 5)
t.eq(process.exec("false").ok, false) -- without check a failure is data

-- process.with: scoped defaults
local tmp = process.exec("mktemp -d").stdout:gsub("\n$", "")
local a, b = process.with({cwd = tmp, env = {A = "1"}, check = true}, function(x)
	t.eq(process.exec("pwd").stdout, tmp .. "\n")
	t.eq(process.exec("echo $A$B", {env = {B = "2"}}).stdout, "12\n")
	t.eq(process.exec("pwd", {cwd = "/"}).stdout, "/\n")
	local ok2, e = pcall(process.exec, "false")
	t.eq({ok2, e.kind}, {false, "failed"})
	t.eq(process.exec("false", {check = false}).ok, false)
	t.eq(process.session():run("pwd; echo $A").stdout, tmp .. "\n1\n")
	t.eq(process.spawn(function() return process.exec("pwd").stdout end):wait(), tmp .. "\n")
	process.with({env = {A = "inner"}, timeout = 0.2}, function()
		t.eq(process.exec("echo $A; pwd").stdout, "inner\n" .. tmp .. "\n")
		local _, te = pcall(process.exec, "sleep 5")
		t.eq(te.kind, "timeout")
	end)
	t.eq(process.exec("echo $A").stdout, "1\n")
	return x, "second"
end, "first")
t.eq({a, b}, {"first", "second"})
t.eq(process.exec("false").ok, false) -- defaults ended with the block
t.eq(process.exec("pwd").stdout == tmp .. "\n", false)
t.eq(pcall(process.with, {check = true}, function() error("inside") end), false)
t.eq(process.exec("false").ok, false) -- also after an error
t.raises(function() process.with({chek = true}, function() end) end, 'unknown option "chek"')
t.raises(function() process.with({}) end, "process.with: bad argument #2 %(fn%)")
process.exec({"rm", "-rf", tmp}, {check = true})
