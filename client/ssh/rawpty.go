package ssh

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/ids"
	"github.com/procsh/procsh/internal/shell"
)

// Raw-mode PTYs: each is one SSH session with a pty request. Output is read
// by one goroutine and handed to every attached handle (each buffers up to
// rawHandleBuf unread bytes, then is cut off as a slow consumer) and to a
// scrollback ring. Kill sends SIGKILL to the program's process group (the
// pty's session, which sshd made it lead) over a second channel.
const (
	rawHandleBuf  = 4 << 20
	rawScrollback = 64 << 10
	rawMaxSize    = 1000
)

func syscallSignal(n int) syscall.Signal { return syscall.Signal(n) }

type rawPTYs struct {
	mu   sync.Mutex
	ptys map[string]*rawPTY
}

type rawPTY struct {
	c    *Client
	info client.PTYInfo // guarded by mu
	opts client.PTYOptions
	tag  string // tagKey value of its processes

	wmu     sync.Mutex // serialises input: an SSH channel takes one writer at a time
	mu      sync.Mutex
	cond    sync.Cond
	sess    *ssh.Session
	stdin   io.WriteCloser
	pid     int
	started bool
	handles map[*rawHandle]struct{}
	ring    []byte
	cut     bool
	ended   bool
	result  client.PTYResult
	done    chan struct{} // closed when the program has ended and output is delivered
}

func (c *Client) ptyTable() *rawPTYs {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.raw == nil {
		c.raw = &rawPTYs{ptys: map[string]*rawPTY{}}
	}
	return c.raw
}

func (c *Client) rawCreatePTY(ctx context.Context, opts client.PTYOptions) (*client.PTYInfo, error) {
	op := "create pty"
	if opts.ID == "" || strings.Contains(opts.ID, "/") || strings.Contains(opts.ID, "..") {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "bad PTY id %q", opts.ID)
	}
	if opts.Cols == 0 {
		opts.Cols = 80
	}
	if opts.Rows == 0 {
		opts.Rows = 24
	}
	if opts.Cols > rawMaxSize || opts.Rows > rawMaxSize {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "size %dx%d out of range (max %d)", opts.Cols, opts.Rows, rawMaxSize)
	}
	if err := client.CheckEnv(op, opts.Env); err != nil {
		return nil, err
	}
	t := c.ptyTable()
	t.mu.Lock()
	if old, ok := t.ptys[opts.ID]; ok {
		old.mu.Lock()
		ended := old.ended
		old.mu.Unlock()
		if !ended {
			t.mu.Unlock()
			return nil, client.Errorf(op, client.ErrConflict, "PTY %q exists", opts.ID)
		}
	}
	p := &rawPTY{c: c, opts: opts, tag: ids.Hex(8), handles: map[*rawHandle]struct{}{}, done: make(chan struct{})}
	p.cond.L = &p.mu
	env := map[string]string{"TERM": "xterm-256color"}
	for k, v := range opts.Env {
		env[k] = v
	}
	p.info = client.PTYInfo{ID: opts.ID, Cwd: opts.Cwd, Env: env, Cols: opts.Cols, Rows: opts.Rows, CreatedAt: time.Now(), LazyStart: opts.LazyStart}
	t.ptys[opts.ID] = p
	t.mu.Unlock()
	if !opts.LazyStart {
		if err := p.start(); err != nil {
			t.mu.Lock()
			delete(t.ptys, opts.ID)
			t.mu.Unlock()
			return nil, err
		}
	}
	return p.describe(), nil
}

// start runs the program on a pty. The wrapper prints its pid as the first
// line, which is taken off the output.
func (p *rawPTY) start() error {
	op := "start pty"
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return nil
	}
	s, err := p.c.conn.NewSession()
	if err != nil {
		return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "open SSH channel", Err: err}
	}
	env := map[string]string{}
	for k, v := range p.info.Env {
		env[k] = v
	}
	term := env["TERM"]
	delete(env, "TERM")
	env[tagKey] = p.tag
	exports, err := prelude(op, "", env)
	if err != nil {
		s.Close()
		return err
	}
	// Checks first, reported on the first line instead of the pid, so a
	// bad cwd or program is an error of the call, not a PTY that exits.
	var pre string
	if p.opts.Cwd != "" {
		pre += "cd -- " + shell.Quote(p.opts.Cwd) + " 2>/dev/null || { echo '" + pidMark + "!cwd'; exit 1; }; "
	}
	prog := `exec "${SHELL:-/bin/sh}" -i -l`
	if len(p.opts.Command) > 0 {
		pre += "command -v " + shell.Quote(p.opts.Command[0]) + " >/dev/null 2>&1 || { echo '" + pidMark + "!prog'; exit 1; }; "
		prog = "exec " + shell.Join(p.opts.Command)
	}
	pre += "echo " + pidMark + "$$; " + exports
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
	if err := s.RequestPty(term, int(p.info.Rows), int(p.info.Cols), modes); err != nil {
		s.Close()
		return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "pty request refused", Err: err}
	}
	stdin, _ := s.StdinPipe()
	stdout, _ := s.StdoutPipe()
	if err := s.Start("exec /bin/sh -c " + shell.Quote(pre+prog)); err != nil {
		s.Close()
		return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "start PTY program", Err: err}
	}
	br := bufio.NewReader(stdout)
	// The login shell's own output before the pid line (an rc file that
	// prints) is dropped: the program has not started yet.
	line, err := readPid(br, nil)
	if err != nil {
		s.Close()
		return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "PTY program did not start", Err: err}
	}
	switch line {
	case "!cwd":
		s.Close()
		return client.Errorf(op, client.ErrInvalidArgument, "working directory %q does not exist", p.opts.Cwd)
	case "!prog":
		s.Close()
		return client.Errorf(op, client.ErrInvalidArgument, "program %q not found", p.opts.Command[0])
	}
	p.pid, _ = strconv.Atoi(line)
	p.sess, p.stdin, p.started = s, stdin, true
	p.info.Active = true
	go p.pump(br)
	return nil
}

func (p *rawPTY) pump(r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			p.deliver(buf[:n])
		}
		if err != nil {
			break
		}
	}
	werr := p.sess.Wait()
	code := 0
	var ee *ssh.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		code = ee.ExitStatus()
		if sig := ee.Signal(); sig != "" {
			if n, err := client.ParseSignal(sig); err == nil {
				code = 128 + int(n)
			}
		}
	default:
		code = -1
	}
	p.mu.Lock()
	if !p.ended {
		p.result = client.PTYResult{ExitCode: code, Reason: client.PTYExitReason(code)}
	}
	p.ended = true
	p.info.Active = false
	p.cond.Broadcast()
	for h := range p.handles {
		h.finish()
	}
	p.mu.Unlock()
	close(p.done)
}

func (p *rawPTY) deliver(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ring = append(p.ring, b...)
	if len(p.ring) > rawScrollback {
		p.ring = append([]byte(nil), p.ring[len(p.ring)-rawScrollback:]...)
		p.cut = true
	}
	for h := range p.handles {
		if !h.push(b) {
			delete(p.handles, h)
		}
	}
}

func (p *rawPTY) describe() *client.PTYInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := p.info
	if p.ended {
		code := p.result.ExitCode
		in.Exited, in.ExitCode, in.ExitReason = true, &code, p.result.Reason
	}
	return &in
}

func (c *Client) lookupPTY(op, id string) (*rawPTY, error) {
	if err := c.check(op); err != nil {
		return nil, err
	}
	t := c.ptyTable()
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.ptys[id]
	if !ok {
		return nil, client.Errorf(op, client.ErrNotFound, "PTY session %q not found", id)
	}
	return p, nil
}

func (c *Client) rawConnectPTY(ctx context.Context, id string, opts client.PTYConnectOptions) (client.PTYHandle, error) {
	p, err := c.lookupPTY("connect pty", id)
	if err != nil {
		return nil, err
	}
	h := &rawHandle{p: p}
	h.cond.L = &h.mu
	p.mu.Lock()
	if opts.Scrollback {
		h.scroll, h.cut = append([]byte(nil), p.ring...), p.cut
		h.buf = append(h.buf, h.scroll...)
	}
	if p.ended {
		h.eof = true
	} else {
		p.handles[h] = struct{}{}
	}
	started := p.started
	p.mu.Unlock()
	if !started {
		if err := p.start(); err != nil {
			p.mu.Lock()
			delete(p.handles, h)
			p.mu.Unlock()
			if errors.Is(err, client.ErrInvalidArgument) {
				// It can never start: forget it, as a failed create does.
				t := c.ptyTable()
				t.mu.Lock()
				if t.ptys[id] == p {
					delete(t.ptys, id)
				}
				t.mu.Unlock()
			}
			return nil, err
		}
	}
	return h, nil
}

func (c *Client) rawGetPTY(ctx context.Context, id string) (*client.PTYInfo, error) {
	p, err := c.lookupPTY("get pty", id)
	if err != nil {
		return nil, err
	}
	return p.describe(), nil
}

func (c *Client) rawListPTYs(ctx context.Context) ([]client.PTYInfo, error) {
	if err := c.check("list ptys"); err != nil {
		return nil, err
	}
	t := c.ptyTable()
	t.mu.Lock()
	ps := make([]*rawPTY, 0, len(t.ptys))
	for _, p := range t.ptys {
		ps = append(ps, p)
	}
	t.mu.Unlock()
	out := make([]client.PTYInfo, 0, len(ps))
	for _, p := range ps {
		out = append(out, *p.describe())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (c *Client) rawResizePTY(ctx context.Context, id string, cols, rows uint16) (*client.PTYInfo, error) {
	op := "resize pty"
	p, err := c.lookupPTY(op, id)
	if err != nil {
		return nil, err
	}
	if cols == 0 || rows == 0 || cols > rawMaxSize || rows > rawMaxSize {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "size %dx%d out of range (1-%d)", cols, rows, rawMaxSize)
	}
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return nil, client.Errorf(op, client.ErrClosed, "PTY %q has ended", id)
	}
	p.info.Cols, p.info.Rows = cols, rows
	s := p.sess
	p.mu.Unlock()
	if s != nil {
		if err := s.WindowChange(int(rows), int(cols)); err != nil {
			return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Err: err}
		}
	}
	return p.describe(), nil
}

func (c *Client) rawKillPTY(ctx context.Context, id string) error {
	p, err := c.lookupPTY("kill pty", id)
	if err != nil {
		return err
	}
	return p.kill(ctx)
}

// kill ends the program's process group, waits for the end to be
// delivered, and deletes the PTY.
func (p *rawPTY) kill(ctx context.Context) error {
	p.mu.Lock()
	started, pid := p.started, p.pid
	if !started {
		p.ended, p.started = true, true
		p.result = client.PTYResult{ExitCode: 137, Reason: "SIGKILL"}
		close(p.done)
	} else if !p.ended {
		p.result = client.PTYResult{ExitCode: 137, Reason: "SIGKILL"}
	}
	p.mu.Unlock()
	if started && pid > 1 {
		_ = p.c.killTree(pid, p.tag, "KILL")
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.sess.Close()
		case <-ctx.Done():
			return &client.Error{Op: "kill pty", Kind: client.ErrTimeout, Err: ctx.Err()}
		}
	}
	t := p.c.ptyTable()
	t.mu.Lock()
	if t.ptys[p.info.ID] == p {
		delete(t.ptys, p.info.ID)
	}
	t.mu.Unlock()
	return nil
}

// closePTYs kills every PTY (Client.Close).
func (c *Client) closePTYs() {
	c.mu.Lock()
	t := c.raw
	c.mu.Unlock()
	if t == nil {
		return
	}
	t.mu.Lock()
	ps := make([]*rawPTY, 0, len(t.ptys))
	for _, p := range t.ptys {
		ps = append(ps, p)
	}
	t.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, p := range ps {
		_ = p.kill(ctx)
	}
}

// rawHandle is one attachment.
type rawHandle struct {
	p      *rawPTY
	mu     sync.Mutex
	cond   sync.Cond
	buf    []byte
	eof    bool
	err    error
	closed bool
	scroll []byte
	cut    bool
}

func (h *rawHandle) push(b []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	if len(h.buf)+len(b) > rawHandleBuf {
		h.err = client.Errorf("read pty", client.ErrClosed, "slow consumer: handle disconnected after %d bytes of unread output; the PTY keeps running", len(h.buf)+len(b))
		h.cond.Broadcast()
		return false
	}
	h.buf = append(h.buf, b...)
	h.cond.Broadcast()
	return true
}

func (h *rawHandle) finish() {
	h.mu.Lock()
	h.eof = true
	h.cond.Broadcast()
	h.mu.Unlock()
}

func (h *rawHandle) ID() string { return h.p.info.ID }

func (h *rawHandle) Read(b []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.buf) == 0 && !h.eof && h.err == nil && !h.closed {
		h.cond.Wait()
	}
	if len(h.buf) > 0 {
		n := copy(b, h.buf)
		h.buf = h.buf[n:]
		return n, nil
	}
	switch {
	case h.closed:
		return 0, client.Errorf("read pty", client.ErrClosed, "handle closed")
	case h.err != nil:
		return 0, h.err
	}
	return 0, io.EOF
}

func (h *rawHandle) Write(b []byte) (int, error) {
	p := h.p
	p.mu.Lock()
	w, ended := p.stdin, p.ended
	p.mu.Unlock()
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed || ended || w == nil {
		return 0, client.Errorf("write pty", client.ErrClosed, "PTY %q is not running or the handle is closed", p.info.ID)
	}
	p.wmu.Lock()
	n, err := w.Write(b)
	p.wmu.Unlock()
	if err != nil {
		return n, &client.Error{Op: "write pty", Kind: client.ErrClosed, Err: err}
	}
	return n, nil
}

func (h *rawHandle) Resize(ctx context.Context, cols, rows uint16) error {
	_, err := h.p.c.rawResizePTY(ctx, h.p.info.ID, cols, rows)
	return err
}

func (h *rawHandle) Wait(ctx context.Context) (client.PTYResult, error) {
	select {
	case <-h.p.done:
		h.p.mu.Lock()
		defer h.p.mu.Unlock()
		return h.p.result, nil
	case <-ctx.Done():
		return client.PTYResult{}, &client.Error{Op: "wait pty", Kind: client.ErrTimeout, Err: ctx.Err()}
	}
}

func (h *rawHandle) Kill(ctx context.Context) error { return h.p.kill(ctx) }

func (h *rawHandle) Close() error {
	h.p.mu.Lock()
	delete(h.p.handles, h)
	h.p.mu.Unlock()
	h.mu.Lock()
	h.closed = true
	h.cond.Broadcast()
	h.mu.Unlock()
	return nil
}

func (h *rawHandle) Scrollback() ([]byte, bool) { return h.scroll, h.cut }
