package luabind_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind"
)

// isolateModule exposes CallIsolated to Lua as require("iso").call(fn,
// timeout): it returns ok, the error text, and the list of what fn left
// running.
func isolateModule(h **luabind.Host) luabind.Option {
	return luabind.WithModule("iso", func(L *lua.LState) int {
		t := L.NewTable()
		t.RawSetString("call", L.NewFunction(func(L *lua.LState) int {
			fn := L.CheckFunction(1)
			timeout := time.Duration(float64(L.OptNumber(2, 0)) * float64(time.Second))
			res := (*h).CallIsolated(L, timeout, fn, lua.LString("arg"))
			L.Push(lua.LBool(res.Err == nil))
			if res.Err != nil {
				L.Push(lua.LString(res.Err.Error()))
			} else {
				L.Push(lua.LNil)
			}
			left := L.NewTable()
			for _, s := range res.Left {
				left.Append(lua.LString(s))
			}
			L.Push(left)
			for _, v := range res.Results {
				L.Push(v)
			}
			return 3 + len(res.Results)
		}))
		L.Push(t)
		return 1
	})
}

func TestCallIsolated(t *testing.T) {
	var h *luabind.Host
	h, _, marker, out := newHost(t, isolateModule(&h))
	cases := []struct {
		name, src string
	}{
		{"results and args", `
			local ok, err, left, a, b = require("iso").call(function(x) return x, 2 end)
			assert(ok and err == nil and #left == 0 and a == "arg" and b == 2)`},
		{"ends what fn started and reports it", `
			local outer = process.session()
			local keep = outer:start("sleep 60")
			local sid
			local ok, err, left = require("iso").call(function()
				local s = process.session()
				sid = s.id
				s:start("sleep 61")
				process.pty{command = "sleep 62"}
			end)
			assert(ok, err)
			assert(#left == 2, #left)
			assert(left[1]:find('command "sleep 61"', 1, true), left[1])
			assert(left[2]:find("^pty "), left[2])
			assert(process.get_session(sid) == nil, "the inner session is deleted")
			-- What the enclosing run started is untouched.
			assert(process.get_session(outer.id))
			assert(keep:info().done == false, "the outer command still runs")`},
		{"waits for tasks", `
			local done = false
			local ok = require("iso").call(function()
				process.spawn(function() process.sleep(0.1); done = true end)
			end)
			assert(ok and done)`},
		{"errors", `
			local ok, err = require("iso").call(function() error("boom") end)
			assert(not ok and err:find("boom"), err)`},
		{"unobserved task failures", `
			local ok, err = require("iso").call(function()
				process.spawn(function() error("task boom") end)
			end)
			assert(not ok and err:find("task boom"), err)`},
		{"timeout", `
			local t0 = os.time()
			local ok, err = require("iso").call(function() process.exec("sleep 30") end, 0.2)
			assert(not ok and err:find("stopped after 200ms"), err)
			assert(os.time() - t0 < 10)`},
		{"nests", `
			local iso = require("iso")
			local ok, err, left = iso.call(function()
				local s = process.session()
				local c = s:start("sleep 63")
				local ok2, _, left2 = iso.call(function() process.session():start("sleep 64") end)
				assert(ok2 and #left2 == 1 and left2[1]:find("sleep 64"))
				assert(c:info().done == false, "the outer command survives the inner call")
			end)
			assert(ok, err)
			assert(#left == 1 and left[1]:find("sleep 63"), left[1])`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := h.RunString(ctx, c.name, c.src); err != nil {
				t.Fatalf("%v\noutput: %s", err, out.String())
			}
			waitNoProcs(t, marker)
		})
	}
}

func TestCallIsolatedExit(t *testing.T) {
	var h *luabind.Host
	h, _, _, _ = newHost(t, isolateModule(&h))
	err := h.RunString(context.Background(), "exit", `
		require("iso").call(function() os.exit(3) end)
		error("not reached")`)
	var exitErr *luabind.ExitError
	if !errors.As(err, &exitErr) || exitErr.Code != 3 {
		t.Fatalf("got %v, want exit status 3", err)
	}
	if strings.Contains(err.Error(), "not reached") {
		t.Fatal(err)
	}
}
