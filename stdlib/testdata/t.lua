local t = require("t")

-- expect_failure runs fn and returns its error, failing if it did not raise.
local function expect_failure(fn)
	local ok, err = pcall(fn)
	if ok then error("expected a failure", 2) end
	return err
end

test("eq passes on deep equality", function()
	t.eq(1, 1)
	t.eq("a", "a")
	t.eq(nil, nil)
	t.eq(0 / 0, 0 / 0)
	t.eq({}, {})
	t.eq({ 1, { 2, { a = "b" } }, x = true }, { 1, { 2, { a = "b" } }, x = true })
	t.eq(setmetatable({ 1 }, { __index = function() return 9 end }), { 1 })
	local a, b = { n = 1 }, { n = 1 }
	a.self, b.self = a, b
	t.eq(a, b)
end)

test("eq failure messages", function()
	local line = where()
	local err = expect_failure(function() t.eq(1, 2) end)
	local n = tonumber(line:match(":(%d+):$"))
	t.eq(err, "testdata/t.lua:" .. (n + 1) .. ": t.eq failed: expected 2, got 1")

	local ok, e, here
	ok, e = pcall(t.eq, 1, 2); here = where()
	t.eq({ ok, e }, { false, here .. " t.eq failed: expected 2, got 1" })

	err = expect_failure(function() t.eq("a", "b", "names") end)
	t.ok(err:find('t.eq failed: names: expected "b", got "a"$'), err)

	err = expect_failure(function() t.eq({ a = { 1, 2, 3 } }, { a = { 1, 2, 4 } }) end)
	t.ok(err:find("t.eq failed: expected {a={1, 2, 4}}, got {a={1, 2, 3}}\n  first difference at .a[3]: expected 4, got 3", 1, true), err)

	err = expect_failure(function() t.eq({ x = 1 }, { x = 1, y = 2 }) end)
	t.ok(err:find("first difference at .y: expected 2, got nil", 1, true), err)

	err = expect_failure(function() t.eq({ ["a b"] = 1, [true] = 2 }, {}) end)
	t.ok(err:find('expected {}, got {["a b"]=1, [true]=2}', 1, true), err)
	t.ok(err:find('first difference at ["a b"]: expected nil, got 1', 1, true), err)

	err = expect_failure(function() t.eq(1, "1") end)
	t.ok(err:find('expected "1", got 1', 1, true), err)

	err = expect_failure(function() t.eq("a\nb\0", "") end)
	t.ok(err:find('got "a\\nb\\000"', 1, true), err)

	local big = {}
	for i = 1, 1000 do big[i] = i end
	err = expect_failure(function() t.eq(big, {}) end)
	t.ok(#err < 2000 and err:find("...", 1, true) and err:find("first difference at [1]", 1, true), err)

	local c = {}
	c.c = c
	err = expect_failure(function() t.eq(c, {}) end)
	t.ok(err:find("got {c=<cycle>}", 1, true), err)
end)

test("neq", function()
	t.neq(1, 2)
	t.neq({ 1 }, { 2 })
	t.neq({ 1 }, 1)
	local err = expect_failure(function() t.neq({ 1 }, { 1 }, "lists") end)
	t.ok(err:find("t.neq failed: lists: both are {1}", 1, true), err)
	t.ok(err:find("^testdata/t.lua:%d+: "), err)
end)

test("ok", function()
	t.eq(t.ok(5), 5)
	t.eq(t.ok(""), "")
	t.eq(t.ok(0), 0)
	local line = where()
	local err = expect_failure(function() t.ok(nil) end)
	local n = tonumber(line:match(":(%d+):$"))
	t.eq(err, "testdata/t.lua:" .. (n + 1) .. ": t.ok failed: got nil")
	err = expect_failure(function() t.ok(false, "flag") end)
	t.ok(err:find("t.ok failed: flag: got false$"), err)
end)

test("raises", function()
	local err = t.raises(function() error("boom") end)
	t.ok(err:find("boom$"), err)
	t.eq(t.raises(function() error({ code = 1 }) end), { code = 1 })
	t.eq(t.raises(function(a, b) error(a + b, 0) end, nil, 2, 3), 5)
	t.ok(t.raises(function() error("bad thing 42") end, "thing %d+"))

	local line = where()
	err = expect_failure(function() t.raises(function() end) end)
	local n = tonumber(line:match(":(%d+):$"))
	t.eq(err, "testdata/t.lua:" .. (n + 1) .. ": t.raises failed: the function did not raise")

	err = expect_failure(function() t.raises(function() error("other", 0) end, "^boom") end)
	t.ok(err:find('t.raises failed: error "other" does not match pattern "^boom"', 1, true), err)

	err = expect_failure(function() t.raises("x") end)
	t.ok(err:find("t.raises: bad argument #1 %(fn%): function expected, got string"), err)
	err = expect_failure(function() t.raises(print, 5) end)
	t.ok(err:find("t.raises: bad argument #2 %(pattern%): string expected, got number"), err)
end)

test("fail", function()
	local err = expect_failure(function() t.fail("nope") end)
	t.ok(err:find("^testdata/t.lua:%d+: t.fail: nope$"), err)
	err = expect_failure(function() t.fail() end)
	t.ok(err:find("t.fail: failed$"), err)
end)

test("repr", function()
	t.eq(t.repr({ 3, 2, b = 1, a = { x = "y" }, [10] = 0, [-1] = 1 }), '{3, 2, [-1]=1, [10]=0, a={x="y"}, b=1}')
	t.eq(t.repr("q\"\\"), '"q\\"\\\\"')
	t.eq(t.repr(0 / 0), "nan")
	t.eq(t.repr(nil), "nil")
	t.eq(t.repr({ [false] = 1, [true] = 2 }), "{[false]=1, [true]=2}")
end)
