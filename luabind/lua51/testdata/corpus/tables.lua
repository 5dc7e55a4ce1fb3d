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
