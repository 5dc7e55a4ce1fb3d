//go:build linux

package local

// PTY sessions (issue 3). The program is the backend shell started as
// "<shell> -i -l" unless PTYOptions.Command says otherwise, in its own
// session with the pty as controlling terminal; TERM defaults to
// xterm-256color and PTYOptions.Env is merged over the backend environment.
// Behaviour beyond the Daytona toolbox daemon, by design:
//
//   - An ended PTY stays queryable (GetPTY, ListPTYs, ConnectPTY) for five
//     minutes (ptyManager.retention; at most the 256 most recently ended are
//     kept) with Exited, ExitCode and ExitReason set, instead of vanishing. CreatePTY may reuse the id of an ended PTY
//     (it replaces it), as it could on Daytona, where it is already gone.
//   - A 64 KiB scrollback ring is kept for handles that attach late and ask
//     for it (PTYConnectOptions.Scrollback); Scrollback() says whether it
//     was cut.
//   - Each handle buffers up to 4 MiB of unread output. The PTY's single
//     reader never waits for a handle: a handle whose buffer would overflow
//     is disconnected; its Read returns what it had buffered and then an
//     error matching client.ErrClosed that says "slow consumer" (Daytona
//     closes such a client with 1008). The PTY and other handles carry on.
//   - No output is lost at exit: after the program is reaped the master is
//     drained, every byte is handed to every attached handle, and only then
//     is the exit status published; Read returns io.EOF after the last byte.
//   - Resize before a lazy PTY starts is kept and applied at start (Daytona
//     rejects it). The first ConnectPTY of a lazy PTY attaches before the
//     program starts, so that handle sees all of its output.
//   - KillPTY and Kill send SIGKILL to the program's whole tree: the program
//     first, then its descendants, every member of its session (background
//     jobs) and every process carrying its PROCSH_PTY_TAG environment entry
//     (daemons that left the session), rescanning /proc until none is left;
//     they wait until the exit (137, "SIGKILL") has been delivered to the
//     attached handles, and then delete the PTY. A program that ends by
//     itself is not followed by such a sweep; Backend.Close sweeps every PTY
//     it still holds, ended or not.

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/procsh/procsh/client"
)

const (
	ptyDefaultCols = 80
	ptyDefaultRows = 24
	ptyMaxSize     = 1000
)

// ptyManager owns the PTY sessions of one Backend.
type ptyManager struct {
	opts  *options
	shell string // the backend's shell, the default program (started -i -l)

	// Tunables, fixed at construction; tests in this package shrink them.
	retention  time.Duration // how long an ended PTY stays queryable
	maxEnded   int           // how many ended PTYs are kept at most (oldest go first)
	scrollback int           // scrollback ring size
	handleBuf  int           // per-handle unread output limit

	mu       sync.Mutex
	sessions map[string]*ptySession
	closed   bool
}

func newPTYManager(o *options) *ptyManager {
	m := &ptyManager{
		opts:       o,
		retention:  5 * time.Minute,
		maxEnded:   256,
		scrollback: 64 << 10,
		handleBuf:  4 << 20,
		sessions:   map[string]*ptySession{},
	}
	if o.ptyBuf > 0 {
		m.handleBuf = o.ptyBuf
	}
	return m
}

// closeAll kills every PTY and waits until their exits are published.
func (m *ptyManager) closeAll() {
	m.mu.Lock()
	m.closed = true
	all := make([]*ptySession, 0, len(m.sessions))
	for _, s := range m.sessions {
		all = append(all, s)
	}
	m.sessions = map[string]*ptySession{}
	m.mu.Unlock()
	var targets []ptyTarget
	for _, s := range all {
		if t, ok := s.killTarget(); ok {
			targets = append(targets, t)
		}
	}
	killPTYTrees(targets)
	for _, s := range all {
		<-s.done
	}
}

// lookup returns the session with id, dropping ended sessions whose retention
// has passed. The caller holds m.mu.
func (m *ptyManager) lookupLocked(op, id string) (*ptySession, error) {
	if m.closed {
		return nil, client.Errorf(op, client.ErrClosed, "backend is closed")
	}
	m.pruneLocked()
	s := m.sessions[id]
	if s == nil {
		return nil, client.Errorf(op, client.ErrNotFound, "PTY session %q not found", id)
	}
	return s, nil
}

// pruneLocked forgets ended PTYs past their retention, and the oldest ended
// ones beyond maxEnded, so a script that churns through many short PTYs does
// not pile up their scrollback.
func (m *ptyManager) pruneLocked() {
	now := time.Now()
	type ended struct {
		id string
		at time.Time
	}
	var kept []ended
	for id, s := range m.sessions {
		if t, ok := s.endedAt(); ok {
			if now.Sub(t) > m.retention {
				delete(m.sessions, id)
			} else {
				kept = append(kept, ended{id, t})
			}
		}
	}
	if over := len(kept) - m.maxEnded; over > 0 {
		sort.Slice(kept, func(i, j int) bool { return kept[i].at.Before(kept[j].at) })
		for _, e := range kept[:over] {
			delete(m.sessions, e.id)
		}
	}
}

func (m *ptyManager) lookup(op, id string) (*ptySession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lookupLocked(op, id)
}

// remove deletes s from the table if it is still the session under its id.
func (m *ptyManager) remove(s *ptySession) {
	m.mu.Lock()
	if m.sessions[s.id] == s {
		delete(m.sessions, s.id)
	}
	m.mu.Unlock()
}

func validPTYID(op, id string) error {
	if id == "" {
		return client.Errorf(op, client.ErrInvalidArgument, "session ID is required")
	}
	if strings.Contains(id, "/") || id == "." || id == ".." {
		return client.Errorf(op, client.ErrInvalidArgument, "PTY session ID %q must not contain '/' or be '.' or '..'", id)
	}
	return nil
}

func validPTYSize(op string, cols, rows uint16, zeroOK bool) error {
	if cols > ptyMaxSize {
		return client.Errorf(op, client.ErrInvalidArgument, "invalid value for cols - must be at most %d, got %d", ptyMaxSize, cols)
	}
	if rows > ptyMaxSize {
		return client.Errorf(op, client.ErrInvalidArgument, "invalid value for rows - must be at most %d, got %d", ptyMaxSize, rows)
	}
	if !zeroOK && (cols == 0 || rows == 0) {
		return client.Errorf(op, client.ErrInvalidArgument, "cols and rows must be at least 1, got %dx%d", cols, rows)
	}
	return nil
}

// CreatePTY implements client.Client. Cols and Rows of 0 mean 80x24. A
// program that cannot be started (a missing cwd or command) is an error
// matching client.ErrInvalidArgument and nothing is kept; for a lazy PTY
// that error comes from the first ConnectPTY instead.
func (b *Backend) CreatePTY(ctx context.Context, opts client.PTYOptions) (*client.PTYInfo, error) {
	const op = "create pty"
	if err := ctx.Err(); err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrTimeout, Err: err}
	}
	if err := validPTYID(op, opts.ID); err != nil {
		return nil, err
	}
	if err := validPTYSize(op, opts.Cols, opts.Rows, true); err != nil {
		return nil, err
	}
	if opts.Cols == 0 {
		opts.Cols = ptyDefaultCols
	}
	if opts.Rows == 0 {
		opts.Rows = ptyDefaultRows
	}
	m := b.ptys
	s := newPTYSession(m, opts)

	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, client.Errorf(op, client.ErrClosed, "backend is closed")
	}
	m.pruneLocked()
	if old := m.sessions[opts.ID]; old != nil {
		if _, ended := old.endedAt(); !ended {
			m.mu.Unlock()
			return nil, client.Errorf(op, client.ErrConflict, "PTY session with ID '%s' already exists", opts.ID)
		}
	}
	m.sessions[opts.ID] = s
	m.mu.Unlock()

	if !opts.LazyStart {
		if err := s.start(op); err != nil {
			m.remove(s)
			return nil, err
		}
	}
	info := s.info()
	return &info, nil
}

// ConnectPTY implements client.Client. It starts a lazy PTY. Connecting to
// an ended PTY (still retained) gives a handle whose Read returns the
// scrollback, if asked for, and then io.EOF, and whose Wait returns at once.
func (b *Backend) ConnectPTY(ctx context.Context, id string, opts client.PTYConnectOptions) (client.PTYHandle, error) {
	const op = "connect pty"
	if err := ctx.Err(); err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrTimeout, Err: err}
	}
	s, err := b.ptys.lookup(op, id)
	if err != nil {
		return nil, err
	}
	h, err := s.connect(op, opts.Scrollback)
	if err != nil {
		if !errors.Is(err, client.ErrNotFound) {
			b.ptys.remove(s) // a lazy start failed: nothing is kept
		}
		return nil, err
	}
	return h, nil
}

// GetPTY implements client.Client.
func (b *Backend) GetPTY(ctx context.Context, id string) (*client.PTYInfo, error) {
	s, err := b.ptys.lookup("get pty", id)
	if err != nil {
		return nil, err
	}
	info := s.info()
	return &info, nil
}

// ListPTYs implements client.Client. Ended PTYs still retained are listed
// with Exited set.
func (b *Backend) ListPTYs(ctx context.Context) ([]client.PTYInfo, error) {
	m := b.ptys
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, client.Errorf("list ptys", client.ErrClosed, "backend is closed")
	}
	m.pruneLocked()
	all := make([]*ptySession, 0, len(m.sessions))
	for _, s := range m.sessions {
		all = append(all, s)
	}
	m.mu.Unlock()
	out := make([]client.PTYInfo, 0, len(all))
	for _, s := range all {
		out = append(out, s.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ResizePTY implements client.Client. Sizes must be 1..1000. Resizing a lazy
// PTY before it starts sets the size it will start with; resizing an ended
// PTY is an error matching client.ErrClosed.
func (b *Backend) ResizePTY(ctx context.Context, id string, cols, rows uint16) (*client.PTYInfo, error) {
	const op = "resize pty"
	if err := validPTYSize(op, cols, rows, false); err != nil {
		return nil, err
	}
	s, err := b.ptys.lookup(op, id)
	if err != nil {
		return nil, err
	}
	if err := s.resize(op, cols, rows); err != nil {
		return nil, err
	}
	info := s.info()
	return &info, nil
}

// KillPTY implements client.Client: it kills the PTY's whole process tree,
// waits until the exit has been delivered to attached handles, and deletes
// the PTY. Killing an ended PTY only deletes it.
func (b *Backend) KillPTY(ctx context.Context, id string) error {
	const op = "kill pty"
	s, err := b.ptys.lookup(op, id)
	if err != nil {
		return err
	}
	return s.killAndRemove(ctx, op)
}
