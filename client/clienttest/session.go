package clienttest

import "testing"

// SCAFFOLD: replaced by the session conformance tests (issue 2).
func runSession(t *testing.T, newBackend NewFunc) {}
