package clienttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/expect"
	"github.com/procsh/procsh/internal/proctable"
)

// ptyWait bounds every blocking step of the PTY tests, so a broken backend
// fails instead of hanging the suite. It is generous because a login
// shell's startup files can be slow (pyenv's rehash waits up to 60 s on a
// stale lock); passing tests never wait for it.
const ptyWait = 90 * time.Second

// plainShell is an interactive shell without the user's startup files, for
// tests that need a shell but not the default one: fast and predictable.
var plainShell = []string{"sh", "-i"}

var ptySeq atomic.Int64

// ptyID returns an id unique within the test binary.
func ptyID(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), ptySeq.Add(1))
}

func ptyCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), ptyWait)
	t.Cleanup(cancel)
	return ctx
}

// newPTYBackend makes a backend that the test closes at the end.
func newPTYBackend(t *testing.T, newBackend NewFunc) client.Client {
	c := newBackend(t)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// mustCreate creates a PTY or fails the test.
func mustCreate(t *testing.T, c client.Client, opts client.PTYOptions) *client.PTYInfo {
	t.Helper()
	info, err := c.CreatePTY(ptyCtx(t), opts)
	if err != nil {
		t.Fatalf("CreatePTY(%+v): %v", opts, err)
	}
	return info
}

// mustConnect connects a handle and closes it at the end of the test.
func mustConnect(t *testing.T, c client.Client, id string, scrollback bool) client.PTYHandle {
	t.Helper()
	h, err := c.ConnectPTY(ptyCtx(t), id, client.PTYConnectOptions{Scrollback: scrollback})
	if err != nil {
		t.Fatalf("ConnectPTY(%q): %v", id, err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// readAll reads h until it fails and returns the data and the final error
// (nil for io.EOF). It gives up after ptyWait by closing the handle and
// returns an error then. It may run on any goroutine.
func readAll(t *testing.T, h client.PTYHandle) ([]byte, error) {
	type res struct {
		data []byte
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		var buf bytes.Buffer
		p := make([]byte, 32<<10)
		for {
			n, err := h.Read(p)
			buf.Write(p[:n])
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				ch <- res{buf.Bytes(), err}
				return
			}
		}
	}()
	select {
	case r := <-ch:
		return r.data, r.err
	case <-time.After(ptyWait):
		_ = h.Close()
		r := <-ch
		return r.data, fmt.Errorf("handle %s: no EOF within %v; got %d bytes, tail %q", h.ID(), ptyWait, len(r.data), tail(r.data))
	}
}

func tail(b []byte) string {
	if len(b) > 200 {
		b = b[len(b)-200:]
	}
	return string(b)
}

// mustWait waits for the PTY's program to end.
func mustWait(t *testing.T, h client.PTYHandle) client.PTYResult {
	t.Helper()
	r, err := h.Wait(ptyCtx(t))
	if err != nil {
		t.Fatalf("Wait(%s): %v", h.ID(), err)
	}
	return r
}

// shell drives an interactive shell through the expect engine. The first
// output is awaited before anything is sent, so the shell has set up its
// terminal and nothing typed is lost or mangled.
type shell struct {
	t   *testing.T
	h   client.PTYHandle
	e   *expect.Expecter
	seq int
}

func newShell(t *testing.T, h client.PTYHandle) *shell {
	t.Helper()
	e := expect.New(h, expect.WithStripANSI(), expect.WithTimeout(ptyWait))
	t.Cleanup(func() { _ = e.Close() })
	return &shell{t: t, h: h, e: e}
}

// run sends cmd on one line and returns its output (CR removed, trailing
// newline trimmed). The markers around it are computed by the shell
// ($((...))), so the terminal's echo of the line never matches them.
func (s *shell) run(cmd string) string {
	s.t.Helper()
	s.seq++
	n := 100000 + s.seq
	line := fmt.Sprintf("echo B_$((%d+0))_; %s; echo E_$((%d+0))_", n, cmd, n)
	if err := s.e.SendLine(line); err != nil {
		s.t.Fatalf("send %q: %v", line, err)
	}
	ctx := ptyCtx(s.t)
	if _, err := s.e.Expect(ctx, expect.Literal(fmt.Sprintf("B_%d_\r\n", n))); err != nil {
		s.t.Fatalf("running %q: start marker: %v; buffered %q", cmd, err, s.e.Buffered())
	}
	res, err := s.e.Expect(ctx, expect.Literal(fmt.Sprintf("E_%d_\r\n", n)))
	if err != nil {
		s.t.Fatalf("running %q: end marker: %v; buffered %q", cmd, err, s.e.Buffered())
	}
	return strings.TrimSuffix(strings.ReplaceAll(res.Before, "\r", ""), "\n")
}

// pidAlive reports whether pid exists and is not a zombie.
func pidAlive(pid int) bool { return proctable.Alive(pid) }

// waitGone polls until none of pids is alive; it fails the test otherwise.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var alive []int
		for _, p := range pids {
			if pidAlive(p) {
				alive = append(alive, p)
			}
		}
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes still running: %v", alive)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pidsWithEnv lists live processes whose environment contains marker (a
// "KEY=VALUE" entry); the tests tag what they start this way.
func pidsWithEnv(marker string) []int { return must(proctable.WithEnv(marker)) }

// expectNoneTagged fails unless, within a few seconds, no live process
// carries marker in its environment.
func expectNoneTagged(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := pidsWithEnv(marker)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes tagged %s still running: %v", marker, pids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isKind(err, kind error) bool { return err != nil && errors.Is(err, kind) }

func expectLit(s string) expect.Pattern { return expect.Literal(s) }
