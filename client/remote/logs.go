package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strconv"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// remoteLogStream reads a command's log over WebSocket: raw extension frames
// (1 stream byte + payload) from a procsh server, or marker-encoded frames
// demultiplexed with state across frames from a Daytona server.
type remoteLogStream struct {
	ctx     context.Context
	conn    *websocket.Conn
	release func()
	raw     bool
	skip    int64 // bytes still to drop (client-side offset on Daytona)
	offset  int64 // offset of the next byte delivered
	demux   wire.Demuxer
	pending []client.Chunk
	err     error // terminal: io.EOF or the failure
	exit    *wire.LogTextFrame
	hint    int // size of the last frame, to allocate the next in one go
}

// StreamCommandLogs implements Client.
func (r *Client) StreamCommandLogs(ctx context.Context, sessionID, commandID string, opts client.LogOptions) (client.LogStream, error) {
	const op = "stream command logs"
	if err := checkIDs(op, sessionID, commandID); err != nil {
		return nil, err
	}
	if opts.Offset < 0 {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "negative offset %d", opts.Offset)
	}
	q, raw, err := r.extQuery(ctx, wire.FeatLogRaw)
	if err != nil {
		return nil, err
	}
	if opts.Follow {
		q.Set("follow", "true")
	}
	st := &remoteLogStream{ctx: ctx, raw: raw, offset: opts.Offset}
	if raw {
		if opts.Offset > 0 {
			q.Set("offset", strconv.FormatInt(opts.Offset, 10))
		}
	} else {
		st.skip = opts.Offset
	}
	conn, release, err := r.dial(ctx, op, r.commandPath(sessionID, commandID)+"/logs", q)
	if err != nil {
		return nil, err
	}
	st.conn, st.release = conn, release
	return st, nil
}

// Recv implements LogStream.
func (s *remoteLogStream) Recv() (client.Chunk, error) {
	const op = "receive logs"
	for {
		if len(s.pending) > 0 {
			c := s.pending[0]
			s.pending = s.pending[1:]
			return c, nil
		}
		if s.err != nil {
			return client.Chunk{}, s.err
		}
		typ, data, err := s.readFrame()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) && s.ctx.Err() == nil {
				if ce, ok := err.(*websocket.CloseError); ok && ce.Code == websocket.CloseGoingAway {
					s.err = client.Errorf(op, client.ErrUnavailable, "server went away")
				} else {
					s.err = io.EOF
				}
			} else {
				s.err = wsErr(op, s.ctx, err)
			}
			if !s.raw {
				s.demux.Flush(s.emit)
			}
			s.release()
			continue
		}
		if typ == websocket.TextMessage {
			if !s.raw {
				s.deliver(wire.StreamStdout, data, false)
				continue
			}
			var f wire.LogTextFrame
			if json.Unmarshal(data, &f) == nil {
				switch f.Type {
				case wire.LogFrameExit:
					s.exit = &f
				case wire.LogFrameError:
					kind := client.KindFromWire(f.Kind)
					if kind == nil {
						kind = client.ErrUnavailable
					}
					s.err = &client.Error{Op: op, Kind: kind, Msg: f.Message}
					s.release()
				}
			}
			continue
		}
		if s.raw {
			if len(data) < 1 {
				continue
			}
			s.deliver(data[0], data[1:len(data):len(data)], false)
			continue
		}
		s.demux.Write(data, s.emit)
	}
}

// readFrame reads one message into a buffer of its own, which raw chunks
// then share without copying.
func (s *remoteLogStream) readFrame() (int, []byte, error) {
	typ, rd, err := s.conn.NextReader()
	if err != nil {
		return 0, nil, err
	}
	b := bytes.NewBuffer(make([]byte, 0, max(s.hint, 512)+bytes.MinRead))
	if _, err := b.ReadFrom(rd); err != nil {
		return 0, nil, err
	}
	s.hint = b.Len()
	return typ, b.Bytes(), nil
}

// emit receives demultiplexed runs, which live in the demuxer's buffer.
func (s *remoteLogStream) emit(stream byte, data []byte) { s.deliver(stream, data, true) }

// deliver queues data (copied when it is not the caller's to keep),
// dropping what a client-side offset skips.
func (s *remoteLogStream) deliver(stream byte, data []byte, copyData bool) {
	if s.skip > 0 {
		n := min(int64(len(data)), s.skip)
		s.skip -= n
		data = data[n:]
	}
	if len(data) == 0 {
		return
	}
	st := client.Stdout
	if stream == wire.StreamStderr {
		st = client.Stderr
	}
	if copyData {
		data = append([]byte(nil), data...)
	}
	c := client.Chunk{Stream: st, Offset: s.offset, Data: data}
	s.offset += int64(len(data))
	s.pending = append(s.pending, c)
}

// ExitCode returns the exit status sent at the end of the stream by a
// procsh server, once Recv has returned io.EOF.
func (s *remoteLogStream) ExitCode() (code int, ok bool) {
	if s.exit == nil || s.exit.ExitCode == nil {
		return 0, false
	}
	return *s.exit.ExitCode, true
}

// Close implements LogStream.
func (s *remoteLogStream) Close() error {
	// Closing the connection fails a concurrent Recv with ErrClosed.
	s.release()
	return nil
}
