package repl

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// partialDelay is how long a line without its newline that a background
// task printed may wait for the rest before it is shown on a line of its
// own.
const partialDelay = 100 * time.Millisecond

// lineWriter sits between the Lua host's output and readline's writer.
// While the prompt is up (background mode), readline prints a write above
// the prompt and draws the prompt again right after it, so a write that
// does not end in a newline (io.write("50%")) would share its line with the
// prompt, and be erased by the next redraw. lineWriter therefore passes on
// whole lines only and holds a partial one until its newline comes, or
// until partialDelay passes, when it ends it with a newline. While an
// evaluation runs (foreground mode), writes pass straight through, and
// when it ends, an unfinished last line is ended before the next prompt.
type lineWriter struct {
	mu         sync.Mutex
	w          io.Writer // readline's writer, which redraws the prompt
	fg         io.Writer // the terminal itself, while no prompt is up
	foreground bool
	partial    []byte      // background: held until its newline
	midLine    bool        // foreground: the last byte passed on was not a newline
	timer      *time.Timer // flushes partial
}

// newLineWriter returns a lineWriter that writes to w (readline's writer)
// in the background and straight to fg (the terminal) in the foreground:
// readline may still consider itself reading for a moment after it
// returned a line, and would then redraw the prompt over a partial line.
func newLineWriter(w, fg io.Writer) *lineWriter { return &lineWriter{w: w, fg: fg} }

// Write implements io.Writer.
func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.foreground {
		if len(p) > 0 {
			l.midLine = p[len(p)-1] != '\n'
		}
		return l.fg.Write(p)
	}
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 {
		l.partial = append(l.partial, p...)
		l.arm()
		return len(p), nil
	}
	out := append(l.partial, p[:i+1]...)
	l.partial = append([]byte(nil), p[i+1:]...)
	if len(l.partial) > 0 {
		l.arm()
	} else if l.timer != nil {
		l.timer.Stop()
	}
	if _, err := l.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// arm (re)starts the timer that ends a held partial line.
func (l *lineWriter) arm() {
	if l.timer == nil {
		l.timer = time.AfterFunc(partialDelay, func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.flushLocked()
		})
		return
	}
	l.timer.Reset(partialDelay)
}

// flushLocked ends a held partial line with a newline and writes it.
func (l *lineWriter) flushLocked() {
	if len(l.partial) == 0 {
		return
	}
	out := append(l.partial, '\n')
	l.partial = nil
	_, _ = l.w.Write(out)
}

// setForeground switches modes. Entering the foreground writes a held
// partial line; leaving it ends an unfinished line, so the prompt starts a
// line of its own.
func (l *lineWriter) setForeground(fg bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if fg == l.foreground {
		return
	}
	if fg {
		if l.timer != nil {
			l.timer.Stop()
		}
		l.flushLocked()
		l.midLine = false
	} else if l.midLine {
		_, _ = l.fg.Write([]byte{'\n'})
		l.midLine = false
	}
	l.foreground = fg
}

// close writes what is held and stops the timer.
func (l *lineWriter) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer != nil {
		l.timer.Stop()
	}
	l.flushLocked()
}
