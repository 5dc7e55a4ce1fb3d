package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/procsh/procsh/client"
)

// hiddenEntrypointSID is the backend session that holds the entrypoint
// command; the backend reserves "entrypoint" itself, so the server maps the
// wire id onto this one and hides it everywhere else.
const hiddenEntrypointSID = "procsh-entrypoint"

// entrypointCID is the wire id of the entrypoint command.
const entrypointCID = "entrypoint_command"

type entrypoint struct {
	sid, cid string // backend ids
}

// startEntrypoint runs argv (each word single-quoted) as an async command
// with input echo suppressed, as the reference daemon does.
func startEntrypoint(s *Server, argv []string) *entrypoint {
	ctx := context.Background()
	if err := s.backend.CreateSession(ctx, client.SessionOptions{ID: hiddenEntrypointSID}); err != nil {
		s.log.Error("entrypoint session", "err", err)
		return nil
	}
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	res, err := s.backend.ExecSession(ctx, hiddenEntrypointSID, client.SessionExecRequest{
		Command: strings.Join(words, " "), Async: true, SuppressInputEcho: true,
	})
	if err != nil {
		s.log.Error("entrypoint command", "err", err)
		return nil
	}
	return &entrypoint{sid: hiddenEntrypointSID, cid: res.CmdID}
}

// isHidden reports whether a wire session id names the internal
// entrypoint session.
func (s *Server) isHidden(id string) bool { return id == hiddenEntrypointSID }

// backendSID maps the wire session id "entrypoint" to the hidden session.
func (s *Server) backendSID(sid string) string {
	if sid == entrypointID && s.entrypoint != nil {
		return s.entrypoint.sid
	}
	return sid
}

// backendCID maps "entrypoint_command" in the entrypoint session.
func (s *Server) backendCID(sid, cid string) string {
	if sid == entrypointID && s.entrypoint != nil && cid == entrypointCID {
		return s.entrypoint.cid
	}
	return cid
}

func (s *Server) handleGetEntrypoint(w http.ResponseWriter, r *http.Request) {
	if s.entrypoint == nil {
		writeE1(w, r, http.StatusNotFound, "NOT_FOUND", "not found: session not found", client.ErrNotFound)
		return
	}
	si, err := s.backend.GetSession(r.Context(), s.entrypoint.sid)
	if err != nil {
		writeBackendE1(w, r, err, notFoundDetail(err, "session not found"))
		return
	}
	ws := wireSession(*si, ext(r))
	ws.SessionID = entrypointID
	for i := range ws.Commands {
		if ws.Commands[i].ID == s.entrypoint.cid {
			ws.Commands[i].ID = entrypointCID
		}
	}
	writeJSON(w, http.StatusOK, ws)
}
