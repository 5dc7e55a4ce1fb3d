package lua51

import (
	"math"
	"math/bits"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// FormatNumber formats n as Lua 5.1 does (LUA_NUMBER_FMT "%.14g" with C's
// spelling of infinities and NaN): 1e+15, 9.007199254741e+15, 0.1, inf,
// -inf, nan, -nan.
func FormatNumber(n lua.LNumber) string {
	f := float64(n)
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 && !math.Signbit(f) {
		return strconv.FormatInt(int64(f), 10) // fast path; -0 falls through below
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// ToString converts v as Lua 5.1's tostring does, honouring __tostring
// and formatting numbers with FormatNumber.
func ToString(L *lua.LState, v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return FormatNumber(n)
	}
	return L.ToStringMeta(v).String()
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// ParseNumber converts s as Lua 5.1's tonumber does with base 10 (C's
// strtod as glibc implements it, then a hexadecimal integer, surrounding
// white space allowed): "1e2", " 10 ", "0x1F", ".5", "inf", "nan".
func ParseNumber(s string) (lua.LNumber, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return r < 128 && isSpace(byte(r)) })
	if s == "" {
		return 0, false
	}
	body, neg := s, false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	var f float64
	switch {
	case len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'):
		v, ok := parseHexFloat(body[2:])
		if !ok {
			return 0, false
		}
		f = v
	case strings.EqualFold(body, "inf") || strings.EqualFold(body, "infinity"):
		f = math.Inf(1)
	case strings.EqualFold(body, "nan"):
		f = math.NaN()
	default:
		if !decimalSyntax(body) {
			return 0, false
		}
		v, err := strconv.ParseFloat(body, 64)
		if err != nil {
			// Out of range: strtod gives ±HUGE_VAL or 0, and Lua takes it.
			if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
				return 0, false
			}
		}
		f = v
	}
	if neg {
		f = -f
	}
	return lua.LNumber(f), true
}

// decimalSyntax reports whether s is digits [. digits] [e [sign] digits]
// with at least one mantissa digit (what strtod accepts, minus the sign).
func decimalSyntax(s string) bool {
	i, digits := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseHexFloat parses the part after "0x": hex digits, an optional
// fraction and an optional binary exponent, as glibc's strtod does.
func parseHexFloat(s string) (float64, bool) {
	i, digits := 0, 0
	var m float64
	exp := 0
	for i < len(s) && hexVal(s[i]) >= 0 {
		m = m*16 + float64(hexVal(s[i]))
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && hexVal(s[i]) >= 0 {
			m = m*16 + float64(hexVal(s[i]))
			exp -= 4
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'p' || s[i] == 'P') {
		i++
		sign := 1
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			if s[i] == '-' {
				sign = -1
			}
			i++
		}
		start, e := i, 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if e < 100000 {
				e = e*10 + int(s[i]-'0')
			}
			i++
		}
		if i == start {
			return 0, false
		}
		exp += sign * e
	}
	if i != len(s) {
		return 0, false
	}
	return math.Ldexp(m, exp), true
}

// parseInBase converts s as Lua 5.1's tonumber(s, base) does for base
// other than 10 (C's strtoul: white space, an optional sign that negates
// modulo 2^64, "0x" allowed for base 16).
func parseInBase(s string, base int) (lua.LNumber, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return r < 128 && isSpace(byte(r)) })
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if base == 16 && len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	if s == "" {
		return 0, false
	}
	var n uint64
	overflow := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'z':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'Z':
			d = int(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		hi, lo := mulAdd(n, uint64(base), uint64(d))
		if hi != 0 {
			overflow = true
		}
		n = lo
	}
	if overflow {
		n = math.MaxUint64 // strtoul saturates
	} else if neg {
		n = -n
	}
	return lua.LNumber(float64(n)), true
}

func mulAdd(a, b, c uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(a, b)
	lo, carry := bits.Add64(lo, c, 0)
	return hi + carry, lo
}
