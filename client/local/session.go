package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/client"
)

// A session is one long-lived shell (see session_shell.go) plus the Go side
// that feeds it commands one at a time, in submission order, from a queue.
//
// One goroutine per session (the runner) owns the shell: it writes each
// command's wrapper to the shell's stdin and then polls the command's stdout
// and stderr FIFOs, the shell's status pipe (fd 3) and a wake pipe. A
// command is complete when its status line arrives; everything a foreground
// command wrote is in the FIFO buffers by then, so the runner drains them
// without blocking and finishes the command. No polling with timers is
// involved: a sync `true` returns as soon as the shell reports it.
//
// stdout and stderr are separate FIFOs read by one poll loop, so their
// relative order is kept as well as the OS allows; two writes to different
// streams closer together than the reader's scheduling latency may be logged
// in either order (the same is true of any reader of two pipes).
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

	wakeR, wakeW int
	closing      chan struct{}
	runnerDone   chan struct{}
	kick         chan struct{}

	mu     sync.Mutex
	closed bool
	cmds   map[string]*command
	order  []*command
	queue  []*command
	sh     *shellProc // current shell; set and cleared by the runner under mu
}

// command is one command of a session.
type command struct {
	id    string
	text  string
	async bool
	log   *cmdLog
	done  chan struct{}

	// guarded by session.mu
	started   bool
	exitCode  *int
	signal    string
	killSig   syscall.Signal // last signal sent by KillCommand
	cancelled bool           // killed before it started
	deleted   bool           // ended because the session was deleted
	viaShell  bool           // KillCommand had to signal the session shell
	stdin     *os.File       // async: our O_RDWR end of the stdin FIFO
	opened    bool           // async: the shell has opened the stdin FIFO
	closeSoon bool           // async: CloseInput came before opened
	inPath    string
}

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
	if err := checkEnv(op, opts.Env); err != nil {
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
	dir, err := os.MkdirTemp(b.tmp, "procsh-session-*")
	if err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "session dir", Err: err}
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		os.RemoveAll(dir)
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "pipe", Err: err}
	}
	token := newID()
	s := &session{
		b: b, id: opts.ID, dir: dir, token: token,
		cwd:   b.resolveDir(opts.Cwd),
		env:   append(mergeEnv(b.baseEnv(), opts.Env), "PROCSH_SESSION="+token),
		wakeR: p[0], wakeW: p[1],
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
	unix.Close(s.wakeR)
	unix.Close(s.wakeW)
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

// destroy ends every process the session started (TERM, grace, KILL),
// fails queued and running commands' waiters with ErrClosed, and frees the
// session's fds, goroutines and files. It returns once all of that is done.
func (s *session) destroy() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.runnerDone
		return
	}
	s.closed = true
	close(s.closing)
	// Earlier shells are reaped and their pids may belong to someone else
	// by now; their children still carry the session marker.
	tree := treeSpec{marker: "PROCSH_SESSION=" + s.token}
	if s.sh != nil && s.sh.alive() {
		tree.pgid = s.sh.pid
		tree.roots = []int{s.sh.pid}
	}
	queued := s.queue
	s.queue = nil
	for _, c := range s.order {
		if c.exitCode == nil {
			c.deleted = true
		}
	}
	s.mu.Unlock()
	_, _ = unix.Write(s.wakeW, []byte{1})
	tree.terminate(s.b.opts.killGrace)
	for _, c := range queued {
		s.finish(c, -1, "")
	}
	<-s.runnerDone
	unix.Close(s.wakeR)
	unix.Close(s.wakeW)
	os.RemoveAll(s.dir)
}

// ExecSession implements client.Client.
func (b *Backend) ExecSession(ctx context.Context, sessionID string, req client.SessionExecRequest) (*client.SessionExecResult, error) {
	const op = "exec session command"
	if blank(req.Command) {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "command cannot be empty or whitespace-only")
	}
	s, err := b.lookup(op, sessionID)
	if err != nil {
		return nil, err
	}
	c := &command{id: newID(), text: req.Command, async: req.Async, log: newCmdLog(), done: make(chan struct{})}
	if req.Async {
		// The stdin FIFO exists from submission on, so input sent while
		// the command still waits in the queue is delivered when it starts.
		c.inPath = filepath.Join(s.dir, c.id+".in")
		if err := unix.Mkfifo(c.inPath, 0o600); err != nil {
			return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "stdin fifo", Err: err}
		}
		// O_RDWR never blocks and keeps a writer on the FIFO, so the
		// command sees EOF only when CloseInput closes it.
		f, err := os.OpenFile(c.inPath, os.O_RDWR, 0)
		if err != nil {
			os.Remove(c.inPath)
			return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "stdin fifo", Err: err}
		}
		c.stdin = f
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
	logs := c.log.snapshot()
	return &client.SessionExecResult{CmdID: c.id, ExitCode: info.ExitCode, Output: logs.Output, Stdout: logs.Stdout, Stderr: logs.Stderr, Signal: info.Signal}, nil
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
	l := c.log.snapshot()
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

// SendInput implements client.Client.
func (b *Backend) SendInput(ctx context.Context, sessionID, commandID string, data []byte) error {
	const op = "send input"
	s, c, err := b.lookupCmd(op, sessionID, commandID)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return client.Errorf(op, client.ErrInvalidArgument, "no data")
	}
	s.mu.Lock()
	f, done, async, closing := c.stdin, c.exitCode != nil, c.async, c.closeSoon
	s.mu.Unlock()
	switch {
	case done:
		return client.Errorf(op, client.ErrClosed, "command %q has already completed", commandID)
	case !async:
		return client.Errorf(op, client.ErrClosed, "command %q was run synchronously; its stdin is /dev/null", commandID)
	case f == nil || closing:
		return client.Errorf(op, client.ErrClosed, "stdin of command %q was closed", commandID)
	}
	stop := context.AfterFunc(ctx, func() { _ = f.SetWriteDeadline(time.Now()) })
	defer stop()
	if _, err := f.Write(data); err != nil {
		if ctx.Err() != nil {
			return &client.Error{Op: op, Kind: ctxKind(ctx.Err()), Err: ctx.Err()}
		}
		return &client.Error{Op: op, Kind: client.ErrClosed, Msg: "command stdin", Err: err}
	}
	return nil
}

// CloseInput implements client.Client.
func (b *Backend) CloseInput(ctx context.Context, sessionID, commandID string) error {
	const op = "close input"
	s, c, err := b.lookupCmd(op, sessionID, commandID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.exitCode != nil {
		return client.Errorf(op, client.ErrClosed, "command %q has already completed", commandID)
	}
	if c.stdin == nil || c.closeSoon {
		if !c.async {
			return client.Errorf(op, client.ErrClosed, "command %q was run synchronously; its stdin is /dev/null", commandID)
		}
		return client.Errorf(op, client.ErrClosed, "stdin of command %q was already closed", commandID)
	}
	if !c.opened {
		// Closing now would drop what the FIFO holds before the command
		// opened it; the runner closes it when the shell reports the open.
		c.closeSoon = true
		return nil
	}
	c.stdin.Close()
	c.stdin = nil
	return nil
}

// KillCommand implements client.Client. The command's processes are the
// ones carrying PROCSH_CMD=<id> in their environment, plus their
// descendants; the session shell itself is spared. A command made only of
// shell builtins (a `while` loop, `read`) has no process of its own: then
// the session shell is signalled, TERM first for signals it cannot trap so
// that it saves its state, and the session carries on in a new shell with
// that state; the command reports the requested signal.
func (b *Backend) KillCommand(ctx context.Context, sessionID, commandID string, sig syscall.Signal) error {
	const op = "kill command"
	if sig <= 0 || sig > 64 {
		return client.Errorf(op, client.ErrInvalidArgument, "invalid signal %d", int(sig))
	}
	s, c, err := b.lookupCmd(op, sessionID, commandID)
	if err != nil {
		return err
	}
	if !s.kill(c, sig, false) {
		return client.Errorf(op, client.ErrClosed, "command %q has already completed", commandID)
	}
	return nil
}

// kill signals a command; terminate escalates TERM to KILL after the grace
// period. It reports false if the command had already ended.
func (s *session) kill(c *command, sig syscall.Signal, terminate bool) bool {
	s.mu.Lock()
	if c.exitCode != nil {
		s.mu.Unlock()
		return false
	}
	c.killSig = sig
	if !c.started {
		c.cancelled = true
		for i, q := range s.queue {
			if q == c {
				s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		s.finish(c, 128+int(sig), signalName(sig))
		return true
	}
	shell := 0
	if s.sh != nil {
		shell = s.sh.pid
	}
	s.mu.Unlock()
	tree := treeSpec{marker: "PROCSH_CMD=" + c.id, skip: shell}
	if terminate {
		tree.terminate(s.b.opts.killGrace)
	} else if tree.signal(sig) > 0 {
		return true
	}
	select {
	case <-c.done:
		return true
	case <-time.After(10 * time.Millisecond):
	}
	// Nothing of the command's own was found (or it outlived its
	// processes): it runs in the shell itself.
	if shell <= 0 {
		return true
	}
	s.mu.Lock()
	c.viaShell = true
	s.mu.Unlock()
	switch {
	case terminate:
		treeSpec{pgid: shell, roots: []int{shell}}.terminate(s.b.opts.killGrace)
	case sig == syscall.SIGTERM || sig == syscall.SIGINT || sig == syscall.SIGHUP:
		_ = unix.Kill(shell, sig) // trapped: the shell saves its state first
	default:
		// The session shell cannot save its state when it dies of an
		// untrapped signal (KILL above all), so it gets a TERM first and
		// the requested signal only if that did not end the command.
		_ = unix.Kill(shell, syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(s.b.opts.killGrace):
			_ = unix.Kill(shell, sig)
		}
	}
	return true
}

// readBufs recycles the runner's read buffers (only running commands
// hold one, so idle sessions cost nothing).
var readBufs = sync.Pool{New: func() any { b := make([]byte, 256*1024); return &b }}

// finish records a command's end and releases its waiters. Every log append
// happens before, so a waiter or stream sees the whole output.
func (s *session) finish(c *command, code int, sig string) {
	s.mu.Lock()
	if c.exitCode != nil {
		s.mu.Unlock()
		return
	}
	c.exitCode = &code
	c.signal = sig
	if c.stdin != nil {
		c.stdin.Close()
		c.stdin = nil
	}
	s.mu.Unlock()
	if c.inPath != "" {
		os.Remove(c.inPath)
	}
	c.log.finish()
	close(c.done)
}

// runner runs queued commands one at a time until the session closes.
func (s *session) runner() {
	defer close(s.runnerDone)
	for {
		c := s.next()
		if c == nil {
			break
		}
		s.execute(c)
	}
	s.mu.Lock()
	sh := s.sh
	s.sh = nil
	queued := s.queue
	s.queue = nil
	s.mu.Unlock()
	for _, c := range queued {
		s.finish(c, -1, "")
	}
	if sh != nil {
		s.dropShell(sh)
	}
}

// next waits for the next queued command; nil means the session closed.
func (s *session) next() *command {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil
		}
		if len(s.queue) > 0 {
			c := s.queue[0]
			s.queue = s.queue[1:]
			c.started = true
			s.mu.Unlock()
			return c
		}
		s.mu.Unlock()
		select {
		case <-s.kick:
		case <-s.closing:
		}
	}
}

// ensureShell returns a live shell, starting a new one if the last exited.
func (s *session) ensureShell() (*shellProc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, client.Errorf("exec session command", client.ErrClosed, "session %q was deleted", s.id)
	}
	if s.sh != nil && s.sh.alive() {
		return s.sh, nil
	}
	if s.sh != nil {
		old := s.sh
		s.sh = nil
		s.mu.Unlock()
		s.dropShell(old)
		s.mu.Lock()
		if s.closed {
			return nil, client.Errorf("exec session command", client.ErrClosed, "session %q was deleted", s.id)
		}
	}
	sh, err := s.spawnShell()
	if err != nil {
		return nil, err
	}
	s.sh = sh
	return sh, nil
}

// execute runs one command in the session shell and finishes it.
func (s *session) execute(c *command) {
	base := filepath.Join(s.dir, c.id)
	outP, errP := base+".out", base+".err"
	defer func() {
		os.Remove(base + ".sh")
		os.Remove(outP)
		os.Remove(errP)
	}()
	fail := func(err error) {
		c.log.append(client.Stderr, []byte("procsh: "+err.Error()+"\n"))
		s.finish(c, -1, "")
	}
	if err := os.WriteFile(base+".sh", []byte(c.text), 0o600); err != nil {
		fail(err)
		return
	}
	var fds [2]int
	for i, p := range []string{outP, errP} {
		if err := unix.Mkfifo(p, 0o600); err != nil {
			fail(err)
			return
		}
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			fail(err)
			return
		}
		// A bigger pipe means fewer wakeups of writer and reader when a
		// command writes a lot; failure (a lower pipe-max-size) is harmless.
		_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, 1<<20)
		fds[i] = fd
		defer unix.Close(fd)
	}

	var sh *shellProc
	for attempt := 0; ; attempt++ {
		var err error
		sh, err = s.ensureShell()
		if err != nil {
			fail(err)
			return
		}
		_, err = sh.stdin.WriteString(s.wrapper(c, outP, errP, c.inPath))
		if err == nil {
			break
		}
		// The shell died while idle (EPIPE): start another and retry once.
		<-sh.exited
		if attempt > 0 {
			fail(err)
			return
		}
	}
	s.wait(c, sh, fds)
}

// wait follows a started command until its status line arrives or the
// shell exits, logging its output, and then finishes it.
func (s *session) wait(c *command, sh *shellProc, fds [2]int) {
	pfd := []unix.PollFd{
		{Fd: int32(fds[0]), Events: unix.POLLIN},
		{Fd: int32(fds[1]), Events: unix.POLLIN},
		{Fd: int32(sh.statusFd), Events: unix.POLLIN},
		{Fd: int32(s.wakeR), Events: unix.POLLIN},
	}
	streams := [2]client.Stream{client.Stdout, client.Stderr}
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := *bp
	var status []byte
	code, haveCode, shellDied := 0, false, false
	for !haveCode && !shellDied {
		if _, err := unix.Poll(pfd, -1); err != nil {
			// EINTR; anything else (ENOMEM) is transient as well.
			if err != unix.EINTR {
				time.Sleep(time.Millisecond)
			}
			continue
		}
		for i := 0; i < 2; i++ {
			if pfd[i].Revents&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) == 0 {
				continue
			}
			// A few reads per wakeup save poll calls on bulk output while
			// still alternating between the streams.
			for k := 0; k < 4; k++ {
				n, err := unix.Read(fds[i], buf)
				if n > 0 {
					c.log.append(streams[i], buf[:n])
					if n == len(buf) {
						continue
					}
				} else if err == nil || err != unix.EAGAIN {
					pfd[i].Fd = -1 // EOF: every writer is gone
				}
				break
			}
		}
		if pfd[2].Revents != 0 {
			n, err := unix.Read(sh.statusFd, buf)
			if n > 0 {
				status = append(status, buf[:n]...)
				for {
					line, rest, ok := strings.Cut(string(status), "\n")
					if !ok {
						break
					}
					status = []byte(rest)
					id, v, _ := strings.Cut(line, " ")
					if id == c.id && v == "S" {
						s.mu.Lock()
						c.opened = true
						if c.closeSoon && c.stdin != nil {
							c.stdin.Close()
							c.stdin = nil
						}
						s.mu.Unlock()
					} else if id == c.id {
						code, _ = strconv.Atoi(v)
						haveCode = true
					}
				}
			} else if err == nil || err != unix.EAGAIN {
				pfd[2].Fd = -1 // the shell exec'd another program, or is exiting
			}
		}
		if pfd[3].Revents != 0 {
			var b [64]byte
			_, _ = unix.Read(s.wakeR, b[:])
			shellDied = !sh.alive()
		}
	}
	// Foreground output is all in the FIFO buffers now; take it without
	// waiting for background jobs that may hold the FIFOs open.
	// The cap only matters when a background job writes without end.
	for i := 0; i < 2; i++ {
		for total := 0; pfd[i].Fd >= 0 && total < maxDrainAfterExit; {
			n, _ := unix.Read(fds[i], buf)
			if n <= 0 {
				break
			}
			total += n
			c.log.append(streams[i], buf[:n])
		}
	}
	sig := ""
	if !haveCode {
		var ws syscall.WaitStatus
		if ps := sh.cmd.ProcessState; ps != nil {
			ws, _ = ps.Sys().(syscall.WaitStatus)
		}
		if ws.Signaled() {
			code = 128 + int(ws.Signal())
			sig = signalName(ws.Signal())
		} else {
			code = ws.ExitStatus()
		}
	}
	s.mu.Lock()
	if c.killSig != 0 && (c.viaShell || sig == "" && code == 128+int(c.killSig)) {
		sig = signalName(c.killSig)
	}
	s.mu.Unlock()
	s.finish(c, code, sig)
}
