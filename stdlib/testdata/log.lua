local t = require("t")
local log = require("log")

stderr() -- discard anything earlier

test("levels and format", function()
	t.eq(log.level(), "info")
	log.debug("hidden")
	log.info("started")
	log.warn("disk low", { free = 10, path = "/var/x", ok = false })
	log.error("failed", { msg = "two words", empty = "", eq = "a=b", quote = 'say "hi"', nl = "a\nb" })
	t.eq(stderr(), table.concat({
		"INFO started\n",
		"WARN disk low free=10 ok=false path=/var/x\n",
		'ERROR failed empty="" eq="a=b" msg="two words" nl="a\\nb" quote="say \\"hi\\""\n',
	}))
end)

test("level setter", function()
	t.eq(log.level("warn"), "info")
	log.info("dropped")
	log.warn("kept")
	t.eq(log.level("debug"), "warn")
	log.debug("now visible", { n = 1.5 })
	t.eq(log.level("info"), "debug")
	t.eq(stderr(), "WARN kept\nDEBUG now visible n=1.5\n")
	t.raises(function() log.level("verbose") end, '^' .. where() .. ' log.level: bad argument #1 %(name%): unknown level "verbose"')
	t.raises(function() log.level({}) end, "log.level: bad argument #1 %(name%): string expected, got table")
	t.eq(log.level(), "info")
end)

test("values", function()
	local json = require("json")
	log.info(42)
	log.info(nil)
	log.info(setmetatable({}, { __tostring = function() return "obj" end }), {
		list = { 1, "a b" },
		obj = setmetatable({}, { __tostring = function() return "has space" end }),
		null = json.null,
	})
	local fn = print
	log.info("fn", { f = fn })
	local out = stderr()
	t.eq(select(2, out:gsub("\n", "")), 4)
	t.ok(out:find('^INFO 42\nINFO nil\nINFO obj list=%[1,"a b"%] null=json.null obj="has space"\nINFO fn f="function: 0x%x+"\n$'), out)
end)

test("bad arguments", function()
	t.raises(function() log.info("x", "y") end, "^" .. where() .. " log.info: bad argument #2 %(fields%): table expected, got string$")
	t.raises(function() log.warn("x", { 1 }) end, "log.warn: bad argument #2 %(fields%): keys must be strings, got number")
	t.raises(function() log.debug("x", 5) end, "log.debug: bad argument #2 %(fields%)")
	t.raises(function() log.debug("x", { [true] = 1 }) end, "keys must be strings, got boolean") -- even below the level
	t.eq(stderr(), "")
end)
