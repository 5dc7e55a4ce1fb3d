package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// checkRun validates the env and timeout of an execute or code-run (the
// env key message is the reference server's) and returns the timeout.
func checkRun(w http.ResponseWriter, r *http.Request, env map[string]string, sec uint32, ms uint64) (time.Duration, bool) {
	if p := envProblem(env); p != "" {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST", "bad request: "+p, client.ErrInvalidArgument)
		return 0, false
	}
	d, p := timeoutFrom(sec, ms)
	if p != "" {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST", "bad request: "+p, client.ErrInvalidArgument)
		return 0, false
	}
	return d, true
}

func (s *Server) handleExecute(w http.ResponseWriter, r *http.Request) {
	var req wire.ExecuteRequest
	if err := decode(r, &req); err != nil {
		badBody(w, r, "BAD_REQUEST", "bad request: invalid request body: ", err)
		return
	}
	if req.Command == "" {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST",
			"bad request: invalid request body: Key: 'ExecuteRequest.Command' Error:Field validation for 'Command' failed on the 'required' tag",
			client.ErrInvalidArgument)
		return
	}
	if blank(req.Command) {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST", "bad request: command cannot be empty or whitespace-only", client.ErrInvalidArgument)
		return
	}
	timeout, ok := checkRun(w, r, req.Envs, req.Timeout, req.TimeoutMs)
	if !ok {
		return
	}
	ctx, release := s.callContext(r)
	defer release()
	es := s.newExecStream(w, r, false)
	res, err := s.backend.Exec(ctx, client.ExecRequest{
		Command: req.Command, Cwd: req.Cwd, Env: req.Envs, Timeout: timeout,
		OnOutput: es.onOutput(), MaxOutput: s.outputCap(r, req.MaxOutput),
		// Daytona clients see only the combined result: one pipe gives it
		// in exact write order, as the reference daemon does.
		Merge: !ext(r) || req.Merge,
		// The reference daemon never ends what a command put in the
		// background (`nohup python app.py &` is how Daytona users start
		// servers): for Daytona clients it lives on until the server ends.
		// procsh clients choose, as Lua's detach does.
		Detach:         req.Detach,
		KeepBackground: !ext(r),
	})
	if err != nil && res == nil && !ext(r) && req.Cwd != "" && errors.Is(err, client.ErrInvalidArgument) {
		// The reference daemon reports a bad cwd as a failed start.
		res, err = &client.ExecResult{ExitCode: -1, Result: err.Error()}, nil
	}
	s.writeExecResult(w, r, ctx, es, res, err, false)
	if res != nil {
		releaseMemory(len(res.Result) + len(res.Stdout) + len(res.Stderr))
	}
}

// writeExecResult answers an execute or (codeRun) a code-run. A start failure is a 200
// with exit code -1 and the error text for Daytona clients, as in the
// reference server; procsh clients get the typed error.
func (s *Server) writeExecResult(w http.ResponseWriter, r *http.Request, ctx context.Context, es *execStream, res *client.ExecResult, err error, codeRun bool) {
	if r.Context().Err() != nil {
		return // the client went away; the backend has ended the run
	}
	if es.started() {
		// Headers are out: the outcome goes into the end record.
		w = es.endWriter()
	}
	if ctx.Err() != nil {
		// Cancelled by the procsh client, which is waiting for this.
		writeE1(w, r, 499, "CANCELLED", "cancelled: "+ctx.Err().Error(), client.ErrClosed)
		return
	}
	if err != nil && res == nil {
		if ext(r) || errors.Is(err, client.ErrInvalidArgument) || errors.Is(err, client.ErrUnsupported) {
			writeBackendE1(w, r, err, strings.TrimSpace(err.Error()))
			return
		}
		writeJSON(w, http.StatusOK, wire.ExecuteResponse{ExitCode: -1, Result: err.Error()})
		return
	}
	if res == nil {
		writeE1(w, r, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "internal server error: no result", client.ErrUnavailable)
		return
	}
	if res.TimedOut && !ext(r) {
		writeE1(w, r, http.StatusRequestTimeout, "REQUEST_TIMEOUT", "request timeout: command execution timeout", client.ErrTimeout)
		return
	}
	out := wire.ExecuteResponse{ExitCode: res.ExitCode, Result: res.Result}
	if res.Signal != "" && !ext(r) && !codeRun {
		// Daytona clients get what the reference daemon sends for a
		// signalled run; procsh clients get 128+n and the signal's name.
		// (The reference runs a code-run program in a shell pipeline,
		// whose status for a signalled program is 128+n, as ours.)
		out.ExitCode = -1
	}
	if len(res.Artifacts.Charts) > 0 {
		out.Artifacts = &wire.Artifacts{}
		for _, c := range res.Artifacts.Charts {
			b, _ := json.Marshal(c)
			out.Artifacts.Charts = append(out.Artifacts.Charts, b)
		}
	}
	if ext(r) {
		// Exact bytes only, in procshRaw; "result" stays empty.
		out.Result = ""
		out.Raw = &wire.RawOutput{Output: view(res.Result)}
		if res.HasStreams {
			out.Raw.Stdout, out.Raw.Stderr = view(res.Stdout), view(res.Stderr)
			empty := ""
			out.Stdout, out.Stderr = &empty, &empty // marks HasStreams
		}
		out.TimedOut = res.TimedOut
		out.Truncated = res.Truncated
		out.Signal = res.Signal
		out.DurationMs = float64(res.Duration) / float64(time.Millisecond)
		if es.started() {
			es.end(out)
			return
		}
		if wantsRawResult(r) {
			raw := out.Raw
			out.Raw = nil
			out.Lengths = []int64{int64(len(raw.Output)), int64(len(raw.Stdout)), int64(len(raw.Stderr))}
			writeResult(w, r, http.StatusOK, out, raw.Output, raw.Stdout, raw.Stderr)
			return
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	// The output is escaped straight onto the connection.
	result := out.Result
	out.Result = placeholder(0)
	writeJSONStream(w, http.StatusOK, out, strPieces(result))
}

func (s *Server) handleCodeRun(w http.ResponseWriter, r *http.Request) {
	var req wire.CodeRunRequest
	if err := decode(r, &req); err != nil {
		badBody(w, r, "INVALID_REQUEST_BODY", "invalid body request: ", err)
		return
	}
	for _, f := range []struct{ name, val string }{{"Code", req.Code}, {"Language", req.Language}} {
		if f.val == "" {
			writeE1(w, r, http.StatusBadRequest, "INVALID_REQUEST_BODY",
				"invalid body request: Key: 'CodeRunRequest."+f.name+"' Error:Field validation for '"+f.name+"' failed on the 'required' tag",
				client.ErrInvalidArgument)
			return
		}
	}
	switch req.Language {
	case client.Python, client.JavaScript, client.TypeScript:
	default:
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST", "bad request: unsupported language: "+req.Language, client.ErrInvalidArgument)
		return
	}
	timeout, ok := checkRun(w, r, req.Envs, req.Timeout, req.TimeoutMs)
	if !ok {
		return
	}
	ctx, release := s.callContext(r)
	defer release()
	es := s.newExecStream(w, r, true)
	res, err := s.backend.CodeRun(ctx, client.CodeRunRequest{
		Code: req.Code, Language: req.Language, Argv: req.Argv, Env: req.Envs, Stdin: string(req.Stdin),
		Timeout: timeout, OnOutput: es.onOutput(), MaxOutput: s.outputCap(r, req.MaxOutput),
		// As for execute: Daytona clients see only the combined result,
		// which one pipe gives in write order (the reference keeps one
		// buffer); two pipes spliced Python's print() mid-line.
		Merge: !ext(r) || req.Merge,
	})
	s.writeExecResult(w, r, ctx, es, res, err, true)
	if res != nil {
		releaseMemory(len(res.Result) + len(res.Stdout) + len(res.Stderr))
	}
}

// execStream streams execute/code-run output to a procsh client that asked
// for wire.StreamType: one record per output chunk as the backend reports
// it, then an end record with the result (or an error record).
type execStream struct {
	s        *Server
	w        http.ResponseWriter
	rc       *http.ResponseController
	withBody bool // the end record repeats the output (code-run: charts are cut from it)

	mu     sync.Mutex
	isOpen bool // headers written
	failed bool // a write failed: the client is gone or stalled
	buf    []byte
}

// newExecStream returns nil unless the request asked for a stream.
func (s *Server) newExecStream(w http.ResponseWriter, r *http.Request, withBody bool) *execStream {
	if !ext(r) || !strings.Contains(r.Header.Get("Accept"), wire.StreamType) {
		return nil
	}
	return &execStream{s: s, w: w, rc: http.NewResponseController(w), withBody: withBody}
}

func (e *execStream) onOutput() func(client.Chunk) {
	if e == nil {
		return nil
	}
	return func(c client.Chunk) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.failed {
			return
		}
		if !e.isOpen {
			e.w.Header().Set("Content-Type", wire.StreamType)
			e.w.WriteHeader(http.StatusOK)
			e.isOpen = true
		}
		e.buf = wire.AppendRecord(e.buf[:0], streamByte(c.Stream), c.Data)
		e.write(e.buf)
	}
}

// write sends b and flushes it, bounded so a stalled client cannot hold
// up the backend. The caller holds e.mu.
func (e *execStream) write(b []byte) {
	_ = e.rc.SetWriteDeadline(time.Now().Add(e.s.writeWait))
	if _, err := e.w.Write(b); err != nil {
		e.failed = true
		return
	}
	if err := e.rc.Flush(); err != nil {
		e.failed = true
	}
}

func (e *execStream) started() bool {
	if e == nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.isOpen
}

// end writes the end record for a successful run.
func (e *execStream) end(out wire.ExecuteResponse) {
	raw := out.Raw
	out.Raw = nil
	var parts [][]byte
	if e.withBody {
		out.Lengths = []int64{int64(len(raw.Output)), int64(len(raw.Stdout)), int64(len(raw.Stderr))}
		parts = [][]byte{raw.Output, raw.Stdout, raw.Stderr}
	}
	var body bytes.Buffer
	_ = wire.WriteRawResult(&body, out, parts...)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.failed {
		e.write(wire.AppendRecord(nil, wire.RecordEnd, body.Bytes()))
	}
}

// endWriter captures an error response (status, headers, JSON body) and
// sends it as the error record.
func (e *execStream) endWriter() http.ResponseWriter { return &errRecordWriter{e: e, h: http.Header{}} }

type errRecordWriter struct {
	e *execStream
	h http.Header
}

func (w *errRecordWriter) Header() http.Header { return w.h }
func (w *errRecordWriter) WriteHeader(int)     {}
func (w *errRecordWriter) Write(b []byte) (int, error) {
	w.e.mu.Lock()
	defer w.e.mu.Unlock()
	if !w.e.failed {
		w.e.write(wire.AppendRecord(nil, wire.RecordError, b))
	}
	return len(b), nil
}
