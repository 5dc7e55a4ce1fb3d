package lua51

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// strFormat is string.format with C's printf semantics as Lua 5.1 uses
// them: flags "-+ #0", width and precision of at most two digits each
// (which also bounds the result), and the conversions c d i o u x X e E f
// g G q s %.
func (lib *library) strFormat(L *lua.LState) int {
	fs := checkString(L, 1, "format")
	arg := 1
	var b strings.Builder
	for i := 0; i < len(fs); i++ {
		c := fs[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i < len(fs) && fs[i] == '%' {
			b.WriteByte('%')
			continue
		}
		arg++
		if arg > L.GetTop() {
			argError(L, arg, "format", "no value")
		}
		// Scan the spec: flags, width, precision.
		start := i
		for i < len(fs) && strings.IndexByte("-+ #0", fs[i]) >= 0 {
			i++
		}
		if i-start > 5 {
			raise(L, "invalid format (repeated flags)")
		}
		flags := fs[start:i]
		width, prec := -1, -1
		digits := func() int {
			n, d := 0, 0
			for i < len(fs) && fs[i] >= '0' && fs[i] <= '9' {
				n = n*10 + int(fs[i]-'0')
				i++
				d++
			}
			if d > 2 {
				raise(L, "invalid format (width or precision too long)")
			}
			if d == 0 {
				return -1
			}
			return n
		}
		width = digits()
		if i < len(fs) && fs[i] == '.' {
			i++
			prec = digits()
			if prec < 0 {
				prec = 0
			}
		}
		if i >= len(fs) {
			raise(L, "invalid option '%%%%' to 'format'")
		}
		conv := fs[i]
		switch conv {
		case 'c':
			ch := byte(checkInt(L, arg, "format"))
			b.WriteString(pad(string([]byte{ch}), width, flags))
		case 'd', 'i', 'o', 'u', 'x', 'X':
			n := toInteger(checkNumber(L, arg, "format"))
			b.WriteString(formatInt(n, flags, width, prec, conv))
		case 'e', 'E', 'f', 'g', 'G':
			f := checkNumber(L, arg, "format")
			b.WriteString(formatFloat(f, flags, width, prec, conv))
		case 'q':
			b.WriteString(quote(checkString(L, arg, "format")))
		case 's':
			s := checkString(L, arg, "format")
			if prec >= 0 && len(s) > prec {
				s = s[:prec]
			}
			b.WriteString(pad(s, width, flags))
		default:
			raise(L, "invalid option '%%%c' to 'format'", conv)
		}
		lib.checkSize(L, b.Len(), "format")
	}
	L.Push(lua.LString(b.String()))
	return 1
}

func spec(flags string, width, prec int, verb byte) string {
	var b strings.Builder
	b.WriteByte('%')
	b.WriteString(flags)
	if width >= 0 {
		b.WriteString(strconv.Itoa(width))
	}
	if prec >= 0 {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(prec))
	}
	b.WriteByte(verb)
	return b.String()
}

// formatInt is C's printf of a long for d i o u x X (Go's fmt differs:
// sign flags apply to unsigned conversions, %.0d of 0 is "0", # with zero
// padding does not count the prefix in the width).
func formatInt(n int64, flags string, width, prec int, conv byte) string {
	var digits, sign, prefix string
	switch conv {
	case 'd', 'i':
		u := uint64(n)
		if n < 0 {
			sign, u = "-", -u
		} else if strings.Contains(flags, "+") {
			sign = "+"
		} else if strings.Contains(flags, " ") {
			sign = " "
		}
		digits = strconv.FormatUint(u, 10)
	case 'u':
		digits = strconv.FormatUint(uint64(n), 10)
	case 'o':
		digits = strconv.FormatUint(uint64(n), 8)
	case 'x', 'X':
		digits = strconv.FormatUint(uint64(n), 16)
		if conv == 'X' {
			digits = strings.ToUpper(digits)
		}
		if n != 0 && strings.Contains(flags, "#") {
			prefix = "0" + string(conv)
		}
	}
	if prec == 0 && n == 0 {
		digits = ""
	}
	if len(digits) < prec {
		digits = strings.Repeat("0", prec-len(digits)) + digits
	}
	if conv == 'o' && strings.Contains(flags, "#") && (digits == "" || digits[0] != '0') {
		digits = "0" + digits
	}
	head := sign + prefix
	if fill := width - len(head) - len(digits); fill > 0 {
		switch {
		case strings.Contains(flags, "-"):
			digits += strings.Repeat(" ", fill)
		case strings.Contains(flags, "0") && prec < 0:
			digits = strings.Repeat("0", fill) + digits
		default:
			head = strings.Repeat(" ", fill) + head
		}
	}
	return head + digits
}

// pad pads s to width bytes (Go's %5s counts runes; C counts bytes).
func pad(s string, width int, flags string) string {
	if len(s) >= width {
		return s
	}
	fill := strings.Repeat(" ", width-len(s))
	if strings.Contains(flags, "-") {
		return s + fill
	}
	return fill + s
}

func formatFloat(f float64, flags string, width, prec int, conv byte) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		s := "inf"
		if math.IsNaN(f) {
			s = "nan"
		}
		if conv == 'E' || conv == 'G' {
			s = strings.ToUpper(s)
		}
		switch {
		case math.Signbit(f):
			s = "-" + s
		case strings.Contains(flags, "+"):
			s = "+" + s
		case strings.Contains(flags, " "):
			s = " " + s
		}
		return pad(s, width, strings.ReplaceAll(flags, "0", ""))
	}
	if prec < 0 {
		prec = 6
	}
	if (conv == 'g' || conv == 'G') && prec == 0 {
		prec = 1 // C: a precision of 0 means 1 for %g
	}
	return fmt.Sprintf(spec(flags, width, prec, conv), f)
}

// quote is %q: the string between double quotes, with ", \, newline
// (as backslash-newline), \r and \0 escaped, as Lua 5.1 writes it.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '\n':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\000`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
