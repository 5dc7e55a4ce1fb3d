package repl

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// evalValue runs `return <expr>` in a fresh state and returns the value and
// the state (for metamethods).
func evalValue(t *testing.T, setup, expr string) (*lua.LState, lua.LValue) {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	if setup != "" {
		if err := L.DoString(setup); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	if err := L.DoString("return " + expr); err != nil {
		t.Fatalf("eval %q: %v", expr, err)
	}
	v := L.Get(-1)
	L.Pop(1)
	return L, v
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name, setup, expr string
		opts              FormatOptions
		want              string
	}{
		{name: "nil", expr: "nil", want: "nil"},
		{name: "bool", expr: "1 < 2", want: "true"},
		{name: "integer", expr: "1 + 1", want: "2"},
		{name: "float", expr: "1 / 4", want: "0.25"},
		{name: "inf", expr: "1 / 0", want: "inf"},
		{name: "big", expr: "2^60", want: "1.1529215046068e+18"},
		{name: "string quoted", expr: `"hi"`, want: `"hi"`},
		{name: "string escapes", expr: `"a\"b\\c\n\t\0001"`, want: `"a\"b\\c\n\t\0001"`},
		{name: "utf8 kept", expr: `"héllo ✓"`, want: `"héllo ✓"`},
		{name: "invalid utf8", expr: `"\255x"`, want: `"\255x"`},
		{name: "empty table", expr: "{}", want: "{}"},
		{name: "array", expr: "{1, 2, 3}", want: "{ 1, 2, 3 }"},
		{name: "sorted keys", expr: `{b = 2, a = 1, [10] = "x", ["not id"] = true}`,
			want: `{ [10] = "x", a = 1, b = 2, ["not id"] = true }`},
		{name: "array then keys", expr: `{"x", "y", n = 2}`, want: `{ "x", "y", n = 2 }`},
		{name: "keyword key", expr: `{["end"] = 1}`, want: `{ ["end"] = 1 }`},
		{name: "nested inline", expr: `{a = {b = {c = 1}}}`, want: `{ a = { b = { c = 1 } } }`},
		{name: "depth limit", expr: `{a = {b = {c = {d = {}}}}}`, opts: FormatOptions{MaxDepth: 2},
			want: `{ a = { b = {...} } }`},
		{name: "item limit", expr: `{1, 2, 3, 4, 5}`, opts: FormatOptions{MaxItems: 2},
			want: `{ 1, 2, ... (3 more) }`},
		{name: "multi-line", expr: `{alpha = "aaaaaaaaaaaaaaaaaaaa", beta = "bbbbbbbbbbbbbbbbbbbb", gamma = {1, 2}}`,
			opts: FormatOptions{Width: 40},
			want: "{\n  alpha = \"aaaaaaaaaaaaaaaaaaaa\",\n  beta = \"bbbbbbbbbbbbbbbbbbbb\",\n  gamma = { 1, 2 },\n}"},
		{name: "long string in a table", expr: `{out = string.rep("ab", 10)}`, opts: FormatOptions{MaxString: 5},
			want: `{ out = "ababa"... (15 more bytes) }`},
		{name: "long string on its own", expr: `string.rep("ab", 10)`, opts: FormatOptions{MaxString: 5},
			want: `"abababababababababab"`},
		{name: "cut on a rune boundary", expr: `{"ééé"}`, opts: FormatOptions{MaxString: 3},
			want: `{ "é"... (4 more bytes) }`},
		{name: "tostring metamethod", setup: `mt = {__tostring = function() return "<thing>" end}`,
			expr: `setmetatable({}, mt)`, want: "<thing>"},
		{name: "failing tostring falls back", setup: `mt = {__tostring = function() error("boom") end}`,
			expr: `setmetatable({1}, mt)`, want: "{ 1 }"},
		{name: "exec-like result", expr: `{exit_code = 0, ok = true, stdout = "hi\n", stderr = "", signal = "", timed_out = false, duration = 0.5}`,
			want: "{\n  duration = 0.5,\n  exit_code = 0,\n  ok = true,\n  signal = \"\",\n  stderr = \"\",\n  stdout = \"hi\\n\",\n  timed_out = false,\n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			L, v := evalValue(t, tt.setup, tt.expr)
			if got := Format(L, v, tt.opts); got != tt.want {
				t.Errorf("Format(%s) =\n%s\nwant\n%s", tt.expr, got, tt.want)
			}
		})
	}
}

func TestFormatCycle(t *testing.T) {
	L, v := evalValue(t, `t = {name = "root"}; t.self = t; t.child = {parent = t}`, "t")
	got := Format(L, v, FormatOptions{})
	if strings.Count(got, "<cycle: table: ") != 2 {
		t.Fatalf("want two cycle marks, got %s", got)
	}
	if !strings.Contains(got, `name = "root"`) {
		t.Fatalf("fields missing: %s", got)
	}
}

func TestFormatSharedNotCycle(t *testing.T) {
	// The same table under two keys is not a cycle and prints twice.
	L, v := evalValue(t, `s = {1}; t = {a = s, b = s}`, "t")
	if got, want := Format(L, v, FormatOptions{}), "{ a = { 1 }, b = { 1 } }"; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestFormatFunctionAndUserdata(t *testing.T) {
	L, v := evalValue(t, "", "print")
	if got := Format(L, v, FormatOptions{}); !strings.HasPrefix(got, "function: ") {
		t.Fatalf("function printed as %q", got)
	}
	ud := L.NewUserData()
	mt := L.NewTable()
	mt.RawSetString("__name", lua.LString("process.command"))
	ud.Metatable = mt
	if got := Format(L, ud, FormatOptions{}); !strings.HasPrefix(got, "process.command: 0x") {
		t.Fatalf("userdata printed as %q", got)
	}
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("command 42"))
		return 1
	}))
	if got := Format(L, ud, FormatOptions{}); got != "command 42" {
		t.Fatalf("userdata with __tostring printed as %q", got)
	}
}

func TestQuoteReadsBack(t *testing.T) {
	inputs := []string{"", "plain", "quote\"back\\slash", "ctl\x01\x1f\x7f", "bin\xff\xfe0", "nl\r\n", "日本"}
	L := lua.NewState()
	defer L.Close()
	for _, in := range inputs {
		if err := L.DoString("return " + Quote(in)); err != nil {
			t.Fatalf("Quote(%q) = %s does not parse: %v", in, Quote(in), err)
		}
		got := L.Get(-1)
		L.Pop(1)
		if string(got.(lua.LString)) != in {
			t.Errorf("Quote(%q) = %s reads back as %q", in, Quote(in), got)
		}
	}
}

func TestIsIdentifier(t *testing.T) {
	for s, want := range map[string]bool{"a": true, "_x1": true, "end": false, "1a": false, "": false, "a-b": false, "é": false} {
		if got := IsIdentifier(s); got != want {
			t.Errorf("IsIdentifier(%q) = %v", s, got)
		}
	}
}
