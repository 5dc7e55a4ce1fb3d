// Package client defines the Process API of procsh: the Go types and the
// Client interface that every backend implements, the errors and the one
// table of error kinds (kinds.go) that the backends, the server and the Lua
// host translate through. It imports only the standard library; the
// backends are its sibling packages client/local (this machine) and
// client/remote (the Daytona toolbox /process protocol over HTTP and
// WebSocket, against Daytona or `procsh serve`).
//
// The surface follows the Daytona SDK's Process class: one-shot commands
// (Exec), code runs (CodeRun), persistent shell sessions with synchronous and
// asynchronous commands, their logs and stdin, and PTY sessions. A few
// operations go beyond Daytona (closing a command's stdin, killing one
// command, byte-offset log replay, PTY scrollback); backends that cannot offer
// them return an error that matches ErrUnsupported.
//
// Every method that can block takes a context.Context. Cancelling the context
// of a call that runs something (Exec, CodeRun, a synchronous ExecSession)
// ends what it started: the local backend kills the process tree.
//
// Errors are wrapped around a small set of sentinels (ErrNotFound,
// ErrConflict, ErrInvalidArgument, ErrTimeout, ErrClosed, ErrUnsupported,
// ErrUnavailable, ErrUnauthorized) so callers test them with errors.Is, whichever backend
// produced them.
//
// Nothing in this package knows about Lua.
package client
