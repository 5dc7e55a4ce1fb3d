package luaargs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
)

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{client.Errorf("x", client.ErrNotFound, "m"), KindNotFound},
		{client.Errorf("x", client.ErrConflict, "m"), KindConflict},
		{client.Errorf("x", client.ErrInvalidArgument, "m"), KindInvalid},
		{client.Errorf("x", client.ErrTimeout, "m"), KindTimeout},
		{client.Errorf("x", client.ErrClosed, "m"), KindClosed},
		{client.Errorf("x", client.ErrUnsupported, "m"), KindUnsupported},
		{client.Errorf("x", client.ErrUnauthorized, "m"), KindUnauthorized},
		{client.Errorf("x", client.ErrUnavailable, "m"), KindUnavailable},
		{fmt.Errorf("wrapped: %w", context.Canceled), KindCanceled},
		{context.DeadlineExceeded, KindTimeout},
		{&fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}, KindNotFound},
		{fmt.Errorf("w: %w", fs.ErrExist), KindConflict},
		{&fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission}, KindUnauthorized},
		{errors.New("other"), KindError},
		{nil, ""},
	} {
		if got := Kind(tc.err); got != tc.want {
			t.Errorf("Kind(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestKindsAreClientNames: the constants are client's names, and Kinds
// lists client's table plus exactly the three Lua-only kinds.
func TestKindsAreClientNames(t *testing.T) {
	for _, k := range client.Kinds() {
		if got := Kind(client.Errorf("x", k.Err, "m")); got != k.Name {
			t.Errorf("Kind(%v) = %q, want client's name %q", k.Err, got, k.Name)
		}
	}
	all := Kinds()
	if len(all) != len(client.Kinds())+3 || all[len(all)-3] != KindCanceled || all[len(all)-2] != KindFailed || all[len(all)-1] != KindError {
		t.Errorf("Kinds() = %v", all)
	}
}

// call runs a Go function from Lua and returns its results or its error.
func call(t *testing.T, fn lua.LGFunction, args ...lua.LValue) ([]lua.LValue, error) {
	t.Helper()
	L := lua.NewState()
	defer L.Close()
	L.Push(L.NewFunction(fn))
	for _, a := range args {
		L.Push(a)
	}
	if err := L.PCall(len(args), lua.MultRet, nil); err != nil {
		return nil, err
	}
	out := make([]lua.LValue, L.GetTop())
	for i := range out {
		out[i] = L.Get(i + 1)
	}
	return out, nil
}

func TestOpts(t *testing.T) {
	decode := func(L *lua.LState) int {
		o := CheckOpts(L, "m.f", 1)
		s := o.Str("s", "def")
		b := o.Bool("b", false)
		d := o.Seconds("d")
		l := o.Strings("l")
		e := o.Env("e")
		o.Done()
		L.Push(lua.LString(fmt.Sprintf("%s %v %v %q %v", s, b, d, l, e)))
		return 1
	}
	L := lua.NewState()
	defer L.Close()
	tbl := func(kv ...any) *lua.LTable {
		t := L.NewTable()
		for i := 0; i < len(kv); i += 2 {
			var v lua.LValue
			switch x := kv[i+1].(type) {
			case string:
				v = lua.LString(x)
			case float64:
				v = lua.LNumber(x)
			case bool:
				v = lua.LBool(x)
			case lua.LValue:
				v = x
			}
			t.RawSetString(kv[i].(string), v)
		}
		return t
	}
	list := L.NewTable()
	list.Append(lua.LString("a"))
	list.Append(lua.LNumber(2))
	env := tbl("K", "v", "N", 1.0)
	for _, tc := range []struct {
		name string
		arg  lua.LValue
		want string // result, or a substring of the error
	}{
		{"nil is empty", lua.LNil, "def false 0s [] map[]"},
		{"values", tbl("s", "x", "b", true, "d", 1.5, "l", list, "e", env), `x true 1.5s ["a" "2"] map[K:v N:1]`},
		{"not a table", lua.LString("x"), "m.f: bad argument #1 (opts): table expected, got string"},
		{"unknown key", tbl("s", "x", "bogus", 1.0), `m.f: bad argument #1 (opts): unknown option "bogus"`},
		{"two unknown keys", tbl("zz", 1.0, "aa", 1.0), `unknown options "aa", "zz"`},
		{"wrong type", tbl("b", "yes"), `option "b": boolean expected, got string`},
		{"negative duration", tbl("d", -1.0), `option "d": non-negative number of seconds expected, got -1`},
		{"map as list", tbl("l", tbl("x", "y")), `option "l": a list expected, got key x`},
		{"bad env value", tbl("e", tbl("K", tbl())), `option "e": value of K must be a string, got table`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := call(t, decode, tc.arg)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = out[0].String()
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestArgErrorMethodsSkipSelf(t *testing.T) {
	_, err := call(t, func(L *lua.LState) int { CheckString(L, "obj:m", 2, "name"); return 0 }, lua.LNil, lua.LNil)
	if err == nil || !strings.Contains(err.Error(), "obj:m: bad argument #1 (name): string expected, got nil") {
		t.Fatalf("err = %v", err)
	}
}

func TestFail(t *testing.T) {
	out, err := call(t, func(L *lua.LState) int {
		return Fail(L, "m.f", client.Errorf("op", client.ErrUnauthorized, "bad token"))
	})
	if err != nil || len(out) != 3 || out[0] != lua.LNil || !strings.HasPrefix(out[1].String(), "m.f: ") || out[2].String() != "unauthorized" {
		t.Fatalf("got %v, %v", out, err)
	}
}
