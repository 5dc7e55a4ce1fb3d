package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// ptyFrame is the largest binary output frame on a PTY connection.
const ptyFrame = 32 << 10

func wirePTY(p client.PTYInfo) wire.PtySessionInfo {
	env := p.Env
	if env == nil {
		env = map[string]string{}
	}
	return wire.PtySessionInfo{
		ID: p.ID, Cwd: p.Cwd, Envs: env, Cols: p.Cols, Rows: p.Rows,
		CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339Nano), Active: p.Active, LazyStart: p.LazyStart,
	}
}

func wirePTYAny(p client.PTYInfo, extended bool) any {
	if !extended {
		return wirePTY(p)
	}
	return wire.PtySessionInfoExt{PtySessionInfo: wirePTY(p), Exited: p.Exited, ExitCode: p.ExitCode, ExitReason: p.ExitReason}
}

func (s *Server) handleListPTYs(w http.ResponseWriter, r *http.Request) {
	list, err := s.backend.ListPTYs(r.Context())
	if err != nil {
		writeE3(w, r, http.StatusInternalServerError, err.Error(), kindOf(err))
		return
	}
	out := wire.PtyListResponse[any]{Sessions: []any{}}
	for _, p := range list {
		if p.Exited && !ext(r) {
			continue // the reference server forgets ended PTYs at once
		}
		out.Sessions = append(out.Sessions, wirePTYAny(p, ext(r)))
	}
	writeJSON(w, http.StatusOK, out)
}

func validPTYID(w http.ResponseWriter, r *http.Request, id string) bool {
	if p := idProblem(id); p != "" {
		writeE3(w, r, http.StatusBadRequest, "invalid PTY session ID: "+p, client.ErrInvalidArgument)
		return false
	}
	return true
}

func (s *Server) handleCreatePTY(w http.ResponseWriter, r *http.Request) {
	var req wire.PtyCreateRequest
	if err := decode(r, &req); err != nil {
		if isTooLarge(err) {
			badBody(w, r, "", "", err)
			return
		}
		writeE3(w, r, http.StatusBadRequest, err.Error(), client.ErrInvalidArgument)
		return
	}
	switch {
	case req.ID == "":
		writeE3(w, r, http.StatusBadRequest, "session ID is required", client.ErrInvalidArgument)
		return
	case req.Cols > 1000:
		writeE3(w, r, http.StatusBadRequest, "invalid value for cols - must be less than 1000", client.ErrInvalidArgument)
		return
	case req.Rows > 1000:
		writeE3(w, r, http.StatusBadRequest, "invalid value for rows - must be less than 1000", client.ErrInvalidArgument)
		return
	}
	if !validPTYID(w, r, req.ID) {
		return
	}
	if req.ID == createConnectID {
		writeE3(w, r, http.StatusBadRequest, "invalid PTY session ID: '"+createConnectID+"' is reserved", client.ErrInvalidArgument)
		return
	}
	if p := envProblem(req.Envs); p != "" {
		writeE3(w, r, http.StatusBadRequest, p, client.ErrInvalidArgument)
		return
	}
	opts := client.PTYOptions{ID: req.ID, Cwd: req.Cwd, Env: req.Envs, Cols: req.Cols, Rows: req.Rows, LazyStart: req.LazyStart}
	if ext(r) {
		opts.Command = req.Command
	}
	if _, err := s.backend.CreatePTY(context.WithoutCancel(r.Context()), opts); err != nil {
		switch {
		case errors.Is(err, client.ErrConflict):
			writeE3(w, r, http.StatusConflict, "PTY session with ID '"+req.ID+"' already exists", client.ErrConflict)
		case errors.Is(err, client.ErrInvalidArgument):
			writeE3(w, r, http.StatusBadRequest, err.Error(), client.ErrInvalidArgument)
		default:
			msg := "failed to start PTY session"
			if ext(r) {
				msg += ": " + err.Error()
			}
			writeE3(w, r, http.StatusInternalServerError, msg, kindOf(err))
		}
		return
	}
	s.leaseOwn(r, true, req.ID)
	writeJSON(w, http.StatusCreated, wire.PtyCreateResponse{SessionID: req.ID})
}

// lookupPTY returns a PTY as a Daytona client may see it: an ended one is
// gone unless the client opted into the extensions.
func (s *Server) lookupPTY(ctx context.Context, id string, extended bool) (*client.PTYInfo, error) {
	p, err := s.backend.GetPTY(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Exited && !extended {
		return p, client.Errorf("get pty", client.ErrClosed, "PTY session '%s' has terminated and is no longer available", id)
	}
	return p, nil
}

func (s *Server) handleGetPTY(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validPTYID(w, r, id) {
		return
	}
	p, err := s.lookupPTY(r.Context(), id, ext(r))
	if err != nil {
		if errors.Is(err, client.ErrNotFound) || errors.Is(err, client.ErrClosed) {
			writeE3(w, r, http.StatusNotFound, "PTY session not found", client.ErrNotFound)
			return
		}
		writeE3(w, r, http.StatusInternalServerError, err.Error(), kindOf(err))
		return
	}
	writeJSON(w, http.StatusOK, wirePTYAny(*p, ext(r)))
}

func (s *Server) handleDeletePTY(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validPTYID(w, r, id) {
		return
	}
	s.leaseDrop(true, id)
	if err := s.backend.KillPTY(context.WithoutCancel(r.Context()), id); err != nil {
		if errors.Is(err, client.ErrNotFound) {
			writeE3(w, r, http.StatusNotFound, "PTY session not found", client.ErrNotFound)
			return
		}
		writeE3(w, r, http.StatusInternalServerError, err.Error(), kindOf(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "PTY session deleted"})
}

func (s *Server) handleResizePTY(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req wire.PtyResizeRequest
	if err := decode(r, &req); err != nil {
		if isTooLarge(err) {
			badBody(w, r, "", "", err)
			return
		}
		writeE3(w, r, http.StatusBadRequest, err.Error(), client.ErrInvalidArgument)
		return
	}
	switch {
	case req.Cols > 1000:
		writeE3(w, r, http.StatusBadRequest, "cols must be less than 1000", client.ErrInvalidArgument)
		return
	case req.Rows > 1000:
		writeE3(w, r, http.StatusBadRequest, "rows must be less than 1000", client.ErrInvalidArgument)
		return
	}
	if !validPTYID(w, r, id) {
		return
	}
	info, err := s.lookupPTY(r.Context(), id, ext(r))
	if err != nil && (errors.Is(err, client.ErrNotFound) || errors.Is(err, client.ErrClosed)) {
		writeE3(w, r, http.StatusGone, "PTY session "+id+" not found", client.ErrNotFound)
		return
	}
	if err == nil && !ext(r) && info.LazyStart && !info.Active && !info.Exited {
		// The reference refuses to resize a lazy PTY nobody connected to
		// yet; procsh clients may size it before it starts.
		writeE3(w, r, http.StatusInternalServerError, "cannot resize inactive PTY session", client.ErrClosed)
		return
	}
	p, err := s.backend.ResizePTY(r.Context(), id, req.Cols, req.Rows)
	if err != nil {
		switch {
		case errors.Is(err, client.ErrNotFound):
			writeE3(w, r, http.StatusGone, "PTY session "+id+" not found", client.ErrNotFound)
		case errors.Is(err, client.ErrInvalidArgument):
			writeE3(w, r, http.StatusBadRequest, err.Error(), client.ErrInvalidArgument)
		default:
			writeE3(w, r, http.StatusInternalServerError, err.Error(), kindOf(err))
		}
		return
	}
	writeJSON(w, http.StatusOK, wirePTYAny(*p, ext(r)))
}

// exitReasonFor is the reason string of docs/protocol.md §7.4 for how a
// PTY program ended; "" for exit 0.
func exitReasonFor(res client.PTYResult) string {
	if res.ExitCode != 0 && res.Reason != "" {
		return res.Reason
	}
	return client.PTYExitReason(res.ExitCode)
}

// ptyCloseFor maps how a PTY program ended to the close frame of docs/protocol.md §7.4.
func ptyCloseFor(res client.PTYResult) (int, string) {
	code := res.ExitCode
	reason := exitReasonFor(res)
	b, _ := json.Marshal(wire.PtyExit{ExitCode: &code, ExitReason: reason})
	if code == 0 {
		return websocket.CloseNormalClosure, string(b)
	}
	return websocket.CloseInternalServerErr, string(b)
}

// exitedFrame is the "exited" control frame sent, before the close frame,
// to connections that offered exit control (docs/protocol.md §12.2).
func exitedFrame(res client.PTYResult) []byte {
	code := res.ExitCode
	b, _ := json.Marshal(wire.PtyControl{Type: "control", Status: "exited", ExitCode: &code, ExitReason: exitReasonFor(res)})
	return b
}

func (s *Server) handleConnectPTY(w http.ResponseWriter, r *http.Request) {
	s.connectPTY(w, r, r.PathValue("id"))
}

// connectPTY attaches the upgrade r to PTY id (docs/protocol.md §7.4, and
// the exited frame of §12.2 for connections that offered exit control). It
// reports false when the upgrade itself failed.
func (s *Server) connectPTY(w http.ResponseWriter, r *http.Request, id string) bool {
	extended := ext(r)
	exitControl := wire.Offers(r, wire.ExitControlProtocol)
	conn, ok := s.upgrade(w, r, wire.ClassOf(r))
	if !ok {
		return false
	}
	defer s.untrackConn(conn)
	var wmu sync.Mutex
	write := func(typ int, b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		_ = conn.SetWriteDeadline(time.Now().Add(s.writeWait))
		return conn.WriteMessage(typ, b)
	}
	fail := func(detail string, err error) {
		b, _ := json.Marshal(wire.PtyControl{Error: "Failed to connect to PTY session: " + detail, Kind: kindIf(extended, err), Status: "error", Type: "control"})
		_ = write(websocket.TextMessage, b)
		// The reference server drops the connection without a close frame.
		conn.Close()
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	if _, err := s.lookupPTY(ctx, id, extended); err != nil {
		switch {
		case errors.Is(err, client.ErrNotFound):
			fail("PTY session "+id+" not found", err)
		case errors.Is(err, client.ErrClosed):
			fail("PTY session '"+id+"' has terminated and is no longer available", err)
		default:
			fail(err.Error(), err)
		}
		return true
	}
	h, err := s.backend.ConnectPTY(ctx, id, client.PTYConnectOptions{Scrollback: extended && r.URL.Query().Get("scrollback") == "true"})
	if err != nil {
		if errors.Is(err, client.ErrNotFound) {
			fail("PTY session "+id+" not found", err)
		} else {
			fail("failed to start PTY session: "+err.Error(), err)
		}
		return true
	}
	defer h.Close()
	hello := wire.PtyControl{Status: "connected", Type: "control"}
	if extended {
		hello.Scrollback, hello.Truncated = h.Scrollback()
	}
	b, _ := json.Marshal(hello)
	if err := write(websocket.TextMessage, b); err != nil {
		conn.Close()
		return true
	}

	// Input: client frames go to the PTY verbatim. A message over the
	// limit makes gorilla answer 1009 and fail the read.
	inputDone := make(chan struct{})
	var inputErr error
	conn.SetReadLimit(s.maxMsg)
	ack, _ := json.Marshal(wire.PtyControl{Status: "ack", Type: "control"})
	acked := extended && r.URL.Query().Get("ack") == "true"
	go func() {
		defer close(inputDone)
		// The client is gone (or its input failed): release the handle,
		// which also ends a Read blocked on an idle PTY.
		defer h.Close()
		defer cancel()
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if _, err := h.Write(data); err != nil {
				inputErr = err
				return
			}
			if acked {
				if err := write(websocket.TextMessage, ack); err != nil {
					return
				}
			}
		}
	}()

	buf := make([]byte, ptyFrame)
	for {
		n, err := h.Read(buf)
		if n > 0 {
			if werr := write(websocket.BinaryMessage, buf[:n]); werr != nil {
				conn.Close()
				return true
			}
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			// Client gone, input failed, or shutdown.
			if inputErr != nil {
				s.closeWS(conn, nil, websocket.CloseInternalServerErr, "PTY session unavailable")
			}
			conn.Close()
			return true
		}
		if err == io.EOF {
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			res, werr := h.Wait(wctx)
			wcancel()
			if werr != nil {
				s.closeWS(conn, inputDone, websocket.CloseInternalServerErr, "PTY session unavailable")
				return true
			}
			if exitControl {
				_ = write(websocket.TextMessage, exitedFrame(res))
			}
			code, reason := ptyCloseFor(res)
			s.closeWS(conn, inputDone, code, reason)
			return true
		}
		if strings.Contains(err.Error(), "slow consumer") {
			s.closeWS(conn, inputDone, websocket.ClosePolicyViolation, "slow consumer")
			return true
		}
		s.closeWS(conn, inputDone, websocket.CloseInternalServerErr, "PTY session unavailable")
		return true
	}
}

func kindIf(extended bool, err error) string {
	if !extended || err == nil {
		return ""
	}
	return client.WireKind(kindOf(err))
}
