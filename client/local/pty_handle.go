//go:build linux

package local

import (
	"context"
	"io"
	"sync"

	"github.com/procsh/procsh/client"
)

// ptyHandle is one attachment to a ptySession. Output is pushed into its own
// bounded buffer by the session's reader; Read takes it from there.
type ptyHandle struct {
	s     *ptySession
	limit int

	mu     sync.Mutex
	cond   sync.Cond
	buf    []byte
	off    int   // buf[off:] is unread
	eof    bool  // the session ended; nothing more will be pushed
	err    error // set when the handle was dropped as a slow consumer
	closed bool

	scroll    []byte
	truncated bool
}

var _ client.PTYHandle = (*ptyHandle)(nil)

// attach registers a new handle. Registration and the scrollback snapshot
// happen under the session lock, so the handle sees each byte exactly once.
func (s *ptySession) attach(op string, scrollback bool) (*ptyHandle, error) {
	h := &ptyHandle{s: s, limit: s.m.handleBuf}
	h.cond.L = &h.mu
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == ptyEnded && s.pid == 0 { // deleted before it ever started
		return nil, client.Errorf(op, client.ErrNotFound, "PTY session %q not found", s.id)
	}
	if scrollback {
		h.scroll, h.truncated = s.ring.snapshot()
		h.buf = append(h.buf, h.scroll...)
	}
	if s.state == ptyEnded {
		h.eof = true
	} else {
		s.handles[h] = struct{}{}
	}
	return h, nil
}

// push appends output. It never blocks; it reports false when the handle
// overflowed and was dropped. The caller holds the session lock.
func (h *ptyHandle) push(p []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	pending := len(h.buf) - h.off
	if pending+len(p) > h.limit {
		h.err = client.Errorf("read pty", client.ErrClosed,
			"slow consumer: handle disconnected after %d bytes of unread output (limit %d); the PTY keeps running",
			pending+len(p), h.limit)
		h.cond.Broadcast()
		return false
	}
	if h.off > 0 && h.off >= cap(h.buf)/2 {
		n := copy(h.buf, h.buf[h.off:])
		h.buf, h.off = h.buf[:n], 0
	}
	h.buf = append(h.buf, p...)
	h.cond.Broadcast()
	return true
}

// finish marks the end of output. The caller holds the session lock.
func (h *ptyHandle) finish() {
	h.mu.Lock()
	h.eof = true
	h.cond.Broadcast()
	h.mu.Unlock()
}

// ID implements client.PTYHandle.
func (h *ptyHandle) ID() string { return h.s.id }

// Read implements client.PTYHandle. It returns buffered output first; then
// io.EOF once the program has ended, or the slow-consumer error (matching
// client.ErrClosed) if the handle was dropped. After Close it returns an
// error matching client.ErrClosed.
func (h *ptyHandle) Read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(p) == 0 && !h.closed {
		return 0, nil
	}
	for h.off == len(h.buf) && !h.eof && h.err == nil && !h.closed {
		h.cond.Wait()
	}
	if h.closed {
		return 0, client.Errorf("read pty", client.ErrClosed, "handle is closed")
	}
	if h.off < len(h.buf) {
		n := copy(p, h.buf[h.off:])
		h.off += n
		if h.off == len(h.buf) {
			h.off = 0
			if cap(h.buf) > 256<<10 {
				h.buf = nil // give back what a burst grew
			} else {
				h.buf = h.buf[:0]
			}
		}
		return n, nil
	}
	if h.err != nil {
		return 0, h.err
	}
	return 0, io.EOF
}

// Write implements client.PTYHandle. Input to an ended PTY, or through a
// closed handle, is an error matching client.ErrClosed.
func (h *ptyHandle) Write(p []byte) (int, error) {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return 0, client.Errorf("write pty", client.ErrClosed, "handle is closed")
	}
	return h.s.write(p)
}

// Resize implements client.PTYHandle.
func (h *ptyHandle) Resize(ctx context.Context, cols, rows uint16) error {
	const op = "resize pty"
	if err := validPTYSize(op, cols, rows, false); err != nil {
		return err
	}
	return h.s.resize(op, cols, rows)
}

// Wait implements client.PTYHandle. It returns once the exit has been
// published, which is after every byte of output was handed to this handle.
func (h *ptyHandle) Wait(ctx context.Context) (client.PTYResult, error) {
	select {
	case <-h.s.done:
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		return h.s.result, nil
	case <-ctx.Done():
		return client.PTYResult{}, &client.Error{Op: "wait pty", Kind: client.ErrTimeout, Err: ctx.Err()}
	}
}

// Kill implements client.PTYHandle (see Backend.KillPTY).
func (h *ptyHandle) Kill(ctx context.Context) error {
	return h.s.killAndRemove(ctx, "kill pty")
}

// Close implements client.PTYHandle: it detaches the handle; the program
// keeps running. It is safe to call more than once.
func (h *ptyHandle) Close() error {
	h.s.mu.Lock()
	delete(h.s.handles, h)
	h.s.mu.Unlock()
	h.mu.Lock()
	h.closed = true
	h.buf, h.off = nil, 0
	h.cond.Broadcast()
	h.mu.Unlock()
	return nil
}

// Scrollback implements client.PTYHandle.
func (h *ptyHandle) Scrollback() ([]byte, bool) {
	return append([]byte(nil), h.scroll...), h.truncated
}
