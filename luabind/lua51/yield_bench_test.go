package lua51_test

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind/lua51"
)

func BenchmarkYield(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	lua51.Open(L, lua51.Options{})
	fn, err := lua51.Load(L, "b.lua", `local n = ...
local co = coroutine.wrap(function() while true do coroutine.yield(1) end end)
for i = 1, n do co() end`)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	L.Push(fn)
	L.Push(lua.LNumber(b.N))
	if err := L.PCall(1, 0, nil); err != nil {
		b.Fatal(err)
	}
}
