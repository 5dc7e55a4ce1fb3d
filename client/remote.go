package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/internal/wire"
)

// Remote is the Client that speaks the Daytona toolbox /process protocol
// over HTTP and WebSocket: against a Daytona sandbox (base URL
// {toolboxProxyUrl}/{sandboxId}) or a `procsh serve` server. It always
// announces a modern SDK version, so the server splits stdout and stderr.
//
// When the server offers the procsh protocol extensions (probed once, at the
// first call that needs them) Remote uses them: binary-safe log streaming
// with byte offsets, signalled WaitCommand, KillCommand and CloseInput,
// input without an added newline, byte-exact exec results with TimedOut and
// separate streams, live OnOutput, cancellation that returns only once the
// server has ended what the call started, and acknowledged PTY input.
// Against a plain Daytona server it falls back: offsets are skipped
// client-side, WaitCommand follows the logs to their end and then polls the
// command, KillCommand and CloseInput fail with ErrUnsupported, SendInput
// data gets the newline Daytona appends, an exec timeout (408) becomes a
// result with TimedOut, OnOutput is called once at the end, a cancelled call
// is abandoned (Daytona keeps running it), results are only as exact as
// JSON strings allow, and PTY input from several handles is not ordered
// across connections.
type Remote struct {
	base   *url.URL
	token  string
	hc     *http.Client
	dialer *websocket.Dialer

	capMu sync.Mutex
	caps  map[string]bool // nil until probed

	mu     sync.Mutex
	closed bool
	conns  map[*websocket.Conn]struct{}
	// Sessions and PTYs this client created: Close ends them, as the
	// local backend's Close does.
	ownSessions map[string]struct{}
	ownPTYs     map[string]struct{}
}

var _ Client = (*Remote)(nil)

// RemoteOption configures a Remote.
type RemoteOption func(*Remote)

// WithToken sends "Authorization: Bearer <token>" on every request and
// WebSocket handshake.
func WithToken(token string) RemoteOption { return func(r *Remote) { r.token = token } }

// WithHTTPClient replaces the HTTP client (its Transport is also used to
// find proxy and TLS settings for WebSockets).
func WithHTTPClient(hc *http.Client) RemoteOption { return func(r *Remote) { r.hc = hc } }

// NewRemote returns a client for the server at baseURL (http or https; the
// /process routes are appended to its path).
func NewRemote(baseURL string, opts ...RemoteOption) (*Remote, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, &Error{Op: "new remote", Kind: ErrInvalidArgument, Msg: "bad base URL", Err: err}
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, Errorf("new remote", ErrInvalidArgument, "base URL %q must be http(s)://host[:port][/path]", baseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	r := &Remote{base: u, conns: map[*websocket.Conn]struct{}{}, ownSessions: map[string]struct{}{}, ownPTYs: map[string]struct{}{}}
	for _, o := range opts {
		o(r)
	}
	if r.hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		r.hc = &http.Client{Transport: tr}
	}
	r.dialer = &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   64 << 10,
		WriteBufferSize:  32 << 10,
	}
	if tr, ok := r.hc.Transport.(*http.Transport); ok {
		r.dialer.Proxy = tr.Proxy
		r.dialer.TLSClientConfig = tr.TLSClientConfig
		// A custom dialer (e.g. through an SSH connection) carries the
		// WebSockets too.
		r.dialer.NetDialContext = tr.DialContext
	}
	return r, nil
}

func (r *Remote) headers() http.Header {
	h := http.Header{}
	h.Set(wire.HeaderSDKVersion, wire.ClientVersion)
	h.Set(wire.HeaderSource, "procsh")
	if r.token != "" {
		h.Set("Authorization", "Bearer "+r.token)
	}
	return h
}

// endpoint builds base + path (already escaped) + query.
func (r *Remote) endpoint(path string, q url.Values) string {
	u := *r.base
	u.RawPath = u.Path + path
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = q.Encode()
	return u.String()
}

func pe(s string) string { return url.PathEscape(s) }

func (r *Remote) checkClosed(op string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return Errorf(op, ErrClosed, "remote client is closed")
	}
	return nil
}

// has reports whether the server offers an extension feature, probing the
// capabilities once. A failed probe (server down) is not cached.
func (r *Remote) has(ctx context.Context, feature string) (bool, error) {
	r.capMu.Lock()
	defer r.capMu.Unlock()
	if r.caps == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.endpoint(wire.CapabilitiesPath, nil), nil)
		if err != nil {
			return false, err
		}
		req.Header = r.headers()
		resp, err := r.hc.Do(req)
		if err != nil {
			return false, transportErr("probe capabilities", ctx, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		caps := map[string]bool{}
		switch {
		case resp.StatusCode == http.StatusOK:
			var c wire.Capabilities
			if json.Unmarshal(body, &c) == nil {
				for _, f := range c.Features {
					caps[f] = true
				}
			}
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500:
			return false, statusErr("probe capabilities", resp, body)
		}
		r.caps = caps
	}
	return r.caps[feature], nil
}

// extQuery returns the query that turns extensions on when the server has
// feature.
func (r *Remote) extQuery(ctx context.Context, feature string) (url.Values, bool, error) {
	ok, err := r.has(ctx, feature)
	if err != nil || !ok {
		return url.Values{}, false, err
	}
	return url.Values{wire.ExtParam: {"1"}}, true, nil
}

// call performs one HTTP request. in is JSON-encoded unless it is a
// []byte (sent as application/octet-stream); out, if non-nil, receives the
// decoded JSON reply. It returns the status code.
func (r *Remote) call(ctx context.Context, op, method, path string, q url.Values, in, out any) (int, error) {
	if err := r.checkClosed(op); err != nil {
		return 0, err
	}
	var body io.Reader
	ctype := ""
	switch v := in.(type) {
	case nil:
	case []byte:
		body, ctype = bytes.NewReader(v), "application/octet-stream"
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return 0, &Error{Op: op, Kind: ErrInvalidArgument, Err: err}
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, r.endpoint(path, q), body)
	if err != nil {
		return 0, &Error{Op: op, Kind: ErrInvalidArgument, Err: err}
	}
	req.Header = r.headers()
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	sr, streaming := out.(*execStreamReader)
	if streaming {
		out = sr.out
		req.Header.Set("Accept", wire.StreamType+", "+wire.RawResultType+", application/json")
	}
	rawOut := rawResultTarget(out)
	if rawOut != nil && q.Get(wire.ExtParam) != "" && !streaming {
		req.Header.Set("Accept", wire.RawResultType+", application/json")
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, transportErr(op, ctx, err)
	}
	defer resp.Body.Close()
	if streaming && resp.StatusCode < 300 && strings.HasPrefix(resp.Header.Get("Content-Type"), wire.StreamType) {
		if err := sr.read(op, resp.Body); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				err = transportErr(op, ctx, err)
			}
			return resp.StatusCode, err
		}
		return resp.StatusCode, nil
	}
	if resp.StatusCode < 300 && rawOut != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), wire.RawResultType) {
		parts, err := wire.ReadRawResult(resp.Body, out, rawOut.lengths)
		if err != nil {
			if ctx.Err() != nil {
				return resp.StatusCode, transportErr(op, ctx, err)
			}
			return resp.StatusCode, &Error{Op: op, Kind: ErrUnavailable, Msg: "bad result from server", Err: err}
		}
		if len(parts) != 3 {
			return resp.StatusCode, Errorf(op, ErrUnavailable, "bad result from server: %d parts", len(parts))
		}
		rawOut.set(&wire.RawOutput{Output: parts[0], Stdout: parts[1], Stderr: parts[2]})
		return resp.StatusCode, nil
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, transportErr(op, ctx, err)
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, statusErr(op, resp, b)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, &Error{Op: op, Kind: ErrUnavailable, Msg: "bad response from server", Err: err}
		}
	}
	return resp.StatusCode, nil
}

// cancellableCall is call for requests that run something (execute,
// code-run, sync session exec). On a procsh server the request is named,
// and when ctx ends the client asks the server to cancel it and waits for
// the reply, so the call returns only after the server has ended what it
// started. Without the extension the request is simply abandoned (Daytona
// keeps running it).
func (r *Remote) cancellableCall(ctx context.Context, op, method, path string, q url.Values, in, out any) (int, error) {
	ok, err := r.has(ctx, wire.FeatCancel)
	if err != nil {
		return 0, err
	}
	if !ok || q.Get(wire.ExtParam) == "" {
		return r.call(ctx, op, method, path, q, in, out)
	}
	id := newCallID()
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
			status, _ := r.call(cctx, op, http.MethodPost, wire.CancelPath+id, nil, nil, nil)
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
	status, err := r.call(reqCtx, op, method, path, q, in, out)
	if ce := ctx.Err(); ce != nil {
		kind := ErrClosed
		if errors.Is(ce, context.DeadlineExceeded) {
			kind = ErrTimeout
		}
		return status, &Error{Op: op, Kind: kind, Err: ce}
	}
	return status, err
}

func newCallID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// execStreamReader reads a wire.StreamType body: output records go to
// onOutput as they arrive, the end record fills out.
type execStreamReader struct {
	out                 *wire.ExecuteResponse
	onOutput            func(Chunk)
	all, stdout, stderr []byte
	ended               bool
}

func (sr *execStreamReader) read(op string, body io.Reader) error {
	br := bufio.NewReaderSize(body, 64<<10)
	var buf []byte
	for {
		typ, payload, err := wire.ReadRecord(br, buf)
		if err != nil {
			return err
		}
		buf = payload[:0]
		switch typ {
		case wire.StreamStdout, wire.StreamStderr:
			st := Stdout
			if typ == wire.StreamStderr {
				st = Stderr
				sr.stderr = append(sr.stderr, payload...)
			} else {
				sr.stdout = append(sr.stdout, payload...)
			}
			off := int64(len(sr.all))
			sr.all = append(sr.all, payload...)
			sr.onOutput(Chunk{Stream: st, Offset: off, Data: payload})
		case wire.RecordEnd:
			parts, err := wire.ReadRawResult(bytes.NewReader(payload), sr.out, func() []int64 { return sr.out.Lengths })
			if err != nil {
				return err
			}
			if len(parts) == 3 {
				sr.out.Raw = &wire.RawOutput{Output: parts[0], Stdout: parts[1], Stderr: parts[2]}
			}
			sr.ended = true
			return nil
		case wire.RecordError:
			var eb wire.ErrorBody
			_ = json.Unmarshal(payload, &eb)
			return errorFor(op, eb.StatusCode, http.StatusText(eb.StatusCode), payload)
		default:
			return Errorf(op, ErrUnavailable, "unknown stream record type %d", typ)
		}
	}
}

// rawTarget adapts the responses that may arrive as binary results.
type rawTarget struct {
	lengths func() []int64
	set     func(*wire.RawOutput)
}

func rawResultTarget(out any) *rawTarget {
	switch o := out.(type) {
	case *wire.ExecuteResponse:
		return &rawTarget{func() []int64 { return o.Lengths }, func(r *wire.RawOutput) { o.Raw = r }}
	case *wire.SessionExecuteResponseExt:
		return &rawTarget{func() []int64 { return o.Lengths }, func(r *wire.RawOutput) { o.Raw = r }}
	}
	return nil
}

// transportErr classifies a failure to talk to the server: the caller's
// context, or an unreachable server.
func transportErr(op string, ctx context.Context, err error) error {
	if ce := ctx.Err(); ce != nil {
		kind := ErrClosed
		if errors.Is(ce, context.DeadlineExceeded) {
			kind = ErrTimeout
		}
		return &Error{Op: op, Kind: kind, Err: ce}
	}
	return &Error{Op: op, Kind: ErrUnavailable, Err: err}
}

// statusErr maps an error reply (shapes E1–E5) to a typed error.
func statusErr(op string, resp *http.Response, body []byte) error {
	return errorFor(op, resp.StatusCode, resp.Status, body)
}

func errorFor(op string, status int, statusText string, body []byte) error {
	var eb wire.ErrorBody
	msg := ""
	if json.Unmarshal(body, &eb) == nil {
		msg = eb.Message
		if msg == "" {
			msg = eb.Error
		}
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
		if msg == "" || len(msg) > 512 {
			msg = statusText
		}
	}
	e := &Error{Op: op, Msg: msg}
	if k := kindFromName(eb.Kind); k != nil {
		e.Kind = k
		return e
	}
	switch s := status; {
	case s == 400 || s == 413 || s == 422:
		e.Kind = ErrInvalidArgument
	case s == 401 || s == 403:
		e.Kind = ErrUnauthorized
	case s == 404:
		e.Kind = ErrNotFound
	case s == 409:
		e.Kind = ErrConflict
	case s == 408:
		e.Kind = ErrTimeout
	case s == 410:
		e.Kind = ErrClosed
		if strings.Contains(msg, "not found") {
			e.Kind = ErrNotFound // PTY resize of an unknown id
		}
	case s == 501:
		e.Kind = ErrUnsupported
	case strings.Contains(msg, "session not found") || strings.Contains(msg, "command not found"):
		e.Kind = ErrNotFound // session exec answers 500 (shape E2)
	case strings.Contains(msg, "session cancelled"):
		e.Kind = ErrClosed
	default:
		e.Kind = ErrUnavailable
	}
	return e
}

func kindFromName(name string) error {
	switch name {
	case wire.KindNotFound:
		return ErrNotFound
	case wire.KindConflict:
		return ErrConflict
	case wire.KindInvalidArgument:
		return ErrInvalidArgument
	case wire.KindTimeout:
		return ErrTimeout
	case wire.KindClosed:
		return ErrClosed
	case wire.KindUnsupported:
		return ErrUnsupported
	case wire.KindUnavailable:
		return ErrUnavailable
	case wire.KindUnauthorized:
		return ErrUnauthorized
	}
	return nil
}

// secondsCeil converts a timeout to the protocol's whole seconds, rounding
// up so a short timeout never becomes "none".
func secondsCeil(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	return uint32((d + time.Second - 1) / time.Second)
}

// Exec implements Client.
func (r *Remote) Exec(ctx context.Context, req ExecRequest) (*ExecResult, error) {
	const op = "exec"
	if strings.TrimSpace(req.Command) == "" {
		return nil, Errorf(op, ErrInvalidArgument, "command is empty")
	}
	if req.Timeout < 0 {
		return nil, Errorf(op, ErrInvalidArgument, "negative timeout")
	}
	q, extended, err := r.extQuery(ctx, wire.FeatExecResult)
	if err != nil {
		return nil, err
	}
	in := wire.ExecuteRequest{Command: req.Command, Cwd: req.Cwd, Envs: req.Env, Timeout: secondsCeil(req.Timeout)}
	if extended && req.Timeout > 0 {
		in.TimeoutMs = uint64(max(req.Timeout/time.Millisecond, 1))
	}
	if extended {
		in.Merge, in.Detach = req.Merge, req.Detach
	}
	return r.execCall(ctx, op, "/process/execute", q, in, req.OnOutput)
}

func (r *Remote) execCall(ctx context.Context, op, path string, q url.Values, in any, onOutput func(Chunk)) (*ExecResult, error) {
	start := time.Now()
	var out wire.ExecuteResponse
	var target any = &out
	var sr *execStreamReader
	if onOutput != nil && q.Get(wire.ExtParam) != "" {
		if ok, _ := r.has(ctx, wire.FeatExecStream); ok {
			sr = &execStreamReader{out: &out, onOutput: onOutput}
			target = sr
		}
	}
	status, err := r.cancellableCall(ctx, op, http.MethodPost, path, q, in, target)
	if status == http.StatusRequestTimeout {
		// Daytona: the run was killed and its output discarded.
		return &ExecResult{ExitCode: ExitCodeForSignal(syscall.SIGKILL), TimedOut: true, Signal: "KILL", Duration: time.Since(start)}, nil
	}
	if err != nil {
		return nil, err
	}
	res := &ExecResult{
		ExitCode: out.ExitCode, Result: out.Result, TimedOut: out.TimedOut, Signal: out.Signal,
		Duration: time.Duration(out.DurationMs * float64(time.Millisecond)),
	}
	if res.Duration == 0 {
		res.Duration = time.Since(start)
	}
	if sig, err := ParseSignal(res.Signal); err == nil && res.ExitCode == -1 {
		// Servers before the one exit-status convention sent -1 for a
		// signalled run.
		res.ExitCode = ExitCodeForSignal(sig)
	}
	if out.Stdout != nil && out.Stderr != nil {
		res.Stdout, res.Stderr, res.HasStreams = *out.Stdout, *out.Stderr, true
	}
	streamed := sr != nil && sr.ended
	if streamed && out.Raw == nil {
		// The output came as records; the end record repeats it only
		// when it differs (code-run cuts chart lines).
		out.Raw = &wire.RawOutput{Output: sr.all, Stdout: sr.stdout, Stderr: sr.stderr}
	}
	if out.Raw != nil {
		res.Result = string(out.Raw.Output)
		if res.HasStreams {
			res.Stdout, res.Stderr = string(out.Raw.Stdout), string(out.Raw.Stderr)
		}
	}
	res.Artifacts.Stdout = res.Result
	if out.Artifacts != nil {
		for _, raw := range out.Artifacts.Charts {
			var c Chart
			if json.Unmarshal(raw, &c) == nil {
				res.Artifacts.Charts = append(res.Artifacts.Charts, c)
			}
		}
	}
	if onOutput != nil && res.Result != "" && !streamed {
		// Without the stream extension all output arrives at once.
		onOutput(Chunk{Stream: Stdout, Data: []byte(res.Result)})
	}
	return res, nil
}

// CodeRun implements Client.
func (r *Remote) CodeRun(ctx context.Context, req CodeRunRequest) (*ExecResult, error) {
	const op = "code run"
	if req.Language == "" {
		req.Language = Python
	}
	if req.Code == "" {
		return nil, Errorf(op, ErrInvalidArgument, "code is empty")
	}
	if req.Timeout < 0 {
		return nil, Errorf(op, ErrInvalidArgument, "negative timeout")
	}
	q, extended, err := r.extQuery(ctx, wire.FeatExecResult)
	if err != nil {
		return nil, err
	}
	in := wire.CodeRunRequest{Code: req.Code, Language: req.Language, Argv: req.Argv, Envs: req.Env, Timeout: secondsCeil(req.Timeout)}
	if extended && req.Timeout > 0 {
		in.TimeoutMs = uint64(max(req.Timeout/time.Millisecond, 1))
	}
	return r.execCall(ctx, op, "/process/code-run", q, in, req.OnOutput)
}

func checkID(op, what, id string) error {
	if id == "" {
		return Errorf(op, ErrInvalidArgument, "%s id is empty", what)
	}
	return nil
}

// CreateSession implements Client. Against a server without the
// session-options extension, Cwd and Env are applied by a first command.
func (r *Remote) CreateSession(ctx context.Context, opts SessionOptions) error {
	const op = "create session"
	if err := checkID(op, "session", opts.ID); err != nil {
		return err
	}
	q, extended, err := r.extQuery(ctx, wire.FeatSessionOptions)
	if err != nil {
		return err
	}
	in := wire.CreateSessionRequest{SessionID: opts.ID}
	if extended {
		in.Cwd, in.Envs = opts.Cwd, opts.Env
	}
	if _, err := r.call(ctx, op, http.MethodPost, "/process/session", q, in, nil); err != nil {
		return err
	}
	r.own(r.ownSessions, opts.ID, true)
	if extended || (opts.Cwd == "" && len(opts.Env) == 0) {
		return nil
	}
	var script strings.Builder
	keys := make([]string, 0, len(opts.Env))
	for k := range opts.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&script, "export %s=%s\n", k, shellQuote(opts.Env[k]))
	}
	if opts.Cwd != "" {
		fmt.Fprintf(&script, "cd %s\n", shellQuote(opts.Cwd))
	}
	res, err := r.ExecSession(ctx, opts.ID, SessionExecRequest{Command: script.String()})
	if err == nil && (res.ExitCode == nil || *res.ExitCode != 0) {
		err = Errorf(op, ErrInvalidArgument, "cannot apply session cwd/env: %s", strings.TrimSpace(res.Output))
	}
	if err != nil {
		_ = r.DeleteSession(context.WithoutCancel(ctx), opts.ID)
	}
	return err
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func sessionInfo(s wire.Session) SessionInfo {
	si := SessionInfo{ID: s.SessionID}
	for _, c := range s.Commands {
		si.Commands = append(si.Commands, CommandInfo{ID: c.ID, Command: c.Command, ExitCode: c.ExitCode, Signal: c.Signal})
	}
	return si
}

// GetSession implements Client.
func (r *Remote) GetSession(ctx context.Context, id string) (*SessionInfo, error) {
	const op = "get session"
	if err := checkID(op, "session", id); err != nil {
		return nil, err
	}
	q, _, err := r.extQuery(ctx, wire.FeatErrorKind)
	if err != nil {
		return nil, err
	}
	var s wire.Session
	if _, err := r.call(ctx, op, http.MethodGet, "/process/session/"+pe(id), q, nil, &s); err != nil {
		return nil, err
	}
	si := sessionInfo(s)
	return &si, nil
}

// ListSessions implements Client.
func (r *Remote) ListSessions(ctx context.Context) ([]SessionInfo, error) {
	q, _, err := r.extQuery(ctx, wire.FeatErrorKind)
	if err != nil {
		return nil, err
	}
	var list []wire.Session
	if _, err := r.call(ctx, "list sessions", http.MethodGet, "/process/session", q, nil, &list); err != nil {
		return nil, err
	}
	out := make([]SessionInfo, 0, len(list))
	for _, s := range list {
		out = append(out, sessionInfo(s))
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// DeleteSession implements Client.
func (r *Remote) DeleteSession(ctx context.Context, id string) error {
	const op = "delete session"
	if err := checkID(op, "session", id); err != nil {
		return err
	}
	q, _, err := r.extQuery(ctx, wire.FeatErrorKind)
	if err != nil {
		return err
	}
	_, err = r.call(ctx, op, http.MethodDelete, "/process/session/"+pe(id), q, nil, nil)
	if err == nil || errors.Is(err, ErrNotFound) {
		r.own(r.ownSessions, id, false)
	}
	return err
}

func (r *Remote) own(m map[string]struct{}, id string, add bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if add {
		m[id] = struct{}{}
	} else {
		delete(m, id)
	}
}

// ExecSession implements Client.
func (r *Remote) ExecSession(ctx context.Context, sessionID string, req SessionExecRequest) (*SessionExecResult, error) {
	const op = "exec session command"
	if err := checkID(op, "session", sessionID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Command) == "" {
		return nil, Errorf(op, ErrInvalidArgument, "command is empty")
	}
	q, _, err := r.extQuery(ctx, wire.FeatErrorKind)
	if err != nil {
		return nil, err
	}
	var out wire.SessionExecuteResponseExt
	in := wire.SessionExecuteRequest{Command: req.Command, RunAsync: req.Async, SuppressInputEcho: req.SuppressInputEcho}
	call := r.call
	if !req.Async {
		call = r.cancellableCall
	}
	if _, err := call(ctx, op, http.MethodPost, "/process/session/"+pe(sessionID)+"/exec", q, in, &out); err != nil {
		return nil, err
	}
	res := &SessionExecResult{CmdID: out.CmdID, ExitCode: out.ExitCode, Signal: out.Signal}
	if req.Async {
		return res, nil
	}
	if out.Output != nil {
		res.Output = string(wire.StripMarkers([]byte(*out.Output)))
	}
	if out.Stdout != nil {
		res.Stdout = *out.Stdout
	}
	if out.Stderr != nil {
		res.Stderr = *out.Stderr
	}
	if out.Stdout == nil && out.Output != nil {
		o, e := wire.Demux([]byte(*out.Output))
		res.Stdout, res.Stderr = string(o), string(e)
	}
	if out.Raw != nil {
		res.Output, res.Stdout, res.Stderr = string(out.Raw.Output), string(out.Raw.Stdout), string(out.Raw.Stderr)
	}
	return res, nil
}

func (r *Remote) commandPath(sid, cid string) string {
	return "/process/session/" + pe(sid) + "/command/" + pe(cid)
}

// GetCommand implements Client.
func (r *Remote) GetCommand(ctx context.Context, sessionID, commandID string) (*CommandInfo, error) {
	const op = "get command"
	if err := checkIDs(op, sessionID, commandID); err != nil {
		return nil, err
	}
	q, _, err := r.extQuery(ctx, wire.FeatErrorKind)
	if err != nil {
		return nil, err
	}
	return r.getCommand(ctx, op, sessionID, commandID, q)
}

func checkIDs(op, sid, cid string) error {
	if err := checkID(op, "session", sid); err != nil {
		return err
	}
	return checkID(op, "command", cid)
}

func (r *Remote) getCommand(ctx context.Context, op, sid, cid string, q url.Values) (*CommandInfo, error) {
	var c wire.Command
	if _, err := r.call(ctx, op, http.MethodGet, r.commandPath(sid, cid), q, nil, &c); err != nil {
		return nil, err
	}
	return &CommandInfo{ID: c.ID, Command: c.Command, ExitCode: c.ExitCode, Signal: c.Signal}, nil
}

// WaitCommand implements Client: a long-poll on a procsh server; on Daytona,
// following the logs to their end, then polling the command.
func (r *Remote) WaitCommand(ctx context.Context, sessionID, commandID string) (*CommandInfo, error) {
	const op = "wait command"
	if err := checkIDs(op, sessionID, commandID); err != nil {
		return nil, err
	}
	q, extended, err := r.extQuery(ctx, wire.FeatCommandWait)
	if err != nil {
		return nil, err
	}
	if extended {
		q.Set("wait", "true")
		return r.getCommand(ctx, op, sessionID, commandID, q)
	}
	ci, err := r.getCommand(ctx, op, sessionID, commandID, q)
	if err != nil || ci.Done() {
		return ci, err
	}
	if st, err := r.StreamCommandLogs(ctx, sessionID, commandID, LogOptions{Follow: true}); err == nil {
		for {
			if _, err := st.Recv(); err != nil {
				break
			}
		}
		st.Close()
	}
	delay := 50 * time.Millisecond
	for {
		ci, err := r.getCommand(ctx, op, sessionID, commandID, q)
		if err != nil || ci.Done() {
			return ci, err
		}
		select {
		case <-ctx.Done():
			return nil, &Error{Op: op, Kind: ErrTimeout, Err: ctx.Err()}
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

// GetCommandLogs implements Client. On a procsh server it reads the raw log
// stream (binary safe); on Daytona the JSON snapshot.
func (r *Remote) GetCommandLogs(ctx context.Context, sessionID, commandID string) (*Logs, error) {
	const op = "get command logs"
	if err := checkIDs(op, sessionID, commandID); err != nil {
		return nil, err
	}
	raw, err := r.has(ctx, wire.FeatLogRaw)
	if err != nil {
		return nil, err
	}
	if raw {
		st, err := r.StreamCommandLogs(ctx, sessionID, commandID, LogOptions{})
		if err != nil {
			return nil, err
		}
		defer st.Close()
		var all, o, e []byte
		for {
			c, err := st.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			all = append(all, c.Data...)
			if c.Stream == Stderr {
				e = append(e, c.Data...)
			} else {
				o = append(o, c.Data...)
			}
		}
		return &Logs{Output: string(all), Stdout: string(o), Stderr: string(e)}, nil
	}
	var out wire.LogsResponse
	if _, err := r.call(ctx, op, http.MethodGet, r.commandPath(sessionID, commandID)+"/logs", nil, nil, &out); err != nil {
		return nil, err
	}
	return &Logs{Output: string(wire.StripMarkers([]byte(out.Output))), Stdout: out.Stdout, Stderr: out.Stderr}, nil
}

// SendInput implements Client. Daytona appends "\n" to data that does not
// end with one; a procsh server writes data as given.
func (r *Remote) SendInput(ctx context.Context, sessionID, commandID string, data []byte) error {
	const op = "send input"
	if err := checkIDs(op, sessionID, commandID); err != nil {
		return err
	}
	q, extended, err := r.extQuery(ctx, wire.FeatRawInput)
	if err != nil {
		return err
	}
	path := r.commandPath(sessionID, commandID) + "/input"
	if extended {
		_, err = r.call(ctx, op, http.MethodPost, path, q, append([]byte{}, data...), nil)
		return err
	}
	if len(data) == 0 {
		return Errorf(op, ErrInvalidArgument, "no data")
	}
	_, err = r.call(ctx, op, http.MethodPost, path, q, wire.InputRequest{Data: string(data)}, nil)
	return err
}

// CloseInput implements Client (procsh servers only).
func (r *Remote) CloseInput(ctx context.Context, sessionID, commandID string) error {
	const op = "close input"
	if err := checkIDs(op, sessionID, commandID); err != nil {
		return err
	}
	q, extended, err := r.extQuery(ctx, wire.FeatCloseInput)
	if err != nil {
		return err
	}
	if !extended {
		return Errorf(op, ErrUnsupported, "the server cannot close a command's stdin")
	}
	_, err = r.call(ctx, op, http.MethodPost, r.commandPath(sessionID, commandID)+"/close-input", q, nil, nil)
	return err
}

// KillCommand implements Client (procsh servers only).
func (r *Remote) KillCommand(ctx context.Context, sessionID, commandID string, sig syscall.Signal) error {
	const op = "kill command"
	if err := checkIDs(op, sessionID, commandID); err != nil {
		return err
	}
	q, extended, err := r.extQuery(ctx, wire.FeatCommandKill)
	if err != nil {
		return err
	}
	if !extended {
		return Errorf(op, ErrUnsupported, "the server cannot signal a single command")
	}
	_, err = r.call(ctx, op, http.MethodPost, r.commandPath(sessionID, commandID)+"/kill", q, wire.KillRequest{Signal: wire.SignalName(sig)}, nil)
	return err
}

// Close ends the sessions and PTYs this client created (as the local
// backend's Close does), then releases its connections: open log streams
// and PTY handles end. Later calls fail with ErrClosed.
func (r *Remote) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	ptys := slices.Collect(maps.Keys(r.ownPTYs))
	sessions := slices.Collect(maps.Keys(r.ownSessions))
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var errs []error
	for _, id := range ptys {
		if err := r.KillPTY(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	for _, id := range sessions {
		if err := r.DeleteSession(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	// Give attached handles a moment to receive their program's end.
	for deadline := time.Now().Add(2 * time.Second); len(ptys) > 0 && time.Now().Before(deadline); {
		r.mu.Lock()
		n := len(r.conns)
		r.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	r.closed = true
	conns := make([]*websocket.Conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	r.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	r.hc.CloseIdleConnections()
	if len(errs) > 0 {
		return &Error{Op: "close", Kind: ErrUnavailable, Msg: "could not end every session and PTY", Err: errors.Join(errs...)}
	}
	return nil
}

// dial opens a WebSocket to path with the client headers. The connection is
// closed when ctx ends, so no read blocks past the caller's context.
func (r *Remote) dial(ctx context.Context, op, path string, q url.Values) (*websocket.Conn, func(), error) {
	if err := r.checkClosed(op); err != nil {
		return nil, nil, err
	}
	u := r.endpoint(path, q)
	u = "ws" + strings.TrimPrefix(u, "http")
	conn, resp, err := r.dialer.DialContext(ctx, u, r.headers())
	if err != nil {
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
		return nil, nil, Errorf(op, ErrClosed, "remote client is closed")
	}
	r.conns[conn] = struct{}{}
	r.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	var once sync.Once
	release := func() {
		once.Do(func() {
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
		return &Error{Op: op, Kind: ErrUnavailable, Msg: fmt.Sprintf("connection closed (%d %s)", ce.Code, ce.Text)}
	}
	if errors.Is(err, net.ErrClosed) {
		return &Error{Op: op, Kind: ErrClosed, Msg: "stream closed", Err: err}
	}
	return &Error{Op: op, Kind: ErrUnavailable, Msg: "connection lost", Err: err}
}
