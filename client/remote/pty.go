package remote

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

func ptyInfo(p wire.PtySessionInfoExt) client.PTYInfo {
	t, _ := time.Parse(time.RFC3339Nano, p.CreatedAt)
	return client.PTYInfo{
		ID: p.ID, Cwd: p.Cwd, Env: p.Envs, Cols: p.Cols, Rows: p.Rows, CreatedAt: t,
		Active: p.Active, LazyStart: p.LazyStart, Exited: p.Exited, ExitCode: p.ExitCode, ExitReason: p.ExitReason,
	}
}

// CreatePTY implements Client.
func (r *Client) CreatePTY(ctx context.Context, opts client.PTYOptions) (*client.PTYInfo, error) {
	const op = "create pty"
	if err := checkID(op, "PTY", opts.ID); err != nil {
		return nil, err
	}
	q, extended, err := r.extQuery(ctx, wire.FeatPtyCommand)
	if err != nil {
		return nil, err
	}
	if len(opts.Command) > 0 && !extended {
		return nil, client.Errorf(op, client.ErrUnsupported, "the server cannot run a custom PTY command")
	}
	if r.canCreateConnect(opts) {
		h, err := r.createConnect(ctx, op, opts, client.PTYConnectOptions{})
		switch {
		case err == nil:
			// The PTY outlives the creating socket (docs/protocol.md §12.1).
			_ = h.Close()
			return r.GetPTY(ctx, opts.ID)
		case !errors.Is(err, errNoCreateConnect):
			return nil, err
		}
	}
	if err := r.postPTY(ctx, op, q, opts); err != nil {
		return nil, err
	}
	return r.GetPTY(ctx, opts.ID)
}

// postPTY creates a PTY with POST /process/pty, the v0.190 way.
func (r *Client) postPTY(ctx context.Context, op string, q url.Values, opts client.PTYOptions) error {
	in := wire.PtyCreateRequest{ID: opts.ID, Cwd: opts.Cwd, Envs: opts.Env, Cols: opts.Cols, Rows: opts.Rows, LazyStart: opts.LazyStart, Command: opts.Command}
	if _, err := r.call(ctx, op, http.MethodPost, "/process/pty", q, jsonBody(in), nil); err != nil {
		return err
	}
	r.own(r.ownPTYs, opts.ID, true)
	return nil
}

// errNoCreateConnect marks a server without the create-connect route.
var errNoCreateConnect = errors.New("the server has no create-connect route")

// canCreateConnect reports whether opts can be created over create-connect:
// an eager PTY running the default shell (the route has neither lazyStart
// nor a command), on a server not yet known to lack the route.
func (r *Client) canCreateConnect(opts client.PTYOptions) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !opts.LazyStart && len(opts.Command) == 0 && !r.noCreateConnect
}

// CreateConnectPTY creates a PTY and attaches to it: in one round trip over
// GET /process/pty/create-connect where the server offers it (Daytona since
// v0.197, procsh serve), with the PTY's env in the subprotocol token and
// exit control negotiated; against a v0.190 server (which answers the route
// with 404), or for a lazy PTY or a custom command, with POST /process/pty
// and ConnectPTY. Close detaches; the PTY keeps running.
func (r *Client) CreateConnectPTY(ctx context.Context, opts client.PTYOptions, copts client.PTYConnectOptions) (client.PTYHandle, error) {
	const op = "create pty"
	if err := checkID(op, "PTY", opts.ID); err != nil {
		return nil, err
	}
	if r.canCreateConnect(opts) && !copts.Scrollback {
		h, err := r.createConnect(ctx, op, opts, copts)
		if !errors.Is(err, errNoCreateConnect) {
			return h, err
		}
	}
	if _, err := r.CreatePTY(ctx, opts); err != nil {
		return nil, err
	}
	return r.ConnectPTY(ctx, opts.ID, copts)
}

// createConnect opens GET /process/pty/create-connect for opts
// (docs/protocol.md §12.1): id, cols and rows (80x24 by default) and cwd in
// the query, env only as the envs subprotocol token and only when there is
// one. A 404 handshake means a server without the route: it is remembered
// and reported as errNoCreateConnect, so the caller falls back.
func (r *Client) createConnect(ctx context.Context, op string, opts client.PTYOptions, copts client.PTYConnectOptions) (*remotePTY, error) {
	cols, rows := opts.Cols, opts.Rows
	if cols == 0 {
		cols = 80
	}
	if rows == 0 {
		rows = 24
	}
	q := url.Values{"id": {opts.ID}, "cols": {strconv.Itoa(int(cols))}, "rows": {strconv.Itoa(int(rows))}}
	if opts.Cwd != "" {
		q.Set("cwd", opts.Cwd)
	}
	if ok, _ := r.has(ctx, wire.FeatErrorKind); ok {
		q.Set(wire.ExtParam, "1") // typed errors from a procsh server
	}
	protocols := []string{wire.ExitControlProtocol}
	if len(opts.Env) > 0 {
		tok, err := wire.EnvsProtocol(opts.Env)
		if err != nil {
			return nil, &client.Error{Op: op, Kind: client.ErrInvalidArgument, Err: err}
		}
		protocols = append(protocols, tok)
	}
	h, err := r.attach(ctx, op, opts.ID, "/process/pty/create-connect", q, false, protocols)
	if err != nil {
		var ce *client.Error
		if errors.As(err, &ce) && ce.Kind == client.ErrNotFound && ce.Op == op && !strings.HasPrefix(ce.Msg, "Failed to connect") {
			r.mu.Lock()
			r.noCreateConnect = true
			r.mu.Unlock()
			return nil, errNoCreateConnect
		}
		return nil, err
	}
	r.own(r.ownPTYs, opts.ID, true)
	return h, nil
}

// GetPTY implements Client.
func (r *Client) GetPTY(ctx context.Context, id string) (*client.PTYInfo, error) {
	const op = "get pty"
	if err := checkID(op, "PTY", id); err != nil {
		return nil, err
	}
	return r.ptyInfoCall(ctx, op, http.MethodGet, "/process/pty/"+pe(id), noBody)
}

// ptyInfoCall makes a call that answers one PTY's description.
func (r *Client) ptyInfoCall(ctx context.Context, op, method, path string, body payload) (*client.PTYInfo, error) {
	q, _, err := r.extQuery(ctx, wire.FeatPtyExit)
	if err != nil {
		return nil, err
	}
	var p wire.PtySessionInfoExt
	if _, err := r.call(ctx, op, method, path, q, body, jsonInto(&p)); err != nil {
		return nil, err
	}
	info := ptyInfo(p)
	return &info, nil
}

// ListPTYs implements Client.
func (r *Client) ListPTYs(ctx context.Context) ([]client.PTYInfo, error) {
	q, _, err := r.extQuery(ctx, wire.FeatPtyExit)
	if err != nil {
		return nil, err
	}
	var list wire.PtyListResponse[wire.PtySessionInfoExt]
	if _, err := r.call(ctx, "list ptys", http.MethodGet, "/process/pty", q, noBody, jsonInto(&list)); err != nil {
		return nil, err
	}
	out := make([]client.PTYInfo, 0, len(list.Sessions))
	for _, p := range list.Sessions {
		out = append(out, ptyInfo(p))
	}
	slices.SortFunc(out, func(a, b client.PTYInfo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// ResizePTY implements Client.
func (r *Client) ResizePTY(ctx context.Context, id string, cols, rows uint16) (*client.PTYInfo, error) {
	const op = "resize pty"
	if err := checkID(op, "PTY", id); err != nil {
		return nil, err
	}
	return r.ptyInfoCall(ctx, op, http.MethodPost, "/process/pty/"+pe(id)+"/resize", jsonBody(wire.PtyResizeRequest{Cols: cols, Rows: rows}))
}

// KillPTY implements Client.
func (r *Client) KillPTY(ctx context.Context, id string) error {
	const op = "kill pty"
	if err := checkID(op, "PTY", id); err != nil {
		return err
	}
	q, _, err := r.extQuery(ctx, wire.FeatErrorKind)
	if err != nil {
		return err
	}
	_, err = r.call(ctx, op, http.MethodDelete, "/process/pty/"+pe(id), q, noBody, nil)
	if err == nil || errors.Is(err, client.ErrNotFound) {
		r.own(r.ownPTYs, id, false)
	}
	return err
}

// maxPTYBuffer bounds unread PTY output held by a remote handle. A handle
// that falls further behind is disconnected from the output as a slow
// consumer (as the local backend does): Read returns what was buffered,
// then an error matching ErrClosed; Wait still reports the exit.
const maxPTYBuffer = 4 << 20

// remotePTY is a PTYHandle over the PTY WebSocket.
type remotePTY struct {
	r       *Client
	id      string
	conn    *websocket.Conn
	release func()
	wmu     sync.Mutex

	scroll    []byte
	truncated bool

	acked bool          // the server acknowledges each input message
	acks  chan struct{} // one per acknowledged input message

	mu      sync.Mutex
	cond    *sync.Cond
	buf     []byte
	slowErr error // set when the handle fell maxPTYBuffer behind
	ended   bool  // reader finished
	endErr  error // nil: program exited (result valid)
	result  client.PTYResult
	exited  *client.PTYResult // from an "exited" control frame
	closed  bool
	done    chan struct{}
}

// ptyConnectTimeout bounds the wait for the "connected" (or "exited")
// control frame, as the SDKs do (a variable for tests).
var ptyConnectTimeout = 10 * time.Second

// ConnectPTY implements Client. It offers exit control and waits for the
// server's "connected" control frame (or "exited", for a program that ended
// at once); an "error" control frame is a connection error.
func (r *Client) ConnectPTY(ctx context.Context, id string, opts client.PTYConnectOptions) (client.PTYHandle, error) {
	const op = "connect pty"
	if err := checkID(op, "PTY", id); err != nil {
		return nil, err
	}
	q, extended, err := r.extQuery(ctx, wire.FeatPtyScrollback)
	if err != nil {
		return nil, err
	}
	if opts.Scrollback && extended {
		q.Set("scrollback", "true")
	}
	if extended {
		q.Set("ack", "true")
	}
	h, err := r.attach(ctx, op, id, "/process/pty/"+pe(id)+"/connect", q, extended, []string{wire.ExitControlProtocol})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// attach opens a PTY WebSocket at path and waits for it to be established.
func (r *Client) attach(ctx context.Context, op, id, path string, q url.Values, acked bool, protocols []string) (*remotePTY, error) {
	// The handle outlives ctx: ctx bounds only the handshake.
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	conn, release, err := r.dial(dctx, op, path, q, protocols...)
	if err != nil {
		stop()
		cancel()
		if ctx.Err() != nil {
			return nil, transportErr(op, ctx, ctx.Err())
		}
		return nil, err
	}
	h := &remotePTY{r: r, id: id, conn: conn, done: make(chan struct{}), acked: acked, acks: make(chan struct{}, 16)}
	h.cond = sync.NewCond(&h.mu)
	h.release = func() { release(); cancel() }
	var early [][]byte
	_ = conn.SetReadDeadline(time.Now().Add(ptyConnectTimeout))
	for {
		typ, data, err := conn.ReadMessage()
		if err != nil {
			stop()
			h.release()
			if ctx.Err() != nil {
				return nil, transportErr(op, ctx, ctx.Err())
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, client.Errorf(op, client.ErrTimeout, "PTY connection timeout: no connected frame within %v", ptyConnectTimeout)
			}
			return nil, wsErr(op, ctx, err)
		}
		if typ == websocket.TextMessage {
			var c wire.PtyControl
			if json.Unmarshal(data, &c) == nil && c.Type == "control" {
				if c.Status == "connected" {
					h.scroll, h.truncated = c.Scrollback, c.Truncated
					break
				}
				if c.Status == "exited" {
					h.noteExited(c)
					break
				}
				if c.Status != "error" {
					continue // a status this client does not know
				}
				stop()
				h.release()
				msg := c.Error
				if msg == "" {
					msg = "Unknown connection error"
				}
				kind := client.KindFromWire(c.Kind)
				if kind == nil {
					kind = client.ErrUnavailable
					if strings.Contains(msg, "not found") {
						kind = client.ErrNotFound
					} else if strings.Contains(msg, "terminated") {
						kind = client.ErrClosed
					}
				}
				return nil, &client.Error{Op: op, Kind: kind, Msg: msg}
			}
		}
		// PTY output may precede the control frame.
		early = append(early, data)
	}
	_ = conn.SetReadDeadline(time.Time{})
	stop() // from now on the handle's own lifetime rules
	for _, d := range early {
		h.buf = append(h.buf, d...)
	}
	go h.readLoop()
	return h, nil
}

// noteExited records an "exited" control frame (docs/protocol.md §12.2):
// its exit code and reason are the program's, whatever the close says.
func (h *remotePTY) noteExited(c wire.PtyControl) {
	if c.ExitCode == nil {
		return
	}
	h.mu.Lock()
	h.exited = &client.PTYResult{ExitCode: *c.ExitCode, Reason: c.ExitReason}
	h.mu.Unlock()
}

func (h *remotePTY) readLoop() {
	defer close(h.done)
	var endErr error
	var res client.PTYResult
	for {
		typ, data, err := h.conn.ReadMessage()
		if err != nil {
			endErr, res = h.closeResult(err)
			break
		}
		if typ == websocket.TextMessage {
			var c wire.PtyControl
			if json.Unmarshal(data, &c) == nil && c.Type == "control" {
				switch c.Status {
				case "ack":
					select {
					case h.acks <- struct{}{}:
					default:
					}
				case "exited":
					h.noteExited(c)
				}
				continue // unknown statuses are ignored, never output
			}
		}
		h.mu.Lock()
		switch {
		case h.slowErr != nil || h.closed:
			// Disconnected from the output; keep draining for the exit.
		case len(h.buf)+len(data) > maxPTYBuffer:
			h.slowErr = client.Errorf("read pty", client.ErrClosed,
				"slow consumer: handle disconnected after %d bytes of unread output (limit %d); the PTY keeps running",
				len(h.buf)+len(data), maxPTYBuffer)
		default:
			h.buf = append(h.buf, data...)
		}
		h.cond.Broadcast()
		h.mu.Unlock()
	}
	h.mu.Lock()
	h.ended, h.endErr, h.result = true, endErr, res
	h.cond.Broadcast()
	h.mu.Unlock()
	h.release()
}

// closeResult reads the program's end from the close frame (docs/protocol.md §7.4):
// 1000 with {"exitCode":0} or an empty reason is exit 0; 1011 with a JSON
// reason carries the exit code and reason; anything else is an error.
func (h *remotePTY) closeResult(err error) (error, client.PTYResult) {
	const op = "pty"
	h.mu.Lock()
	exited := h.exited
	h.mu.Unlock()
	if exited != nil {
		// The exited frame already told how the program ended; the close
		// that follows cannot change it.
		return nil, *exited
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		h.mu.Lock()
		closed := h.closed
		h.mu.Unlock()
		if closed {
			return client.Errorf(op, client.ErrClosed, "handle closed"), client.PTYResult{}
		}
		return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "connection lost", Err: err}, client.PTYResult{}
	}
	var ex wire.PtyExit
	parsed := json.Unmarshal([]byte(ce.Text), &ex) == nil && ex.ExitCode != nil
	switch {
	case ce.Code == websocket.CloseNormalClosure && (parsed || ce.Text == ""):
		res := client.PTYResult{}
		if parsed {
			res.ExitCode, res.Reason = *ex.ExitCode, ex.ExitReason
		}
		return nil, res
	case parsed:
		return nil, client.PTYResult{ExitCode: *ex.ExitCode, Reason: ex.ExitReason}
	case ce.Code == websocket.ClosePolicyViolation:
		return client.Errorf(op, client.ErrClosed, "disconnected by the server: %s", ce.Text), client.PTYResult{}
	}
	return client.Errorf(op, client.ErrUnavailable, "connection closed (%d %s)", ce.Code, ce.Text), client.PTYResult{}
}

// ID implements PTYHandle.
func (h *remotePTY) ID() string { return h.id }

// Read implements PTYHandle.
func (h *remotePTY) Read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.buf) == 0 && !h.ended && h.slowErr == nil && !h.closed {
		h.cond.Wait()
	}
	if h.closed {
		return 0, client.Errorf("read pty", client.ErrClosed, "handle is closed")
	}
	if len(h.buf) > 0 {
		n := copy(p, h.buf)
		h.buf = h.buf[n:]
		if len(h.buf) == 0 {
			h.buf = nil
		}
		return n, nil
	}
	if h.slowErr != nil {
		return 0, h.slowErr
	}
	if h.endErr != nil {
		return 0, h.endErr
	}
	return 0, io.EOF
}

// Write implements PTYHandle: binary frames of at most 32 KiB. On a procsh
// server each frame is acknowledged once it was written to the PTY, so input
// from several handles reaches the PTY in the order the Writes returned.
func (h *remotePTY) Write(p []byte) (int, error) {
	h.mu.Lock()
	ended, closed := h.ended, h.closed
	h.mu.Unlock()
	if closed || ended {
		return 0, client.Errorf("pty write", client.ErrClosed, "PTY connection has ended")
	}
	h.wmu.Lock()
	defer h.wmu.Unlock()
	const chunk = 32 << 10 // stay under the server's message limit
	n := 0
	for n < len(p) {
		m := min(len(p)-n, chunk)
		_ = h.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if err := h.conn.WriteMessage(websocket.BinaryMessage, p[n:n+m]); err != nil {
			return n, &client.Error{Op: "pty write", Kind: client.ErrClosed, Err: err}
		}
		if h.acked {
			select {
			case <-h.acks:
			case <-h.done:
				// The program ended while the ack was on its way (the
				// server sends the exit close frame as soon as it can);
				// only a lost connection leaves the input's fate unknown.
				h.mu.Lock()
				endErr := h.endErr
				h.mu.Unlock()
				if endErr != nil {
					return n, &client.Error{Op: "pty write", Kind: client.ErrClosed, Msg: "PTY connection ended before the input was acknowledged", Err: endErr}
				}
			}
		}
		n += m
	}
	return n, nil
}

// Resize implements PTYHandle.
func (h *remotePTY) Resize(ctx context.Context, cols, rows uint16) error {
	_, err := h.r.ResizePTY(ctx, h.id, cols, rows)
	return err
}

// Wait implements PTYHandle.
func (h *remotePTY) Wait(ctx context.Context) (client.PTYResult, error) {
	select {
	case <-h.done:
	case <-ctx.Done():
		return client.PTYResult{}, &client.Error{Op: "pty wait", Kind: client.ErrTimeout, Err: ctx.Err()}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.result, h.endErr
}

// Kill implements PTYHandle.
func (h *remotePTY) Kill(ctx context.Context) error { return h.r.KillPTY(ctx, h.id) }

// Close implements PTYHandle: it detaches; the program keeps running.
func (h *remotePTY) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.cond.Broadcast()
	h.mu.Unlock()
	h.wmu.Lock()
	_ = h.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	h.wmu.Unlock()
	h.release()
	<-h.done
	return nil
}

// Scrollback implements PTYHandle.
func (h *remotePTY) Scrollback() ([]byte, bool) { return h.scroll, h.truncated }
