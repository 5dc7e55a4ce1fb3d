package wire

// procsh protocol extensions. A client opts in per request with the query
// parameter ExtParam=1; without it the server speaks plain Daytona.
const (
	// CapabilitiesPath answers GET with a Capabilities document. A server
	// without extensions (the reference daemon) answers 404.
	CapabilitiesPath = "/procsh/v1/capabilities"
	// ExtParam is the query parameter that turns the extensions on.
	ExtParam = "procsh"
	// CallParam names a cancellable call (execute, code-run, sync session
	// exec); POST CancelPath+id cancels it and the call then returns once
	// what it started has ended.
	CallParam  = "call"
	CancelPath = "/procsh/v1/cancel/"
	// ProtocolVersion is the version of the extensions described here.
	ProtocolVersion = 1
)

// Feature names listed in Capabilities.Features.
const (
	FeatLogRaw         = "log-raw"      // binary-safe log frames: 1 stream byte + payload
	FeatLogOffset      = "log-offset"   // ?offset=N byte-offset replay
	FeatLogExit        = "log-exit"     // final {"type":"exit"} text frame
	FeatCommandKill    = "command-kill" // POST …/command/{cid}/kill
	FeatCloseInput     = "command-close-input"
	FeatRawInput       = "input-raw"       // octet-stream input without forced "\n"
	FeatCommandWait    = "command-wait"    // GET …/command/{cid}?wait=true long-poll
	FeatExecResult     = "exec-result"     // timedOut/signal/stdout/stderr instead of 408
	FeatSessionOptions = "session-options" // cwd/envs on session create
	FeatPtyScrollback  = "pty-scrollback"  // ?scrollback=true on connect
	FeatPtyExit        = "pty-exit"        // exit info on GET /process/pty/{id}
	FeatPtyCommand     = "pty-command"     // command on PTY create
	FeatErrorKind      = "error-kind"      // procshKind in error bodies
	FeatCancel         = "cancel"          // POST /procsh/v1/cancel/{call}
	FeatRawOutput      = "raw-output"      // procshRaw: exact bytes of results
	FeatExecStream     = "exec-stream"     // live output of execute/code-run (StreamType)
	FeatCodeRunStdin   = "code-run-stdin"  // procshStdin on code-run
)

// AllFeatures is what the procsh server offers.
var AllFeatures = []string{
	FeatLogRaw, FeatLogOffset, FeatLogExit, FeatCommandKill, FeatCloseInput,
	FeatRawInput, FeatCommandWait, FeatExecResult, FeatSessionOptions,
	FeatPtyScrollback, FeatPtyExit, FeatPtyCommand, FeatErrorKind, FeatCancel,
	FeatRawOutput, FeatExecStream, FeatCodeRunStdin, FeatLease,
}

// Capabilities is the body of GET CapabilitiesPath.
type Capabilities struct {
	Protocol int      `json:"protocol"`
	Features []string `json:"features"`
}

// KillRequest is the body of POST …/command/{cid}/kill; Signal is a name
// such as "TERM" or "KILL" (with or without "SIG") or a number.
type KillRequest struct {
	Signal string `json:"signal"`
}

// LogFrame types of the text frames on an extended log stream.
const (
	LogFrameExit  = "exit"
	LogFrameError = "error"
)

// LogTextFrame is a text frame on an extended log stream: the exit status
// after the last byte, or the error that ended the stream.
type LogTextFrame struct {
	Type     string `json:"type"`
	ExitCode *int   `json:"exitCode,omitempty"`
	Signal   string `json:"signal,omitempty"`
	// Reason is "exited" or "signaled", the names of the proposed process
	// v2 ProcessResult (docs/protocol.md §14).
	Reason  string `json:"reason,omitempty"`
	Kind    string `json:"procshKind,omitempty"`
	Message string `json:"message,omitempty"`
}

// Leases (see server/lease.go): a procsh client names itself with
// HeaderLease on every request; what it creates while naming itself ends
// when no request has carried the name for the server's grace period.
const (
	HeaderLease      = "X-Procsh-Lease"
	HeaderLeaseGrace = "X-Procsh-Lease-Grace-Ms" // on LeasePath replies
	LeasePath        = "/procsh/v1/lease"        // POST renews (and adopts), GET lists
	FeatLease        = "lease"
)
