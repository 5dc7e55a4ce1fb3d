package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/shell"
	"github.com/procsh/procsh/internal/wire"
)

func checkID(op, what, id string) error {
	if id == "" {
		return client.Errorf(op, client.ErrInvalidArgument, "%s id is empty", what)
	}
	return nil
}

// CreateSession implements Client. Against a server without the
// session-options extension, Cwd and Env are applied by a first command.
func (r *Client) CreateSession(ctx context.Context, opts client.SessionOptions) error {
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
	if _, err := r.call(ctx, op, http.MethodPost, "/process/session", q, jsonBody(in), nil); err != nil {
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
		fmt.Fprintf(&script, "export %s=%s\n", k, shell.Quote(opts.Env[k]))
	}
	if opts.Cwd != "" {
		fmt.Fprintf(&script, "cd %s\n", shell.Quote(opts.Cwd))
	}
	res, err := r.ExecSession(ctx, opts.ID, client.SessionExecRequest{Command: script.String()})
	if err == nil && (res.ExitCode == nil || *res.ExitCode != 0) {
		err = client.Errorf(op, client.ErrInvalidArgument, "cannot apply session cwd/env: %s", strings.TrimSpace(res.Output))
	}
	if err != nil {
		_ = r.DeleteSession(context.WithoutCancel(ctx), opts.ID)
	}
	return err
}

func sessionInfo(s wire.Session) client.SessionInfo {
	si := client.SessionInfo{ID: s.SessionID}
	for _, c := range s.Commands {
		si.Commands = append(si.Commands, client.CommandInfo{ID: c.ID, Command: c.Command, ExitCode: c.ExitCode, Signal: c.Signal})
	}
	return si
}

// GetSession implements Client.
func (r *Client) GetSession(ctx context.Context, id string) (*client.SessionInfo, error) {
	const op = "get session"
	if err := checkID(op, "session", id); err != nil {
		return nil, err
	}
	q, _, err := r.extQuery(ctx, wire.FeatErrorKind)
	if err != nil {
		return nil, err
	}
	var s wire.Session
	if _, err := r.call(ctx, op, http.MethodGet, "/process/session/"+pe(id), q, noBody, jsonInto(&s)); err != nil {
		return nil, err
	}
	si := sessionInfo(s)
	return &si, nil
}

// ListSessions implements Client.
func (r *Client) ListSessions(ctx context.Context) ([]client.SessionInfo, error) {
	q, _, err := r.extQuery(ctx, wire.FeatErrorKind)
	if err != nil {
		return nil, err
	}
	var list []wire.Session
	if _, err := r.call(ctx, "list sessions", http.MethodGet, "/process/session", q, noBody, jsonInto(&list)); err != nil {
		return nil, err
	}
	out := make([]client.SessionInfo, 0, len(list))
	for _, s := range list {
		out = append(out, sessionInfo(s))
	}
	slices.SortFunc(out, func(a, b client.SessionInfo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// DeleteSession implements Client.
func (r *Client) DeleteSession(ctx context.Context, id string) error {
	const op = "delete session"
	if err := checkID(op, "session", id); err != nil {
		return err
	}
	q, _, err := r.extQuery(ctx, wire.FeatErrorKind)
	if err != nil {
		return err
	}
	_, err = r.call(ctx, op, http.MethodDelete, "/process/session/"+pe(id), q, noBody, nil)
	if err == nil || errors.Is(err, client.ErrNotFound) {
		r.own(r.ownSessions, id, false)
	}
	return err
}

// ExecSession implements Client.
func (r *Client) ExecSession(ctx context.Context, sessionID string, req client.SessionExecRequest) (*client.SessionExecResult, error) {
	const op = "exec session command"
	if err := checkID(op, "session", sessionID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Command) == "" {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "command is empty")
	}
	q, _, err := r.extQuery(ctx, wire.FeatErrorKind)
	if err != nil {
		return nil, err
	}
	var out wire.SessionExecuteResponseExt
	in := wire.SessionExecuteRequest{Command: req.Command, RunAsync: req.Async, SuppressInputEcho: req.SuppressInputEcho, MaxOutput: req.MaxOutput}
	dec := rawResultInto(&out, func() []int64 { return out.Lengths }, func(raw *wire.RawOutput) { out.Raw = raw }, q.Get(wire.ExtParam) != "")
	call := r.call
	if !req.Async {
		call = r.cancellableCall
	}
	if _, err := call(ctx, op, http.MethodPost, "/process/session/"+pe(sessionID)+"/exec", q, jsonBody(in), dec); err != nil {
		return nil, err
	}
	res := &client.SessionExecResult{CmdID: out.CmdID, ExitCode: out.ExitCode, Signal: out.Signal, Truncated: out.Truncated}
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

func (r *Client) commandPath(sid, cid string) string {
	return "/process/session/" + pe(sid) + "/command/" + pe(cid)
}

// GetCommand implements Client.
func (r *Client) GetCommand(ctx context.Context, sessionID, commandID string) (*client.CommandInfo, error) {
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

func (r *Client) getCommand(ctx context.Context, op, sid, cid string, q url.Values) (*client.CommandInfo, error) {
	var c wire.Command
	if _, err := r.call(ctx, op, http.MethodGet, r.commandPath(sid, cid), q, noBody, jsonInto(&c)); err != nil {
		return nil, err
	}
	return &client.CommandInfo{ID: c.ID, Command: c.Command, ExitCode: c.ExitCode, Signal: c.Signal}, nil
}

// WaitCommand implements Client: a long-poll on a procsh server; on Daytona,
// following the logs to their end, then polling the command.
func (r *Client) WaitCommand(ctx context.Context, sessionID, commandID string) (*client.CommandInfo, error) {
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
	if st, err := r.StreamCommandLogs(ctx, sessionID, commandID, client.LogOptions{Follow: true}); err == nil {
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
			return nil, &client.Error{Op: op, Kind: client.ErrTimeout, Err: ctx.Err()}
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

// GetCommandLogs implements Client. On a procsh server it reads the raw log
// stream (binary safe); on Daytona the JSON snapshot.
func (r *Client) GetCommandLogs(ctx context.Context, sessionID, commandID string) (*client.Logs, error) {
	const op = "get command logs"
	if err := checkIDs(op, sessionID, commandID); err != nil {
		return nil, err
	}
	raw, err := r.has(ctx, wire.FeatLogRaw)
	if err != nil {
		return nil, err
	}
	if raw {
		st, err := r.StreamCommandLogs(ctx, sessionID, commandID, client.LogOptions{})
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
			if c.Stream == client.Stderr {
				e = append(e, c.Data...)
			} else {
				o = append(o, c.Data...)
			}
		}
		return &client.Logs{Output: string(all), Stdout: string(o), Stderr: string(e)}, nil
	}
	var out wire.LogsResponse
	if _, err := r.call(ctx, op, http.MethodGet, r.commandPath(sessionID, commandID)+"/logs", nil, noBody, jsonInto(&out)); err != nil {
		return nil, err
	}
	return &client.Logs{Output: string(wire.StripMarkers([]byte(out.Output))), Stdout: out.Stdout, Stderr: out.Stderr}, nil
}

// SendInput implements Client. Daytona appends "\n" to data that does not
// end with one; a procsh server writes data as given.
func (r *Client) SendInput(ctx context.Context, sessionID, commandID string, data []byte) error {
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
		_, err = r.call(ctx, op, http.MethodPost, path, q, octets(append([]byte{}, data...)), nil)
		return err
	}
	if len(data) == 0 {
		return client.Errorf(op, client.ErrInvalidArgument, "no data")
	}
	// The reference daemon creates a command's input pipe only when its
	// shell reaches the command, and answers 500 "failed to open input
	// pipe" until then: input sent right after start is retried, for a
	// bounded time, on that error alone.
	delay := 5 * time.Millisecond
	deadline := time.Now().Add(inputPipeWait)
	for {
		_, err = r.call(ctx, op, http.MethodPost, path, q, jsonBody(wire.InputRequest{Data: string(data)}), nil)
		if err == nil || !inputPipeNotReady(err) || time.Now().Add(delay).After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// inputPipeWait bounds how long SendInput waits for a Daytona daemon to
// open a command's input pipe.
const inputPipeWait = 5 * time.Second

// inputPipeNotReady reports the daemon's answer to input sent before the
// command's shell opened its input pipe.
func inputPipeNotReady(err error) bool {
	var ce *client.Error
	return errors.As(err, &ce) && strings.Contains(ce.Msg, "failed to open input pipe")
}

// CloseInput implements Client (procsh servers only).
func (r *Client) CloseInput(ctx context.Context, sessionID, commandID string) error {
	const op = "close input"
	if err := checkIDs(op, sessionID, commandID); err != nil {
		return err
	}
	q, extended, err := r.extQuery(ctx, wire.FeatCloseInput)
	if err != nil {
		return err
	}
	if !extended {
		return client.Errorf(op, client.ErrUnsupported, "the server cannot close a command's stdin")
	}
	_, err = r.call(ctx, op, http.MethodPost, r.commandPath(sessionID, commandID)+"/close-input", q, noBody, nil)
	return err
}

// KillCommand implements Client (procsh servers only).
func (r *Client) KillCommand(ctx context.Context, sessionID, commandID string, sig syscall.Signal) error {
	const op = "kill command"
	if err := checkIDs(op, sessionID, commandID); err != nil {
		return err
	}
	q, extended, err := r.extQuery(ctx, wire.FeatCommandKill)
	if err != nil {
		return err
	}
	if !extended {
		return client.Errorf(op, client.ErrUnsupported, "the server cannot signal a single command")
	}
	_, err = r.call(ctx, op, http.MethodPost, r.commandPath(sessionID, commandID)+"/kill", q, jsonBody(wire.KillRequest{Signal: client.SignalName(sig)}), nil)
	return err
}
