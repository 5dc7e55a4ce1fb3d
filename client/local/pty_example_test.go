//go:build linux

package local_test

import (
	"context"
	"fmt"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/expect"
)

// A PTY driven with the expect engine: lazy start, so the handle sees the
// program's first output; the exit status arrives after the last byte.
func ExampleBackend_CreatePTY() {
	b, err := local.New()
	if err != nil {
		panic(err)
	}
	defer b.Close()
	ctx := context.Background()
	_, err = b.CreatePTY(ctx, client.PTYOptions{ID: "ask", LazyStart: true,
		Command: []string{"sh", "-c", `stty -echo; printf 'Name? '; read n; echo "Hello, $n"; exit 2`}})
	if err != nil {
		panic(err)
	}
	h, err := b.ConnectPTY(ctx, "ask", client.PTYConnectOptions{})
	if err != nil {
		panic(err)
	}
	e := expect.New(h, expect.WithTimeout(10*time.Second))
	defer e.Close()
	if _, err := e.Expect(ctx, expect.Literal("Name? ")); err != nil {
		panic(err)
	}
	_ = e.SendLine("procsh")
	res, _ := e.Expect(ctx, expect.Regexp(`Hello, (\w+)`))
	fmt.Println(res.Groups[0])
	r, _ := h.Wait(ctx)
	fmt.Println(r.ExitCode, r.Reason)
	// Output:
	// procsh
	// 2 non-zero exit
}
