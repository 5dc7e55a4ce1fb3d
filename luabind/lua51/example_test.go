package lua51_test

import (
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind/lua51"
)

// A gopher-lua state that behaves as Lua 5.1: Open after the standard
// libraries, and every chunk compiled with Compile (or Load).
func Example() {
	L := lua.NewState()
	defer L.Close()
	lua51.Open(L, lua51.Options{Print: os.Stdout, MaxStringSize: 1 << 20})
	fn, err := lua51.Load(L, "example.lua", `
		local a, b = 1, 2
		a, b = b, a
		print(a, b, 2^53, tonumber("1e2"))
		print(pcall(string.rep, "x", 1e12))
		local t = {}
		print(pcall(function() return t.missing.field end))`)
	if err != nil {
		fmt.Println(err)
		return
	}
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 2	1	9.007199254741e+15	100
	// false	rep: resulting string too large (1000000000000 bytes; the limit is 1048576)
	// false	example.lua:7: attempt to index field 'missing' (a nil value)
}

func ExampleFormatNumber() {
	fmt.Println(lua51.FormatNumber(1e15), lua51.FormatNumber(0.1+0.2), lua51.FormatNumber(lua.LNumber(1)/3))
	// Output: 1e+15 0.3 0.33333333333333
}
