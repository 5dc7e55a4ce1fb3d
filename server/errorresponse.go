package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// Structured error bodies (docs/protocol.md §12.3). SDKs from 0.201.0 on
// type an error by its daemon code together with source DAYTONA_DAEMON, so
// they get ErrorResponse bodies with the codes and statuses the production
// daemon sends; older clients keep the v0.190 shapes E1–E4 byte for byte
// (their SDKs type errors by status only, and the v0.190 checklist pins
// those shapes). The v0.190 texts are written once, at the call sites, and
// translated here, so both generations stay in step.

// errorResponse is the structured error body.
type errorResponse struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	Code       string `json:"code"`
	Source     string `json:"source"`
	Timestamp  string `json:"timestamp"`
	Path       string `json:"path"`
	Method     string `json:"method"`
	Kind       string `json:"procshKind,omitempty"`
}

// apiError is one structured error: its status, daemon code and message.
type apiError struct {
	status int
	code   string
	msg    string
}

// structured reports whether r's client reads ErrorResponse bodies.
func structured(r *http.Request) bool { return wire.ClassOf(r).Structured }

func writeErrorResponse(w http.ResponseWriter, r *http.Request, e apiError, kind error) {
	b, _ := json.Marshal(errorResponse{
		StatusCode: e.status, Message: e.msg, Code: e.code, Source: wire.SourceDaemon,
		Timestamp: time.Now().UTC().Format(time.RFC3339Nano),
		Path:      r.URL.Path, Method: r.Method, Kind: wireKind(r, kind),
	})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// modernE1 translates a v0.190 E1 error: domain codes replace the generic
// ones where the daemon has them (and then carry no category prefix), and
// request-body failures are INVALID_REQUEST_BODY.
func modernE1(r *http.Request, status int, code, msg string) apiError {
	switch {
	case status == http.StatusRequestTimeout && code == wire.CodeRequestTimeout:
		return apiError{status, wire.CodeProcessExecutionTimeout, strings.TrimPrefix(msg, "request timeout: ")}
	case status == http.StatusNotFound && code == wire.CodeNotFound && strings.HasPrefix(r.URL.Path, "/process/"):
		return apiError{status, wire.CodeProcessNotFound, strings.TrimPrefix(msg, "not found: ")}
	case status == http.StatusGone && strings.HasPrefix(msg, "gone: command has already completed"):
		return apiError{status, wire.CodeCommandAlreadyCompleted, strings.TrimPrefix(msg, "gone: ")}
	case code == wire.CodeBadRequest && strings.HasPrefix(msg, "bad request: invalid request body:"):
		return apiError{status, wire.CodeInvalidRequestBody, "invalid body request: " + strings.TrimPrefix(msg, "bad request: ")}
	}
	return apiError{status, code, msg}
}

// modernE2 translates the untyped 500 of session exec: an unknown session is
// a 404, a session that ended under the command a 410.
func modernE2(msg string, kind error) apiError {
	detail := strings.TrimPrefix(msg, "failed to execute command: ")
	switch kind {
	case client.ErrNotFound:
		return apiError{http.StatusNotFound, wire.CodeProcessNotFound, strings.TrimPrefix(detail, "not found: ")}
	case client.ErrClosed:
		return apiError{http.StatusGone, wire.CodeSessionEnded, "session process has exited: " + strings.TrimPrefix(detail, "bad request: ")}
	}
	return apiError{http.StatusInternalServerError, wire.CodeInternalServerError, "internal server error: " + msg}
}

// modernE3 translates a PTY route's {"error": msg}.
func modernE3(status int, msg string) apiError {
	switch status {
	case http.StatusNotFound:
		return apiError{status, wire.CodeProcessNotFound, msg}
	case http.StatusConflict:
		return apiError{status, wire.CodeConflict, "conflict: " + msg}
	case http.StatusGone:
		return apiError{status, wire.CodeGone, "gone: " + msg}
	case http.StatusBadRequest:
		if isDecodeError(msg) {
			return apiError{status, wire.CodeInvalidRequestBody, "invalid body request: " + msg}
		}
		return apiError{status, wire.CodeBadRequest, "bad request: " + msg}
	case http.StatusRequestEntityTooLarge:
		return apiError{status, "REQUEST_ENTITY_TOO_LARGE", msg}
	}
	return apiError{status, wire.CodeInternalServerError, "internal server error: " + msg}
}

// isDecodeError recognises the messages of encoding/json and of an empty
// body, which the PTY routes pass through as they are.
func isDecodeError(msg string) bool {
	return msg == "EOF" || msg == "unexpected EOF" || strings.HasPrefix(msg, "json: ") ||
		strings.HasPrefix(msg, "invalid character") || strings.HasPrefix(msg, "unexpected end of JSON")
}
