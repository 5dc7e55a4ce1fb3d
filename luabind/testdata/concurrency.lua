-- The concurrency contract: blocking calls in every position, tasks that
-- keep running while another waits, cross-task waits, callbacks firing
-- while the main task waits.
local t = require("t")

local log = {}
local function note(s) log[#log + 1] = s end

-- Blocking inside pcall and xpcall: the call returns normally and errors
-- raised after a wait are caught.
local ok, err = pcall(function()
	process.sleep(0.01)
	local r = process.exec("echo in-pcall")
	t.eq(r.stdout, "in-pcall\n")
	error("after-wait")
end)
t.eq(ok, false)
t.ok(tostring(err):find("after-wait", 1, true))
local xok, xerr = xpcall(function()
	process.sleep(0.01)
	error("x-after-wait")
end, function(e) return "handled: " .. tostring(e) end)
t.eq(xok, false)
t.ok(xerr:find("handled: .*x%-after%-wait"))
t.eq(select("#", pcall(process.sleep, 0.01)), 1)

-- Blocking inside a generic-for iterator written in Lua.
local function ticker(n)
	local i = 0
	return function()
		i = i + 1
		if i > n then return nil end
		process.sleep(0.01)
		return i
	end
end
local seen = {}
for i in ticker(3) do seen[#seen + 1] = i end
t.eq(seen, {1, 2, 3})

-- Blocking inside user coroutines (create/resume and wrap), with yields.
local co = coroutine.create(function(a)
	process.sleep(0.01)
	local b = coroutine.yield(a + 1)
	local r = process.exec("echo " .. b)
	return r.stdout
end)
local ok1, v1 = coroutine.resume(co, 1)
t.eq({ok1, v1}, {true, 2})
local ok2, v2 = coroutine.resume(co, "co-exec")
t.eq({ok2, v2}, {true, "co-exec\n"})
t.eq(coroutine.status(co), "dead")
local gen = coroutine.wrap(function()
	for i = 1, 3 do process.sleep(0.005); coroutine.yield(i) end
end)
t.eq({gen(), gen(), gen()}, {1, 2, 3})

-- Blocking in a metamethod.
local lazy = setmetatable({}, {__index = function(_, k) process.sleep(0.005); return k .. "!" end})
t.eq(lazy.x, "x!")

-- Tasks run while the main task waits, and return values.
local a = process.spawn(function(x)
	note("a:start")
	process.sleep(0.05)
	note("a:end")
	return x * 2, "two"
end, 21)
local b = process.spawn(function()
	note("b:start")
	return process.exec("echo b").stdout
end)
t.eq(log, {}) -- tasks start only when the spawner blocks
local r1, r2 = a:wait()
t.eq({r1, r2}, {42, "two"})
t.eq(b:wait(), "b\n")
t.eq(a:done(), true)
table.sort(log)
t.eq(log, {"a:end", "a:start", "b:start"})

-- A task that waits for something another task does later does not
-- deadlock: the waiter starts first.
local flag = false
local waiter = process.spawn(function()
	local later = process.spawn(function() process.sleep(0.02); flag = true; return "set" end)
	local v = later:wait()
	return v, flag
end)
local v, f = waiter:wait()
t.eq({v, f}, {"set", true})

-- Cross-task wait on a command started by another task.
local s = process.session()
local shared
local starter = process.spawn(function()
	process.sleep(0.02)
	shared = s:start("sleep 0.05; echo shared")
end)
local consumer = process.spawn(function()
	while not shared do process.sleep(0.005) end
	return shared:wait().stdout
end)
t.eq(consumer:wait(), "shared\n")
starter:wait()

-- wait_all / wait_any over tasks and commands.
local s2 = process.session()
local c1 = s2:start("echo one")
local tk = process.spawn(function() process.sleep(0.01); return "task" end)
local all = process.wait_all({c1, tk})
t.eq(all[1].stdout, "one\n")
t.eq(all[2], "task")
local fast = process.spawn(function() return "fast" end)
local slow = process.spawn(function() process.sleep(5) end)
local idx, val = process.wait_any({slow, fast})
t.eq({idx, val}, {2, "fast"})
-- every value of every task: wait_all's second result packs them, wait_any
-- returns them all after the index
local multi = process.spawn(function() return 1, nil, "three" end)
local none0 = process.spawn(function() end)
local firsts, packs = process.wait_all({multi, none0, c1})
t.eq(firsts[1], 1)
t.eq(firsts[2], nil)
t.eq(firsts[3].stdout, "one\n")
t.eq(packs[1], {n = 3, 1, nil, "three"})
t.eq(packs[2], {n = 0})
t.eq(packs[3].n, 1)
t.eq({process.wait_any({multi})}, {1, 1, nil, "three"})
local none, m, k = process.wait_any({slow}, 0.02)
t.eq({none, m, k}, {nil, "timeout", "timeout"})
local none2, _, k2 = process.wait_all({slow}, 0.02)
t.eq({none2, k2}, {nil, "timeout"})
local tnone, _, tk2 = slow:wait(0.01)
t.eq({tnone, tk2}, {nil, "timeout"})
slow:cancel()
t.raises(function() slow:wait() end, "canceled")
t.raises(function() process.wait_all({1}) end, "process.wait_all: bad argument #1 %(list%)")
t.raises(function() process.spawn("nope") end, "process.spawn: bad argument #1 %(fn%)")

-- A task's error is raised by wait (the same value), and by wait_all.
local bad = process.spawn(function() process.sleep(0.01); error({code = 7}) end)
local okb, eb = pcall(bad.wait, bad)
t.eq(okb, false)
t.eq(eb.code, 7)
local bad2 = process.spawn(function() error("boom") end)
t.raises(function() process.wait_all({bad2}) end, "boom")

-- Many tasks interleave: total time is about one sleep, not the sum.
local t0 = os.clock and os.time()
local tasks = {}
for i = 1, 50 do tasks[i] = process.spawn(function() process.sleep(0.1); return i end) end
local results = process.wait_all(tasks)
t.eq(#results, 50)
t.eq(results[50], 50)

-- Tasks the main chunk does not wait for still finish before the run ends.
process.spawn(function() process.sleep(0.05); print("late task done") end)

-- The stdlib's time.sleep releases the host lock like process.sleep.
local time = require("time")
local order = {}
local sleeper = process.spawn(function() time.sleep(0.05); order[#order + 1] = "sleeper" end)
local quick = process.spawn(function() order[#order + 1] = "quick" end)
process.wait_all({sleeper, quick})
t.eq(order, {"quick", "sleeper"})

-- Waiting for oneself is an error, not a hang.
local selfish
selfish = process.spawn(function() return selfish:wait() end)
t.raises(function() selfish:wait() end, "task:wait: a task cannot wait for itself")
local selfish2
selfish2 = process.spawn(function() return process.wait_all({selfish2}) end)
t.raises(function() selfish2:wait() end, "cannot wait for itself")
local sc = process.session()
local own
own = sc:start("echo x", {on_stdout = function() local ok, e = pcall(own.wait, own); own_err = e end})
own:wait()
t.ok(tostring(own_err):find("cannot wait for its own command"), tostring(own_err))

-- Two tasks that wait for each other: the second wait raises "deadlock"
-- instead of hanging; with a timeout it is an ordinary timeout.
local ta, tb
ta = process.spawn(function() process.sleep(0.01); return tb:wait() end)
tb = process.spawn(function() process.sleep(0.02); return ta:wait() end)
local oka, ea = pcall(ta.wait, ta)
local okb, eb = pcall(tb.wait, tb)
t.eq(oka or okb, false)
t.ok(tostring(ea):find("deadlock") or tostring(eb):find("deadlock"), tostring(ea) .. " / " .. tostring(eb))
local tc, td
tc = process.spawn(function() process.sleep(0.01); return td:wait(0.05) end)
td = process.spawn(function() process.sleep(0.01); return tc:wait() end)
t.eq({tc:wait()}, {nil, "timeout", "timeout"})

-- Lua threads are recycled: a task that runs on the thread of a finished
-- task (or of a finished command's callbacks) may still wait for it.
for _ = 1, 20 do
	local first = process.spawn(function() return "first" end)
	t.eq(first:wait(), "first")
	local second = process.spawn(function() return first:wait() end)
	t.eq(second:wait(), "first")
end
local rs = process.session()
for _ = 1, 5 do
	local cb = rs:start("echo x", {on_stdout = function() end})
	cb:wait()
	local tk = process.spawn(function() return cb:wait().exit_code end)
	t.eq(tk:wait(), 0)
end

-- A coroutine shared by two tasks: while one task's resume is parked in a
-- blocking call inside it, the other task's resume fails cleanly (as for a
-- running coroutine) instead of running the same thread twice.
local tried, entered = false, false
local shared_gen = coroutine.wrap(function()
	for i = 1, 3 do
		entered = true
		while not tried do process.sleep(0.005) end -- parked until the other task tried
		coroutine.yield(i)
	end
end)
local first = process.spawn(function() return shared_gen() end)
while not entered do process.sleep(0.005) end
local second = process.spawn(function()
	local ok, err = pcall(shared_gen)
	tried = true
	return ok, err
end)
t.eq(first:wait(), 1)
local sok, serr = second:wait()
t.eq(sok, false)
t.ok(tostring(serr):find("waiting in a blocking call"), tostring(serr))
t.eq(shared_gen(), 2) -- usable again once the first resume returned
local tried2, entered2 = false, false
local raw = coroutine.create(function()
	entered2 = true
	while not tried2 do process.sleep(0.005) end
	return "done"
end)
local r1 = process.spawn(function() return coroutine.resume(raw) end)
while not entered2 do process.sleep(0.005) end
local r2 = process.spawn(function()
	local res = {coroutine.resume(raw)}
	tried2 = true
	return unpack(res)
end)
t.eq({r1:wait()}, {true, "done"})
t.eq({r2:wait()}, {false, "cannot resume a coroutine that is waiting in a blocking call"})
-- wrap still raises the coroutine's errors and passes values through
local w = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); error("wrapped " .. b, 0) end)
t.eq(w(1), 2)
t.raises(function() w("boom") end, "wrapped boom")

-- Recursion well past gopher-lua's default 256 frames works, also in tasks.
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
t.eq(depth(900), 900)
t.eq(process.spawn(depth, 900):wait(), 900)
t.raises(function() depth(100000) end, "stack overflow")

-- A command's callback and a task that wait for each other: deadlock is
-- raised in one of them instead of a hang.
local dsess = process.session()
local T, X, cb_err
X = dsess:start("echo go", {on_stdout = function()
	while not T do process.sleep(0.005) end
	process.sleep(0.02)
	local ok, e = pcall(T.wait, T)
	cb_err = e
end})
T = process.spawn(function() return X:wait() end)
local tok, terr = pcall(T.wait, T)
X:wait(5)
t.ok(tostring(cb_err):find("deadlock") or tostring(terr):find("deadlock"), tostring(cb_err) .. " / " .. tostring(terr))
