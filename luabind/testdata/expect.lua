-- cmd:expect over a session command's output (no PTY), and the
-- informative timeout of both expects.
local t = require("t")

local s = process.session()
local c = s:start([[printf 'Name? '; read name; echo "hello $name"; printf 'Age? '; read age; echo "age=$age"]])
local i, m = c:expect("Name\\? $")
t.eq(i, 1)
t.eq(m.match, "Name? ")
c:send("bob\n")
i, m = c:expect({"nope", "hello (\\w+)"}, {timeout = 10})
t.eq({i, m.groups[1]}, {2, "bob"})
c:expect({exact = "Age? "})
c:send("42\n")
i, m = c:expect("age=(\\d+)")
t.eq(m.groups[1], "42")
-- after the end of output: process.EOF matches, or nil, "eof", "closed"
i, m = c:expect({"zzz", process.EOF})
t.eq({i, m.eof}, {2, true})
t.eq({c:expect("zzz")}, {nil, "eof", "closed"})
t.eq(c:wait().exit_code, 0)
-- stderr is part of the stream too
t.eq(s:start("echo only-err >&2"):expect({exact = "only-err"}), 1)

-- a timeout names the patterns and shows the output's tail, with a hint
-- when a pattern looks like a Lua pattern
local c2 = s:start("echo 'item-2 ready'; sleep 30")
local n, msg, kind = c2:expect({"item%-2", {exact = "x"}}, {timeout = 0.2})
t.eq({n, kind}, {nil, "timeout"})
t.ok(msg:find('^cmd:expect: timeout after 200ms waiting for "item%%%-2" or {exact="x"}'), msg)
t.ok(msg:find("not Lua patterns", 1, true), msg)
t.ok(msg:find('unmatched output: "item-2 ready\\n"', 1, true), msg)
local ti = c2:expect({"never", process.TIMEOUT}, {timeout = 0.05})
t.eq(ti, 2)
c2:kill("KILL")
t.raises(function() c2:expect("x", {tiemout = 1}) end, 'unknown option "tiemout"')
t.raises(function() c2:expect({}) end, "cmd:expect: bad argument #1 %(patterns%): empty list")

-- the default timeout is 30 s (pexpect's): checked through the message of
-- a PTY created with a short default instead of waiting 30 s here
local p = process.pty{command = "sleep 30", timeout = 0.1}
local _, pmsg = p:expect("never")
t.ok(pmsg:find("timeout after 100ms", 1, true), pmsg)
p:kill()
