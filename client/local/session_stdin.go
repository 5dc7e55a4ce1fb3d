//go:build linux

package local

import (
	"os"
	"path/filepath"

	"context"
	"golang.org/x/sys/unix"
	"time"

	"github.com/procsh/procsh/client"
)

// openStdin makes an async command's stdin FIFO. It exists from
// submission on, so input sent while the command still waits in the queue
// is delivered when it starts.
func (s *session) openStdin(c *command) error {
	c.inPath = filepath.Join(s.dir, c.id+".in")
	if err := unix.Mkfifo(c.inPath, 0o600); err != nil {
		return err
	}
	// O_RDWR never blocks and keeps a writer on the FIFO, so the command
	// sees EOF only when CloseInput closes it.
	f, err := os.OpenFile(c.inPath, os.O_RDWR, 0)
	if err != nil {
		os.Remove(c.inPath)
		return err
	}
	c.stdin = f
	return nil
}

// stdinOpened records that the shell has opened c's stdin FIFO (its "S"
// status line) and carries out a CloseInput that had to wait for it.
func (s *session) stdinOpened(c *command) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.opened = true
	if c.closeSoon && c.stdin != nil {
		c.stdin.Close()
		c.stdin = nil
	}
}

// SendInput implements client.Client.
func (b *Backend) SendInput(ctx context.Context, sessionID, commandID string, data []byte) error {
	const op = "send input"
	s, c, err := b.lookupCmd(op, sessionID, commandID)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return client.Errorf(op, client.ErrInvalidArgument, "no data")
	}
	s.mu.Lock()
	f, done, async, closing := c.stdin, c.exitCode != nil, c.async, c.closeSoon
	s.mu.Unlock()
	switch {
	case done:
		return client.Errorf(op, client.ErrClosed, "command %q has already completed", commandID)
	case !async:
		return client.Errorf(op, client.ErrClosed, "command %q was run synchronously; its stdin is /dev/null", commandID)
	case f == nil || closing:
		return client.Errorf(op, client.ErrClosed, "stdin of command %q was closed", commandID)
	}
	stop := context.AfterFunc(ctx, func() { _ = f.SetWriteDeadline(time.Now()) })
	defer stop()
	if _, err := f.Write(data); err != nil {
		if ctx.Err() != nil {
			return &client.Error{Op: op, Kind: ctxKind(ctx.Err()), Err: ctx.Err()}
		}
		return &client.Error{Op: op, Kind: client.ErrClosed, Msg: "command stdin", Err: err}
	}
	return nil
}

// CloseInput implements client.Client.
func (b *Backend) CloseInput(ctx context.Context, sessionID, commandID string) error {
	const op = "close input"
	s, c, err := b.lookupCmd(op, sessionID, commandID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.exitCode != nil {
		return client.Errorf(op, client.ErrClosed, "command %q has already completed", commandID)
	}
	if c.stdin == nil || c.closeSoon {
		if !c.async {
			return client.Errorf(op, client.ErrClosed, "command %q was run synchronously; its stdin is /dev/null", commandID)
		}
		return client.Errorf(op, client.ErrClosed, "stdin of command %q was already closed", commandID)
	}
	if !c.opened {
		// Closing now would drop what the FIFO holds before the command
		// opened it; the runner closes it when the shell reports the open.
		c.closeSoon = true
		return nil
	}
	c.stdin.Close()
	c.stdin = nil
	return nil
}
