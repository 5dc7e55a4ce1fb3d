-- pipeline.lua — a build-and-test pipeline across shell sessions, with the
-- output of every step streamed live and labelled with its stage.
--
--   go run ./cmd/procsh scripts/pipeline.lua           # everything passes
--   go run ./cmd/procsh scripts/pipeline.lua --break   # one test fails: exit 1
--
-- It needs nothing but bash and coreutils. It writes a tiny shell project
-- (two library files, a build script that checks and bundles them, and a
-- test runner) into a temporary directory, builds it in one session (output
-- streamed through on_stdout callbacks), then runs the two test suites in
-- parallel, each in its own session (output streamed with cmd:lines()), and
-- prints a summary. The exit status says whether the pipeline passed.

local time = require("time")
local str = require("str")

local broken = arg ~= nil and arg[1] == "--break"
local t0 = time.monotonic()

local function step(name) print(("==> %s"):format(name)) end

-- 1. A workspace with the project in it -----------------------------------
step("setup")
local ws = str.trim(assert(process.exec("mktemp -d -t procsh-pipeline.XXXXXX")).result)
local setup = process.session{cwd = ws}
local wrote = setup:run([=[
mkdir -p src tests
cat > src/greet.sh <<'EOF'
greet() { printf 'Hello, %s!\n' "${1:-world}"; }
shout() { greet "$@" | tr '[:lower:]' '[:upper:]'; }
EOF
cat > src/math.sh <<'EOF'
add() { echo $(( $1 + $2 )); }
mul() { echo $(( $1 * $2 )); }
EOF
cat > build.sh <<'EOF'
set -euo pipefail
mkdir -p dist
for f in src/*.sh; do
  echo "checking $f"
  bash -n "$f"
  sleep 0.2   # a real compiler takes a moment; the log streams meanwhile
done
cat src/*.sh > dist/lib.sh
echo "bundled dist/lib.sh ($(wc -l < dist/lib.sh) lines)"
EOF
cat > test.sh <<'EOF'
# test.sh SUITE: runs tests/SUITE.sh against dist/lib.sh, TAP-style.
source dist/lib.sh
failures=0 n=0
check() {
  n=$((n + 1))
  if [ "$2" = "$3" ]; then echo "ok $n - $1"
  else echo "not ok $n - $1: got '$2', want '$3'"; failures=$((failures + 1)); fi
  sleep 0.1
}
source "tests/$1.sh"
echo "1..$n"
exit $((failures > 0))
EOF
cat > tests/greet.sh <<'EOF'
check "greet a name" "$(greet Ada)" "Hello, Ada!"
check "greet the world" "$(greet)" "Hello, world!"
check "shout" "$(shout Bob)" "HELLO, BOB!"
EOF
cat > tests/math.sh <<'EOF'
check "add" "$(add 2 3)" "5"
check "mul" "$(mul 6 7)" "42"
check "add negatives" "$(add -2 -3)" "-5"
EOF
ls src tests | wc -l
]=])
assert(wrote.ok, "could not write the project: " .. wrote.result)
if broken then
  setup:run([[echo 'check "deliberately broken" "$(add 1 1)" "3"' >> tests/math.sh]])
end
print(("workspace %s"):format(ws))

-- 2. Build, streaming the log through callbacks ----------------------------
step("build")
local build_session = process.session{cwd = ws}
local build = build_session:start("bash build.sh", {
  on_stdout = function(line) print("[build] " .. line) end,
  on_stderr = function(line) print("[build!] " .. line) end,
})
local built = build:wait()
local stages = {{name = "build", ok = built.ok, seconds = built.duration}}

-- 3. Test suites in parallel, each in its own session ----------------------
local function suite(name)
  return process.spawn(function()
    local s = process.session{cwd = ws}
    local started = time.monotonic()
    local cmd = s:start("bash test.sh " .. name)
    local passed, failed = 0, 0
    for line in cmd:lines() do
      print(("[test:%s] %s"):format(name, line))
      if line:match("^ok ") then passed = passed + 1 end
      if line:match("^not ok ") then failed = failed + 1 end
    end
    local r = cmd:wait()
    s:delete()
    return {name = "test:" .. name, ok = r.ok, passed = passed, failed = failed,
            seconds = time.monotonic() - started}
  end)
end

if built.ok then
  step("test (2 suites in parallel)")
  for _, r in ipairs(process.wait_all({suite("greet"), suite("math")})) do
    stages[#stages + 1] = r
  end
end

-- 4. Clean up and summarise -------------------------------------------------
process.exec("rm -rf " .. ws)
step("summary")
local all_ok = true
for _, s in ipairs(stages) do
  all_ok = all_ok and s.ok
  local detail = s.passed and (" %d passed, %d failed"):format(s.passed, s.failed) or ""
  print(("  %-12s %-4s %5.2fs%s"):format(s.name, s.ok and "ok" or "FAIL", s.seconds or 0, detail))
end
print(("pipeline %s in %.2fs"):format(all_ok and "PASSED" or "FAILED", time.monotonic() - t0))
if not all_ok then os.exit(1) end
