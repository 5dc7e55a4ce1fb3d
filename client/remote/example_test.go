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

// CreateConnectPTY creates a PTY and attaches to it in one WebSocket round
// trip (GET /process/pty/create-connect), with the PTY's environment in a
// subprotocol token; against a v0.190 server it falls back to POST and
// connect. The exit status arrives in the "exited" control frame.
func ExampleClient_CreateConnectPTY() {
	backend, _ := local.New()
	srv := server.New(backend)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- server.Serve(ctx, ln, srv) }()
	defer func() { stop(); <-done }()

	r, err := remote.New("http://" + ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer r.Close()
	h, err := r.CreateConnectPTY(context.Background(), client.PTYOptions{ID: "demo", Env: map[string]string{"GREETING": "hi"}}, client.PTYConnectOptions{})
	if err != nil {
		panic(err)
	}
	defer h.Close()
	if _, err := h.Write([]byte("echo $GREETING; exit 3\n")); err != nil {
		panic(err)
	}
	res, err := h.Wait(context.Background())
	fmt.Println(res.ExitCode, res.Reason, err)
	// Output: 3 non-zero exit <nil>
}
