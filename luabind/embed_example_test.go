package luabind_test

import (
	"context"
	"fmt"
	"os"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
)

// A chunk's return values, for Go code that computes with Lua.
func ExampleHost_RunStringResults() {
	backend, _ := local.New()
	defer backend.Close()
	h, _ := luabind.New(backend)
	defer h.Close()
	vals, err := h.RunStringResults(context.Background(), "calc.lua", `
		local r = process.exec("echo 41")
		return tonumber(r.stdout) + 1, r.ok`)
	fmt.Println(vals, err)
	// Output: [42 true] <nil>
}

// Go slices and maps given with WithGlobal iterate with ipairs and pairs;
// maps with string or number keys iterate in key order.
func ExampleWithGlobal_iterate() {
	backend, _ := local.New()
	defer backend.Close()
	h, _ := luabind.New(backend, luabind.WithStdout(os.Stdout),
		luabind.WithGlobal("hosts", []string{"web1", "web2"}),
		luabind.WithGlobal("ports", map[string]int{"web": 80, "api": 8080}),
	)
	defer h.Close()
	_ = h.RunString(context.Background(), "iter.lua", `
		for i, name in ipairs(hosts) do print(i, name) end
		for name, port in pairs(ports) do print(name, port) end`)
	// Output:
	// 1	web1
	// 2	web2
	// api	8080
	// web	80
}

// user is an embedder's lookup that fails with one of client's sentinels.
func user(id int) (string, error) {
	if id != 1 {
		return "", fmt.Errorf("user %d: %w", id, client.ErrNotFound)
	}
	return "ada", nil
}

// Fallible turns a Go function returning (T, error) into a Lua function
// that returns T, or nil, message, kind — so assert(f(...)) works.
func ExampleFallible() {
	backend, _ := local.New()
	defer backend.Close()
	h, _ := luabind.New(backend, luabind.WithStdout(os.Stdout),
		luabind.WithGlobal("user", luabind.Fallible(user)))
	defer h.Close()
	err := h.RunString(context.Background(), "users.lua", `
		print(user(1))
		print(user(2))
		print(pcall(function() return assert(user(2)) end))`)
	fmt.Println(err)
	// Output:
	// ada
	// nil	user 2: not found	not_found
	// false	users.lua:4: user 2: not found
	// <nil>
}
