package stdlib

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// newState returns a Lua state set up like a host would: the sandboxed
// profile opens only the libraries without host access, so the tests also
// prove that no module depends on os, io or debug.
func newState(t testing.TB, opts Options) *lua.LState {
	t.Helper()
	L := lua.NewState(lua.Options{SkipOpenLibs: opts.Sandbox})
	if opts.Sandbox {
		for _, lib := range []struct {
			name string
			fn   lua.LGFunction
		}{
			{lua.LoadLibName, lua.OpenPackage},
			{lua.BaseLibName, lua.OpenBase},
			{lua.TabLibName, lua.OpenTable},
			{lua.StringLibName, lua.OpenString},
			{lua.MathLibName, lua.OpenMath},
			{lua.CoroutineLibName, lua.OpenCoroutine},
		} {
			if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.fn), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
				t.Fatalf("open %s: %v", lib.name, err)
			}
		}
	}
	Open(L, opts)
	t.Cleanup(L.Close)
	return L
}

// TestLua runs every testdata/*.lua script in both profiles. A script sees
// these globals:
//
//	SANDBOX        true in the sandboxed profile
//	TMPDIR         a fresh directory, removed after the script
//	test(name, fn) runs fn as a Go subtest; an error fails it with its traceback
//	stderr()       returns what the log module wrote since the last call
//	where()        the caller's "file:line:" prefix, to check error positions
func TestLua(t *testing.T) {
	t.Setenv("PROCSH_STDLIB_TEST", "v a=l")
	t.Setenv("PROCSH_STDLIB_EMPTY", "")
	t.Setenv("PROCSH_STDLIB_UNSET", "") // restored after the test
	if err := os.Unsetenv("PROCSH_STDLIB_UNSET"); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Lua test scripts: %v", err)
	}
	for _, file := range files {
		for _, sandbox := range []bool{false, true} {
			profile := "full"
			if sandbox {
				profile = "sandbox"
			}
			t.Run(filepath.Base(file)+"/"+profile, func(t *testing.T) {
				runScript(t, file, sandbox)
			})
		}
	}
}

func runScript(t *testing.T, file string, sandbox bool) {
	var stderr bytes.Buffer
	L := newState(t, Options{Sandbox: sandbox, Stderr: &stderr})
	L.SetGlobal("SANDBOX", lua.LBool(sandbox))
	L.SetGlobal("TMPDIR", lua.LString(t.TempDir()))
	L.SetGlobal("stderr", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(stderr.String()))
		stderr.Reset()
		return 1
	}))
	L.SetGlobal("where", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(L.Where(1)))
		return 1
	}))
	ran := 0
	L.SetGlobal("test", L.NewFunction(func(L *lua.LState) int {
		name := L.CheckString(1)
		fn := L.CheckFunction(2)
		ran++
		t.Run(name, func(t *testing.T) {
			traceback := L.NewFunction(func(L *lua.LState) int {
				msg := L.Get(1).String()
				if dbg := L.GetGlobal("debug"); dbg != lua.LNil {
					L.Push(L.GetField(dbg, "traceback"))
					L.Push(lua.LString(msg))
					L.Push(lua.LNumber(2))
					L.Call(2, 1)
					return 1
				}
				L.Push(lua.LString(msg))
				return 1
			})
			if err := L.CallByParam(lua.P{Fn: fn, NRet: 0, Protect: true, Handler: traceback}); err != nil {
				t.Error(strings.TrimSpace(err.Error()))
			}
		})
		return 0
	}))
	if err := L.DoFile(file); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if ran == 0 {
		t.Fatalf("%s ran no tests", file)
	}
}
