package repl

import (
	"reflect"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func snapshotOf(t *testing.T, setup string) *Snapshot {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	if err := L.DoString(setup); err != nil {
		t.Fatal(err)
	}
	// A userdata with methods, the way host bindings expose handles.
	mt := L.NewTable()
	methods := L.NewTable()
	methods.RawSetString("wait", L.NewFunction(func(*lua.LState) int { return 0 }))
	methods.RawSetString("kill", L.NewFunction(func(*lua.LState) int { return 0 }))
	mt.RawSetString("__index", methods)
	ud := L.NewUserData()
	ud.Metatable = mt
	L.SetGlobal("handle", ud)
	// A handle whose __index is a function names its methods in __methods.
	mt2 := L.NewTable()
	mt2.RawSetString("__index", L.NewFunction(func(*lua.LState) int { return 0 }))
	list := L.NewTable()
	list.Append(lua.LString("send_line"))
	list.Append(lua.LString("expect"))
	mt2.RawSetString("__methods", list)
	ud2 := L.NewUserData()
	ud2.Metatable = mt2
	L.SetGlobal("pty", ud2)
	return TakeSnapshot(L)
}

func TestComplete(t *testing.T) {
	snap := snapshotOf(t, `
		process = {exec = function() end, session = function() end, EOF = {}, version = "1"}
		obj = setmetatable({field = 1}, {__index = {method = function() end, other = function() end}})
		deep = {a = {b = {c = {d = 1}}}}
		loop = {}; loop.self = loop
		my_var = 1; my_func = function() end
	`)
	tests := []struct {
		line      string
		want      []string
		prefixLen int
	}{
		{"proc", []string{"process"}, 4},
		{"x = my_", []string{"my_func", "my_var"}, 3},
		{"process.", []string{"EOF", "exec", "session", "version"}, 0},
		{"process.e", []string{"exec"}, 1},
		{"print(process.se", []string{"session"}, 2},
		{"obj.", []string{"field", "method", "other"}, 0},
		{"obj:", []string{"method", "other"}, 0}, // only functions after ':'
		{"handle:w", []string{"wait"}, 1},
		{"pty:", []string{"expect", "send_line"}, 0},
		{"deep.a.b.", []string{"c"}, 0},
		{"loop.self.self.", []string{"self"}, 0},
		{"nosuch.", nil, 0},
		{"fun", []string{"function"}, 3}, // keywords at top level
		{"string.for", []string{"format"}, 3},
		// The string table is its own __index: "__" names only on request.
		{"string.__", []string{"__index"}, 2},
		{"obj.__", nil, 2},
		{"x = 1.5", nil, 0},
		{"a:b:", nil, 0},
		{"", nil, 0}, // no completion of everything on an empty word? see below
	}
	for _, tt := range tests {
		got, n := snap.Complete(tt.line)
		if tt.line == "" {
			// An empty word lists every global; just check it is non-empty.
			if len(got) < 10 || n != 0 {
				t.Errorf("Complete(\"\") = %d names, %d", len(got), n)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) || n != tt.prefixLen {
			t.Errorf("Complete(%q) = %v, %d; want %v, %d", tt.line, got, n, tt.want, tt.prefixLen)
		}
	}
}

func TestCompleterDo(t *testing.T) {
	c := &completer{}
	if got, n := c.Do([]rune("pri"), 3); len(got) != 0 || n != 0 {
		t.Fatalf("without a snapshot: %q %d", got, n)
	}
	c.snap.Store(snapshotOf(t, `prefix_one = 1; prefix_two = 2`))
	got, n := c.Do([]rune("x = prefix_t + 1"), len("x = prefix_t"))
	if n != len("prefix_t") || len(got) != 1 || string(got[0]) != "wo" {
		t.Fatalf("Do = %q, %d", got, n)
	}
}

func TestCompleteHidesMetamethods(t *testing.T) {
	snap := snapshotOf(t, `meta = {__index = 1, __call = 2, visible = 3}`)
	for _, line := range []string{"string.", "meta.", "string.g"} {
		names, _ := snap.Complete(line)
		if len(names) == 0 {
			t.Errorf("Complete(%q) offers nothing", line)
		}
		for _, n := range names {
			if len(n) >= 2 && n[:2] == "__" {
				t.Errorf("Complete(%q) offers %q", line, n)
			}
		}
	}
	if names, _ := snap.Complete("meta.__c"); !reflect.DeepEqual(names, []string{"__call"}) {
		t.Errorf("Complete(\"meta.__c\") = %v", names)
	}
}
