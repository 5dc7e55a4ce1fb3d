package local

import (
	"sync"
)

// Backend runs processes on this machine. Create it with New; it is safe for
// concurrent use. Close ends every session and PTY it started.
type Backend struct {
	opts options
	ptys *ptyManager

	mu     sync.Mutex
	closed bool
}

// New returns a local backend.
func New(opts ...Option) (*Backend, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	b := &Backend{opts: o}
	b.ptys = newPTYManager(&b.opts)
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
	b.mu.Unlock()
	b.ptys.closeAll()
	return nil
}
