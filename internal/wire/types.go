package wire

import "encoding/json"

// ExecuteRequest is the body of POST /process/execute.
type ExecuteRequest struct {
	Command string            `json:"command"`
	Cwd     string            `json:"cwd,omitempty"`
	Envs    map[string]string `json:"envs,omitempty"`
	// Timeout is in seconds; 0 means none.
	Timeout uint32 `json:"timeout,omitempty"`
	// TimeoutMs is a procsh extension (milliseconds; wins over Timeout).
	TimeoutMs uint64 `json:"timeoutMs,omitempty"`
	// MaxOutput is a procsh extension: client.ExecRequest.MaxOutput.
	MaxOutput int64 `json:"maxOutput,omitempty"`
	// Merge and Detach are procsh extensions: client.ExecRequest's fields of
	// the same names.
	Merge  bool `json:"procshMerge,omitempty"`
	Detach bool `json:"procshDetach,omitempty"`
}

// ExecuteResponse is the reply of /process/execute and /process/code-run.
// The fields after Artifacts are procsh extensions, sent only to clients
// that ask for them.
type ExecuteResponse struct {
	ExitCode  int        `json:"exitCode"`
	Result    string     `json:"result"`
	Artifacts *Artifacts `json:"artifacts,omitempty"`

	Stdout     *string `json:"stdout,omitempty"`
	Stderr     *string `json:"stderr,omitempty"`
	TimedOut   bool    `json:"timedOut,omitempty"`
	Signal     string  `json:"signal,omitempty"`
	DurationMs float64 `json:"durationMs,omitempty"`
	Truncated  bool    `json:"truncated,omitempty"`
	// Raw carries the exact bytes (JSON strings cannot hold every byte).
	Raw *RawOutput `json:"procshRaw,omitempty"`
	// Lengths of output, stdout and stderr in a RawResultType body.
	Lengths []int64 `json:"procshLengths,omitempty"`
}

// RawOutput is binary-safe output (base64 in JSON). Output is the combined
// log (execute: "result").
type RawOutput struct {
	Output []byte `json:"output"`
	Stdout []byte `json:"stdout"`
	Stderr []byte `json:"stderr"`
}

// Artifacts are a code run's charts.
type Artifacts struct {
	Charts []json.RawMessage `json:"charts"`
}

// CodeRunRequest is the body of POST /process/code-run.
type CodeRunRequest struct {
	Code      string            `json:"code"`
	Language  string            `json:"language"`
	Argv      []string          `json:"argv,omitempty"`
	Envs      map[string]string `json:"envs,omitempty"`
	Timeout   uint32            `json:"timeout,omitempty"`
	TimeoutMs uint64            `json:"timeoutMs,omitempty"`
	MaxOutput int64             `json:"maxOutput,omitempty"`
	// Stdin is a procsh extension (FeatCodeRunStdin): written to the
	// program's stdin, then EOF. It is base64 on the wire so every byte
	// survives JSON. Other servers ignore it, so a client sends it only to
	// a server that lists the feature.
	Stdin []byte `json:"procshStdin,omitempty"`
	// Merge is a procsh extension: client.CodeRunRequest's field.
	Merge bool `json:"procshMerge,omitempty"`
}

// CreateSessionRequest is the body of POST /process/session. Cwd and Envs
// are procsh extensions (ignored by the reference server).
type CreateSessionRequest struct {
	SessionID string            `json:"sessionId"`
	Cwd       string            `json:"cwd,omitempty"`
	Envs      map[string]string `json:"envs,omitempty"`
}

// Session describes a session.
type Session struct {
	SessionID string    `json:"sessionId"`
	Commands  []Command `json:"commands"`
}

// Command describes a session command. Signal is a procsh extension.
type Command struct {
	ID       string `json:"id"`
	Command  string `json:"command"`
	ExitCode *int   `json:"exitCode,omitempty"`
	Signal   string `json:"signal,omitempty"`
}

// SessionExecuteRequest is the body of POST /process/session/{sid}/exec.
type SessionExecuteRequest struct {
	Command           string `json:"command"`
	RunAsync          bool   `json:"runAsync"`
	Async             bool   `json:"async,omitempty"`
	SuppressInputEcho bool   `json:"suppressInputEcho"`
	MaxOutput         int64  `json:"maxOutput,omitempty"` // procsh extension
}

// SessionExecuteResponse is the reply of a session exec; every key is always
// present (null when unused). Signal is a procsh extension.
type SessionExecuteResponse struct {
	CmdID    string  `json:"cmdId"`
	Output   *string `json:"output"`
	Stdout   *string `json:"stdout"`
	Stderr   *string `json:"stderr"`
	ExitCode *int    `json:"exitCode"`
}

// SessionExecuteResponseExt is SessionExecuteResponse with the procsh
// extension fields.
type SessionExecuteResponseExt struct {
	SessionExecuteResponse
	Signal    string     `json:"signal,omitempty"`
	Truncated bool       `json:"truncated,omitempty"`
	Raw       *RawOutput `json:"procshRaw,omitempty"`
	Lengths   []int64    `json:"procshLengths,omitempty"`
}

// InputRequest is the body of POST …/command/{cid}/input.
type InputRequest struct {
	Data string `json:"data"`
}

// LogsResponse is the JSON snapshot of a command's logs for modern clients.
type LogsResponse struct {
	Output string `json:"output"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

// PtyCreateRequest is the body of POST /process/pty. Command is a procsh
// extension.
type PtyCreateRequest struct {
	ID        string            `json:"id"`
	Cwd       string            `json:"cwd,omitempty"`
	Envs      map[string]string `json:"envs,omitempty"`
	Cols      uint16            `json:"cols,omitempty"`
	Rows      uint16            `json:"rows,omitempty"`
	LazyStart bool              `json:"lazyStart,omitempty"`
	Command   []string          `json:"command,omitempty"`
}

// PtyCreateResponse is the reply of POST /process/pty.
type PtyCreateResponse struct {
	SessionID string `json:"sessionId"`
}

// PtySessionInfo describes a PTY session; all keys are always present.
type PtySessionInfo struct {
	ID        string            `json:"id"`
	Cwd       string            `json:"cwd"`
	Envs      map[string]string `json:"envs"`
	Cols      uint16            `json:"cols"`
	Rows      uint16            `json:"rows"`
	CreatedAt string            `json:"createdAt"`
	Active    bool              `json:"active"`
	LazyStart bool              `json:"lazyStart"`
}

// PtySessionInfoExt adds the procsh exit information.
type PtySessionInfoExt struct {
	PtySessionInfo
	Exited     bool   `json:"exited"`
	ExitCode   *int   `json:"exitCode,omitempty"`
	ExitReason string `json:"exitReason,omitempty"`
}

// PtyListResponse is the reply of GET /process/pty.
type PtyListResponse[T any] struct {
	Sessions []T `json:"sessions"`
}

// PtyResizeRequest is the body of POST /process/pty/{id}/resize.
type PtyResizeRequest struct {
	Cols uint16 `json:"cols"`
	Rows uint16 `json:"rows"`
}

// PtyControl is a text control frame on the PTY WebSocket. Keys are
// declared in sorted order, as the reference server emits them. ExitCode
// and ExitReason belong to the "exited" frame of clients that offered exit
// control (docs/protocol.md §12.2). Scrollback and Truncated are procsh
// extensions (base64 of the recent output).
type PtyControl struct {
	Error      string `json:"error,omitempty"`
	ExitCode   *int   `json:"exitCode,omitempty"`
	ExitReason string `json:"exitReason,omitempty"`
	Kind       string `json:"procshKind,omitempty"`
	Scrollback []byte `json:"scrollback,omitempty"`
	Status     string `json:"status"`
	Truncated  bool   `json:"truncated,omitempty"`
	Type       string `json:"type"`
}

// PtyExit is the JSON close reason of a PTY WebSocket.
type PtyExit struct {
	ExitCode   *int   `json:"exitCode,omitempty"`
	ExitReason string `json:"exitReason,omitempty"`
	Error      string `json:"error,omitempty"`
}

// ErrorBody is the union of the error shapes E1, E2 and E3 as a client
// decodes them. Kind is the procsh extension naming the error class.
type ErrorBody struct {
	StatusCode int    `json:"statusCode,omitempty"`
	Message    string `json:"message,omitempty"`
	Code       string `json:"code,omitempty"`
	Timestamp  string `json:"timestamp,omitempty"`
	Path       string `json:"path,omitempty"`
	Method     string `json:"method,omitempty"`
	Error      string `json:"error,omitempty"`
	Kind       string `json:"procshKind,omitempty"`
	// Source and ErrorCode come with structured ErrorResponse bodies
	// (docs/protocol.md §12.3); some generated clients name the code
	// error_code.
	Source    string `json:"source,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
}
