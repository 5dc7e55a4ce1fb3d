package expect

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// chattyReader yields n lines of output in 4 KiB reads (what a PTY gives),
// then a prompt.
type chattyReader struct {
	left int
	tail string
}

func (c *chattyReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		if c.tail == "" {
			return 0, io.EOF
		}
		n := copy(p, c.tail)
		c.tail = c.tail[n:]
		return n, nil
	}
	p = p[:min(len(p), 4096, c.left)]
	for i := range p {
		p[i] = "0123456789abcdef\r\n"[i%18]
	}
	c.left -= len(p)
	return len(p), nil
}

// BenchmarkExpectChatty: waiting for a prompt at the end of 16 MB of output,
// with a literal and with a regular expression, against io.Copy of the same
// stream (the floor).
func BenchmarkExpectChatty(b *testing.B) {
	const size = 16 << 20
	run := func(p Pattern) time.Duration {
		t0 := time.Now()
		e := NewReader(&chattyReader{left: size, tail: "user@host:~$ "}, nil, WithTimeout(time.Minute))
		if _, err := e.Expect(context.Background(), p); err != nil {
			b.Fatal(err)
		}
		e.Close()
		return time.Since(t0)
	}
	var lit, re, floor time.Duration
	for i := 0; i < b.N; i++ {
		lit += run(Literal("@host:~$ "))
		re += run(Regexp(`\w+@\w+:[^$]*\$ `))
		t0 := time.Now()
		_, _ = io.Copy(io.Discard, &chattyReader{left: size, tail: "user@host:~$ "})
		floor += time.Since(t0)
	}
	mb := float64(size) / 1e6 * float64(b.N)
	b.ReportMetric(mb/lit.Seconds(), "literal-MB/s")
	b.ReportMetric(mb/re.Seconds(), "regexp-MB/s")
	b.ReportMetric(mb/floor.Seconds(), "copy-MB/s")
	_ = strings.Repeat
}
