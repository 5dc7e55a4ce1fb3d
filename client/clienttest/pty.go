package clienttest

import "testing"

// SCAFFOLD: the PTY conformance tests arrive with issue 3.
func runPTY(t *testing.T, newBackend NewFunc) {}
