package local

import (
	"testing"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/clienttest"
)

func newTestBackend(t *testing.T, opts ...Option) *Backend {
	t.Helper()
	b, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPTYConformance runs the backend-independent PTY suite on its own; the
// full suite (clienttest.Run) includes it as well.
func TestPTYConformance(t *testing.T) {
	clienttest.RunPTY(t, func(t *testing.T) client.Client { return newTestBackend(t) })
}
