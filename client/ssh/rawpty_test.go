package ssh_test

import (
	"testing"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/clienttest"
	"github.com/procsh/procsh/client/ssh"
	"github.com/procsh/procsh/internal/sshtest"
)

// TestRawPTYConformance runs the PTY part of the conformance suite against
// raw mode's PTYs (plain SSH sessions with a pty request).
func TestRawPTYConformance(t *testing.T) {
	srv := sshtest.Start(t)
	clienttest.RunPTY(t, func(t *testing.T) client.Client {
		return dial(t, srv, opts(srv, ssh.ModeRaw))
	})
}
