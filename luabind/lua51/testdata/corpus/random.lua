-- math.random and math.randomseed: a per-state generator, reproducible for a seed
-- (glibc's rand(), so the values are lua5.1's on Linux), with 5.1's argument rules.
print(math.random(), math.random(10), math.random(5, 8))
math.randomseed(42)
local a = {math.random(), math.random(100), math.random(-3, 3)}
math.randomseed(42)
local b = {math.random(), math.random(100), math.random(-3, 3)}
print(a[1] == b[1], a[2] == b[2], a[3] == b[3])
print(a[1], a[2], a[3])
math.randomseed("7") print(math.random(1000))
math.randomseed(-5) print(math.random(1000))
math.randomseed(0) print(math.random(1000))
math.randomseed(2^40) print(math.random(1000))
local ok = true
for i = 1, 1000 do local x = math.random() if x < 0 or x >= 1 then ok = false end
  local y = math.random(3) if y < 1 or y > 3 or y % 1 ~= 0 then ok = false end
  local z = math.random(-2, 2) if z < -2 or z > 2 then ok = false end end
print(ok)
print(math.random(3, 3), math.random(1), math.random("2", "2"))
print(pcall(math.random, 0))
print(pcall(math.random, 5, 4))
print(pcall(math.random, 1, 2, 3))
print(pcall(math.random, "x"))
print(pcall(math.random, 2^31))
print(pcall(math.randomseed))
print(pcall(function() return math.random(0) end))
print(pcall(function() return math.random(1, 2, 3) end))
print(select("#", math.randomseed(1)))
