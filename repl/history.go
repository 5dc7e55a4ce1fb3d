package repl

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// HistoryPath returns where the REPL keeps its history:
// $XDG_STATE_HOME/procsh/history when XDG_STATE_HOME is an absolute path (the
// XDG spec says to ignore a relative one), else ~/.local/state/procsh/history.
func HistoryPath() (string, error) {
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "procsh", "history"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("repl: no place for the history file: %w", err)
	}
	return filepath.Join(home, ".local", "state", "procsh", "history"), nil
}

// prepareHistory creates the history file's directory (private, like the
// shells do with theirs: history holds commands and sometimes secrets).
func prepareHistory(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("repl: history directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("repl: history file: %w", err)
	}
	return f.Close()
}

// SwitchWriter is an io.Writer whose target can be changed while other
// goroutines write to it. The command gives one to the Lua host as its
// stdout; the REPL points it at readline's writer while the prompt is up,
// so output from callbacks is printed above the line being typed instead of
// garbling it.
type SwitchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewSwitchWriter returns a SwitchWriter that writes to w.
func NewSwitchWriter(w io.Writer) *SwitchWriter { return &SwitchWriter{w: w} }

// Write writes p to the current target.
func (s *SwitchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return 0, errors.New("repl: no output target")
	}
	return s.w.Write(p)
}

// Set changes the target and returns the previous one.
func (s *SwitchWriter) Set(w io.Writer) (prev io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, s.w = s.w, w
	return prev
}

// The history file holds one entry per line. An entry that would not
// survive that (it has a newline, leading or trailing space, or starts with
// a backslash) is written as a backslash and its Go-quoted form:
//
//	y = 1 + 2
//	\"y = 1 + -- c\n2"
//
// A Lua chunk never starts with a backslash, so files written before
// multi-line entries existed read the same.

// encodeHistory renders entry as one line of the history file.
func encodeHistory(entry string) string {
	if strings.ContainsAny(entry, "\n\r") || strings.HasPrefix(entry, `\`) || strings.TrimSpace(entry) != entry {
		return `\` + strconv.Quote(entry)
	}
	return entry
}

// decodeHistory reads one line of the history file; ok is false for a
// blank or undecodable line.
func decodeHistory(line string) (entry string, ok bool) {
	if rest, quoted := strings.CutPrefix(line, `\`); quoted {
		s, err := strconv.Unquote(rest)
		return s, err == nil && strings.TrimSpace(s) != ""
	}
	line = strings.TrimSpace(line)
	return line, line != ""
}

// historyFile is the REPL's persistent history. readline's own file
// support writes an entry per line verbatim, which breaks multi-line
// entries apart, so the REPL reads and appends the file itself and hands
// readline the entries.
type historyFile struct {
	path  string
	limit int
}

// load returns the last limit entries of the file, oldest first. When the
// file has grown to twice the limit it is rewritten with those entries.
func (h historyFile) load() ([]string, error) {
	data, err := os.ReadFile(h.path)
	if err != nil {
		return nil, fmt.Errorf("repl: history file: %w", err)
	}
	var entries []string
	for _, line := range strings.Split(string(data), "\n") {
		if e, ok := decodeHistory(strings.TrimSuffix(line, "\r")); ok {
			entries = append(entries, e)
		}
	}
	if len(entries) > h.limit {
		if len(entries) >= 2*h.limit {
			defer func() { _ = h.rewrite(entries[len(entries)-h.limit:]) }()
		}
		entries = entries[len(entries)-h.limit:]
	}
	return entries, nil
}

// rewrite replaces the file with entries, atomically.
func (h historyFile) rewrite(entries []string) error {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(encodeHistory(e))
		b.WriteByte('\n')
	}
	tmp := h.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("repl: history file: %w", err)
	}
	if err := os.Rename(tmp, h.path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("repl: history file: %w", err)
	}
	return nil
}

// add appends entry with a single write, so that two REPLs sharing the
// file do not interleave their lines.
func (h historyFile) add(entry string) error {
	f, err := os.OpenFile(h.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("repl: history file: %w", err)
	}
	_, err = f.WriteString(encodeHistory(entry) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("repl: history file: %w", err)
	}
	return nil
}
