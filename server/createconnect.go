package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// createConnectID is the last path segment of the create-connect route; it
// is refused as a PTY id so the route stays unambiguous.
const createConnectID = "create-connect"

// handleCreateConnectPTY is GET /process/pty/create-connect
// (docs/protocol.md §12.1): one WebSocket upgrade that creates a PTY
// (eagerly, from the query's id, cols, rows and cwd and the env carried in
// the X-Daytona-Pty-Envs~ subprotocol) and attaches to it. Argument errors
// are answered before the upgrade with a structured error (only new SDKs use
// this route), so nothing is created and Go and Python SDKs type the
// status; a PTY that cannot start (a bad cwd) is reported after it, as the
// v0.190 control error frame, whose text the TS SDK shows.
func (s *Server) handleCreateConnectPTY(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, msg string, kind error) {
		writeErrorResponse(w, r, apiError{status, code, msg}, kind)
	}
	if !websocket.IsWebSocketUpgrade(r) {
		fail(http.StatusBadRequest, wire.CodeBadRequest, "bad request: create-connect needs a WebSocket upgrade", client.ErrInvalidArgument)
		return
	}
	q := r.URL.Query()
	id := q.Get("id")
	if id == "" {
		fail(http.StatusBadRequest, wire.CodeInvalidRequestBody, "invalid body request: session ID is required", client.ErrInvalidArgument)
		return
	}
	if p := idProblem(id); p != "" || id == createConnectID {
		if p == "" {
			p = "'" + createConnectID + "' is reserved"
		}
		fail(http.StatusBadRequest, wire.CodeBadRequest, "bad request: invalid PTY session ID: "+p, client.ErrInvalidArgument)
		return
	}
	size := func(name string, def uint16) (uint16, bool) {
		v := q.Get(name)
		if v == "" {
			return def, true
		}
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil || n > 1000 {
			fail(http.StatusBadRequest, wire.CodeBadRequest, "bad request: invalid value for "+name+" - must be less than 1000", client.ErrInvalidArgument)
			return 0, false
		}
		return uint16(n), true
	}
	cols, ok := size("cols", 80)
	if !ok {
		return
	}
	rows, ok := size("rows", 24)
	if !ok {
		return
	}
	env, _, err := wire.EnvsFromProtocols(r)
	if err != nil {
		fail(http.StatusBadRequest, wire.CodeBadRequest, "bad request: "+err.Error(), client.ErrInvalidArgument)
		return
	}
	if p := envProblem(env); p != "" {
		fail(http.StatusBadRequest, wire.CodeBadRequest, "bad request: "+p, client.ErrInvalidArgument)
		return
	}
	opts := client.PTYOptions{ID: id, Cwd: q.Get("cwd"), Env: env, Cols: cols, Rows: rows}
	if _, err := s.backend.CreatePTY(context.WithoutCancel(r.Context()), opts); err != nil {
		switch {
		case errors.Is(err, client.ErrConflict):
			fail(http.StatusConflict, wire.CodeConflict, "conflict: PTY session with ID '"+id+"' already exists", client.ErrConflict)
		default:
			// The shell cannot start (a bad cwd): after the upgrade, so the
			// TS SDK shows the message (a refused handshake reaches it as
			// "[object Object]").
			s.refuseUpgrade(w, r, "failed to start PTY session: "+err.Error(), err)
		}
		return
	}
	s.leaseOwn(r, true, id)
	if !s.connectPTY(w, r, id) {
		// The handshake failed after the PTY was made: leave nothing behind.
		_ = s.backend.KillPTY(context.WithoutCancel(r.Context()), id)
	}
}

// refuseUpgrade upgrades r only to send the v0.190 control error frame and
// drop the connection (docs/protocol.md §7.4).
func (s *Server) refuseUpgrade(w http.ResponseWriter, r *http.Request, detail string, err error) {
	conn, ok := s.upgrade(w, r, wire.ClassOf(r))
	if !ok {
		return
	}
	defer s.untrackConn(conn)
	b, _ := json.Marshal(wire.PtyControl{Error: "Failed to connect to PTY session: " + detail, Kind: kindIf(ext(r), err), Status: "error", Type: "control"})
	_ = conn.SetWriteDeadline(time.Now().Add(s.writeWait))
	_ = conn.WriteMessage(websocket.TextMessage, b)
	conn.Close()
}
