package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// Status line timing: a wait shows up once it has lasted statusDelay, and
// the line is redrawn every statusTick.
const (
	statusDelay = 1500 * time.Millisecond
	statusTick  = 200 * time.Millisecond
)

// statusLine shows, on a terminal's last line, what a script has been
// waiting for when a wait lasts longer than statusDelay ("⏳ exec: make test
// (12s)"). It is only ever created for a terminal, never for a pipe or file.
// Script output goes through Wrap'd writers, which erase the line before
// writing so the two never mix; the next tick draws it again.
type statusLine struct {
	term *os.File

	mu      sync.Mutex
	waits   map[int]waitEntry
	nextID  int
	shown   bool // a status line is on the screen
	atBOL   bool // the last byte written through Wrap was a newline
	enabled bool
	stopped bool
	ticking bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

type waitEntry struct {
	what  string
	start time.Time
}

func newStatusLine(term *os.File) *statusLine {
	return &statusLine{term: term, waits: map[int]waitEntry{}, atBOL: true, enabled: true, stop: make(chan struct{})}
}

// Observe is the luabind wait observer: it records a wait until the
// returned function is called.
// A wait without a description (a deliberate process.sleep, bookkeeping
// calls) is not worth a status line.
func (s *statusLine) Observe(what string) (done func()) {
	if what == "" {
		return func() {}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID
	s.nextID++
	s.waits[id] = waitEntry{what: what, start: time.Now()}
	if !s.ticking && !s.stopped {
		s.ticking = true
		s.wg.Add(1)
		go s.loop()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			delete(s.waits, id)
			if len(s.waits) == 0 {
				s.clearLocked()
			}
		})
	}
}

// SetEnabled turns drawing on or off (the REPL shows the line only while a
// line of input runs, never over its prompt).
func (s *statusLine) SetEnabled(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enabled = on
	if !on {
		s.clearLocked()
	}
}

// Stop erases the line and ends the drawing goroutine. It is idempotent.
func (s *statusLine) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	close(s.stop)
	s.clearLocked()
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *statusLine) loop() {
	defer s.wg.Done()
	t := time.NewTicker(statusTick)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		if len(s.waits) == 0 {
			s.ticking = false
			s.mu.Unlock()
			return
		}
		s.drawLocked(time.Now())
		s.mu.Unlock()
	}
}

// drawLocked draws the oldest wait that has lasted statusDelay, if any.
func (s *statusLine) drawLocked(now time.Time) {
	if !s.enabled || s.stopped || !s.atBOL {
		return
	}
	var oldest waitEntry
	found, others := false, 0
	for _, w := range s.waits {
		if now.Sub(w.start) < statusDelay {
			continue
		}
		if !found || w.start.Before(oldest.start) {
			if found {
				others++
			}
			oldest, found = w, true
		} else {
			others++
		}
	}
	if !found {
		s.clearLocked()
		return
	}
	line := fmt.Sprintf("⏳ %s (%ds)", oldest.what, int(now.Sub(oldest.start).Seconds()))
	if others > 0 {
		line += fmt.Sprintf(" +%d more", others)
	}
	line = truncate(line, s.width()-1)
	fmt.Fprintf(s.term, "\r\x1b[K\x1b[2m%s\x1b[0m", line)
	s.shown = true
}

func (s *statusLine) clearLocked() {
	if s.shown {
		fmt.Fprint(s.term, "\r\x1b[K")
		s.shown = false
	}
}

func (s *statusLine) width() int {
	ws, err := unix.IoctlGetWinsize(int(s.term.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 80
	}
	return int(ws.Col)
}

func truncate(s string, n int) string {
	if n < 1 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Wrap returns a writer that erases the status line before writing to w
// and remembers whether the output ended a line (the status line is only
// drawn at the start of a line, so it never overwrites a partial one).
// Output to a file or pipe does not share the screen, so it is passed
// through untouched.
func (s *statusLine) Wrap(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && !isTerminal(f) {
		return w
	}
	return &statusWriter{s: s, w: w}
}

type statusWriter struct {
	s *statusLine
	w io.Writer
}

func (sw *statusWriter) Write(p []byte) (int, error) {
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	sw.s.clearLocked()
	n, err := sw.w.Write(p)
	if n > 0 {
		sw.s.atBOL = p[n-1] == '\n'
	}
	return n, err
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), ioctlGetTermios)
	return err == nil
}
