package repl_test

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/repl"
)

func ExampleFormat() {
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(`result = {exit_code = 0, ok = true, stdout = "hi\n", tags = {"a", "b"}}`); err != nil {
		panic(err)
	}
	fmt.Println(repl.Format(L, L.GetGlobal("result"), repl.FormatOptions{}))
	// Output: { exit_code = 0, ok = true, stdout = "hi\n", tags = { "a", "b" } }
}

func ExampleSnapshot_Complete() {
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(`deploy = {start = function() end, status = function() end, stage = "prod"}`); err != nil {
		panic(err)
	}
	snap := repl.TakeSnapshot(L) // with exclusive access to L
	names, typed := snap.Complete("deploy.st")
	fmt.Println(names, typed)
	names, _ = snap.Complete("deploy:")
	fmt.Println(names)
	// Output:
	// [stage start status] 2
	// [start status]
}

func ExampleQuote() {
	fmt.Println(repl.Quote("tab\there \"quoted\" \x00"))
	// Output: "tab\there \"quoted\" \000"
}
