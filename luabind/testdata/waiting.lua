-- process.wait_for and process.retry.
local t = require("t")

-- a file appears after a while; other tasks run during the wait
local dir = process.exec("mktemp -d", {check = true}).stdout:gsub("\n$", "")
local ready = dir .. "/ready"
process.spawn(function() process.sleep(0.2); process.exec({"touch", ready}, {check = true}) end)
local t0 = os.clock()
t.eq(process.wait_for{file = ready, interval = 0.05, timeout = 10}, true)
local none, msg, kind = process.wait_for{file = dir .. "/never", timeout = 0.3, interval = 0.05}
t.eq({none, kind}, {nil, "timeout"})
t.ok(msg:find("^process.wait_for: timeout after 300ms waiting for file "), msg)

-- an HTTP server on a free loopback port: the port, then the URL
local s = process.session()
local srv = s:start([[exec python3 -u -c '
import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404 if self.path == "/missing" else 200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
srv = socketserver.TCPServer(("127.0.0.1", 0), H)
print("port=%d" % srv.server_address[1], flush=True)
srv.serve_forever()']])
local _, m = srv:expect("port=(\\d+)", {timeout = 20})
local port = tonumber(m.groups[1])
t.eq(process.wait_for{port = port, timeout = 10}, true)
t.eq(process.wait_for{http = "http://127.0.0.1:" .. port .. "/", timeout = 10}, true)
t.eq(process.wait_for{http = "http://127.0.0.1:" .. port .. "/missing", status = 404, timeout = 10}, true)
local n2, m2, k2 = process.wait_for{http = "http://127.0.0.1:" .. port .. "/missing", timeout = 0.5, interval = 0.1}
t.eq({n2, k2}, {nil, "timeout"})
t.ok(m2:find("status 404", 1, true), m2)
srv:kill("KILL")
srv:wait()
local n3, m3, k3 = process.wait_for{port = port, timeout = 0.3, interval = 0.05}
t.eq({n3, k3}, {nil, "timeout"})
t.ok(m3:find("port 127.0.0.1:" .. port, 1, true), m3)

t.raises(function() process.wait_for{} end, "exactly one of port, http and file")
t.raises(function() process.wait_for{port = 1, file = "x"} end, "exactly one of port, http and file")
t.raises(function() process.wait_for{port = 70000} end, 'option "port"')
t.raises(function() process.wait_for{prot = 1} end, 'unknown option "prot"')

-- retry: until fn succeeds (no error, a true first value). Counters live
-- in tables: gopher-lua detaches a closure's upvalues from the enclosing
-- locals when a protected call fails (plain pcall shows it too).
local st = {calls = 0}
local v1, v2 = process.retry(5, function(attempt)
	st.calls = st.calls + 1
	t.eq(attempt, st.calls)
	if attempt < 3 then error("not yet") end
	return "done", attempt
end, {delay = 0.01})
t.eq({v1, v2, st.calls}, {"done", 3, 3})
-- nil, msg, kind results are retried and returned after the last attempt
local tries = {n = 0}
local r1, r2, r3 = process.retry(3, function() tries.n = tries.n + 1; return nil, "down", "unavailable" end, {delay = 0})
t.eq({r1, r2, r3, tries.n}, {nil, "down", "unavailable", 3})
-- the last error is raised as it was
t.raises(function() process.retry(2, function() error("always") end, {delay = 0}) end, "always")
-- exponential backoff, capped
local stamps = {}
local clock = require("time").monotonic
process.retry(4, function() stamps[#stamps + 1] = clock(); return #stamps == 4 end, {delay = 0.05, backoff = "exp", max_delay = 0.1})
local gaps = {stamps[2] - stamps[1], stamps[3] - stamps[2], stamps[4] - stamps[3]}
t.ok(gaps[1] >= 0.045 and gaps[2] >= 0.095 and gaps[3] >= 0.095, table.concat(gaps, " "))
t.raises(function() process.retry(0, function() end) end, "process.retry: bad argument #1 %(n%)")
t.raises(function() process.retry(1, function() end, {backoff = "linear"}) end, 'option "backoff"')
process.exec({"rm", "-rf", dir})
