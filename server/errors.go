package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// e1Body is the standard error shape E1. Kind is only sent to clients that
// opted into the extensions.
type e1Body struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	Code       string `json:"code"`
	Timestamp  string `json:"timestamp"`
	Path       string `json:"path"`
	Method     string `json:"method"`
	Kind       string `json:"procshKind,omitempty"`
}

// e2Body is the fallback shape E2 of untyped errors.
type e2Body struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	Timestamp  string `json:"timestamp"`
	Path       string `json:"path"`
	Kind       string `json:"procshKind,omitempty"`
}

// e3Body is the PTY error shape E3.
type e3Body struct {
	Error string `json:"error"`
	Kind  string `json:"procshKind,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// wantsRawResult reports whether a procsh client asked for a binary result.
func wantsRawResult(r *http.Request) bool {
	return ext(r) && strings.Contains(r.Header.Get("Accept"), wire.RawResultType)
}

// writeResult answers with meta as JSON, or for a procsh client that asked
// for it as a binary result carrying parts (output, stdout, stderr).
func writeResult(w http.ResponseWriter, r *http.Request, status int, meta any, parts ...[]byte) {
	w.Header().Set("Content-Type", wire.RawResultType)
	w.WriteHeader(status)
	_ = wire.WriteRawResult(w, meta, parts...)
}

func writeE1(w http.ResponseWriter, r *http.Request, status int, code, msg string, kind error) {
	if structured(r) {
		writeErrorResponse(w, r, modernE1(r, status, code, msg), kind)
		return
	}
	b, _ := json.Marshal(e1Body{
		StatusCode: status, Message: msg, Code: code,
		Timestamp: time.Now().UTC().Format(time.RFC3339Nano),
		Path:      r.URL.Path, Method: r.Method, Kind: wireKind(r, kind),
	})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeE2(w http.ResponseWriter, r *http.Request, msg string, kind error) {
	if structured(r) {
		writeErrorResponse(w, r, modernE2(msg, kind), kind)
		return
	}
	b, _ := json.Marshal(e2Body{StatusCode: 500, Message: msg, Timestamp: "0001-01-01T00:00:00Z", Kind: wireKind(r, kind)})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(b)
}

func writeE3(w http.ResponseWriter, r *http.Request, status int, msg string, kind error) {
	if structured(r) {
		writeErrorResponse(w, r, modernE3(status, msg), kind)
		return
	}
	writeJSON(w, status, e3Body{Error: msg, Kind: wireKind(r, kind)})
}

// writeE4 is the empty-body error of session exec validation; detail is
// what a structured client reads instead.
func writeE4(w http.ResponseWriter, r *http.Request, status int, detail string) {
	if structured(r) {
		writeErrorResponse(w, r, apiError{status, wire.CodeInvalidRequestBody, "invalid body request: " + detail}, client.ErrInvalidArgument)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// kindOf is the sentinel an error reply names: err's kind, or
// ErrUnavailable for an error that matches none.
func kindOf(err error) error {
	if k := client.KindOf(err); k != nil {
		return k
	}
	return client.ErrUnavailable
}

// wireKind is the procshKind sent with an error reply: the wire name of
// kind from client's kind table, only for clients that opted into the
// extensions.
func wireKind(r *http.Request, kind error) string {
	if !ext(r) {
		return ""
	}
	return client.WireKind(kind)
}

// e1For maps a backend error to an E1 status, code and message prefix.
func e1For(err error) (int, string, string) {
	switch client.KindOf(err) {
	case client.ErrNotFound:
		return http.StatusNotFound, "NOT_FOUND", "not found: "
	case client.ErrConflict:
		return http.StatusConflict, "CONFLICT", "conflict: "
	case client.ErrInvalidArgument, client.ErrUnsupported:
		return http.StatusBadRequest, "BAD_REQUEST", "bad request: "
	case client.ErrTimeout:
		return http.StatusRequestTimeout, "REQUEST_TIMEOUT", "request timeout: "
	case client.ErrClosed:
		return http.StatusGone, "GONE", "gone: "
	}
	return http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "internal server error: "
}

// writeBackendE1 answers err as E1 with msg (or the error text) as detail.
func writeBackendE1(w http.ResponseWriter, r *http.Request, err error, detail string) {
	status, code, prefix := e1For(err)
	if detail == "" {
		detail = err.Error()
	}
	writeE1(w, r, status, code, prefix+detail, kindOf(err))
}

// badBody answers a request body that failed to decode.
func badBody(w http.ResponseWriter, r *http.Request, code, prefix string, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeE1(w, r, http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE",
			"request entity too large: body exceeds "+itoa(mbe.Limit)+" bytes", client.ErrInvalidArgument)
		return
	}
	writeE1(w, r, http.StatusBadRequest, code, prefix+err.Error(), client.ErrInvalidArgument)
}

// decode reads a JSON body into v. Unknown fields are ignored, as in the
// reference server; an empty body is the error "EOF".
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return err
	}
	return nil
}

func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }
