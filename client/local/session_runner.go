//go:build linux

package local

import (
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/shell"
)

// One goroutine per session (the runner) owns the shell: it writes each
// command's wrapper to the shell's stdin and then waits for the command's
// output and status (see session.wait). No polling with timers is involved:
// a sync `true` returns as soon as the shell reports it.

// runner runs queued commands one at a time until the session closes.
func (s *session) runner() {
	defer close(s.runnerDone)
	for {
		c := s.next()
		if c == nil {
			break
		}
		s.execute(c)
	}
	s.mu.Lock()
	sh := s.sh
	s.sh = nil
	queued := s.queue
	s.queue = nil
	s.mu.Unlock()
	for _, c := range queued {
		s.finish(c, -1, "")
	}
	if sh != nil {
		s.dropShell(sh)
	}
}

// next waits for the next queued command; nil means the session closed.
func (s *session) next() *command {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil
		}
		if len(s.queue) > 0 {
			c := s.queue[0]
			s.queue = s.queue[1:]
			c.started = true
			s.mu.Unlock()
			return c
		}
		s.mu.Unlock()
		select {
		case <-s.kick:
		case <-s.closing:
		}
	}
}

// ensureShell returns a live shell, starting a new one if the last exited.
func (s *session) ensureShell() (*shellProc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, client.Errorf("exec session command", client.ErrClosed, "session %q was deleted", s.id)
	}
	if s.sh != nil && s.sh.alive() {
		return s.sh, nil
	}
	if s.sh != nil {
		old := s.sh
		s.sh = nil
		s.mu.Unlock()
		s.dropShell(old)
		s.mu.Lock()
		if s.closed {
			return nil, client.Errorf("exec session command", client.ErrClosed, "session %q was deleted", s.id)
		}
	}
	sh, err := s.spawnShell()
	if err != nil {
		return nil, err
	}
	s.sh = sh
	return sh, nil
}

// execute runs one command in the session shell and finishes it.
func (s *session) execute(c *command) {
	base := filepath.Join(s.dir, c.id)
	outP, errP := base+".out", base+".err"
	defer func() {
		os.Remove(s.killFile(c.id))
		os.Remove(base + ".sh")
		os.Remove(base + ".w")
		os.Remove(outP)
		os.Remove(errP)
	}()
	fail := func(err error) {
		c.log.append(client.Stderr, []byte("procsh: "+err.Error()+"\n"))
		s.finish(c, -1, "")
	}
	if err := os.WriteFile(base+".sh", []byte(c.text), 0o600); err != nil {
		fail(err)
		return
	}
	// The shell reads its stdin a byte at a time (it must not read past
	// a command), so what goes through the control socket is one short
	// line that sources the wrapper from a file, read in blocks: a
	// 400-byte wrapper read bytewise from the socket cost 0.3 ms per
	// command.
	if err := os.WriteFile(base+".w", []byte(s.wrapper(c, outP, errP, c.inPath)), 0o600); err != nil {
		fail(err)
		return
	}
	bi := "builtin "
	if !s.b.sessBash {
		bi = ""
	}
	source := bi + ". " + shell.Quote(base+".w") + "\n"
	var fifos [2]*os.File
	for i, p := range []string{outP, errP} {
		if err := unix.Mkfifo(p, 0o600); err != nil {
			fail(err)
			return
		}
		// O_RDWR makes the one descriptor a writer too: until the shell
		// opens the FIFO, a read-only end would see EOF. (Linux opens a
		// FIFO O_RDWR without blocking.) The reader stops when the command
		// completes (see fifoPair.pump), not at EOF, which it never sees.
		fd, err := unix.Open(p, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			fail(err)
			return
		}
		// A bigger pipe means fewer wakeups of writer and reader when a
		// command writes a lot; failure (a lower pipe-max-size) is harmless.
		_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, 1<<20)
		// Non-blocking, so os.NewFile puts it in the poller.
		fifos[i] = os.NewFile(uintptr(fd), p)
		defer fifos[i].Close()
	}

	var sh *shellProc
	for attempt := 0; ; attempt++ {
		var err error
		sh, err = s.ensureShell()
		if err != nil {
			fail(err)
			return
		}
		_, err = sh.ctl.WriteString(source)
		if err == nil {
			break
		}
		// The shell died while idle (EPIPE): start another and retry once.
		<-sh.exited
		if attempt > 0 {
			fail(err)
			return
		}
	}
	s.wait(c, sh, fifos)
}

// finish records a command's end and releases its waiters. Every log append
// happens before, so a waiter or stream sees the whole output.
func (s *session) finish(c *command, code int, sig string) {
	s.mu.Lock()
	if c.exitCode != nil {
		s.mu.Unlock()
		return
	}
	c.exitCode = &code
	c.signal = sig
	c.end()
	if c.stdin != nil {
		c.stdin.Close()
		c.stdin = nil
	}
	s.mu.Unlock()
	if c.inPath != "" {
		os.Remove(c.inPath)
	}
	c.log.finish()
	close(c.done)
}

// readBufs recycles the runner's read buffers (only running commands
// hold one, so idle sessions cost nothing).
var readBufs = sync.Pool{New: func() any { b := make([]byte, 256*1024); return &b }}
