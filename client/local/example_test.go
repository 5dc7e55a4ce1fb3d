//go:build linux

package local_test

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
)

func ExampleBackend_Exec() {
	b, _ := local.New()
	defer b.Close()
	r, err := b.Exec(context.Background(), client.ExecRequest{
		Command: "echo hello $WHO; sleep 0.05; echo oops >&2; exit 3",
		Env:     map[string]string{"WHO": "world"},
		Timeout: 10 * time.Second,
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("exit=%d stdout=%q stderr=%q\n", r.ExitCode, r.Stdout, r.Stderr)
	// Output: exit=3 stdout="hello world\n" stderr="oops\n"
}

func ExampleBackend_CodeRun() {
	b, _ := local.New()
	defer b.Close()
	r, _ := b.CodeRun(context.Background(), client.CodeRunRequest{
		Language: client.Python,
		Code:     "import sys; print(sys.argv[1:])",
		Argv:     []string{"one arg", "--flag"},
	})
	fmt.Print(r.Result)
	// Output: ['one arg', '--flag']
}

func ExampleBackend_ExecSession() {
	ctx := context.Background()
	b, _ := local.New()
	defer b.Close()
	_ = b.CreateSession(ctx, client.SessionOptions{ID: "build"})
	_, _ = b.ExecSession(ctx, "build", client.SessionExecRequest{Command: "cd /tmp && export STAGE=test"})
	r, _ := b.ExecSession(ctx, "build", client.SessionExecRequest{Command: "echo $STAGE in $(pwd)"})
	fmt.Printf("%d %s", *r.ExitCode, r.Stdout)
	// Output: 0 test in /tmp
}

func ExampleBackend_StreamCommandLogs() {
	ctx := context.Background()
	b, _ := local.New()
	defer b.Close()
	_ = b.CreateSession(ctx, client.SessionOptions{ID: "s"})
	a, _ := b.ExecSession(ctx, "s", client.SessionExecRequest{Command: "read -r name; echo hi $name", Async: true})
	_ = b.SendInput(ctx, "s", a.CmdID, []byte("bob\n"))
	st, _ := b.StreamCommandLogs(ctx, "s", a.CmdID, client.LogOptions{Follow: true})
	defer st.Close()
	for {
		ch, err := st.Recv()
		if err == io.EOF {
			break
		}
		fmt.Printf("%s: %s", ch.Stream, ch.Data)
	}
	// Output: stdout: hi bob
}
