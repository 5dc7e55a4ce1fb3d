-- PTY objects: expect with regexp/exact/sentinels, groups, send helpers,
-- resize, wait, kill, output callbacks, info/list/get/kill_pty, errors.
local t = require("t")

local p = process.pty{command = {"/bin/sh"}, cols = 100, rows = 30, env = {PS1 = "PROMPT> "}}
t.ok(type(p.id) == "string")
local i, m = p:expect({exact = "PROMPT> "}, {timeout = 5})
t.eq(i, 1)
t.eq(m.match, "PROMPT> ")

assert(p:send_line("echo $((6*7)) answer"))
local i2, m2 = p:expect({"(\\d+) answer\\r?\\n", process.TIMEOUT}, {timeout = 5})
t.eq(i2, 1)
t.eq(m2.groups[1], "42")
p:expect({exact = "PROMPT> "})

-- stty reports the size; resize changes it
assert(p:send_line("stty size"))
p:expect("30 100")
p:expect({exact = "PROMPT> "})
t.eq(p:resize(120, 40), true)
assert(p:send_line("stty size"))
p:expect("40 120")
p:expect({exact = "PROMPT> "})
local info = p:info()
t.eq(info.cols, 120)
t.eq(info.rows, 40)
t.eq(info.active, true)
local listed = false
for _, pi in ipairs(process.list_ptys()) do if pi.id == p.id then listed = true end end
t.ok(listed)
-- get_pty looks a PTY up and returns an object, as get_session does: a
-- second attachment that can drive the same PTY and is closed (not killed)
-- at the end of the run.
local same = process.get_pty(p.id)
t.eq(tostring(same), "pty " .. p.id)
t.eq(same.id, p.id)
t.eq(same:info().cols, 120)
t.eq(same:close(), true)
t.eq(p:info().active, true)
t.eq(process.resize_pty(p.id, 80, 24).cols, 80)

-- timeout without sentinel: nil, a message naming the patterns and the
-- unmatched output, "timeout"; with sentinel: its index
local n, msg, kind = p:expect("never-printed", {timeout = 0.1})
t.eq({n, kind}, {nil, "timeout"})
t.ok(msg:find('^pty:expect: timeout after 100ms waiting for "never%-printed"; unmatched output: '), msg)
local ti, tm = p:expect({"never-printed", process.TIMEOUT}, {timeout = 0.1})
t.eq(ti, 2)
t.eq(tm.timed_out, true)

-- Ctrl-C interrupts a running program
assert(p:send_line("sleep 30"))
process.sleep(0.2)
assert(p:send_control("c"))
p:expect({exact = "PROMPT> "}, {timeout = 5})

-- output callbacks see the output
local seen = ""
p:on_output(function(data) seen = seen .. data end)
assert(p:send_line("echo callback-data"))
p:expect("callback%-data|callback-data\\r?\\n")
p:expect({exact = "PROMPT> "})
process.sleep(0.05)
t.ok(seen:find("callback-data", 1, true), "on_output saw the output: " .. seen)

-- exit: EOF sentinel and wait
assert(p:send_line("exit 3"))
local ei = p:expect({process.EOF}, {timeout = 5})
t.eq(ei, 1)
local w = p:wait(5)
t.eq(w.exit_code, 3)
t.eq(w.reason, "non-zero exit")
-- after EOF without the sentinel: nil, "eof", "closed"
local en, emsg, ekind = p:expect("x", {timeout = 1})
t.eq({en, emsg, ekind}, {nil, "eof", "closed"})

-- on_output as an option; raw send; buffered output not consumed yet
local chunks = {}
local o = process.pty{command = "cat", on_output = function(data) chunks[#chunks + 1] = data end}
assert(o:send("raw-input\n"))
o:expect({exact = "raw-input"}, {timeout = 5})
o:send("pending-data\n")
for _ = 1, 500 do
	if o:buffered():find("pending-data", 1, true) then break end
	process.sleep(0.01)
end
t.ok(o:buffered():find("pending-data", 1, true), "buffered: " .. o:buffered())
for _ = 1, 500 do
	if table.concat(chunks):find("pending-data", 1, true) then break end
	process.sleep(0.01)
end
t.ok(table.concat(chunks):find("raw-input", 1, true))
t.eq(o:kill(), true)

-- attach_pty: a second attachment to a running PTY, with scrollback; it
-- sees the output and its input reaches the program.
local host = process.pty{command = "cat"}
assert(host:send_line("before-attach"))
host:expect("before%-attach|before-attach")
local att = assert(process.attach_pty(host.id, {scrollback = true}))
local sb = att:scrollback()
t.ok(sb:find("before-attach", 1, true), "scrollback: " .. sb)
assert(att:send_line("from-attachment"))
host:expect("from%-attachment|from-attachment")
att:expect("from%-attachment|from-attachment")
t.eq(att:close(), true)
t.eq(host:info().active, true) -- closing an attachment leaves the PTY running
local _, _, ak = process.attach_pty("no-such-pty")
t.eq(ak, "not_found")
t.raises(function() process.attach_pty(host.id, {scrolback = true}) end, 'unknown option "scrolback"')
host:kill()

-- a command string runs through sh -c; wait with timeout does not kill
local q = process.pty{command = "sleep 30"}
local wn, wm, wk = q:wait(0.05)
t.eq({wn, wm, wk}, {nil, "timeout", "timeout"})
t.eq(q:kill(), true)
local _, _, gk = process.get_pty("no-such-pty")
t.eq(gk, "not_found")
local _, _, kk = process.kill_pty("no-such-pty")
t.eq(kk, "not_found")

-- a killed PTY reports how it ended; a closed PTY object refuses input
local kp = process.pty{command = "sleep 30"}
assert(kp:kill())
local kw = kp:wait(5)
t.eq(kw.exit_code, 137)
t.eq(kw.reason, "SIGKILL")
local cp = process.pty{command = "cat"}
t.eq(cp:close(), true)
local cn, _, ck = cp:send("x")
t.eq(cn, nil)
t.eq(ck, "closed")
process.kill_pty(cp.id)

-- duplicate id → conflict
local d1 = process.pty{id = "lua-dup-pty", command = "sleep 30"}
local d2, _, dk = process.pty{id = "lua-dup-pty", command = "sleep 30"}
t.eq({d2, dk}, {nil, "conflict"})
t.eq(process.kill_pty("lua-dup-pty"), true)

-- strip_ansi is a PTY setting; per call it may only repeat it
local n2, msg2, kind2 = p:expect("zzz", {timeout = 0.01, strip_ansi = true})
t.eq(kind2, "closed") -- (p has exited: end of output)
t.raises(function() p:expect("zzz", {strip_ansi = false}) end, 'option "strip_ansi"')
local raw = process.pty{command = "printf '\\033[31mred\\033[0m\\n'; sleep 1", strip_ansi = false}
local _, rm = raw:expect("\27\\[31mred", {timeout = 5})
t.eq(rm.match, "\27[31mred")
raw:kill()

-- programmer errors
t.raises(function() process.pty{colz = 3} end, 'process.pty: bad argument #%d %(opts%): unknown option "colz"')
t.raises(function() p:expect({{nope = 1}}) end, "pty:expect: bad argument #1 %(patterns%)")
t.raises(function() p:expect("(") end, "pty:expect: bad argument #1")
t.raises(function() p:send_control("F1") end, "pty:send_control: bad argument #1 %(key%)")
t.raises(function() p:resize(0, 10) end, "pty:resize: bad argument")

-- recording: an asciicast v2 file with output events
local path = os.tmpname()
local rec = process.pty{command = "sleep 0.3; echo recorded-line", record = path, cols = 90, rows = 20}
assert(rec:resize(100, 30))
rec:expect(process.EOF, {timeout = 5})
rec:wait(5)
rec:close()
local f = assert(io.open(path))
local text = f:read("*a")
f:close()
os.remove(path)
t.ok(text:find('^{[^\n]*"version":2'), text)
t.ok(text:find('%[[%d.]+, "o", "recorded%-line'), text)
t.ok(text:find('"width":90,"height":20', 1, true), text)
t.ok(text:find('"r", "100x30"', 1, true), text)

-- a PTY left running is killed at the end of the run
process.pty{command = "sleep 300"}
