//go:build linux

package local

import (
	"context"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/client"
)

// KillCommand implements client.Client. The command's processes are the
// ones carrying PROCSH_CMD=<id> in their environment, plus their
// descendants; the session shell itself is spared. A command made only of
// shell builtins (a `while` loop, `read`) has no process of its own: then
// the session shell is signalled, TERM first for signals it cannot trap so
// that it saves its state, and the session carries on in a new shell with
// that state; the command reports the requested signal.
func (b *Backend) KillCommand(ctx context.Context, sessionID, commandID string, sig syscall.Signal) error {
	const op = "kill command"
	if sig <= 0 || sig > 64 {
		return client.Errorf(op, client.ErrInvalidArgument, "invalid signal %d", int(sig))
	}
	s, c, err := b.lookupCmd(op, sessionID, commandID)
	if err != nil {
		return err
	}
	if !s.kill(c, sig, false) {
		return client.Errorf(op, client.ErrClosed, "command %q has already completed", commandID)
	}
	return nil
}

// kill signals a command; terminate escalates TERM to KILL after the grace
// period. It reports false if the command had already ended.
func (s *session) kill(c *command, sig syscall.Signal, terminate bool) bool {
	s.mu.Lock()
	if c.exitCode != nil {
		s.mu.Unlock()
		return false
	}
	c.killSig = sig
	if !c.started {
		c.cancelled = true
		for i, q := range s.queue {
			if q == c {
				s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		s.finish(c, 128+int(sig), client.SignalName(sig))
		return true
	}
	shell := 0
	if s.sh != nil {
		shell = s.sh.pid
	}
	s.mu.Unlock()
	tree := treeSpec{marker: "PROCSH_CMD=" + c.id, skip: shell}
	if terminate {
		tree.terminate(s.b.opts.killGrace)
	} else if tree.signal(sig) > 0 {
		return true
	}
	select {
	case <-c.done:
		return true
	case <-time.After(10 * time.Millisecond):
	}
	// Nothing of the command's own was found (or it outlived its
	// processes): it runs in the shell itself.
	if shell <= 0 {
		return true
	}
	s.mu.Lock()
	c.viaShell = true
	s.mu.Unlock()
	switch {
	case terminate:
		treeSpec{pgid: shell, roots: []int{shell}}.terminate(s.b.opts.killGrace)
	case sig == syscall.SIGTERM || sig == syscall.SIGINT || sig == syscall.SIGHUP:
		_ = unix.Kill(shell, sig) // trapped: the shell saves its state first
	default:
		// The session shell cannot save its state when it dies of an
		// untrapped signal (KILL above all), so it gets a TERM first and
		// the requested signal only if that did not end the command.
		_ = unix.Kill(shell, syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(s.b.opts.killGrace):
			_ = unix.Kill(shell, sig)
		}
	}
	return true
}

// destroy ends every process the session started (TERM, grace, KILL),
// fails queued and running commands' waiters with ErrClosed, and frees the
// session's fds, goroutines and files. It returns once all of that is done.
func (s *session) destroy() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.runnerDone
		return
	}
	s.closed = true
	close(s.closing)
	// Earlier shells are reaped and their pids may belong to someone else
	// by now; their children still carry the session marker.
	tree := treeSpec{marker: "PROCSH_SESSION=" + s.token}
	if s.sh != nil && s.sh.alive() {
		tree.pgid = s.sh.pid
		tree.roots = []int{s.sh.pid}
	}
	queued := s.queue
	s.queue = nil
	for _, c := range s.order {
		if c.exitCode == nil {
			c.deleted = true
		}
	}
	s.mu.Unlock()
	_, _ = unix.Write(s.wakeW, []byte{1})
	tree.terminate(s.b.opts.killGrace)
	for _, c := range queued {
		s.finish(c, -1, "")
	}
	<-s.runnerDone
	unix.Close(s.wakeR)
	unix.Close(s.wakeW)
	os.RemoveAll(s.dir)
}
