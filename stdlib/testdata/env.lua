local t = require("t")

if SANDBOX then
	test("env is absent in the sandbox", function()
		t.raises(function() require("env") end, "module env not found")
	end)
	return
end

local env = require("env")

test("get", function()
	t.eq(env.get("PROCSH_STDLIB_TEST"), "v a=l") -- set by the Go test
	t.eq(env.get("PROCSH_STDLIB_EMPTY"), "")
	t.eq(env.get("PROCSH_STDLIB_UNSET"), nil)
	t.eq(env.get("PROCSH_STDLIB_UNSET", "dflt"), "dflt")
	t.eq(env.get("PROCSH_STDLIB_UNSET", 3), "3")
	t.eq(env.get("PROCSH_STDLIB_EMPTY", "dflt"), "") -- set but empty is not unset
	t.raises(function() env.get() end, "^" .. where() .. " env.get: bad argument #1 %(name%): string expected, got nil$")
	t.raises(function() env.get("X", {}) end, "env.get: bad argument #2 %(default%): string expected, got table")
end)

test("all", function()
	local all = env.all()
	t.eq(all.PROCSH_STDLIB_TEST, "v a=l")
	t.eq(all.PROCSH_STDLIB_EMPTY, "")
	t.eq(all.PROCSH_STDLIB_UNSET, nil)
	t.eq(all.PATH, env.get("PATH"))
end)

test("read-only", function()
	t.eq(env.set, nil)
	local all = env.all()
	all.PROCSH_STDLIB_TEST = "changed"
	t.eq(env.get("PROCSH_STDLIB_TEST"), "v a=l")
end)
