package lua51

import (
	"runtime"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// gopher-lua v1.1.2 runs a coroutine on the Go stack of its resumer
// (coroutine.resume calls threadRun, which runs the VM loop), and every
// call made from Go (pcall, xpcall, a metamethod, a table.sort comparator,
// a gsub callback, a generic-for iterator) runs a nested VM loop. A yield
// is a Go function returning -1, which only the innermost loop sees: it
// switches to the resumer while the Go frames below it (pcall's, the
// metamethod's caller's) carry on as if the call had returned, and the
// next resume runs a broken stack (the host dies of a nil pointer
// dereference). Lua 5.1 refuses such a yield: lua_yield raises "attempt to
// yield across metamethod/C-call boundary" when a C call lies between the
// yield and the resume.
//
// yield does the same. It counts the VM loops on the Go stack between
// itself and the threadRun of the running coroutine: one is the
// coroutine's own loop, more means a Go call in between.

const yieldBoundaryMessage = "attempt to yield across metamethod/C-call boundary"

const (
	glMainLoop        = "github.com/yuin/gopher-lua.mainLoop"
	glMainLoopWithCtx = "github.com/yuin/gopher-lua.mainLoopWithContext"
	glThreadRun       = "github.com/yuin/gopher-lua.threadRun"
)

// The frames yieldCrossesGo looks for, per return address: symbolizing
// every frame on every yield would cost several microseconds, and the
// addresses on these paths are few.
const (
	kindOther = iota
	kindLoop
	kindThreadRun
)

var pcKinds sync.Map // uintptr -> []uint8, innermost function first

func kindsOf(pc uintptr) []uint8 {
	if k, ok := pcKinds.Load(pc); ok {
		return k.([]uint8)
	}
	var kinds []uint8
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		f, more := frames.Next()
		switch f.Function {
		case glMainLoop, glMainLoopWithCtx:
			kinds = append(kinds, kindLoop)
		case glThreadRun:
			kinds = append(kinds, kindThreadRun)
		default:
			kinds = append(kinds, kindOther)
		}
		if !more {
			break
		}
	}
	pcKinds.Store(pc, kinds)
	return kinds
}

// yieldCrossesGo reports whether the running Go function was reached
// through more than one VM loop since the current coroutine was resumed.
// It reports false when no threadRun is on the stack (not in a coroutine:
// gopher-lua's own yield raises then).
func yieldCrossesGo() bool {
	// Without a Go call in between, threadRun is the fifth frame (this
	// yield, callGFunction, the OP_CALL handler, the VM loop, threadRun):
	// start with that, as runtime.Callers costs per frame, and look
	// further only when it is not there.
	var buf [5]uintptr
	pcs := buf[:]
	for {
		n := runtime.Callers(2, pcs)
		loops := 0
		for _, pc := range pcs[:n] {
			for _, k := range kindsOf(pc) {
				switch k {
				case kindLoop:
					loops++
					if loops > 1 {
						return true
					}
				case kindThreadRun:
					return false
				}
			}
		}
		if n < len(pcs) {
			return false
		}
		pcs = make([]uintptr, 4*len(pcs))
	}
}

// wrapYield returns coroutine.yield refusing to yield across a Go call.
func wrapYield(L *lua.LState, orig *lua.LFunction) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		if L.Parent != nil && yieldCrossesGo() {
			L.Error(lua.LString(yieldBoundaryMessage), 0)
		}
		return orig.GFunction(L)
	})
}
