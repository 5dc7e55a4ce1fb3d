package lua51_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind/lua51"
)

func TestFormatNumber(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{1, "1"}, {-3, "-3"}, {0.1, "0.1"}, {1.0 / 3, "0.33333333333333"}, {1e15, "1e+15"},
		{math.Pow(2, 53), "9.007199254741e+15"}, {1e14, "1e+14"}, {123456789012345, "1.2345678901234e+14"},
		{99999999999999, "99999999999999"}, {1e-5, "1e-05"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
		{math.Copysign(0, -1), "-0"}, {math.NaN(), "nan"}, {-math.NaN(), "-nan"}, {0.1 + 0.2, "0.3"},
	} {
		if got := lua51.FormatNumber(lua.LNumber(c.in)); got != c.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1e2", 100, true}, {" 10 ", 10, true}, {"0x10", 16, true}, {"-0x10", -16, true}, {"0X1f", 31, true},
		{".5", 0.5, true}, {"5.", 5, true}, {"1e", 0, false}, {"", 0, false}, {"  ", 0, false}, {"0x", 0, false},
		{"1e400", math.Inf(1), true}, {"inf", math.Inf(1), true}, {"abc", 0, false}, {"1 2", 0, false},
		{"0x1p4", 16, true}, {"+3", 3, true}, {"\t\n7\v", 7, true},
	} {
		got, ok := lua51.ParseNumber(c.in)
		if ok != c.ok || (ok && float64(got) != c.want) {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestChunkID(t *testing.T) {
	for in, want := range map[string]string{
		"=stdin":                      "stdin",
		"@script.lua":                 "script.lua",
		"x = 1":                       `[string "x = 1"]`,
		"line1\nline2":                `[string "line1..."]`,
		strings.Repeat("a", 50):       `[string "` + strings.Repeat("a", 43) + `..."]`,
		"@" + strings.Repeat("b", 60): "..." + strings.Repeat("b", 52),
		"=" + strings.Repeat("c", 70): strings.Repeat("c", 59),
	} {
		if got := lua51.ChunkID(in); got != want {
			t.Errorf("ChunkID(%q) = %q, want %q", in, got, want)
		}
	}
}

// run compiles and runs src in a fresh gopher-lua state with Open applied
// and returns what it printed, or the error message.
func run(t *testing.T, src string, opts lua51.Options) string {
	t.Helper()
	L := lua.NewState()
	defer L.Close()
	var out bytes.Buffer
	opts.Print = &out
	lua51.Open(L, opts)
	fn, err := lua51.Load(L, "test.lua", src)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		return "error: " + lua51.Translate(L, err).(*lua.ApiError).Object.String()
	}
	return out.String()
}

func TestPatterns(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`print(("THE (quick) fox"):gsub("%f[%a]%a+", "w"))`, "w (w) w\t3\n"},
		{`print(("f(a(b)c)d"):match("%b()"))`, "(a(b)c)\n"},
		{`print(("hello"):find("l+"))`, "3\t4\n"},
		{`print(("key=val"):match("^(%w+)=(%w*)$"))`, "key\tval\n"},
		{`print(("abab"):match("(ab)%1"))`, "ab\n"},
		{`print(string.gsub("abc", "", "-"))`, "-a-b-c-\t4\n"},
		{`print(string.find("a]b", "[]]"))`, "2\t2\n"},
		{`print(string.match("  x  ", "^%s*(.-)%s*$") .. "|")`, "x|\n"},
		{`print(pcall(string.find, "x", "[a"))`, "false\tmalformed pattern (missing ']')\n"},
		{`print(pcall(string.find, "x", "%f"))`, "false\tmissing '[' after '%f' in pattern\n"},
		{`local it = ("a b"):gmatch("%a") print(it(), it(), it())`, "a\tb\n"}, // the last call returns nothing
		{`for k, v in ("a=1,b=2"):gmatch("(%w)=(%w)") do print(k, v) end`, "a\t1\nb\t2\n"},
	} {
		if got := run(t, c.src, lua51.Options{}); got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.src, got, c.want)
		}
	}
}

func TestRewriteShapes(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`local a, b = 1, 2; a, b = b, a; print(a, b)`, "2\t1\n"},
		{`local a, b, c = 1, 2, 3; a, b, c = c, a, b; print(a, b, c)`, "3\t1\t2\n"},
		{`local t, i = {1, 2}, 1; i, t[i] = i + 1, 20; print(i, t[1], t[2])`, "2\t20\t2\n"},
		{`local t = {}; t[1], t = 5, {}; print(t[1])`, "nil\n"},
		{`local function f() return {s = "a b"} end; local n = 0; for w in f().s:gmatch("%a") do n = n + 1 end; print(n)`, "2\n"},
		{`local f = function() return f end; print(f())`, "nil\n"},
		{`print(1e15 .. "", 2^53 .. "|")`, "1e+15\t9.007199254741e+15|\n"},
		{`local x; print(pcall(function() return x.y end))`, "false\ttest.lua:1: attempt to index upvalue 'x' (a nil value)\n"},
		{`local t = {}; t.a.b = 1`, "error: test.lua:1: attempt to index field 'a' (a nil value)"},
	} {
		if got := run(t, c.src, lua51.Options{}); got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.src, got, c.want)
		}
	}
}

func TestMaxStringSize(t *testing.T) {
	got := run(t, `print(pcall(string.rep, "ab", 600)) print(#string.rep("ab", 500))`, lua51.Options{MaxStringSize: 1000})
	want := "false\trep: resulting string too large (1200 bytes; the limit is 1000)\n1000\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestUpvaluesAfterError: a caught error leaves the closures over live
// locals attached, and closes those of the frames it unwound.
func TestUpvaluesAfterError(t *testing.T) {
	src := `local n = 0
local function inc() n = n + 1 end
print(pcall(error, "x"))
n = 10; inc(); print(n)
local f
print(pcall(function() local x = 1; f = function() return x end; error("e") end))
local a, b, c = 7, 8, 9
print(f())
print(xpcall(function() local y; return y.z end, function(m) n = n + 1 return m end), n)`
	want := "false\tx\n11\nfalse\ttest.lua:6: e\n1\nfalse\t12\n" // xpcall's results are cut to one: it is not last
	if got := run(t, src, lua51.Options{}); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestYieldAcrossGo: a yield below a Go call (pcall, a metamethod) is a
// Lua error, with and without a context (gopher-lua has two VM loops).
func TestYieldAcrossGo(t *testing.T) {
	src := `local co = coroutine.create(function() print(pcall(coroutine.yield, 1)) coroutine.yield(2) end)
print(coroutine.resume(co)) print(coroutine.resume(co)) print(coroutine.resume(co))
co = coroutine.create(function() return setmetatable({}, {__index = function() coroutine.yield() end}).x end)
print(coroutine.resume(co))`
	want := "false\tattempt to yield across metamethod/C-call boundary\ntrue\t2\ntrue\nfalse\tcannot resume dead coroutine\n" +
		"false\tattempt to yield across metamethod/C-call boundary\n"
	for _, withCtx := range []bool{false, true} {
		L := lua.NewState()
		if withCtx {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			L.SetContext(ctx)
		}
		var out bytes.Buffer
		lua51.Open(L, lua51.Options{Print: &out})
		fn, err := lua51.Load(L, "test.lua", src)
		if err != nil {
			t.Fatal(err)
		}
		L.Push(fn)
		if err := L.PCall(0, 0, nil); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != want {
			t.Errorf("context %v: got %q\nwant %q", withCtx, got, want)
		}
		L.Close()
	}
}

// TestNextKeys: next tells a key the table never held from one cleared
// during the traversal, which needs gopher-lua's table layout.
func TestNextKeys(t *testing.T) {
	if !lua51.NextKeyCheck {
		t.Fatal("gopher-lua's LTable layout changed: next accepts every key")
	}
	src := `local t = {1, 2, a = 1} t.a = nil t[2] = nil
print(next(t, "a"), next(t, 2), pcall(next, t, "b"), pcall(next, t, 3))`
	if got, want := run(t, src, lua51.Options{}), "nil\tnil\tfalse\tfalse\tinvalid key to 'next'\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
