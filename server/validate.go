package server

import (
	"errors"
	"strconv"
	"syscall"
	"time"

	"github.com/procsh/procsh/client"
)

// MaxIDLen is the longest session or PTY id the server accepts.
const MaxIDLen = 128

// MaxTimeout is the longest timeout a request may ask for, in either
// field: what the Daytona "timeout" field (uint32 seconds) can express.
// The millisecond extension is held to the same bound, so no timeout
// overflows time.Duration.
const MaxTimeout = time.Duration(1<<32-1) * time.Second

// idProblem says what is wrong with a client-chosen session or PTY id, or
// "" when it is fine. An id is 1 to MaxIDLen ASCII letters, digits, '-',
// '_' and '.', and neither "." nor ".." nor containing "..": every accepted
// id is a plain URL path segment, so whatever is created can be reached,
// queried and deleted by URL.
func idProblem(id string) string {
	switch {
	case id == "":
		return "must not be empty"
	case len(id) > MaxIDLen:
		return "longer than " + strconv.Itoa(MaxIDLen) + " bytes"
	case id == "." || id == "..":
		return "must not be '.' or '..'"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			if i+1 < len(id) && id[i+1] == '.' {
				return "must not contain '/' or '..'"
			}
		case c == '/':
			return "must not contain '/' or '..'"
		default:
			return "byte " + strconv.Itoa(i) + " (" + quote(id[i:i+1]) + ") is not allowed: use letters, digits, '-', '_' and '.'"
		}
	}
	return ""
}

// timeoutFrom checks and converts a request's timeout fields (seconds, or
// the procsh millisecond extension, which wins). It returns a message naming
// the field when the value is out of range.
func timeoutFrom(sec uint32, ms uint64) (time.Duration, string) {
	if ms > 0 {
		if ms > uint64(MaxTimeout/time.Millisecond) {
			return 0, "timeoutMs " + strconv.FormatUint(ms, 10) + " is out of range (0 to " +
				strconv.FormatInt(int64(MaxTimeout/time.Millisecond), 10) + ")"
		}
		return time.Duration(ms) * time.Millisecond, ""
	}
	return time.Duration(sec) * time.Second, ""
}

// envProblem checks env with the shared rules (keys ^[A-Za-z_][A-Za-z0-9_]*$,
// so no '=' and no NUL; values without NUL) and returns the message naming
// the variable, or "".
func envProblem(env map[string]string) string {
	err := client.CheckEnv("envs", env)
	if err == nil {
		return ""
	}
	var ce *client.Error
	if errors.As(err, &ce) && ce.Msg != "" {
		return ce.Msg
	}
	return err.Error()
}

// signalFrom parses a kill request's signal strictly; an empty one is TERM,
// the reference default.
func signalFrom(name string) (syscall.Signal, string) {
	if name == "" {
		return syscall.SIGTERM, ""
	}
	sig, err := client.ParseSignal(name)
	if err != nil {
		return 0, "signal " + quote(name) + " is not a signal: want a name such as TERM, KILL or INT, or a number 1-64"
	}
	return sig, ""
}

// maxPTYSize bounds PTY columns and rows, as the reference does.
const maxPTYSize = 1000
