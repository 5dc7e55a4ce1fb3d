package luabind

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/expect"
	"github.com/procsh/procsh/internal/luaargs"
)

// The command handle: what session:start returns, its waiter and its
// methods. Its output streaming, line splitting and collection are in
// output.go, its callbacks in callbacks.go.

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
	onData                     *lua.LFunction
	wantLines, wantData        atomic.Bool      // the stream reader's view of which callbacks exist
	exp                        *expect.Expecter // cmd:expect's engine, created on first use
	cbDone                     chan struct{}    // nil unless callbacks were set
	cbThread                   *lua.LState      // the thread callbacks run on
	teeDone                    chan struct{}    // nil unless tee=true
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
		res.Truncated = logs.Truncated // the backend's cap or retention limit
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
	d, has := luaargs.OptSeconds(L, "cmd:wait", 2, "timeout")
	if !has && c.cbDone != nil {
		c.checkNotOwnCallback(L, "cmd:wait")
		defer c.a.h.enterWait(L, "cmd:wait", []*waitNode{&c.node})()
	}
	timedOut, err := c.await(L, "cmd:wait", d, has, false)
	if timedOut {
		return luaargs.FailKind(L, "timeout", KindTimeout)
	}
	if err != nil {
		return luaargs.Fail(L, "cmd:wait", err)
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
		return luaargs.Fail(L, "cmd:logs", err)
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
		return luaargs.Fail(L, "cmd:info", err)
	}
	L.Push(commandInfoTable(L, ci))
	return 1
}

// cmdSend is cmd:send(data) → true: data goes to the command's stdin as is.
func cmdSend(L *lua.LState) int {
	c := self[*command](L, "cmd:send")
	data := luaargs.CheckString(L, "cmd:send", 2, "data")
	err := c.a.h.wait(L, "cmd:send", "", func(ctx context.Context) error {
		return c.a.c.SendInput(ctx, c.sid, c.id, []byte(data))
	})
	if err != nil {
		return luaargs.Fail(L, "cmd:send", err)
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
		return luaargs.Fail(L, "cmd:close_stdin", err)
	}
	L.Push(lua.LTrue)
	return 1
}

// parseSignal reads argument n as a signal name ("TERM", "SIGKILL", "int")
// or number (client.ParseSignal's rules); nil means TERM.
func parseSignal(L *lua.LState, fname string, n int) syscall.Signal {
	var text string
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return syscall.SIGTERM
	case lua.LNumber:
		text = v.String()
	case lua.LString:
		text = string(v)
	default:
		luaargs.ArgError(L, fname, n, "signal", luaargs.TypeMsg("signal name or number", v))
	}
	sig, err := client.ParseSignal(text)
	if err != nil {
		luaargs.ArgError(L, fname, n, "signal", fmt.Sprintf("%q is not a signal: want a name (\"TERM\", \"KILL\", \"INT\", ...) or a number 1-64", text))
	}
	return sig
}

// cmdKill is cmd:kill(signal?) → true; signal defaults to "TERM".
func cmdKill(L *lua.LState) int {
	c := self[*command](L, "cmd:kill")
	sig := parseSignal(L, "cmd:kill", 2)
	err := c.a.h.wait(L, "cmd:kill", "", func(ctx context.Context) error {
		return c.a.c.KillCommand(ctx, c.sid, c.id, sig)
	})
	if err != nil {
		return luaargs.Fail(L, "cmd:kill", err)
	}
	L.Push(lua.LTrue)
	return 1
}

// feed writes data to the command's stdin and closes it (stdin=), on a
// goroutine of the run: a command that reads its input slowly or not at all
// fills the FIFO, and a caller blocked on the write could neither time the
// command out nor get the handle to kill it. A command that has already
// ended (it did not read its input) is not an error: there is nobody left
// to write to.
func (c *command) feed(data string) {
	r := c.r
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		// Errors end up where they belong: a command that ended or was
		// killed no longer takes input (closed), and a broken backend
		// fails the wait as well.
		if data != "" {
			if err := c.a.c.SendInput(r.ctx, c.sid, c.id, []byte(data)); err != nil {
				return
			}
		}
		_ = c.a.c.CloseInput(r.ctx, c.sid, c.id)
	}()
}
