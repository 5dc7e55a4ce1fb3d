// Package cast records terminal sessions as asciinema v2 cast files
// (https://docs.asciinema.org/manual/asciicast/v2/), so a PTY run can be
// replayed with standard players (asciinema play, asciinema-player).
//
// A cast file is a JSON header line followed by one JSON array per event:
// [seconds since start, type, data], where type is "o" (output), "i"
// (input), "r" (resize, data "COLSxROWS") or "m" (marker). Writer produces
// that format; Record wraps a terminal (such as a procsh PTY handle) so that everything read from
// it (and optionally written to it, and resizes) is recorded as it happens;
// Decoder reads a cast back.
package cast

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Header is the first line of a cast file.
type Header struct {
	Version   int               `json:"version"`
	Width     int               `json:"width"`
	Height    int               `json:"height"`
	Timestamp int64             `json:"timestamp,omitempty"` // Unix seconds of the start
	Duration  float64           `json:"duration,omitempty"`
	Command   string            `json:"command,omitempty"`
	Title     string            `json:"title,omitempty"`
	Env       map[string]string `json:"env,omitempty"` // conventionally SHELL and TERM
}

// Event types.
const (
	Output = "o"
	Input  = "i"
	Resize = "r"
	Marker = "m"
)

// Event is one timed event of a cast.
type Event struct {
	Time float64 // seconds since the start of the recording
	Type string  // Output, Input, Resize or Marker
	Data string
}

// Writer writes a cast file. Its methods are safe for concurrent use; each
// event is written with a single Write call, so a file cut short by a crash
// still holds whole events.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	start   time.Time
	last    float64
	pending map[string][]byte // an incomplete UTF-8 sequence per event type
	err     error
}

// NewWriter writes the header and returns a Writer whose clock starts now.
// Version is set to 2; a zero Timestamp becomes the current time; Width and
// Height must be positive.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if h.Width <= 0 || h.Height <= 0 {
		return nil, fmt.Errorf("cast: width and height must be positive, got %dx%d", h.Width, h.Height)
	}
	h.Version = 2
	now := time.Now()
	if h.Timestamp == 0 {
		h.Timestamp = now.Unix()
	}
	line, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("cast: header: %w", err)
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("cast: write header: %w", err)
	}
	return &Writer{w: w, start: now, pending: map[string][]byte{}}, nil
}

// Output records terminal output.
func (w *Writer) Output(p []byte) error { return w.event(Output, p) }

// Input records input sent to the terminal.
func (w *Writer) Input(p []byte) error { return w.event(Input, p) }

// Resize records a window size change.
func (w *Writer) Resize(cols, rows uint16) error {
	return w.event(Resize, []byte(fmt.Sprintf("%dx%d", cols, rows)))
}

// Mark records a marker (a chapter point for players) with a label.
func (w *Writer) Mark(label string) error { return w.event(Marker, []byte(label)) }

// event writes one event. Output is bytes but cast data is JSON text, so a
// UTF-8 sequence split between two reads is held back and joined to the next
// event of the same type rather than turned into two replacement characters.
func (w *Writer) event(typ string, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if typ == Output || typ == Input {
		if pend := w.pending[typ]; len(pend) > 0 {
			p = append(pend, p...)
		}
		p, w.pending[typ] = splitUTF8(p)
		if len(p) == 0 {
			return nil
		}
	}
	return w.writeLocked(typ, p)
}

func (w *Writer) writeLocked(typ string, p []byte) error {
	t := time.Since(w.start).Seconds()
	if t < w.last { // the monotonic clock never goes back; rounding might
		t = w.last
	}
	w.last = t
	var b bytes.Buffer
	b.WriteByte('[')
	b.WriteString(strconv.FormatFloat(t, 'f', 6, 64))
	b.WriteString(", ")
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(typ) // Encode appends '\n'
	b.Truncate(b.Len() - 1)
	b.WriteString(", ")
	_ = enc.Encode(string(p))
	b.Truncate(b.Len() - 1)
	b.WriteString("]\n")
	if _, err := w.w.Write(b.Bytes()); err != nil {
		w.err = fmt.Errorf("cast: write event: %w", err)
	}
	return w.err
}

// Close writes any held-back partial UTF-8 sequence (as replacement
// characters) and stops the Writer. It does not close the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, typ := range []string{Output, Input} {
		if p := w.pending[typ]; len(p) > 0 && w.err == nil {
			w.pending[typ] = nil
			_ = w.writeLocked(typ, p)
		}
	}
	err := w.err
	if w.err == nil {
		w.err = fmt.Errorf("cast: writer closed")
	}
	return err
}

// splitUTF8 splits off an incomplete UTF-8 sequence at the end of b.
func splitUTF8(b []byte) (complete, rest []byte) {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax+1; i-- {
		if b[i] < utf8.RuneSelf {
			break
		}
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i], append([]byte(nil), b[i:]...)
			}
			break
		}
	}
	return b, nil
}
