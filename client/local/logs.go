//go:build linux

package local

import (
	"context"
	"io"
	"sort"
	"sync"

	"github.com/procsh/procsh/client"
)

// cmdLog is a command's output: chunks in arrival order with their offsets
// in the combined log. Chunks are never modified once appended, so readers
// may hold them without the lock. Readers wait for more by selecting on
// notify, which is closed (and replaced) on every append and at the end:
// a broadcast that also composes with ctx.Done.
type cmdLog struct {
	mu     sync.Mutex
	chunks []client.Chunk
	size   int64
	done   bool
	notify chan struct{}
}

func newCmdLog() *cmdLog { return &cmdLog{notify: make(chan struct{})} }

func (l *cmdLog) append(s client.Stream, p []byte) {
	if len(p) == 0 {
		return
	}
	data := make([]byte, len(p))
	copy(data, p)
	l.mu.Lock()
	l.chunks = append(l.chunks, client.Chunk{Stream: s, Offset: l.size, Data: data})
	l.size += int64(len(data))
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()
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

// snapshot returns the combined log and the two streams.
func (l *cmdLog) snapshot() client.Logs {
	l.mu.Lock()
	chunks := l.chunks
	size := l.size
	l.mu.Unlock()
	all := make([]byte, 0, size)
	var out, errb []byte
	for _, c := range chunks {
		all = append(all, c.Data...)
		if c.Stream == client.Stdout {
			out = append(out, c.Data...)
		} else {
			errb = append(errb, c.Data...)
		}
	}
	return client.Logs{Output: string(all), Stdout: string(out), Stderr: string(errb)}
}

// logStream reads a cmdLog from an offset.
type logStream struct {
	ctx    context.Context
	log    *cmdLog
	pos    int64
	limit  int64 // -1 when following
	closed chan struct{}
	once   sync.Once
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
		size, done, notify, chunks := l.size, l.done, l.notify, l.chunks
		l.mu.Unlock()
		end := size
		if s.limit >= 0 && s.limit < end {
			end = s.limit
		}
		if s.pos < end {
			i := sort.Search(len(chunks), func(i int) bool {
				return chunks[i].Offset+int64(len(chunks[i].Data)) > s.pos
			})
			c := chunks[i]
			from := s.pos - c.Offset
			to := int64(len(c.Data))
			if c.Offset+to > end {
				to = end - c.Offset
			}
			data := make([]byte, to-from)
			copy(data, c.Data[from:to])
			s.pos += int64(len(data))
			return client.Chunk{Stream: c.Stream, Offset: c.Offset + from, Data: data}, nil
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

// Close implements client.LogStream.
func (s *logStream) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}
