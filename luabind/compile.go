package luabind

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind/lua51"
)

// The Lua 5.1 conformance layer (package lua51) in the host: every chunk
// the host compiles goes through lua51.Compile, and lua51.Open replaces
// the standard-library functions that differ from PUC-Rio Lua 5.1 (and
// bounds the strings they build).

// WithMaxStringSize bounds the strings a script can build with
// string.rep, string.format, string.gsub, table.concat and the ..
// operator, in bytes. Beyond it they raise a Lua error that pcall can
// catch, rather than exhausting the host's memory. The default is
// lua51.DefaultMaxStringSize (256 MiB); n <= 0 keeps the default.
func WithMaxStringSize(n int) Option { return func(c *config) { c.maxString = n } }

func compileLua51(name, src string) (*lua.FunctionProto, error) {
	return lua51.Compile(name, src)
}

func openLua51(L *lua.LState, h *Host) {
	lua51.Open(L, lua51.Options{MaxStringSize: h.cfg.maxString})
}
