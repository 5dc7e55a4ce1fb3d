//go:build linux

package local

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/proctable"
)

// KillCommand implements client.Client. A signal that ends a process by
// default (TERM, KILL, INT, HUP, USR1...) ends the whole command: no later
// step of it runs, every process it started ends, and the session lives on
// with its state (see "Kill and timeout" in the package doc). TERM and the
// other catchable signals escalate to KILL after the kill grace period. A
// signal that does not end a process (STOP, CONT, WINCH...) is only
// delivered to the command's processes.
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

// interruptSignal is what the session shell traps to abandon the command it
// runs (see shellInterrupt): a real-time signal (SIGRTMIN+3 as the shell
// numbers them) that commands have no reason to trap or ignore, unlike TERM,
// which `trap ” TERM` in a sourced command would take away from us.
const interruptSignal = syscall.Signal(37)

// endsProcess reports whether sig's default action ends a process.
func endsProcess(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGCHLD, syscall.SIGCONT, syscall.SIGSTOP, syscall.SIGTSTP,
		syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGURG, syscall.SIGWINCH:
		return false
	}
	return true
}

// killFile is the file whose existence tells the session shell that the
// command cid is being killed.
func (s *session) killFile(cid string) string { return filepath.Join(s.dir, cid+".kill") }

// kill ends a command: sig to all its processes, the interrupt to the
// session shell, KILL after the grace period, and a sweep of what is left
// once the command is over. wait makes it return only once the command has
// ended. It reports false if the command had already ended.
//
// A command that has not started yet is taken out of the queue. One that
// has started gets its kill file first and then the signals, so that the
// shell abandons the command whether the interrupt arrives before the
// command's first line (the wrapper checks the file) or during it (the
// trap checks it): a kill right after start cannot be lost.
func (s *session) kill(c *command, sig syscall.Signal, wait bool) bool {
	s.mu.Lock()
	if c.exitCode != nil {
		s.mu.Unlock()
		return false
	}
	if !endsProcess(sig) {
		s.mu.Unlock()
		treeSpec{marker: "PROCSH_CMD=" + c.id, skip: s.shellPID()}.signal(sig)
		return true
	}
	if !c.started {
		c.killSig = sig
		c.cancelled = true
		for i, q := range s.queue {
			if q == c {
				s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		s.finish(c, client.ExitCodeForSignal(sig), client.SignalName(sig))
		return true
	}
	first := c.killSig == 0
	c.killSig = sig
	s.mu.Unlock()
	if f, err := os.OpenFile(s.killFile(c.id), os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		f.Close()
	}
	seen := s.signalCommand(c, sig)
	if first {
		go s.escalate(c, sig, seen)
	}
	if wait {
		<-c.done
	}
	return true
}

// shellPID is the pid of the live shell, or 0 (caller holds s.mu).
func (s *session) shellPID() int {
	if s.sh != nil && s.sh.alive() {
		return s.sh.pid
	}
	return 0
}

// signalCommand sends sig to the command's processes and the interrupt to
// the shell running it. It returns the pids it signalled.
func (s *session) signalCommand(c *command, sig syscall.Signal) map[int]bool {
	s.mu.Lock()
	sh := s.sh
	if sh != nil && !sh.alive() {
		sh = nil
	}
	skip := s.shellPID()
	s.mu.Unlock()
	// The shell first: its trap must be pending when the foreground
	// process dies of sig, or it would run the command's next step first.
	if sh != nil {
		// Through the pidfd: the shell may have been reaped
		// and its pid reused since we looked.
		_ = sh.proc.signal(interruptSignal)
	}
	seen := make(map[int]bool)
	treeSpec{marker: "PROCSH_CMD=" + c.id, skip: skip}.signalNew(sig, seen)
	return seen
}

// escalate follows a kill. Until the grace period passes it keeps sending
// sig to processes of the command that appear (a kill that lands while the
// shell is forking the command's first process finds nothing to signal
// yet). Then it sends KILL to the command's processes, then to the shell
// itself if even that did not end the command (a command that took the
// interrupt trap away). Once the command's main work is over, it ends every
// process still carrying the command's marker (background jobs, and what
// was started while the kill was on its way), and only then lets the
// command's status be published (c.swept).
func (s *session) escalate(c *command, sig syscall.Signal, seen map[int]bool) {
	defer close(c.swept)
	grace := s.b.opts.killGrace
	tree := func() treeSpec {
		s.mu.Lock()
		defer s.mu.Unlock()
		return treeSpec{marker: "PROCSH_CMD=" + c.id, skip: s.shellPID()}
	}
	deadline := time.Now().Add(grace)
	step := 5 * time.Millisecond
	over := false
	for !over && time.Now().Before(deadline) {
		t := time.NewTimer(min(step, time.Until(deadline)))
		select {
		case <-c.ended:
			over = true
		case <-t.C:
			tree().signalNew(sig, seen)
		}
		t.Stop()
		step = min(2*step, 100*time.Millisecond)
	}
	if !over {
		select {
		case <-c.ended:
		default:
			s.mu.Lock()
			c.killSig = syscall.SIGKILL
			s.mu.Unlock()
			s.signalCommand(c, syscall.SIGKILL)
			t := time.NewTimer(grace)
			select {
			case <-c.ended:
			case <-t.C:
				s.mu.Lock()
				sh := s.sh
				s.mu.Unlock()
				if sh != nil {
					_ = sh.proc.signal(syscall.SIGKILL)
				}
				<-c.ended
			}
			t.Stop()
		}
	}
	// What got TERM already is not sent it again: a second TERM means
	// "hurry up" to some programs.
	var termed map[int]bool
	if sig == syscall.SIGTERM {
		termed = seen
	}
	treeSpec{marker: "PROCSH_CMD=" + c.id}.terminateExcept(grace, termed)
}

// destroy ends every process the session started (TERM, grace, KILL),
// fails queued and running commands' waiters with ErrClosed, and frees the
// session's fds, goroutines and files. It returns once all of that is done.
func (s *session) destroy() {
	if !s.beginDestroy() {
		<-s.runnerDone
		return
	}
	// The shells' traps skip saving state that is about to be removed.
	_ = os.WriteFile(filepath.Join(s.dir, ".deleting"), nil, 0o600)
	s.endTree(s.b.opts.killGrace)
	s.endDestroy()
}

// beginDestroy marks the session closed; it reports false if it was
// already.
func (s *session) beginDestroy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.closed = true
	close(s.closing)
	for _, c := range s.order {
		if c.exitCode == nil {
			c.deleted = true
		}
	}
	return true
}

// endDestroy finishes what beginDestroy started once the processes are
// gone.
func (s *session) endDestroy() {
	s.mu.Lock()
	queued := s.queue
	s.queue = nil
	lives := s.lives
	s.lives = nil
	late := s.late
	s.late = nil
	s.mu.Unlock()
	for _, c := range queued {
		s.finish(c, -1, "")
	}
	<-s.runnerDone
	// Background jobs still writing were ended with the session; a reader
	// that waits on one that escaped stops here.
	for f := range late {
		f.Close()
	}
	for _, f := range lives {
		unwatchPipe(pipeInode(f))
		f.Close()
	}
	os.RemoveAll(s.dir)
	s.mu.Lock()
	cmds := s.order
	s.mu.Unlock()
	for _, c := range cmds {
		c.log.release() // log files and memory go with the session
	}
}

// endTree ends every process of the session. The fast path costs system
// calls, not a scan of the host's process table (so deleting a session
// does not get slower with the number of processes on the machine):
// TERM to each shell's process group and to the current shell's
// descendants, a wait until the groups are empty and every lifeline is at
// EOF, KILL after the grace. Only when a lifeline is still held after that
// (a daemon that left the group and kept its descriptors) does it scan the
// table for the session's marker.
func (s *session) endTree(grace time.Duration) {
	s.mu.Lock()
	pgids := append([]int(nil), s.pgids...)
	lives := append([]*os.File(nil), s.lives...)
	var roots []int
	if s.sh != nil && s.sh.alive() {
		roots = []int{s.sh.pid}
	}
	s.mu.Unlock()
	send := func(sig syscall.Signal) {
		for _, pg := range pgids {
			_ = unix.Kill(-pg, sig)
		}
		for _, p := range proctable.Walk(roots...) {
			_ = unix.Kill(p, sig)
		}
	}
	termAt := time.Now()
	groupsGone := func() bool {
		for _, pg := range pgids {
			if !groupOver(pg, termAt) {
				return false
			}
		}
		return len(proctable.Walk(roots...)) == 0
	}
	waitGone := func(d time.Duration) bool {
		deadline := time.Now().Add(d)
		for step := time.Millisecond; ; step = min(2*step, 20*time.Millisecond) {
			if groupsGone() {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(step)
		}
	}
	send(syscall.SIGTERM)
	if !waitGone(grace) {
		send(syscall.SIGKILL)
		waitGone(5 * time.Second)
	}
	if linesHeld(lives) {
		treeSpec{marker: "PROCSH_SESSION=" + s.token}.terminate(grace)
		for _, l := range lives {
			endHolders(l, grace)
		}
	}
}

// linesHeld reports whether any lifeline still has a writer.
func linesHeld(lives []*os.File) bool {
	for _, f := range lives {
		if held(f) {
			return true
		}
	}
	return false
}
