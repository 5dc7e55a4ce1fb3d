package wire

import "bytes"

// Stream markers that precede every run of output in a session log.
var (
	StdoutMarker = []byte{1, 1, 1}
	StderrMarker = []byte{2, 2, 2}
)

// Stream identifiers used by the demultiplexer and the raw log frames.
const (
	StreamNone   byte = 0
	StreamStdout byte = 1
	StreamStderr byte = 2
)

// AppendChunk appends marker+data for stream (StreamStdout or StreamStderr).
func AppendChunk(dst []byte, stream byte, data []byte) []byte {
	if stream == StreamStderr {
		dst = append(dst, StderrMarker...)
	} else {
		dst = append(dst, StdoutMarker...)
	}
	return append(dst, data...)
}

// StripMarkers removes every marker from b (the legacy "combined" mode).
func StripMarkers(b []byte) []byte {
	if bytes.IndexByte(b, 1) < 0 && bytes.IndexByte(b, 2) < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		i, _ := nextMarker(b)
		if i < 0 {
			return append(out, b...)
		}
		out = append(out, b[:i]...)
		b = b[i+3:]
	}
	return out
}

// Demux splits a complete log into its streams; bytes before the first
// marker are dropped, as the reference server does.
func Demux(b []byte) (stdout, stderr []byte) {
	var d Demuxer
	emit := func(s byte, p []byte) {
		if s == StreamStdout {
			stdout = append(stdout, p...)
		} else {
			stderr = append(stderr, p...)
		}
	}
	d.Write(b, emit)
	d.Flush(emit)
	if stdout == nil {
		stdout = []byte{}
	}
	if stderr == nil {
		stderr = []byte{}
	}
	return stdout, stderr
}

// nextMarker returns the index of the earliest complete marker in b and its
// stream, or -1.
func nextMarker(b []byte) (int, byte) {
	for i := 0; i+2 < len(b); i++ {
		c := b[i]
		if (c == 1 || c == 2) && b[i+1] == c && b[i+2] == c {
			return i, c
		}
	}
	return -1, StreamNone
}

// Demuxer splits a marker-encoded byte stream that arrives in arbitrary
// pieces (WebSocket frames) into stdout and stderr. State is carried across
// Write calls, so a marker split between two frames is recognised. The zero
// value is ready to use.
type Demuxer struct {
	buf []byte
	cur byte
}

// Write feeds one frame. emit receives output runs in order; the slice is
// only valid during the call.
func (d *Demuxer) Write(frame []byte, emit func(stream byte, data []byte)) {
	d.buf = append(d.buf, frame...)
	b := d.buf
	for {
		i, s := nextMarker(b)
		if i < 0 {
			break
		}
		if i > 0 && d.cur != StreamNone {
			emit(d.cur, b[:i])
		}
		d.cur = s
		b = b[i+3:]
	}
	// Hold back a tail that could be the start of a split marker.
	keep := 0
	n := len(b)
	if n >= 1 && (b[n-1] == 1 || b[n-1] == 2) {
		keep = 1
		if n >= 2 && b[n-2] == b[n-1] {
			keep = 2
		}
	}
	if n-keep > 0 && d.cur != StreamNone {
		emit(d.cur, b[:n-keep])
	}
	d.buf = append(d.buf[:0], b[n-keep:]...)
}

// Flush emits any held-back bytes; call it once the stream has ended.
func (d *Demuxer) Flush(emit func(stream byte, data []byte)) {
	if len(d.buf) > 0 && d.cur != StreamNone {
		emit(d.cur, d.buf)
	}
	d.buf = d.buf[:0]
}
