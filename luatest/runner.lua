-- The busted-style test DSL of procsh test. The Go side passes its core
-- (isolate, report, load) and the run's settings; this chunk defines the
-- globals describe/it/pending/before_each/after_each/setup/teardown and the
-- busted assertions, loads the spec file, and runs its tests in order.
local core, path, filter = ...
local raise = core.raise -- error(msg, level) with Lua 5.1's level count

local type, tostring, pairs, ipairs, pcall, error, select = type, tostring, pairs, ipairs, pcall, error, select
local rawget, setmetatable, getmetatable = rawget, setmetatable, getmetatable
local format, find, concat, insert = string.format, string.find, table.concat, table.insert

local ok_t, tmod = pcall(require, "t")
local repr = ok_t and tmod.repr or function(v)
	if type(v) == "string" then return format("%q", v) end
	return tostring(v)
end

-- Blocks -------------------------------------------------------------------

local function newblock(name, parent)
	return { name = name, parent = parent, items = {}, before_each = {}, after_each = {}, setup = {}, teardown = {} }
end

local root = newblock(nil, nil)
local current = root
local running = false -- true once the tests run: the DSL is for the file's top level and describe bodies

local function checkdef(fname, name, fn, needfn)
	if running then raise(fname .. ": called inside a test; declare tests at the top level or in describe", 3) end
	if type(name) ~= "string" then raise(format("%s: bad argument #1 (name): string expected, got %s", fname, type(name)), 3) end
	if needfn and type(fn) ~= "function" then
		raise(format("%s: bad argument #2 (fn): function expected, got %s", fname, type(fn)), 3)
	end
end

function describe(name, fn)
	checkdef("describe", name, fn, true)
	local b = newblock(name, current)
	insert(current.items, { kind = "describe", block = b })
	local prev = current
	current = b
	local ok, err = pcall(fn)
	current = prev
	if not ok then error(err, 0) end
end
context = describe

function it(name, fn)
	checkdef("it", name, fn, fn ~= nil)
	if fn == nil then
		insert(current.items, { kind = "pending", name = name })
	else
		insert(current.items, { kind = "it", name = name, fn = fn })
	end
end
test = it
spec = it

function pending(name)
	checkdef("pending", name, nil, false)
	insert(current.items, { kind = "pending", name = name })
end

local function hook(kind)
	return function(fn)
		if running then raise(kind .. ": called inside a test", 2) end
		if type(fn) ~= "function" then
			raise(format("%s: bad argument #1 (fn): function expected, got %s", kind, type(fn)), 2)
		end
		insert(current[kind], fn)
	end
end
before_each = hook("before_each")
after_each = hook("after_each")
setup = hook("setup")
teardown = hook("teardown")
lazy_setup, strict_setup = setup, setup
lazy_teardown, strict_teardown = teardown, teardown

-- Assertions ---------------------------------------------------------------

local function same(a, b, seen)
	if a == b then return true end
	if type(a) == "number" and type(b) == "number" and a ~= a and b ~= b then return true end
	if type(a) ~= "table" or type(b) ~= "table" then return false end
	seen[a] = seen[a] or {}
	if seen[a][b] then return true end
	seen[a][b] = true
	for k, v in pairs(a) do
		if not same(v, rawget(b, k), seen) then return false end
	end
	for k in pairs(b) do
		if rawget(a, k) == nil then return false end
	end
	return true
end

local function fail(msg, usermsg)
	if usermsg ~= nil then msg = tostring(usermsg) .. "\n" .. msg end
	raise(msg, 3)
end

-- Each checker returns whether the assertion holds, and the message for its
-- failure and for the failure of its negation.
local checks = {}

function checks.equal(expected, actual)
	return expected == actual,
		"expected " .. repr(expected) .. ", got " .. repr(actual),
		"expected a value other than " .. repr(expected)
end

function checks.same(expected, actual)
	return same(expected, actual, {}),
		"expected (deep) " .. repr(expected) .. ", got " .. repr(actual),
		"expected a value not deeply equal to " .. repr(expected)
end

function checks.truthy(v)
	return v ~= nil and v ~= false, "expected a truthy value, got " .. repr(v), "expected a falsy value, got " .. repr(v)
end

function checks.falsy(v)
	return v == nil or v == false, "expected a falsy value, got " .. repr(v), "expected a truthy value, got " .. repr(v)
end

function checks.is_true(v)
	return v == true, "expected true, got " .. repr(v), "expected a value other than true"
end

function checks.is_false(v)
	return v == false, "expected false, got " .. repr(v), "expected a value other than false"
end

function checks.is_nil(v)
	return v == nil, "expected nil, got " .. repr(v), "expected a value other than nil"
end

function checks.matches(pattern, s)
	if type(pattern) ~= "string" then
		raise("assert.matches: bad argument #1 (pattern): string expected, got " .. type(pattern), 3)
	end
	local ok = type(s) == "string" and find(s, pattern) ~= nil
	return ok, "expected " .. repr(s) .. " to match " .. repr(pattern),
		"expected " .. repr(s) .. " not to match " .. repr(pattern)
end

function checks.raises(fn, pattern)
	if type(fn) ~= "function" then
		raise("assert.raises: bad argument #1 (fn): function expected, got " .. type(fn), 3)
	end
	local ok, err = pcall(fn)
	if ok then
		return false, "expected an error, none was raised", "expected no error"
	end
	local msg = tostring(err)
	if pattern ~= nil and not find(msg, pattern) then
		return false, "expected an error matching " .. repr(pattern) .. ", got " .. repr(msg),
			"expected no error, got " .. repr(msg)
	end
	return true, "", "expected no error, got " .. repr(msg)
end

-- The message argument follows the values the checker takes.
local arity = { equal = 2, same = 2, matches = 2, truthy = 1, falsy = 1, is_true = 1, is_false = 1, is_nil = 1, raises = 2 }

local function asserter(name, negate)
	local check, n = checks[name], arity[name]
	return function(...)
		local usermsg = select(n + 1, ...)
		if name == "raises" and negate then usermsg = select(2, ...) end
		local holds, msg, negmsg = check(...)
		if negate then holds, msg = not holds, negmsg end
		if not holds then fail(msg, usermsg) end
		return ...
	end
end

local aliases = {
	equal = { "equal", "equals", "are_equal" }, same = { "same", "are_same" },
	truthy = { "truthy", "is_truthy" }, falsy = { "falsy", "is_falsy" },
	is_true = { "is_true", "True" }, is_false = { "is_false", "False" },
	is_nil = { "is_nil", "Nil" }, matches = { "matches", "match", "does_match" },
	raises = { "raises", "error", "errors", "has_error", "has_errors" },
}

local positive, negative = {}, {}
for name, list in pairs(aliases) do
	for _, alias in ipairs(list) do
		positive[alias] = asserter(name, false)
		negative[alias] = asserter(name, true)
	end
end
-- Plain-word aliases after the modifier: assert.is.true(v) cannot be
-- written in Lua, so busted's assert.is_true is the spelling; assert.is.Nil
-- and friends also work.
positive["nil"], negative["nil"] = positive.is_nil, negative.is_nil
positive["true"], negative["true"] = positive.is_true, negative.is_true
positive["false"], negative["false"] = positive.is_false, negative.is_false

local A = {}
local function chain(tab)
	return setmetatable({}, {
		__index = function(_, k)
			local f = tab[k]
			if f == nil then raise("assert: no assertion named " .. tostring(k), 2) end
			return f
		end,
	})
end
local pos, neg = chain(positive), chain(negative)
for _, m in ipairs({ "is", "are", "has", "was", "does" }) do A[m] = pos end
for _, m in ipairs({ "is_not", "are_not", "has_no", "was_not", "does_not", "no", "not_" }) do A[m] = neg end
A["not"] = neg
for k, f in pairs(positive) do A[k] = f end
for k, f in pairs(negative) do
	A["not_" .. k] = f
	A["is_not_" .. k] = f
	A["are_not_" .. k] = f
end
A.not_equal, A.not_same = negative.equal, negative.same
A.has_no_errors, A.has_no_error, A.no_error = negative.raises, negative.raises, negative.raises

function A.fail(msg) raise(msg == nil and "assert.fail" or tostring(msg), 2) end

assert = setmetatable(A, {
	__call = function(_, v, msg, ...)
		if v == nil or v == false then error(msg == nil and "assertion failed!" or msg, 0) end
		return v, msg, ...
	end,
	__index = function(_, k) raise("assert: no assertion named " .. tostring(k), 2) end,
})

-- Running ------------------------------------------------------------------

local function names(block, extra)
	local out = {}
	while block do
		if block.name then insert(out, 1, block.name) end
		block = block.parent
	end
	if extra then insert(out, extra) end
	return out
end

local function matches(list)
	if filter == nil or filter == "" then return true end
	return find(concat(list, " "), filter) ~= nil
end

-- selected reports whether the block holds a test the filter keeps.
local function selected(block)
	for _, item in ipairs(block.items) do
		if item.kind == "describe" then
			if selected(item.block) then return true end
		elseif matches(names(block, item.name)) then
			return true
		end
	end
	return false
end

local function chainhooks(block, kind, outerfirst)
	local list = {}
	while block do
		local fns = block[kind]
		if outerfirst then
			for i = #fns, 1, -1 do insert(list, 1, fns[i]) end
		else
			for i = 1, #fns do insert(list, fns[i]) end
		end
		block = block.parent
	end
	return list
end

local function runtest(block, item, list)
	local before = chainhooks(block, "before_each", true)
	local after = chainhooks(block, "after_each", false)
	return core.isolate(function()
		local ok, err = pcall(function()
			for _, f in ipairs(before) do f() end
			item.fn()
		end)
		local aok, aerr = pcall(function()
			for _, f in ipairs(after) do f() end
		end)
		if not ok then error(err, 0) end
		if not aok then error("after_each: " .. tostring(aerr), 0) end
	end, true, list)
end

local function runblock(block, setuperr)
	for _, item in ipairs(block.items) do
		if item.kind == "describe" then
			local b = item.block
			if selected(b) then
				if setuperr then
					runblock(b, setuperr)
				elseif #b.setup == 0 and #b.teardown == 0 then
					runblock(b, nil)
				else
					-- What setup starts is ended after teardown without
					-- failing the block; only strays fail it.
					local ok, err, _, escaped = core.isolate(function()
						local sok, serr = pcall(function()
							for _, f in ipairs(b.setup) do f() end
						end)
						runblock(b, not sok and ("setup failed: " .. tostring(serr)) or nil)
						for _, f in ipairs(b.teardown) do f() end
					end)
					if not ok or #escaped > 0 then
						core.report("fail", names(b, "(teardown)"), err, escaped)
					end
				end
			end
		else
			local list = names(block, item.name)
			if matches(list) then
				if item.kind == "pending" then
					core.report("pending", list)
				elseif setuperr then
					core.report("fail", list, setuperr, {})
				else
					local ok, err, left, escaped = runtest(block, item, list)
					for _, e in ipairs(escaped) do insert(left, e) end
					core.report(ok and #left == 0 and "pass" or "fail", list, err, left)
				end
			end
		end
	end
end

-- The file's top level is a scope like a block with setup: what it starts
-- lives until its tests are done.
local ok, err, _, escaped = core.isolate(function()
	local chunk = core.load(path)
	chunk()
	running = true
	runblock(root, nil)
end)
if not ok or #escaped > 0 then
	core.report("fail", { "(file)" }, err, escaped)
elseif #root.items == 0 then
	-- A plain script with no tests is one test: it passes when it runs.
	core.report("pass", { "(file)" })
end
