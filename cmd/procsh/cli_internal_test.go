package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true},
		{"1m30s", 90 * time.Second, true},
		{"2.5", 2500 * time.Millisecond, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"-5s", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// statusPipe returns a status line drawing into a pipe, and a function that
// returns everything drawn so far.
func statusPipe(t *testing.T) (*statusLine, func() string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&buf, r); close(done) }()
	s := newStatusLine(w)
	t.Cleanup(func() { _ = r.Close() })
	return s, func() string {
		s.Stop()
		_ = w.Close()
		<-done
		return buf.String()
	}
}

func TestStatusLineDraw(t *testing.T) {
	s, drawn := statusPipe(t)
	now := time.Now()
	s.mu.Lock()
	s.waits[1] = waitEntry{what: "exec: make test", start: now.Add(-3 * time.Second)}
	s.waits[2] = waitEntry{what: "exec: short", start: now.Add(-100 * time.Millisecond)} // too recent to show
	s.waits[3] = waitEntry{what: "exec: newer", start: now.Add(-2 * time.Second)}
	s.drawLocked(now)
	shown := s.shown
	s.mu.Unlock()
	if !shown {
		t.Fatal("nothing drawn for a 3s wait")
	}
	// Script output erases the line first.
	var out bytes.Buffer
	w := s.Wrap(&out)
	_, _ = w.Write([]byte("partial"))
	s.mu.Lock()
	s.drawLocked(now) // not at the start of a line: must not draw
	shownMidLine := s.shown
	s.mu.Unlock()
	got := drawn()
	if !strings.Contains(got, "⏳ exec: make test (3s) +1 more") {
		t.Errorf("drawn: %q", got)
	}
	if !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("line not erased before output: %q", got)
	}
	if shownMidLine {
		t.Error("status drawn in the middle of a line of output")
	}
	if out.String() != "partial" {
		t.Errorf("output: %q", out.String())
	}
}

func TestStatusLineObserveAndDisable(t *testing.T) {
	s, drawn := statusPipe(t)
	done := s.Observe("exec: sleep 5")
	s.mu.Lock()
	for id, w := range s.waits {
		w.start = w.start.Add(-5 * time.Second)
		s.waits[id] = w
	}
	s.enabled = false
	s.drawLocked(time.Now())
	disabledShown := s.shown
	s.enabled = true
	s.drawLocked(time.Now())
	s.mu.Unlock()
	done()
	done() // idempotent
	s.mu.Lock()
	left, shown := len(s.waits), s.shown
	s.mu.Unlock()
	got := drawn()
	if disabledShown {
		t.Error("drawn while disabled")
	}
	if left != 0 || shown {
		t.Errorf("after done: %d waits, shown=%v", left, shown)
	}
	if !strings.Contains(got, "⏳ exec: sleep 5 (5s)") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("drawn: %q", got)
	}
}

func TestStatusLineIgnoresUndescribedWaits(t *testing.T) {
	s, drawn := statusPipe(t)
	done := s.Observe("")
	s.mu.Lock()
	n := len(s.waits)
	s.mu.Unlock()
	done()
	if n != 0 || drawn() != "" {
		t.Errorf("an undescribed wait was recorded (%d) or drawn", n)
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("⏳ abcdef", 5); got != "⏳ ab…" {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("short", 10); got != "short" {
		t.Errorf("truncate = %q", got)
	}
}

func TestWrapPassesFilesThrough(t *testing.T) {
	s, drawn := statusPipe(t)
	defer drawn()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if w := s.Wrap(f); w != io.Writer(f) {
		t.Error("a regular file was wrapped")
	}
}
