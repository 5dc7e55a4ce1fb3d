package lua51_test

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind/lua51"
)

// A chunk compiled with Compile also runs in a state where Open was not
// called (the concatenation then falls back to the VM's own ..).
func TestCompiledChunkWithoutOpen(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	proto, err := lua51.Compile("plain.lua", `local a, b = "x", 2; a, b = b, a; return a .. "-" .. b .. "!"`)
	if err != nil {
		t.Fatal(err)
	}
	L.Push(L.NewFunctionFromProto(proto))
	if err := L.PCall(0, 1, nil); err != nil {
		t.Fatal(err)
	}
	if got := L.Get(-1).String(); got != "2-x!" {
		t.Errorf("got %q, want 2-x!", got)
	}
}
