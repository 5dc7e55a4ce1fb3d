package remote

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// statusErr maps an error reply (the v0.190 shapes E1–E5, or a structured
// ErrorResponse) to a typed error: procsh's own kind first, then the
// daemon's code, then the HTTP status (docs/protocol.md §1.6, §12.3).
func statusErr(op string, resp *http.Response, body []byte) error {
	return errorFor(op, resp.StatusCode, resp.Status, body)
}

func errorFor(op string, status int, statusText string, body []byte) error {
	var eb wire.ErrorBody
	msg := ""
	if json.Unmarshal(body, &eb) == nil {
		msg = eb.Message
		if msg == "" {
			msg = eb.Error
		}
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
		if msg == "" || len(msg) > 512 {
			msg = statusText
		}
	}
	e := &client.Error{Op: op, Msg: msg}
	if k := client.KindFromWire(eb.Kind); k != nil {
		e.Kind = k
		return e
	}
	if k := daemonKind(eb); k != nil {
		e.Kind = k
		return e
	}
	switch s := status; {
	case s == 400 || s == 413 || s == 422:
		e.Kind = client.ErrInvalidArgument
	case s == 401 || s == 403:
		e.Kind = client.ErrUnauthorized
	case s == 404:
		e.Kind = client.ErrNotFound
	case s == 409:
		e.Kind = client.ErrConflict
	case s == 408:
		e.Kind = client.ErrTimeout
	case s == 410:
		e.Kind = client.ErrClosed
		if strings.Contains(msg, "not found") {
			e.Kind = client.ErrNotFound // PTY resize of an unknown id
		}
	case s == 501:
		e.Kind = client.ErrUnsupported
	case strings.Contains(msg, "session not found") || strings.Contains(msg, "command not found"):
		e.Kind = client.ErrNotFound // session exec answers 500 (shape E2)
	case strings.Contains(msg, "session cancelled") || strings.Contains(msg, "broken pipe"):
		e.Kind = client.ErrClosed // the session ended under the command (v0.190)
	default:
		e.Kind = client.ErrUnavailable
	}
	return e
}

// daemonKind maps the daemon's domain codes of a structured error body. As
// in Daytona's SDKs a code counts only together with the daemon's source;
// generic and unknown codes leave the choice to the HTTP status.
func daemonKind(eb wire.ErrorBody) error {
	code := eb.Code
	if code == "" {
		code = eb.ErrorCode
	}
	if eb.Source != wire.SourceDaemon {
		return nil
	}
	switch code {
	case wire.CodeProcessExecutionTimeout:
		return client.ErrTimeout
	case wire.CodeProcessNotFound:
		return client.ErrNotFound
	case wire.CodeSessionEnded, wire.CodeCommandAlreadyCompleted:
		return client.ErrClosed
	}
	return nil
}
