package luabind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
)

// command is a handle on a session command.
type command struct {
	a        *api
	r        *run
	sid, id  string
	text     string
	started  time.Time
	ud       *lua.LUserData
	detached bool

	// Guarded by the GIL.
	timedOut                   bool
	waitDone                   chan struct{} // closed when the waiter has info/logs or failed
	allDone                    chan struct{} // waitDone and cbDone
	onStdout, onStderr, onExit *lua.LFunction
	cbDone                     chan struct{} // nil unless callbacks were set
	cbThread                   *lua.LState   // the thread callbacks run on
	teeDone                    chan struct{} // nil unless tee=true
	cbErr                      error
	node                       waitNode // the callback dispatcher, for deadlock detection

	ended atomic.Bool // the waiter saw the command end; cleanup has nothing to kill

	// With callbacks, the callback stream collects the output as it goes,
	// so the waiter need not fetch it again (a 100 MB log twice).
	collect   atomic.Bool
	collected *client.Logs // set by the callback goroutine before cbDone closes

	// Written by the waiter goroutine before it closes waitDone.
	info     *client.CommandInfo
	logs     *client.Logs
	waitErr  error
	finished time.Time
}

func (c *command) String() string { return "command " + c.id + " (" + firstLine(c.text) + ")" }

func (a *api) newCommand(L *lua.LState, sid, id, text string, started time.Time) *command {
	c := &command{a: a, r: a.h.cur, sid: sid, id: id, text: text, started: started}
	c.ud = newUD(L, typeCommand, c)
	return c
}

// cleanup kills the command if it still runs when the run ends.
func (c *command) cleanup(ctx context.Context) {
	if c.detached || c.ended.Load() {
		return
	}
	_ = c.a.c.KillCommand(ctx, c.sid, c.id, syscall.SIGKILL)
}

var commandMethods = map[string]lua.LGFunction{
	"wait":        cmdWait,
	"logs":        cmdLogs,
	"send":        cmdSend,
	"close_stdin": cmdCloseStdin,
	"kill":        cmdKill,
	"lines":       cmdLines,
	"info":        cmdInfo,
	"on_stdout":   func(L *lua.LState) int { return cmdSetCallback(L, "on_stdout") },
	"on_stderr":   func(L *lua.LState) int { return cmdSetCallback(L, "on_stderr") },
	"on_exit":     func(L *lua.LState) int { return cmdSetCallback(L, "on_exit") },
}

func commandField(L *lua.LState, v any, key string) lua.LValue {
	c := v.(*command)
	switch key {
	case "id":
		return lua.LString(c.id)
	case "session_id":
		return lua.LString(c.sid)
	case "command":
		return lua.LString(c.text)
	}
	return lua.LNil
}

// ensureWaiter starts (once) the goroutine that waits for the command to
// end and fetches its logs. The caller holds the GIL.
func (c *command) ensureWaiter() chan struct{} {
	if c.waitDone != nil {
		return c.waitDone
	}
	done := make(chan struct{})
	c.waitDone = done
	r := c.r
	// Only when callbacks (which collect the output) started before the
	// waiter does every wait include them; otherwise fetch the logs.
	skipLogs := c.collect.Load()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(done)
		info, err := c.a.c.WaitCommand(r.ctx, c.sid, c.id)
		var logs *client.Logs
		if err == nil {
			c.ended.Store(true)
			if !skipLogs {
				logs, err = c.a.c.GetCommandLogs(r.ctx, c.sid, c.id)
			}
		}
		c.info, c.logs, c.waitErr, c.finished = info, logs, err, time.Now()
	}()
	return done
}

// doneChan is closed when the command has ended and all its callbacks ran.
// A command's tee'd output counts as well, so that what a script prints
// after cmd:wait() comes after it.
func (c *command) doneChan() <-chan struct{} {
	wd := c.ensureWaiter()
	if c.cbDone == nil && c.teeDone == nil {
		return wd
	}
	if c.allDone == nil {
		all, cb, tee := make(chan struct{}), c.cbDone, c.teeDone
		c.allDone = all
		c.r.wg.Add(1)
		go func() {
			defer c.r.wg.Done()
			<-wd
			if cb != nil {
				<-cb
			}
			if tee != nil {
				<-tee
			}
			close(all)
		}()
	}
	return c.allDone
}

// await blocks until the command ended and its callbacks ran, or until
// timeout (when hasTimeout). It reports whether the timeout expired; err is
// the failure to wait.
func (c *command) await(L *lua.LState, fname string, timeout time.Duration, hasTimeout, killOnCancel bool) (timedOut bool, err error) {
	c.checkNotOwnCallback(L, fname)
	done := c.doneChan()
	err = c.a.h.wait(L, fname, "wait: "+firstLine(c.text), func(ctx context.Context) error {
		tc, stop := timer(timeout, hasTimeout)
		defer stop()
		select {
		case <-done:
		case <-tc:
			timedOut = true
		case <-ctx.Done():
			if killOnCancel {
				kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
				defer cancel()
				_ = c.a.c.KillCommand(kctx, c.sid, c.id, syscall.SIGKILL)
			}
			return ctx.Err()
		}
		return nil
	})
	if err == nil && !timedOut {
		err = c.waitErr
	}
	return timedOut, err
}

// checkNotOwnCallback raises when L is the thread running c's callbacks
// (or a coroutine inside it): waiting there for c would wait for itself.
func (c *command) checkNotOwnCallback(L *lua.LState, fname string) {
	for th := L; th != nil && c.cbThread != nil; th = th.Parent {
		if th == c.cbThread {
			L.RaiseError("%s: a callback cannot wait for its own command (it would wait for itself)", fname)
		}
	}
}

// result builds the result table of a finished command.
func (c *command) result(L *lua.LState) *lua.LTable {
	res := &client.ExecResult{ExitCode: -1, TimedOut: c.timedOut, HasStreams: true, Duration: c.finished.Sub(c.started)}
	if c.info != nil {
		if c.info.ExitCode != nil {
			res.ExitCode = *c.info.ExitCode
		}
		res.Signal = c.info.Signal
	}
	logs := c.logs
	if logs == nil {
		logs = c.collected
	}
	if logs != nil {
		res.Result, res.Stdout, res.Stderr = logs.Output, logs.Stdout, logs.Stderr
		res.Artifacts.Stdout = logs.Output
	}
	t := execResult(L, res)
	t.RawSetString("id", lua.LString(c.id))
	if c.cbErr != nil {
		t.RawSetString("callback_error", lua.LString(c.cbErr.Error()))
	}
	return t
}

// cmdWait is cmd:wait(timeout?): the result table once the command has
// ended, every callback for it has run and its tee'd output was written; nil, "timeout", "timeout" when
// timeout seconds pass first (the command keeps running).
func cmdWait(L *lua.LState) int {
	c := self[*command](L, "cmd:wait")
	d, has := optSeconds(L, "cmd:wait", 2, "timeout")
	if !has && c.cbDone != nil {
		c.checkNotOwnCallback(L, "cmd:wait")
		defer c.a.h.enterWait(L, "cmd:wait", []*waitNode{&c.node})()
	}
	timedOut, err := c.await(L, "cmd:wait", d, has, false)
	if timedOut {
		return failKind(L, "timeout", KindTimeout)
	}
	if err != nil {
		return fail(L, "cmd:wait", err)
	}
	L.Push(c.result(L))
	return 1
}

// cmdLogs is cmd:logs() → {output=, stdout=, stderr=} so far.
func cmdLogs(L *lua.LState) int {
	c := self[*command](L, "cmd:logs")
	var logs *client.Logs
	err := c.a.h.wait(L, "cmd:logs", "", func(ctx context.Context) error {
		var err error
		logs, err = c.a.c.GetCommandLogs(ctx, c.sid, c.id)
		return err
	})
	if err != nil {
		return fail(L, "cmd:logs", err)
	}
	t := L.NewTable()
	t.RawSetString("output", lua.LString(logs.Output))
	t.RawSetString("stdout", lua.LString(logs.Stdout))
	t.RawSetString("stderr", lua.LString(logs.Stderr))
	L.Push(t)
	return 1
}

// cmdInfo is cmd:info() → {id=, command=, exit_code=, signal=, done=}.
func cmdInfo(L *lua.LState) int {
	c := self[*command](L, "cmd:info")
	var ci *client.CommandInfo
	err := c.a.h.wait(L, "cmd:info", "", func(ctx context.Context) error {
		var err error
		ci, err = c.a.c.GetCommand(ctx, c.sid, c.id)
		return err
	})
	if err != nil {
		return fail(L, "cmd:info", err)
	}
	L.Push(commandInfoTable(L, ci))
	return 1
}

// cmdSend is cmd:send(data) → true: data goes to the command's stdin as is.
func cmdSend(L *lua.LState) int {
	c := self[*command](L, "cmd:send")
	data := checkString(L, "cmd:send", 2, "data")
	err := c.a.h.wait(L, "cmd:send", "", func(ctx context.Context) error {
		return c.a.c.SendInput(ctx, c.sid, c.id, []byte(data))
	})
	if err != nil {
		return fail(L, "cmd:send", err)
	}
	L.Push(lua.LTrue)
	return 1
}

// cmdCloseStdin is cmd:close_stdin() → true.
func cmdCloseStdin(L *lua.LState) int {
	c := self[*command](L, "cmd:close_stdin")
	err := c.a.h.wait(L, "cmd:close_stdin", "", func(ctx context.Context) error {
		return c.a.c.CloseInput(ctx, c.sid, c.id)
	})
	if err != nil {
		return fail(L, "cmd:close_stdin", err)
	}
	L.Push(lua.LTrue)
	return 1
}

var signalNames = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "TERM": syscall.SIGTERM, "STOP": syscall.SIGSTOP,
	"CONT": syscall.SIGCONT, "ALRM": syscall.SIGALRM,
}

// parseSignal reads argument n as a signal name ("TERM", "SIGKILL", "int")
// or number; nil means TERM.
func parseSignal(L *lua.LState, fname string, n int) syscall.Signal {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return syscall.SIGTERM
	case lua.LNumber:
		if v >= 1 && v <= 64 && v == lua.LNumber(int(v)) {
			return syscall.Signal(int(v))
		}
	case lua.LString:
		name := strings.TrimPrefix(strings.ToUpper(string(v)), "SIG")
		if s, ok := signalNames[name]; ok {
			return s
		}
		if num, err := strconv.Atoi(name); err == nil && num >= 1 && num <= 64 {
			return syscall.Signal(num)
		}
	}
	argError(L, fname, n, "signal", "signal name (\"TERM\", \"KILL\", \"INT\", ...) or number 1-64 expected, got "+L.Get(n).String())
	return 0
}

// cmdKill is cmd:kill(signal?) → true; signal defaults to "TERM".
func cmdKill(L *lua.LState) int {
	c := self[*command](L, "cmd:kill")
	sig := parseSignal(L, "cmd:kill", 2)
	err := c.a.h.wait(L, "cmd:kill", "", func(ctx context.Context) error {
		return c.a.c.KillCommand(ctx, c.sid, c.id, sig)
	})
	if err != nil {
		return fail(L, "cmd:kill", err)
	}
	L.Push(lua.LTrue)
	return 1
}

// cmdSetCallback is cmd:on_stdout(fn) / on_stderr(fn) / on_exit(fn); it
// returns cmd. Line callbacks receive (line, stream) for every line from
// the start of the command's output; on_exit receives the result table.
func cmdSetCallback(L *lua.LState, which string) int {
	c := self[*command](L, "cmd:"+which)
	fn, ok := L.Get(2).(*lua.LFunction)
	if !ok {
		argError(L, "cmd:"+which, 2, "callback", typeMsg("function", L.Get(2)))
	}
	switch which {
	case "on_stdout":
		c.onStdout = fn
	case "on_stderr":
		c.onStderr = fn
	default:
		c.onExit = fn
	}
	c.startCallbacks()
	L.Push(c.ud)
	return 1
}

// line is one line of output, without its newline.
type line struct {
	text   string
	stream client.Stream
}

// lineSplitter cuts chunks of both streams into lines, keeping each
// stream's unterminated tail apart.
type lineSplitter struct{ part [3][]byte }

func (s *lineSplitter) feed(st client.Stream, data []byte, out []line) []line {
	i := int(st) % 3
	for {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			s.part[i] = append(s.part[i], data...)
			return out
		}
		var text string
		if len(s.part[i]) > 0 {
			text = string(append(s.part[i], data[:nl]...))
			s.part[i] = s.part[i][:0]
		} else {
			text = string(data[:nl])
		}
		out = append(out, line{text, st})
		data = data[nl+1:]
	}
}

func (s *lineSplitter) flush(out []line) []line {
	for _, st := range []client.Stream{client.Stdout, client.Stderr} {
		i := int(st) % 3
		if len(s.part[i]) > 0 {
			out = append(out, line{string(s.part[i]), st})
			s.part[i] = nil
		}
	}
	return out
}

// startCallbacks starts (once) the goroutine that streams the command's
// output and runs its callbacks on the command's own Lua thread, in order.
// Unless the command is detached the run stays pending until on_exit ran.
// The caller holds the GIL.
func (c *command) startCallbacks() {
	if c.cbDone != nil {
		return
	}
	h, r := c.a.h, c.r
	cbDone := make(chan struct{})
	c.cbDone = cbDone
	c.collect.Store(true)
	waitDone := c.ensureWaiter()
	th, release := h.newThread(r.ctx)
	c.cbThread = th
	c.node.name = "the callbacks of " + c.String()
	h.waitNodes[th] = &c.node
	pending := !c.detached
	if pending {
		r.pending.Add()
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() {
			h.gil.Lock(th)
			c.cbThread = nil // the thread is recycled below
			delete(h.waitNodes, th)
			h.gil.Unlock()
			release()
			close(cbDone)
			if pending {
				r.pending.Done()
			}
		}()
		st, err := c.a.c.StreamCommandLogs(r.ctx, c.sid, c.id, client.LogOptions{Follow: true})
		if err != nil {
			if r.ctx.Err() == nil {
				r.background("callbacks of "+c.String(), err)
			}
			return
		}
		defer st.Close()
		// A reader goroutine receives and splits the next chunks while the
		// callbacks of the previous ones run, so streaming and Lua overlap.
		batches := make(chan []line, 4)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer close(batches)
			var sp lineSplitter
			var col collector
			complete := false
			defer func() {
				if complete {
					c.collected = col.logs()
				}
			}()
			for {
				ch, err := st.Recv()
				if err != nil {
					if r.ctx.Err() != nil {
						return
					}
					if !errors.Is(err, io.EOF) {
						r.background("output stream of "+c.String(), err)
						break
					}
					complete = true
					break
				}
				col.add(ch)
				if b := sp.feed(ch.Stream, ch.Data, nil); len(b) > 0 {
					select {
					case batches <- b:
					case <-r.ctx.Done():
						return
					}
				}
			}
			if b := sp.flush(nil); len(b) > 0 {
				select {
				case batches <- b:
				case <-r.ctx.Done():
				}
			}
		}()
		for b := range batches {
			c.dispatch(th, b)
		}
		if r.ctx.Err() != nil {
			return
		}
		if c.collected == nil {
			// The stream failed part way: fetch the output for the result.
			<-waitDone
			if logs, err := c.a.c.GetCommandLogs(r.ctx, c.sid, c.id); err == nil {
				c.collected = logs
			}
		}
		select {
		case <-waitDone:
		case <-r.ctx.Done():
			return
		}
		h.gil.Lock(th)
		if c.onExit != nil && c.waitErr == nil && r.ctx.Err() == nil {
			c.call(th, "on_exit", c.onExit, c.result(th))
		}
		h.gil.Unlock()
	}()
}

// collector keeps a command's output chunks and joins them once at the
// end, with exact sizes (growing three buffers by doubling cost more than
// the callbacks for a large log).
type collector struct {
	chunks      []client.Chunk
	total, nerr int
}

func (c *collector) add(ch client.Chunk) {
	ch.Data = append([]byte(nil), ch.Data...)
	c.chunks = append(c.chunks, ch)
	c.total += len(ch.Data)
	if ch.Stream == client.Stderr {
		c.nerr += len(ch.Data)
	}
}

func (c *collector) logs() *client.Logs {
	join := func(n int, keep func(client.Stream) bool) string {
		var b strings.Builder
		b.Grow(n)
		for _, ch := range c.chunks {
			if keep(ch.Stream) {
				b.Write(ch.Data)
			}
		}
		return b.String()
	}
	all := func(client.Stream) bool { return true }
	l := &client.Logs{Output: join(c.total, all)}
	switch {
	case c.nerr == 0:
		l.Stdout = l.Output
	case c.nerr == c.total:
		l.Stderr = l.Output
	default:
		l.Stdout = join(c.total-c.nerr, func(s client.Stream) bool { return s != client.Stderr })
		l.Stderr = join(c.nerr, func(s client.Stream) bool { return s == client.Stderr })
	}
	c.chunks = nil
	return l
}

// dispatch runs the line callbacks for lines, holding the GIL for the batch.
func (c *command) dispatch(th *lua.LState, lines []line) {
	if len(lines) == 0 {
		return
	}
	c.a.h.gil.Lock(th)
	defer c.a.h.gil.Unlock()
	for _, ln := range lines {
		if c.r.ctx.Err() != nil {
			return
		}
		fn, which := c.onStdout, "on_stdout"
		if ln.stream == client.Stderr {
			fn, which = c.onStderr, "on_stderr"
		}
		if fn != nil {
			c.call(th, which, fn, lua.LString(ln.text), lua.LString(ln.stream.String()))
		}
	}
}

// call runs one callback; an error is reported with its traceback and
// recorded, and later callbacks still run.
func (c *command) call(th *lua.LState, which string, fn *lua.LFunction, args ...lua.LValue) {
	th.Push(fn)
	for _, a := range args {
		th.Push(a)
	}
	if err := th.PCall(len(args), 0, nil); err != nil && c.r.ctx.Err() == nil {
		se := toScriptError(err)
		if c.cbErr == nil {
			c.cbErr = se
		}
		c.r.background(fmt.Sprintf("%s callback of %s failed", which, c), se)
	}
}

// startTee copies the command's output to out (the host's stdout and
// stderr, possibly line-prefixed) as it arrives.
func (c *command) startTee(out func(client.Chunk)) {
	r := c.r
	done := make(chan struct{})
	c.teeDone = done
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(done)
		st, err := c.a.c.StreamCommandLogs(r.ctx, c.sid, c.id, client.LogOptions{Follow: true})
		if err != nil {
			return
		}
		defer st.Close()
		for {
			ch, err := st.Recv()
			if err != nil {
				return
			}
			out(ch)
		}
	}()
}

// lineIter is the state of one cmd:lines() loop.
type lineIter struct {
	busy   bool // guarded by the GIL: a Recv is in progress
	st     client.LogStream
	cancel context.CancelFunc
	sp     lineSplitter
	queue  []line
	eof    bool
	err    error
}

// cmdLines is cmd:lines(): an iterator over the command's output lines
// from its start, for `for line, stream in cmd:lines() do ... end`. It ends
// after the command has ended and its last (possibly unterminated) line.
func cmdLines(L *lua.LState) int {
	c := self[*command](L, "cmd:lines")
	r := c.r
	it := &lineIter{}
	sctx, cancel := context.WithCancel(r.ctx)
	it.cancel = cancel
	err := c.a.h.wait(L, "cmd:lines", "", func(ctx context.Context) error {
		var err error
		it.st, err = c.a.c.StreamCommandLogs(sctx, c.sid, c.id, client.LogOptions{Follow: true})
		return err
	})
	if err != nil {
		cancel()
		return fail(L, "cmd:lines", err)
	}
	r.add(resourceFunc(func(context.Context) { cancel(); _ = it.st.Close() }))
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if it.busy {
			L.RaiseError("cmd:lines: the iterator is already in use by another task")
		}
		if len(it.queue) == 0 && !it.eof {
			it.busy = true
			_ = c.a.h.wait(L, "cmd:lines", "lines: "+firstLine(c.text), func(ctx context.Context) error {
				stop := context.AfterFunc(ctx, cancel)
				defer stop()
				for len(it.queue) == 0 && !it.eof {
					ch, err := it.st.Recv()
					if err != nil {
						it.eof = true
						if !errors.Is(err, io.EOF) {
							it.err = err
						}
						it.queue = it.sp.flush(it.queue)
						_ = it.st.Close()
						cancel()
						break
					}
					it.queue = it.sp.feed(ch.Stream, ch.Data, it.queue)
				}
				return nil
			})
			it.busy = false
		}
		if len(it.queue) > 0 {
			ln := it.queue[0]
			it.queue = it.queue[1:]
			L.Push(lua.LString(ln.text))
			L.Push(lua.LString(ln.stream.String()))
			return 2
		}
		if it.err != nil {
			L.RaiseError("cmd:lines: %v", it.err)
		}
		L.Push(lua.LNil)
		return 1
	}))
	return 1
}
