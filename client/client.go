package client

import (
	"context"
	"syscall"
)

// Client is the Process API. Implementations are safe for concurrent use by
// many goroutines.
type Client interface {
	// Exec runs a one-shot shell command and waits for it.
	Exec(ctx context.Context, req ExecRequest) (*ExecResult, error)
	// CodeRun runs a program in python, javascript or typescript.
	CodeRun(ctx context.Context, req CodeRunRequest) (*ExecResult, error)

	// CreateSession starts a persistent shell session.
	CreateSession(ctx context.Context, opts SessionOptions) error
	// GetSession describes a session.
	GetSession(ctx context.Context, id string) (*SessionInfo, error)
	// ListSessions lists the sessions, ordered by id.
	ListSessions(ctx context.Context) ([]SessionInfo, error)
	// DeleteSession ends the session and everything it started.
	DeleteSession(ctx context.Context, id string) error
	// ExecSession runs a command in the session's shell. Commands of one
	// session run one after another in submission order.
	ExecSession(ctx context.Context, sessionID string, req SessionExecRequest) (*SessionExecResult, error)
	// GetCommand describes a command.
	GetCommand(ctx context.Context, sessionID, commandID string) (*CommandInfo, error)
	// WaitCommand blocks until the command has ended and returns its final
	// description.
	WaitCommand(ctx context.Context, sessionID, commandID string) (*CommandInfo, error)
	// GetCommandLogs returns a snapshot of the command's output so far.
	GetCommandLogs(ctx context.Context, sessionID, commandID string) (*Logs, error)
	// StreamCommandLogs streams the command's output. ctx bounds the whole
	// stream.
	StreamCommandLogs(ctx context.Context, sessionID, commandID string, opts LogOptions) (LogStream, error)
	// SendInput writes data to a running command's stdin as given.
	SendInput(ctx context.Context, sessionID, commandID string, data []byte) error
	// CloseInput closes a running command's stdin, so it reads EOF.
	CloseInput(ctx context.Context, sessionID, commandID string) error
	// KillCommand sends sig to a running command (and its process tree)
	// without ending the session.
	KillCommand(ctx context.Context, sessionID, commandID string, sig syscall.Signal) error

	// CreatePTY creates a PTY session.
	CreatePTY(ctx context.Context, opts PTYOptions) (*PTYInfo, error)
	// ConnectPTY attaches a new handle to a PTY session, starting a lazy one.
	ConnectPTY(ctx context.Context, id string, opts PTYConnectOptions) (PTYHandle, error)
	// GetPTY describes a PTY session.
	GetPTY(ctx context.Context, id string) (*PTYInfo, error)
	// ListPTYs lists PTY sessions, ordered by id.
	ListPTYs(ctx context.Context) ([]PTYInfo, error)
	// ResizePTY changes a PTY's window size.
	ResizePTY(ctx context.Context, id string, cols, rows uint16) (*PTYInfo, error)
	// KillPTY kills a PTY's process tree and deletes the session.
	KillPTY(ctx context.Context, id string) error

	// Close ends every session and PTY the client owns (local backend) or
	// releases connections (remote). Later calls fail with ErrClosed.
	Close() error
}

// PTYHandle is one attachment to a PTY session. Several handles may attach
// to the same PTY; each sees all output produced while it is attached, and
// input from all of them reaches the PTY in order.
type PTYHandle interface {
	// ID is the PTY session id.
	ID() string
	// Read reads output. After the program has exited and every byte it
	// wrote was delivered, Read returns io.EOF.
	Read(p []byte) (int, error)
	// Write sends input to the PTY.
	Write(p []byte) (int, error)
	// Resize changes the PTY's window size.
	Resize(ctx context.Context, cols, rows uint16) error
	// Wait blocks until the program has exited and returns how. Output not
	// yet read stays readable.
	Wait(ctx context.Context) (PTYResult, error)
	// Kill kills the PTY's process tree and deletes the session.
	Kill(ctx context.Context) error
	// Close detaches this handle; the program keeps running.
	Close() error
	// Scrollback returns the recent output delivered at connect time when
	// PTYConnectOptions.Scrollback was set, and whether it was cut short.
	Scrollback() (data []byte, truncated bool)
}
