package luabind_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
)

func ExampleNew() {
	backend, err := local.New()
	if err != nil {
		panic(err)
	}
	defer backend.Close()
	h, err := luabind.New(backend, luabind.WithStdout(os.Stdout), luabind.WithProfile(luabind.ProfileSandbox))
	if err != nil {
		panic(err)
	}
	defer h.Close()
	vals, err := h.Eval(context.Background(), `process.exec("echo hello").stdout`)
	fmt.Printf("%q %v\n", vals[0].String(), err)
	// Output: "hello\n" <nil>
}

func ExampleHost_RunString() {
	backend, _ := local.New()
	defer backend.Close()
	h, _ := luabind.New(backend, luabind.WithStdout(os.Stdout))
	defer h.Close()
	err := h.RunString(context.Background(), "example.lua", `
		local s = process.session()
		local cmd = s:start("echo one; echo two", {
			on_stdout = function(line) print("line: " .. line) end,
		})
		local t = process.spawn(function() return process.exec("echo task").stdout end)
		print("exit", cmd:wait().exit_code, t:wait())
	`)
	fmt.Println("err:", err)
	// Output:
	// line: one
	// line: two
	// exit	0	task
	//
	// err: <nil>
}

// Greeter is an embedder's Go type exposed to scripts.
type Greeter struct{ Prefix string }

// Greet is callable from Lua as greeter:Greet(name).
func (g *Greeter) Greet(name string) string { return g.Prefix + name }

func ExampleWithGlobal() {
	backend, _ := local.New()
	defer backend.Close()
	h, _ := luabind.New(backend, luabind.WithStdout(os.Stdout), luabind.WithGlobal("greeter", &Greeter{Prefix: "hi "}))
	defer h.Close()
	err := h.RunString(context.Background(), "g.lua", `print(greeter:Greet("lua"), #greeter.Prefix)`)
	fmt.Println(err)
	// Output:
	// hi lua	3
	// <nil>
}

func ExampleHost_Eval() {
	backend, _ := local.New()
	defer backend.Close()
	h, _ := luabind.New(backend)
	defer h.Close()
	ctx := context.Background()
	_, _ = h.Eval(ctx, "x = 20")
	vals, _ := h.Eval(ctx, "x * 2 + 2") // an expression: its values come back
	fmt.Println(vals[0])
	_, err := h.Eval(ctx, "for i = 1, 3 do") // unfinished: read another line
	fmt.Println(errors.Is(err, luabind.ErrIncomplete))
	// Output:
	// 42
	// true
}

// An embedder's module whose Go function blocks for a second: through
// Host.Block the Lua state is released meanwhile, so the script's other
// task keeps running.
func ExampleHost_Block() {
	backend, _ := local.New()
	defer backend.Close()
	var h *luabind.Host // set below; the loader runs only once the script requires "slow"
	slow := func(L *lua.LState) int {
		mod := L.NewTable()
		mod.RawSetString("work", L.NewFunction(func(L *lua.LState) int {
			d := time.Duration(float64(L.CheckNumber(1)) * float64(time.Second)) // read arguments first
			err := h.Block(L, "slow.work", func(ctx context.Context) error {
				select { // the Lua state is unlocked here: do not touch L
				case <-time.After(d):
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			if err != nil {
				L.Push(lua.LNil)
				L.Push(lua.LString(err.Error()))
				return 2
			}
			L.Push(lua.LString("done"))
			return 1
		}))
		L.Push(mod)
		return 1
	}
	h, _ = luabind.New(backend, luabind.WithStdout(os.Stdout), luabind.WithModule("slow", slow))
	defer h.Close()
	err := h.RunString(context.Background(), "block.lua", `
		local slow = require("slow")
		local ticks = 0
		process.spawn(function()
			for _ = 1, 3 do ticks = ticks + 1; process.sleep(0.1) end
		end)
		print(slow.work(1), "ticks meanwhile:", ticks)`)
	fmt.Println(err)
	// Output:
	// done	ticks meanwhile:	3
	// <nil>
}
