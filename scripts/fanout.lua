-- fanout.lua — fan work out over several shell sessions at once with
-- process.spawn, gather the results with process.wait_all, and show that
-- the wall time is close to the slowest job rather than the sum.
--
--   procsh scripts/fanout.lua [jobs]      (default 4 jobs)
--
-- Each job gets its own session, keeps state in it across commands (a
-- working directory and a variable), produces some data, checksums it, and
-- reports back. A job that fails raises, and wait_all re-raises its error.

local time = require("time")
local str = require("str")

local jobs = tonumber(arg and arg[1]) or 4
local work_seconds = 1

local function job(i)
  local s = process.session{env = {JOB = tostring(i)}}
  local started = time.monotonic()
  -- Session state carries over between commands: cd and a shell variable.
  assert(s:run("cd \"$(mktemp -d -t procsh-fanout.XXXXXX)\" && LINES_WANTED=" .. (i * 1000)).ok)
  local r = s:run(("sleep %g; seq 1 $LINES_WANTED > data.txt; wc -l < data.txt; sha256sum data.txt | cut -c1-12; echo job $JOB in $(pwd)")
    :format(work_seconds))
  assert(r.ok, ("job %d failed: %s"):format(i, r.result))
  local out = str.split(str.trim(r.stdout), "\n")
  s:run("rm -rf \"$(pwd)\"")
  s:delete()
  return {job = i, lines = tonumber(out[1]), sum = out[2], where = out[3],
          seconds = time.monotonic() - started}
end

local t0 = time.monotonic()
local tasks = {}
for i = 1, jobs do
  tasks[i] = process.spawn(job, i)
end
local results = process.wait_all(tasks)
local wall = time.monotonic() - t0

local busy = 0
for _, r in ipairs(results) do
  busy = busy + r.seconds
  print(("job %d: %6d lines  sha256 %s  %.2fs  (%s)"):format(r.job, r.lines, r.sum, r.seconds, r.where))
  assert(r.lines == r.job * 1000, "wrong line count from job " .. r.job)
end
print(("fanout: %d jobs finished in %.2fs wall, %.2fs of work (%.1fx parallel)")
  :format(jobs, wall, busy, busy / wall))
