package expect

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// chunksOf splits s at the cut points derived from seed bytes.
func chunksOf(s string, cuts []byte) []string {
	var out []string
	for _, c := range cuts {
		if len(s) == 0 {
			break
		}
		n := int(c)%len(s) + 1
		out = append(out, s[:n])
		s = s[n:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// FuzzLiteralChunking: however the stream is cut into reads, repeated
// Expect calls for one literal find exactly the occurrences strings.Index
// finds, and EOF returns the rest.
func FuzzLiteralChunking(f *testing.F) {
	f.Add("login: a\r\nPassword: \r\n$ ls\r\n$ ", "$ ", []byte{1, 2, 3, 5, 8})
	f.Add("aaaaaa", "aa", []byte{1, 1, 1})
	f.Add("abababab", "aba", []byte{3, 1, 2})
	f.Add("no match here", "zz", []byte{4})
	f.Fuzz(func(t *testing.T, text, lit string, cuts []byte) {
		if lit == "" || len(text) > 4096 || len(cuts) > 64 {
			return
		}
		var want []string // the Before of each match, then the rest
		rest := text
		for {
			i := strings.Index(rest, lit)
			if i < 0 {
				break
			}
			want = append(want, rest[:i])
			rest = rest[i+len(lit):]
		}
		want = append(want, rest)

		r, wait := feed(t, chunksOf(text, cuts), nil)
		defer wait()
		e := NewReader(r, nil, WithTimeout(10*time.Second))
		defer e.Close()
		var got []string
		for {
			res, err := e.Expect(context.Background(), Literal(lit), EOF)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, res.Before)
			if res.EOF {
				break
			}
			if res.Match != lit {
				t.Fatalf("match %q, want %q", res.Match, lit)
			}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Fatalf("chunks %q: got %q, want %q", chunksOf(text, cuts), got, want)
		}
	})
}

// FuzzANSIChunking: stripping is the same whether the stream arrives whole
// or in pieces.
func FuzzANSIChunking(f *testing.F) {
	f.Add("\x1b[1;31mred\x1b[0m \x1b]0;title\x07ok\x1b]7;x\x1b\\done", []byte{1, 2, 3})
	f.Add("\x1b\x1b[31mr\x1bPq\x1b\\z\x1b(B", []byte{2, 1})
	f.Fuzz(func(t *testing.T, text string, cuts []byte) {
		var whole ansiStripper
		want := string(whole.strip([]byte(text)))
		var parts ansiStripper
		var got strings.Builder
		for _, c := range chunksOf(text, cuts) {
			got.Write(parts.strip([]byte(c)))
		}
		if got.String() != want {
			t.Fatalf("chunked %q, whole %q", got.String(), want)
		}
	})
}

// scanSim replays a stream through the matcher deterministically: after
// each chunk it searches, consuming every match as a fresh Expect call
// would, and with incremental set it keeps the search-start state between
// searches as Expect does. It returns every match as "index:before|match".
func scanSim(patterns []Pattern, chunks []string, incremental bool) []string {
	e := &Expecter{cfg: defaultConfig()}
	search := make([]int, len(patterns))
	for i := range search {
		search[i] = i
	}
	var buf []byte
	var base int64
	from := make([]int64, len(patterns))
	var out []string
	for _, c := range chunks {
		buf = append(buf, c...)
		for {
			res, end, ok := e.match(patterns, search, buf, base, from)
			if !ok {
				if incremental {
					advance(patterns, search, buf, base, from)
				}
				break
			}
			out = append(out, fmt.Sprintf("%d:%s|%s|%q", res.Index, res.Before, res.Match, res.Groups))
			buf = buf[end:]
			base += int64(end)
			from = make([]int64, len(patterns))
		}
	}
	return out
}

// FuzzIncrementalSearch: starting searches where advance says gives the same
// matches as searching the whole buffer every time.
func FuzzIncrementalSearch(f *testing.F) {
	f.Add("user@host:~$ ls\r\n12\r\nfoo bar\r\nfoofoo abbbc x y\r\nzz\r\n", []byte{3, 5, 1, 7, 2, 9})
	f.Add("a\nb\nabc\n\nfoo\n", []byte{1, 1, 1, 1})
	patterns := []Pattern{
		Regexp(`\w+@\w+:[^\n$]*\$ `), Regexp(`(?m)^(\d+)\r?$`), Regexp(`\bfoo\b`), Regexp(`ab*c`),
		Regexp(`x\B`), Literal("zz"), Regexp(`(?s)y.z`), Regexp(`^a`),
	}
	f.Fuzz(func(t *testing.T, text string, cuts []byte) {
		if len(text) > 2048 || len(cuts) > 64 {
			return
		}
		chunks := chunksOf(text, cuts)
		for i := range patterns {
			ps := []Pattern{patterns[i]}
			if want, got := scanSim(ps, chunks, false), scanSim(ps, chunks, true); strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Fatalf("%s on %q: incremental %q, full %q", patterns[i], chunks, got, want)
			}
		}
		if want, got := scanSim(patterns, chunks, false), scanSim(patterns, chunks, true); strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Fatalf("all patterns on %q: incremental %q, full %q", chunks, got, want)
		}
	})
}
