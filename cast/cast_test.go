package cast

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/procsh/procsh/client"
)

// checkTimes fails unless event times start at or after 0 and never go back.
func checkTimes(t *testing.T, evs []Event) {
	t.Helper()
	last := 0.0
	for i, ev := range evs {
		if ev.Time < last {
			t.Fatalf("event %d at %v goes back from %v", i, ev.Time, last)
		}
		last = ev.Time
	}
}

func joined(evs []Event, typ string) string {
	var b strings.Builder
	for _, ev := range evs {
		if ev.Type == typ {
			b.WriteString(ev.Data)
		}
	}
	return b.String()
}

func TestWriterRoundTrip(t *testing.T) {
	var file bytes.Buffer
	w, err := NewWriter(&file, Header{Width: 100, Height: 30, Title: "demo", Env: map[string]string{"TERM": "xterm-256color"}})
	if err != nil {
		t.Fatal(err)
	}
	é := []byte("é") // two bytes, split across writes below
	chunks := [][]byte{
		[]byte("plain <b>&\r\n"),
		append([]byte("caf"), é[0]),
		{é[1], '\n'},
		[]byte("\x1b[1;31mred\x1b[0m \"quoted\" \\ tab\t\x00nul"),
		[]byte("雪"[:1]), []byte("雪"[1:2]), []byte("雪"[2:]),
	}
	var want bytes.Buffer
	for i, c := range chunks {
		want.Write(c)
		if err := w.Output(c); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := w.Input([]byte("ls\r")); err != nil {
				t.Fatal(err)
			}
			if err := w.Resize(120, 40); err != nil {
				t.Fatal(err)
			}
			if err := w.Mark("chapter"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Output([]byte("late")); err == nil {
		t.Fatal("Output after Close succeeded")
	}

	h, evs, err := ReadAll(&file)
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 2 || h.Width != 100 || h.Height != 30 || h.Timestamp == 0 || h.Title != "demo" || h.Env["TERM"] != "xterm-256color" {
		t.Fatalf("header %+v", h)
	}
	checkTimes(t, evs)
	if got := joined(evs, Output); got != want.String() {
		t.Fatalf("output %q, want %q", got, want.String())
	}
	if got := joined(evs, Input); got != "ls\r" {
		t.Fatalf("input %q", got)
	}
	if got := joined(evs, Resize); got != "120x40" {
		t.Fatalf("resize %q", got)
	}
	if got := joined(evs, Marker); got != "chapter" {
		t.Fatalf("marker %q", got)
	}
	// No event holds half a character.
	for _, ev := range evs {
		if strings.ContainsRune(ev.Data, '\uFFFD') {
			t.Fatalf("event %+v holds a replacement character", ev)
		}
	}
}

func TestWriterBadHeader(t *testing.T) {
	for _, h := range []Header{{}, {Width: 80}, {Height: 24}, {Width: -1, Height: 24}} {
		if _, err := NewWriter(io.Discard, h); err == nil {
			t.Errorf("header %+v accepted", h)
		}
	}
}

func TestDecoderErrors(t *testing.T) {
	tests := []struct{ name, file string }{
		{"empty", ""},
		{"version 1", `{"version":1,"width":80,"height":24}`},
		{"bad header", `{"version":`},
		{"bad event", "{\"version\":2,\"width\":80,\"height\":24}\n[1.0, \"o\"]\n"},
		{"bad time", "{\"version\":2,\"width\":80,\"height\":24}\n[\"x\", \"o\", \"a\"]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := ReadAll(strings.NewReader(tc.file)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// fakePTY is a client.PTYHandle over pipes, for recording without a PTY.
type fakePTY struct {
	io.Reader
	mu      sync.Mutex
	written bytes.Buffer
	size    [2]uint16
}

func (f *fakePTY) ID() string { return "fake" }
func (f *fakePTY) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written.Write(p)
}
func (f *fakePTY) Resize(ctx context.Context, cols, rows uint16) error {
	if cols == 0 {
		return client.Errorf("resize", client.ErrInvalidArgument, "zero")
	}
	f.size = [2]uint16{cols, rows}
	return nil
}
func (f *fakePTY) Wait(context.Context) (client.PTYResult, error) { return client.PTYResult{}, nil }
func (f *fakePTY) Kill(context.Context) error                     { return nil }
func (f *fakePTY) Close() error                                   { return nil }
func (f *fakePTY) Scrollback() ([]byte, bool)                     { return nil, false }

func TestRecordHandle(t *testing.T) {
	for _, withInput := range []bool{false, true} {
		pr, pw := io.Pipe()
		fake := &fakePTY{Reader: pr}
		var file bytes.Buffer
		w, err := NewWriter(&file, HeaderFor(80, 24, map[string]string{"TERM": "xterm"}))
		if err != nil {
			t.Fatal(err)
		}
		var opts []RecordOption
		if withInput {
			opts = append(opts, WithInput())
		}
		rec := Record(fake, w, opts...)
		go func() {
			for _, s := range []string{"$ ", "hello\r\n", "$ "} {
				_, _ = pw.Write([]byte(s))
			}
			pw.Close()
		}()
		if _, err := rec.Write([]byte("echo hello\r")); err != nil {
			t.Fatal(err)
		}
		if err := rec.Resize(context.Background(), 0, 10); !errors.Is(err, client.ErrInvalidArgument) {
			t.Fatalf("bad resize: %v", err)
		}
		if err := rec.Resize(context.Background(), 90, 30); err != nil || fake.size != [2]uint16{90, 30} {
			t.Fatalf("resize %v %v", err, fake.size)
		}
		read, err := io.ReadAll(rec)
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		h, evs, err := ReadAll(&file)
		if err != nil {
			t.Fatal(err)
		}
		checkTimes(t, evs)
		if h.Width != 80 || h.Height != 24 || h.Env["TERM"] != "xterm" {
			t.Fatalf("header %+v", h)
		}
		if joined(evs, Output) != string(read) || string(read) != "$ hello\r\n$ " {
			t.Fatalf("output %q, read %q", joined(evs, Output), read)
		}
		if joined(evs, Resize) != "90x30" || fake.written.String() != "echo hello\r" {
			t.Fatalf("resize %q, written %q", joined(evs, Resize), fake.written.String())
		}
		if want := map[bool]string{false: "", true: "echo hello\r"}[withInput]; joined(evs, Input) != want {
			t.Fatalf("input %q, want %q", joined(evs, Input), want)
		}
	}
}
