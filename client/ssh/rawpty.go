package ssh

import (
	"context"
	"syscall"

	"github.com/procsh/procsh/client"
)

func syscallSignal(n int) syscall.Signal { return syscall.Signal(n) }

func (c *Client) rawCreatePTY(ctx context.Context, opts client.PTYOptions) (*client.PTYInfo, error) {
	return nil, unsupported("create pty")
}

func (c *Client) rawConnectPTY(ctx context.Context, id string, opts client.PTYConnectOptions) (client.PTYHandle, error) {
	return nil, unsupported("connect pty")
}

func (c *Client) rawGetPTY(ctx context.Context, id string) (*client.PTYInfo, error) {
	return nil, unsupported("get pty")
}

func (c *Client) rawListPTYs(ctx context.Context) ([]client.PTYInfo, error) {
	return nil, unsupported("list ptys")
}

func (c *Client) rawResizePTY(ctx context.Context, id string, cols, rows uint16) (*client.PTYInfo, error) {
	return nil, unsupported("resize pty")
}

func (c *Client) rawKillPTY(ctx context.Context, id string) error {
	return unsupported("kill pty")
}
