package luabind

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/luaargs"
)

// A command's output: cutting chunks into lines, collecting them for the
// result, streaming them to callbacks, tee and cmd:lines().

// line is one line of output, without its newline, or (raw) a chunk of
// output exactly as it arrived, for on_data.
type line struct {
	text   string
	stream client.Stream
	raw    bool
}

// lineSplitter cuts chunks of both streams into lines, keeping each
// stream's unterminated tail apart.
type lineSplitter struct{ part [3][]byte }

func (s *lineSplitter) feed(st client.Stream, data []byte, out []line) []line {
	i := int(st) % 3
	for {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			s.part[i] = append(s.part[i], data...)
			return out
		}
		var text string
		if len(s.part[i]) > 0 {
			text = string(append(s.part[i], data[:nl]...))
			s.part[i] = s.part[i][:0]
		} else {
			text = string(data[:nl])
		}
		out = append(out, line{text: text, stream: st})
		data = data[nl+1:]
	}
}

// skip follows data without making lines of it, keeping only the
// unterminated tail, so that lines can start at the next line boundary
// when a line callback is set later.
func (s *lineSplitter) skip(st client.Stream, data []byte) {
	i := int(st) % 3
	if nl := bytes.LastIndexByte(data, '\n'); nl >= 0 {
		s.part[i] = append(s.part[i][:0], data[nl+1:]...)
		return
	}
	s.part[i] = append(s.part[i], data...)
}

func (s *lineSplitter) flush(out []line) []line {
	for _, st := range []client.Stream{client.Stdout, client.Stderr} {
		i := int(st) % 3
		if len(s.part[i]) > 0 {
			out = append(out, line{text: string(s.part[i]), stream: st})
			s.part[i] = nil
		}
	}
	return out
}

// collector keeps a command's output chunks and joins them once at the
// end, with exact sizes (growing three buffers by doubling cost more than
// the callbacks for a large log).
type collector struct {
	chunks      []collected
	total, nerr int
}

type collected struct {
	data   string
	stream client.Stream
}

// add keeps a chunk and returns it as a string, which on_data shares (one
// copy of the output, not two).
func (c *collector) add(ch client.Chunk) string {
	s := string(ch.Data)
	c.chunks = append(c.chunks, collected{s, ch.Stream})
	c.total += len(s)
	if ch.Stream == client.Stderr {
		c.nerr += len(s)
	}
	return s
}

func (c *collector) logs() *client.Logs {
	join := func(n int, keep func(client.Stream) bool) string {
		var b strings.Builder
		b.Grow(n)
		for _, ch := range c.chunks {
			if keep(ch.stream) {
				b.WriteString(ch.data)
			}
		}
		return b.String()
	}
	all := func(client.Stream) bool { return true }
	l := &client.Logs{Output: join(c.total, all)}
	switch {
	case c.nerr == 0:
		l.Stdout = l.Output
	case c.nerr == c.total:
		l.Stderr = l.Output
	default:
		l.Stdout = join(c.total-c.nerr, func(s client.Stream) bool { return s != client.Stderr })
		l.Stderr = join(c.nerr, func(s client.Stream) bool { return s == client.Stderr })
	}
	c.chunks = nil
	return l
}

// streamLines reads st until its end on a goroutine of the run and sends
// its lines (when a line callback is set) and its raw chunks (when on_data
// is) in batches: the reader receives and splits the next chunks while the
// callbacks of the previous ones run, so streaming and Lua overlap. When
// the stream ends normally the whole output is stored in c.collected
// before the channel closes.
func (c *command) streamLines(st client.LogStream) <-chan []line {
	r := c.r
	batches := make(chan []line, 4)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(batches)
		var sp lineSplitter
		var col collector
		complete := false
		defer func() {
			if complete {
				c.collected = col.logs()
			}
		}()
		for {
			ch, err := st.Recv()
			if err != nil {
				if r.ctx.Err() != nil {
					return
				}
				if !errors.Is(err, io.EOF) {
					r.background("output stream of "+c.String(), err)
					break
				}
				complete = true
				break
			}
			data := col.add(ch)
			var b []line
			if c.wantData.Load() {
				b = append(b, line{text: data, stream: ch.Stream, raw: true})
			}
			if c.wantLines.Load() {
				b = sp.feed(ch.Stream, ch.Data, b)
			} else {
				sp.skip(ch.Stream, ch.Data)
			}
			if len(b) > 0 {
				select {
				case batches <- b:
				case <-r.ctx.Done():
					return
				}
			}
		}
		if b := sp.flush(nil); len(b) > 0 && c.wantLines.Load() {
			select {
			case batches <- b:
			case <-r.ctx.Done():
			}
		}
	}()
	return batches
}

// startTee copies the command's output to out (the host's stdout and
// stderr, possibly line-prefixed) as it arrives.
func (c *command) startTee(out func(client.Chunk)) {
	r := c.r
	done := make(chan struct{})
	c.teeDone = done
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(done)
		st, err := c.a.c.StreamCommandLogs(r.ctx, c.sid, c.id, client.LogOptions{Follow: true})
		if err != nil {
			return
		}
		defer st.Close()
		for {
			ch, err := st.Recv()
			if err != nil {
				return
			}
			out(ch)
		}
	}()
}

// lineIter is the state of one cmd:lines() loop.
type lineIter struct {
	busy   bool // guarded by the GIL: a Recv is in progress
	st     client.LogStream
	cancel context.CancelFunc
	sp     lineSplitter
	queue  []line
	eof    bool
	err    error
}

// cmdLines is cmd:lines(): an iterator over the command's output lines
// from its start, for `for line, stream in cmd:lines() do ... end`. It ends
// after the command has ended and its last (possibly unterminated) line.
func cmdLines(L *lua.LState) int {
	c := self[*command](L, "cmd:lines")
	r := c.r
	it := &lineIter{}
	sctx, cancel := context.WithCancel(r.ctx)
	it.cancel = cancel
	err := c.a.h.wait(L, "cmd:lines", "", func(ctx context.Context) error {
		var err error
		it.st, err = c.a.c.StreamCommandLogs(sctx, c.sid, c.id, client.LogOptions{Follow: true})
		return err
	})
	if err != nil {
		cancel()
		return luaargs.Fail(L, "cmd:lines", err)
	}
	r.add(resourceFunc(func(context.Context) { cancel(); _ = it.st.Close() }))
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if it.busy {
			L.RaiseError("cmd:lines: the iterator is already in use by another task")
		}
		if len(it.queue) == 0 && !it.eof {
			it.busy = true
			_ = c.a.h.wait(L, "cmd:lines", "lines: "+firstLine(c.text), func(ctx context.Context) error {
				stop := context.AfterFunc(ctx, cancel)
				defer stop()
				for len(it.queue) == 0 && !it.eof {
					ch, err := it.st.Recv()
					if err != nil {
						it.eof = true
						if !errors.Is(err, io.EOF) {
							it.err = err
						}
						it.queue = it.sp.flush(it.queue)
						_ = it.st.Close()
						cancel()
						break
					}
					it.queue = it.sp.feed(ch.Stream, ch.Data, it.queue)
				}
				return nil
			})
			it.busy = false
		}
		if len(it.queue) > 0 {
			ln := it.queue[0]
			it.queue = it.queue[1:]
			L.Push(lua.LString(ln.text))
			L.Push(lua.LString(ln.stream.String()))
			return 2
		}
		if it.err != nil {
			L.RaiseError("cmd:lines: %v", it.err)
		}
		L.Push(lua.LNil)
		return 1
	}))
	return 1
}
