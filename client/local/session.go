//go:build linux

package local

import (
	"context"
	"errors"
	"os"
	"sort"
	"sync"
	"syscall"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/ids"
)

// A session is one long-lived shell (see session_shell.go) plus the Go side
// that feeds it commands one at a time, in submission order, from a queue
// (session_runner.go reads their output in session_poll.go; their stdin is
// in session_stdin.go and kills in session_kill.go).
//
// An async command that is still running blocks later commands of its
// session, as on Daytona: use separate sessions for concurrency.
//
// If a command ends the shell (`exit 3`, `set -e; false`), the command
// completes with the shell's exit status, and the next command runs in a new
// shell that first restores the state the old one saved on exit (variables,
// functions, aliases, options, cwd).
type session struct {
	b     *Backend
	id    string
	dir   string // 0700 temp dir: command files, FIFOs, saved state
	token string // PROCSH_SESSION=<token> in every process of the session
	cwd   string
	env   []string

	closing    chan struct{}
	runnerDone chan struct{}
	kick       chan struct{}

	mu     sync.Mutex
	closed bool
	cmds   map[string]*command
	order  []*command
	queue  []*command
	sh     *shellProc // current shell; set and cleared by the runner under mu
	// Every shell the session started: its process group and the read end
	// of its lifeline (fd 4 of everything it started).
	pgids []int
	lives []*os.File
	// late are the FIFOs still read for background jobs of ended
	// commands (see keepReading); the session's end closes them.
	late map[*os.File]bool
}

// command is one command of a session.
type command struct {
	id    string
	text  string
	async bool
	log   *cmdLog
	done  chan struct{} // closed by finish: the status is final
	// ended is closed once the command's main work is over (its status
	// line came, or the shell died); a kill's escalation watches it.
	// swept is closed by that escalation once nothing of a killed command
	// runs any more, which is when its status is published.
	ended   chan struct{}
	endOnce sync.Once
	swept   chan struct{}

	// guarded by session.mu
	started   bool
	exitCode  *int
	signal    string
	killSig   syscall.Signal // last ending signal sent by a kill
	cancelled bool           // killed before it started
	deleted   bool           // ended because the session was deleted
	stdin     *os.File       // async: our O_RDWR end of the stdin FIFO
	opened    bool           // async: the shell has opened the stdin FIFO
	closeSoon bool           // async: CloseInput came before opened
	inPath    string
}

// end closes c.ended (once).
func (c *command) end() { c.endOnce.Do(func() { close(c.ended) }) }

func (c *command) info() client.CommandInfo {
	ci := client.CommandInfo{ID: c.id, Command: c.text, Signal: c.signal}
	if c.exitCode != nil {
		v := *c.exitCode
		ci.ExitCode = &v
	}
	return ci
}

// CreateSession implements client.Client.
func (b *Backend) CreateSession(ctx context.Context, opts client.SessionOptions) error {
	const op = "create session"
	if err := checkSessionID(op, opts.ID); err != nil {
		return err
	}
	if err := client.CheckEnv(op, opts.Env); err != nil {
		return err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return client.Errorf(op, client.ErrClosed, "backend is closed")
	}
	if _, ok := b.sessions[opts.ID]; ok {
		b.mu.Unlock()
		return client.Errorf(op, client.ErrConflict, "session %q already exists", opts.ID)
	}
	// Reserve the id while the shell starts, without holding b.mu.
	b.sessions[opts.ID] = nil
	b.mu.Unlock()
	s, err := b.newSession(opts)
	b.mu.Lock()
	if err != nil || b.closed {
		delete(b.sessions, opts.ID)
		closed := b.closed
		b.mu.Unlock()
		if err == nil && closed {
			s.destroy()
			return client.Errorf(op, client.ErrClosed, "backend is closed")
		}
		return err
	}
	b.sessions[opts.ID] = s
	b.mu.Unlock()
	return nil
}

func (b *Backend) newSession(opts client.SessionOptions) (*session, error) {
	const op = "create session"
	dir, err := os.MkdirTemp(b.tmp, tempPattern("session", ""))
	if err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "session dir", Err: err}
	}
	token := ids.UUID()
	s := &session{
		b: b, id: opts.ID, dir: dir, token: token,
		cwd:        b.resolveDir(opts.Cwd),
		env:        append(mergeEnv(b.baseEnv(), opts.Env), "PROCSH_SESSION="+token, ownerEntry()),
		closing:    make(chan struct{}),
		runnerDone: make(chan struct{}),
		kick:       make(chan struct{}, 1),
		cmds:       make(map[string]*command),
	}
	if s.cwd != "" {
		if st, err := os.Stat(s.cwd); err != nil || !st.IsDir() {
			s.release()
			return nil, client.Errorf(op, client.ErrInvalidArgument, "working directory %q is not a directory", s.cwd)
		}
	}
	s.mu.Lock()
	sh, err := s.spawnShell()
	if err == nil {
		s.sh = sh
	}
	s.mu.Unlock()
	if err != nil {
		s.release()
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "start shell " + b.sessShell, Err: err}
	}
	go s.runner()
	return s, nil
}

// release frees what newSession allocated before the runner started.
func (s *session) release() {
	os.RemoveAll(s.dir)
}

// lookup returns a live session.
func (b *Backend) lookup(op, id string) (*session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, client.Errorf(op, client.ErrClosed, "backend is closed")
	}
	s := b.sessions[id]
	if s == nil {
		return nil, client.Errorf(op, client.ErrNotFound, "session %q not found", id)
	}
	return s, nil
}

// lookupCmd returns a session's command.
func (b *Backend) lookupCmd(op, sid, cid string) (*session, *command, error) {
	s, err := b.lookup(op, sid)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	c := s.cmds[cid]
	s.mu.Unlock()
	if c == nil {
		return nil, nil, client.Errorf(op, client.ErrNotFound, "command %q not found in session %q", cid, sid)
	}
	return s, c, nil
}

// GetSession implements client.Client.
func (b *Backend) GetSession(ctx context.Context, id string) (*client.SessionInfo, error) {
	s, err := b.lookup("get session", id)
	if err != nil {
		return nil, err
	}
	info := s.info()
	return &info, nil
}

func (s *session) info() client.SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := client.SessionInfo{ID: s.id, Commands: make([]client.CommandInfo, 0, len(s.order))}
	for _, c := range s.order {
		info.Commands = append(info.Commands, c.info())
	}
	return info
}

// ListSessions implements client.Client.
func (b *Backend) ListSessions(ctx context.Context) ([]client.SessionInfo, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, client.Errorf("list sessions", client.ErrClosed, "backend is closed")
	}
	all := make([]*session, 0, len(b.sessions))
	for _, s := range b.sessions {
		if s != nil {
			all = append(all, s)
		}
	}
	b.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	out := make([]client.SessionInfo, 0, len(all))
	for _, s := range all {
		out = append(out, s.info())
	}
	return out, nil
}

// DeleteSession implements client.Client.
func (b *Backend) DeleteSession(ctx context.Context, id string) error {
	const op = "delete session"
	if err := checkSessionID(op, id); err != nil {
		return err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return client.Errorf(op, client.ErrClosed, "backend is closed")
	}
	s := b.sessions[id]
	if s == nil {
		b.mu.Unlock()
		return client.Errorf(op, client.ErrNotFound, "session %q not found", id)
	}
	delete(b.sessions, id)
	b.mu.Unlock()
	s.destroy()
	return nil
}

// ExecSession implements client.Client.
func (b *Backend) ExecSession(ctx context.Context, sessionID string, req client.SessionExecRequest) (*client.SessionExecResult, error) {
	const op = "exec session command"
	if err := checkCommand(op, req.Command); err != nil {
		return nil, err
	}
	s, err := b.lookup(op, sessionID)
	if err != nil {
		return nil, err
	}
	c := &command{id: ids.UUID(), text: req.Command, async: req.Async, log: b.newLog(), done: make(chan struct{}), ended: make(chan struct{}), swept: make(chan struct{})}
	if req.Async {
		// The stdin FIFO exists from submission on, so input sent while
		// the command still waits in the queue is delivered when it starts.
		if err := s.openStdin(c); err != nil {
			return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "stdin fifo", Err: err}
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		if c.stdin != nil {
			c.stdin.Close()
		}
		return nil, client.Errorf(op, client.ErrClosed, "session %q was deleted", sessionID)
	}
	s.cmds[c.id] = c
	s.order = append(s.order, c)
	s.queue = append(s.queue, c)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	if req.Async {
		return &client.SessionExecResult{CmdID: c.id}, nil
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		s.kill(c, syscall.SIGTERM, true)
		<-c.done
		return nil, &client.Error{Op: op, Kind: ctxKind(ctx.Err()), Msg: "context ended; command killed", Err: ctx.Err()}
	}
	s.mu.Lock()
	deleted := c.deleted
	info := c.info()
	s.mu.Unlock()
	if deleted {
		return nil, client.Errorf(op, client.ErrClosed, "session %q was deleted while the command ran", sessionID)
	}
	logs := c.log.snapshotMax(client.OutputCap(req.MaxOutput))
	return &client.SessionExecResult{CmdID: c.id, ExitCode: info.ExitCode, Output: logs.Output, Stdout: logs.Stdout, Stderr: logs.Stderr, Signal: info.Signal, Truncated: logs.Truncated}, nil
}

// ctxKind maps a context error to a sentinel.
func ctxKind(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return client.ErrTimeout
	}
	return client.ErrClosed
}

// GetCommand implements client.Client.
func (b *Backend) GetCommand(ctx context.Context, sessionID, commandID string) (*client.CommandInfo, error) {
	s, c, err := b.lookupCmd("get command", sessionID, commandID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	info := c.info()
	s.mu.Unlock()
	return &info, nil
}

// WaitCommand implements client.Client.
func (b *Backend) WaitCommand(ctx context.Context, sessionID, commandID string) (*client.CommandInfo, error) {
	const op = "wait command"
	s, c, err := b.lookupCmd(op, sessionID, commandID)
	if err != nil {
		return nil, err
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, &client.Error{Op: op, Kind: ctxKind(ctx.Err()), Err: ctx.Err()}
	}
	s.mu.Lock()
	info, deleted := c.info(), c.deleted
	s.mu.Unlock()
	if deleted {
		return nil, client.Errorf(op, client.ErrClosed, "session %q was deleted while the command ran", sessionID)
	}
	return &info, nil
}

// GetCommandLogs implements client.Client.
func (b *Backend) GetCommandLogs(ctx context.Context, sessionID, commandID string) (*client.Logs, error) {
	_, c, err := b.lookupCmd("get command logs", sessionID, commandID)
	if err != nil {
		return nil, err
	}
	// Capped like a result: the rest stays readable with StreamCommandLogs.
	l := c.log.snapshotMax(client.DefaultMaxOutput)
	return &l, nil
}

// StreamCommandLogs implements client.Client.
func (b *Backend) StreamCommandLogs(ctx context.Context, sessionID, commandID string, opts client.LogOptions) (client.LogStream, error) {
	const op = "stream command logs"
	if opts.Offset < 0 {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "negative offset %d", opts.Offset)
	}
	_, c, err := b.lookupCmd(op, sessionID, commandID)
	if err != nil {
		return nil, err
	}
	return c.log.stream(ctx, opts), nil
}
