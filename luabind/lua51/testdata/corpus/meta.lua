-- Metatables and metamethods.
local V = {}
V.__index = V
local function new(x) return setmetatable({x = x}, V) end
V.__add = function(a, b) return new(a.x + b.x) end
V.__sub = function(a, b) return new(a.x - b.x) end
V.__mul = function(a, b) return new((type(a) == "number" and a or a.x) * (type(b) == "number" and b or b.x)) end
V.__div = function(a, b) return new(a.x / b.x) end
V.__mod = function(a, b) return new(a.x % b.x) end
V.__pow = function(a, b) return new(a.x ^ b.x) end
V.__unm = function(a) return new(-a.x) end
V.__eq = function(a, b) return a.x == b.x end
V.__lt = function(a, b) return a.x < b.x end
V.__le = function(a, b) return a.x <= b.x end
V.__concat = function(a, b)
  return (type(a) == "table" and "V" .. a.x or a) .. "&" .. (type(b) == "table" and "V" .. b.x or b)
end
V.__tostring = function(a) return "V(" .. a.x .. ")" end
V.__call = function(self, y) return self.x + y end
local a, b = new(6), new(4)
print(tostring(a + b), tostring(a - b), tostring(a * b), tostring(2 * a), tostring(a / b))
print(tostring(a % b), tostring(a ^ new(2)), tostring(-a))
print(a == b, a == new(6), a < b, a <= b, a > b, a >= b)
print(a .. b, a .. "s", "s" .. a, 1 .. a, a .. b .. "z", "y" .. a .. b)
print(a(5), tostring(a), print == print)
local log = {}
local P = setmetatable({}, {
  __index = function(t, k) log[#log + 1] = "get " .. k; return k .. "!" end,
  __newindex = function(t, k, v) log[#log + 1] = "set " .. k; rawset(t, k, v) end,
})
print(P.foo, P.bar)
P.foo = 1
print(P.foo, rawget(P, "bar"))
print(table.concat(log, ","))
local D = setmetatable({}, {__index = {inherited = "yes"}})
print(D.inherited, rawget(D, "inherited"))
print(getmetatable("").__index == string, getmetatable(a) == V)
local prot = setmetatable({}, {__metatable = "locked"})
print(getmetatable(prot), pcall(setmetatable, prot, {}))
print(rawequal(a, a), rawequal(a, new(6)))
local weak = setmetatable({}, {__mode = "k"})
print(type(weak))
print(#setmetatable({1, 2, 3}, {}))
-- setmetatable takes a table and nil or a table.
print(pcall(setmetatable, "", {}))
print(("abc"):upper())
print(pcall(setmetatable, {}, 1))
print(pcall(setmetatable, {}, "x"))
print(pcall(setmetatable))
print(pcall(setmetatable, {}))
print(select('#', setmetatable({}, nil)))
local t = setmetatable({}, {__metatable = "locked"})
print(pcall(setmetatable, t, {}))
print(getmetatable(t))
print(pcall(function() setmetatable(1, {}) end))
print(pcall(function() return setmetatable({}, true) end))
print(pcall(function() setmetatable() end))
