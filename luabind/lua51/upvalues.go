package lua51

import (
	"reflect"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// gopher-lua v1.1.2 closes every open upvalue of a thread whenever an
// error is raised without an error function (LState.raiseError calls
// closeAllUpvalues, which walks every frame up to the root), even when a
// pcall catches the error. Afterwards each closure over a local of a
// function that is still running holds a detached copy:
//
//	local n = 0
//	local function inc() n = n + 1 end
//	pcall(error, "x")
//	n = 10; inc(); print(n)  --> 10 in gopher-lua, 11 in Lua 5.1
//
// Lua 5.1 closes only the upvalues of the frames the error unwinds. The
// pcall and xpcall of this package reproduce that: they call the function
// with an error function (so gopher-lua closes nothing) and then close
// the upvalues at or above the called function's first register, exactly
// what gopher-lua's own closeUpvalues does on return. gopher-lua has no
// API for either step, so the fields involved are reached by offset, found
// by name with reflection once; if the pinned gopher-lua's layout ever
// differs, upvalueFix.ok is false and the package falls back to
// gopher-lua's behaviour (TestUpvaluesAfterError fails loudly).

var upvalueFix = func() (f struct {
	ok                            bool
	regOff, uvcacheOff, hasErrOff uintptr
	topOff, uvNextOff, uvIndexOff uintptr
}) {
	field := func(t reflect.Type, name string, kind reflect.Kind) (uintptr, bool) {
		sf, ok := t.FieldByName(name)
		if !ok || sf.Type.Kind() != kind {
			return 0, false
		}
		return sf.Offset, true
	}
	ls := reflect.TypeOf(lua.LState{})
	uv := reflect.TypeOf(lua.Upvalue{})
	var ok [6]bool
	f.regOff, ok[0] = field(ls, "reg", reflect.Pointer)
	f.uvcacheOff, ok[1] = field(ls, "uvcache", reflect.Pointer)
	f.hasErrOff, ok[2] = field(ls, "hasErrorFunc", reflect.Bool)
	f.uvNextOff, ok[3] = field(uv, "next", reflect.Pointer)
	f.uvIndexOff, ok[4] = field(uv, "index", reflect.Int)
	if sf, found := ls.FieldByName("reg"); found {
		f.topOff, ok[5] = field(sf.Type.Elem(), "top", reflect.Int)
	}
	f.ok = ok == [6]bool{true, true, true, true, true, true}
	if f.ok {
		if cache, _ := ls.FieldByName("uvcache"); cache.Type.Elem() != uv {
			f.ok = false
		}
	}
	return f
}()

func lsPtr(L *lua.LState, off uintptr) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(L), off) }

// regTop returns the absolute top of L's register stack.
func regTop(L *lua.LState) int {
	reg := *(*unsafe.Pointer)(lsPtr(L, upvalueFix.regOff))
	return *(*int)(unsafe.Add(reg, upvalueFix.topOff))
}

func hasErrorFunc(L *lua.LState) *bool { return (*bool)(lsPtr(L, upvalueFix.hasErrOff)) }

// closeUpvalues closes the open upvalues of L at register idx or above
// and drops them from L's list, as gopher-lua's closeUpvalues does.
func closeUpvalues(L *lua.LState, idx int) {
	head := (**lua.Upvalue)(lsPtr(L, upvalueFix.uvcacheOff))
	next := func(uv *lua.Upvalue) **lua.Upvalue {
		return (**lua.Upvalue)(unsafe.Add(unsafe.Pointer(uv), upvalueFix.uvNextOff))
	}
	index := func(uv *lua.Upvalue) int {
		return *(*int)(unsafe.Add(unsafe.Pointer(uv), upvalueFix.uvIndexOff))
	}
	link := head // the list is sorted by register, ascending
	for *link != nil && index(*link) < idx {
		link = next(*link)
	}
	for uv := *link; uv != nil; uv = *next(uv) {
		uv.Close()
	}
	*link = nil
}

// protectedCall is L.PCall(nargs, lua.MultRet, ...) with Lua 5.1's
// upvalue semantics (see above). handler, when not nil, is called with the
// error value at the point of the error, as xpcall's handler is, and its
// result replaces the value.
func protectedCall(L *lua.LState, nargs int, handler func(L *lua.LState, v lua.LValue) lua.LValue) error {
	if !upvalueFix.ok {
		var errfunc *lua.LFunction
		if handler != nil {
			errfunc = L.NewFunction(func(L *lua.LState) int {
				L.Push(handler(L, L.Get(1)))
				return 1
			})
		}
		return L.PCall(nargs, lua.MultRet, errfunc)
	}
	first := regTop(L) - nargs // the called function's first register
	// The error function runs before PCall unwinds the stack (and clears
	// the registers), which is when the upvalues must be closed.
	errfunc := L.NewFunction(func(L *lua.LState) int {
		v := L.Get(1)
		if handler != nil {
			v = handler(L, v)
		}
		closeUpvalues(L, first)
		L.Push(v)
		return 1
	})
	outer := *hasErrorFunc(L) // PCall resets it to false on return
	err := L.PCall(nargs, lua.MultRet, errfunc)
	*hasErrorFunc(L) = outer
	return err
}

// PCall is L.PCall(nargs, lua.MultRet, nil) for hosts that catch a Lua
// error and go on running the same thread (a retry loop): unlike
// gopher-lua's, it leaves the thread's other closures attached to their
// locals (see above).
func PCall(L *lua.LState, nargs int) error { return protectedCall(L, nargs, nil) }
