package cast

import (
	"context"
	"io"
)

// HeaderFor returns a header for a terminal of cols x rows whose
// environment is env: its size, and TERM from env.
func HeaderFor(cols, rows uint16, env map[string]string) Header {
	h := Header{Width: int(cols), Height: int(rows)}
	if term := env["TERM"]; term != "" {
		h.Env = map[string]string{"TERM": term}
	}
	return h
}

// Terminal is what Record wraps: a terminal's byte stream and its size. A
// procsh PTY handle (client.PTYHandle) is one; the interface is spelled out
// here so that this package depends on nothing of procsh.
type Terminal interface {
	io.ReadWriteCloser
	Resize(ctx context.Context, cols, rows uint16) error
}

// Recorder is a Terminal that records what passes through it.
type Recorder struct {
	Terminal
	w     *Writer
	input bool
}

// RecordOption tunes Record.
type RecordOption func(*Recorder)

// WithInput records what is written to the handle as "i" events. Off by
// default: input may hold passwords, and players ignore it.
func WithInput() RecordOption { return func(r *Recorder) { r.input = true } }

// Record returns h wrapped so that every byte read from it is recorded as
// output, resizes as "r" events and, with WithInput, writes as input. Output
// is recorded when it is read, so the recording's timing is the reader's.
// Closing the Recorder closes h; the Writer is the caller's to close.
func Record(h Terminal, w *Writer, opts ...RecordOption) *Recorder {
	r := &Recorder{Terminal: h, w: w}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Read reads from the handle and records what it got.
func (r *Recorder) Read(p []byte) (int, error) {
	n, err := r.Terminal.Read(p)
	if n > 0 {
		_ = r.w.Output(p[:n]) // a failing recording must not break the session
	}
	return n, err
}

// Write writes to the handle and, with WithInput, records what was written.
func (r *Recorder) Write(p []byte) (int, error) {
	n, err := r.Terminal.Write(p)
	if n > 0 && r.input {
		_ = r.w.Input(p[:n])
	}
	return n, err
}

// Resize resizes the PTY and records the new size.
func (r *Recorder) Resize(ctx context.Context, cols, rows uint16) error {
	if err := r.Terminal.Resize(ctx, cols, rows); err != nil {
		return err
	}
	return r.w.Resize(cols, rows)
}
