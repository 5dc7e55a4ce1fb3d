package stdlib

import (
	"slices"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// FuzzJSONRoundTrip checks that whatever json.decode accepts, json.encode
// can write back, and that the text is then stable: encode(decode(s)) is a
// fixed point. `go test` runs the seeds; `go test -fuzz FuzzJSON` explores.
func FuzzJSONRoundTrip(f *testing.F) {
	for _, seed := range []string{
		`null`, `0`, `-0`, `1e-7`, `1e21`, `123456789012345678901234567890`, `"\u2028<&>"`,
		`[]`, `{}`, `[[],{}]`, `[1,null,3]`, `{"a":null,"b":[{}]}`, `{"1":1,"":[true,false]}`,
		`"\ud800"`, `"\u0000"`, `{"a":1,"a":2}`, " [ 1 , 2 ] ", `[1e308,-1e-308,5e-324]`,
	} {
		f.Add(seed)
	}
	L := lua.NewState()
	defer L.Close()
	js := (&state{}).jsonState(L)
	encode := func(v lua.LValue) (string, error) {
		e := encoder{js: js, active: map[*lua.LTable]bool{}}
		err := e.value(v, 0)
		return string(e.buf), err
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, err := js.decodeString(L, text)
		if err != nil {
			return
		}
		first, err := encode(v)
		if err != nil {
			t.Fatalf("decode(%q) succeeded but encode failed: %v", text, err)
		}
		v2, err := js.decodeString(L, first)
		if err != nil {
			t.Fatalf("encode produced invalid JSON %q: %v", first, err)
		}
		second, err := encode(v2)
		if err != nil || second != first {
			t.Fatalf("not a fixed point: %q -> %q -> %q (%v)", text, first, second, err)
		}
	})
}

// FuzzStr checks the Lua-written str module against Go's strings package,
// which implements the same plain-text operations.
func FuzzStr(f *testing.F) {
	for _, seed := range [][2]string{
		{"a,b,,c", ","}, {"", ","}, {",", ","}, {"aaa", "aa"}, {" \t x y \r\n", " "},
		{"a.b%c", "%"}, {"line1\r\nline2\n\n", "\n"}, {"\x00\xff", "\xff"},
	} {
		f.Add(seed[0], seed[1])
	}
	L := lua.NewState()
	defer L.Close()
	Open(L, Options{})
	if err := L.DoString(`str = require("str")`); err != nil {
		f.Fatal(err)
	}
	mod := L.GetGlobal("str").(*lua.LTable)
	call := func(t *testing.T, name string, nret int, args ...lua.LValue) []lua.LValue {
		t.Helper()
		if err := L.CallByParam(lua.P{Fn: L.GetField(mod, name), NRet: nret, Protect: true}, args...); err != nil {
			t.Fatalf("str.%s: %v", name, err)
		}
		out := make([]lua.LValue, nret)
		for i := nret; i > 0; i-- {
			out[i-1] = L.Get(-1)
			L.Pop(1)
		}
		return out
	}
	list := func(v lua.LValue) []string {
		var out []string
		tbl := v.(*lua.LTable)
		for i := 1; i <= tbl.Len(); i++ {
			out = append(out, tbl.RawGetInt(i).String())
		}
		return out
	}
	f.Fuzz(func(t *testing.T, s, sep string) {
		ls, lsep := lua.LString(s), lua.LString(sep)
		const space = " \t\n\v\f\r"
		if got, want := call(t, "trim", 1, ls)[0].String(), strings.Trim(s, space); got != want {
			t.Errorf("trim(%q) = %q, want %q", s, got, want)
		}
		if got, want := call(t, "ltrim", 1, ls)[0].String(), strings.TrimLeft(s, space); got != want {
			t.Errorf("ltrim(%q) = %q, want %q", s, got, want)
		}
		if got, want := call(t, "rtrim", 1, ls)[0].String(), strings.TrimRight(s, space); got != want {
			t.Errorf("rtrim(%q) = %q, want %q", s, got, want)
		}
		if got, want := list(call(t, "split", 1, ls)[0]), strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(space, r) }); !slices.Equal(got, want) {
			t.Errorf("split(%q) = %q, want %q", s, got, want)
		}
		if got, want := call(t, "starts_with", 1, ls, lsep)[0], lua.LBool(strings.HasPrefix(s, sep)); got != want {
			t.Errorf("starts_with(%q, %q) = %v", s, sep, got)
		}
		if got, want := call(t, "ends_with", 1, ls, lsep)[0], lua.LBool(strings.HasSuffix(s, sep)); got != want {
			t.Errorf("ends_with(%q, %q) = %v", s, sep, got)
		}
		if got, want := call(t, "contains", 1, ls, lsep)[0], lua.LBool(strings.Contains(s, sep)); got != want {
			t.Errorf("contains(%q, %q) = %v", s, sep, got)
		}
		if sep == "" {
			return
		}
		opts := L.NewTable()
		opts.RawSetString("plain", lua.LTrue)
		if got, want := list(call(t, "split", 1, ls, lsep, opts)[0]), strings.Split(s, sep); !slices.Equal(got, want) {
			t.Errorf("split(%q, %q, {plain=true}) = %q, want %q", s, sep, got, want)
		}
		if got, want := call(t, "replace", 1, ls, lsep, lua.LString("<>"))[0].String(), strings.ReplaceAll(s, sep, "<>"); got != want {
			t.Errorf("replace(%q, %q, \"<>\") = %q, want %q", s, sep, got, want)
		}
		if got, want := call(t, "replace", 1, ls, lsep, lua.LString(""), lua.LNumber(1))[0].String(), strings.Replace(s, sep, "", 1); got != want {
			t.Errorf("replace(%q, %q, \"\", 1) = %q, want %q", s, sep, got, want)
		}
		joined := call(t, "join", 1, call(t, "split", 1, ls, lsep, opts)[0], lsep)[0].String()
		if joined != s {
			t.Errorf("join(split(%q, %q), %q) = %q", s, sep, sep, joined)
		}
	})
}
