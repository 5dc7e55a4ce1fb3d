//go:build linux

package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/procsh/procsh/client"
	"golang.org/x/sys/unix"
)

type ptyState int

const (
	ptyNew     ptyState = iota // lazy, not started
	ptyRunning                 // program running (or exited, output not yet drained)
	ptyEnded                   // exit published
)

// ptySession is one PTY and its program. Lock order: startMu, then mu, then
// a handle's mu. The manager's mu may be held while taking mu, never the
// other way round.
type ptySession struct {
	m       *ptyManager
	id      string
	command []string // as given; nil = the shell
	cwd     string   // as given; "" = default
	env     map[string]string
	lazy    bool
	created time.Time
	tag     string // value of ptyTagKey in the program's environment

	startMu sync.Mutex // serializes start against kill

	mu      sync.Mutex
	state   ptyState
	cols    uint16
	rows    uint16
	dir     string // resolved working directory, once started
	cmd     *exec.Cmd
	pid     int
	master  *os.File
	handles map[*ptyHandle]struct{}
	ring    ptyRing
	result  client.PTYResult
	ended   time.Time
	done    chan struct{} // closed once state is ptyEnded

	writeMu  sync.Mutex // input from all handles, one write at a time
	reaped   atomic.Bool
	pidfd    int // for waitCmd
	readDone chan struct{}
}

func newPTYSession(m *ptyManager, o client.PTYOptions) *ptySession {
	env := make(map[string]string, len(o.Env)+1)
	for k, v := range o.Env {
		env[k] = v
	}
	if env["TERM"] == "" {
		env["TERM"] = "xterm-256color"
	}
	return &ptySession{
		m:       m,
		id:      o.ID,
		command: append([]string(nil), o.Command...),
		cwd:     o.Cwd,
		env:     env,
		lazy:    o.LazyStart,
		created: time.Now(),
		tag:     newPTYTag(),
		cols:    o.Cols,
		rows:    o.Rows,
		handles: map[*ptyHandle]struct{}{},
		ring:    ptyRing{limit: m.scrollback},
		done:    make(chan struct{}),
	}
}

func (s *ptySession) endedAt() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended, s.state == ptyEnded
}

func (s *ptySession) info() client.PTYInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := make(map[string]string, len(s.env))
	for k, v := range s.env {
		env[k] = v
	}
	cwd := s.dir
	if cwd == "" {
		cwd = s.resolveDir()
	}
	in := client.PTYInfo{
		ID: s.id, Cwd: cwd, Env: env, Cols: s.cols, Rows: s.rows,
		CreatedAt: s.created, Active: s.state == ptyRunning, LazyStart: s.lazy,
	}
	if s.state == ptyEnded {
		code := s.result.ExitCode
		in.Exited, in.ExitCode, in.ExitReason = true, &code, s.result.Reason
	}
	return in
}

func (s *ptySession) resolveDir() string {
	switch {
	case s.cwd != "":
		return s.cwd
	case s.m.opts.dir != "":
		return s.m.opts.dir
	}
	wd, _ := os.Getwd()
	return wd
}

func (s *ptySession) environ() []string {
	base := s.m.opts.env
	if base == nil {
		base = os.Environ()
	}
	keys := make([]string, 0, len(s.env))
	for k := range s.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := append([]string(nil), base...)
	for _, k := range keys {
		out = append(out, k+"="+s.env[k]) // exec.Cmd keeps the last of duplicates
	}
	return append(out, ptyTagKey+"="+s.tag, ownerEntry())
}

// start runs the program unless it already runs or has ended.
func (s *ptySession) start(op string) error {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	return s.startLocked(op)
}

// connect attaches a handle and starts a lazy program, in that order, so the
// first handle of a lazy PTY sees all of its output.
func (s *ptySession) connect(op string, scrollback bool) (*ptyHandle, error) {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	h, err := s.attach(op, scrollback)
	if err != nil {
		return nil, err
	}
	if err := s.startLocked(op); err != nil {
		s.mu.Lock()
		delete(s.handles, h)
		s.mu.Unlock()
		return nil, err
	}
	return h, nil
}

// startLocked is start with startMu held.
func (s *ptySession) startLocked(op string) error {
	s.mu.Lock()
	st, cols, rows := s.state, s.cols, s.rows
	s.mu.Unlock()
	switch st {
	case ptyRunning:
		return nil
	case ptyEnded:
		if s.pid == 0 { // deleted before it ever started
			return client.Errorf(op, client.ErrNotFound, "PTY session %q not found", s.id)
		}
		return nil
	}

	dir := s.resolveDir()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a directory")
		}
		return &client.Error{Op: op, Kind: client.ErrInvalidArgument, Msg: fmt.Sprintf("failed to start PTY session: cwd %q", dir), Err: err}
	}
	argv := s.command
	if len(argv) == 0 {
		argv = []string{s.m.shell, "-i", "-l"}
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return &client.Error{Op: op, Kind: client.ErrInvalidArgument, Msg: "failed to start PTY session", Err: err}
	}
	master, slave, err := openPTY(cols, rows)
	if err != nil {
		return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "failed to start PTY session", Err: err}
	}
	cmd := &exec.Cmd{
		Path: path, Args: argv, Dir: dir, Env: s.environ(),
		Stdin: slave, Stdout: slave, Stderr: slave,
		// Own session with the pty as controlling terminal, so job control
		// and Ctrl-C work and the tree can be found by session id.
		SysProcAttr: &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0},
	}
	withPidfd(cmd, &s.pidfd)
	err = cmd.Start()
	slave.Close() // the child has its copies; EIO on the master then means "all closed"
	if err != nil {
		master.Close()
		kind := client.ErrUnavailable
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			kind = client.ErrInvalidArgument
		}
		return &client.Error{Op: op, Kind: kind, Msg: "failed to start PTY session", Err: err}
	}
	s.mu.Lock()
	s.state, s.dir, s.cmd, s.pid, s.master = ptyRunning, dir, cmd, cmd.Process.Pid, master
	s.readDone = make(chan struct{})
	s.mu.Unlock()
	go s.readLoop()
	go s.waitLoop()
	return nil
}

// readLoop is the only reader of the master. It hands every chunk to the
// scrollback ring and to each attached handle without ever blocking on one.
func (s *ptySession) readLoop() {
	defer close(s.readDone)
	// n_tty hands the master at most its 4 KiB read buffer per read, rarely
	// more under load; 16 KiB keeps idle PTYs small without costing speed.
	buf := make([]byte, 16<<10)
	for {
		n, err := s.master.Read(buf)
		if n > 0 {
			s.deliver(buf[:n])
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && s.reaped.Load() {
			// The program is gone but something it started may still hold
			// the slave open, so EIO may never come: take what is buffered.
			s.drain(buf)
		}
		return
	}
}

// drain reads what the master holds right now, without waiting. The read
// deadline set by waitLoop stays in force, so it reads the fd directly;
// n_tty_read flushes pending tty buffer work before it reports EAGAIN, so
// everything written before the program exited is seen.
func (s *ptySession) drain(buf []byte) {
	rc, err := s.master.SyscallConn()
	if err != nil {
		return
	}
	stop := time.Now().Add(2 * time.Second) // a background writer may never pause
	for time.Now().Before(stop) {
		var n int
		var rerr error
		if err := rc.Control(func(fd uintptr) { n, rerr = unix.Read(int(fd), buf) }); err != nil {
			return
		}
		if n > 0 {
			s.deliver(buf[:n])
		}
		if rerr != nil || n == 0 {
			return
		}
	}
}

func (s *ptySession) deliver(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring.write(p)
	for h := range s.handles {
		if !h.push(p) {
			delete(s.handles, h)
		}
	}
}

// waitLoop reaps the program, lets readLoop deliver the rest of its output,
// then publishes the exit.
func (s *ptySession) waitLoop() {
	_ = waitCmd(s.cmd, s.pidfd)
	code, reason := -1, "non-zero exit"
	if ps := s.cmd.ProcessState; ps != nil {
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
			code, reason = ptyExit(ws)
		}
	}
	s.reaped.Store(true)
	_ = s.master.SetReadDeadline(time.Now())
	<-s.readDone

	s.mu.Lock()
	s.state = ptyEnded
	s.result = client.PTYResult{ExitCode: code, Reason: reason}
	s.ended = time.Now()
	for h := range s.handles {
		h.finish()
	}
	s.handles = map[*ptyHandle]struct{}{}
	close(s.done)
	s.mu.Unlock()
	// Pending writes fail with an error once the master is closed.
	s.master.Close()
}

func (s *ptySession) resize(op string, cols, rows uint16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case ptyEnded:
		return client.Errorf(op, client.ErrClosed, "PTY session %q has ended", s.id)
	case ptyRunning:
		if err := setWinsize(s.master, cols, rows); err != nil {
			return &client.Error{Op: op, Kind: client.ErrUnavailable, Err: err}
		}
	}
	s.cols, s.rows = cols, rows
	return nil
}

func (s *ptySession) write(p []byte) (int, error) {
	const op = "write pty"
	s.mu.Lock()
	st, master := s.state, s.master
	s.mu.Unlock()
	if st != ptyRunning {
		return 0, client.Errorf(op, client.ErrClosed, "PTY session %q has ended", s.id)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	n, err := master.Write(p)
	if err != nil {
		return n, &client.Error{Op: op, Kind: client.ErrClosed, Msg: fmt.Sprintf("PTY session %q has ended", s.id), Err: err}
	}
	return n, nil
}

// kill ends the program's whole tree (or marks an unstarted PTY ended) and
// waits until the exit has been published.
func (s *ptySession) kill() {
	if t, ok := s.killTarget(); ok {
		killPTYTrees([]ptyTarget{t})
	}
	<-s.done
}

// killTarget returns the tree to kill, or marks a PTY that never started as
// ended and reports false. The tree is returned after the exit too:
// background children may have outlived the program.
func (s *ptySession) killTarget() (ptyTarget, bool) {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == ptyNew {
		s.state, s.ended = ptyEnded, time.Now()
		s.result = client.PTYResult{ExitCode: 137, Reason: "SIGKILL"}
		close(s.done)
		return ptyTarget{}, false
	}
	if s.pid == 0 {
		return ptyTarget{}, false
	}
	return ptyTarget{root: s.pid, tag: s.tag}, true
}

func (s *ptySession) killAndRemove(ctx context.Context, op string) error {
	done := make(chan struct{})
	go func() { s.kill(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return &client.Error{Op: op, Kind: client.ErrTimeout, Msg: "waiting for the PTY to end", Err: ctx.Err()}
	}
	s.m.remove(s)
	return nil
}
