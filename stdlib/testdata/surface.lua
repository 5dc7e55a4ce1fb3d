-- The documented API of each module, and nothing else, in each profile.
local t = require("t")

local function names(mod)
	local out = {}
	for k in pairs(mod) do out[#out + 1] = k end
	table.sort(out)
	return out
end

local expected = {
	json = { "decode", "encode", "null", "object" },
	str = { "contains", "ends_with", "join", "lines", "ltrim", "replace", "rtrim", "split", "starts_with", "trim" },
	time = { "format", "monotonic", "now", "parse", "sleep" },
	log = { "debug", "error", "info", "level", "warn" },
	path = { "abs", "base", "clean", "dir", "ext", "is_abs", "join", "split" },
	t = { "eq", "fail", "neq", "ok", "raises", "repr" },
	fs = { "exists", "glob", "is_dir", "list", "mkdir", "read", "remove", "tempdir", "write" },
	env = { "all", "get" },
}
if SANDBOX then
	expected.path = { "base", "clean", "dir", "ext", "is_abs", "join", "split" }
	expected.fs, expected.env = nil, nil
end

for name, want in pairs(expected) do
	test(name, function()
		t.eq(names(require(name)), want)
	end)
end

test("sandbox leaves out fs and env", function()
	for _, name in ipairs({ "fs", "env" }) do
		local ok, err = pcall(require, name)
		t.eq(ok, not SANDBOX, name)
		if SANDBOX then t.ok(tostring(err):find("module " .. name .. " not found"), err) end
	end
end)
