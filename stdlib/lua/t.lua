-- t: a tiny assertion helper for Lua tests. Every failure raises an error
-- prefixed with the caller's file:line, so it points at the assertion.
--
--   t.eq(actual, expected [, msg])  -- deep equality; raises
--       "t.eq failed: [msg: ]expected X, got Y" and, for tables, the path of
--       the first difference. Tables compare by raw contents (metatables are
--       ignored), cycles are handled, NaN equals NaN.
--   t.neq(actual, other [, msg])    -- the negation of t.eq
--   t.ok(v [, msg]) -> v            -- v must be neither nil nor false
--   t.raises(fn [, pattern [, ...]]) -> err
--       calls fn(...) and asserts that it raises; if pattern (a Lua pattern)
--       is given, tostring(err) must contain a match. Returns the error value.
--   t.fail([msg])                   -- fails unconditionally
--   t.repr(v) -> string             -- the deterministic rendering used in messages
local raise = ...
local type, tostring, pairs, ipairs, pcall, rawget = type, tostring, pairs, ipairs, pcall, rawget
local format, find, sub, byte, gsub = string.format, string.find, string.sub, string.byte, string.gsub
local sort, concat = table.sort, table.concat

local M = {}

local MAX_REPR = 600 -- characters; long values are cut, the difference path still locates the change

local rank = { number = 1, string = 2, boolean = 3 }

-- keyless orders keys of mixed types deterministically: numbers, strings,
-- booleans, then everything else by tostring.
local function keyless(a, b)
	local ta, tb = type(a), type(b)
	local ra, rb = rank[ta] or 4, rank[tb] or 4
	if ra ~= rb then return ra < rb end
	if ra == 1 or ra == 2 then return a < b end
	if ra == 3 then return (not a) and b end
	return tostring(a) < tostring(b)
end

local function quote(s)
	return '"' .. gsub(s, '[%c"\\]', function(c)
		if c == "\n" then return "\\n" end
		if c == "\t" then return "\\t" end
		if c == "\r" then return "\\r" end
		if c == '"' or c == "\\" then return "\\" .. c end
		return format("\\%03d", byte(c))
	end) .. '"'
end

local function sortedkeys(t)
	local keys = {}
	for k in pairs(t) do keys[#keys + 1] = k end
	sort(keys, keyless)
	return keys
end

local function render(v, out, active)
	local tv = type(v)
	if tv == "string" then
		out[#out + 1] = quote(v)
	elseif tv == "number" then
		out[#out + 1] = v ~= v and "nan" or tostring(v)
	elseif tv ~= "table" then
		out[#out + 1] = tostring(v)
	elseif active[v] then
		out[#out + 1] = "<cycle>"
	else
		active[v] = true
		out[#out + 1] = "{"
		local n, first = 0, true
		while rawget(v, n + 1) ~= nil do n = n + 1 end
		for i = 1, n do
			if not first then out[#out + 1] = ", " end
			first = false
			render(rawget(v, i), out, active)
		end
		for _, k in ipairs(sortedkeys(v)) do
			if not (type(k) == "number" and k >= 1 and k <= n and k % 1 == 0) then
				if not first then out[#out + 1] = ", " end
				first = false
				if type(k) == "string" and find(k, "^[%a_][%w_]*$") then
					out[#out + 1] = k
				else
					out[#out + 1] = "["
					render(k, out, active)
					out[#out + 1] = "]"
				end
				out[#out + 1] = "="
				render(rawget(v, k), out, active)
			end
		end
		out[#out + 1] = "}"
		active[v] = nil
	end
end

function M.repr(v)
	local out = {}
	render(v, out, {})
	local s = concat(out)
	if #s > MAX_REPR then s = sub(s, 1, MAX_REPR) .. "..." end
	return s
end
local repr = M.repr

local function keypath(k)
	if type(k) == "string" and find(k, "^[%a_][%w_]*$") then return "." .. k end
	return "[" .. repr(k) .. "]"
end

-- diff returns nil if a and b are deeply equal, else the path of the first
-- difference (in sorted key order) and the two values there.
local function diff(a, b, path, seen)
	if a == b then return nil end
	local ta, tb = type(a), type(b)
	if ta == "number" and tb == "number" and a ~= a and b ~= b then return nil end
	if ta ~= "table" or tb ~= "table" then return path, a, b end
	local pairs_of_a = seen[a]
	if pairs_of_a and pairs_of_a[b] then return nil end -- already being compared: a cycle
	if not pairs_of_a then
		pairs_of_a = {}
		seen[a] = pairs_of_a
	end
	pairs_of_a[b] = true
	local union = {}
	for k in pairs(a) do union[k] = true end
	for k in pairs(b) do union[k] = true end
	for _, k in ipairs(sortedkeys(union)) do
		local p, x, y = diff(rawget(a, k), rawget(b, k), path .. keypath(k), seen)
		if p then return p, x, y end
	end
	return nil
end

local function prefix(name, msg)
	if msg == nil then return name .. " failed: " end
	return name .. " failed: " .. tostring(msg) .. ": "
end

function M.eq(actual, expected, msg)
	local p, x, y = diff(actual, expected, "", {})
	if not p then return end
	local m = prefix("t.eq", msg) .. "expected " .. repr(expected) .. ", got " .. repr(actual)
	if p ~= "" then
		m = m .. "\n  first difference at " .. p .. ": expected " .. repr(y) .. ", got " .. repr(x)
	end
	raise(m, 2)
end

function M.neq(actual, other, msg)
	if diff(actual, other, "", {}) then return end
	raise(prefix("t.neq", msg) .. "both are " .. repr(actual), 2)
end

function M.ok(v, msg)
	if v then return v end
	if msg == nil then
		raise("t.ok failed: got " .. tostring(v), 2)
	end
	raise(prefix("t.ok", msg) .. "got " .. tostring(v), 2)
end

function M.raises(fn, pattern, ...)
	if type(fn) ~= "function" then
		raise("t.raises: bad argument #1 (fn): function expected, got " .. type(fn), 2)
	end
	if pattern ~= nil and type(pattern) ~= "string" then
		raise("t.raises: bad argument #2 (pattern): string expected, got " .. type(pattern), 2)
	end
	local ok, err = pcall(fn, ...)
	if ok then raise("t.raises failed: the function did not raise", 2) end
	if pattern ~= nil and not find(tostring(err), pattern) then
		raise(format("t.raises failed: error %s does not match pattern %s", repr(tostring(err)), repr(pattern)), 2)
	end
	return err
end

function M.fail(msg)
	raise("t.fail: " .. (msg == nil and "failed" or tostring(msg)), 2)
end

return M
