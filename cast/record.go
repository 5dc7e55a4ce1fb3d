package cast

import (
	"context"

	"github.com/procsh/procsh/client"
)

// HeaderFor returns a header for a PTY: its size, and TERM from its
// environment.
func HeaderFor(info *client.PTYInfo) Header {
	h := Header{Width: int(info.Cols), Height: int(info.Rows)}
	if term := info.Env["TERM"]; term != "" {
		h.Env = map[string]string{"TERM": term}
	}
	return h
}

// Recorder is a client.PTYHandle that records what passes through it.
type Recorder struct {
	client.PTYHandle
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
func Record(h client.PTYHandle, w *Writer, opts ...RecordOption) *Recorder {
	r := &Recorder{PTYHandle: h, w: w}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Read reads from the handle and records what it got.
func (r *Recorder) Read(p []byte) (int, error) {
	n, err := r.PTYHandle.Read(p)
	if n > 0 {
		_ = r.w.Output(p[:n]) // a failing recording must not break the session
	}
	return n, err
}

// Write writes to the handle and, with WithInput, records what was written.
func (r *Recorder) Write(p []byte) (int, error) {
	n, err := r.PTYHandle.Write(p)
	if n > 0 && r.input {
		_ = r.w.Input(p[:n])
	}
	return n, err
}

// Resize resizes the PTY and records the new size.
func (r *Recorder) Resize(ctx context.Context, cols, rows uint16) error {
	if err := r.PTYHandle.Resize(ctx, cols, rows); err != nil {
		return err
	}
	return r.w.Resize(cols, rows)
}
