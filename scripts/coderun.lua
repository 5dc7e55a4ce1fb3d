-- coderun.lua — run the same small program in Python and in JavaScript with
-- process.code_run, pass it arguments and environment, and compare the
-- answers. Needs python3 and node on the machine that runs the code (this
-- one, or the --server you point procsh at).
--
--   procsh scripts/coderun.lua [n]      (default n = 30)
--
-- Each program computes the first n Fibonacci numbers' sum and the word
-- count of a sentence given as arguments, and prints a JSON object, which
-- the script decodes and checks against the same computation in Lua.

local json = require("json")

local n = tonumber(arg and arg[1]) or 30
local words = {"procsh", "runs", "code", "in", "many", "languages"}

local programs = {
  python = [[
import json, os, sys
n = int(os.environ["FIB_N"])
a, b, total = 0, 1, 0
for _ in range(n):
    total += a
    a, b = b, a + b
print(json.dumps({"lang": "python", "fib_sum": total, "words": len(sys.argv) - 1,
                  "first": sys.argv[1] if len(sys.argv) > 1 else None}))
]],
  javascript = [[
const n = Number(process.env.FIB_N);
let a = 0n, b = 1n, total = 0n;
for (let i = 0; i < n; i++) { total += a; [a, b] = [b, a + b]; }
// With `node -e` the arguments start at argv[1], with a script file at argv[2].
const args = process.argv.slice(require.main ? 2 : 1);
console.log(JSON.stringify({lang: "javascript", fib_sum: Number(total), words: args.length,
                            first: args.length ? args[0] : null}));
]],
}

-- The expected answer, computed here.
local want = 0
do
  local a, b = 0, 1
  for _ = 1, n do
    want = want + a
    -- Not `a, b = b, a + b`: gopher-lua 1.1.2 miscompiles that swap of
    -- locals (b gets the new a), so go through a temporary.
    local next_b = a + b
    a = b
    b = next_b
  end
end

local failures = 0
for _, lang in ipairs({"python", "javascript"}) do
  local r, err, kind = process.code_run(programs[lang], {
    language = lang, argv = words, env = {FIB_N = tostring(n)}, timeout = 30,
  })
  if not r then
    print(("%-10s could not run: %s (%s)"):format(lang, err, kind))
    failures = failures + 1
  elseif not r.ok then
    print(("%-10s exited with %d: %s"):format(lang, r.exit_code, r.result))
    failures = failures + 1
  else
    local got = assert(json.decode(r.result))
    local good = got.lang == lang and got.fib_sum == want and got.words == #words and got.first == words[1]
    print(("%-10s fib_sum(%d) = %.0f, %d words, first %q  %.2fs  %s"):format(
      lang, n, got.fib_sum, got.words, tostring(got.first), r.duration, good and "ok" or "MISMATCH"))
    if not good then failures = failures + 1 end
  end
end

print(("coderun: %d of 2 languages agree with Lua (fib_sum(%d) = %.0f)"):format(2 - failures, n, want))
if failures > 0 then os.exit(1) end
