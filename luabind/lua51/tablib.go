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

// tableForeachi is Lua 5.1's table.foreachi: f(i, t[i]) for i in 1..#t,
// stopping at the first non-nil result, which it returns.
func (lib *library) tableForeachi(L *lua.LState) int {
	t := checkTable(L, 1, "foreachi")
	f := checkFunction(L, 2, "foreachi")
	n := t.Len()
	for i := 1; i <= n; i++ {
		if foreachStep(L, f, lua.LNumber(i), t.RawGetInt(i)) {
			return 1
		}
	}
	return 0
}

// tableForeach is Lua 5.1's table.foreach: f(k, v) for every pair, as
// next visits them, stopping at the first non-nil result.
func (lib *library) tableForeach(L *lua.LState) int {
	t := checkTable(L, 1, "foreach")
	f := checkFunction(L, 2, "foreach")
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		if foreachStep(L, f, k, v) {
			return 1
		}
	}
	return 0
}

// foreachStep calls f(k, v) for foreach and foreachi and reports whether
// it returned a non-nil value, which it then leaves on the stack.
func foreachStep(L *lua.LState, f *lua.LFunction, k, v lua.LValue) bool {
	L.Push(f)
	L.Push(k)
	L.Push(v)
	L.Call(2, 1)
	if L.Get(-1) != lua.LNil {
		return true
	}
	L.Pop(1)
	return false
}

// tableSetn is Lua 5.1's table.setn, which is obsolete (luaL_setn is
// defined away in 5.1's default build).
func (lib *library) tableSetn(L *lua.LState) int {
	checkTable(L, 1, "setn")
	raise(L, "'setn' is obsolete")
	return 0
}

// tableMaxn is Lua 5.1's table.maxn: the largest positive numeric key,
// integer or not (gopher-lua's looks at the array part only).
func (lib *library) tableMaxn(L *lua.LState) int {
	t := checkTable(L, 1, "maxn")
	maxKey := 0.0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		if n, ok := k.(lua.LNumber); ok && float64(n) > maxKey {
			maxKey = float64(n)
		}
	}
	L.Push(lua.LNumber(maxKey))
	return 1
}
