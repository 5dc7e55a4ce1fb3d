package repl

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
