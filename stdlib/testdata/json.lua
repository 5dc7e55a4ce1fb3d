local t = require("t")
local json = require("json")

test("encode scalars", function()
	t.eq(json.encode(nil), "null")
	t.eq(json.encode(json.null), "null")
	t.eq(json.encode(true), "true")
	t.eq(json.encode(false), "false")
	t.eq(json.encode(0), "0")
	t.eq(json.encode(-0.5), "-0.5")
	t.eq(json.encode(42), "42")
	t.eq(json.encode(1e21), "1e+21")
	t.eq(json.encode(1e-7), "1e-7")
	t.eq(json.encode(2^53), "9007199254740992")
	t.eq(json.encode("a\"b\\c\n\t\1<>&"), [["a\"b\\c\n\t\u0001<>&"]])
	t.eq(json.encode("héllo ✓"), '"héllo ✓"')
	t.eq(json.encode("\226\128\168"), [["\u2028"]])
end)

test("empty tables", function()
	t.eq(json.encode({}), "[]")
	t.eq(json.encode(json.object()), "{}")
	t.eq(json.encode({ a = {}, b = json.object() }), [[{"a":[],"b":{}}]])
	t.eq(json.encode(json.decode("{}")), "{}")
	t.eq(json.encode(json.decode("[]")), "[]")
end)

test("arrays and objects", function()
	t.eq(json.encode({ 1, "two", true }), [=[[1,"two",true]]=])
	t.eq(json.encode({ b = 1, a = 2, c = { d = { 1, 2 } } }), [[{"a":2,"b":1,"c":{"d":[1,2]}}]])
	t.eq(json.encode({ 1, json.null, 3 }), "[1,null,3]")
	t.eq(json.encode(json.object({ [1] = "a", [10] = "b" })), [[{"1":"a","10":"b"}]])
	local shared = { 1 }
	t.eq(json.encode({ a = shared, b = shared }), [[{"a":[1],"b":[1]}]])
end)

test("indent", function()
	t.eq(json.encode({ a = { 1 } }, { indent = 2 }), '{\n  "a": [\n    1\n  ]\n}')
	t.eq(json.encode({ 1 }, { indent = "\t" }), "[\n\t1\n]")
	t.raises(function() json.encode({}, { indent = "x" }) end, "json.encode: bad argument #2 %(opts%)")
	t.raises(function() json.encode({}, { indent = -1 }) end, "integer 0..16")
	t.raises(function() json.encode({}, { indent = true }) end, "number or string expected, got boolean")
	t.raises(function() json.encode({}, { indnet = 2 }) end, 'unknown option "indnet"')
	t.raises(function() json.encode({}, 5) end, "table expected, got number")
	t.raises(function() json.encode() end, "^" .. where() .. " json.encode: bad argument #1 %(value%): value expected$")
end)

test("encode failures return nil, message", function()
	local cases = {
		{ 0 / 0, "json.encode: cannot encode NaN" },
		{ 1 / 0, "NaN and infinities" },
		{ { a = { -1 / 0 } }, '^json.encode: at %["a"%]%[1%]: cannot encode %-Inf' },
		{ print, "cannot encode function" },
		{ { 1, 2, nil, 4 }, "sparse array" },
		{ { [2] = "x" }, "sparse array" },
		{ { 1, a = 2 }, "both string and integer keys" },
		{ { [1.5] = 1 }, "key 1.5" },
		{ { [true] = 1 }, "key of type boolean" },
		{ "\255", "not valid UTF%-8" },
		{ { ["\255"] = 1 }, "key that is not valid UTF%-8" },
		{ coroutine.create(print), "cannot encode thread" },
		{ json.object({ [1] = 1, ["1"] = 2 }), 'key "1" twice' },
	}
	for i, c in ipairs(cases) do
		local s, err = json.encode(c[1])
		t.eq(s, nil, "case " .. i)
		t.ok(type(err) == "string" and err:find(c[2]), "case " .. i .. ": " .. tostring(err))
	end
	local cyclic = { name = "x" }
	cyclic.self = cyclic
	local s, err = json.encode(cyclic)
	t.eq(s, nil)
	t.ok(err:find('at %["self"%]: cannot encode a table that contains itself'), err)
end)

test("decode", function()
	t.eq(json.decode("1"), 1)
	t.eq(json.decode(" \"x\" "), "x")
	t.eq(json.decode("true"), true)
	t.eq(json.decode("null"), json.null)
	t.eq(json.decode('[1,null,3]'), { 1, json.null, 3 })
	t.eq(#json.decode('[1,null,3]'), 3)
	t.eq(json.decode('{"a":null}').a, json.null)
	t.eq(json.decode('{"a":{"b":[1,{"c":"d"}]}}'), { a = { b = { 1, { c = "d" } } } })
	t.eq(json.decode([["\u00e9\u2713\ud83d\ude00"]]), "é✓😀")
	t.eq(json.decode('{"a":1,"a":2}').a, 2)
	t.eq(json.decode(12), 12) -- a number argument is its string form
	t.eq(tostring(json.null), "json.null")
	t.eq(type(json.null), "userdata")
end)

test("decode failures return nil, message", function()
	for _, c in ipairs({
		{ "", "unexpected end of JSON input" },
		{ "{", "unexpected end" },
		{ "[1,]", "invalid character ']' looking for beginning of value %(at byte 4%)" },
		{ "nul", "invalid character" },
		{ "1 2", "after top%-level value" },
		{ "{'a':1}", "invalid character" },
		{ "1e400", "1e400" },
		{ "NaN", "invalid character" },
	}) do
		local v, err = json.decode(c[1])
		t.eq(v, nil, c[1])
		t.ok(err:find("^json.decode: ") and err:find(c[2]), c[1] .. " -> " .. err)
	end
	t.raises(function() json.decode() end, "json.decode: bad argument #1 %(text%): string expected, got nil")
	t.raises(function() json.decode({}) end, "string expected, got table")
end)

test("large numbers", function()
	-- Lua numbers are doubles: integers are exact up to 2^53, beyond that
	-- decoding rounds to the nearest double.
	t.eq(json.decode("9007199254740992"), 2 ^ 53)
	t.eq(json.decode("9007199254740993"), 2 ^ 53)
	t.eq(json.encode(json.decode("12345678901234567890")), "12345678901234567000")
	t.eq(json.decode("-0"), 0)
	t.eq(json.decode("1.5e3"), 1500)
end)

test("round trips", function()
	local docs = {
		'{"a":[1,2,{"b":null}],"c":"é\\n","d":{},"e":[],"f":false,"g":-1.25}',
		'[[],[[]],{},[{}],null,0,"",1e-7]',
		'"\\u2028"',
		'{"":1," ":2}',
	}
	for _, doc in ipairs(docs) do
		t.eq(json.encode(json.decode(doc)), doc)
	end
	local values = {
		{ 1, 2, 3 },
		{ name = "x", list = { "a", "b" }, nested = { deep = { deeper = { true } } } },
		{ json.null, json.null },
		"line1\nline2\0end",
		{ unicode = "日本語", emoji = "😀" },
		{ big = 2 ^ 53, small = 1e-300, neg = -123456.789 },
	}
	for i, v in ipairs(values) do
		local s = assert(json.encode(v))
		t.eq(json.decode(s), v, "value " .. i)
		t.eq(json.encode(json.decode(s)), s, "value " .. i)
	end
end)

test("object", function()
	local o = json.object({ x = 1 })
	t.eq(json.encode(o), '{"x":1}')
	o.x = nil
	t.eq(json.encode(o), "{}")
	t.eq(json.object(o), o) -- idempotent
	t.raises(function() json.object(setmetatable({}, {})) end, "json.object: bad argument #1 %(t%): table already has a metatable")
	t.raises(function() json.object("x") end, "table or nil expected, got string")
end)

test("same module per state", function()
	t.ok(require("json") == json)
	t.ok(json.decode("null") == json.null)
end)

test("deep nesting", function()
	local deep = {}
	local cur = deep
	for _ = 1, 10001 do
		local nxt = {}
		cur[1] = nxt
		cur = nxt
	end
	local s, err = json.encode(deep)
	t.eq(s, nil)
	t.ok(err:find("nesting deeper than 10000"), err)
	local v
	v, err = json.decode(string.rep("[", 10001) .. string.rep("]", 10001))
	t.eq(v, nil)
	t.ok(err:find("^json.decode: .*depth"), err)
	-- 500 levels are fine both ways
	local text = string.rep("[", 500) .. string.rep("]", 500)
	t.eq(json.encode(json.decode(text)), text)
end)
