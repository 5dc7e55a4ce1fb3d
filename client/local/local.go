//go:build linux

package local

import (
	"context"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/client"
)

// Backend runs processes on this machine. Create it with New; it is safe for
// concurrent use. Close ends every session and PTY it started.
type Backend struct {
	opts options
	ptys *ptyManager

	shell     string // exec shell (docs/protocol.md §2 rule or WithShell)
	sessShell string // session shell (bash preferred, see sessionShell)
	sessBash  bool   // whether sessShell is bash (full state keeping)
	tmp       string // where scripts, FIFOs and session state live

	mu       sync.Mutex
	closed   bool
	sessions map[string]*session
	runs     map[*context.CancelCauseFunc]bool // in-flight Exec and CodeRun
	running  sync.WaitGroup
}

var _ client.Client = (*Backend)(nil)

// New returns a local backend.
func New(opts ...Option) (*Backend, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	b := &Backend{opts: o, sessions: make(map[string]*session), runs: make(map[*context.CancelCauseFunc]bool)}
	b.shell = o.shell
	if b.shell == "" {
		b.shell = pickShell("/etc/shells", b.baseEnv())
	}
	b.sessShell, b.sessBash = sessionShell(b.shell)
	b.tmp = o.tmp
	if b.tmp == "" {
		b.tmp = pickTmp()
	}
	watchTempDir(b.tmp)
	b.ptys = newPTYManager(&b.opts)
	b.ptys.shell = b.shell
	return b, nil
}

// Close ends every session and PTY process tree the backend started.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	all := make([]*session, 0, len(b.sessions))
	for id, s := range b.sessions {
		all = append(all, s)
		delete(b.sessions, id)
	}
	runs := make([]*context.CancelCauseFunc, 0, len(b.runs))
	for r := range b.runs {
		runs = append(runs, r)
	}
	b.mu.Unlock()
	// In-flight runs end their own trees, in parallel with the sessions.
	for _, cancel := range runs {
		(*cancel)(client.ErrClosed)
	}
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.destroy()
		}()
	}
	wg.Wait()
	b.ptys.closeAll()
	b.running.Wait()
	return nil
}

// track registers an in-flight run so that Close ends it; the returned
// context is cancelled by Close, and done must be called when the run is
// over.
func (b *Backend) track(op string, ctx context.Context) (context.Context, func(), error) {
	ctx, cancel := context.WithCancelCause(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		cancel(nil)
		return nil, nil, client.Errorf(op, client.ErrClosed, "backend is closed")
	}
	b.runs[&cancel] = true
	b.running.Add(1)
	return ctx, func() {
		b.mu.Lock()
		delete(b.runs, &cancel)
		b.mu.Unlock()
		cancel(nil)
		b.running.Done()
	}, nil
}

// pickTmp chooses the directory for scripts, FIFOs and session state:
// $TMPDIR when the user set it, else /dev/shm when writable (tmpfs: creating
// and removing a file there costs tens of microseconds, against hundreds on
// a busy disk-backed /tmp, and every command does both), else os.TempDir().
func pickTmp() string {
	if os.Getenv("TMPDIR") == "" {
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() && unix.Access("/dev/shm", unix.W_OK) == nil {
			return "/dev/shm"
		}
	}
	return os.TempDir()
}

// checkOpen fails with ErrClosed once Close was called.
func (b *Backend) checkOpen(op string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return client.Errorf(op, client.ErrClosed, "backend is closed")
	}
	return nil
}
