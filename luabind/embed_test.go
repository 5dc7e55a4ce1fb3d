package luabind_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/luabind"
)

func TestRunStringResults(t *testing.T) {
	h, _, _, _ := newHost(t)
	ctx := context.Background()
	vals, err := h.RunStringResults(ctx, "calc", `return 6 * 7, "ok", nil, {a = 1}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 4 || vals[0] != lua.LNumber(42) || vals[1] != lua.LString("ok") || vals[2] != lua.LNil {
		t.Fatalf("results %v", vals)
	}
	if tb, ok := vals[3].(*lua.LTable); !ok || tb.RawGetString("a") != lua.LNumber(1) {
		t.Fatalf("table result %v", vals[3])
	}
	// Results come back after the run's tasks are done.
	vals, err = h.RunStringResults(ctx, "tasks", `
		local n = 0
		local t = process.spawn(function() process.sleep(0.05); n = n + 1 end)
		return function() return n end`)
	if err != nil || len(vals) != 1 {
		t.Fatalf("%v %v", vals, err)
	}
	if err := h.Do(func(L *lua.LState) error {
		L.Push(vals[0])
		L.Call(0, 1)
		if got := L.Get(-1); got != lua.LNumber(1) {
			return fmt.Errorf("the task had not run: n = %v", got)
		}
		L.Pop(1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// No results: an empty list; errors: nil and the error.
	if vals, err := h.RunStringResults(ctx, "none", `local x = 1`); err != nil || len(vals) != 0 {
		t.Fatalf("%v %v", vals, err)
	}
	vals, err = h.RunStringResults(ctx, "fails", `error("boom")`)
	var se *luabind.ScriptError
	if vals != nil || !errors.As(err, &se) || !strings.Contains(se.Message, "fails:1: boom") {
		t.Fatalf("%v %v", vals, err)
	}
	if _, err := h.RunStringResults(ctx, "syntax", `return +`); !errors.As(err, &se) {
		t.Fatalf("syntax error: %v", err)
	}
	vals, err = h.RunStringResults(ctx, "exit", `os.exit(3)`)
	var exit *luabind.ExitError
	if vals != nil || !errors.As(err, &exit) || exit.Code != 3 {
		t.Fatalf("%v %v", vals, err)
	}
}

type point struct{ X, Y int }

func TestGoValuesIterate(t *testing.T) {
	arr := [3]string{"x", "y", "z"}
	h, _, _, _ := newHost(t,
		luabind.WithGlobal("names", []string{"a", "b", "c"}),
		luabind.WithGlobal("ages", map[string]int{"bob": 2, "al": 1, "cy": 3}),
		luabind.WithGlobal("byID", map[int]string{3: "c", 1: "a", 2: "b"}),
		luabind.WithGlobal("arr", &arr),
		luabind.WithGlobal("pts", []point{{1, 2}, {3, 4}}),
		luabind.WithGlobal("empty", []int{}),
		luabind.WithGlobal("holes", []any{1, nil, 3}),
		luabind.WithGlobal("pt", point{1, 2}),
	)
	err := h.RunString(context.Background(), "iter", `
		local function collect(iter, s, c)
			local out = {}
			for k, v in iter, s, c do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
			return table.concat(out, " ")
		end
		local function check(got, want) if got ~= want then error(("got %q, want %q"):format(got, want), 2) end end
		check(collect(ipairs(names)), "1=a 2=b 3=c")
		check(collect(pairs(names)), "1=a 2=b 3=c")
		check(collect(pairs(ages)), "al=1 bob=2 cy=3")
		check(collect(pairs(byID)), "1=a 2=b 3=c")
		check(collect(ipairs(arr)), "1=x 2=y 3=z")
		check(collect(ipairs(empty)), "")
		check(collect(ipairs(holes)), "1=1")            -- stops at nil, as on a table
		check(collect(pairs(holes)), "1=1 2=nil 3=3")
		local sum = 0
		for _, p in ipairs(pts) do sum = sum + p.X + p.Y end
		check(tostring(sum), "10")
		-- Tables are untouched, including Lua 5.1's ignoring of __pairs.
		check(collect(ipairs({"p", "q"})), "1=p 2=q")
		local mt = setmetatable({k = 1}, {__pairs = function() error("not 5.1") end})
		check(collect(pairs(mt)), "k=1")
		-- Errors name the function and the argument.
		local ok, err = pcall(ipairs, ages)
		assert(not ok and err:find("bad argument #1 to 'ipairs'", 1, true) and err:find("a Go map has no order"), err)
		ok, err = pcall(pairs, pt)
		assert(not ok and err:find("bad argument #1 to 'pairs' (table expected, got userdata)", 1, true), err)
		ok, err = pcall(pairs, nil)
		assert(not ok and err:find("table expected, got nil"), err)
	`)
	if err != nil {
		t.Fatal(err)
	}
}

// A userdata's __pairs metamethod is honoured, as in Lua 5.2.
func TestGoIteratorsPairsMetamethod(t *testing.T) {
	h, _, _, _ := newHost(t, luabind.WithModule("bag", func(L *lua.LState) int {
		ud := L.NewUserData()
		mt := L.NewTable()
		mt.RawSetString("__pairs", L.NewFunction(func(L *lua.LState) int {
			done := false
			L.Push(L.NewFunction(func(L *lua.LState) int {
				if done {
					return 0
				}
				done = true
				L.Push(lua.LString("only"))
				L.Push(lua.LNumber(1))
				return 2
			}))
			L.Push(L.Get(1))
			L.Push(lua.LNil)
			return 3
		}))
		ud.Metatable = mt
		L.Push(ud)
		return 1
	}))
	if err := h.RunString(context.Background(), "meta", `
		local n = 0
		for k, v in pairs(require("bag")) do assert(k == "only" and v == 1); n = n + 1 end
		assert(n == 1)`); err != nil {
		t.Fatal(err)
	}
}

func TestFallible(t *testing.T) {
	lookup := func(name string) (int, error) {
		switch name {
		case "one":
			return 1, nil
		case "missing":
			return 0, fmt.Errorf("user %q: %w", name, client.ErrNotFound)
		case "file":
			return 0, fmt.Errorf("open: %w", fs.ErrNotExist)
		case "ctx":
			return 0, context.DeadlineExceeded
		}
		return 0, errors.New("plain failure")
	}
	h, _, _, _ := newHost(t,
		luabind.WithGlobal("lookup", luabind.Fallible(lookup)),
		luabind.WithGlobal("save", luabind.Fallible(func(a, b string) error {
			if a == "" {
				return fmt.Errorf("empty key: %w", client.ErrInvalidArgument)
			}
			return nil
		})),
		luabind.WithGlobal("pair", luabind.Fallible(func() (string, int, error) { return "x", 2, nil })),
		luabind.WithGlobal("bad", luabind.Fallible(func() int { return 1 })),
		luabind.WithGlobal("notfunc", luabind.Fallible(42)),
	)
	err := h.RunString(context.Background(), "fallible", `
		assert(lookup("one") == 1)
		assert(select("#", lookup("one")) == 1)
		local v, msg, kind = lookup("missing")
		assert(v == nil and msg == 'user "missing": not found' and kind == "not_found", tostring(msg) .. " " .. tostring(kind))
		v, msg, kind = lookup("file")
		assert(v == nil and kind == "not_found", kind)
		v, msg, kind = lookup("ctx")
		assert(kind == "timeout", kind)
		v, msg, kind = lookup("other")
		assert(v == nil and msg == "plain failure" and kind == "error", kind)
		local ok, err = pcall(function() assert(lookup("missing")) end)
		assert(not ok and err:find("not found"), err)
		assert(select("#", save("k", "v")) == 0)
		v, msg, kind = save("", "v")
		assert(v == nil and kind == "invalid" and msg:find("empty key"), msg)
		local s, n = pair()
		assert(s == "x" and n == 2)
		-- Programmer errors raise.
		ok, err = pcall(lookup, {})
		assert(not ok, "a table for a string argument must raise")
		ok, err = pcall(lookup)
		assert(not ok and err:find("invalid number of function arguments"), err)
		ok, err = pcall(bad)
		assert(not ok and err:find("luabind.Fallible: func%(%) int is not a function whose last result is an error"), err)
		ok, err = pcall(notfunc)
		assert(not ok and err:find("luabind.Fallible: int is not a function"), err)
	`)
	if err != nil {
		t.Fatal(err)
	}
}
