package ssh

import (
	"context"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/procsh/procsh/client"
)

// Client is a client.Client over one SSH connection. In agent mode every
// call goes to the procsh server running on the host; in raw mode Exec and
// CodeRun run over plain SSH channels and the rest report ErrUnsupported.
type Client struct {
	conn   *ssh.Client
	target target
	mode   Mode
	agent  *agentConn // nil in raw mode

	mu     sync.Mutex
	closed bool
	raw    *rawPTYs      // raw mode's PTYs, created on first use
	stop   chan struct{} // closed by Close: ends keepAlive
}

// keepAlive probes the connection every d and closes it after three
// probes in a row got no answer within d.
func (c *Client) keepAlive(d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	missed := 0
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		replied := make(chan error, 1)
		go func() {
			_, _, err := c.conn.SendRequest("keepalive@openssh.com", true, nil)
			replied <- err
		}()
		select {
		case err := <-replied:
			if err != nil {
				return // the connection is gone
			}
			missed = 0
		case <-time.After(d):
			if missed++; missed >= 3 {
				_ = c.conn.Close()
				return
			}
		case <-c.stop:
			return
		}
	}
}

var _ client.Client = (*Client)(nil)

// Dial connects to dest ("ssh://[user@]host[:port]" or "[user@]host[:port]",
// host possibly an ssh_config alias), verifies its host key, logs in and,
// in agent mode, starts procsh on the host. Errors are *client.Error:
// ErrInvalidArgument for a bad target or option, ErrUnavailable when the
// host cannot be reached, ErrUnauthorized when its host key is unknown or
// changed or it refuses our credentials, ErrUnsupported when agent mode was
// asked for and the host cannot run our binary, ErrTimeout when ctx ends.
func Dial(ctx context.Context, dest string, o Options) (*Client, error) {
	switch o.Mode {
	case ModeAuto, ModeAgent, ModeRaw:
	default:
		return nil, client.Errorf("ssh connect", client.ErrInvalidArgument, "mode %q: want \"agent\" or \"raw\"", o.Mode)
	}
	conn, t, err := dialSSH(ctx, dest, o, 0)
	if err != nil {
		return nil, err
	}
	c := &Client{conn: conn, target: t, mode: ModeRaw, stop: make(chan struct{})}
	if ka := o.KeepAlive; ka >= 0 {
		if ka == 0 {
			ka = 15 * time.Second
		}
		go c.keepAlive(ka)
	}
	if o.Mode != ModeRaw {
		a, err := startAgent(ctx, conn, o)
		if err != nil && (o.Mode == ModeAgent || !isUnsupported(err)) {
			conn.Close()
			return nil, err
		}
		if err == nil {
			c.agent, c.mode = a, ModeAgent
		}
	}
	return c, nil
}

// Mode reports the mode in use: ModeAgent or ModeRaw.
func (c *Client) Mode() Mode { return c.mode }

// SSH returns the underlying connection (for callers that need more
// channels, e.g. to copy files).
func (c *Client) SSH() *ssh.Client { return c.conn }

// Close ends the remote server (and so every session, command and PTY this
// client started on the host that is not detached) and closes the
// connection. Later calls fail with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.stop)
	c.mu.Unlock()
	if c.agent != nil {
		c.agent.close()
	} else {
		c.closePTYs()
	}
	return c.conn.Close()
}

func (c *Client) check(op string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return client.Errorf(op, client.ErrClosed, "ssh client is closed")
	}
	return nil
}

func unsupported(op string) error {
	return client.Errorf(op, client.ErrUnsupported, "not available over SSH in raw mode (use agent mode)")
}

// Exec runs a one-shot command.
func (c *Client) Exec(ctx context.Context, req client.ExecRequest) (*client.ExecResult, error) {
	if c.agent != nil {
		return c.agent.remote.Exec(ctx, req)
	}
	if err := c.check("exec"); err != nil {
		return nil, err
	}
	return c.rawExec(ctx, req)
}

// CodeRun runs a program in an interpreter (raw mode: python and
// javascript).
func (c *Client) CodeRun(ctx context.Context, req client.CodeRunRequest) (*client.ExecResult, error) {
	if c.agent != nil {
		return c.agent.remote.CodeRun(ctx, req)
	}
	if err := c.check("code run"); err != nil {
		return nil, err
	}
	return c.rawCodeRun(ctx, req)
}

// CreateSession starts a persistent shell session (agent mode).
func (c *Client) CreateSession(ctx context.Context, opts client.SessionOptions) error {
	if c.agent != nil {
		return c.agent.remote.CreateSession(ctx, opts)
	}
	return unsupported("create session")
}

// GetSession describes a session (agent mode).
func (c *Client) GetSession(ctx context.Context, id string) (*client.SessionInfo, error) {
	if c.agent != nil {
		return c.agent.remote.GetSession(ctx, id)
	}
	return nil, unsupported("get session")
}

// ListSessions lists the sessions (agent mode).
func (c *Client) ListSessions(ctx context.Context) ([]client.SessionInfo, error) {
	if c.agent != nil {
		return c.agent.remote.ListSessions(ctx)
	}
	return nil, unsupported("list sessions")
}

// DeleteSession ends a session (agent mode).
func (c *Client) DeleteSession(ctx context.Context, id string) error {
	if c.agent != nil {
		return c.agent.remote.DeleteSession(ctx, id)
	}
	return unsupported("delete session")
}

// ExecSession runs a command in a session (agent mode).
func (c *Client) ExecSession(ctx context.Context, sessionID string, req client.SessionExecRequest) (*client.SessionExecResult, error) {
	if c.agent != nil {
		return c.agent.remote.ExecSession(ctx, sessionID, req)
	}
	return nil, unsupported("exec session command")
}

// GetCommand describes a command (agent mode).
func (c *Client) GetCommand(ctx context.Context, sessionID, commandID string) (*client.CommandInfo, error) {
	if c.agent != nil {
		return c.agent.remote.GetCommand(ctx, sessionID, commandID)
	}
	return nil, unsupported("get command")
}

// WaitCommand waits for a command (agent mode).
func (c *Client) WaitCommand(ctx context.Context, sessionID, commandID string) (*client.CommandInfo, error) {
	if c.agent != nil {
		return c.agent.remote.WaitCommand(ctx, sessionID, commandID)
	}
	return nil, unsupported("wait command")
}

// GetCommandLogs returns a command's output so far (agent mode).
func (c *Client) GetCommandLogs(ctx context.Context, sessionID, commandID string) (*client.Logs, error) {
	if c.agent != nil {
		return c.agent.remote.GetCommandLogs(ctx, sessionID, commandID)
	}
	return nil, unsupported("get command logs")
}

// StreamCommandLogs streams a command's output (agent mode).
func (c *Client) StreamCommandLogs(ctx context.Context, sessionID, commandID string, opts client.LogOptions) (client.LogStream, error) {
	if c.agent != nil {
		return c.agent.remote.StreamCommandLogs(ctx, sessionID, commandID, opts)
	}
	return nil, unsupported("stream command logs")
}

// SendInput writes to a command's stdin (agent mode).
func (c *Client) SendInput(ctx context.Context, sessionID, commandID string, data []byte) error {
	if c.agent != nil {
		return c.agent.remote.SendInput(ctx, sessionID, commandID, data)
	}
	return unsupported("send input")
}

// CloseInput closes a command's stdin (agent mode).
func (c *Client) CloseInput(ctx context.Context, sessionID, commandID string) error {
	if c.agent != nil {
		return c.agent.remote.CloseInput(ctx, sessionID, commandID)
	}
	return unsupported("close input")
}

// KillCommand signals a command's process tree (agent mode).
func (c *Client) KillCommand(ctx context.Context, sessionID, commandID string, sig syscall.Signal) error {
	if c.agent != nil {
		return c.agent.remote.KillCommand(ctx, sessionID, commandID, sig)
	}
	return unsupported("kill command")
}

// CreatePTY creates a PTY session.
func (c *Client) CreatePTY(ctx context.Context, opts client.PTYOptions) (*client.PTYInfo, error) {
	if c.agent != nil {
		return c.agent.remote.CreatePTY(ctx, opts)
	}
	if err := c.check("create pty"); err != nil {
		return nil, err
	}
	return c.rawCreatePTY(ctx, opts)
}

// ConnectPTY attaches to a PTY session.
func (c *Client) ConnectPTY(ctx context.Context, id string, opts client.PTYConnectOptions) (client.PTYHandle, error) {
	if c.agent != nil {
		return c.agent.remote.ConnectPTY(ctx, id, opts)
	}
	if err := c.check("connect pty"); err != nil {
		return nil, err
	}
	return c.rawConnectPTY(ctx, id, opts)
}

// GetPTY describes a PTY session.
func (c *Client) GetPTY(ctx context.Context, id string) (*client.PTYInfo, error) {
	if c.agent != nil {
		return c.agent.remote.GetPTY(ctx, id)
	}
	return c.rawGetPTY(ctx, id)
}

// ListPTYs lists PTY sessions.
func (c *Client) ListPTYs(ctx context.Context) ([]client.PTYInfo, error) {
	if c.agent != nil {
		return c.agent.remote.ListPTYs(ctx)
	}
	return c.rawListPTYs(ctx)
}

// ResizePTY changes a PTY's window size.
func (c *Client) ResizePTY(ctx context.Context, id string, cols, rows uint16) (*client.PTYInfo, error) {
	if c.agent != nil {
		return c.agent.remote.ResizePTY(ctx, id, cols, rows)
	}
	return c.rawResizePTY(ctx, id, cols, rows)
}

// KillPTY kills a PTY's process tree and deletes the session.
func (c *Client) KillPTY(ctx context.Context, id string) error {
	if c.agent != nil {
		return c.agent.remote.KillPTY(ctx, id)
	}
	return c.rawKillPTY(ctx, id)
}
