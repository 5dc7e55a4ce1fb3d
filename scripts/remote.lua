-- remote.lua — drive a remote machine through `procsh serve` (or a Daytona
-- sandbox's toolbox) with process.connect, next to this machine.
--
--   procsh serve --token s3cret &                        # on the remote host
--   procsh scripts/remote.lua http://127.0.0.1:2280 s3cret
--   PROCSH_SERVER=http://127.0.0.1:2280 PROCSH_TOKEN=s3cret procsh scripts/remote.lua
--
-- The URL and token come from the arguments, else from PROCSH_SERVER and
-- PROCSH_TOKEN. The script runs a one-shot command and a stateful session
-- on the remote side, streams a remote command's output, and compares the
-- two machines.

local str = require("str")

local url = (arg and arg[1]) or os.getenv("PROCSH_SERVER")
local token = (arg and arg[2]) or os.getenv("PROCSH_TOKEN")
if not url or url == "" then
  io.stderr:write("usage: procsh scripts/remote.lua URL [TOKEN]   (or set PROCSH_SERVER / PROCSH_TOKEN)\n")
  os.exit(2)
end

local remote, err, kind = process.connect(url, {token = token})
if not remote then
  print(("remote: cannot connect to %s: %s (%s)"):format(url, err, kind))
  os.exit(1)
end

local function describe(p)
  local r = assert(p.exec("echo \"$(hostname) pid $$ in $(pwd) as $(id -un)\""))
  return str.trim(r.result)
end
print("local : " .. describe(process))
print("remote: " .. describe(remote))

-- A session keeps its state between commands on the remote side.
local s = assert(remote.session())
s:run("cd /tmp && COUNTER=1")
s:run("COUNTER=$((COUNTER + 41))")
local r = s:run("echo $COUNTER $(pwd)")
print("remote session: " .. str.trim(r.stdout or r.result))

-- A remote command whose output is streamed back line by line.
local cmd = s:start("for i in 1 2 3; do echo tick $i; sleep 0.2; done")
local ticks = 0
for line in cmd:lines() do
  ticks = ticks + 1
  print("remote stream: " .. line)
end
local done = cmd:wait()

local sessions = remote.list_sessions()
s:delete()
remote.close()
print(("remote: %d ticks streamed, exit %d, %d session(s) were open; counter %s")
  :format(ticks, done.exit_code, #sessions, str.trim(r.stdout or r.result)))
