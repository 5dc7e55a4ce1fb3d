-- process.exec and process.code_run: result shape, non-zero exit as data,
-- options, typo rejection, expected failures.
local t = require("t")

local r = process.exec("echo hello; sleep 0.05; echo oops >&2; exit 3")
t.eq(r.exit_code, 3)
t.eq(r.ok, false)
t.eq(r.stdout, "hello\n")
t.eq(r.stderr, "oops\n")
t.eq(r.result, "hello\noops\n")
t.eq(r.artifacts.stdout, r.result)
t.eq(r.artifacts.charts, {})
t.eq(r.timed_out, false)
t.ok(type(r.duration) == "number" and r.duration >= 0)

local ok = process.exec("true")
t.eq(ok.ok, true)
t.eq(ok.exit_code, 0)

-- cwd and env
local dir = process.exec("pwd", {cwd = "/tmp"})
t.eq(dir.stdout, "/tmp\n")
local env = process.exec("echo $A-$B", {env = {A = "x", B = 2}})
t.eq(env.stdout, "x-2\n")

-- timeout kills and reports
local slow = process.exec("sleep 5", {timeout = 0.2})
t.eq(slow.timed_out, true)
t.eq(slow.ok, false)
t.ok(slow.duration < 4, "timeout took " .. slow.duration)

-- command not found is data (exit 127)
local nf = process.exec("definitely-not-a-command-xyz")
t.eq(nf.exit_code, 127)

-- expected failure: empty command → nil, message, "invalid"
local res, msg, kind = process.exec("   ")
t.eq(res, nil)
t.eq(kind, "invalid")
t.ok(msg:find("process.exec", 1, true), msg)
-- assert() works with the triple
t.raises(function() assert(process.exec("")) end, "process.exec")

-- programmer errors raise naming function and argument
t.raises(function() process.exec("x", {timout = 1}) end, 'process.exec: bad argument #%d %(opts%): unknown option "timout"')
t.raises(function() process.exec(nil) end, "process.exec: bad argument #1 %(command%)")
t.raises(function() process.exec("x", 5) end, "process.exec: bad argument #2 %(opts%)")
t.raises(function() process.exec("x", {timeout = "soon"}) end, 'option "timeout"')
t.raises(function() process.exec("x", {env = {A = {}}}) end, 'option "env"')

-- code_run
local py = process.code_run("import sys\nprint('py', sys.argv[1:])", {argv = {"a", "b c"}})
t.eq(py.exit_code, 0)
t.eq(py.stdout, "py ['a', 'b c']\n")
local js = process.code_run("console.log(6*7)", {language = "javascript"})
t.eq(js.stdout, "42\n")
local penv = process.code_run("import os; print(os.environ['LUA_T'])", {env = {LUA_T = "v1"}})
t.eq(penv.stdout, "v1\n")
local pslow = process.code_run("import time; time.sleep(5)", {timeout = 0.2})
t.eq(pslow.timed_out, true)
t.eq(pslow.ok, false)
local perr = process.code_run("import sys; sys.stderr.write('bad\\n'); sys.exit(3)")
t.eq({perr.exit_code, perr.stderr}, {3, "bad\n"})
local bad, m2, k2 = process.code_run("x", {language = "cobol"})
t.eq(bad, nil)
t.eq(k2, "invalid")
t.raises(function() process.code_run("x", {lang = "python"}) end, 'unknown option "lang"')

-- charts emitted by a code run (the dtn_artifact protocol) become tables
local chart = process.code_run([==[print('dtn_artifact_k39fd2:{"type":"chart","value":{"type":"line","title":"t","elements":[{"label":"a","points":[[1,2]]}]}}')
print("after")]==])
t.eq(chart.exit_code, 0)
t.eq(#chart.artifacts.charts, 1)
local c1 = chart.artifacts.charts[1]
t.eq(c1.type, "line")
t.eq(c1.title, "t")
t.eq(c1.elements[1].label, "a")
t.eq(c1.elements[1].points, {{1, 2}})
t.ok(chart.stdout:find("after", 1, true))

-- the global and require give the same module
t.ok(require("process") == process)
-- script arguments
t.eq(arg[1], "arg-one")
t.eq(select(2, ...), "arg two")

-- no program can receive a NUL byte: refused, naming the word
t.raises(function() process.exec({"echo", "a\0b"}) end, "process.exec: bad argument #1 %(command%): word 2 contains a NUL byte")
t.raises(function() process.exec("echo a\0b") end, "process.exec: bad argument #1 %(command%): contains a NUL byte")
t.raises(function() process.session():run({"printf", "%s", "a\0b"}) end, "session:run: bad argument #1 %(command%): word 3 contains a NUL byte")
