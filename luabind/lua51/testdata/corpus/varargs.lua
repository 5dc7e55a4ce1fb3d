-- Varargs, select, closures over loop variables.
local function count(...) return select("#", ...) end
print(count(), count(nil), count(nil, nil), count(1, nil, 3))
print(select(2, "a", "b", "c"))
print(select(-1, "a", "b", "c"))
print(select("#"))
print(pcall(select, 0, 1))
local function pass(...) return ... end
print(pass(1, nil, 3))
print((pass(1, 2, 3)))
local t = {pass(1, 2), pass(3, 4)}
print(#t, t[1], t[2], t[3])
local function v2(...) local a, b = ... return a, b end
print(v2(9))
local function packed(...) local p = {...} return #p, p[1], p[#p] end
print(packed(4, 5, 6))
local function argc(...) return arg and arg.n end
print(argc(1, 2, 3))
print(unpack({1, 2, 3}))
print(unpack({1, 2, 3}, 2))
print(unpack({1, 2, 3}, 2, 3))
local fs = {}
for i = 1, 3 do fs[i] = function() return i end end
print(fs[1](), fs[2](), fs[3]())
fs = {}
for _, v in ipairs({"a", "b"}) do fs[#fs + 1] = function() return v end end
print(fs[1](), fs[2]())
fs = {}
local j = 0
while j < 3 do j = j + 1; local k = j; fs[j] = function() k = k + 10; return k end end
print(fs[1](), fs[1](), fs[2](), fs[3]())
local function counter()
  local c = 0
  return function() c = c + 1; return c end
end
local c1, c2 = counter(), counter()
print(c1(), c1(), c2())
-- select and unpack: numeric strings are numbers; unpack is bounded by
-- Lua 5.1's C stack (LUAI_MAXCSTACK).
print(select('2', 'a', 'b', 'c'))
print(select('-1', 'a', 'b', 'c'))
print(select('#x', 1, 2), select(2.9, 'a', 'b', 'c'))
print(pcall(select, 'x', 1))
print(pcall(select, 0, 1))
print(pcall(select, -5, 1))
print(pcall(select))
print(pcall(function() return select('y') end))
print(unpack({1, 2, 3}, '2'))
print(unpack({1, 2, 3}, 2, '3'))
print(unpack({1, 2, 3}, -1, 1))
print(select('#', unpack({1, 2, 3}, 3, 2)))
print(pcall(unpack, {}, 1, 1e8))
print(pcall(unpack, {}, 1, 'z'))
print(pcall(unpack))
print(pcall(function() return unpack({}, 1, 1e8) end))
local t = {} for i = 1, 7997 do t[i] = i end
print(select('#', unpack(t)))
print(pcall(unpack, t, 1, 7998))
local function f(...) return select('#', ...) end
print(f(unpack(t)))
print(pcall(function() return select('#', unpack(t, 1, 7997)) end))
print(pcall(function() return select('#', unpack(t, 1, 7998)) end))
