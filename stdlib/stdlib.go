package stdlib

import (
	"context"
	"io"
	"os"
	"sort"

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
	// Block is the host's blocking primitive, through which every module
	// function that waits (time.sleep) waits: it runs fn, which must
	// return promptly once ctx is done, and returns fn's error. L is the
	// running thread, which may be a coroutine of the state given to Open;
	// what names the calling function. A host that shares one state among
	// several goroutines releases its lock while fn runs (luabind does),
	// and may raise a Lua error instead of returning when its run is
	// cancelled. Nil means fn runs with L.Context().
	Block func(L *lua.LState, what string, fn func(ctx context.Context) error) error
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
	if opts.Block == nil {
		opts.Block = contextBlock
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

// contextBlock is the default Options.Block: fn runs with L.Context().
func contextBlock(L *lua.LState, _ string, fn func(ctx context.Context) error) error {
	ctx := L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(ctx)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
