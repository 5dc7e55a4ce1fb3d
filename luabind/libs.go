package luabind

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind/lua51"
	"github.com/procsh/procsh/stdlib"
)

// openStandard opens the gopher-lua libraries of the host's profile and
// replaces the parts that would reach around the host: print (os.Stdout),
// os.exit (os.Exit), collectgarbage (a whole-program GC), and in the sandbox
// the file loaders.
func openStandard(L *lua.LState, h *Host) error {
	libs := []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
		{lua.OsLibName, lua.OpenOs},
	}
	if h.cfg.profile == ProfileFull {
		libs = append(libs, struct {
			name string
			fn   lua.LGFunction
		}{lua.IoLibName, lua.OpenIo}, struct {
			name string
			fn   lua.LGFunction
		}{lua.DebugLibName, lua.OpenDebug})
	}
	for _, lib := range libs {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.fn), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return fmt.Errorf("luabind: open %s: %w", lib.name, err)
		}
	}
	if err := guardCoroutines(L, h); err != nil {
		return err
	}
	L.SetGlobal("print", L.NewFunction(h.luaPrint))
	L.SetGlobal("collectgarbage", L.NewFunction(func(L *lua.LState) int {
		// Harmless: report the Go heap in KiB for "count", do nothing else.
		if L.OptString(1, "collect") == "count" {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			L.Push(lua.LNumber(float64(ms.HeapAlloc) / 1024))
			return 1
		}
		L.Push(lua.LNumber(0))
		return 1
	}))
	osmod := L.GetGlobal("os").(*lua.LTable)
	osmod.RawSetString("exit", L.NewFunction(h.luaExit))
	if h.cfg.profile == ProfileFull {
		// io.write goes to the host's stdout; it returns an object whose
		// write method does the same, so io.write(a):write(b) chains.
		iomod := L.GetGlobal("io").(*lua.LTable)
		out := L.NewTable()
		write := L.NewFunction(func(L *lua.LState) int {
			h.writeValues(L, 1)
			L.Push(out)
			return 1
		})
		out.RawSetString("write", L.NewFunction(func(L *lua.LState) int {
			h.writeValues(L, 2) // skip self
			L.Push(out)
			return 1
		}))
		iomod.RawSetString("write", write)
		return nil
	}
	// Sandbox.
	L.SetGlobal("dofile", lua.LNil)
	L.SetGlobal("loadfile", lua.LNil)
	safe := L.NewTable()
	for _, name := range []string{"time", "clock", "date", "difftime", "exit"} {
		safe.RawSetString(name, osmod.RawGetString(name))
	}
	L.SetGlobal("os", safe)
	if loaded, ok := L.GetField(L.GetField(L.Get(lua.RegistryIndex), "_LOADED"), "os").(*lua.LTable); ok && loaded != nil {
		L.SetField(L.GetField(L.Get(lua.RegistryIndex), "_LOADED"), "os", safe)
	}
	pkg := L.GetGlobal("package").(*lua.LTable)
	pkg.RawSetString("path", lua.LString(""))
	pkg.RawSetString("cpath", lua.LString(""))
	if loaders, ok := pkg.RawGetString("loaders").(*lua.LTable); ok {
		// Keep only the preload searcher.
		for i := loaders.Len(); i > 1; i-- {
			loaders.RawSetInt(i, lua.LNil)
		}
	}
	pkg.RawSetString("loadlib", lua.LNil)
	return nil
}

// openStdlib preloads the procsh stdlib modules with the host's writers and
// its blocking primitive.
func openStdlib(L *lua.LState, h *Host) error {
	stdlib.Open(L, stdlib.Options{
		Sandbox: h.cfg.profile == ProfileSandbox,
		Stdout:  h.stdout,
		Stderr:  h.stderr,
		// The stdlib's waits are sleeps, not work: the wait observer's
		// status line does not show them (what is "").
		Block: func(L *lua.LState, what string, fn func(ctx context.Context) error) error {
			return h.wait(L, what, "", fn)
		},
	})
	return nil
}

func (h *Host) luaPrint(L *lua.LState) int {
	var b strings.Builder
	top := L.GetTop()
	for i := 1; i <= top; i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(lua51.ToString(L, L.Get(i)))
	}
	b.WriteByte('\n')
	_, _ = h.stdout.Write([]byte(b.String()))
	return 0
}

func (h *Host) writeValues(L *lua.LState, from int) {
	var b strings.Builder
	for i := from; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			b.WriteString(string(v))
		case lua.LNumber:
			b.WriteString(lua51.FormatNumber(v))
		default:
			L.ArgError(i, "string expected, got "+v.Type().String())
		}
	}
	_, _ = h.stdout.Write([]byte(b.String()))
}

// luaExit is os.exit: it never exits the host program. It records the code,
// cancels the run (so pcall cannot swallow it) and unwinds.
func (h *Host) luaExit(L *lua.LState) int {
	code := 0
	switch v := L.Get(1).(type) {
	case lua.LBool:
		if !bool(v) {
			code = 1
		}
	case lua.LNumber:
		code = int(v)
	case *lua.LNilType:
	default:
		L.RaiseError("os.exit: bad argument #1 (code): number or boolean expected, got %s", v.Type())
	}
	h.cur.exit(code)
	L.RaiseError("os.exit(%d)", code)
	return 0
}
