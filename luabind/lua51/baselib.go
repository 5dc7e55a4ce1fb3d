package lua51

import (
	"math"
	"reflect"
	"runtime"
	"unsafe"

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

// next is Lua 5.1's next: a key the table does not hold is "invalid key
// to 'next'" (gopher-lua's ends the traversal). A key whose value was
// set to nil during the traversal stays valid, as in Lua 5.1: gopher-lua
// keeps every key ever stored in the hash part in its key index (k2i),
// and an integer key inside its array part is valid whatever its value.
// gopher-lua has no API for either, so the fields are reached by offset,
// found by name once; if the layout differs, every key is accepted.
func (lib *library) next(L *lua.LState) int {
	t := checkTable(L, 1, "next")
	key := L.Get(2)
	if key != lua.LNil && !validNextKey(t, key) {
		// luaG_runerror from a C function: no position.
		L.Error(lua.LString("invalid key to 'next'"), 0)
	}
	k, v := t.Next(key)
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

var tableFields = func() (f struct {
	ok               bool
	arrayOff, k2iOff uintptr
}) {
	tt := reflect.TypeOf(lua.LTable{})
	a, okA := tt.FieldByName("array")
	k, okK := tt.FieldByName("k2i")
	f.ok = okA && okK && a.Type == reflect.TypeOf([]lua.LValue(nil)) && k.Type == reflect.TypeOf(map[lua.LValue]int(nil))
	f.arrayOff, f.k2iOff = a.Offset, k.Offset
	return f
}()

func validNextKey(t *lua.LTable, key lua.LValue) bool {
	if t.RawGet(key) != lua.LNil || !tableFields.ok {
		return true
	}
	p := unsafe.Pointer(t)
	if n, ok := key.(lua.LNumber); ok && n >= 1 && float64(n) == math.Trunc(float64(n)) {
		array := *(*[]lua.LValue)(unsafe.Add(p, tableFields.arrayOff))
		if float64(n) <= float64(len(array)) {
			return true
		}
	}
	_, ok := (*(*map[lua.LValue]int)(unsafe.Add(p, tableFields.k2iOff)))[key]
	return ok
}

// gcinfo is Lua 5.1's gcinfo: the memory in use, in whole kilobytes
// (here the Go heap's, which the state shares with the host).
func (lib *library) gcinfo(L *lua.LState) int {
	L.Push(lua.LNumber(math.Floor(heapKB())))
	return 1
}

func heapKB() float64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / 1024
}

// collectgarbage is Lua 5.1's option set on Go's collector: "collect"
// and "step" run a full collection ("step" returns true: a cycle
// finished), "count" is the Go heap in kilobytes, "setpause" and
// "setstepmul" return the previous value as Lua 5.1 does (and change
// nothing else), "stop" and "restart" do nothing: Go's collector belongs
// to the whole process.
func (lib *library) collectgarbage(L *lua.LState) int {
	opt := optString(L, 1, "collectgarbage", "collect")
	ex := 0.0
	if L.Get(2) != lua.LNil {
		ex = float64(toCInt(checkNumber(L, 2, "collectgarbage")))
	}
	switch opt {
	case "collect", "stop", "restart":
		if opt == "collect" {
			runtime.GC()
		}
		L.Push(lua.LNumber(0))
	case "step":
		runtime.GC()
		L.Push(lua.LTrue)
	case "count":
		L.Push(lua.LNumber(heapKB()))
	case "setpause":
		L.Push(lua.LNumber(lib.gcPause))
		lib.gcPause = ex
	case "setstepmul":
		L.Push(lua.LNumber(lib.gcStepmul))
		lib.gcStepmul = ex
	default:
		argError(L, 1, "collectgarbage", "invalid option '"+opt+"'")
	}
	return 1
}
