package remote

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// statusErr maps an error reply (shapes E1–E5) to a typed error.
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
	case strings.Contains(msg, "session cancelled"):
		e.Kind = client.ErrClosed
	default:
		e.Kind = client.ErrUnavailable
	}
	return e
}
