// Package clienttest is the conformance suite for client.Client backends.
// Every backend (local, and remote against procsh serve) must pass it
// unchanged:
//
//	func TestConformance(t *testing.T) {
//		clienttest.Run(t, func(t *testing.T) client.Client { ... })
//	}
//
// The suite runs real processes; it checks the host's process table, so the
// backend under test must run its processes on this machine. Backends should
// use a short kill grace period (the suite's timeouts assume well under a
// second between SIGTERM and SIGKILL).
package clienttest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/proctable"
)

// NewFunc returns a fresh backend for one test; the suite closes it.
type NewFunc func(t *testing.T) client.Client

// Run runs the whole conformance suite against backends made by newBackend.
func Run(t *testing.T, newBackend NewFunc) {
	t.Run("Exec", func(t *testing.T) { runExec(t, newBackend) })
	t.Run("Session", func(t *testing.T) { runSession(t, newBackend) })
	t.Run("PTY", func(t *testing.T) { runPTY(t, newBackend) })
}

// open returns a backend that is closed when the test ends.
func open(t *testing.T, nb NewFunc) client.Client {
	t.Helper()
	c := nb(t)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// ctxFor returns a context that ends with the test (or after d).
func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// marker returns a unique `sleep` duration such as "30.4821937": a process
// running `sleep <marker>` can be found in the process table by its
// command line, whichever backend started it.
func marker(secs int) string {
	return strconv.Itoa(secs) + "." + strconv.Itoa(1000000+rand.IntN(8999999))
}

// procsWith returns the pids of live (non-zombie) processes whose command
// line contains word as a whole argument.
func procsWith(word string) []int { return must(proctable.WithArg(word)) }

// must unwraps a process-table answer. The suite cannot check anything
// without the process table, so a failure to read it stops the test binary
// with the reason.
func must(pids []int, err error) []int {
	if err != nil {
		panic("clienttest: " + err.Error())
	}
	return pids
}

// noProcs fails the test if any process with word in its command line
// is alive.
func noProcs(t *testing.T, word string) {
	t.Helper()
	if pids := procsWith(word); len(pids) > 0 {
		t.Errorf("processes with %q still alive: %v", word, pids)
		killProcs(word)
	}
}

// killProcs is test hygiene: it ends leftovers a test deliberately leaves
// running (e.g. a background job of an Exec that returned).
func killProcs(word string) {
	for _, p := range procsWith(word) {
		if pr, err := os.FindProcess(p); err == nil {
			_ = pr.Kill()
		}
	}
}

// waitFor polls cond (test-side only) until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wantKind checks that err matches the sentinel kind.
func wantKind(t *testing.T, err, kind error, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want %v", what, kind)
		return
	}
	if !errors.Is(err, kind) {
		t.Errorf("%s: got %v (kind %v), want kind %v", what, err, client.KindOf(err), kind)
	}
	if strings.TrimSpace(err.Error()) == "" {
		t.Errorf("%s: empty error message", what)
	}
}

// q formats bytes for messages.
func q(s string) string {
	if len(s) > 200 {
		return fmt.Sprintf("%q...(%d bytes)", s[:200], len(s))
	}
	return fmt.Sprintf("%q", s)
}
