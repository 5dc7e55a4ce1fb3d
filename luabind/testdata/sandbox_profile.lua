-- The sandbox profile: no io, no file loaders, a safe os subset, require
-- only for preloaded modules, host-safe print; process still works.
local t = require("t")

t.eq(io, nil)
t.eq(dofile, nil)
t.eq(loadfile, nil)
t.eq(debug, nil)
t.eq(os.execute, nil)
t.eq(os.remove, nil)
t.eq(os.getenv, nil)
t.eq(os.tmpname, nil)
t.ok(type(os.time()) == "number")
t.ok(type(os.clock()) == "number")
t.ok(type(os.date("%Y")) == "string")
t.ok(type(os.exit) == "function")
t.eq(package.path, "")

-- require finds preloaded modules only
t.ok(require("json"))
t.ok(require("process") == process)
local ok, err = pcall(require, "fs")
t.eq(ok, false)
local ok2 = pcall(require, "tests.lua.exec")
t.eq(ok2, false)

-- load of a string still works (no file access)
t.eq(loadstring("return 1 + 1")(), 2)

-- collectgarbage is harmless
t.ok(collectgarbage("count") >= 0)
t.eq(collectgarbage(), 0)

-- pty recording would write a file: refused
t.raises(function() process.pty{command = "true", record = "x.cast"} end, "sandbox")

-- the process module works
t.eq(process.exec("echo sandboxed").stdout, "sandboxed\n")
print("printed through the host writer")
