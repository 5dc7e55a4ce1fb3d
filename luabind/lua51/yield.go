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

var pcPool = sync.Pool{New: func() any { b := make([]uintptr, 64); return &b }}

// yieldCrossesGo reports whether the running Go function was reached
// through more than one VM loop since the current coroutine was resumed.
// It reports false when no threadRun is on the stack (not in a coroutine:
// gopher-lua's own yield raises then).
func yieldCrossesGo() bool {
	bp := pcPool.Get().(*[]uintptr)
	defer pcPool.Put(bp)
	for {
		pcs := *bp
		n := runtime.Callers(2, pcs)
		frames := runtime.CallersFrames(pcs[:n])
		loops := 0
		for {
			f, more := frames.Next()
			switch f.Function {
			case glMainLoop, glMainLoopWithCtx:
				loops++
				if loops > 1 {
					return true
				}
			case glThreadRun:
				return false
			}
			if !more {
				break
			}
		}
		if n < len(pcs) {
			return false
		}
		*bp = make([]uintptr, 2*len(pcs))
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
