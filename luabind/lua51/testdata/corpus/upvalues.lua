-- Upvalues stay shared after a caught error (gopher-lua detaches them all).
local count = 0
local function inc() count = count + 1 end
inc()
pcall(error, "x")
count = 10
inc()
print(count)
local x = 1
local function getx() return x end
print(pcall(function() local y = nil; return y.z end))
x = 2
print(getx())
local f
print(pcall(function() local x = 1; f = function() return x end; error("e") end))
local p1, p2, p3, p4 = 7, 8, 9, 10
print(f())
local g
print(pcall(function(y) g = function() y = y + 1 return y end; local z = nil; return z.q end, 41))
local q1, q2, q3 = 1, 2, 3
print(g(), g())
local co = coroutine.wrap(function()
  local k = 0
  local function bump() k = k + 1 return k end
  print(pcall(error, "in co"))
  k = 100
  print(bump())
end)
co()
local depth = 0
local function rec(n) if n == 0 then error("bottom") end local v = n; local r = function() return v end; depth = depth + 1; return rec(n - 1) end
print(pcall(rec, 3), depth)
print(select("#", pcall(function() return 1, 2, 3 end)))
