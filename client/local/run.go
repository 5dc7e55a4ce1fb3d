//go:build linux

package local

import (
	"context"
	"errors"
	"github.com/procsh/procsh/internal/proctable"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/client"
)

// drainStep is how long Exec keeps reading after the shell has exited while
// something (a background job) still holds the output pipes open. It is
// extended for as long as the pipe still has unread bytes, so nothing the
// shell wrote is lost however slowly the reader is scheduled.
const drainStep = 5 * time.Millisecond

// maxDrainAfterExit bounds what Exec still reads from one stream after the
// shell exited: more than a full pipe buffer can only come from background
// jobs.
const maxDrainAfterExit = 4 << 20

// watchAfter is how long an exec runs before the reaper is told its
// lifeline (see run).
const watchAfter = 50 * time.Millisecond

// orphanReadRate is how fast output that detached background jobs write
// after their command returned is read and thrown away. Reading it at all
// spares them SIGPIPE (a server started with `cmd &` that logs to its
// inherited stdout must not die of it); reading it slowly makes a job that
// writes without end (`yes &`) block on the full pipe instead of keeping a
// core busy in this process.
const orphanReadRate = 1 << 20 // bytes per second

// throttleOrphan paces the reading of n bytes of orphans' output to
// orphanReadRate.
func throttleOrphan(n int) { time.Sleep(time.Duration(n) * time.Second / orphanReadRate) }

// runSpec is one process for Exec or CodeRun.
type runSpec struct {
	op       string
	argv     []string
	stdin    io.Reader // nil = /dev/null
	dir      string
	env      []string
	timeout  time.Duration
	onOutput func(client.Chunk)
	marker   string // "KEY=VALUE" put in env to find escaped descendants
	// maxOutput is the request's MaxOutput (see client.OutputCap).
	maxOutput int64
	merge     bool // stderr into stdout: one pipe, exact write order
	detach    bool // let background processes outlive the run
	owned     bool // carry the owner entry: the reaper ends it if we die
}

// collector gathers both streams in arrival order, up to max bytes (-1:
// no cap), in a command log: past its small memory window the output waits
// in a private file, and the result is read back once into buffers of the
// exact size, so a large result costs its own size and not the doublings
// of a growing buffer.
type collector struct {
	mu        sync.Mutex
	log       *cmdLog
	kept      int64
	total     int64
	max       int64
	truncated bool
	sealed    bool
	exited    bool
	onOutput  func(client.Chunk)
}

func exitedFlag(c *collector) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exited
}

func (c *collector) add(s client.Stream, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sealed {
		return // an orphan writing after Exec returned: discard
	}
	off := c.total
	c.total += int64(len(p))
	keep := p
	if c.max >= 0 && c.kept+int64(len(p)) > c.max {
		keep = p[:c.max-c.kept]
		c.truncated = true
	}
	c.log.append(s, keep)
	c.kept += int64(len(keep))
	if c.onOutput != nil {
		c.onOutput(client.Chunk{Stream: s, Offset: off, Data: p})
	}
}

// pumpBufs recycles pump buffers: an Exec of `true` should not allocate
// 64 KiB.
var pumpBufs = sync.Pool{New: func() any { b := make([]byte, 32*1024); return &b }}

// pump reads one output pipe. It reports on drained when the pipe reached
// EOF, or, once the deadline set after the shell's exit passes with the
// pipe empty, when only orphans could still write. It then keeps reading and
// discarding until EOF, so an orphan never gets SIGPIPE from us.
func pump(f *os.File, s client.Stream, c *collector, drained chan<- struct{}) {
	defer f.Close()
	bp := pumpBufs.Get().(*[]byte)
	defer pumpBufs.Put(bp)
	buf := *bp
	signalled := false
	afterExit := 0
	done := func() {
		if !signalled {
			signalled = true
			drained <- struct{}{}
		}
	}
	for {
		n, err := f.Read(buf)
		if n > 0 {
			c.add(s, buf[:n])
			if signalled {
				throttleOrphan(n)
			}
		}
		if err == nil {
			if !signalled && exitedFlag(c) {
				afterExit += n
			}
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The deadline is only ever set once the shell has exited.
			// Keep reading what is buffered, but not forever: a
			// background job may write without end (`yes &`).
			afterExit += n
			if pending(f) > 0 && afterExit < maxDrainAfterExit {
				_ = f.SetReadDeadline(time.Now().Add(drainStep))
				continue
			}
			done()
			_ = f.SetReadDeadline(time.Time{})
			continue
		}
		done()
		return
	}
}

// pending returns the number of unread bytes in a pipe.
func pending(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	_ = rc.Control(func(fd uintptr) {
		n, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ)
	})
	return n
}

// leftBehind reports whether anything the run started may still be
// running after its main process exited: a member of its process group, or
// a holder of its lifeline (which finds daemons that left the group but kept
// their descriptors). Both checks cost a system call, so a run that leaves
// nothing pays no process-table scan. (A member may be a zombie nobody has
// reaped yet; the sweep that follows tells, see groupOver.)
func leftBehind(pgid int, lifeR *os.File) bool {
	return unix.Kill(-pgid, 0) == nil || held(lifeR)
}

// zombieCheckAfter is how long a process group that was sent TERM may keep
// members before the process table is read to see whether they are only
// zombies. Dying processes are gone within milliseconds; the wait keeps
// the scan off the path of every delete and cancel.
const zombieCheckAfter = 50 * time.Millisecond

// groupOver reports whether process group pgid, sent TERM at since, has no
// member left that runs. kill(-pgid, 0) still finds a member that exited
// and waits to be reaped, and an orphan is reaped by init, which in a
// container may be late or never: without the table's word such a group
// held every cancel, timeout and delete for the whole kill grace.
func groupOver(pgid int, since time.Time) bool {
	if unix.Kill(-pgid, 0) != nil {
		return true
	}
	return time.Since(since) >= zombieCheckAfter && !proctable.GroupLive(pgid)
}

// endRun ends a run's tree on timeout or cancel and returns once the shell
// has exited. The fast path is system calls only: TERM to the process group
// and the shell's descendants, a wait of up to the grace for the group to
// empty and the lifeline to see EOF, KILL after it. The process table is
// scanned for the run's marker only when something still holds on (a
// daemon that left the group, or what ignored the signals) and once at the
// end, for daemons that closed every descriptor. Scanning on every poll, as
// before, made a hundred cancelled runs at shutdown cost seconds of CPU.
func (b *Backend) endRun(tree treeSpec, lifeR *os.File, exited <-chan struct{}) {
	pid := tree.pgid
	self := os.Getpid()
	send := func(sig syscall.Signal) {
		_ = unix.Kill(-pid, sig)
		for _, p := range proctable.Walk(pid) {
			if p != self {
				_ = unix.Kill(p, sig)
			}
		}
	}
	var termAt time.Time
	over := func() bool {
		select {
		case <-exited:
			return !held(lifeR) && groupOver(pid, termAt)
		default:
			return false
		}
	}
	waitOver := func(d time.Duration) bool {
		deadline := time.Now().Add(d)
		for step := time.Millisecond; ; step = min(2*step, 20*time.Millisecond) {
			if over() {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(step)
		}
	}
	termAt = time.Now()
	send(syscall.SIGTERM)
	if !waitOver(b.opts.killGrace) {
		send(syscall.SIGKILL)
		if !waitOver(100 * time.Millisecond) {
			tree.terminate(b.opts.killGrace)
		}
	}
	<-exited
	// Children that ignored the shell's death or left its group: find them
	// by the run's marker (one scan when nothing is left).
	tree.roots = nil
	tree.terminate(b.opts.killGrace)
}

// endHolders ends what still holds a lifeline after the tree was ended by
// group, descendants and marker: a daemon that left the group and cleared
// its environment (`env -i setsid -f …`, sudo's env reset) but kept its
// descriptors. Finding it reads every process's descriptors, so it is done
// only when the lifeline shows such a holder exists. (A daemon that also
// closed its descriptors leaves no trace to find it by.)
func endHolders(life *os.File, grace time.Duration) {
	if !held(life) {
		return
	}
	ino := pipeInode(life)
	if ino == 0 {
		return
	}
	if pids := proctable.PipeHolders(ino); len(pids) > 0 {
		treeSpec{roots: pids}.terminate(grace)
	}
}

// exitedBy reports whether child pid has exited: reaped (exited closed, or
// about to be: ECHILD) or a zombie waiting to be. The pid cannot have been
// reused, since only our own wait reaps it.
func exitedBy(pid int, exited <-chan struct{}) bool {
	select {
	case <-exited:
		return true
	default:
	}
	done, err := exitedNoWait(unix.P_PID, pid)
	return done || err == unix.ECHILD
}

// held reports whether a pipe's write end is still open somewhere: a
// non-blocking read of an empty pipe gives EAGAIN while a writer exists and
// EOF once none does. (A read deadline would not do: the poller reports a
// passed deadline without trying the read.)
func held(r *os.File) bool {
	rc, err := r.SyscallConn()
	if err != nil {
		return true
	}
	open := true
	_ = rc.Control(func(fd uintptr) {
		var b [1]byte
		n, err := unix.Read(int(fd), b[:])
		open = n > 0 || err != nil
	})
	return open
}

// run starts spec in its own process group and waits for it, enforcing the
// timeout and ctx. A process that cannot start is a result (exit code -1 and
// the OS error as output, as the toolbox does), not an error.
func (b *Backend) run(ctx context.Context, spec runSpec) (*client.ExecResult, error) {
	ctx, done, err := b.track(spec.op, ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	start := time.Now()
	res := &client.ExecResult{HasStreams: true}
	var files []*os.File // every pipe end, for the failure paths
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	outR, outW, err := pipe()
	errR, errW := outR, outW
	if err == nil && !spec.merge {
		errR, errW, err = pipe()
	}
	// The lifeline is inherited by everything the run starts that does not
	// close its descriptors: while any of them lives, its read end sees no
	// EOF. That tells cheaply whether the run left something behind.
	var lifeR, lifeW *os.File
	if err == nil {
		lifeR, lifeW, err = pipe()
	}
	if err != nil {
		closeAll()
		return nil, &client.Error{Op: spec.op, Kind: client.ErrUnavailable, Msg: "pipe", Err: err}
	}
	env := spec.env
	if spec.marker != "" {
		env = append(env[:len(env):len(env)], spec.marker)
	}
	if spec.owned {
		env = append(env[:len(env):len(env)], ownerEntry())
	}
	cmd := &exec.Cmd{
		Path:        spec.argv[0],
		Args:        spec.argv,
		Env:         env,
		Dir:         spec.dir,
		Stdin:       spec.stdin,
		Stdout:      outW,
		Stderr:      errW,
		ExtraFiles:  []*os.File{lifeW},
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	var pidfd int
	withPidfd(cmd, &pidfd)
	if lp, err := exec.LookPath(spec.argv[0]); err == nil {
		cmd.Path = lp
	}
	if err := cmd.Start(); err != nil {
		closeAll()
		res.ExitCode = -1
		res.Result = err.Error()
		res.Stderr = res.Result
		res.Artifacts.Stdout = res.Result
		res.Duration = time.Since(start)
		return res, nil
	}
	outW.Close()
	errW.Close()
	lifeW.Close()
	defer lifeR.Close()
	if spec.owned {
		// The reaper learns the lifeline only of runs still going after a
		// moment: telling it costs two wakeups of another process, 3% of
		// `exec true` (what an exec leaves behind when it returns is ended
		// by then anyway, see endHolders). The price is a window: a daemon
		// that clears its environment in an exec's first 50 ms, while
		// procsh dies in those 50 ms, is not found.
		var mu sync.Mutex
		var ino uint64
		over := false
		t := time.AfterFunc(watchAfter, func() {
			mu.Lock()
			defer mu.Unlock()
			if !over {
				ino = watchPipe(lifeR)
			}
		})
		defer func() {
			t.Stop()
			mu.Lock()
			over = true
			i := ino
			mu.Unlock()
			unwatchPipe(i)
		}()
	}
	// The retention limit is for session logs; a result keeps its output.
	cl := newCmdLog()
	cl.cfg = logConfig{memory: b.opts.logs.memory, dir: b.opts.logs.dir}
	c := &collector{onOutput: spec.onOutput, max: client.OutputCap(spec.maxOutput), log: cl}
	streams := 2
	drained := make(chan struct{}, 2)
	go pump(outR, client.Stdout, c, drained)
	if spec.merge {
		streams = 1
	} else {
		go pump(errR, client.Stderr, c, drained)
	}
	exited := make(chan struct{})
	go func() {
		_ = waitCmd(cmd, pidfd)
		close(exited)
	}()

	var timer <-chan time.Time
	if spec.timeout > 0 {
		t := time.NewTimer(spec.timeout)
		defer t.Stop()
		timer = t.C
	}
	pid := cmd.Process.Pid
	tree := treeSpec{pgid: pid, roots: []int{pid}, marker: spec.marker}
	var ctxErr error
	select {
	case <-exited:
	case <-timer:
		if exitedBy(pid, exited) {
			// It ended on its own as the deadline passed (select picks
			// either ready case): its status is its own, not a timeout.
			<-exited
			break
		}
		res.TimedOut = true
		b.endRun(tree, lifeR, exited)
	case <-ctx.Done():
		ctxErr = ctx.Err()
		b.endRun(tree, lifeR, exited)
	}
	// The shell has exited: take what is buffered, then stop waiting for
	// background jobs that still hold the pipes.
	c.mu.Lock()
	c.exited = true
	c.mu.Unlock()
	_ = outR.SetReadDeadline(time.Now().Add(drainStep))
	_ = errR.SetReadDeadline(time.Now().Add(drainStep))
	for i := 0; i < streams; i++ {
		<-drained
	}
	if !spec.detach && leftBehind(pid, lifeR) {
		// Background jobs, daemons that left the group, and what they
		// started: the run must not leave them running.
		tree.roots = nil
		tree.terminate(b.opts.killGrace)
		endHolders(lifeR, b.opts.killGrace)
	}
	c.mu.Lock()
	c.sealed = true
	l := c.log.snapshotMax(-1)
	c.log.release()
	res.Result, res.Stdout, res.Stderr = l.Output, l.Stdout, l.Stderr
	res.Truncated = c.truncated || l.Truncated
	c.mu.Unlock()

	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		res.ExitCode = client.ExitCodeForSignal(ws.Signal())
		res.Signal = client.SignalName(ws.Signal())
	} else {
		res.ExitCode = ws.ExitStatus()
	}
	res.Artifacts.Stdout = res.Result
	res.Duration = time.Since(start)
	if ctxErr != nil {
		kind := client.ErrClosed
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			kind = client.ErrTimeout
		}
		return res, &client.Error{Op: spec.op, Kind: kind, Msg: "context ended; process tree killed", Err: ctxErr}
	}
	return res, nil
}
