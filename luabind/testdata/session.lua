-- Sessions and command handles: run/start, wait, logs, stdin, kill, lines,
-- info, list/get/delete, and their error paths.
local t = require("t")

local s = process.session()
t.ok(type(s.id) == "string" and #s.id > 0)
t.ok(tostring(s):find(s.id, 1, true))

-- shell state persists between commands
t.eq(s:run("cd /tmp && export GREETING=hi").exit_code, 0)
local r = s:run("echo $GREETING from $(pwd); echo err >&2; exit 4")
t.eq(r.exit_code, 4)
t.eq(r.stdout, "hi from /tmp\n")
t.eq(r.stderr, "err\n")
t.eq(r.ok, false)
t.eq(r.timed_out, false)
t.ok(type(r.id) == "string")

-- session:run timeout kills the command
local slow = s:run("sleep 5", {timeout = 0.2})
t.eq(slow.timed_out, true)
t.eq(slow.ok, false)
t.ok(slow.duration < 4)
t.raises(function() s:run("x", {timeout = 1, tiemout = 2}) end, 'session:run: bad argument #%d %(opts%): unknown option "tiemout"')

-- named session with cwd/env
local named = process.session{id = "lua-named-" .. tostring(os.time()), cwd = "/", env = {K = "v"}}
t.eq(named:run("echo $K; pwd").stdout, "v\n/\n")
local dup, msg, kind = process.session(named.id)
t.eq(dup, nil)
t.eq(kind, "conflict")

-- get/list/delete
local got = assert(process.get_session(named.id))
t.eq(got.id, named.id)
local _, _, k2 = process.get_session("no-such-session")
t.eq(k2, "not_found")
local found = false
for _, info in ipairs(process.list_sessions()) do
	if info.id == named.id then
		found = true
		t.ok(#info.commands >= 1)
	end
end
t.ok(found, "named session listed")
local info = named:info()
t.eq(info.id, named.id)
t.eq(info.commands[1].command, "echo $K; pwd")
t.eq(info.commands[1].exit_code, 0)
t.eq(info.commands[1].done, true)
t.eq(#named:commands(), 1)
t.eq(named:delete(), true)
local _, _, k3 = named:info()
t.eq(k3, "not_found")
local _, _, k4 = process.delete_session(named.id)
t.eq(k4, "not_found")
t.eq(process.delete_session(process.session().id), true)

-- start returns at once; stdin, logs, wait
local cat = s:start("cat; echo done-cat")
t.ok(cat.id and cat.session_id == s.id and cat.command == "cat; echo done-cat")
local info2 = cat:info()
t.eq(info2.done, false)
t.eq(cat:send("line one\n"), true)
t.eq(cat:close_stdin(), true)
local cr = cat:wait()
t.eq(cr.exit_code, 0)
t.eq(cr.stdout, "line one\ndone-cat\n")
local logs = cat:logs()
t.eq(logs.stdout, "line one\ndone-cat\n")
t.eq(logs.output, "line one\ndone-cat\n")
t.eq(logs.stderr, "")
-- input to a finished command is an expected failure
local _, _, k5 = cat:send("late")
t.eq(k5, "closed")

-- wait with a timeout does not kill
local sl = s:start("sleep 0.5; echo woke")
local none, tmsg, tkind = sl:wait(0.05)
t.eq(none, nil)
t.eq(tmsg, "timeout")
t.eq(tkind, "timeout")
t.eq(sl:wait().stdout, "woke\n")

-- kill with names and numbers
-- (wait until the shell has started the command: a signal sent before
-- that may reach a process that has not yet set up its handlers)
local k = s:start("echo started; exec sleep 30")
for line in k:lines() do if line == "started" then break end end
t.eq(k:kill("INT"), true)
local kr = k:wait()
t.eq(kr.ok, false)
local k6 = s:start("echo started; exec sleep 30")
for line in k6:lines() do if line == "started" then break end end
t.eq(k6:kill(9), true)
t.eq(k6:wait().ok, false)
t.raises(function() k6:kill("NOPE") end, "cmd:kill: bad argument #1 %(signal%)")
t.raises(function() k6.wait() end, "cmd:wait: bad self")

-- lines(): both streams, last unterminated line, stream names
local lc = s:start("printf 'a\\nb\\n'; printf 'e1\\n' >&2; sleep 0.05; printf 'tail'")
-- (two pipes: order across streams is arrival order, so check each stream's)
local got = {stdout = {}, stderr = {}}
for line, stream in lc:lines() do table.insert(got[stream], line) end
t.eq(got, {stdout = {"a", "b", "tail"}, stderr = {"e1"}})

-- stdin larger than a pipe holds, to a command that does not read it:
-- the timeout still ends the command, and start still returns at once
local big = string.rep("y", 300000)
local to = s:run("sleep 5; echo later", {stdin = big, timeout = 0.3})
t.eq({to.exit_code, to.timed_out, to.stdout}, {143, true, ""})
t.ok(to.duration < 3, "run with unread stdin timed out in " .. to.duration .. " s")
local unread = s:start("sleep 5", {stdin = big})
t.eq(unread:kill(), true)
t.eq(unread:wait().exit_code, 143)
t.eq(s:run("wc -c", {stdin = big}).stdout, "300000\n")

-- a result past the default cap (64 MiB) says so
local cut = s:run("head -c 67108865 /dev/zero")
t.eq({#cut.stdout, cut.truncated}, {67108864, true})
cut = nil

-- session:command(id) attaches to an existing command
local again = assert(s:command(lc.id))
t.eq(again:wait().stdout, "a\nb\ntail")
local _, _, k7 = s:command("nope")
t.eq(k7, "not_found")

-- a started command that is never waited for is killed at the end of the run
s:start("sleep 300")
process.session():start("sleep 300")
