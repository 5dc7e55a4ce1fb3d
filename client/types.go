package client

import (
	"time"
)

// Stream names one of a command's output streams.
type Stream uint8

// The output streams of a command.
const (
	Stdout Stream = 1
	Stderr Stream = 2
)

// String returns "stdout" or "stderr".
func (s Stream) String() string {
	switch s {
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	}
	return "unknown"
}

// Languages accepted by CodeRun.
const (
	Python     = "python"
	JavaScript = "javascript"
	TypeScript = "typescript"
)

// ExecRequest is a one-shot shell command.
type ExecRequest struct {
	// Command is shell script text; it may span many lines and exceed ARG_MAX.
	// An empty or whitespace-only command is ErrInvalidArgument.
	Command string
	// Cwd is the working directory; "" means the backend's default.
	Cwd string
	// Env is added to the backend's environment (later wins). Keys must match
	// ^[A-Za-z_][A-Za-z0-9_]*$ or the call fails with ErrInvalidArgument.
	Env map[string]string
	// Timeout bounds the run; 0 means none. On expiry the whole process tree
	// is ended (TERM, a short grace, then KILL) and the result has TimedOut set.
	Timeout time.Duration
	// OnOutput, when set, receives output as it arrives, so a caller can show
	// long-running work live (e.g. tee it to a terminal). It is called from a
	// backend goroutine, one call at a time, and must not block for long; the
	// chunk's Data is only valid during the call. A backend that cannot stream
	// (Daytona's execute endpoint) calls it once with all output at the end.
	// It sees all output, MaxOutput or not.
	OnOutput func(Chunk)
	// MaxOutput caps the output kept in the result, in bytes of the
	// combined output; 0 means DefaultMaxOutput, a negative value no cap.
	// Past the cap the result holds the first MaxOutput bytes and says
	// Truncated; the command itself runs on unaffected.
	MaxOutput int64
	// Merge sends stderr into stdout (2>&1, one pipe), so that Result is
	// in exact write order; Stdout then holds everything and Stderr is
	// empty. Without it the streams are read apart and Result is in arrival
	// order.
	Merge bool
	// Detach lets processes the command put in the background outlive it.
	// Without it, whatever the command started is ended (TERM, grace, KILL)
	// before Exec returns.
	Detach bool
	// KeepBackground lets them outlive Exec as Detach does, but they stay
	// the backend's: they end when it does (the local backend's reaper ends
	// them when the program exits or dies), where detached ones live on.
	// It is what a Daytona client's execute gets from procsh serve.
	KeepBackground bool
}

// DefaultMaxOutput is the result output cap when a request sets none: a
// result is held in memory (twice, when both streams are kept), so a command
// that prints gigabytes must not be able to exhaust it by default.
const DefaultMaxOutput = 64 << 20

// OutputCap resolves a MaxOutput value: the cap in bytes, or -1 for none.
func OutputCap(max int64) int64 {
	switch {
	case max == 0:
		return DefaultMaxOutput
	case max < 0:
		return -1
	}
	return max
}

// CodeRunRequest runs a program in an interpreter.
type CodeRunRequest struct {
	Code     string
	Language string // Python (default when empty), JavaScript or TypeScript
	// Argv are the program's arguments, passed as separate words (never
	// re-split by a shell).
	Argv    []string
	Env     map[string]string
	Timeout time.Duration
	// Stdin is written to the program's standard input, then EOF; "" means
	// no input (EOF at once, as without it). Backends that cannot carry it
	// (plain Daytona servers, SSH raw mode) fail with ErrUnsupported rather
	// than run the program without it.
	Stdin string
	// OnOutput, MaxOutput and Merge are as in ExecRequest.
	OnOutput  func(Chunk)
	MaxOutput int64
	Merge     bool
}

// ExecResult is the outcome of Exec or CodeRun. A non-zero exit is a result,
// not an error.
type ExecResult struct {
	// ExitCode is the exit status: 128+n when signal n ended the process
	// (Signal names it), as shells report it; -1 when it could not be
	// started.
	ExitCode int
	// Result is stdout and stderr combined in write order, byte-exact.
	Result string
	// Stdout and Stderr hold the separate streams when HasStreams is true
	// (the local backend always knows them; the Daytona wire protocol does not
	// carry them for one-shot commands).
	Stdout, Stderr string
	HasStreams     bool
	// Artifacts mirrors the Daytona SDK: Artifacts.Stdout equals Result, and
	// Charts holds the charts a code run emitted.
	Artifacts Artifacts
	// TimedOut is set when Timeout expired and the command was ended.
	TimedOut bool
	// Signal names the signal that ended the process ("TERM", "KILL"), or "".
	Signal string
	// Duration is the wall time of the run as measured by the backend.
	Duration time.Duration
	// Truncated is set when the output exceeded MaxOutput: Result, Stdout
	// and Stderr then hold only the output's first MaxOutput bytes.
	Truncated bool
}

// Artifacts are the by-products of a run, as in the Daytona SDK.
type Artifacts struct {
	Stdout string
	Charts []Chart
}

// Chart is a chart artifact emitted by a code run (the dtn_artifact protocol).
type Chart struct {
	Type        string           `json:"type"`
	Title       string           `json:"title,omitempty"`
	PNG         string           `json:"png,omitempty"`
	XLabel      string           `json:"x_label,omitempty"`
	YLabel      string           `json:"y_label,omitempty"`
	XTicks      []any            `json:"x_ticks,omitempty"`
	YTicks      []any            `json:"y_ticks,omitempty"`
	XTickLabels []string         `json:"x_tick_labels,omitempty"`
	YTickLabels []string         `json:"y_tick_labels,omitempty"`
	XScale      string           `json:"x_scale,omitempty"`
	YScale      string           `json:"y_scale,omitempty"`
	Elements    []map[string]any `json:"elements"`
}

// SessionOptions creates a session.
type SessionOptions struct {
	// ID is chosen by the caller; it must be non-empty, must not contain '/'
	// or "..", and must not be the reserved id "entrypoint".
	ID string
	// Cwd and Env set the starting directory and extra environment of the
	// session shell (procsh extension; emulated on Daytona).
	Cwd string
	Env map[string]string
}

// SessionInfo describes a session and the commands it has run.
type SessionInfo struct {
	ID       string
	Commands []CommandInfo
}

// CommandInfo describes one command of a session.
type CommandInfo struct {
	ID      string
	Command string
	// ExitCode is nil while the command runs.
	ExitCode *int
	// Signal names the signal that killed the command, when known.
	Signal string
}

// Done reports whether the command has finished.
func (c CommandInfo) Done() bool { return c.ExitCode != nil }

// SessionExecRequest runs a command in a session.
type SessionExecRequest struct {
	Command string
	// Async returns at once with the command id; the command runs on.
	Async bool
	// SuppressInputEcho keeps data sent with SendInput out of the log.
	// (The local backend never echoes input; the flag matters on Daytona.)
	SuppressInputEcho bool
	// MaxOutput caps the output of a synchronous result as in ExecRequest
	// (the command's log keeps everything, subject to the backend's own
	// retention).
	MaxOutput int64
}

// SessionExecResult is the reply to ExecSession. For an async command only
// CmdID is set.
type SessionExecResult struct {
	CmdID    string
	ExitCode *int
	// Output is stdout and stderr combined in arrival order, without markers.
	Output         string
	Stdout, Stderr string
	Signal         string
	// Truncated is set when the output exceeded MaxOutput.
	Truncated bool
}

// Logs is a snapshot of a command's output.
type Logs struct {
	Output         string // both streams, in arrival order
	Stdout, Stderr string
	// Truncated is set when the output is not the whole log: the backend's
	// retention limit dropped its start (FirstOffset is then the offset of
	// Output[0] in the combined log) or the snapshot was capped.
	Truncated   bool
	FirstOffset int64
}

// Chunk is a piece of a command's output.
type Chunk struct {
	Stream Stream
	// Offset is the position of Data[0] in the command's combined log (the
	// concatenation of all chunks of both streams, in arrival order).
	Offset int64
	Data   []byte
}

// LogOptions selects what StreamCommandLogs delivers.
type LogOptions struct {
	// Offset skips the first Offset bytes of the combined log; a reader
	// that resumes passes the offset just past the last byte it received.
	Offset int64
	// Follow keeps the stream open until the command ends; otherwise the
	// stream ends after the output available now.
	Follow bool
}

// LogStream delivers a command's output in order, every byte exactly once.
type LogStream interface {
	// Recv returns the next chunk. It returns io.EOF after the last chunk:
	// in follow mode, only once the command has ended and all its output was
	// delivered. A cancelled context or a closed stream ends it with an error.
	Recv() (Chunk, error)
	// Close releases the stream; it is safe to call more than once.
	Close() error
}

// PTYOptions creates a PTY session.
type PTYOptions struct {
	ID  string
	Cwd string
	// Env is merged over the backend's environment. TERM defaults to
	// xterm-256color.
	Env map[string]string
	// Cols and Rows default to 80x24 when 0; each must be at most 1000.
	Cols, Rows uint16
	// LazyStart defers starting the program until the first connect.
	LazyStart bool
	// Command replaces the default program (the user's shell, interactive
	// and login). The first element is the program, the rest its arguments.
	Command []string
}

// PTYInfo describes a PTY session.
type PTYInfo struct {
	ID        string
	Cwd       string
	Env       map[string]string
	Cols      uint16
	Rows      uint16
	CreatedAt time.Time
	// Active is true while the program runs.
	Active    bool
	LazyStart bool
	// Exited is true once the program has ended; ExitCode and ExitReason then
	// describe how (procsh keeps ended PTYs queryable for a while).
	Exited     bool
	ExitCode   *int
	ExitReason string
}

// PTYConnectOptions tunes a connection to a PTY.
type PTYConnectOptions struct {
	// Scrollback asks for recent output (bounded) to be delivered first.
	Scrollback bool
}

// PTYResult is how a PTY's program ended.
type PTYResult struct {
	// ExitCode follows the Daytona close-frame convention: the exit status,
	// or 128+n when killed by signal n (137 for SIGKILL).
	ExitCode int
	// Reason is "" for exit 0, "non-zero exit", "Ctrl+C", "SIGKILL",
	// "SIGTERM" or "signal N".
	Reason string
}
