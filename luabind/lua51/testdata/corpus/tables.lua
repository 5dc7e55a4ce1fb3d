-- Table constructors: only a positional last field expands.
local function mr() return 10, 20 end
local function g() return "k", "v" end
local t = {1, k = tostring(2)} print(t[1], t[2], t.k)
local function f(...) local t = {..., n = select('#', ...)} return #t, t.n, t[1], t[2], t[3] end
print(f(7, 8, 9))
local function h(...) local t = {1, n = ...} return #t, t.n, t[2] end
print(h(5, 6))
t = {1, 2, 3, x = mr()} print(#t, t.x, t[4])
t = {"a", "b", [g()] = g()} print(#t, t.k, t[3])
t = {1, mr()} print(#t, t[2], t[3])
t = {mr(), mr()} print(#t)
t = {mr(), k = 1, mr()} print(#t, t.k)
t = {mr(), k = mr()} print(#t, t.k, t[2])
t = {[1] = mr()} print(#t, t[1], t[2])
-- table.insert and table.remove at edge positions.
local function show(t, lo, hi) local o = {} for i = lo, hi do o[#o + 1] = tostring(t[i]) end return table.concat(o, ",") end
local t = {1, 2} print(table.remove(t, 0), t[2])
print(select('#', table.remove({})))
print(select('#', table.remove({}, 1)))
print(select('#', table.remove({1}, 5)), select('#', table.remove({1}, -1)))
t = {1, 2, 3} table.insert(t, 0, "x") print(#t, t[0], t[1], t[2], t[3], t[4])
t = {1, 2, 3} table.insert(t, -2, "y") print(#t, show(t, -2, 4))
t = {1, 2, 3} table.insert(t, 6, "z") print(show(t, 1, 6))
t = {1, 2, 3} table.insert(t, 4, "w") print(#t, show(t, 1, 4))
t = {} table.insert(t, "a") table.insert(t, 1, "b") print(#t, show(t, 1, 2))
t = {1, 2, 3} table.insert(t, "2", "s") print(#t, show(t, 1, 4))
t = {1, 2, 3} print(table.remove(t, "1"), #t, show(t, 1, 3))
t = {1, 2, 3} print(table.remove(t), #t)
t = {1, 2, 3} print(table.remove(t, 2.7), show(t, 1, 3))
t = {1, 2, 3} print(pcall(table.insert, t, 1, 2, 3))
print(pcall(table.insert, t))
print(pcall(table.insert, nil, 1))
print(pcall(table.insert, t, "x", 1))
print(pcall(table.remove, t, "x"))
print(pcall(table.remove))
print(pcall(function() table.insert({}, 1, 2, 3) end))
t = {n = 1} table.insert(t, "v") print(t[1], t.n)
t = {1, 2, 3} print(table.remove(t, 3), table.remove(t, 3), #t)
