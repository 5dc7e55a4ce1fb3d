package expect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Errors returned by Expect when the outcome was not among the patterns.
var (
	// ErrEOF: the stream ended (or failed) before any pattern matched. It
	// matches io.EOF too. When the stream failed with another error, that
	// error is wrapped as well.
	ErrEOF = fmt.Errorf("expect: end of stream: %w", io.EOF)
	// ErrTimeout: the timeout passed before any pattern matched.
	ErrTimeout = errors.New("expect: timeout")
	// ErrClosed: the Expecter was closed.
	ErrClosed = errors.New("expect: closed")
)

// Result describes how an Expect call ended.
type Result struct {
	// Index is the position in the call's pattern list of the pattern that
	// matched (including the EOF and Timeout sentinels), or -1.
	Index int
	// Before is the text that preceded the match; for EOF it is everything
	// that was left, for a timeout everything buffered (left unconsumed).
	Before string
	// Match is the matched text.
	Match string
	// Groups holds the regular expression's capture groups: Groups[0] is
	// group 1. A group that did not take part in the match is "".
	Groups []string
	// EOF and TimedOut tell which sentinel outcome occurred.
	EOF      bool
	TimedOut bool
}

// Expecter matches patterns against a stream and sends replies. Create it
// with New or NewReader, and Close it when done.
type Expecter struct {
	r   io.Reader
	w   io.Writer
	cfg config

	expectMu sync.Mutex // one Expect at a time
	sendMu   sync.Mutex

	mu        sync.Mutex
	raw       []byte // raw[off:] is the unconsumed output (after ANSI stripping)
	off       int
	base      int64 // stream offset of raw[off]
	discarded int64
	readErr   error // why the reader stopped; nil while it runs
	closed    bool
	changed   chan struct{} // closed and replaced whenever the above change
	strip     *ansiStripper

	readerDone chan struct{}
}

// New returns an Expecter that reads output from rw and sends input to it.
// It starts reading at once.
func New(rw io.ReadWriter, opts ...Option) *Expecter { return NewReader(rw, rw, opts...) }

// NewReader returns an Expecter that reads output from r and sends input to
// w; w may be nil for a read-only stream, and then Send fails.
func NewReader(r io.Reader, w io.Writer, opts ...Option) *Expecter {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	e := &Expecter{r: r, w: w, cfg: cfg, changed: make(chan struct{}), readerDone: make(chan struct{})}
	if cfg.stripANSI {
		e.strip = &ansiStripper{}
	}
	go e.readLoop()
	return e
}

func (e *Expecter) signalLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *Expecter) readLoop() {
	defer close(e.readerDone)
	chunk := make([]byte, e.cfg.readSize)
	for {
		n, err := e.r.Read(chunk)
		if n > 0 {
			if e.cfg.transcript != nil {
				_, _ = e.cfg.transcript.Write(chunk[:n])
			}
			e.mu.Lock()
			data := chunk[:n]
			if e.strip != nil {
				data = e.strip.strip(data)
			}
			e.appendLocked(data)
			if over := len(e.raw) - e.off - e.cfg.maxBuffer; over > 0 {
				e.discarded += int64(over)
				e.dropLocked(over)
			}
			e.signalLocked()
			e.mu.Unlock()
		}
		if err != nil {
			e.mu.Lock()
			e.readErr = err
			e.signalLocked()
			e.mu.Unlock()
			return
		}
	}
}

// bufLocked returns the unconsumed output. Bytes in it are never modified
// in place: storage is replaced rather than reused, so Expect can search a
// slice taken under the lock after releasing it.
func (e *Expecter) bufLocked() []byte { return e.raw[e.off:len(e.raw):len(e.raw)] }

// dropLocked consumes n bytes. Consuming only moves an offset; appendLocked
// compacts into new storage once the dead prefix is at least half of it, so
// a chatty stream at the buffer limit costs amortized O(1) per byte, not a
// copy of the whole buffer per read.
func (e *Expecter) dropLocked(n int) {
	e.off += n
	e.base += int64(n)
	if e.off == len(e.raw) {
		e.raw, e.off = nil, 0
	}
}

func (e *Expecter) appendLocked(p []byte) {
	if e.off > 0 && e.off >= cap(e.raw)/2 {
		live := e.raw[e.off:]
		nb := make([]byte, len(live), max(2*(len(live)+len(p)), 4096))
		copy(nb, live)
		e.raw, e.off = nb, 0
	}
	e.raw = append(e.raw, p...) // writes only past every snapshot's end
}

// Expect waits until one of patterns matches the output, the stream ends, the
// timeout passes, or ctx is done. Among matches it picks the one that starts
// earliest (the lower index on a tie) and consumes the buffer through it.
//
// The EOF and Timeout sentinels turn those outcomes into successes with their
// index. Otherwise the end of the stream returns an error matching ErrEOF and
// a timeout one matching ErrTimeout; in both cases the Result's Before shows
// the unconsumed buffer, which stays buffered. A done ctx returns ctx.Err()
// wrapped.
func (e *Expecter) Expect(ctx context.Context, patterns ...Pattern) (Result, error) {
	e.expectMu.Lock()
	defer e.expectMu.Unlock()

	eofIdx, toIdx := -1, -1
	timeout := e.cfg.timeout
	var search []int
	for i, p := range patterns {
		switch p := p.(type) {
		case eofPattern:
			if eofIdx < 0 {
				eofIdx = i
			}
		case timeoutPattern:
			if toIdx < 0 || time.Duration(p) < timeout {
				timeout = time.Duration(p)
			}
			if toIdx < 0 {
				toIdx = i
			}
		case nil:
			return Result{Index: -1}, fmt.Errorf("expect: pattern %d is nil", i)
		default:
			search = append(search, i)
		}
	}
	// from[i] is the stream offset before which pattern i cannot start a
	// match that was not already ruled out (see advance).
	from := make([]int64, len(patterns))
	var expired <-chan time.Time
	if timeout > 0 || toIdx >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}

	for {
		// Search a snapshot without holding the lock, so the reading
		// goroutine keeps draining the stream while a slow regular
		// expression runs. The snapshot stays valid: bytes in the buffer
		// are never modified in place (see appendLocked).
		e.mu.Lock()
		snap, snapBase := e.bufLocked(), e.base
		closed, readErr := e.closed, e.readErr
		e.mu.Unlock()
		if res, end, ok := e.match(patterns, search, snap, snapBase, from); ok {
			e.mu.Lock()
			if n := snapBase + int64(end) - e.base; n > 0 {
				e.dropLocked(int(n))
			}
			e.mu.Unlock()
			return res, nil
		}
		advance(patterns, search, snap, snapBase, from)
		if closed {
			return Result{Index: -1}, ErrClosed
		}
		if readErr != nil { // the snapshot holds everything there will be
			rest := string(snap)
			if eofIdx >= 0 {
				e.mu.Lock()
				e.dropLocked(len(e.bufLocked()))
				e.mu.Unlock()
				return Result{Index: eofIdx, Before: rest, EOF: true}, nil
			}
			err := ErrEOF
			if !errors.Is(readErr, io.EOF) {
				err = fmt.Errorf("%w: %w", ErrEOF, readErr)
			}
			return Result{Index: -1, Before: rest}, fmt.Errorf("%w (waiting for %s)", err, describe(patterns))
		}
		e.mu.Lock()
		changed := e.changed
		if e.base+int64(len(e.bufLocked())) != snapBase+int64(len(snap)) || e.closed || e.readErr != nil {
			changed = alreadyChanged // something happened while searching
		}
		e.mu.Unlock()

		select {
		case <-changed:
		case <-expired:
			e.mu.Lock()
			rest := string(e.bufLocked())
			e.mu.Unlock()
			if toIdx >= 0 {
				return Result{Index: toIdx, Before: rest, TimedOut: true}, nil
			}
			return Result{Index: -1, Before: rest}, fmt.Errorf("%w after %v (waiting for %s)", ErrTimeout, timeout, describe(patterns))
		case <-ctx.Done():
			return Result{Index: -1}, fmt.Errorf("expect: %w", ctx.Err())
		}
	}
}

// advance records, after a search of buf (starting at stream offset base)
// found nothing, where each pattern's next search may start. A match found
// later must end at or after the end of buf: one ending earlier had all of
// its context (one byte either side, all RE2 assertions look at) in buf and
// would have been found. So a literal cannot start before len(buf)-len+1,
// and a regexp that cannot match a newline (and has no \A or
// non-multiline ^) cannot start before the line holding buf's last byte.
// Other regexps are searched from the start each time.
func advance(patterns []Pattern, search []int, buf []byte, base int64, from []int64) {
	end := base + int64(len(buf))
	for _, i := range search {
		switch p := patterns[i].(type) {
		case literalPattern:
			from[i] = max(from[i], end-int64(len(p.text()))+1)
		case regex:
			if !p.singleLine || len(buf) == 0 {
				continue
			}
			lo := max(0, min(len(buf)-1, int(from[i]-base)))
			if nl := bytes.LastIndexByte(buf[lo:len(buf)-1], '\n'); nl >= 0 {
				from[i] = base + int64(lo+nl+1)
			}
		}
	}
}

// match searches buf (the unconsumed output, starting at stream offset
// base), or its window, for the earliest match; pattern i is searched from
// stream offset from[i] on. It returns the result and where the match ends
// in buf.
func (e *Expecter) match(patterns []Pattern, search []int, buf []byte, base int64, from []int64) (Result, int, bool) {
	start := 0
	if w := e.cfg.window; w > 0 && len(buf) > w {
		start = len(buf) - w
	}
	hay := buf[start:]
	best, bestIdx := []int(nil), -1
	for _, i := range search {
		skip := max(0, min(len(hay), int(from[i]-base)-start))
		loc := patterns[i].find(hay[skip:])
		for j := range loc {
			if loc[j] >= 0 {
				loc[j] += skip
			}
		}
		if loc != nil && (best == nil || loc[0] < best[0]) {
			best, bestIdx = loc, i
		}
	}
	if best == nil {
		return Result{}, 0, false
	}
	res := Result{
		Index:  bestIdx,
		Before: string(buf[:start+best[0]]),
		Match:  string(hay[best[0]:best[1]]),
	}
	for g := 2; g+1 < len(best); g += 2 {
		s := ""
		if best[g] >= 0 {
			s = string(hay[best[g]:best[g+1]])
		}
		res.Groups = append(res.Groups, s)
	}
	return res, start + best[1], true
}

// alreadyChanged is a closed channel: waiting on it returns at once, while
// still letting a timeout or a done context win the select.
var alreadyChanged = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func describe(ps []Pattern) string {
	var s []string
	for _, p := range ps {
		if p != nil {
			s = append(s, p.String())
		}
	}
	return strings.Join(s, ", ")
}

// Buffered returns the output received and not yet consumed.
func (e *Expecter) Buffered() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return string(e.bufLocked())
}

// Discarded returns how many bytes were dropped because the buffer limit
// (WithMaxBuffer) was reached.
func (e *Expecter) Discarded() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.discarded
}

// Close stops the Expecter: a waiting Expect returns ErrClosed. If the
// reader is an io.Closer it is closed and Close waits for the reading
// goroutine to end; otherwise that goroutine ends when its Read returns.
func (e *Expecter) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.signalLocked()
	e.mu.Unlock()
	var err error
	if c, ok := e.r.(io.Closer); ok {
		err = c.Close()
		<-e.readerDone
	}
	return err
}
