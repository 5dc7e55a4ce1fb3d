-- A call or ... used as an operand gives exactly one value, wherever it
-- stands in the expression (the last operand of .. and % too).
local s = "0\n"
print("z=" .. s:gsub("%s", ""))
print(s:gsub("%s", "") .. "=z")
print("a" .. "b" .. select(1, "c", "d", "e"))
local function two() return "x", "y" end
print(two() .. two())
print("<" .. two() .. ">")
local function cat(...) return "v:" .. ... end
print(cat("p", "q", "r"))
local function cat2(...) return ... .. "!" end
print(cat2("p", "q"))
print(10 % select(1, 3, 4))
print(select(1, 10, 20) % 4)
local function mod(...) return 7 % ... end
print(mod(4, 5))
print(#("ab" .. two()), ("ab" .. two()):upper())
local t = {"a" .. two()}
print(#t, t[1])
print(math.max(1, 2 .. two() == "2x" and 5 or 0))
