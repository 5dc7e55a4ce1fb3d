-- rollout.lua — roll a change out to many SSH hosts, a few at a time, with
-- each host's live output prefixed by its name, and print a summary table.
--
--   procsh scripts/rollout.lua [--limit N] [--fail-fast] [--mode agent|raw]
--       [--identity KEY] [--known-hosts FILE] COMMAND HOST...
--
-- HOST is ssh://[user@]host[:port] or anything ~/.ssh/config knows. The
-- command runs in a session on each host (agent mode: procsh puts itself on
-- the host, so sessions, kill and logs all work), and after it a check
-- (`command -v true`) confirms the host is still healthy. The exit status is
-- 0 when every host succeeded and 1 otherwise.

local time = require("time")

local limit, fail_fast, mode, identity, known_hosts = 4, false, nil, nil, nil
local rest = {}
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--limit" then limit = assert(tonumber(arg[i + 1]), "--limit needs a number"); i = i + 1
  elseif a == "--fail-fast" then fail_fast = true
  elseif a == "--mode" then mode = arg[i + 1]; i = i + 1
  elseif a == "--identity" then identity = arg[i + 1]; i = i + 1
  elseif a == "--known-hosts" then known_hosts = arg[i + 1]; i = i + 1
  else rest[#rest + 1] = a end
  i = i + 1
end
local command = rest[1]
local hosts = {}
for j = 2, #rest do hosts[#hosts + 1] = rest[j] end
if not command or #hosts == 0 then
  io.stderr:write("usage: procsh scripts/rollout.lua [--limit N] [--fail-fast] [--mode agent|raw] [--identity KEY] [--known-hosts FILE] COMMAND HOST...\n")
  os.exit(2)
end

-- name is what the output lines and the table call a host.
local function name(host)
  return (host:gsub("^ssh://", ""))
end

local function roll(host)
  local started = time.monotonic()
  local conn, err, kind = process.connect(host, {mode = mode, identity = identity, known_hosts = known_hosts})
  if not conn then
    return nil, err, kind
  end
  local r
  if conn.mode == "agent" then
    local s = conn.session()
    r = s:run(command, {tee = name(host)})
    if r.ok then
      r = s:run("command -v true >/dev/null", {tee = name(host)})
    end
  else
    r = conn.exec(command, {tee = name(host)})
  end
  conn.close()
  if not r.ok then
    return nil, ("exit %d"):format(r.exit_code), "exit"
  end
  return {exit = r.exit_code, seconds = time.monotonic() - started, mode = conn.mode}
end

local t0 = time.monotonic()
local results = process.map(hosts, roll, {limit = limit, fail_fast = fail_fast})
local wall = time.monotonic() - t0

print(("%-32s %-6s %-8s %s"):format("HOST", "EXIT", "SECONDS", "NOTE"))
local failed = 0
for j, res in ipairs(results) do
  local h = name(hosts[j])
  if res.ok then
    print(("%-32s %-6d %-8.2f %s"):format(h, res.value.exit, res.value.seconds, res.value.mode))
  else
    failed = failed + 1
    local code = res.error:match("^exit (%d+)$")
    print(("%-32s %-6s %-8s %s"):format(h, code or "-", "-", code and "failed" or (res.kind .. ": " .. res.error)))
  end
end
print(("%d of %d hosts done in %.2fs (at most %d at once)"):format(#hosts - failed, #hosts, wall, limit))
if failed > 0 then os.exit(1) end
