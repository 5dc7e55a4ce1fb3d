package cast

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decoder reads a cast file.
type Decoder struct {
	sc     *bufio.Scanner
	header Header
	line   int
}

// NewDecoder reads and checks the header (version 2 only).
func NewDecoder(r io.Reader) (*Decoder, error) {
	d := &Decoder{sc: bufio.NewScanner(r)}
	d.sc.Buffer(make([]byte, 64<<10), 64<<20)
	if !d.sc.Scan() {
		if err := d.sc.Err(); err != nil {
			return nil, fmt.Errorf("cast: read header: %w", err)
		}
		return nil, fmt.Errorf("cast: empty file")
	}
	d.line = 1
	if err := json.Unmarshal(d.sc.Bytes(), &d.header); err != nil {
		return nil, fmt.Errorf("cast: header: %w", err)
	}
	if d.header.Version != 2 {
		return nil, fmt.Errorf("cast: version %d, want 2", d.header.Version)
	}
	return d, nil
}

// Header returns the file's header.
func (d *Decoder) Header() Header { return d.header }

// Next returns the next event, or io.EOF after the last one. Blank lines are
// skipped.
func (d *Decoder) Next() (Event, error) {
	for d.sc.Scan() {
		d.line++
		b := d.sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil || len(raw) != 3 {
			return Event{}, fmt.Errorf("cast: line %d: not a [time, type, data] event", d.line)
		}
		var ev Event
		if err := errors.Join(json.Unmarshal(raw[0], &ev.Time), json.Unmarshal(raw[1], &ev.Type), json.Unmarshal(raw[2], &ev.Data)); err != nil {
			return Event{}, fmt.Errorf("cast: line %d: %w", d.line, err)
		}
		return ev, nil
	}
	if err := d.sc.Err(); err != nil {
		return Event{}, fmt.Errorf("cast: line %d: %w", d.line+1, err)
	}
	return Event{}, io.EOF
}

// ReadAll decodes a whole cast file.
func ReadAll(r io.Reader) (Header, []Event, error) {
	d, err := NewDecoder(r)
	if err != nil {
		return Header{}, nil, err
	}
	var evs []Event
	for {
		ev, err := d.Next()
		if err == io.EOF {
			return d.Header(), evs, nil
		}
		if err != nil {
			return d.Header(), evs, err
		}
		evs = append(evs, ev)
	}
}
