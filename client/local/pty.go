package local

// SCAFFOLD: replaced by the PTY implementation (issue 3). Until then every PTY
// method reports client.ErrUnsupported so the package builds.

import (
	"context"

	"github.com/procsh/procsh/client"
)

type ptyManager struct{}

func newPTYManager(*options) *ptyManager { return &ptyManager{} }

func (m *ptyManager) closeAll() {}

var errNoPTY = client.Errorf("pty", client.ErrUnsupported, "PTY sessions are not built yet")

// CreatePTY implements client.Client.
func (b *Backend) CreatePTY(ctx context.Context, opts client.PTYOptions) (*client.PTYInfo, error) {
	return nil, errNoPTY
}

// ConnectPTY implements client.Client.
func (b *Backend) ConnectPTY(ctx context.Context, id string, opts client.PTYConnectOptions) (client.PTYHandle, error) {
	return nil, errNoPTY
}

// GetPTY implements client.Client.
func (b *Backend) GetPTY(ctx context.Context, id string) (*client.PTYInfo, error) {
	return nil, errNoPTY
}

// ListPTYs implements client.Client.
func (b *Backend) ListPTYs(ctx context.Context) ([]client.PTYInfo, error) { return nil, errNoPTY }

// ResizePTY implements client.Client.
func (b *Backend) ResizePTY(ctx context.Context, id string, cols, rows uint16) (*client.PTYInfo, error) {
	return nil, errNoPTY
}

// KillPTY implements client.Client.
func (b *Backend) KillPTY(ctx context.Context, id string) error { return errNoPTY }
