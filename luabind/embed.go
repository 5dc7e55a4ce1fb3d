package luabind

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/procsh/procsh/internal/luaargs"
)

// RunStringResults runs src as RunString does and returns what the main
// chunk returned (nil when it failed). Tables among the results belong to
// the host's Lua state: read them before other Lua code runs on the host
// (a later RunString, Eval or REPL background task), or under Do.
//
//	vals, err := h.RunStringResults(ctx, "calc", `return 6 * 7, "ok"`)
//	// vals[0] == lua.LNumber(42), vals[1] == lua.LString("ok")
func (h *Host) RunStringResults(ctx context.Context, name, src string) ([]lua.LValue, error) {
	proto, err := compile(name, src)
	if err != nil {
		return nil, syntaxError(err)
	}
	var results []lua.LValue
	if err := h.runProtoResults(ctx, proto, nil, &results); err != nil {
		return nil, err
	}
	return results, nil
}

// openGoIterators replaces pairs and ipairs with versions that also iterate
// Go values given to Lua through gopher-luar (WithGlobal): slices and
// arrays with ipairs and pairs (indices from 1), maps with pairs (keys in
// sorted order when they are strings or numbers, so runs repeat). A
// userdata's __pairs and __ipairs metamethods (as in Lua 5.2) are honoured
// too. On tables they behave exactly as Lua 5.1's.
func openGoIterators(L *lua.LState) {
	next := L.GetGlobal("next")
	ipairs, ok := L.GetGlobal("ipairs").(*lua.LFunction)
	if !ok || next == lua.LNil {
		return
	}
	// The iterator that the built-in ipairs returns.
	L.Push(ipairs)
	L.Push(L.NewTable())
	L.Call(1, 3)
	ipairsAux := L.Get(-3)
	L.Pop(3)

	L.SetGlobal("pairs", L.NewFunction(func(L *lua.LState) int {
		return iterate(L, "pairs", "__pairs", next)
	}))
	L.SetGlobal("ipairs", L.NewFunction(func(L *lua.LState) int {
		return iterate(L, "ipairs", "__ipairs", ipairsAux)
	}))
}

func iterate(L *lua.LState, fname, meta string, tableIter lua.LValue) int {
	v := L.Get(1)
	if _, ok := v.(*lua.LUserData); ok {
		if mm := L.GetMetaField(v, meta); mm != lua.LNil {
			L.Push(mm)
			L.Push(v)
			L.Call(1, 3)
			return 3
		}
	}
	switch x := v.(type) {
	case *lua.LTable:
		L.Push(tableIter)
		L.Push(x)
		if fname == "ipairs" {
			L.Push(lua.LNumber(0))
		} else {
			L.Push(lua.LNil)
		}
		return 3
	case *lua.LUserData:
		if it, err := goIterator(L, x, fname == "ipairs"); it != nil {
			L.Push(it)
			L.Push(x)
			L.Push(lua.LNil)
			return 3
		} else if err != "" {
			L.RaiseError("bad argument #1 to '%s' (%s)", fname, err)
		}
	}
	// Lua 5.1's own wording.
	L.RaiseError("bad argument #1 to '%s' (table expected, got %s)", fname, v.Type().String())
	return 0
}

// goIterator returns an iterator over the Go slice, array or map in ud, or
// nil and why not ("" when ud holds no such value).
func goIterator(L *lua.LState, ud *lua.LUserData, ordered bool) (*lua.LFunction, string) {
	rv := reflect.ValueOf(ud.Value)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Array {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		i := 0
		return L.NewFunction(func(L *lua.LState) int {
			// The slice may have shrunk since the loop began.
			if i >= rv.Len() {
				return 0
			}
			v := luar.New(L, rv.Index(i).Interface())
			if ordered && v == lua.LNil {
				return 0 // ipairs stops at the first nil, as on a table
			}
			i++
			L.Push(lua.LNumber(i))
			L.Push(v)
			return 2
		}), ""
	case reflect.Map:
		if ordered {
			return nil, "a Go map has no order: iterate it with pairs"
		}
		keys := rv.MapKeys()
		sortKeys(keys)
		i := 0
		return L.NewFunction(func(L *lua.LState) int {
			for i < len(keys) {
				k := keys[i]
				i++
				if v := rv.MapIndex(k); v.IsValid() { // skip keys deleted meanwhile
					L.Push(luar.New(L, k.Interface()))
					L.Push(luar.New(L, v.Interface()))
					return 2
				}
			}
			return 0
		}), ""
	}
	return nil, ""
}

// sortKeys orders string, integer and float keys; other kinds keep Go's
// order.
func sortKeys(keys []reflect.Value) {
	if len(keys) == 0 {
		return
	}
	switch keys[0].Kind() {
	case reflect.String:
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		sort.Slice(keys, func(i, j int) bool { return keys[i].Int() < keys[j].Int() })
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		sort.Slice(keys, func(i, j int) bool { return keys[i].Uint() < keys[j].Uint() })
	case reflect.Float32, reflect.Float64:
		sort.Slice(keys, func(i, j int) bool { return keys[i].Float() < keys[j].Float() })
	}
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()

// Fallible adapts fn, a Go function whose last result is an error, to
// procsh's convention for expected failures: when the error is nil the Lua
// function returns fn's other results; otherwise it returns nil, the
// error's message and its kind ("not_found", "invalid", "timeout", ... as
// the process module reports them, from client's sentinels, context and
// io/fs errors; "error" for anything else), so that assert(f(...)) works.
// Arguments are converted as gopher-luar converts them; a wrong argument
// type raises an error, as for any programmer error. Pass the result to
// WithGlobal or put it in a module with luar.New. When fn is not such a
// function, calling the result raises an error saying so.
func Fallible(fn any) func(*luar.LState) int {
	ft := reflect.TypeOf(fn)
	valid := ft != nil && ft.Kind() == reflect.Func && ft.NumOut() > 0 && ft.Out(ft.NumOut()-1) == errorType && !reflect.ValueOf(fn).IsNil()
	return func(ls *luar.LState) int {
		L := ls.LState
		if !valid {
			L.RaiseError("luabind.Fallible: %T is not a function whose last result is an error", fn)
		}
		inner := luar.New(L, fn)
		nargs := L.GetTop()
		L.Insert(inner, 1)
		L.Call(nargs, lua.MultRet)
		n := L.GetTop()
		last := L.Get(n)
		if last == lua.LNil {
			L.Remove(n)
			return n - 1
		}
		err, _ := errorOf(last)
		L.SetTop(0)
		if err == nil {
			err = fmt.Errorf("%v", last)
		}
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		L.Push(lua.LString(luaargs.Kind(err)))
		return 3
	}
}

// errorOf returns the Go error that gopher-luar wrapped in v.
func errorOf(v lua.LValue) (error, bool) {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return nil, false
	}
	err, ok := ud.Value.(error)
	return err, ok
}
