package remote_test

import (
	"context"
	"fmt"
	"net"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/client/remote"
	"github.com/procsh/procsh/server"
)

// A remote client talking to `procsh serve` (here started in-process on a
// loopback port) runs commands exactly like the local backend.
func ExampleNew() {
	backend, _ := local.New()
	srv := server.New(backend, server.WithToken("secret"))
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- server.Serve(ctx, ln, srv) }()
	defer func() { stop(); <-done }()

	r, err := remote.New("http://"+ln.Addr().String(), remote.WithToken("secret"))
	if err != nil {
		panic(err)
	}
	defer r.Close()
	res, err := r.Exec(context.Background(), client.ExecRequest{Command: "echo hello; echo oops >&2; exit 3"})
	if err != nil {
		panic(err)
	}
	fmt.Printf("exit %d, stdout %q, stderr %q\n", res.ExitCode, res.Stdout, res.Stderr)
	// Output: exit 3, stdout "hello\n", stderr "oops\n"
}
