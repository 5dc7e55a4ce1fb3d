package lua51

import (
	lua "github.com/yuin/gopher-lua"
)

// Table functions as Lua 5.1's ltablib.c defines them: positions are
// luaL_checkint values (numeric strings accepted), and the elements move
// one by one with raw accesses, whatever the position.

func checkTable(L *lua.LState, n int, fn string) *lua.LTable {
	t, ok := L.Get(n).(*lua.LTable)
	if !ok {
		typeError(L, n, fn, "table")
	}
	return t
}

// tableInsert is tinsert: table.insert(t, v) appends at #t+1;
// table.insert(t, pos, v) moves t[pos..] up, growing up to pos when pos is
// past the end.
func (lib *library) tableInsert(L *lua.LState) int {
	t := checkTable(L, 1, "insert")
	e := int64(t.Len()) + 1 // first empty element
	var pos int64
	switch L.GetTop() {
	case 2:
		pos = e
	case 3:
		pos = int64(toCInt(checkNumber(L, 2, "insert")))
		if pos > e {
			e = pos
		}
		if pos >= 1 && pos < e {
			// 1..e-1 are in gopher-lua's array part (#t is the last
			// non-nil element there): Insert shifts them at once.
			t.Insert(int(pos), L.Get(3))
			return 0
		}
		for i := e; i > pos; i-- {
			t.RawSetInt(int(i), t.RawGetInt(int(i-1)))
		}
	default:
		raise(L, "wrong number of arguments to 'insert'")
	}
	t.RawSetInt(int(pos), L.Get(L.GetTop()))
	return 0
}

// tableRemove is tremove: nothing (no value at all) when pos is not in
// 1..#t, else t[pos], moving the elements above it down.
func (lib *library) tableRemove(L *lua.LState) int {
	t := checkTable(L, 1, "remove")
	e := int64(t.Len())
	pos := e
	if L.Get(2) != lua.LNil {
		pos = int64(toCInt(checkNumber(L, 2, "remove")))
	}
	if pos < 1 || pos > e {
		return 0
	}
	// 1..e are in gopher-lua's array part, with only nils after e: its
	// Remove shifts the elements above pos down as tremove does, and
	// shrinks the array so that the next #t stays cheap.
	L.Push(t.Remove(int(pos)))
	return 1
}
