-- Method calls on every kind of prefix, in every statement position.
local function f() return {s = "a b c", t = {s = "x y"}, o = {n = 1}} end
function f_global() return {s = "g h"} end
local tbl = {f = f, s = "p q"}
local o = {n = 10}
function o:get() return self end
function o:add(k) return self.n + k end
for w in f().s:gmatch("%a") do io.write(w, ".") end print()
for w in f()["s"]:gmatch("%a") do io.write(w, ".") end print()
local k = "s"
for w in f()[k]:gmatch("%a") do io.write(w, ".") end print()
for w in f().t.s:gmatch("%a") do io.write(w, ".") end print()
for w in (f().s):gmatch("%a") do io.write(w, ".") end print()
for w in f_global().s:gmatch("%a") do io.write(w, ".") end print()
for w in tbl.f().s:gmatch("%a") do io.write(w, ".") end print()
for w in tbl.s:gmatch("%a") do io.write(w, ".") end print()
for i, v in ipairs(f().t.s:upper():gsub(" ", ""):rep(2):reverse():byte(1, -1) and {f().s:byte(1, 3)} or {}) do io.write(i, "=", v, " ") end print()
if f().s:find("b") then print("cond", f().s:find("b")) end
while not f().s:find("z") do print("while"); break end
repeat local r = f().s:len() until f().s:len() == r
print(o:get():add(1), o:get():get():add(2), (o):add(3), o["get"](o):add(4))
local function ret() return f().s:upper(), f()[k]:lower() end
print(ret())
local function tail() return f().t.s:upper() end
print(tail())
print(f().s:upper(), #f().s:upper(), f().s:sub(1, 1):upper())
local x = f().t.s:upper()
print(x)
local y = {f().s:upper(), n = f().t.s:len()}
print(y[1], y.n)
f().s:upper()
local it = ("a b"):gmatch("%a")
print(it(), it(), it())
local n = 0
for _ in string.gmatch("abc", "") do n = n + 1 end
print(n)
local function it3(s, c) print("it", s, c) if c == nil then return 1 end end
for x in it3 do end
for x in it3 do end
for a, b in next, {1} do print(a, b) end
