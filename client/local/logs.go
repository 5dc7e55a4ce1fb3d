//go:build linux

package local

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/procsh/procsh/client"
)

// Log file layout.
const (
	// ckptEvery is the spacing of the in-memory index into a log file.
	ckptEvery = 1 << 20
	// maxRecord bounds one record of a log file (and one chunk read back).
	maxRecord = 1 << 20
	recHeader = 5 // stream byte + big-endian uint32 length
)

// cmdLog is a command's output: chunks in arrival order with their offsets
// in the combined log. A short log lives in memory; past the window it
// lives in unlinked files (segments) with a sparse in-memory index, so a
// log of any size costs a few kilobytes of memory. Stored data is never
// modified, so readers may use it without the lock. Readers wait for more
// by selecting on notify, which is closed (and replaced) on every append
// and at the end: a broadcast that also composes with ctx.Done.
type cmdLog struct {
	cfg    logConfig
	mu     sync.Mutex
	chunks []client.Chunk // while in memory
	segs   []*segment     // once spilled
	first  int64          // first offset still kept
	size   int64
	done   bool
	gone   bool  // released: nothing is kept any more
	werr   error // a failed write: the log ends there
	notify chan struct{}
}

// segment is one log file: records (stream byte, uint32 length, data) for
// the log offsets start..end.
type segment struct {
	f          *os.File
	start, end int64
	fsize      int64
	ckpts      []ckpt // record starts, at least every ckptEvery log bytes
}

type ckpt struct{ off, pos int64 }

func newCmdLog() *cmdLog { return &cmdLog{notify: make(chan struct{})} }

// newLog returns an empty log under the backend's retention policy.
func (b *Backend) newLog() *cmdLog {
	l := newCmdLog()
	l.cfg = b.opts.logs
	return l
}

func (l *cmdLog) append(s client.Stream, p []byte) { l.add(s, p, false) }

// appendLate adds output that the command's background jobs wrote after
// the command ended. Snapshots and readers still under way see it; a
// follower that already reached the end got EOF and does not.
func (l *cmdLog) appendLate(s client.Stream, p []byte) { l.add(s, p, true) }

func (l *cmdLog) add(s client.Stream, p []byte, late bool) {
	if len(p) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if (l.done && !late) || l.gone || l.werr != nil {
		return
	}
	if l.segs == nil && l.size+int64(len(p)) > l.cfg.window() {
		// A spill that cannot even create its file keeps the log in
		// memory rather than lose output.
		if err := l.spill(); err != nil && l.segs != nil {
			l.fail(err)
			return
		}
	}
	if l.segs == nil {
		data := make([]byte, len(p))
		copy(data, p)
		l.chunks = append(l.chunks, client.Chunk{Stream: s, Offset: l.size, Data: data})
		l.size += int64(len(data))
	} else {
		if err := l.writeAll(s, p); err != nil {
			l.fail(err)
			return
		}
		l.drop()
	}
	l.wake()
}

func (l *cmdLog) wake() {
	if l.done {
		return // finish closed notify for good; late output wakes no one
	}
	close(l.notify)
	l.notify = make(chan struct{})
}

// fail ends the log at a write error; readers get it once they reach it.
func (l *cmdLog) fail(err error) {
	l.werr = &client.Error{Op: "command log", Kind: client.ErrUnavailable, Msg: "output past offset " + fmt.Sprint(l.size) + " was lost", Err: err}
	l.wake()
}

// spill moves the in-memory chunks (the log from offset 0; memory never
// drops any) into a first segment.
func (l *cmdLog) spill() error {
	chunks := l.chunks
	l.chunks = nil
	l.size = l.first
	if err := l.newSegment(); err != nil {
		l.chunks, l.size = chunks, l.first
		for _, c := range chunks {
			l.size += int64(len(c.Data))
		}
		return err
	}
	for _, c := range chunks {
		if err := l.writeAll(c.Stream, c.Data); err != nil {
			return err
		}
	}
	return nil
}

// writeAll appends p as records no larger than maxRecord, none crossing a
// segment boundary, so that a small limit is kept exactly.
func (l *cmdLog) writeAll(s client.Stream, p []byte) error {
	for len(p) > 0 {
		seg := l.segs[len(l.segs)-1]
		room := l.cfg.segSize() - (seg.end - seg.start)
		if room <= 0 {
			if err := l.newSegment(); err != nil {
				return err
			}
			continue
		}
		n := int64(len(p))
		if n > maxRecord {
			n = maxRecord
		}
		if n > room {
			n = room
		}
		if err := l.write(s, p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

func (l *cmdLog) newSegment() error {
	dir := l.cfg.dir
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "procsh-log-*") // mode 0600
	if err != nil {
		return err
	}
	// Unlinked at once: private, and gone with the last descriptor
	// whatever happens to this process.
	_ = os.Remove(f.Name())
	l.segs = append(l.segs, &segment{f: f, start: l.size, end: l.size})
	return nil
}

// write appends one record at the end of the log (l.mu held).
func (l *cmdLog) write(s client.Stream, p []byte) error {
	seg := l.segs[len(l.segs)-1]
	var hdr [recHeader]byte
	hdr[0] = byte(s)
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	if _, err := seg.f.WriteAt(hdr[:], seg.fsize); err != nil {
		return err
	}
	if _, err := seg.f.WriteAt(p, seg.fsize+recHeader); err != nil {
		return err
	}
	if n := len(seg.ckpts); n == 0 || l.size-seg.ckpts[n-1].off >= ckptEvery {
		seg.ckpts = append(seg.ckpts, ckpt{off: l.size, pos: seg.fsize})
	}
	seg.fsize += recHeader + int64(len(p))
	l.size += int64(len(p))
	seg.end = l.size
	return nil
}

// drop removes the oldest segments while more than the limit is kept.
func (l *cmdLog) drop() {
	for l.cfg.limit > 0 && len(l.segs) > 1 && l.size-l.segs[0].start > l.cfg.limit {
		_ = l.segs[0].f.Close()
		l.segs[0] = nil
		l.segs = l.segs[1:]
		l.first = l.segs[0].start
	}
}

// finish marks the log complete; no append may follow.
func (l *cmdLog) finish() {
	l.mu.Lock()
	if !l.done {
		l.done = true
		close(l.notify)
	}
	l.mu.Unlock()
}

// release closes the log's files; readers still open get ErrClosed.
func (l *cmdLog) release() {
	l.mu.Lock()
	segs := l.segs
	l.segs = []*segment{}
	l.chunks = nil
	l.gone = true
	l.first = l.size
	l.mu.Unlock()
	for _, s := range segs {
		_ = s.f.Close()
	}
}

// kept returns the retention state: the first kept offset and the size.
func (l *cmdLog) kept() (first, size int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first, l.size
}

// snapshot returns the combined log and the two streams.
func (l *cmdLog) snapshot() client.Logs { return l.snapshotMax(-1) }

// snapshotMax is snapshot of at most max bytes from the first kept offset
// (max < 0: everything); Truncated says whether anything was left out.

func (l *cmdLog) snapshotMax(max int64) client.Logs {
	first, size := l.kept()
	end := size
	truncated := first > 0
	if max >= 0 && size-first > max {
		end, truncated = first+max, true
	}
	all := make([]byte, 0, end-first)
	var spans []span
	st := l.stream(context.Background(), client.LogOptions{Offset: first})
	st.limit = end
	defer st.Close()
	for {
		// Read straight into all: no chunk buffers for the GC to collect
		// later, so the peak is the result's own size.
		st.into = all[len(all):cap(all)]
		c, err := st.Recv()
		if err != nil {
			// io.EOF, or the log lost a segment meanwhile: what we have.
			if err != io.EOF {
				truncated = true
			}
			break
		}
		all = append(all, c.Data...) // in place: c.Data is all's spare room
		spans = addSpan(spans, c.Stream, len(all))
	}
	out, stdout, stderr := splitStreams(all, spans)
	return client.Logs{Output: out, Stdout: stdout, Stderr: stderr, Truncated: truncated, FirstOffset: first}
}

// logStream reads a cmdLog from an offset.
type logStream struct {
	ctx    context.Context
	log    *cmdLog
	pos    int64
	limit  int64 // -1 when following
	closed chan struct{}
	once   sync.Once
	// cursor into a segment: the record at file position cpos starts at log
	// offset coff, so sequential reads never rescan.
	cseg       *os.File
	cpos, coff int64
	// into, when it has room, receives the next chunk's data instead of a
	// fresh buffer.
	into []byte
}

// buf returns n bytes for the next chunk's data.
func (s *logStream) buf(n int64) []byte {
	if int64(len(s.into)) >= n {
		b := s.into[:n:n]
		s.into = nil
		return b
	}
	return make([]byte, n)
}

func (l *cmdLog) stream(ctx context.Context, opts client.LogOptions) *logStream {
	s := &logStream{ctx: ctx, log: l, pos: opts.Offset, limit: -1, closed: make(chan struct{})}
	if s.pos < 0 {
		s.pos = 0
	}
	if !opts.Follow {
		l.mu.Lock()
		s.limit = l.size
		l.mu.Unlock()
	}
	return s
}

// errNotKept is the replay of an offset the retention limit dropped.
func errNotKept(pos, first int64) error {
	return client.Errorf("stream logs", client.ErrNotFound,
		"offset %d is no longer kept: the log was truncated and starts at offset %d", pos, first)
}

// Recv implements client.LogStream. Chunks are delivered as stored (an
// offset inside a chunk gives its tail); the Data slice is the caller's.
func (s *logStream) Recv() (client.Chunk, error) {
	for {
		select {
		case <-s.closed:
			return client.Chunk{}, client.Errorf("stream logs", client.ErrClosed, "stream closed")
		default:
		}
		if err := s.ctx.Err(); err != nil {
			return client.Chunk{}, err
		}
		l := s.log
		l.mu.Lock()
		size, done, notify, chunks, first, werr := l.size, l.done, l.notify, l.chunks, l.first, l.werr
		// The writer updates segments in place: read a copy. (Their
		// ckpts only grow, so a copied slice header is a stable prefix.)
		var segs []segment
		if l.segs != nil {
			segs = make([]segment, len(l.segs))
			for i, sg := range l.segs {
				segs[i] = *sg
			}
		}
		l.mu.Unlock()
		if s.pos < first {
			return client.Chunk{}, errNotKept(s.pos, first)
		}
		end := size
		if s.limit >= 0 && s.limit < end {
			end = s.limit
		}
		if s.pos < end {
			if segs == nil {
				return s.fromMemory(chunks, end), nil
			}
			c, err := s.fromFile(segs, end)
			if err != nil {
				if f, _ := l.kept(); s.pos < f {
					return client.Chunk{}, errNotKept(s.pos, f)
				}
				return client.Chunk{}, &client.Error{Op: "stream logs", Kind: client.ErrUnavailable, Msg: "reading the log file", Err: err}
			}
			return c, nil
		}
		if werr != nil {
			return client.Chunk{}, werr
		}
		if done || s.limit >= 0 {
			return client.Chunk{}, io.EOF
		}
		select {
		case <-notify:
		case <-s.closed:
		case <-s.ctx.Done():
		}
	}
}

func (s *logStream) fromMemory(chunks []client.Chunk, end int64) client.Chunk {
	i := sort.Search(len(chunks), func(i int) bool {
		return chunks[i].Offset+int64(len(chunks[i].Data)) > s.pos
	})
	c := chunks[i]
	from := s.pos - c.Offset
	to := int64(len(c.Data))
	if c.Offset+to > end {
		to = end - c.Offset
	}
	data := s.buf(to - from)
	copy(data, c.Data[from:to])
	s.pos += int64(len(data))
	return client.Chunk{Stream: c.Stream, Offset: c.Offset + from, Data: data}
}

// fromFile reads the record holding s.pos from its segment.
func (s *logStream) fromFile(segs []segment, end int64) (client.Chunk, error) {
	i := sort.Search(len(segs), func(i int) bool { return segs[i].end > s.pos })
	if i == len(segs) {
		return client.Chunk{}, errors.New("offset past the log")
	}
	seg := &segs[i]
	pos, off := int64(-1), int64(0)
	if s.cseg == seg.f && s.coff <= s.pos {
		pos, off = s.cpos, s.coff
	} else {
		k := sort.Search(len(seg.ckpts), func(k int) bool { return seg.ckpts[k].off > s.pos }) - 1
		if k < 0 {
			return client.Chunk{}, errors.New("no index entry")
		}
		pos, off = seg.ckpts[k].pos, seg.ckpts[k].off
	}
	var hdr [recHeader]byte
	for {
		if _, err := seg.f.ReadAt(hdr[:], pos); err != nil {
			return client.Chunk{}, err
		}
		n := int64(binary.BigEndian.Uint32(hdr[1:]))
		if off+n <= s.pos {
			pos, off = pos+recHeader+n, off+n
			continue
		}
		from, to := s.pos-off, n
		if off+to > end {
			to = end - off
		}
		data := s.buf(to - from)
		if _, err := seg.f.ReadAt(data, pos+recHeader+from); err != nil {
			return client.Chunk{}, err
		}
		s.cseg, s.cpos, s.coff = seg.f, pos, off
		c := client.Chunk{Stream: client.Stream(hdr[0]), Offset: s.pos, Data: data}
		s.pos += int64(len(data))
		return c, nil
	}
}

// Close implements client.LogStream.
func (s *logStream) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

// span is a run of one stream in a combined output buffer, ending at end.
type span struct {
	stream client.Stream
	end    int
}

// addSpan records that combined now ends with n more bytes of stream s.
func addSpan(spans []span, s client.Stream, end int) []span {
	if k := len(spans); k > 0 && spans[k-1].stream == s {
		spans[k-1].end = end
		return spans
	}
	return append(spans, span{s, end})
}

// splitStreams turns a combined buffer that is never written again into
// the result strings without copying it: the combined string shares the
// buffer, and so does a lone stream's; only output interleaving both
// streams is copied, once, into the two stream strings.
func splitStreams(all []byte, spans []span) (combined, stdout, stderr string) {
	if len(all) == 0 {
		return "", "", ""
	}
	combined = unsafe.String(unsafe.SliceData(all), len(all))
	if len(spans) == 1 {
		if spans[0].stream == client.Stderr {
			return combined, "", combined
		}
		return combined, combined, ""
	}
	var nout int
	start := 0
	for _, sp := range spans {
		if sp.stream != client.Stderr {
			nout += sp.end - start
		}
		start = sp.end
	}
	var out, errb strings.Builder
	out.Grow(nout)
	errb.Grow(len(all) - nout)
	start = 0
	for _, sp := range spans {
		if sp.stream == client.Stderr {
			errb.Write(all[start:sp.end])
		} else {
			out.Write(all[start:sp.end])
		}
		start = sp.end
	}
	return combined, out.String(), errb.String()
}
