package luabind

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// castWriter records a PTY session as an asciicast v2 file: a JSON header
// line, then one [seconds, "o"|"i"|"r", data] event per line.
type castWriter struct {
	mu    sync.Mutex
	f     *os.File
	start time.Time
	err   error
}

func newCastWriter(f *os.File, cols, rows int) *castWriter {
	c := &castWriter{f: f, start: time.Now()}
	hdr, _ := json.Marshal(map[string]any{"version": 2, "width": cols, "height": rows, "timestamp": c.start.Unix(), "env": map[string]string{"TERM": "xterm-256color"}})
	c.line(string(hdr))
	return c
}

func (c *castWriter) line(s string) {
	if c.err == nil {
		_, c.err = io.WriteString(c.f, s+"\n")
	}
}

func (c *castWriter) event(kind, data string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return
	}
	d, _ := json.Marshal(data)
	c.line(fmt.Sprintf("[%.6f, %q, %s]", time.Since(c.start).Seconds(), kind, d))
}

func (c *castWriter) output(b []byte)       { c.event("o", string(b)) }
func (c *castWriter) resize(cols, rows int) { c.event("r", fmt.Sprintf("%dx%d", cols, rows)) }

type castInput struct{ c *castWriter }

func (w castInput) Write(b []byte) (int, error) { w.c.event("i", string(b)); return len(b), nil }

func (c *castWriter) inputWriter() io.Writer { return castInput{c} }

func (c *castWriter) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	if c.err != nil {
		return c.err
	}
	return err
}
