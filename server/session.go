package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

const entrypointID = "entrypoint"

// validID refuses ids outside the documented charset and length (see
// idProblem); it answers 400.
func validID(w http.ResponseWriter, r *http.Request, what, id string) bool {
	if p := idProblem(id); p != "" {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST",
			"bad request: invalid "+what+" ID: "+p, client.ErrInvalidArgument)
		return false
	}
	return true
}

func wireCommand(c client.CommandInfo, extended bool) wire.Command {
	wc := wire.Command{ID: c.ID, Command: c.Command, ExitCode: c.ExitCode}
	if extended {
		wc.Signal = c.Signal
	}
	return wc
}

func wireSession(si client.SessionInfo, extended bool) wire.Session {
	ws := wire.Session{SessionID: si.ID, Commands: []wire.Command{}}
	for _, c := range si.Commands {
		ws.Commands = append(ws.Commands, wireCommand(c, extended))
	}
	return ws
}

func (s *Server) handleListSessions(w http.ResponseWriter, r *http.Request) {
	list, err := s.backend.ListSessions(r.Context())
	if err != nil {
		writeBackendE1(w, r, err, "")
		return
	}
	out := []wire.Session{}
	for _, si := range list {
		if s.isHidden(si.ID) {
			continue
		}
		out = append(out, wireSession(si, ext(r)))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCreateSession(w http.ResponseWriter, r *http.Request) {
	var req wire.CreateSessionRequest
	if err := decode(r, &req); err != nil {
		badBody(w, r, "INVALID_REQUEST_BODY", "invalid body request: ", err)
		return
	}
	if req.SessionID == "" {
		writeE1(w, r, http.StatusBadRequest, "INVALID_REQUEST_BODY",
			"invalid body request: Key: 'CreateSessionRequest.SessionId' Error:Field validation for 'SessionId' failed on the 'required' tag",
			client.ErrInvalidArgument)
		return
	}
	if req.SessionID == entrypointID || s.isHidden(req.SessionID) {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST",
			"bad request: provided session ID is reserved and cannot be created/overridden", client.ErrInvalidArgument)
		return
	}
	if !validID(w, r, "session", req.SessionID) {
		return
	}
	if p := envProblem(req.Envs); p != "" {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST", "bad request: "+p, client.ErrInvalidArgument)
		return
	}
	opts := client.SessionOptions{ID: req.SessionID, Cwd: req.Cwd, Env: req.Envs}
	if opts.Cwd == "" && wire.ClassOf(r).LegacyCwd {
		opts.Cwd, _ = os.UserHomeDir()
	}
	// The session outlives this request.
	if err := s.backend.CreateSession(context.WithoutCancel(r.Context()), opts); err != nil {
		detail := err.Error()
		if errors.Is(err, client.ErrConflict) {
			detail = "session already exists"
		}
		writeBackendE1(w, r, err, detail)
		return
	}
	s.leaseOwn(r, false, req.SessionID)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) handleGetSession(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sid")
	if !validID(w, r, "session", sid) {
		return
	}
	if s.isHidden(sid) {
		writeE1(w, r, http.StatusNotFound, "NOT_FOUND", "not found: session not found", client.ErrNotFound)
		return
	}
	si, err := s.backend.GetSession(r.Context(), s.backendSID(sid))
	if err != nil {
		writeBackendE1(w, r, err, notFoundDetail(err, "session not found"))
		return
	}
	writeJSON(w, http.StatusOK, wireSession(*si, ext(r)))
}

func notFoundDetail(err error, msg string) string {
	if errors.Is(err, client.ErrNotFound) {
		return msg
	}
	return err.Error()
}

func (s *Server) handleDeleteSession(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sid")
	if sid == entrypointID {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST", "bad request: can't delete entrypoint session", client.ErrInvalidArgument)
		return
	}
	if !validID(w, r, "session", sid) {
		return
	}
	if s.isHidden(sid) {
		writeE1(w, r, http.StatusNotFound, "NOT_FOUND", "not found: session not found", client.ErrNotFound)
		return
	}
	s.leaseDrop(false, sid)
	if err := s.backend.DeleteSession(context.WithoutCancel(r.Context()), sid); err != nil {
		writeBackendE1(w, r, err, notFoundDetail(err, "session not found"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleSessionExec(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sid")
	if sid == entrypointID {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST", "bad request: can't execute command in entrypoint session", client.ErrInvalidArgument)
		return
	}
	if !validID(w, r, "session", sid) {
		return
	}
	var req wire.SessionExecuteRequest
	if err := decode(r, &req); err != nil {
		if isTooLarge(err) {
			badBody(w, r, "", "", err)
			return
		}
		writeE4(w, r, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	if blank(req.Command) {
		writeE4(w, r, http.StatusBadRequest, "command cannot be empty or whitespace-only")
		return
	}
	if s.isHidden(sid) {
		writeE2(w, r, "failed to execute command: not found: session not found", client.ErrNotFound)
		return
	}
	async := req.RunAsync || req.Async
	ctx, release := s.callContext(r)
	defer release()
	if async || !ext(r) {
		// Daytona keeps a sync command running when its client goes
		// away; only procsh clients get cancel-kills-command semantics.
		ctx = context.WithoutCancel(ctx)
	}
	res, err := s.backend.ExecSession(ctx, sid, client.SessionExecRequest{
		Command: req.Command, Async: async, SuppressInputEcho: req.SuppressInputEcho,
		MaxOutput: s.outputCap(r, req.MaxOutput),
	})
	if r.Context().Err() != nil {
		return
	}
	if err != nil && ctx.Err() != nil && ext(r) {
		writeE1(w, r, 499, "CANCELLED", "cancelled: "+ctx.Err().Error(), client.ErrClosed)
		return
	}
	if err != nil {
		var detail string
		switch client.KindOf(err) {
		case client.ErrNotFound:
			detail = "not found: session not found"
		case client.ErrClosed:
			detail = "bad request: session cancelled"
		default:
			detail = "bad request: " + err.Error()
		}
		writeE2(w, r, "failed to execute command: "+detail, kindOf(err))
		return
	}
	if async {
		writeJSON(w, http.StatusAccepted, wire.SessionExecuteResponse{CmdID: res.CmdID})
		return
	}
	defer releaseMemory(len(res.Output) + len(res.Stdout) + len(res.Stderr))
	out := wire.SessionExecuteResponseExt{}
	out.CmdID = res.CmdID
	out.ExitCode = res.ExitCode
	if ext(r) {
		// Exact bytes only (base64 encodes far faster than JSON escapes
		// and survives any output); the Daytona fields stay null.
		out.Signal = res.Signal
		out.Truncated = res.Truncated
		if wantsRawResult(r) {
			out.Lengths = []int64{int64(len(res.Output)), int64(len(res.Stdout)), int64(len(res.Stderr))}
			writeResult(w, r, http.StatusOK, out, view(res.Output), view(res.Stdout), view(res.Stderr))
			return
		}
		out.Raw = &wire.RawOutput{Output: view(res.Output), Stdout: view(res.Stdout), Stderr: view(res.Stderr)}
		writeJSON(w, http.StatusOK, out)
		return
	}
	// The output strings are escaped straight onto the connection.
	var bigs []pieces
	big := func(p pieces) *string {
		ph := placeholder(len(bigs))
		bigs = append(bigs, p)
		return &ph
	}
	cls := wire.ClassOf(r)
	if cls.Combined {
		out.Output = big(strPieces(res.Output))
	} else {
		out.Output = big(s.markedPieces(r.Context(), sid, res))
	}
	if cls.Modern() {
		out.Stdout, out.Stderr = big(strPieces(res.Stdout)), big(strPieces(res.Stderr))
	}
	writeJSONStream(w, http.StatusOK, out.SessionExecuteResponse, bigs...)
}

// markedPieces is the marker-encoded log of a finished command (as far as
// the result holds it), one marker per change of stream, read back from the
// log as parts rather than rebuilt in memory. When only one stream has
// output the result is known without reading the log.
func (s *Server) markedPieces(ctx context.Context, sid string, res *client.SessionExecResult) pieces {
	switch {
	case res.Output == "":
		return strPieces()
	case res.Stderr == "" && res.Stdout == res.Output:
		return strPieces(string(wire.AppendChunk(nil, wire.StreamStdout, nil)), res.Stdout)
	case res.Stdout == "" && res.Stderr == res.Output:
		return strPieces(string(wire.AppendChunk(nil, wire.StreamStderr, nil)), res.Stderr)
	}
	st, err := s.backend.StreamCommandLogs(ctx, sid, res.CmdID, client.LogOptions{})
	if err != nil {
		return strPieces(string(wire.AppendChunk(nil, wire.StreamStdout, nil)), res.Output)
	}
	return func(emit func(string) error) error {
		defer st.Close()
		left := int64(len(res.Output))
		var last client.Stream
		for left > 0 {
			c, err := st.Recv()
			if err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			data := c.Data
			if int64(len(data)) > left {
				data = data[:left]
			}
			left -= int64(len(data))
			if len(data) == 0 {
				continue
			}
			if c.Stream != last {
				if err := emit(string(wire.AppendChunk(nil, streamByte(c.Stream), nil))); err != nil {
					return err
				}
				last = c.Stream
			}
			if err := emit(string(data)); err != nil {
				return err
			}
		}
		return nil
	}
}

func streamByte(s client.Stream) byte {
	if s == client.Stderr {
		return wire.StreamStderr
	}
	return wire.StreamStdout
}

// commandNotFound picks the reference message for a NotFound on a command
// route: the session or the command.
func (s *Server) commandNotFound(ctx context.Context, sid string) string {
	if _, err := s.backend.GetSession(ctx, sid); errors.Is(err, client.ErrNotFound) {
		return "session not found"
	}
	return "command not found"
}

func (s *Server) commandErr(w http.ResponseWriter, r *http.Request, sid string, err error) {
	detail := err.Error()
	if errors.Is(err, client.ErrNotFound) {
		detail = s.commandNotFound(r.Context(), sid)
	}
	writeBackendE1(w, r, err, detail)
}

func (s *Server) handleGetCommand(w http.ResponseWriter, r *http.Request) {
	sid, cid := r.PathValue("sid"), r.PathValue("cid")
	if !validID(w, r, "session", sid) {
		return
	}
	bsid := s.backendSID(sid)
	var ci *client.CommandInfo
	var err error
	if ext(r) && r.URL.Query().Get("wait") == "true" {
		ci, err = s.backend.WaitCommand(r.Context(), bsid, s.backendCID(sid, cid))
		if r.Context().Err() != nil {
			return
		}
	} else {
		ci, err = s.backend.GetCommand(r.Context(), bsid, s.backendCID(sid, cid))
	}
	if err != nil {
		s.commandErr(w, r, bsid, err)
		return
	}
	wc := wireCommand(*ci, ext(r))
	wc.ID = cid
	writeJSON(w, http.StatusOK, wc)
}

func (s *Server) handleInput(w http.ResponseWriter, r *http.Request) {
	sid, cid := r.PathValue("sid"), r.PathValue("cid")
	if sid == entrypointID {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST", "bad request: can't send input to entrypoint session", client.ErrInvalidArgument)
		return
	}
	if !validID(w, r, "session", sid) {
		return
	}
	var data []byte
	if ext(r) && strings.HasPrefix(r.Header.Get("Content-Type"), "application/octet-stream") {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			badBody(w, r, "INVALID_REQUEST_BODY", "invalid body request: ", err)
			return
		}
		data = b
	} else {
		var req wire.InputRequest
		if err := decode(r, &req); err != nil {
			badBody(w, r, "INVALID_REQUEST_BODY", "invalid body request: ", err)
			return
		}
		if req.Data == "" {
			writeE1(w, r, http.StatusBadRequest, "INVALID_REQUEST_BODY",
				"invalid body request: Key: 'SessionSendInputRequest.Data' Error:Field validation for 'Data' failed on the 'required' tag",
				client.ErrInvalidArgument)
			return
		}
		if !strings.HasSuffix(req.Data, "\n") {
			req.Data += "\n"
		}
		data = []byte(req.Data)
	}
	if s.isHidden(sid) {
		writeE1(w, r, http.StatusNotFound, "NOT_FOUND", "not found: session not found", client.ErrNotFound)
		return
	}
	if err := s.backend.SendInput(r.Context(), sid, cid, data); err != nil {
		s.inputErr(w, r, sid, cid, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// inputErr answers a failed input/close-input/kill like the reference
// server: a finished command is 410 "gone: … exit code N".
func (s *Server) inputErr(w http.ResponseWriter, r *http.Request, sid, cid string, err error) {
	if errors.Is(err, client.ErrClosed) {
		if ci, e := s.backend.GetCommand(r.Context(), sid, cid); e == nil && ci.ExitCode != nil {
			writeE1(w, r, http.StatusGone, "GONE", "gone: command has already completed with exit code "+strconv.Itoa(*ci.ExitCode), client.ErrClosed)
			return
		}
	}
	s.commandErr(w, r, sid, err)
}

func (s *Server) handleKill(w http.ResponseWriter, r *http.Request) {
	sid, cid := r.PathValue("sid"), r.PathValue("cid")
	if !validID(w, r, "session", sid) {
		return
	}
	var req wire.KillRequest
	if err := decode(r, &req); err != nil && err != io.EOF {
		badBody(w, r, "INVALID_REQUEST_BODY", "invalid body request: ", err)
		return
	}
	sig, p := signalFrom(req.Signal)
	if p != "" {
		writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST", "bad request: "+p, client.ErrInvalidArgument)
		return
	}
	if err := s.backend.KillCommand(r.Context(), s.backendSID(sid), cid, sig); err != nil {
		s.inputErr(w, r, sid, cid, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleCloseInput(w http.ResponseWriter, r *http.Request) {
	sid, cid := r.PathValue("sid"), r.PathValue("cid")
	if !validID(w, r, "session", sid) {
		return
	}
	if err := s.backend.CloseInput(r.Context(), s.backendSID(sid), cid); err != nil {
		s.inputErr(w, r, sid, cid, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
