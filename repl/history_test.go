package repl

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestHistoryEncoding(t *testing.T) {
	for _, c := range []struct{ entry, line string }{
		{"1 + 1", "1 + 1"},
		{"y = 1 + -- c\n2", `\"y = 1 + -- c\n2"`},
		{`print("a\nb")`, `print("a\nb")`}, // an escape inside Lua source stays as typed
		{`\x`, `\"\\x"`},
		{"  indented", `\"  indented"`},
		{"for i = 1, 2 do\n\tprint(i)\nend", `\"for i = 1, 2 do\n\tprint(i)\nend"`},
		{"cr\rlf", `\"cr\rlf"`},
	} {
		if got := encodeHistory(c.entry); got != c.line {
			t.Errorf("encodeHistory(%q) = %q, want %q", c.entry, got, c.line)
		}
		if got, ok := decodeHistory(c.line); !ok || got != c.entry {
			t.Errorf("decodeHistory(%q) = %q, %v", c.line, got, ok)
		}
	}
	for _, bad := range []string{"", "   ", `\"unterminated`, `\nope`, `\"  "`} {
		if e, ok := decodeHistory(bad); ok {
			t.Errorf("decodeHistory(%q) = %q, true", bad, e)
		}
	}
}

func TestHistoryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history")
	// A file written before multi-line entries: plain lines, one blank.
	if err := os.WriteFile(path, []byte("old = 1\n\nprint(old)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := historyFile{path: path, limit: 5}
	for _, e := range []string{"y = 1 + -- c\n2", "=y"} {
		if err := h.add(e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.load()
	want := []string{"old = 1", "print(old)", "y = 1 + -- c\n2", "=y"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("load = %q, %v; want %q", got, err, want)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("history file mode: %v %v", st.Mode(), err)
	}
	// Past twice the limit the file is cut down to the last limit entries.
	for i := range 8 {
		if err := h.add("e" + strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = h.load()
	if want := []string{"e3", "e4", "e5", "e6", "e7"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("load after growth = %q, want %q", got, want)
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n != 5 {
		t.Fatalf("file not rewritten: %d lines\n%s", n, data)
	}
}
