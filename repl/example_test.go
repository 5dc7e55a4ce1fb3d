package repl_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
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

// A REPL on the local machine, wired the way cmd/procsh does it. (Not run
// as a test: it needs a terminal.)
func ExampleRun() {
	backend, err := local.New()
	if err != nil {
		panic(err)
	}
	defer backend.Close()
	out := repl.NewSwitchWriter(os.Stdout) // callbacks print above the prompt
	host, err := luabind.New(backend, luabind.WithStdout(out))
	if err != nil {
		panic(err)
	}
	defer host.Close()
	err = repl.Run(context.Background(), host, repl.Config{
		HostStdout:   out,
		IsIncomplete: func(err error) bool { return errors.Is(err, luabind.ErrIncomplete) },
		Banner:       "procsh REPL — Ctrl-D exits",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
