package luabind

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/luaargs"
	"github.com/procsh/procsh/luabind/lua51"
)

// Callbacks: the one loop that runs the Lua callbacks of commands
// (on_stdout, on_stderr, on_exit) and PTYs (on_output), each owner on its
// own Lua thread and goroutine, in order, under the lock.

// runCallbacks calls deliver for every item that next returns, in order, on
// th (the owner's own Lua thread). It takes the lock once per batch, so a
// fast producer costs one lock hand-over per batch rather than per item,
// and stops delivering once the run is cancelled. It returns when next
// reports the end (ok false).
func runCallbacks[T any](h *Host, r *run, th *lua.LState, next func() (batch []T, ok bool), deliver func(th *lua.LState, item T)) {
	for {
		batch, ok := next()
		if !ok {
			return
		}
		if len(batch) == 0 {
			continue
		}
		h.gil.Lock(th)
		for _, it := range batch {
			if r.ctx.Err() != nil {
				break
			}
			deliver(th, it)
		}
		h.gil.Unlock()
	}
}

// drain waits for the next batch and joins whatever else is already
// queued, so that a fast producer costs one lock hand-over for many
// batches.
func drain(batches <-chan []line) ([]line, bool) {
	b, ok := <-batches
	for ok {
		select {
		case more, open := <-batches:
			if !open {
				return b, true // the next call sees the channel closed
			}
			b = append(b, more...)
			continue
		default:
		}
		break
	}
	return b, ok
}

// callback runs fn(args...) on th, which holds the lock. A failure is
// reported on the host's stderr with its traceback, recorded as a
// background error of the run and returned; it does not stop later
// callbacks. which and owner name the callback in the report ("on_stdout
// callback of command ..."); owner is only formatted on failure, so the
// common path allocates nothing for it.
func (r *run) callback(th *lua.LState, which string, owner stringer, fn *lua.LFunction, args ...lua.LValue) error {
	th.Push(fn)
	for _, a := range args {
		th.Push(a)
	}
	err := lua51.Translate(th, th.PCall(len(args), 0, nil))
	if err == nil || r.ctx.Err() != nil {
		return nil
	}
	se := toScriptError(err)
	r.background(which+" callback of "+owner.String()+" failed", se)
	return se
}

// cmdSetCallback is cmd:on_stdout(fn) / on_stderr(fn) / on_data(fn) /
// on_exit(fn); it returns cmd. Line callbacks receive (line, stream, cmd)
// for every line from the start of the command's output (from the next line
// boundary if on_data alone ran so far); on_data receives (data, stream,
// cmd) for every chunk, byte-exact; on_exit receives (result, cmd).
func cmdSetCallback(L *lua.LState, which string) int {
	c := self[*command](L, "cmd:"+which)
	fn, ok := L.Get(2).(*lua.LFunction)
	if !ok {
		luaargs.ArgError(L, "cmd:"+which, 2, "callback", luaargs.TypeMsg("function", L.Get(2)))
	}
	switch which {
	case "on_stdout":
		c.onStdout = fn
	case "on_stderr":
		c.onStderr = fn
	case "on_data":
		c.onData = fn
	default:
		c.onExit = fn
	}
	c.startCallbacks()
	L.Push(c.ud)
	return 1
}

// startCallbacks starts (once) the goroutine that streams the command's
// output and runs its callbacks on the command's own Lua thread, in order.
// Unless the command is detached the run stays pending until on_exit ran.
// The caller holds the GIL.
func (c *command) startCallbacks() {
	c.wantLines.Store(c.onStdout != nil || c.onStderr != nil)
	c.wantData.Store(c.onData != nil)
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
		batches := c.streamLines(st)
		runCallbacks(h, r, th, func() ([]line, bool) { return drain(batches) }, c.deliverLine)
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
			c.call(th, "on_exit", c.onExit, c.result(th), c.ud)
		}
		h.gil.Unlock()
	}()
}

// deliverLine runs the callback for ln: on_data for a raw chunk, else the
// line callback of its stream, if the command has one.
func (c *command) deliverLine(th *lua.LState, ln line) {
	fn, which := c.onStdout, "on_stdout"
	switch {
	case ln.raw:
		fn, which = c.onData, "on_data"
	case ln.stream == client.Stderr:
		fn, which = c.onStderr, "on_stderr"
	}
	if fn != nil {
		c.call(th, which, fn, lua.LString(ln.text), streamName(ln.stream), c.ud)
	}
}

// Stream names, boxed once rather than per line.
var (
	lStdout lua.LValue = lua.LString(client.Stdout.String())
	lStderr lua.LValue = lua.LString(client.Stderr.String())
)

func streamName(s client.Stream) lua.LValue {
	switch s {
	case client.Stdout:
		return lStdout
	case client.Stderr:
		return lStderr
	}
	return lua.LString(s.String())
}

// call runs one callback of c and records the first failure in the result
// (callback_error).
func (c *command) call(th *lua.LState, which string, fn *lua.LFunction, args ...lua.LValue) {
	if err := c.r.callback(th, which, c, fn, args...); err != nil && c.cbErr == nil {
		c.cbErr = err
	}
}

// startCallbacks starts (once) the goroutine that runs on_output for each
// chunk of output, in order, on the PTY's own Lua thread. PTY callbacks do
// not keep a run alive: a PTY usually hosts a shell that never ends.
func (p *ptyObj) startCallbacks() {
	p.queueing.Store(true)
	p.cbOnce.Do(func() {
		h, r := p.a.h, p.r
		th, release := h.newThread(r.ctx)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer release()
			runCallbacks(h, r, th, p.nextOutput, p.deliverOutput)
		}()
	})
}

// nextOutput waits for output queued by Write and takes all of it.
func (p *ptyObj) nextOutput() ([][]byte, bool) {
	select {
	case <-p.qsignal:
	case <-p.r.ctx.Done():
		return nil, false
	}
	p.qmu.Lock()
	defer p.qmu.Unlock()
	q := p.queue
	p.queue = nil
	return q, true
}

// deliverOutput runs on_output for one chunk.
func (p *ptyObj) deliverOutput(th *lua.LState, b []byte) {
	if p.onOutput != nil {
		_ = p.r.callback(th, "on_output", p, p.onOutput, lua.LString(b), p.ud)
	}
}
