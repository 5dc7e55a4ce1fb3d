package client

import (
	"errors"
	"fmt"
)

// Sentinel errors. Backends wrap them (with %w or *Error) so that callers can
// classify any failure with errors.Is.
var (
	// ErrNotFound: an unknown session, command or PTY id.
	ErrNotFound = errors.New("not found")
	// ErrConflict: an id that already exists.
	ErrConflict = errors.New("conflict")
	// ErrInvalidArgument: a request that can never succeed as written
	// (empty command, bad environment key, reserved id, size out of range).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrTimeout: a deadline passed before the operation finished.
	ErrTimeout = errors.New("timeout")
	// ErrClosed: the target has ended or was closed (input to a finished
	// command, a deleted session, a closed backend or handle).
	ErrClosed = errors.New("closed")
	// ErrUnsupported: the backend (or the server behind it) does not offer
	// the operation, or a required program (such as a TypeScript runner) is
	// missing.
	ErrUnsupported = errors.New("unsupported")
	// ErrUnavailable: the backend could not be reached or failed
	// internally (connection refused, server error, lost connection).
	ErrUnavailable = errors.New("unavailable")
	// ErrUnauthorized: the server refused the credentials (HTTP 401/403).
	ErrUnauthorized = errors.New("unauthorized")
)

// Error describes a failed operation. Kind is one of the sentinel errors
// above; errors.Is(err, ErrNotFound) is true for an *Error whose Kind is
// ErrNotFound. Err, when set, is the underlying cause.
type Error struct {
	Op   string // the operation, e.g. "exec session command"
	Kind error  // one of the sentinels
	Msg  string // a human-readable detail, without the kind
	Err  error  // optional cause
}

// Error implements error as "op: msg: cause".
func (e *Error) Error() string {
	s := e.Op
	add := func(part string) {
		if part == "" {
			return
		}
		if s != "" {
			s += ": "
		}
		s += part
	}
	add(e.Msg)
	if e.Err != nil {
		add(e.Err.Error())
	} else if e.Msg == "" && e.Kind != nil {
		add(e.Kind.Error())
	}
	return s
}

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool { return target != nil && target == e.Kind }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of the given kind with a formatted message.
func Errorf(op string, kind error, format string, args ...any) *Error {
	return &Error{Op: op, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}
