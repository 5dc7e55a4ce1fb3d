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
