//go:build linux

package local

import (
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/client"
)

// The poll loop follows one running command: its stdout and stderr FIFOs,
// the shell's status pipe (fd 3) and the session's wake pipe, in one poll.
// A command is complete when its status line arrives; everything a
// foreground command wrote is in the FIFO buffers by then, so the loop
// drains them without blocking and finishes the command.
//
// stdout and stderr are separate FIFOs read by one poll loop, so their
// relative order is kept as well as the OS allows; two writes to different
// streams closer together than the reader's scheduling latency may be logged
// in either order (the same is true of any reader of two pipes).

// Poll slots.
const (
	pollOut = iota
	pollErr
	pollStatus
	pollWake
)

var pollStreams = [2]client.Stream{client.Stdout, client.Stderr}

// cmdPoll is the state of one command's poll loop.
type cmdPoll struct {
	s      *session
	c      *command
	sh     *shellProc
	pfd    []unix.PollFd
	buf    []byte
	status []byte // a partial status line

	code      int
	haveCode  bool // the command's status line arrived
	shellDied bool // the shell exited first
	// shellSignalled: the shell was killed by a signal (not an `exit`).
	shellSignalled bool
}

// wait follows a started command until its status line arrives or the
// shell exits, logging its output, and then finishes it.
func (s *session) wait(c *command, sh *shellProc, fds [2]int) {
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	p := &cmdPoll{s: s, c: c, sh: sh, buf: *bp, pfd: []unix.PollFd{
		pollOut:    {Fd: int32(fds[0]), Events: unix.POLLIN},
		pollErr:    {Fd: int32(fds[1]), Events: unix.POLLIN},
		pollStatus: {Fd: int32(sh.statusFd), Events: unix.POLLIN},
		pollWake:   {Fd: int32(s.wakeR), Events: unix.POLLIN},
	}}
	for !p.haveCode && !p.shellDied {
		if _, err := unix.Poll(p.pfd, -1); err != nil {
			// EINTR; anything else (ENOMEM) is transient as well.
			if err != unix.EINTR {
				time.Sleep(time.Millisecond)
			}
			continue
		}
		p.readOutput(pollOut)
		p.readOutput(pollErr)
		p.readStatus()
		if p.pfd[pollWake].Revents != 0 {
			var b [64]byte
			_, _ = unix.Read(s.wakeR, b[:])
			p.shellDied = !sh.alive()
		}
	}
	p.drain()
	code, sig := p.result()
	s.finish(c, code, sig)
	s.mu.Lock()
	killed := c.killSig != 0
	s.mu.Unlock()
	if p.shellSignalled && !killed {
		// The shell was killed from outside mid-command: what the command
		// started goes with it (a kill sweeps in escalate instead).
		treeSpec{marker: "PROCSH_CMD=" + c.id}.terminate(s.b.opts.killGrace)
	}
}

// readOutput reads what poll reported on an output FIFO.
func (p *cmdPoll) readOutput(i int) {
	pf := &p.pfd[i]
	if pf.Revents&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) == 0 {
		return
	}
	// A few reads per wakeup save poll calls on bulk output while still
	// alternating between the streams.
	for k := 0; k < 4; k++ {
		n, err := unix.Read(int(pf.Fd), p.buf)
		if n > 0 {
			p.c.log.append(pollStreams[i], p.buf[:n])
			if n == len(p.buf) {
				continue
			}
		} else if err == nil || err != unix.EAGAIN {
			pf.Fd = -1 // EOF: every writer is gone
		}
		return
	}
}

// readStatus reads the shell's status lines: "<cid> S" when an async
// command's stdin is open, "<cid> <status>" when it completed.
func (p *cmdPoll) readStatus() {
	pf := &p.pfd[pollStatus]
	if pf.Revents == 0 {
		return
	}
	n, err := unix.Read(int(pf.Fd), p.buf)
	if n <= 0 {
		if err == nil || err != unix.EAGAIN {
			pf.Fd = -1 // the shell exec'd another program, or is exiting
		}
		return
	}
	p.status = append(p.status, p.buf[:n]...)
	for {
		line, rest, ok := strings.Cut(string(p.status), "\n")
		if !ok {
			return
		}
		p.status = []byte(rest)
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
}

// drain takes the foreground output that is in the FIFO buffers, without
// waiting for background jobs that may hold the FIFOs open. The cap only
// matters when a background job writes without end.
func (p *cmdPoll) drain() {
	for i := pollOut; i <= pollErr; i++ {
		for total := 0; p.pfd[i].Fd >= 0 && total < maxDrainAfterExit; {
			n, _ := unix.Read(int(p.pfd[i].Fd), p.buf)
			if n <= 0 {
				break
			}
			total += n
			p.c.log.append(pollStreams[i], p.buf[:n])
		}
	}
}

// result is the command's exit code and signal name: its status line, or
// the shell's own status if the shell died first.
func (p *cmdPoll) result() (int, string) {
	code, sig := p.code, ""
	if !p.haveCode {
		var ws syscall.WaitStatus
		if ps := p.sh.cmd.ProcessState; ps != nil {
			ws, _ = ps.Sys().(syscall.WaitStatus)
		}
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
