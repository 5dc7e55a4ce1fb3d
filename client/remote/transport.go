package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/ids"
	"github.com/procsh/procsh/internal/wire"
)

// payload is the body of a request: JSON, raw bytes, or nothing.
type payload struct {
	data  []byte
	ctype string
	err   error // the JSON encoding failed
}

// noBody sends a request without a body.
var noBody payload

// jsonBody encodes v as the request body.
func jsonBody(v any) payload {
	b, err := json.Marshal(v)
	return payload{data: b, ctype: "application/json", err: err}
}

// octets sends b as application/octet-stream.
func octets(b []byte) payload {
	return payload{data: b, ctype: "application/octet-stream"}
}

// A decoder reads a successful reply (status < 300). accept, when set, is
// the Accept header that asks the server for the forms decode understands.
// Error replies never reach a decoder: call maps them to typed errors.
type decoder struct {
	accept string
	decode func(ctx context.Context, op string, resp *http.Response) error
}

// jsonInto decodes a JSON reply into v (a pointer); an empty body leaves v
// unchanged.
func jsonInto(v any) *decoder {
	return &decoder{decode: func(ctx context.Context, op string, resp *http.Response) error {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return transportErr(op, ctx, err)
		}
		if len(b) == 0 {
			return nil
		}
		if err := json.Unmarshal(b, v); err != nil {
			return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "bad response from server", Err: err}
		}
		return nil
	}}
}

// rawResultInto decodes a reply that a procsh server may send as a binary
// result (wire.RawResultType): the JSON line goes into meta, lengths(meta)
// gives the sizes of the output, stdout and stderr parts, and set receives
// them. Any other reply is JSON for meta. ask requests the binary form.
func rawResultInto(meta any, lengths func() []int64, set func(*wire.RawOutput), ask bool) *decoder {
	plain := jsonInto(meta)
	d := &decoder{decode: func(ctx context.Context, op string, resp *http.Response) error {
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), wire.RawResultType) {
			return plain.decode(ctx, op, resp)
		}
		parts, err := wire.ReadRawResult(resp.Body, meta, lengths)
		if err != nil {
			if ctx.Err() != nil {
				return transportErr(op, ctx, err)
			}
			return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "bad result from server", Err: err}
		}
		if len(parts) != 3 {
			return client.Errorf(op, client.ErrUnavailable, "bad result from server: %d parts", len(parts))
		}
		set(&wire.RawOutput{Output: parts[0], Stdout: parts[1], Stderr: parts[2]})
		return nil
	}}
	if ask {
		d.accept = wire.RawResultType + ", application/json"
	}
	return d
}

// call performs one HTTP request with body in; dec, if non-nil, reads a
// successful reply (otherwise the reply body is discarded). It returns the
// status code.
func (r *Client) call(ctx context.Context, op, method, path string, q url.Values, in payload, dec *decoder) (int, error) {
	if err := r.checkClosed(op); err != nil {
		return 0, err
	}
	if in.err != nil {
		return 0, &client.Error{Op: op, Kind: client.ErrInvalidArgument, Err: in.err}
	}
	var body io.Reader
	if in.ctype != "" {
		body = bytes.NewReader(in.data)
	}
	wctx, unwatch := r.watched(ctx)
	defer unwatch()
	req, err := http.NewRequestWithContext(wctx, method, r.endpoint(path, q), body)
	if err != nil {
		return 0, &client.Error{Op: op, Kind: client.ErrInvalidArgument, Err: err}
	}
	req.Header = r.headers()
	if in.ctype != "" {
		req.Header.Set("Content-Type", in.ctype)
	}
	if dec != nil && dec.accept != "" {
		req.Header.Set("Accept", dec.accept)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, liveErr(op, ctx, wctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 300 && dec != nil {
		if err := dec.decode(wctx, op, resp); err != nil {
			return resp.StatusCode, liveErr(op, ctx, wctx, err)
		}
		return resp.StatusCode, nil
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, liveErr(op, ctx, wctx, err)
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, statusErr(op, resp, b)
	}
	return resp.StatusCode, nil
}

// cancellableCall is call for requests that run something (execute,
// code-run, sync session exec). On a procsh server the request is named,
// and when ctx ends the client asks the server to cancel it and waits for
// the reply, so the call returns only after the server has ended what it
// started. Without the extension the request is simply abandoned (Daytona
// keeps running it).
func (r *Client) cancellableCall(ctx context.Context, op, method, path string, q url.Values, in payload, dec *decoder) (int, error) {
	ok, err := r.has(ctx, wire.FeatCancel)
	if err != nil {
		return 0, err
	}
	if !ok || q.Get(wire.ExtParam) == "" {
		return r.call(ctx, op, method, path, q, in, dec)
	}
	id := ids.Hex(16)
	q.Set(wire.CallParam, id)
	reqCtx, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hardCancel()
	returned := make(chan struct{})
	defer close(returned)
	stop := context.AfterFunc(ctx, func() {
		// Ask until the server knows the call (the request may still be
		// in flight); give up and drop the connection after a while.
		deadline := time.NewTimer(15 * time.Second)
		defer deadline.Stop()
		for {
			cctx, c := context.WithTimeout(reqCtx, 5*time.Second)
			status, _ := r.call(cctx, op, http.MethodPost, wire.CancelPath+id, nil, noBody, nil)
			c()
			if status == http.StatusNoContent {
				break
			}
			select {
			case <-returned:
				return
			case <-deadline.C:
				hardCancel()
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		select {
		case <-returned:
		case <-deadline.C:
			hardCancel()
		}
	})
	defer stop()
	status, err := r.call(reqCtx, op, method, path, q, in, dec)
	if ce := ctx.Err(); ce != nil {
		kind := client.ErrClosed
		if errors.Is(ce, context.DeadlineExceeded) {
			kind = client.ErrTimeout
		}
		return status, &client.Error{Op: op, Kind: kind, Err: ce}
	}
	return status, err
}

// transportErr classifies a failure to talk to the server: the caller's
// context, or an unreachable server.
func transportErr(op string, ctx context.Context, err error) error {
	if ce := ctx.Err(); ce != nil {
		kind := client.ErrClosed
		if errors.Is(ce, context.DeadlineExceeded) {
			kind = client.ErrTimeout
		}
		return &client.Error{Op: op, Kind: kind, Err: ce}
	}
	return &client.Error{Op: op, Kind: client.ErrUnavailable, Err: err}
}

// liveErr is transportErr for a call watched by the watchdog: a call it
// ended is ErrUnavailable, whatever the decoder made of the cancellation.
func liveErr(op string, ctx, wctx context.Context, err error) error {
	if ctx.Err() == nil {
		if h := hungErr(wctx); h != nil {
			return &client.Error{Op: op, Kind: client.ErrUnavailable, Err: h}
		}
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		return err
	}
	return transportErr(op, ctx, err)
}

// dial opens a WebSocket to path with the client headers, offering
// protocols as subprotocols; a refused handshake's body is mapped like a
// REST error. The connection is
// closed when ctx ends, so no read blocks past the caller's context.
func (r *Client) dial(ctx context.Context, op, path string, q url.Values, protocols ...string) (*websocket.Conn, func(), error) {
	if err := r.checkClosed(op); err != nil {
		return nil, nil, err
	}
	u := r.endpoint(path, q)
	u = "ws" + strings.TrimPrefix(u, "http")
	hdr := r.headers()
	if len(protocols) > 0 {
		hdr["Sec-WebSocket-Protocol"] = []string{strings.Join(protocols, ", ")}
	}
	wctx, unwatch := r.watched(ctx)
	conn, resp, err := r.dialer.DialContext(wctx, u, hdr)
	unwatch()
	if err != nil {
		if h := hungErr(wctx); h != nil && ctx.Err() == nil {
			return nil, nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Err: h}
		}
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode != http.StatusSwitchingProtocols {
				return nil, nil, statusErr(op, resp, body)
			}
		}
		return nil, nil, transportErr(op, ctx, err)
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		conn.Close()
		return nil, nil, client.Errorf(op, client.ErrClosed, "remote client is closed")
	}
	r.conns[conn] = struct{}{}
	r.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	// A hung server fails blocked reads and writes with a deadline, which
	// the readers report as ErrUnavailable ("connection lost").
	unwatchConn := r.live.watch(func() {
		now := time.Now()
		_ = conn.SetReadDeadline(now)
		_ = conn.SetWriteDeadline(now)
	})
	var once sync.Once
	release := func() {
		once.Do(func() {
			unwatchConn()
			stop()
			conn.Close()
			r.mu.Lock()
			delete(r.conns, conn)
			r.mu.Unlock()
		})
	}
	return conn, release, nil
}

// wsErr classifies an error reading a WebSocket.
func wsErr(op string, ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return transportErr(op, ctx, err)
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: fmt.Sprintf("connection closed (%d %s)", ce.Code, ce.Text)}
	}
	if errors.Is(err, net.ErrClosed) {
		return &client.Error{Op: op, Kind: client.ErrClosed, Msg: "stream closed", Err: err}
	}
	return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "connection lost", Err: err}
}
