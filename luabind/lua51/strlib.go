package lua51

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

const patternSpecials = "^$*+?.([%-"

// posrelat turns a relative string position (negative counts from the
// end) into an absolute one, as Lua 5.1's string library does.
func posrelat(pos int64, n int) int64 {
	if pos >= 0 {
		return pos
	}
	return int64(n) + pos + 1
}

// withPattern runs fn, turning a malformed-pattern panic into a Lua error.
func withPattern(L *lua.LState, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			if pe, ok := r.(*patternError); ok {
				raise(L, "%s", pe.msg)
				return
			}
			panic(r)
		}
	}()
	fn()
}

func pushCaptures(L *lua.LState, caps []capture) int {
	for _, c := range caps {
		if c.pos > 0 {
			L.Push(lua.LNumber(c.pos))
		} else {
			L.Push(lua.LString(c.s))
		}
	}
	return len(caps)
}

func (lib *library) strFindAux(L *lua.LState, find bool) int {
	fn := "match"
	if find {
		fn = "find"
	}
	s := checkString(L, 1, fn)
	p := checkString(L, 2, fn)
	init := posrelat(optInt(L, 3, fn, 1), len(s)) - 1
	if init < 0 {
		init = 0
	} else if init > int64(len(s)) {
		init = int64(len(s))
	}
	if find && (lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(p, patternSpecials)) {
		if i := strings.Index(s[init:], p); i >= 0 {
			L.Push(lua.LNumber(int(init) + i + 1))
			L.Push(lua.LNumber(int(init) + i + len(p)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	ret := 0
	withPattern(L, func() {
		ms := &matchState{src: s, pat: p}
		pstart := 0
		anchor := len(p) > 0 && p[0] == '^'
		if anchor {
			pstart = 1
		}
		for s1 := int(init); ; s1++ {
			ms.reset()
			if e := ms.match(s1, pstart); e != -1 {
				if find {
					L.Push(lua.LNumber(s1 + 1))
					L.Push(lua.LNumber(e))
					ret = 2 + pushCaptures(L, ms.captures(s1, e, false))
				} else {
					ret = pushCaptures(L, ms.captures(s1, e, true))
				}
				return
			}
			if s1 >= len(s) || anchor {
				break
			}
		}
		L.Push(lua.LNil)
		ret = 1
	})
	return ret
}

func (lib *library) strFind(L *lua.LState) int  { return lib.strFindAux(L, true) }
func (lib *library) strMatch(L *lua.LState) int { return lib.strFindAux(L, false) }

// strGmatch returns an ordinary closure, so the iterator may also be
// called directly (local it = s:gmatch(p); it()). As in Lua 5.1, '^' is
// not an anchor here.
func (lib *library) strGmatch(L *lua.LState) int {
	s := checkString(L, 1, "gmatch")
	p := checkString(L, 2, "gmatch")
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		ret := 0
		withPattern(L, func() {
			ms := &matchState{src: s, pat: p}
			for src := pos; src <= len(s); src++ {
				ms.reset()
				if e := ms.match(src, 0); e != -1 {
					pos = e
					if e == src {
						pos++ // empty match: go on at the next position
					}
					ret = pushCaptures(L, ms.captures(src, e, true))
					return
				}
			}
			pos = len(s) + 1
		})
		return ret
	}))
	return 1
}

func (lib *library) strGsub(L *lua.LState) int {
	src := checkString(L, 1, "gsub")
	p := checkString(L, 2, "gsub")
	repl := L.Get(3)
	switch repl.Type() {
	case lua.LTNumber, lua.LTString, lua.LTFunction, lua.LTTable:
	default:
		argError(L, 3, "gsub", "string/function/table expected")
	}
	maxN := optInt(L, 4, "gsub", int64(len(src)+1))
	var b strings.Builder
	n := int64(0)
	withPattern(L, func() {
		anchor := len(p) > 0 && p[0] == '^'
		pstart := 0
		if anchor {
			pstart = 1
		}
		ms := &matchState{src: src, pat: p}
		s := 0
		for n < maxN {
			ms.reset()
			e := ms.match(s, pstart)
			if e != -1 {
				n++
				lib.addValue(L, ms, &b, s, e, repl)
			}
			if e != -1 && e > s {
				s = e
			} else if s < len(src) {
				b.WriteByte(src[s])
				s++
			} else {
				break
			}
			lib.checkSize(L, b.Len(), "gsub")
			if anchor {
				break
			}
		}
		b.WriteString(src[min(s, len(src)):])
	})
	lib.checkSize(L, b.Len(), "gsub")
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(n))
	return 2
}

func (lib *library) addValue(L *lua.LState, ms *matchState, b *strings.Builder, s, e int, repl lua.LValue) {
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LString, lua.LNumber:
		news := lua.LVAsString(r)
		if n, ok := r.(lua.LNumber); ok {
			news = FormatNumber(n)
		}
		for i := 0; i < len(news); i++ {
			c := news[i]
			if c != '%' || i+1 >= len(news) {
				b.WriteByte(c)
				continue
			}
			i++
			d := news[i]
			switch {
			case d < '0' || d > '9':
				b.WriteByte(d)
			case d == '0':
				b.WriteString(ms.src[s:e])
			default:
				c := ms.capture(int(d-'1'), s, e)
				if c.pos > 0 {
					b.WriteString(FormatNumber(lua.LNumber(c.pos)))
				} else {
					b.WriteString(c.s)
				}
			}
		}
		return
	case *lua.LFunction:
		caps := ms.captures(s, e, true)
		L.Push(r)
		n := pushCaptures(L, caps)
		L.Call(n, 1)
		v = L.Get(-1)
		L.Pop(1)
	case *lua.LTable:
		c := ms.capture(0, s, e)
		var key lua.LValue = lua.LString(c.s)
		if c.pos > 0 {
			key = lua.LNumber(c.pos)
		}
		v = L.GetTable(r, key)
	}
	switch x := v.(type) {
	case *lua.LNilType:
		b.WriteString(ms.src[s:e])
	case lua.LBool:
		if !bool(x) {
			b.WriteString(ms.src[s:e])
		} else {
			raise(L, "invalid replacement value (a %s)", v.Type().String())
		}
	case lua.LString:
		b.WriteString(string(x))
	case lua.LNumber:
		b.WriteString(FormatNumber(x))
	default:
		raise(L, "invalid replacement value (a %s)", v.Type().String())
	}
}

func (lib *library) strRep(L *lua.LState) int {
	s := checkString(L, 1, "rep")
	n := checkInt(L, 2, "rep")
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if n > int64(lib.maxString)/int64(len(s)) {
		lib.tooLarge(L, "rep", float64(len(s))*float64(n))
	}
	L.Push(lua.LString(strings.Repeat(s, int(n))))
	return 1
}

// tableConcat is table.concat with numbers formatted as Lua 5.1 does and
// the result bounded.
func (lib *library) tableConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := optString(L, 2, "concat", "")
	i := optInt(L, 3, "concat", 1)
	var j int64
	if L.Get(4) == lua.LNil {
		j = int64(t.Len())
	} else {
		j = checkInt(L, 4, "concat")
	}
	var b strings.Builder
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(int(k)).(type) {
		case lua.LString:
			b.WriteString(string(v))
		case lua.LNumber:
			b.WriteString(FormatNumber(v))
		default:
			raise(L, "invalid value (%s) at index %d in table for 'concat'", t.RawGetInt(int(k)).Type().String(), k)
		}
		if k != j {
			b.WriteString(sep)
		}
		lib.checkSize(L, b.Len(), "concat")
		if k == j {
			break // j may be math.MaxInt64
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

func (lib *library) strSub(L *lua.LState) int {
	s := checkString(L, 1, "sub")
	i := posrelat(checkInt(L, 2, "sub"), len(s))
	j := posrelat(optInt(L, 3, "sub", -1), len(s))
	if i < 1 {
		i = 1
	}
	if j > int64(len(s)) {
		j = int64(len(s))
	}
	if i > j {
		L.Push(lua.LString(""))
	} else {
		L.Push(lua.LString(s[i-1 : j]))
	}
	return 1
}

func (lib *library) strByte(L *lua.LState) int {
	s := checkString(L, 1, "byte")
	i := posrelat(optInt(L, 2, "byte", 1), len(s))
	j := posrelat(optInt(L, 3, "byte", i), len(s))
	if i < 1 {
		i = 1
	}
	if j > int64(len(s)) {
		j = int64(len(s))
	}
	n := 0
	for k := i; k <= j; k++ {
		L.Push(lua.LNumber(s[k-1]))
		n++
	}
	return n
}

func (lib *library) strSimple(name string, fn func(string) string) lua.LGFunction {
	return func(L *lua.LState) int {
		L.Push(lua.LString(fn(checkString(L, 1, name))))
		return 1
	}
}

func (lib *library) strLen(L *lua.LState) int {
	L.Push(lua.LNumber(len(checkString(L, 1, "len"))))
	return 1
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// strChar is string.char: luaL_checkint values (numeric strings
// accepted) in 0..255, else "invalid value".
func (lib *library) strChar(L *lua.LState) int {
	n := L.GetTop()
	b := make([]byte, n)
	for i := 1; i <= n; i++ {
		c := toCInt(checkNumber(L, i, "char"))
		if c < 0 || c > 255 {
			argError(L, i, "char", "invalid value")
		}
		b[i-1] = byte(c)
	}
	L.Push(lua.LString(b))
	return 1
}
