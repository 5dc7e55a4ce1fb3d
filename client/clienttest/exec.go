package clienttest

import "testing"

// SCAFFOLD: replaced by the exec conformance tests (issue 2).
func runExec(t *testing.T, newBackend NewFunc) {}
