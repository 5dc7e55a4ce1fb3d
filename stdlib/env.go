package stdlib

import (
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"
)

// envLoader builds the env module (full profile only; a sandboxed script
// must not read the host's environment, which often holds credentials):
//
//	env.get(name [, default]) -> string | default | nil
//	env.all() -> {name = value, ...}
//
// It is read-only on purpose. The environment belongs to the whole Go
// process, so a setter would leak between scripts run by the same host and
// race with other goroutines; commands take their own environment through
// process.exec{env=...} instead.
func envLoader(*state) lua.LGFunction {
	return func(L *lua.LState) int {
		mod := L.NewTable()
		L.SetFuncs(mod, map[string]lua.LGFunction{
			"get": envGet,
			"all": envAll,
		})
		L.Push(mod)
		return 1
	}
}

func envGet(L *lua.LState) int {
	name := luaargs.CheckString(L, "env.get", 1, "name")
	if v, ok := os.LookupEnv(name); ok {
		L.Push(lua.LString(v))
		return 1
	}
	switch def := L.Get(2).(type) {
	case *lua.LNilType, lua.LString:
		L.Push(def)
	case lua.LNumber:
		L.Push(lua.LString(def.String()))
	default:
		luaargs.ArgError(L, "env.get", 2, "default", luaargs.TypeMsg("string", L.Get(2)))
	}
	return 1
}

func envAll(L *lua.LState) int {
	environ := os.Environ()
	t := L.CreateTable(0, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		t.RawSetString(k, lua.LString(v))
	}
	L.Push(t)
	return 1
}
