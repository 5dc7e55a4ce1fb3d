package stdlib

import (
	"embed"
	"fmt"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind/lua51"
)

// The modules that are easier to write in Lua than in Go (str, t) live in
// lua/*.lua. Each is compiled once per process and instantiated per state.
//
//go:embed lua/*.lua
var luaFS embed.FS

var (
	protoMu sync.Mutex
	protos  = map[string]*lua.FunctionProto{}
)

// compiled returns the compiled chunk of lua/<name>.lua. The sources are
// part of the binary and tested, so a compile error is a bug: it panics.
func compiled(name string) *lua.FunctionProto {
	protoMu.Lock()
	defer protoMu.Unlock()
	if p, ok := protos[name]; ok {
		return p
	}
	src, err := luaFS.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(fmt.Sprintf("stdlib: embedded module %s: %v", name, err))
	}
	chunkName := "stdlib/" + name + ".lua"
	p, err := lua51.Compile(chunkName, string(src))
	if err != nil {
		panic(fmt.Sprintf("stdlib: embedded module %s: %v", name, err))
	}
	protos[name] = p
	return p
}

// luaLoader returns a loader that runs the embedded chunk, passing it
// raiseAt, and returns the module table the chunk returns.
func luaLoader(name string) func(*state) lua.LGFunction {
	return func(*state) lua.LGFunction {
		return func(L *lua.LState) int {
			L.Push(L.NewFunctionFromProto(compiled(name)))
			L.Push(L.NewFunction(raiseAt))
			L.Call(1, 1)
			return 1
		}
	}
}

// raiseAt(msg, level) raises msg prefixed with the position of the
// function at level, counted as in Lua 5.1 (1 is the function that calls
// raiseAt, 2 its caller). The embedded modules use it instead of
// error(msg, level) because gopher-lua's error() is off by one for levels
// above 1 (error("x", 2) reports the same line as level 1).
func raiseAt(L *lua.LState) int {
	msg := L.CheckString(1)
	if pos := luaPosition(L, L.OptInt(2, 1)); pos != "" {
		msg = pos + " " + msg
	}
	L.Error(lua.LString(msg), 0)
	return 0
}

// luaPosition returns "source:line:" for the function at level, or for the
// nearest Lua function above it when that is a Go function (as when a
// module function is handed straight to pcall), like RaiseError does for Go
// modules. It returns "" when there is none.
func luaPosition(L *lua.LState, level int) string {
	for ; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return ""
		}
		fn, err := L.GetInfo("fSl", dbg, lua.LNil)
		if err != nil {
			return ""
		}
		if f, ok := fn.(*lua.LFunction); ok && f.IsG {
			continue
		}
		return fmt.Sprintf("%s:%d:", dbg.Source, dbg.CurrentLine)
	}
}
