//go:build linux

package local

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/client"
)

// Following one running command: a reader goroutine per output FIFO and
// the shell's status lines, all waiting in Go's poller (no OS thread per
// command). A command is complete when its status line arrives;
// everything a foreground command wrote is in the FIFO buffers by then, so
// the readers take what is buffered without waiting for background jobs
// that may hold the FIFOs open, and the command is finished.
//
// stdout and stderr are separate FIFOs, so their relative order is kept as
// well as the OS allows; two writes to different streams closer together
// than the readers' scheduling latency may be logged in either order (the
// same is true of any reader of two pipes).

// cmdPoll is the state of one command's wait.
type cmdPoll struct {
	s  *session
	c  *command
	sh *shellProc

	code      int
	haveCode  bool // the command's status line arrived
	shellDied bool // the shell exited first
	// shellSignalled: the shell was killed by a signal (not an `exit`).
	shellSignalled bool
}

// wait follows a started command until its status line arrives or the
// shell exits, logging its output, and then finishes it.
func (s *session) wait(c *command, sh *shellProc, fifos [2]*os.File) {
	p := &cmdPoll{s: s, c: c, sh: sh}
	pair := newFIFOPair(fifos, c.log)
	var wg sync.WaitGroup
	for i := range fifos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pair.pump(i)
		}()
	}
	lines := sh.lines
	for !p.haveCode && !p.shellDied {
		select {
		case line, ok := <-lines:
			if !ok {
				lines = nil // the shell exec'd another program, or is exiting
				continue
			}
			p.statusLine(line)
		case <-sh.exited:
			// Lines the shell wrote before it exited are still to be
			// read; the pipe's EOF follows at once (only the shell held
			// it), the timer guards against a writer we do not know of.
			t := time.NewTimer(time.Second)
			for lines != nil {
				select {
				case line, ok := <-lines:
					if !ok {
						lines = nil
						break
					}
					p.statusLine(line)
				case <-t.C:
					lines = nil
				}
			}
			t.Stop()
			p.shellDied = !p.haveCode
		}
	}
	// Everything the foreground command wrote is in the FIFO buffers now:
	// take it at once (without waiting for background jobs that may hold
	// the FIFOs open), then stop the readers.
	pair.done.Store(true)
	pair.readAll()
	for _, f := range fifos {
		_ = f.SetReadDeadline(time.Now())
	}
	wg.Wait()
	pair.release()
	s.keepReading(c, fifos)
	code, sig := p.result()
	c.end()
	s.mu.Lock()
	killed := c.killSig != 0
	s.mu.Unlock()
	if killed {
		// A killed command is over when all of it is: its status waits
		// for the escalation's sweep, so a caller that sees it finds
		// nothing of the command still running.
		<-c.swept
	}
	s.finish(c, code, sig)
	if p.shellSignalled && !killed {
		// The shell was killed from outside mid-command: what the command
		// started goes with it (a kill sweeps in escalate instead).
		treeSpec{marker: "PROCSH_CMD=" + c.id}.terminate(s.b.opts.killGrace)
	}
}

var pollStreams = [2]client.Stream{client.Stdout, client.Stderr}

// fifoPair reads a command's two output FIFOs. Whichever of its two
// goroutines the poller wakes reads both FIFOs, stdout first, under one
// lock, so that output written to stdout and then to stderr in quick
// succession is logged in that order whenever both are pending at once
// (as the single poll loop this replaces did).
type fifoPair struct {
	files [2]*os.File
	log   *cmdLog
	done  atomic.Bool // the command completed: drain and stop

	mu    sync.Mutex
	buf   []byte
	after int  // bytes read since done
	stop  bool // the drain cap was reached
}

func newFIFOPair(files [2]*os.File, log *cmdLog) *fifoPair {
	return &fifoPair{files: files, log: log}
}

// release returns the read buffer to the pool.
func (p *fifoPair) release() {
	if p.buf != nil {
		b := p.buf
		readBufs.Put(&b)
		p.buf = nil
	}
}

// pump waits for FIFO i to become readable and then reads both.
func (p *fifoPair) pump(i int) {
	rc, err := p.files[i].SyscallConn()
	if err != nil {
		return
	}
	// Until the waiter sets a passed deadline on the command's completion
	// (having drained both FIFOs itself), or the FIFO is closed.
	_ = rc.Read(func(uintptr) bool {
		p.readAll()
		return false // wait for more
	})
}

// readAll reads both FIFOs, stdout first, until each would block. After
// the command completed it stops at maxDrainAfterExit (the cap only matters
// when a background job writes without end).
func (p *fifoPair) readAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buf == nil {
		bp := readBufs.Get().(*[]byte)
		p.buf = *bp
	}
	// A few reads per stream per turn, alternating: a stream that never
	// runs dry (`yes &`) must not starve the other.
	for more := true; more && !p.stop; {
		more = false
		for i, f := range p.files {
			rc, err := f.SyscallConn()
			if err != nil {
				continue
			}
			_ = rc.Control(func(fd uintptr) {
				for k := 0; k < 4 && !p.stop; k++ {
					n, _ := unix.Read(int(fd), p.buf)
					if n <= 0 {
						return
					}
					p.log.append(pollStreams[i], p.buf[:n])
					if p.done.Load() {
						p.after += n
						p.stop = p.after >= maxDrainAfterExit
					}
					if n < len(p.buf) {
						return // drained for now
					}
					more = true
				}
			})
		}
	}
}

// statusLine handles one line from the shell: "<cid> S" when an async
// command's stdin is open, "<cid> <status>" when it completed.
func (p *cmdPoll) statusLine(line string) {
	id, v, _ := strings.Cut(line, " ")
	switch {
	case id != p.c.id:
	case v == "S":
		p.s.stdinOpened(p.c)
	default:
		p.code, _ = strconv.Atoi(v)
		p.haveCode = true
	}
}

// result is the command's exit code and signal name: its status line, or
// the shell's own status if the shell died first.
func (p *cmdPoll) result() (int, string) {
	code, sig := p.code, ""
	if !p.haveCode {
		ws := p.sh.proc.status()
		if ws.Signaled() {
			p.shellSignalled = true
			code = client.ExitCodeForSignal(ws.Signal())
			sig = client.SignalName(ws.Signal())
		} else {
			code = ws.ExitStatus()
		}
	}
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	// A killed command reports the signal that ended it (the last one
	// sent), however the shell got out of it: the interrupt trap, or a
	// status line when the kill came as the command's last step finished.
	if k := p.c.killSig; k != 0 {
		return client.ExitCodeForSignal(k), client.SignalName(k)
	}
	return code, sig
}

// lateKept is how much output a command's background jobs may add to its
// log after the command ended; past it their output is read at
// orphanReadRate and discarded.
const lateKept = 1 << 20

// keepReading goes on reading a command's FIFOs after it ended, for as
// long as background jobs it started hold them: a job that writes to its
// inherited stdout (`./server &` that logs) would otherwise die of SIGPIPE
// at its first line once the command's readers are gone. Its output goes to
// the command's log, as with the reference daemon, up to lateKept. The read
// ends are read-only: they see EOF once the last job closes the FIFO (our
// own O_RDWR ends, which never see EOF, are closed when execute returns).
func (s *session) keepReading(c *command, fifos [2]*os.File) {
	for i, f := range fifos {
		fd, err := unix.Open(f.Name(), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		r := os.NewFile(uintptr(fd), f.Name())
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			r.Close()
			continue
		}
		if s.late == nil {
			s.late = make(map[*os.File]bool)
		}
		s.late[r] = true
		s.mu.Unlock()
		go s.readLate(c, pollStreams[i], r)
	}
}

// readLate reads one FIFO of an ended command until EOF or the session's
// end.
func (s *session) readLate(c *command, st client.Stream, r *os.File) {
	defer func() {
		s.mu.Lock()
		delete(s.late, r)
		s.mu.Unlock()
		r.Close()
	}()
	var buf []byte
	kept := 0
	for {
		if buf == nil {
			// Most commands leave nothing behind: wait for data (or EOF)
			// before taking a buffer.
			var one [1]byte
			n, err := r.Read(one[:])
			if n == 0 || err != nil {
				return
			}
			buf = make([]byte, 32<<10)
			c.log.appendLate(st, one[:n])
			kept += n
			continue
		}
		n, err := r.Read(buf)
		if n > 0 {
			if kept < lateKept {
				keep := min(n, lateKept-kept)
				c.log.appendLate(st, buf[:keep])
				kept += keep
			} else {
				throttleOrphan(n)
			}
		}
		if err != nil {
			return
		}
	}
}
