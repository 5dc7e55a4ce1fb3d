package expect

import (
	"errors"
	"fmt"
	"strings"
)

// Control characters often sent to a terminal.
const (
	CtrlC = "\x03" // interrupt (SIGINT in cooked mode)
	CtrlD = "\x04" // end of input in cooked mode
	CtrlZ = "\x1a" // suspend
)

// ErrNoWriter is returned by the Send methods of a read-only Expecter.
var ErrNoWriter = errors.New("expect: no writer to send to")

// Send writes s as given. Sends may run concurrently with Expect and with
// each other; each one is written whole.
func (e *Expecter) Send(s string) error { return e.SendBytes([]byte(s)) }

// SendBytes writes p as given.
func (e *Expecter) SendBytes(p []byte) error {
	if e.w == nil {
		return ErrNoWriter
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return ErrClosed
	}
	e.sendMu.Lock()
	defer e.sendMu.Unlock()
	if e.cfg.sendLog != nil {
		_, _ = e.cfg.sendLog.Write(p)
	}
	if _, err := e.w.Write(p); err != nil {
		return fmt.Errorf("expect: send: %w", err)
	}
	return nil
}

// SendLine writes s followed by the line ending (see WithLineEnding).
func (e *Expecter) SendLine(s string) error { return e.Send(s + e.cfg.lineEnd) }

// SendControl sends the control character for key, as ControlKey maps it:
// SendControl("c") is Ctrl-C, SendControl("d") Ctrl-D.
func (e *Expecter) SendControl(key string) error {
	c, err := ControlKey(key)
	if err != nil {
		return err
	}
	return e.Send(c)
}

// ControlKey returns the control character typed as Ctrl+key: a letter
// (either case) or one of @ [ \ ] ^ _ ?, with an optional "ctrl-", "ctrl+",
// "c-" or "^" prefix ("c", "^C" and "ctrl-c" are all "\x03"; "?" is DEL).
func ControlKey(key string) (string, error) {
	k := key
	lower := strings.ToLower(k)
	for _, p := range []string{"ctrl-", "ctrl+", "c-"} {
		if strings.HasPrefix(lower, p) && len(k) > len(p) {
			k = k[len(p):]
			break
		}
	}
	if len(k) == 2 && k[0] == '^' {
		k = k[1:]
	}
	if len(k) != 1 {
		return "", fmt.Errorf("expect: unknown control key %q", key)
	}
	c := k[0]
	switch {
	case c >= 'a' && c <= 'z':
		return string(rune(c - 'a' + 1)), nil
	case c >= '@' && c <= '_': // upper case letters and @ [ \ ] ^ _
		return string(rune(c - '@')), nil
	case c == '?':
		return "\x7f", nil
	}
	return "", fmt.Errorf("expect: unknown control key %q", key)
}
