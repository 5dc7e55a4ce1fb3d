package expect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
)

// rw joins a reader and a writer.
type rw struct {
	io.Reader
	io.Writer
}

// feed returns a reader that yields chunks one Read at a time, then EOF
// (or err when not nil), and a wait function.
func feed(t *testing.T, chunks []string, err error) (*io.PipeReader, func()) {
	t.Helper()
	pr, pw := io.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, c := range chunks {
			if _, err := pw.Write([]byte(c)); err != nil {
				return
			}
		}
		pw.CloseWithError(err)
	}()
	return pr, wg.Wait
}

func bytewise(s string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[i : i+1]
	}
	return out
}

func TestExpectSpansReads(t *testing.T) {
	const text = "Welcome\r\nlogin: alice\r\nPassword: "
	tests := []struct {
		name   string
		chunks []string
	}{
		{"one read", []string{text}},
		{"byte by byte", bytewise(text)},
		{"split inside the match", []string{"Welcome\r\nlog", "in: ali", "ce\r\nPass", "word", ": "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, wait := feed(t, tc.chunks, nil)
			defer wait()
			e := NewReader(r, nil, WithTimeout(5*time.Second))
			defer e.Close()
			ctx := context.Background()
			res, err := e.Expect(ctx, Regexp(`login: (\w+)\r\n`))
			if err != nil {
				t.Fatal(err)
			}
			if res.Index != 0 || res.Before != "Welcome\r\n" || res.Match != "login: alice\r\n" ||
				len(res.Groups) != 1 || res.Groups[0] != "alice" {
				t.Fatalf("got %+v", res)
			}
			res, err = e.Expect(ctx, Literal("Password: "))
			if err != nil || res.Before != "" || res.Match != "Password: " {
				t.Fatalf("got %+v, %v", res, err)
			}
			res, err = e.Expect(ctx, EOF)
			if err != nil || !res.EOF || res.Index != 0 || res.Before != "" {
				t.Fatalf("got %+v, %v", res, err)
			}
		})
	}
}

func TestExpectEarliestMatchWins(t *testing.T) {
	tests := []struct {
		name     string
		patterns []Pattern
		index    int
		before   string
		match    string
		groups   []string
	}{
		{"earlier start beats lower index", []Pattern{Literal("world"), Literal("hello")}, 1, "say ", "hello", nil},
		{"tie goes to lower index", []Pattern{Regexp(`hel+`), Literal("hello")}, 0, "say ", "hell", nil},
		{"optional group absent", []Pattern{Regexp(`(x)?(hello) (w\w+)`)}, 0, "say ", "hello world", []string{"", "hello", "world"}},
		{"literal special characters", []Pattern{Literal("[x]$ "), Literal("tail")}, 0, "say hello world ", "[x]$ ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := NewReader(strings.NewReader("say hello world [x]$ tail"), nil)
			defer e.Close()
			res, err := e.Expect(context.Background(), tc.patterns...)
			if err != nil {
				t.Fatal(err)
			}
			if res.Index != tc.index || res.Before != tc.before || res.Match != tc.match {
				t.Fatalf("got %+v", res)
			}
			if strings.Join(res.Groups, "|") != strings.Join(tc.groups, "|") || len(res.Groups) != len(tc.groups) {
				t.Fatalf("groups %q, want %q", res.Groups, tc.groups)
			}
		})
	}
}

func TestExpectEOF(t *testing.T) {
	t.Run("sentinel", func(t *testing.T) {
		e := NewReader(strings.NewReader("partial output"), nil)
		defer e.Close()
		res, err := e.Expect(context.Background(), Literal("never"), EOF)
		if err != nil || res.Index != 1 || !res.EOF || res.Before != "partial output" {
			t.Fatalf("got %+v, %v", res, err)
		}
		if e.Buffered() != "" {
			t.Fatalf("EOF outcome left %q buffered", e.Buffered())
		}
	})
	t.Run("error", func(t *testing.T) {
		e := NewReader(strings.NewReader("partial output"), nil)
		defer e.Close()
		res, err := e.Expect(context.Background(), Literal("never"))
		if !errors.Is(err, ErrEOF) || !errors.Is(err, io.EOF) || res.Index != -1 || res.Before != "partial output" {
			t.Fatalf("got %+v, %v", res, err)
		}
		// The buffer stays, so another pattern can still take it.
		res, err = e.Expect(context.Background(), Literal("output"))
		if err != nil || res.Before != "partial " {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := client.Errorf("read pty", client.ErrClosed, "slow consumer")
		r, wait := feed(t, []string{"abc"}, boom)
		defer wait()
		e := NewReader(r, nil)
		defer e.Close()
		_, err := e.Expect(context.Background(), Literal("zzz"))
		if !errors.Is(err, ErrEOF) || !errors.Is(err, client.ErrClosed) {
			t.Fatalf("err = %v", err)
		}
		res, err := e.Expect(context.Background(), EOF)
		if err != nil || !res.EOF || res.Before != "abc" {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
}

func TestExpectTimeout(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	e := NewReader(pr, nil, WithTimeout(20*time.Millisecond))
	defer e.Close()
	ctx := context.Background()
	if _, err := pw.Write([]byte("not yet ")); err != nil {
		t.Fatal(err)
	}

	res, err := e.Expect(ctx, Literal("ready"))
	if !errors.Is(err, ErrTimeout) || res.Index != -1 || res.Before != "not yet " {
		t.Fatalf("default timeout: got %+v, %v", res, err)
	}
	res, err = e.Expect(ctx, Literal("ready"), Timeout(time.Hour), Timeout(10*time.Millisecond))
	if err != nil || res.Index != 1 || !res.TimedOut || res.Before != "not yet " {
		t.Fatalf("sentinel: got %+v, %v", res, err)
	}
	// Output that arrives while nobody waits is kept for the next call.
	if _, err := pw.Write([]byte("ready")); err != nil {
		t.Fatal(err)
	}
	res, err = e.Expect(ctx, Literal("ready"), Timeout(5*time.Second))
	if err != nil || res.Index != 0 || res.Before != "not yet " {
		t.Fatalf("after timeout: got %+v, %v", res, err)
	}
}

func TestExpectContext(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	e := NewReader(pr, nil, WithTimeout(0))
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	_, err := e.Expect(ctx, Literal("x"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestExpectStripANSI(t *testing.T) {
	// Colour, a window title (OSC ... BEL), a charset switch, bracketed
	// paste and an OSC ended by ST, split at awkward places.
	raw := "\x1b[1;3" + "2mgreen\x1b[0m \x1b]0;ti" + "tle\x07$ \x1b(Bok\x1b[?2004h\x1b]7;file://h/\x1b" + "\\done\r\n"
	chunks := []string{raw[:3], raw[3:9], raw[9:20], raw[20:40], raw[40:]}
	for _, strip := range []bool{true, false} {
		r, wait := feed(t, chunks, nil)
		var transcript bytes.Buffer
		opts := []Option{WithTranscript(&transcript)}
		if strip {
			opts = append(opts, WithStripANSI())
		}
		e := NewReader(r, nil, opts...)
		res, err := e.Expect(context.Background(), Literal("green $ okdone\r\n"), EOF)
		wait()
		if strip && (err != nil || res.Index != 0 || res.Before != "") {
			t.Fatalf("strip: got %+v, %v", res, err)
		}
		if !strip && (err != nil || res.Index != 1) {
			t.Fatalf("no strip: matched escaped text: %+v, %v", res, err)
		}
		if transcript.String() != raw {
			t.Fatalf("transcript %q, want raw %q", transcript.String(), raw)
		}
		e.Close()
	}
}

func TestExpectBufferBounds(t *testing.T) {
	t.Run("max buffer", func(t *testing.T) {
		e := NewReader(strings.NewReader(strings.Repeat("x", 100)+"END"), nil, WithMaxBuffer(10))
		defer e.Close()
		res, err := e.Expect(context.Background(), EOF)
		if err != nil || res.Before != "xxxxxxxEND" || e.Discarded() != 93 {
			t.Fatalf("got %+v, %v, discarded %d", res, err, e.Discarded())
		}
	})
	t.Run("search window", func(t *testing.T) {
		e := NewReader(strings.NewReader("needle"+strings.Repeat(".", 50)), nil, WithSearchWindow(20))
		defer e.Close()
		res, err := e.Expect(context.Background(), Literal("needle"), EOF)
		if err != nil || res.Index != 1 {
			t.Fatalf("needle outside the window matched: %+v, %v", res, err)
		}
		e2 := NewReader(strings.NewReader(strings.Repeat(".", 50)+"needle!"), nil, WithSearchWindow(20))
		defer e2.Close()
		res, err = e2.Expect(context.Background(), Literal("needle"))
		if err != nil || res.Before != strings.Repeat(".", 50) {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
}

func TestExpectClose(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	e := NewReader(pr, nil, WithTimeout(0))
	errc := make(chan error, 1)
	go func() {
		_, err := e.Expect(context.Background(), Literal("x"))
		errc <- err
	}()
	time.Sleep(5 * time.Millisecond)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v", err)
	}
	// The pipe reader was closed, so the writer sees it.
	if _, err := pw.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("reader not closed: %v", err)
	}
	if err := e.Send("y"); !errors.Is(err, ErrNoWriter) {
		t.Fatalf("send on read-only: %v", err)
	}
}

func TestSend(t *testing.T) {
	pr, pw := io.Pipe()
	var out bytes.Buffer
	var log bytes.Buffer
	e := New(rw{pr, &out}, WithSendTranscript(&log), WithLineEnding("\r"))
	defer func() { pw.Close(); e.Close() }()
	if err := e.SendLine("ls"); err != nil {
		t.Fatal(err)
	}
	if err := e.SendControl("c"); err != nil {
		t.Fatal(err)
	}
	if err := e.SendControl("ctrl-D"); err != nil {
		t.Fatal(err)
	}
	if err := e.SendControl("ctrl-☃"); err == nil {
		t.Fatal("bad control key accepted")
	}
	if out.String() != "ls\r\x03\x04" || log.String() != out.String() {
		t.Fatalf("sent %q, logged %q", out.String(), log.String())
	}
}

func TestControlKey(t *testing.T) {
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"c", CtrlC, true}, {"C", CtrlC, true}, {"^C", CtrlC, true}, {"ctrl-c", CtrlC, true}, {"Ctrl+C", CtrlC, true},
		{"d", CtrlD, true}, {"z", CtrlZ, true}, {"@", "\x00", true}, {"[", "\x1b", true}, {"\\", "\x1c", true},
		{"?", "\x7f", true}, {"", "", false}, {"cc", "", false}, {"1", "", false}, {"ctrl-", "", false},
	}
	for _, tc := range tests {
		got, err := ControlKey(tc.key)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ControlKey(%q) = %q, %v; want %q ok=%v", tc.key, got, err, tc.want, tc.ok)
		}
	}
}

// TestConcurrentSendAndExpect runs Sends from several goroutines while an
// Expect waits for their echo; run with -race.
func TestConcurrentSendAndExpect(t *testing.T) {
	pr, pw := io.Pipe()
	e := New(rw{pr, pw}, WithTimeout(5*time.Second))
	defer e.Close()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.Send("ab"); err != nil {
				t.Error(err)
			}
		}()
	}
	res, err := e.Expect(context.Background(), Literal(strings.Repeat("ab", 8)))
	wg.Wait()
	if err != nil || res.Before != "" {
		t.Fatalf("got %+v, %v (each send must be written whole)", res, err)
	}
}

func TestBadPattern(t *testing.T) {
	if _, err := Compile(`(`); err == nil {
		t.Fatal("bad regexp accepted")
	}
	e := NewReader(strings.NewReader(""), nil)
	defer e.Close()
	if _, err := e.Expect(context.Background(), nil); err == nil {
		t.Fatal("nil pattern accepted")
	}
}

// TestExpectChattyStream: many reads at the buffer limit keep the newest
// bytes in order and count the rest as discarded.
func TestExpectChattyStream(t *testing.T) {
	var chunks []string
	var all strings.Builder
	for i := 0; i < 2000; i++ {
		c := fmt.Sprintf("line %04d %s\n", i, strings.Repeat("x", i%50))
		chunks = append(chunks, c)
		all.WriteString(c)
	}
	chunks = append(chunks, "PROMPT> ")
	r, wait := feed(t, chunks, nil)
	defer wait()
	e := NewReader(r, nil, WithMaxBuffer(1000), WithTimeout(10*time.Second))
	defer e.Close()
	res, err := e.Expect(context.Background(), Literal("PROMPT> "))
	if err != nil {
		t.Fatal(err)
	}
	full := all.String()
	if !strings.HasSuffix(full, res.Before) || int64(len(full)-len(res.Before)) != e.Discarded() {
		t.Fatalf("kept %d bytes (%q...), discarded %d of %d", len(res.Before), res.Before[:20], e.Discarded(), len(full))
	}
	if len(res.Before) > 1000 {
		t.Fatalf("kept %d bytes over the limit", len(res.Before))
	}
}

// endless never ends and never matches, until it is closed.
type endless struct{ stop atomic.Bool }

func (s *endless) Read(p []byte) (int, error) {
	if s.stop.Load() {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = 'z'
	}
	return len(p), nil
}

func (s *endless) Close() error { s.stop.Store(true); return nil }

// TestExpectTimeoutOnEndlessStream: output that never stops (and never
// matches) does not keep Expect from timing out.
func TestExpectTimeoutOnEndlessStream(t *testing.T) {
	e := NewReader(&endless{}, nil, WithMaxBuffer(1<<20), WithTimeout(50*time.Millisecond))
	defer e.Close()
	res, err := e.Expect(context.Background(), Regexp(`a+b`), Timeout(50*time.Millisecond))
	if err != nil || !res.TimedOut || res.Index != 1 {
		t.Fatalf("sentinel: %+v, %v", res.Index, err)
	}
	_, err = e.Expect(context.Background(), Regexp(`a+b`), Literal("y"))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("default timeout: %v", err)
	}
}

// TestPlainRegexp: a regexp that can only match one fixed string is searched
// as a literal, with the same results as the regexp engine.
func TestPlainRegexp(t *testing.T) {
	tests := []struct {
		expr  string
		plain bool
	}{
		{`Password:`, true}, {`\$ `, true}, {`\[root@x\]# `, true},
		{`^abc`, false}, {`abc$`, false}, {`(?i)abc`, false}, {`(abc)`, false}, {`a|b`, false}, {`ab+`, false}, {`a\b`, false},
	}
	inputs := []string{"", "Password: x", "user $ ", "[root@x]# ", "abc", "xabc", "ABC", "abbb", "a b", "b"}
	for _, tc := range tests {
		p, err := Compile(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if _, plain := p.(plainRegexp); plain != tc.plain {
			t.Errorf("%s: plain = %v, want %v", tc.expr, plain, tc.plain)
		}
		re := regexp.MustCompile(tc.expr)
		for _, in := range inputs {
			got, want := p.find([]byte(in)), re.FindSubmatchIndex([]byte(in))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s on %q: %v, regexp says %v", tc.expr, in, got, want)
			}
		}
		if !strings.HasPrefix(p.String(), "regexp ") {
			t.Errorf("%s described as %q", tc.expr, p.String())
		}
	}
}

func TestSingleLine(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{`\w+@\w+:.*\$ `, true}, {`(?m)^\d+$`, true}, {`\bfoo\b`, true}, {`[#$] $`, true}, {`(?i)password:`, true},
		{`(?s)a.b`, false}, {`a\n+b`, false}, {`\s+`, false}, {`[^x]`, false}, {`^a`, false}, {`\Aa`, false}, {`a|\n`, false},
	}
	for _, tc := range tests {
		p, err := Compile(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := p.(regex)
		if !ok {
			t.Fatalf("%s compiled to %T", tc.expr, p)
		}
		if r.singleLine != tc.want {
			t.Errorf("%s: singleLine = %v, want %v", tc.expr, r.singleLine, tc.want)
		}
	}
}
