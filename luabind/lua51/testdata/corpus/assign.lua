-- Multiple assignment in all its shapes.
local a, b = 1, 2
a, b = b, a
print(a, b)
local c = 3
a, b, c = c, a, b
print(a, b, c)
local x, y, z = 1
print(x, y, z)
x, y = 10, 20, 30
print(x, y)
local function two() return 7, 8 end
x, y, z = two()
print(x, y, z)
x, y, z = two(), 1
print(x, y, z)
x, y, z = 0, two()
print(x, y, z)
x, y = (two())
print(x, y)
local t = {1, 2, 3}
local i = 1
i, t[i] = i + 1, 20
print(i, t[1], t[2])
t[1], t = 5, {}
print(t[1])
t = {1, 2}
t[1], t[2] = t[2], t[1]
print(t[1], t[2])
g1, g2 = 1, 2
g1, g2 = g2, g1
print(g1, g2)
local u1, u2 = "p", "q"
local function swapup() u1, u2 = u2, u1 end
swapup()
print(u1, u2)
local arr = {3, 1, 2, 0.21, 0.11}
for k = 1, #arr do
  for m = 1, #arr - k do
    if arr[m] > arr[m + 1] then arr[m], arr[m + 1] = arr[m + 1], arr[m] end
  end
end
print(table.concat(arr, " "))
local o = {v = 1}
local p = o
o, o.v = {v = 2}, 9
print(o.v, p.v)
local function f(n) n = tostring(n); return n end
print(f(5))
local function g(a1, b1) local l = 1; b1 = math.max(a1, 3); return a1, b1, l end
print(g(1, 2))
local q = 1
q = {q}
print(type(q), q[1])
local r1, r2 = 1, 2
do local r1, r2 = r2, r1; print(r1, r2) end
print(r1, r2)
local n = 0
local function inc() n = n + 1; return n end
local s = {}
s[inc()], s[inc()] = inc(), inc()
print(s[1], s[2], s[3], s[4])
local f1 = function() return f1 end
print(f1())
local function f2() return f2 end
print(f2() == f2)
