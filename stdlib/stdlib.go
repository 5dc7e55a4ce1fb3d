package stdlib

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Options configures the modules that [Open] preloads.
type Options struct {
	// Sandbox selects the sandboxed profile: the fs and env modules are
	// absent and path.abs is missing (it reads the working directory).
	// Everything else behaves the same in both profiles.
	Sandbox bool
	// Stdout is reserved for modules that write ordinary output; no module
	// uses it yet (print belongs to the host).
	Stdout io.Writer
	// Stderr receives log lines, one Write call per line, from whichever
	// goroutine is running the Lua state. Nil means os.Stderr.
	Stderr io.Writer
	// Sleep is the host's sleep, used by time.sleep. L is the running
	// thread, which may be a coroutine of the state given to Open. Sleep
	// must return early with an error when the run is cancelled, and may
	// release the host's lock while it waits. Nil means a sleep that
	// honours L.Context().
	Sleep func(L *lua.LState, d time.Duration) error
}

// module describes one preloadable module.
type module struct {
	name    string
	sandbox bool // offered in the sandboxed profile too
	loader  func(st *state) lua.LGFunction
}

// modules is the registry, sorted by name.
var modules = []module{
	{"env", false, envLoader},
	{"fs", false, fsLoader},
	{"json", true, jsonLoader},
	{"log", true, logLoader},
	{"path", true, pathLoader},
	{"str", true, luaLoader("str")},
	{"t", true, luaLoader("t")},
	{"time", true, timeLoader},
}

// state is shared by the modules of one [Open] call, i.e. one Lua state.
type state struct {
	opts Options
	json *jsonState // created on first use
	log  *logState
}

// Open preloads every module of the chosen profile into L's package.preload,
// so that a script loads one with require("json") and pays nothing for the
// modules it does not use. Open does not create globals. The package library
// must already be open in L; Open panics otherwise, as that is a bug in the
// host rather than a condition to handle.
func Open(L *lua.LState, opts Options) {
	if pkg, ok := L.GetGlobal("package").(*lua.LTable); !ok || pkg.RawGetString("preload").Type() != lua.LTTable {
		panic("stdlib.Open: the package library is not open in this Lua state")
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Sleep == nil {
		opts.Sleep = contextSleep
	}
	st := &state{opts: opts}
	for _, m := range modules {
		if opts.Sandbox && !m.sandbox {
			continue
		}
		L.PreloadModule(m.name, m.loader(st))
	}
}

// Modules returns the sorted names of the modules that [Open] preloads in
// the given profile.
func Modules(sandbox bool) []string {
	var names []string
	for _, m := range modules {
		if sandbox && !m.sandbox {
			continue
		}
		names = append(names, m.name)
	}
	return names
}

// contextSleep is the default Options.Sleep: it waits for d or until
// L.Context() is done, whichever comes first.
func contextSleep(L *lua.LState, d time.Duration) error {
	ctx := L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Argument checking. Every message names the function and the argument, as
// "fs.read: bad argument #1 (path): string expected, got nil"; RaiseError
// adds the caller's file:line.

func argError(L *lua.LState, fn string, n int, name, msg string) {
	L.RaiseError("%s: bad argument #%d (%s): %s", fn, n, name, msg)
}

func typeError(L *lua.LState, fn string, n int, name, want string) {
	argError(L, fn, n, name, fmt.Sprintf("%s expected, got %s", want, L.Get(n).Type()))
}

// checkString accepts a string or a number, like Lua's own string functions.
func checkString(L *lua.LState, fn string, n int, name string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	typeError(L, fn, n, name, "string")
	return ""
}

func optString(L *lua.LState, fn string, n int, name, def string) string {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkString(L, fn, n, name)
}

func checkNumber(L *lua.LState, fn string, n int, name string) float64 {
	if v, ok := L.Get(n).(lua.LNumber); ok {
		return float64(v)
	}
	typeError(L, fn, n, name, "number")
	return 0
}

// checkOpts validates the options table at argument n (nil or absent is an
// empty table). Unknown keys are rejected so that a typo is an error rather
// than a silently ignored option; want maps each key to its Lua type, or to
// lua.LTNil for a key whose value the caller checks itself.
func checkOpts(L *lua.LState, fn string, n int, want map[string]lua.LValueType) map[string]lua.LValue {
	v := L.Get(n)
	if v == lua.LNil {
		return nil
	}
	tbl, ok := v.(*lua.LTable)
	if !ok {
		typeError(L, fn, n, "opts", "table")
	}
	out := map[string]lua.LValue{}
	tbl.ForEach(func(k, val lua.LValue) {
		ks, ok := k.(lua.LString)
		if !ok {
			argError(L, fn, n, "opts", fmt.Sprintf("option keys must be strings, got %s", k.Type()))
		}
		typ, known := want[string(ks)]
		if !known {
			argError(L, fn, n, "opts", fmt.Sprintf("unknown option %q", string(ks)))
		}
		if typ != lua.LTNil && val.Type() != typ {
			argError(L, fn, n, "opts", fmt.Sprintf("option %q: %s expected, got %s", string(ks), typ, val.Type()))
		}
		out[string(ks)] = val
	})
	return out
}

// optBool reads a boolean option (already type-checked by checkOpts).
func optBool(opts map[string]lua.LValue, key string) bool {
	return opts[key] == lua.LTrue
}

// failure returns the conventional nil, message, kind triple for an
// expected failure. kind is one of "not_found", "exists", "permission" or
// "io".
func failure(L *lua.LState, fn string, err error) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(fn + ": " + err.Error()))
	L.Push(lua.LString(errKind(err)))
	return 3
}

func errKind(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "not_found"
	case errors.Is(err, fs.ErrExist):
		return "exists"
	case errors.Is(err, fs.ErrPermission):
		return "permission"
	}
	return "io"
}

// seconds converts a Lua number of seconds to a Duration, saturating instead
// of overflowing.
func seconds(s float64) time.Duration {
	ns := s * 1e9
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
