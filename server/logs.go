package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// maxFrame bounds the payload of one log frame. Every frame starts at a
// marker boundary (a courtesy to stateless clients, docs/protocol.md §9.4).
const maxFrame = 64 << 10

// maxRawFrame bounds the payload of one extended (raw) log frame.
const maxRawFrame = 1 << 20

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	sid, cid := r.PathValue("sid"), r.PathValue("cid")
	if !validID(w, r, "session", sid) {
		return
	}
	if s.isHidden(sid) {
		writeE1(w, r, http.StatusNotFound, "NOT_FOUND", "not found: session not found", client.ErrNotFound)
		return
	}
	s.serveLogs(w, r, s.backendSID(sid), s.backendCID(sid, cid), sid != entrypointID)
}

func (s *Server) handleEntrypointLogs(w http.ResponseWriter, r *http.Request) {
	if s.entrypoint == nil {
		writeE1(w, r, http.StatusNotFound, "NOT_FOUND", "not found: session not found", client.ErrNotFound)
		return
	}
	s.serveLogs(w, r, s.entrypoint.sid, s.entrypoint.cid, false)
}

// serveLogs answers a log request on backend ids sid/cid over HTTP or
// WebSocket; mayCombine is false for the entrypoint, which is never combined.
func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request, sid, cid string, mayCombine bool) {
	if _, err := s.backend.GetCommand(r.Context(), sid, cid); err != nil {
		s.commandErr(w, r, sid, err)
		return
	}
	cls := wire.ClassOf(r)
	combined := cls.Combined && mayCombine
	if isUpgrade(r) {
		s.serveLogWS(w, r, sid, cid, cls, combined)
		return
	}
	st, err := s.backend.StreamCommandLogs(r.Context(), sid, cid, client.LogOptions{})
	if err != nil {
		s.commandErr(w, r, sid, err)
		return
	}
	defer st.Close()
	var marked, plain, stdout, stderr []byte
	var last client.Stream
	for {
		c, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.commandErr(w, r, sid, err)
			return
		}
		plain = append(plain, c.Data...)
		if c.Stream == client.Stderr {
			stderr = append(stderr, c.Data...)
		} else {
			stdout = append(stdout, c.Data...)
		}
		if c.Stream != last {
			marked = wire.AppendChunk(marked, streamByte(c.Stream), c.Data)
			last = c.Stream
		} else {
			marked = append(marked, c.Data...)
		}
	}
	switch {
	case combined:
		writePlain(w, plain)
	case cls.SkipDemux:
		writePlain(w, marked)
	default:
		writeJSON(w, http.StatusOK, wire.LogsResponse{Output: string(marked), Stdout: string(stdout), Stderr: string(stderr)})
	}
}

func writePlain(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// upgrade switches to WebSocket, echoing the version subprotocol, and
// registers the connection for Shutdown.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, cls wire.Class) (*websocket.Conn, bool) {
	// Echo exactly one offered subprotocol when any we know is offered,
	// none otherwise: Node's ws client aborts on anything else
	// (docs/protocol.md §12.1). The version gates already used cls.
	var h http.Header
	if p := wire.SelectSubprotocol(r); p != "" {
		h = http.Header{"Sec-Websocket-Protocol": {p}}
	}
	conn, err := s.upgrader.Upgrade(w, r, h)
	if err != nil {
		return nil, false // the upgrader answered 400 Bad Request
	}
	if !s.trackConn(conn) {
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		conn.Close()
		return nil, false
	}
	return conn, true
}

// drain reads (and discards) client frames so pings get answered and a
// client close or disconnect is noticed; done is closed when the
// connection is gone.
func drain(conn *websocket.Conn, limit int64, onGone func()) (done chan struct{}) {
	done = make(chan struct{})
	conn.SetReadLimit(limit)
	go func() {
		defer close(done)
		defer onGone()
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	return done
}

// closeWS sends a close frame, gives the peer a moment to answer it (so its
// unread data is not lost to a reset), then closes the connection.
func (s *Server) closeWS(conn *websocket.Conn, readerDone <-chan struct{}, code int, reason string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	if readerDone != nil {
		select {
		case <-readerDone:
		case <-time.After(time.Second):
		}
	}
	conn.Close()
}

func (s *Server) serveLogWS(w http.ResponseWriter, r *http.Request, sid, cid string, cls wire.Class, combined bool) {
	q := r.URL.Query()
	follow := q.Get("follow") == "true"
	extended := ext(r)
	var offset int64
	if extended && q.Get("offset") != "" {
		n, err := strconv.ParseInt(q.Get("offset"), 10, 64)
		if err != nil || n < 0 {
			writeE1(w, r, http.StatusBadRequest, "BAD_REQUEST", "bad request: invalid offset", client.ErrInvalidArgument)
			return
		}
		offset = n
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	st, err := s.backend.StreamCommandLogs(ctx, sid, cid, client.LogOptions{Offset: offset, Follow: follow})
	if err != nil {
		s.commandErr(w, r, sid, err)
		return
	}
	defer st.Close()
	conn, ok := s.upgrade(w, r, cls)
	if !ok {
		return
	}
	defer s.untrackConn(conn)
	readerDone := drain(conn, s.maxMsg, cancel)

	send := func(b []byte) error {
		// No write timeout on log data: a follower that pauses (a slow
		// loop over its lines) is flow-controlled — the log waits on disk
		// while TCP holds the writer back — instead of being dropped. A
		// follower that goes away ends the write (reset), so does
		// Shutdown (the connection is closed).
		_ = conn.SetWriteDeadline(time.Time{})
		return conn.WriteMessage(websocket.BinaryMessage, b)
	}
	// A pump goroutine receives chunks so the writer can coalesce what has
	// already arrived into one frame: fewer, larger frames are what makes
	// a followed log fast.
	type item struct {
		c   client.Chunk
		err error
	}
	items := make(chan item, 64)
	go func() {
		defer close(items)
		for {
			c, err := st.Recv()
			select {
			case items <- item{c, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	limit := maxFrame
	if extended {
		limit = maxRawFrame
	}
	var frame []byte
	var recvErr error
	var held *item // a chunk of the other stream, for the next frame
	for recvErr == nil {
		var it item
		if held != nil {
			it, held = *held, nil
		} else {
			var ok bool
			if it, ok = <-items; !ok {
				recvErr = ctx.Err()
				break
			}
		}
		if it.err != nil {
			recvErr = it.err
			break
		}
		stream := streamByte(it.c.Stream)
		data := it.c.Data
		for len(data) > 0 {
			n := min(len(data), limit)
			switch {
			case extended:
				frame = append(append(frame[:0], stream), data[:n]...)
			case combined:
				frame = append(frame[:0], data[:n]...)
			default:
				frame = wire.AppendChunk(frame[:0], stream, data[:n])
			}
			data = data[n:]
			// Coalesce chunks of the same stream that are already waiting.
			for len(data) == 0 && len(frame) < limit && held == nil {
				var more item
				var ok bool
				select {
				case more, ok = <-items:
				default:
				}
				if !ok {
					break
				}
				if more.err != nil || streamByte(more.c.Stream) != stream {
					held = &more
					break
				}
				room := limit - len(frame)
				take := min(room, len(more.c.Data))
				frame = append(frame, more.c.Data[:take]...)
				data = more.c.Data[take:]
			}
			if err := send(frame); err != nil {
				s.log.Debug("log follower write failed", "session", sid, "command", cid, "err", err)
				cancel()
				conn.Close()
				return
			}
		}
	}
	if ctx.Err() != nil {
		// Client gone or server shutting down (Shutdown sent 1001).
		conn.Close()
		return
	}
	if recvErr == io.EOF {
		if extended {
			if ci, err := s.backend.GetCommand(ctx, sid, cid); err == nil && ci.ExitCode != nil {
				reason := "exited"
				if ci.Signal != "" {
					reason = "signaled"
				}
				s.sendText(conn, wire.LogTextFrame{Type: wire.LogFrameExit, ExitCode: ci.ExitCode, Signal: ci.Signal, Reason: reason})
			}
		}
		s.closeWS(conn, readerDone, websocket.CloseNormalClosure, "")
		return
	}
	// The session was deleted under us (reference: close 1000) or the
	// backend failed (1011).
	code := websocket.CloseInternalServerErr
	if errors.Is(recvErr, client.ErrClosed) || errors.Is(recvErr, client.ErrNotFound) {
		code = websocket.CloseNormalClosure
	}
	if extended {
		s.sendText(conn, wire.LogTextFrame{Type: wire.LogFrameError, Kind: client.WireKind(kindOf(recvErr)), Message: recvErr.Error()})
	}
	s.closeWS(conn, readerDone, code, "")
}

func (s *Server) sendText(conn *websocket.Conn, v any) {
	b, _ := json.Marshal(v)
	_ = conn.SetWriteDeadline(time.Now().Add(s.writeWait))
	_ = conn.WriteMessage(websocket.TextMessage, b)
}
