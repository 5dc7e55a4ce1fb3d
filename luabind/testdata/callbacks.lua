-- Log callbacks: options and methods, order, blocking inside callbacks,
-- cmd:wait() only after every callback ran, callbacks firing while the main
-- task waits for something else, on_exit for commands nobody waits for.
local t = require("t")
local s = process.session()

-- Options form; lines arrive in order with their stream; on_exit gets the result.
local out, errs, exit = {}, {}, nil
local cmd = s:start("for i in 1 2 3 4 5; do echo out$i; done; echo bad >&2; printf 'no-newline'", {
	on_stdout = function(line, stream) out[#out + 1] = line; t.eq(stream, "stdout") end,
	on_stderr = function(line, stream) errs[#errs + 1] = line; t.eq(stream, "stderr") end,
	on_exit = function(r) exit = r end,
})
local r = cmd:wait()
-- wait returned only after all callbacks, on_exit included
t.eq(out, {"out1", "out2", "out3", "out4", "out5", "no-newline"})
t.eq(errs, {"bad"})
t.ok(exit ~= nil, "on_exit ran before wait returned")
t.eq(exit.exit_code, 0)
t.eq(exit.stdout, r.stdout)
-- the result's output (collected from the callback stream) is complete
t.eq(r.stdout, "out1\nout2\nout3\nout4\nout5\nno-newline")
t.eq(r.stderr, "bad\n")
t.eq(#r.result, #r.stdout + #r.stderr)
t.eq(r.artifacts.stdout, r.result)
-- only stderr: stdout is empty
local eo = s:start("echo e1 >&2; echo e2 >&2", {on_stderr = function() end}):wait()
t.eq({eo.stdout, eo.stderr, eo.result}, {"", "e1\ne2\n", "e1\ne2\n"})

-- Method form, chained; callbacks that block (sleep, exec) inside.
local seen = {}
local c2 = s:start("echo x; echo y")
c2:on_stdout(function(line)
	process.sleep(0.01)
	local echo = process.exec("echo cb-" .. line).stdout
	seen[#seen + 1] = echo
end):on_exit(function(res) seen[#seen + 1] = "exit " .. res.exit_code end)
c2:wait()
t.eq(seen, {"cb-x\n", "cb-y\n", "exit 0"})

-- A callback drives the command: it answers a prompt through stdin.
local s2 = process.session()
local answered = false
local ask
ask = s2:start("echo 'name?'; read name; echo \"hello $name\"", {
	on_stdout = function(line, _)
		if line == "name?" then
			answered = true
			assert(ask:send("lua\n"))
		end
	end,
})
local ar = ask:wait(10)
t.ok(answered)
t.eq(ar.stdout, "name?\nhello lua\n")

-- Callbacks keep firing while the main task waits on something unrelated.
local ticks = {}
local tick = s:start("for i in 1 2 3; do echo t$i; sleep 0.03; done", {
	on_stdout = function(line) ticks[#ticks + 1] = line end,
})
-- Poll with sleeps (never waiting for tick itself) until all lines came.
for _ = 1, 1000 do
	if #ticks == 3 then break end
	process.sleep(0.01)
end
t.eq(ticks, {"t1", "t2", "t3"})
tick:wait()

-- Callbacks keep firing while another task blocks in a long wait.
local release = false
local blocker = process.spawn(function()
	while not release do process.sleep(0.01) end
	return "blocked"
end)
local got = {}
local fast = process.session():start("echo f1; echo f2", {on_stdout = function(l) got[#got + 1] = l end})
fast:wait()
t.eq(got, {"f1", "f2"})
t.eq(blocker:done(), false)
release = true
t.eq(blocker:wait(), "blocked")

-- Commands with callbacks that nobody waits for still deliver them before
-- the run ends (the run stays pending); the Go test checks the output.
s:start("sleep 0.1; echo unattended", {on_exit = function(res) print("on_exit: " .. res.stdout) end})
-- Detached commands do not keep the run alive (and are not killed).
s:start("true", {detach = true, on_exit = function() end})

-- While one command's callback blocks, other commands' callbacks run.
local order = {}
local sa, sb = process.session(), process.session()
local release = false
local ca = sa:start("echo a", {on_stdout = function(l)
	while not release do process.sleep(0.01) end
	order[#order + 1] = "A:" .. l
end})
local cb = sb:start("echo b1; echo b2", {on_stdout = function(l) order[#order + 1] = "B:" .. l end})
cb:wait()
release = true
ca:wait()
t.eq(order, {"B:b1", "B:b2", "A:a"})

-- on_data: raw chunks, byte-exact, beside line callbacks; every callback
-- receives the command handle (on_exit: result, cmd).
do
	local s2 = process.session()
	local data, streams, lines, handles = {}, {}, {}, {}
	local c
	c = s2:start([[printf 'a\0b\n'; printf 'err' >&2; sleep 0.05; printf 'Name? '; read x; echo "hi $x"]], {
		on_data = function(d, stream, h)
			data[#data + 1] = d
			streams[stream] = true
			handles[#handles + 1] = h
			if table.concat(data):find("Name%? $") then h:send("bob\n") end
		end,
		on_stdout = function(line, stream, h) lines[#lines + 1] = line; handles[#handles + 1] = h end,
		on_exit = function(r, h) handles[#handles + 1] = h; lines[#lines + 1] = "exit " .. r.exit_code end,
	})
	local r = c:wait()
	t.eq(r.exit_code, 0)
	local all = table.concat(data)
	t.ok(all:find("a\0b\n", 1, true) and all:find("err", 1, true) and all:find("Name? hi bob\n", 1, true), all)
	t.eq(#all, #"a\0b\n" + #"err" + #"Name? hi bob\n")
	t.eq(streams, {stdout = true, stderr = true})
	t.eq(lines, {"a\0b", "Name? hi bob", "exit 0"})
	for _, h in ipairs(handles) do t.ok(rawequal(h, c), "callback got another handle") end
	t.ok(#handles >= 4)
	-- on_data set later with cmd:on_data; lines still start at a line boundary
	local got = {}
	local c2 = s2:start("printf 'x\\ny'")
	c2:on_data(function(d) got[#got + 1] = d end)
	c2:wait()
	t.eq(table.concat(got), "x\ny")
end

-- PTY on_output receives the PTY object
do
	local box = {}
	local p = process.pty{command = "cat", on_output = function(d, pty) box.seen = pty end}
	p:send_line("hello")
	p:expect("hello", {timeout = 20})
	for _ = 1, 2000 do if box.seen then break end process.sleep(0.01) end
	t.ok(rawequal(box.seen, p), tostring(box.seen))
	p:kill()
end
