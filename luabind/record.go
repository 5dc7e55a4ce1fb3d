package luabind

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/procsh/procsh/cast"
	"github.com/procsh/procsh/client"
)

// The record= option of process.pty: an asciicast file of the output.

// recordedPTY is a PTY handle whose reads, writes and resizes go through a
// cast recorder (cast knows only the terminal part of a handle).
type recordedPTY struct {
	client.PTYHandle
	rec *cast.Recorder
}

func (r recordedPTY) Read(p []byte) (int, error)  { return r.rec.Read(p) }
func (r recordedPTY) Write(p []byte) (int, error) { return r.rec.Write(p) }
func (r recordedPTY) Resize(ctx context.Context, cols, rows uint16) error {
	return r.rec.Resize(ctx, cols, rows)
}

// recording is a cast file being written.
type recording struct {
	f *os.File
	w *cast.Writer
}

func startRecording(path string, info *client.PTYInfo, command []string) (*recording, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	hdr := cast.HeaderFor(info.Cols, info.Rows, info.Env)
	if hdr.Width == 0 || hdr.Height == 0 {
		hdr.Width, hdr.Height = 80, 24
	}
	hdr.Command = strings.Join(command, " ")
	w, err := cast.NewWriter(f, hdr)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return &recording{f: f, w: w}, nil
}

// close flushes and closes the recording; it is safe to call twice.
func (r *recording) close() error {
	werr := r.w.Close()
	ferr := r.f.Close()
	if errors.Is(ferr, os.ErrClosed) {
		return nil
	}
	if ferr != nil {
		return ferr
	}
	return werr
}
