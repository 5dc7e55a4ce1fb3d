package luabind_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind"
)

// gateModule is an embedder's module: gate.wait() blocks through Host.Block
// until gate.open() is called, which only another task can do while the
// first waits. If Block kept the Lua state locked, the script would hang.
func gateModule(h **luabind.Host, opened chan struct{}) lua.LGFunction {
	var once sync.Once
	return func(L *lua.LState) int {
		mod := L.NewTable()
		mod.RawSetString("wait", L.NewFunction(func(L *lua.LState) int {
			err := (*h).Block(L, "gate.wait", func(ctx context.Context) error {
				select {
				case <-opened:
					return nil
				case <-time.After(10 * time.Second):
					return errors.New("nobody opened the gate: other tasks did not run")
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			if err != nil {
				L.RaiseError("gate.wait: %v", err)
			}
			return 0
		}))
		mod.RawSetString("open", L.NewFunction(func(L *lua.LState) int {
			once.Do(func() { close(opened) })
			return 0
		}))
		L.Push(mod)
		return 1
	}
}

func TestBlockLetsOtherTasksRun(t *testing.T) {
	var h *luabind.Host
	var mu sync.Mutex
	var observed []string
	h, _, _, out := newHost(t, luabind.WithModule("gate", gateModule(&h, make(chan struct{}))),
		luabind.WithWaitObserver(func(what string) func() {
			mu.Lock()
			observed = append(observed, what)
			mu.Unlock()
			return func() {}
		}))
	err := h.RunString(context.Background(), "gate.lua", `
		local gate = require("gate")
		local order = {}
		local tk = process.spawn(function()
			order[#order + 1] = "task"
			gate.open()
		end)
		gate.wait()
		order[#order + 1] = "main"
		tk:wait()
		-- Block works inside pcall and coroutines too.
		assert(pcall(gate.wait))
		coroutine.wrap(function() gate.wait() end)()
		print(table.concat(order, ","))`)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "task,main\n" {
		t.Errorf("stdout = %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(observed) != 3 || observed[0] != "gate.wait" {
		t.Errorf("wait observer saw %q, want gate.wait three times", observed)
	}
}

// TestBlockCancel: cancelling the run ends fn's ctx, and Block raises so
// that the script stops even under pcall.
func TestBlockCancel(t *testing.T) {
	var h *luabind.Host
	h, _, _, _ = newHost(t, luabind.WithModule("gate", gateModule(&h, make(chan struct{}))))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := h.RunString(ctx, "gate.lua", `local gate = require("gate"); while true do pcall(gate.wait) end`)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled run took %v", d)
	}
}
