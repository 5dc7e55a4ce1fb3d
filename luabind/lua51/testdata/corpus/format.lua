-- string.format directives.
print(string.format("%d %5d %-5d| %05d %+d % d", 42, 42, 42, 42, 42, 42))
print(string.format("%i %d %d %d", 3.7, -3.7, 2^31, -2^31))
print(string.format("%x %X %o %#x %#o %08x", 255, 255, 8, 255, 8, 48879))
print(string.format("%u", 42))
print(string.format("%e %E %.2e %10.3e", 12345.678, 0.00012, 1, -5))
print(string.format("%f %.2f %10.4f %-10.1f| %.0f %.0f %.0f", 3.14159, 3.14159, 2.5, 2.5, 0.5, 1.5, 2.5))
print(string.format("%g %g %g %g %g %g %g", 100000, 1000000, 1e20, 0.0001, 0.00001, 123456789, 0.1))
print(string.format("%G %.3g %.10g %#g %g", 1e-10, 3.14159, 1/3, 1, 0))
print(string.format("%5.1f|%-8s|%8s|%.2s", 3.14159, "ab", "ab", "abc"))
print(string.format("%c%c%c", 76, 117, 97), string.format("%5c|", 65))
print(string.format("%q", 'a "quoted" \\ string\nnew line\r\0end'))
print(string.format("%q", "tab\there"))
print(string.format("%s %s %s %s", 1, 1.5, "s", 1e100))
print(string.format("%%"), string.format("100%%"))
print(string.format("%s", 1/0), string.format("%f", 1/0), string.format("%.1f", -1/0), string.format("%d", 0))
print(string.format("%3d|%-3d|%03d", -5, -5, -5))
print(pcall(string.format, "%d", "x"))
print(pcall(string.format, "%d"))
print(pcall(string.format, "%y", 1))
print(pcall(string.format, "%123d", 1))
print(pcall(string.format, "%s"))
print(string.format("%s|%s", "a", "b"), string.format("no directives"))
print(string.format("%.3s|%.0s|", "abcdef", "abc"))
print(string.format("%-+6d|%+-6d|", 5, 5))
print(#string.format("%99d", 1), #string.format("%.99f", 1))
print(string.format("%5.2s|", "abc"))
-- string.format integer conversions with C's flags. F keeps "0x" from
-- looking like an address to the comparison.
local function F(...) return (string.format(...):gsub("0([xX])", "0_%1")) end
print(F("%+.0d|% .0d|%+u|% u|%#05x|%#.0o", 0, 0, 5, 5, 1, 0))
local fl = {"", "-", "+", " ", "#", "0", "-0", "+0", " 0", "#0", "-#", "+ ", "-+0#"}
local ws = {"", "1", "6"}
local ps = {"", ".0", ".3", "."}
local vs = {0, 1, -1, 42, -42, 255, 2^31, -2^31, 123456789}
for _, c in ipairs({"d", "i", "u", "o", "x", "X"}) do
  local line = {}
  for _, f in ipairs(fl) do for _, w in ipairs(ws) do for _, p in ipairs(ps) do
    for _, v in ipairs(vs) do
      do
        line[#line + 1] = F("%" .. f .. w .. p .. c, v)
      end
    end
  end end end
  print(c, table.concat(line, "|"))
end
print(F("%5.2d|%-5.2x|%05d|%-05d|%+05d|% 05d|%#o|%#x|%#X", 3, 10, -3, 7, 7, 7, 8, 255, 255))
