package ssh

import (
	"net"
	"os"
	"sync"
	"time"
)

// deadlineConn gives an SSH channel (which has no deadlines) the deadline
// methods HTTP and WebSocket clients use. An expired deadline closes the
// channel: its users treat a timeout as fatal to the connection anyway, and
// closing is the only way to interrupt a channel read or write.
type deadlineConn struct {
	net.Conn
	mu      sync.Mutex
	timers  [2]*time.Timer // read, write
	expired bool
}

func (c *deadlineConn) set(i int, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timers[i] != nil {
		c.timers[i].Stop()
		c.timers[i] = nil
	}
	if t.IsZero() {
		return
	}
	d := time.Until(t)
	if d <= 0 {
		d = 0
	}
	c.timers[i] = time.AfterFunc(d, func() {
		c.mu.Lock()
		c.expired = true
		c.mu.Unlock()
		_ = c.Conn.Close()
	})
}

func (c *deadlineConn) timedOut(err error) error {
	if err == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired {
		return os.ErrDeadlineExceeded
	}
	return err
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	return n, c.timedOut(err)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	return n, c.timedOut(err)
}

func (c *deadlineConn) Close() error {
	c.set(0, time.Time{})
	c.set(1, time.Time{})
	return c.Conn.Close()
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.set(0, t)
	c.set(1, t)
	return nil
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error  { c.set(0, t); return nil }
func (c *deadlineConn) SetWriteDeadline(t time.Time) error { c.set(1, t); return nil }
