package lua51

import (
	lua "github.com/yuin/gopher-lua"
)

// setmetatable is Lua 5.1's: the object must be a table and the
// metatable nil or a table. gopher-lua's sets the metatable of any type,
// so setmetatable("", {}) replaced the string metatable and broke every
// string method.
func (lib *library) setmetatable(L *lua.LState) int {
	if _, ok := L.Get(1).(*lua.LTable); !ok {
		typeError(L, 1, "setmetatable", "table")
	}
	t := L.Get(1).(*lua.LTable)
	switch L.Get(2).(type) {
	case *lua.LTable:
	case *lua.LNilType:
		if L.GetTop() < 2 {
			argError(L, 2, "setmetatable", "nil or table expected")
		}
	default:
		argError(L, 2, "setmetatable", "nil or table expected")
	}
	if mt, ok := t.Metatable.(*lua.LTable); ok && mt.RawGetString("__metatable") != lua.LNil {
		raise(L, "cannot change a protected metatable")
	}
	t.Metatable = L.Get(2)
	L.SetTop(1)
	return 1
}

// select is luaB_select: '#' (any string starting with it) counts,
// anything else is a luaL_checkint index (numeric strings accepted).
func (lib *library) selectFn(L *lua.LState) int {
	n := L.GetTop()
	if s, ok := L.Get(1).(lua.LString); ok && len(s) > 0 && s[0] == '#' {
		L.Push(lua.LNumber(n - 1))
		return 1
	}
	i := int(toCInt(checkNumber(L, 1, "select")))
	if i < 0 {
		i = n + i
	} else if i > n {
		i = n
	}
	if i < 1 {
		argError(L, 1, "select", "index out of range")
	}
	return n - i
}

// maxCStack is LUAI_MAXCSTACK, Lua 5.1's bound on the values a C
// function may push: unpack raises beyond it rather than building a huge
// result (pcall(unpack, {}, 1, 1e8) would push 10^8 nils).
const maxCStack = 8000

// unpack is luaB_unpack: bounds are luaL_checkint values, and more results
// than the C stack holds are "too many results to unpack".
func (lib *library) unpack(L *lua.LState) int {
	t := checkTable(L, 1, "unpack")
	i := int32(1)
	if L.Get(2) != lua.LNil {
		i = toCInt(checkNumber(L, 2, "unpack"))
	}
	var e int32
	if L.Get(3) != lua.LNil {
		e = toCInt(checkNumber(L, 3, "unpack"))
	} else {
		e = int32(t.Len())
	}
	if i > e {
		return 0
	}
	n := e - i + 1 // wraps as C's int does
	if n <= 0 || int(n) > maxCStack-L.GetTop() {
		raise(L, "too many results to unpack")
	}
	for k := int64(i); k <= int64(e); k++ {
		L.Push(t.RawGetInt(int(k)))
	}
	return int(n)
}
