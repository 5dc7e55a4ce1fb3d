-- process.connect against a real procsh server on loopback (URL and token
-- passed as script arguments): the same API, bound to the remote backend.
local t = require("t")
local url, token = ...

local r = assert(process.connect(url, {token = token}))
t.eq(r.url, url)

local res = r.exec("echo remote; exit 2")
t.eq(res.exit_code, 2)
t.eq(res.result, "remote\n")

local s = r.session()
t.eq(s:run("export V=1").exit_code, 0)
t.eq(s:run("echo $V").stdout, "1\n")
local seen = {}
local c = s:start("echo a; echo b", {on_stdout = function(line) seen[#seen + 1] = line end})
c:wait()
t.eq(seen, {"a", "b"})
local lines = {}
for line in s:start("printf 'x\\ny'"):lines() do lines[#lines + 1] = line end
t.eq(lines, {"x", "y"})
local _, _, kind = r.get_session("nope")
t.eq(kind, "not_found")

local p = r.pty{command = {"/bin/sh"}, env = {PS1 = "R> "}}
p:expect({exact = "R> "}, {timeout = 10})
p:send_line("echo $((7*6))")
local i, m = p:expect("(\\d\\d)\\r?\\n", {timeout = 10})
t.eq(m.groups[1], "42")
p:send_line("exit")
p:expect(process.EOF, {timeout = 10})

-- a wrong token is an expected failure of kind "unauthorized"; a refused
-- connection is "unavailable"
local bad = assert(process.connect(url, {token = "wrong"}))
local none, msg, kind1 = bad.list_sessions()
t.eq(none, nil)
t.ok(type(msg) == "string")
t.eq(kind1, "unauthorized")
local dead = assert(process.connect("http://127.0.0.1:1"))
local _, _, k2 = dead.exec("true")
t.eq(k2, "unavailable")
-- argv commands and stdin work on a remote backend too (quoted for its shell)
t.eq(r.exec({"printf", "[%s]", "a b", "$HOME"}).stdout, "[a b][$HOME]")
t.eq(r.exec("cat", {stdin = "x\0y'"}).stdout, "x\0y'")
t.eq(r.code_run("import sys; print(repr(sys.stdin.buffer.read()))", {stdin = "x\0\255"}).result, "b'x\\x00\\xff'\n")
local rs = assert(r.session())
t.eq(rs:run({"printf", "%s", "it's"}, {stdin = ""}).stdout, "it's")
t.eq(r.close(), true)
