package wire

// SourceDaemon is the "source" of the daemon's structured error bodies; SDKs
// type an error by its code only together with this source
// (docs/protocol.md §12.3).
const SourceDaemon = "DAYTONA_DAEMON"

// Daemon error codes of structured error bodies.
const (
	CodeProcessExecutionTimeout = "PROCESS_EXECUTION_TIMEOUT"
	CodeProcessNotFound         = "PROCESS_NOT_FOUND"
	CodeSessionEnded            = "SESSION_ENDED"
	CodeCommandAlreadyCompleted = "COMMAND_ALREADY_COMPLETED"
	CodeBadRequest              = "BAD_REQUEST"
	CodeInvalidRequestBody      = "INVALID_REQUEST_BODY"
	CodeNotFound                = "NOT_FOUND"
	CodeConflict                = "CONFLICT"
	CodeRequestTimeout          = "REQUEST_TIMEOUT"
	CodeGone                    = "GONE"
	CodeInternalServerError     = "INTERNAL_SERVER_ERROR"
)
