-- str: string helpers that Lua's own string library lacks. Named str so that
-- it never shadows the built-in string (and s:method() calls keep working).
--
--   str.split(s [, sep [, {plain=}]]) -> {parts...}
--       sep is a Lua pattern unless plain=true. Without sep, splits on runs of
--       whitespace and drops empty fields. With sep, keeps empty fields:
--       split("a,,b", ",") == {"a", "", "b"}, split("", ",") == {""}.
--       A separator that matches the empty string is an error.
--   str.trim(s) / str.ltrim(s) / str.rtrim(s) -> s without surrounding whitespace (%s)
--   str.starts_with(s, prefix) / str.ends_with(s, suffix) / str.contains(s, sub) -> boolean (plain)
--   str.lines(s) -> iterator over the lines of s, without "\n" or "\r\n";
--       a final newline does not start another line, "" has no lines.
--   str.join(list [, sep]) -> string; tostring() on each element of list[1..#list]
--   str.replace(s, old, new [, n]) -> s with the first n (default all) plain
--       occurrences of old replaced by new
--
-- Bad arguments raise "str.<fn>: bad argument #<n> (<name>): ..." at the caller.
local raise = ...
local pcall = pcall
local find, sub, gmatch, byte, format = string.find, string.sub, string.gmatch, string.byte, string.format
local concat = table.concat
local type, tostring, pairs = type, tostring, pairs

local M = {}

-- argerr raises at the caller of the str function: level 3 when called from
-- that function, 4 when called from checkstr/checkopts.
local function argerr(fn, n, name, msg, level)
	raise(format("%s: bad argument #%d (%s): %s", fn, n, name, msg), level or 3)
end

local function checkstr(fn, n, name, v)
	local t = type(v)
	if t == "string" then return v end
	if t == "number" then return tostring(v) end
	argerr(fn, n, name, "string expected, got " .. t, 4)
end

local function checkopts(fn, n, opts, allowed)
	if opts == nil then return {} end
	if type(opts) ~= "table" then
		argerr(fn, n, "opts", "table expected, got " .. type(opts), 4)
	end
	for k, v in pairs(opts) do
		local want = allowed[k]
		if not want then
			argerr(fn, n, "opts", format("unknown option %q", tostring(k)), 4)
		end
		if type(v) ~= want then
			argerr(fn, n, "opts", format("option %q: %s expected, got %s", k, want, type(v)), 4)
		end
	end
	return opts
end

function M.split(s, sep, opts)
	s = checkstr("str.split", 1, "s", s)
	local o = checkopts("str.split", 3, opts, { plain = "boolean" })
	local out = {}
	if sep == nil then
		for w in gmatch(s, "%S+") do out[#out + 1] = w end
		return out
	end
	sep = checkstr("str.split", 2, "sep", sep)
	if sep == "" then argerr("str.split", 2, "sep", "must not be empty") end
	local plain = o.plain == true
	if not plain then
		local ok, err = pcall(find, "", sep)
		if not ok then argerr("str.split", 2, "sep", "malformed pattern (" .. tostring(err) .. ")") end
	end
	local i = 1
	while true do
		local a, b = find(s, sep, i, plain)
		if not a then break end
		if b < a then
			argerr("str.split", 2, "sep", format("pattern %q matches the empty string", sep))
		end
		out[#out + 1] = sub(s, i, a - 1)
		i = b + 1
	end
	out[#out + 1] = sub(s, i)
	return out
end

-- The trims scan only the whitespace they remove: a pattern such as
-- "^%s*(.*%S)" walks the whole string, slowly, in gopher-lua's matcher.
local space = { [9] = true, [10] = true, [11] = true, [12] = true, [13] = true, [32] = true }

local function left(s)
	local _, e = find(s, "^%s*")
	return e + 1
end

local function right(s, first)
	local i = #s
	while i >= first and space[byte(s, i)] do i = i - 1 end
	return i
end

function M.trim(s)
	s = checkstr("str.trim", 1, "s", s)
	local first = left(s)
	return sub(s, first, right(s, first))
end

function M.ltrim(s)
	s = checkstr("str.ltrim", 1, "s", s)
	return sub(s, left(s))
end

function M.rtrim(s)
	s = checkstr("str.rtrim", 1, "s", s)
	return sub(s, 1, right(s, 1))
end

function M.starts_with(s, prefix)
	s = checkstr("str.starts_with", 1, "s", s)
	prefix = checkstr("str.starts_with", 2, "prefix", prefix)
	return sub(s, 1, #prefix) == prefix
end

function M.ends_with(s, suffix)
	s = checkstr("str.ends_with", 1, "s", s)
	suffix = checkstr("str.ends_with", 2, "suffix", suffix)
	return suffix == "" or sub(s, -#suffix) == suffix
end

function M.contains(s, needle)
	s = checkstr("str.contains", 1, "s", s)
	needle = checkstr("str.contains", 2, "sub", needle)
	return find(s, needle, 1, true) ~= nil
end

function M.lines(s)
	s = checkstr("str.lines", 1, "s", s)
	local pos, n = 1, #s
	return function()
		if pos > n then return nil end
		local line
		local nl = find(s, "\n", pos, true)
		if nl then
			line, pos = sub(s, pos, nl - 1), nl + 1
		else
			line, pos = sub(s, pos), n + 1
		end
		if sub(line, -1) == "\r" then line = sub(line, 1, -2) end
		return line
	end
end

function M.join(list, sep)
	if type(list) ~= "table" then
		argerr("str.join", 1, "list", "table expected, got " .. type(list))
	end
	sep = sep == nil and "" or checkstr("str.join", 2, "sep", sep)
	local parts = {}
	for i = 1, #list do parts[i] = tostring(list[i]) end
	return concat(parts, sep)
end

function M.replace(s, old, new, n)
	s = checkstr("str.replace", 1, "s", s)
	old = checkstr("str.replace", 2, "old", old)
	new = checkstr("str.replace", 3, "new", new)
	if old == "" then argerr("str.replace", 2, "old", "must not be empty") end
	if n ~= nil and (type(n) ~= "number" or n < 0 or n % 1 ~= 0) then
		argerr("str.replace", 4, "n", "non-negative integer expected, got " .. tostring(n))
	end
	local out, i, count = {}, 1, 0
	while n == nil or count < n do
		local a, b = find(s, old, i, true)
		if not a then break end
		out[#out + 1] = sub(s, i, a - 1)
		out[#out + 1] = new
		i = b + 1
		count = count + 1
	end
	out[#out + 1] = sub(s, i)
	return concat(out)
end

return M
