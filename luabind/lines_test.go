package luabind

import (
	"strings"
	"testing"

	"github.com/procsh/procsh/client"
)

func TestLineSplitter(t *testing.T) {
	type in struct {
		s    client.Stream
		data string
	}
	for _, tc := range []struct {
		name   string
		chunks []in
		want   []string // "stream:text"
	}{
		{"empty", nil, nil},
		{"one line", []in{{client.Stdout, "a\n"}}, []string{"stdout:a"}},
		{"unterminated tail", []in{{client.Stdout, "a\nb"}}, []string{"stdout:a", "stdout:b"}},
		{"split across chunks", []in{{client.Stdout, "he"}, {client.Stdout, "llo\nwo"}, {client.Stdout, "rld\n"}}, []string{"stdout:hello", "stdout:world"}},
		{"streams kept apart", []in{{client.Stdout, "o1"}, {client.Stderr, "e1\n"}, {client.Stdout, "o2\n"}}, []string{"stderr:e1", "stdout:o1o2"}},
		{"empty lines", []in{{client.Stdout, "\n\nx\n"}}, []string{"stdout:", "stdout:", "stdout:x"}},
		{"both tails flushed, stdout first", []in{{client.Stderr, "e"}, {client.Stdout, "o"}}, []string{"stdout:o", "stderr:e"}},
		{"carriage returns kept", []in{{client.Stdout, "a\r\n"}}, []string{"stdout:a\r"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sp lineSplitter
			var got []line
			for _, c := range tc.chunks {
				got = sp.feed(c.s, []byte(c.data), got)
			}
			got = sp.flush(got)
			var s []string
			for _, l := range got {
				s = append(s, l.stream.String()+":"+l.text)
			}
			if strings.Join(s, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", s, tc.want)
			}
		})
	}
}

func TestCollector(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		chunks                 []client.Chunk
		output, stdout, stderr string
	}{
		{"nothing", nil, "", "", ""},
		{"stdout only", []client.Chunk{{Stream: client.Stdout, Data: []byte("a")}, {Stream: client.Stdout, Data: []byte("b")}}, "ab", "ab", ""},
		{"stderr only", []client.Chunk{{Stream: client.Stderr, Data: []byte("e")}}, "e", "", "e"},
		{"mixed", []client.Chunk{{Stream: client.Stdout, Data: []byte("1")}, {Stream: client.Stderr, Data: []byte("2")}, {Stream: client.Stdout, Data: []byte("3")}}, "123", "13", "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c collector
			for _, ch := range tc.chunks {
				buf := append([]byte(nil), ch.Data...)
				ch.Data = buf
				c.add(ch)
				buf[0] = 'X' // the collector must have copied the data
			}
			l := c.logs()
			if l.Output != tc.output || l.Stdout != tc.stdout || l.Stderr != tc.stderr {
				t.Errorf("got %+v, want %q %q %q", l, tc.output, tc.stdout, tc.stderr)
			}
		})
	}
}
