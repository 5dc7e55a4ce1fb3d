package repl

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// recWriter records every write separately: each is one redraw in readline.
type recWriter struct {
	mu     sync.Mutex
	writes []string
}

func (r *recWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recWriter) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

func TestLineWriterBackground(t *testing.T) {
	rec := &recWriter{}
	lw := newLineWriter(rec, nil)
	// Whole lines pass at once; a partial one waits for its newline.
	_, _ = lw.Write([]byte("one\ntw"))
	_, _ = lw.Write([]byte("o\nthree"))
	if got := rec.get(); len(got) != 2 || got[0] != "one\n" || got[1] != "two\n" {
		t.Fatalf("writes %q", got)
	}
	// The unfinished line is shown on a line of its own after a while.
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.get()) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := rec.get()
	if len(got) != 3 || got[2] != "three\n" {
		t.Fatalf("writes %q", got)
	}
	for _, w := range got {
		if w == "" || w[len(w)-1] != '\n' {
			t.Errorf("a write in the background does not end a line: %q", w)
		}
	}
	lw.close()
}

func TestLineWriterForeground(t *testing.T) {
	var buf bytes.Buffer
	lw := newLineWriter(&buf, &buf)
	_, _ = lw.Write([]byte("held"))
	lw.setForeground(true) // the held partial line is written first
	_, _ = lw.Write([]byte("progress."))
	_, _ = lw.Write([]byte("."))
	if buf.String() != "held\nprogress.." {
		t.Fatalf("foreground: %q", buf.String())
	}
	lw.setForeground(false) // the unfinished line is ended for the prompt
	if buf.String() != "held\nprogress..\n" {
		t.Fatalf("after foreground: %q", buf.String())
	}
	lw.setForeground(true)
	_, _ = lw.Write([]byte("done\n"))
	lw.setForeground(false)
	if buf.String() != "held\nprogress..\ndone\n" {
		t.Fatalf("a finished line gets no extra newline: %q", buf.String())
	}
	_, _ = lw.Write([]byte("tail"))
	lw.close()
	if buf.String() != "held\nprogress..\ndone\ntail\n" {
		t.Fatalf("close: %q", buf.String())
	}
}

func TestNewlinePainter(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"1 + 1", "1 + 1"},
		{"y = 1 + -- c\n2", "y = 1 + -- c↵2"},
		{"a\nb\n", "a↵b\n"}, // the newline Enter appends stays
	} {
		in := []rune(c.in)
		got := string(newlinePainter{}.Paint(in, 0))
		if got != c.want {
			t.Errorf("Paint(%q) = %q, want %q", c.in, got, c.want)
		}
		if string(in) != c.in {
			t.Errorf("Paint changed its input to %q", string(in))
		}
	}
}

// Foreground output bypasses readline's writer, which could still redraw
// the prompt over it right after a line was read.
func TestLineWriterTargets(t *testing.T) {
	var rl, term bytes.Buffer
	lw := newLineWriter(&rl, &term)
	_, _ = lw.Write([]byte("bg\n"))
	lw.setForeground(true)
	_, _ = lw.Write([]byte("fg"))
	lw.setForeground(false)
	if rl.String() != "bg\n" || term.String() != "fg\n" {
		t.Fatalf("readline got %q, terminal got %q", rl.String(), term.String())
	}
}
