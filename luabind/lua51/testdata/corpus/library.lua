-- Lua 5.1 functions gopher-lua lacks or differs in: table.foreach, foreachi,
-- setn, maxn, gcinfo, next with an invalid key, collectgarbage's options.
print(table.foreach({a = 1}, function(k, v) print("fe", k, v) end))
print(table.foreach({a = 1, b = 2}, function(k, v) return v * 10 end) % 10)
print(table.foreachi({10, 20, 30}, function(i, v) print("fi", i, v) end))
print(table.foreachi({10, 20, 30}, function(i, v) if i == 2 then return v, "extra" end end))
print(select('#', table.foreachi({}, print)), select('#', table.foreach({}, print)))
print(pcall(table.foreach, {}, nil))
print(pcall(table.foreachi, nil, print))
print(pcall(function() table.foreach({}) end))
print(pcall(table.setn, {}, 1))
print(pcall(function() table.setn({}, 1) end))
print(pcall(table.setn, 1))
print(type(gcinfo()), gcinfo() > 0, math.floor(gcinfo()) == gcinfo())
print(table.maxn({[1.5] = 1}), table.maxn({1, 2, [10] = 3, [-4] = 1, x = 1}), table.maxn({}), table.maxn({[2^40] = 1}))
print(table.maxn({1, 2, [2.5] = 1}), table.maxn({[-1] = 1}))
print(pcall(table.maxn, nil))
print(pcall(next, {}, "nokey"))
print(pcall(next, {a = 1}, "b"))
print(pcall(function() return next({}, 1) end))
print(next({}), next({}, nil))
print(next({5}))
print(pcall(collectgarbage, "bogus"))
print(pcall(function() collectgarbage("bogus") end))
print(pcall(collectgarbage, 5))
print(collectgarbage(), collectgarbage("collect"))
print(type(collectgarbage("step")), type(collectgarbage("step", 100)))
print(type(collectgarbage("count")), collectgarbage("count") > 0)
print(collectgarbage("setpause", 150), collectgarbage("setpause", 200), collectgarbage("setstepmul", 300), collectgarbage("setstepmul"))
print(collectgarbage("stop"), collectgarbage("restart"))
print(select('#', collectgarbage("collect")))
local t = {1, 2, 3, a = 1, b = 2, [1.5] = 3, [true] = 4}
for k in next, t do t[k] = nil end
print(next(t))
t = {x = 1, y = 2, 10, 20}
local n = 0
for k, v in next, t do n = n + 1 t[k] = nil end
print(n, next(t))
t = {1, 2}
print(next(t, 2), pcall(next, t, 3))
t = {a = 1} t.a = nil print(next(t, "a"))
