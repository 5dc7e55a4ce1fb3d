package luabind

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"

	"github.com/procsh/procsh/cast"
	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/expect"
)

// ptyObj is a Lua PTY object: a PTY session, one attached handle, and the
// expect engine reading it.
type ptyObj struct {
	a        *api
	r        *run
	id       string
	handle   client.PTYHandle
	exp      *expect.Expecter
	detached bool
	rec      *recording    // nil unless record= was given
	timeout  time.Duration // default expect timeout
	strip    bool          // ANSI escapes are removed before matching
	ud       *lua.LUserData

	// Output callbacks: the expect reader's transcript feeds a queue that
	// a dispatcher goroutine drains on the PTY's own Lua thread.
	qmu      sync.Mutex
	queue    [][]byte
	qsignal  chan struct{}
	qclosed  bool
	onOutput *lua.LFunction // guarded by the GIL
	cbOnce   sync.Once
	queueing atomic.Bool // an on_output callback exists: queue output for it
}

func (p *ptyObj) String() string { return "pty " + p.id }

func ptyField(L *lua.LState, v any, key string) lua.LValue {
	if key == "id" {
		return lua.LString(v.(*ptyObj).id)
	}
	return lua.LNil
}

// Write receives every chunk the expect engine reads (its transcript): it
// records it and queues it for the on_output callback.
func (p *ptyObj) Write(b []byte) (int, error) {
	if !p.queueing.Load() {
		return len(b), nil
	}
	p.qmu.Lock()
	if !p.qclosed {
		p.queue = append(p.queue, append([]byte(nil), b...))
		select {
		case p.qsignal <- struct{}{}:
		default:
		}
	}
	p.qmu.Unlock()
	return len(b), nil
}

// cleanup kills the PTY (unless detached) and releases the handle.
func (p *ptyObj) cleanup(ctx context.Context) {
	if !p.detached {
		_ = p.a.c.KillPTY(ctx, p.id)
	}
	_ = p.exp.Close()
	p.qmu.Lock()
	p.qclosed = true
	p.qmu.Unlock()
	if p.rec != nil {
		_ = p.rec.close()
	}
}

// pty is process.pty{id=, cols=, rows=, cwd=, env=, command=, on_output=,
// record=, strip_ansi=, timeout=, detach=}: it starts a PTY session and
// returns a PTY object. command is a string (run by /bin/sh -c) or a list
// (program and arguments); the default is the user's login shell.
// strip_ansi (default true) removes terminal escapes before matching;
// timeout (default 30 s) is the default for pty:expect. record="x.cast"
// writes an asciicast v2 recording of the output and window size changes
// (package cast; input is not recorded, it may hold passwords) and is
// available in the full profile only.
//
//	local p = process.pty{command = "python3 -i"}
//	p:expect{exact = ">>> "}
//	p:send_line("print(6*7)")
//	local i, m = p:expect("(\\d+)")
//	print(m.groups[1]) --> 42
func (a *api) pty(L *lua.LState) int {
	fname := a.name + ".pty"
	o := luaargs.CheckOpts(L, fname, 1)
	// LazyStart: the program starts when we connect, so no output is lost.
	po := client.PTYOptions{ID: o.Str("id", ""), Cwd: o.Str("cwd", ""), Env: o.Env("env"), LazyStart: true}
	cols, rows := o.Number("cols", 0), o.Number("rows", 0)
	if !ptySizeOK(cols, 0) {
		o.Bad("cols", "must be a whole number between 1 and 1000")
	}
	if !ptySizeOK(rows, 0) {
		o.Bad("rows", "must be a whole number between 1 and 1000")
	}
	po.Cols, po.Rows = uint16(cols), uint16(rows)
	switch v := o.Get("command").(type) {
	case *lua.LNilType:
	case lua.LString:
		po.Command = []string{"/bin/sh", "-c", string(v)}
	case *lua.LTable:
		po.Command = o.Strings("command")
		if len(po.Command) == 0 {
			o.Bad("command", "empty list")
		}
	default:
		o.Bad("command", luaargs.TypeMsg("string or list of strings", v))
	}
	onOutput := o.Function("on_output")
	record := o.Str("record", "")
	strip := o.Bool("strip_ansi", true)
	timeout := 30 * time.Second
	if o.Get("timeout") != lua.LNil {
		timeout = o.Seconds("timeout")
	}
	detach := o.Bool("detach", false)
	o.Done()
	h := a.h
	if record != "" && h.cfg.profile == ProfileSandbox {
		L.RaiseError("%s: option 'record' writes a file, which the sandbox profile does not allow", fname)
	}
	if po.ID == "" {
		po.ID = randomID("lua-pty-")
	}
	if h.cfg.trace != nil {
		what := "login shell"
		if len(po.Command) > 0 {
			what = strings.Join(po.Command, " ")
		}
		a.traceLine(time.Now(), "pty", what, "")
	}
	var handle client.PTYHandle
	var info *client.PTYInfo
	err := h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		if cc, ok := a.c.(ptyCreateConnector); ok {
			cpo := po
			if len(cpo.Command) == 0 {
				// Created attached: output from the first instant is
				// read without a lazy start (create-connect has none, and
				// takes only the default shell).
				cpo.LazyStart = false
			}
			handle, err = cc.CreateConnectPTY(ctx, cpo, client.PTYConnectOptions{})
			if err != nil {
				// Not created (an id in use is someone else's PTY: it
				// must not be killed below).
				return err
			}
			if record != "" {
				// The recording's header needs the size and env the
				// backend settled on.
				info, err = a.c.GetPTY(ctx, po.ID)
			}
		} else {
			if info, err = a.c.CreatePTY(ctx, po); err != nil {
				return err
			}
			handle, err = a.c.ConnectPTY(ctx, po.ID, client.PTYConnectOptions{})
		}
		if err != nil || ctx.Err() != nil {
			// Nobody will own the PTY: the connect failed, or the run was
			// cancelled meanwhile and wait is about to raise.
			if handle != nil {
				_ = handle.Close()
			}
			_ = a.c.KillPTY(context.WithoutCancel(ctx), po.ID)
		}
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	var rec *recording
	if record != "" {
		if rec, err = startRecording(record, info, po.Command); err != nil {
			_ = handle.Close()
			_ = a.c.KillPTY(context.Background(), po.ID)
			return luaargs.Fail(L, fname, err)
		}
		// Output is recorded as the expect engine reads it, resizes as
		// they are made.
		handle = recordedPTY{handle, cast.Record(handle, rec.w)}
	}
	p := a.newPTYObj(L, po.ID, handle, detach, rec, timeout, strip, onOutput)
	L.Push(p)
	return 1
}

// ptyCreateConnector is a backend that creates and attaches a PTY in one
// round trip (client/remote over create-connect), so nothing the PTY prints
// before the attach can be missed and a PTY is one request, not two. The
// backend falls back to create then connect itself where it must.
type ptyCreateConnector interface {
	CreateConnectPTY(ctx context.Context, opts client.PTYOptions, copts client.PTYConnectOptions) (client.PTYHandle, error)
}

// newPTYObj wraps a connected handle in a PTY object owned by the current
// run.
func (a *api) newPTYObj(L *lua.LState, id string, handle client.PTYHandle, detach bool, rec *recording, timeout time.Duration, strip bool, onOutput *lua.LFunction) *lua.LUserData {
	h := a.h
	p := &ptyObj{a: a, r: h.cur, id: id, handle: handle, detached: detach, rec: rec, timeout: timeout, strip: strip, qsignal: make(chan struct{}, 1)}
	eopts := []expect.Option{expect.WithTimeout(timeout), expect.WithTranscript(p)}
	if strip {
		eopts = append(eopts, expect.WithStripANSI())
	}
	p.exp = expect.New(handle, eopts...)
	h.cur.add(p)
	ud := newUD(L, typePTY, p)
	p.ud = ud
	if onOutput != nil {
		p.onOutput = onOutput
		p.startCallbacks()
	}
	return ud
}

// attachPTY is process.attach_pty(id, {scrollback=, on_output=,
// strip_ansi=, timeout=}): a PTY object attached to an existing PTY
// session. It is not killed at the end of the run (only this attachment is
// closed); scrollback=true asks for recent output to be delivered first
// (pty:scrollback() returns it too).
func (a *api) attachPTY(L *lua.LState) int { return a.attachPTYAs(L, a.name+".attach_pty") }

// getPTY is process.get_pty(id, {...}): the same as attach_pty, named like
// get_session (a lookup returns an object).
func (a *api) getPTY(L *lua.LState) int { return a.attachPTYAs(L, a.name+".get_pty") }

func (a *api) attachPTYAs(L *lua.LState, fname string) int {
	id := luaargs.CheckString(L, fname, 1, "id")
	o := luaargs.CheckOpts(L, fname, 2)
	scrollback := o.Bool("scrollback", false)
	onOutput := o.Function("on_output")
	strip := o.Bool("strip_ansi", true)
	timeout := 30 * time.Second
	if o.Get("timeout") != lua.LNil {
		timeout = o.Seconds("timeout")
	}
	o.Done()
	var handle client.PTYHandle
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		handle, err = a.c.ConnectPTY(ctx, id, client.PTYConnectOptions{Scrollback: scrollback})
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	L.Push(a.newPTYObj(L, id, handle, true, nil, timeout, strip, onOutput))
	return 1
}

func ptySendCommon(L *lua.LState, method string, send func(p *ptyObj, s string) error) int {
	p := self[*ptyObj](L, method)
	s := luaargs.CheckString(L, method, 2, "data")
	err := p.a.h.wait(L, method, "", func(context.Context) error { return send(p, s) })
	if err != nil {
		return luaargs.Fail(L, method, fromExpect(err))
	}
	L.Push(lua.LTrue)
	return 1
}

// ptySend is pty:send(data) → true.
func ptySend(L *lua.LState) int {
	return ptySendCommon(L, "pty:send", func(p *ptyObj, s string) error { return p.exp.Send(s) })
}

// ptySendLine is pty:send_line(s) → true; it sends s and a newline.
func ptySendLine(L *lua.LState) int {
	return ptySendCommon(L, "pty:send_line", func(p *ptyObj, s string) error { return p.exp.SendLine(s) })
}

// ptySendControl is pty:send_control(key) → true; "c" sends Ctrl-C.
func ptySendControl(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:send_control")
	key := luaargs.CheckString(L, "pty:send_control", 2, "key")
	c, err := expect.ControlKey(key)
	if err != nil {
		luaargs.ArgError(L, "pty:send_control", 2, "key", err.Error())
	}
	err = p.a.h.wait(L, "pty:send_control", "", func(context.Context) error { return p.exp.Send(c) })
	if err != nil {
		return luaargs.Fail(L, "pty:send_control", fromExpect(err))
	}
	L.Push(lua.LTrue)
	return 1
}

// ptyResize is pty:resize(cols, rows) → true.
func ptyResize(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:resize")
	cols, rows := L.Get(2), L.Get(3)
	c, ok1 := cols.(lua.LNumber)
	r, ok2 := rows.(lua.LNumber)
	if !ok1 || !ptySizeOK(float64(c), 1) {
		luaargs.ArgError(L, "pty:resize", 2, "cols", "a whole number between 1 and 1000 expected")
	}
	if !ok2 || !ptySizeOK(float64(r), 1) {
		luaargs.ArgError(L, "pty:resize", 3, "rows", "a whole number between 1 and 1000 expected")
	}
	err := p.a.h.wait(L, "pty:resize", "", func(ctx context.Context) error {
		return p.handle.Resize(ctx, uint16(c), uint16(r))
	})
	if err != nil {
		return luaargs.Fail(L, "pty:resize", err)
	}
	L.Push(lua.LTrue)
	return 1
}

// ptyWait is pty:wait(timeout?) → {exit_code=, reason=}, or nil, "timeout",
// "timeout" (the program keeps running).
func ptyWait(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:wait")
	d, has := luaargs.OptSeconds(L, "pty:wait", 2, "timeout")
	var res client.PTYResult
	timedOut := false
	err := p.a.h.wait(L, "pty:wait", "wait: "+p.String(), func(ctx context.Context) error {
		if has {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		var err error
		res, err = p.handle.Wait(ctx)
		if err != nil && has && errors.Is(err, context.DeadlineExceeded) {
			timedOut = true
			return nil
		}
		return err
	})
	if timedOut {
		return luaargs.FailKind(L, "timeout", KindTimeout)
	}
	if err != nil {
		return luaargs.Fail(L, "pty:wait", err)
	}
	t := L.NewTable()
	t.RawSetString("exit_code", lua.LNumber(res.ExitCode))
	t.RawSetString("reason", lua.LString(res.Reason))
	L.Push(t)
	return 1
}

// ptyKill is pty:kill() → true: it kills the PTY's process tree.
func ptyKill(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:kill")
	err := p.a.h.wait(L, "pty:kill", "", func(ctx context.Context) error { return p.handle.Kill(ctx) })
	if err != nil {
		return luaargs.Fail(L, "pty:kill", err)
	}
	L.Push(lua.LTrue)
	return 1
}

// ptyClose is pty:close() → true: it detaches this object from the PTY
// (the program keeps running until the run ends, or beyond if detached).
func ptyClose(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:close")
	_ = p.a.h.wait(L, "pty:close", "", func(context.Context) error {
		err := p.exp.Close()
		if p.rec != nil {
			_ = p.rec.close()
		}
		return err
	})
	L.Push(lua.LTrue)
	return 1
}

// ptyOnOutput is pty:on_output(fn) → pty: fn(data) runs for every chunk of
// output read from now on.
func ptyOnOutput(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:on_output")
	fn, ok := L.Get(2).(*lua.LFunction)
	if !ok {
		luaargs.ArgError(L, "pty:on_output", 2, "callback", luaargs.TypeMsg("function", L.Get(2)))
	}
	p.onOutput = fn
	p.startCallbacks()
	L.Push(L.Get(1))
	return 1
}

// ptyBuffered is pty:buffered(): output received but not consumed by
// expect yet.
func ptyBuffered(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:buffered")
	L.Push(lua.LString(p.exp.Buffered()))
	return 1
}

// ptyScrollback is pty:scrollback() → data, truncated: the recent output
// delivered when process.attach_pty was called with scrollback=true.
func ptyScrollback(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:scrollback")
	data, truncated := p.handle.Scrollback()
	L.Push(lua.LString(data))
	L.Push(lua.LBool(truncated))
	return 2
}

// ptyInfo is pty:info() → the PTY's info table.
func ptyInfo(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:info")
	return p.a.pushPTYInfo(L, "pty:info", p.id)
}
