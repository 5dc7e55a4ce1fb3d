// Package clienttest is the conformance suite for client.Client backends.
// Every backend (local, and remote against procsh serve) must pass it
// unchanged:
//
//	func TestConformance(t *testing.T) {
//		clienttest.Run(t, func(t *testing.T) client.Client { ... })
//	}
//
// The suite runs real processes; it checks the host's process table, so the
// backend under test must run its processes on this machine.
package clienttest

import (
	"testing"

	"github.com/procsh/procsh/client"
)

// NewFunc returns a fresh backend for one test; the suite closes it.
type NewFunc func(t *testing.T) client.Client

// Run runs the whole conformance suite against backends made by newBackend.
func Run(t *testing.T, newBackend NewFunc) {
	t.Run("Exec", func(t *testing.T) { runExec(t, newBackend) })
	t.Run("Session", func(t *testing.T) { runSession(t, newBackend) })
	t.Run("PTY", func(t *testing.T) { runPTY(t, newBackend) })
}
