-- The shape H2 hit: a closure that updates an enclosing local and then
-- raises, called through pcall again and again. Plain gopher-lua v1.1.2
-- detaches the upvalue at the first caught error (calls stays 1); Lua 5.1
-- keeps it shared (2, then 5).
local calls = 0
local function f() calls = calls + 1; error("boom") end
print(pcall(f))
print(pcall(f))
print(calls)
for _ = 1, 3 do pcall(f) end
print(calls)
local t = {}
local function g(v) calls = calls + v; t[#t + 1] = calls; error({code = v}) end
local ok, e = pcall(g, 10)
print(ok, type(e), e.code, calls, t[1])
print(select(2, pcall(g, 1)).code, calls, #t)
