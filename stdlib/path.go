package stdlib

import (
	"path/filepath"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"
)

// pathLoader builds the path module, lexical operations on slash-separated
// paths (path/filepath on Linux):
//
//	path.join(...) -> string         -- "" for no arguments; cleans the result
//	path.dir(p) -> string            -- "." for a bare name
//	path.base(p) -> string           -- "." for ""; "/" for "/"
//	path.ext(p) -> string            -- ".gz" for "a.tar.gz", "" if none
//	path.clean(p) -> string
//	path.split(p) -> dir, file       -- dir keeps its trailing slash; dir .. file == p
//	path.is_abs(p) -> boolean
//	path.abs(p) -> string | nil, message   -- full profile only: it reads the working directory
func pathLoader(st *state) lua.LGFunction {
	return func(L *lua.LState) int {
		mod := L.NewTable()
		funcs := map[string]lua.LGFunction{
			"join":   pathJoin,
			"dir":    pathUnary("path.dir", filepath.Dir),
			"base":   pathUnary("path.base", filepath.Base),
			"ext":    pathUnary("path.ext", filepath.Ext),
			"clean":  pathUnary("path.clean", filepath.Clean),
			"split":  pathSplit,
			"is_abs": pathIsAbs,
		}
		if !st.opts.Sandbox {
			funcs["abs"] = pathAbs
		}
		L.SetFuncs(mod, funcs)
		L.Push(mod)
		return 1
	}
}

func pathUnary(name string, f func(string) string) lua.LGFunction {
	return func(L *lua.LState) int {
		L.Push(lua.LString(f(luaargs.CheckString(L, name, 1, "p"))))
		return 1
	}
}

func pathJoin(L *lua.LState) int {
	parts := make([]string, L.GetTop())
	for i := range parts {
		parts[i] = luaargs.CheckString(L, "path.join", i+1, "part")
	}
	L.Push(lua.LString(filepath.Join(parts...)))
	return 1
}

func pathSplit(L *lua.LState) int {
	dir, file := filepath.Split(luaargs.CheckString(L, "path.split", 1, "p"))
	L.Push(lua.LString(dir))
	L.Push(lua.LString(file))
	return 2
}

func pathIsAbs(L *lua.LState) int {
	L.Push(lua.LBool(filepath.IsAbs(luaargs.CheckString(L, "path.is_abs", 1, "p"))))
	return 1
}

func pathAbs(L *lua.LState) int {
	abs, err := filepath.Abs(luaargs.CheckString(L, "path.abs", 1, "p"))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("path.abs: " + err.Error()))
		return 2
	}
	L.Push(lua.LString(abs))
	return 1
}
