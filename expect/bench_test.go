package expect

import (
	"context"
	"io"
	"syscall"
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

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExpectChatty: waiting for a prompt at the end of 16 MB of output,
// with a literal, a single-line regular expression (searched incrementally)
// and one that can span lines (searched whole each time). It reports the
// process CPU time each took, against io.Copy of the same stream (the
// floor), and the wall-clock rate.
func BenchmarkExpectChatty(b *testing.B) {
	const size = 16 << 20
	run := func(p Pattern) (wall, cpu time.Duration) {
		c0, t0 := cpuTime(), time.Now()
		e := NewReader(&chattyReader{left: size, tail: "user@host:~$ "}, nil, WithTimeout(time.Minute))
		if _, err := e.Expect(context.Background(), p); err != nil {
			b.Fatal(err)
		}
		e.Close()
		return time.Since(t0), cpuTime() - c0
	}
	var litW, litC, reW, reC, mlW, mlC, floorC time.Duration
	for i := 0; i < b.N; i++ {
		w, c := run(Literal("@host:~$ "))
		litW, litC = litW+w, litC+c
		w, c = run(Regexp(`\w+@\w+:\S*\$ `))
		reW, reC = reW+w, reC+c
		w, c = run(Regexp(`\w+@\w+:[^$]*\$ `)) // [^$] spans lines
		mlW, mlC = mlW+w, mlC+c
		c0 := cpuTime()
		_, _ = io.Copy(io.Discard, &chattyReader{left: size, tail: "user@host:~$ "})
		floorC += cpuTime() - c0
	}
	n := float64(b.N)
	mb := float64(size) / 1e6 * n
	b.ReportMetric(mb/litW.Seconds(), "literal-MB/s")
	b.ReportMetric(mb/reW.Seconds(), "regexp-MB/s")
	b.ReportMetric(mb/mlW.Seconds(), "multiline-MB/s")
	b.ReportMetric(float64(litC.Milliseconds())/n, "literal-cpu-ms")
	b.ReportMetric(float64(reC.Milliseconds())/n, "regexp-cpu-ms")
	b.ReportMetric(float64(mlC.Milliseconds())/n, "multiline-cpu-ms")
	b.ReportMetric(float64(floorC.Milliseconds())/n, "copy-cpu-ms")
}

// trickleReader yields a backlog fast, then short lines with pauses, as a
// program that printed a lot and then logs slowly does.
type trickleReader struct {
	backlog, lines int
	tail           string
}

func (c *trickleReader) Read(p []byte) (int, error) {
	switch {
	case c.backlog > 0:
		p = p[:min(len(p), 4096, c.backlog)]
		for i := range p {
			p[i] = "0123456789abcdef\r\n"[i%18]
		}
		c.backlog -= len(p)
		return len(p), nil
	case c.lines > 0:
		time.Sleep(50 * time.Microsecond)
		c.lines--
		return copy(p, "building target 42 of 2000 ... ok\r\n"), nil
	case c.tail != "":
		n := copy(p, c.tail)
		c.tail = c.tail[n:]
		return n, nil
	}
	return 0, io.EOF
}

// BenchmarkExpectTrickle: 1 MiB of unmatched backlog, then 2000 short lines
// arriving one by one, then the prompt. Each line wakes Expect: a
// single-line regexp rescans only the last line, one that can span lines
// rescans the whole buffer. Reports CPU time per run for each, with a
// literal as the floor.
func BenchmarkExpectTrickle(b *testing.B) {
	run := func(p Pattern) time.Duration {
		c0 := cpuTime()
		e := NewReader(&trickleReader{backlog: 1 << 20, lines: 2000, tail: "user@host:~$ "}, nil, WithTimeout(time.Minute))
		if _, err := e.Expect(context.Background(), p); err != nil {
			b.Fatal(err)
		}
		e.Close()
		return cpuTime() - c0
	}
	var lit, re, ml time.Duration
	for i := 0; i < b.N; i++ {
		lit += run(Literal("@host:~$ "))
		re += run(Regexp(`\w+@\w+:\S*\$ `))
		ml += run(Regexp(`\w+@\w+:[^$]*\$ `))
	}
	n := float64(b.N)
	b.ReportMetric(float64(lit.Milliseconds())/n, "literal-cpu-ms")
	b.ReportMetric(float64(re.Milliseconds())/n, "regexp-cpu-ms")
	b.ReportMetric(float64(ml.Milliseconds())/n, "multiline-cpu-ms")
	b.ReportMetric(float64(ml)/float64(re), "multiline/regexp")
}
