package luabind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

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

var ptyMethods = map[string]lua.LGFunction{
	"send":         ptySend,
	"send_line":    ptySendLine,
	"send_control": ptySendControl,
	"expect":       ptyExpect,
	"resize":       ptyResize,
	"wait":         ptyWait,
	"kill":         ptyKill,
	"close":        ptyClose,
	"on_output":    ptyOnOutput,
	"info":         ptyInfo,
	"buffered":     ptyBuffered,
	"scrollback":   ptyScrollback,
}

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
	o := checkOpts(L, fname, 1)
	// LazyStart: the program starts when we connect, so no output is lost.
	po := client.PTYOptions{ID: o.str("id", ""), Cwd: o.str("cwd", ""), Env: o.env("env"), LazyStart: true}
	cols, rows := o.number("cols", 0), o.number("rows", 0)
	if cols < 0 || cols > 1000 || rows < 0 || rows > 1000 {
		o.bad("cols/rows", "must be between 1 and 1000")
	}
	po.Cols, po.Rows = uint16(cols), uint16(rows)
	switch v := o.get("command").(type) {
	case *lua.LNilType:
	case lua.LString:
		po.Command = []string{"/bin/sh", "-c", string(v)}
	case *lua.LTable:
		po.Command = o.strings("command")
		if len(po.Command) == 0 {
			o.bad("command", "empty list")
		}
	default:
		o.bad("command", typeMsg("string or list of strings", v))
	}
	onOutput := o.function("on_output")
	record := o.str("record", "")
	strip := o.boolean("strip_ansi", true)
	timeout := 30 * time.Second
	if o.get("timeout") != lua.LNil {
		timeout = o.seconds("timeout")
	}
	detach := o.boolean("detach", false)
	o.done()
	h := a.h
	if record != "" && h.cfg.profile == ProfileSandbox {
		L.RaiseError("%s: option 'record' writes a file, which the sandbox profile does not allow", fname)
	}
	if po.ID == "" {
		po.ID = randomID("lua-pty-")
	}
	var handle client.PTYHandle
	var info *client.PTYInfo
	err := h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		if info, err = a.c.CreatePTY(ctx, po); err != nil {
			return err
		}
		handle, err = a.c.ConnectPTY(ctx, po.ID, client.PTYConnectOptions{})
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
		return fail(L, fname, err)
	}
	var rec *recording
	if record != "" {
		if rec, err = startRecording(record, info, po.Command); err != nil {
			_ = handle.Close()
			_ = a.c.KillPTY(context.Background(), po.ID)
			return fail(L, fname, err)
		}
		// Output is recorded as the expect engine reads it, resizes as
		// they are made.
		handle = recordedPTY{handle, cast.Record(handle, rec.w)}
	}
	p := a.newPTYObj(L, po.ID, handle, detach, rec, timeout, strip, onOutput)
	L.Push(p)
	return 1
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
func (a *api) attachPTY(L *lua.LState) int {
	fname := a.name + ".attach_pty"
	id := checkString(L, fname, 1, "id")
	o := checkOpts(L, fname, 2)
	scrollback := o.boolean("scrollback", false)
	onOutput := o.function("on_output")
	strip := o.boolean("strip_ansi", true)
	timeout := 30 * time.Second
	if o.get("timeout") != lua.LNil {
		timeout = o.seconds("timeout")
	}
	o.done()
	var handle client.PTYHandle
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		handle, err = a.c.ConnectPTY(ctx, id, client.PTYConnectOptions{Scrollback: scrollback})
		return err
	})
	if err != nil {
		return fail(L, fname, err)
	}
	L.Push(a.newPTYObj(L, id, handle, true, nil, timeout, strip, onOutput))
	return 1
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
			for {
				select {
				case <-p.qsignal:
				case <-r.ctx.Done():
					return
				}
				p.qmu.Lock()
				q := p.queue
				p.queue = nil
				p.qmu.Unlock()
				if len(q) == 0 {
					continue
				}
				h.gil.Lock(th)
				for _, b := range q {
					if r.ctx.Err() != nil || p.onOutput == nil {
						break
					}
					th.Push(p.onOutput)
					th.Push(lua.LString(b))
					if err := th.PCall(1, 0, nil); err != nil && r.ctx.Err() == nil {
						r.background("on_output callback of "+p.String()+" failed", toScriptError(err))
					}
				}
				h.gil.Unlock()
			}
		}()
	})
}

func ptySendCommon(L *lua.LState, method string, send func(p *ptyObj, s string) error) int {
	p := self[*ptyObj](L, method)
	s := checkString(L, method, 2, "data")
	err := p.a.h.wait(L, method, "", func(context.Context) error { return send(p, s) })
	if err != nil {
		return fail(L, method, err)
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
	key := checkString(L, "pty:send_control", 2, "key")
	c, err := expect.ControlKey(key)
	if err != nil {
		argError(L, "pty:send_control", 2, "key", err.Error())
	}
	err = p.a.h.wait(L, "pty:send_control", "", func(context.Context) error { return p.exp.Send(c) })
	if err != nil {
		return fail(L, "pty:send_control", err)
	}
	L.Push(lua.LTrue)
	return 1
}

// toPattern converts one Lua pattern: a string is a Go regexp, {exact=s} a
// literal, process.EOF / process.TIMEOUT the sentinels.
func (p *ptyObj) toPattern(L *lua.LState, v lua.LValue, i int, timeout time.Duration) expect.Pattern {
	switch v := v.(type) {
	case lua.LString:
		pat, err := expect.Compile(string(v))
		if err != nil {
			argError(L, "pty:expect", 2, "patterns", fmt.Sprintf("pattern %d: %v", i, err))
		}
		return pat
	case *lua.LTable:
		ex, ok := v.RawGetString("exact").(lua.LString)
		if !ok {
			argError(L, "pty:expect", 2, "patterns", fmt.Sprintf("pattern %d: table without a string 'exact' field", i))
		}
		return expect.Literal(string(ex))
	case *lua.LUserData:
		if v == p.a.h.markerEOF {
			return expect.EOF
		}
		if v == p.a.h.markerTimeout {
			return expect.Timeout(timeout)
		}
	}
	argError(L, "pty:expect", 2, "patterns", fmt.Sprintf("pattern %d: string (regexp), {exact=...}, process.EOF or process.TIMEOUT expected, got %s", i, v.Type()))
	return nil
}

// ptyExpect is pty:expect(patterns, {timeout=}): it waits until one of the
// patterns matches the output and returns its index and a match table
// {before=, match=, groups={...}}. patterns is one pattern or a list.
// strip_ansi may be given but must agree with the PTY's setting. On
// timeout it returns nil, "timeout", "timeout" (or the index of
// process.TIMEOUT); at end of output nil, "eof", "closed" (or the index of
// process.EOF).
func ptyExpect(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:expect")
	o := checkOpts(L, "pty:expect", 3)
	timeout, hasTimeout := o.seconds("timeout"), o.get("timeout") != lua.LNil
	if v := o.get("strip_ansi"); v != lua.LNil && o.boolean("strip_ansi", p.strip) != p.strip {
		// The expect engine strips as it reads, so this is fixed per PTY.
		o.bad("strip_ansi", "is chosen when the PTY is created (process.pty{strip_ansi=...}); this PTY has strip_ansi="+lua.LBool(p.strip).String())
	}
	o.done()
	if !hasTimeout {
		timeout = p.timeout // process.TIMEOUT without a timeout uses the PTY's default
	}
	var pats []expect.Pattern
	hasTimeoutMarker := false
	arg := L.Get(2)
	if t, ok := arg.(*lua.LTable); ok && t.RawGetString("exact") == lua.LNil {
		if t.Len() == 0 {
			argError(L, "pty:expect", 2, "patterns", "empty list")
		}
		for i := 1; i <= t.Len(); i++ {
			v := t.RawGetInt(i)
			hasTimeoutMarker = hasTimeoutMarker || v == p.a.h.markerTimeout
			pats = append(pats, p.toPattern(L, v, i, timeout))
		}
	} else {
		hasTimeoutMarker = arg == p.a.h.markerTimeout
		pats = append(pats, p.toPattern(L, arg, 1, timeout))
	}
	var res expect.Result
	err := p.a.h.wait(L, "pty:expect", "expect", func(ctx context.Context) error {
		if hasTimeout && !hasTimeoutMarker {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		var err error
		res, err = p.exp.Expect(ctx, pats...)
		if err != nil && errors.Is(err, context.DeadlineExceeded) {
			err = expect.ErrTimeout
		}
		return err
	})
	if err != nil {
		switch {
		case errors.Is(err, expect.ErrTimeout):
			return failKind(L, "timeout", KindTimeout)
		case errors.Is(err, expect.ErrEOF):
			return failKind(L, "eof", KindClosed)
		}
		return fail(L, "pty:expect", err)
	}
	m := L.NewTable()
	m.RawSetString("before", lua.LString(res.Before))
	m.RawSetString("match", lua.LString(res.Match))
	groups := L.CreateTable(len(res.Groups), 0)
	for _, g := range res.Groups {
		groups.Append(lua.LString(g))
	}
	m.RawSetString("groups", groups)
	m.RawSetString("eof", lua.LBool(res.EOF))
	m.RawSetString("timed_out", lua.LBool(res.TimedOut))
	L.Push(lua.LNumber(res.Index + 1))
	L.Push(m)
	return 2
}

// ptyResize is pty:resize(cols, rows) → true.
func ptyResize(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:resize")
	cols, rows := L.Get(2), L.Get(3)
	c, ok1 := cols.(lua.LNumber)
	r, ok2 := rows.(lua.LNumber)
	if !ok1 || !ok2 || c < 1 || r < 1 || c > 1000 || r > 1000 {
		argError(L, "pty:resize", 2, "cols, rows", "two numbers between 1 and 1000 expected")
	}
	err := p.a.h.wait(L, "pty:resize", "", func(ctx context.Context) error {
		return p.handle.Resize(ctx, uint16(c), uint16(r))
	})
	if err != nil {
		return fail(L, "pty:resize", err)
	}
	L.Push(lua.LTrue)
	return 1
}

// ptyWait is pty:wait(timeout?) → {exit_code=, reason=}, or nil, "timeout",
// "timeout" (the program keeps running).
func ptyWait(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:wait")
	d, has := optSeconds(L, "pty:wait", 2, "timeout")
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
		return failKind(L, "timeout", KindTimeout)
	}
	if err != nil {
		return fail(L, "pty:wait", err)
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
		return fail(L, "pty:kill", err)
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
		argError(L, "pty:on_output", 2, "callback", typeMsg("function", L.Get(2)))
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

func (a *api) pushPTYInfo(L *lua.LState, fname, id string) int {
	var info *client.PTYInfo
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		info, err = a.c.GetPTY(ctx, id)
		return err
	})
	if err != nil {
		return fail(L, fname, err)
	}
	L.Push(ptyInfoTable(L, info))
	return 1
}

func ptyInfoTable(L *lua.LState, in *client.PTYInfo) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("id", lua.LString(in.ID))
	t.RawSetString("cwd", lua.LString(in.Cwd))
	t.RawSetString("cols", lua.LNumber(in.Cols))
	t.RawSetString("rows", lua.LNumber(in.Rows))
	t.RawSetString("active", lua.LBool(in.Active))
	t.RawSetString("exited", lua.LBool(in.Exited))
	if in.ExitCode != nil {
		t.RawSetString("exit_code", lua.LNumber(*in.ExitCode))
	}
	if in.ExitReason != "" {
		t.RawSetString("exit_reason", lua.LString(in.ExitReason))
	}
	t.RawSetString("created_at", lua.LNumber(float64(in.CreatedAt.UnixNano())/1e9))
	return t
}

// getPTY is process.get_pty(id) → info table.
func (a *api) getPTY(L *lua.LState) int {
	fname := a.name + ".get_pty"
	return a.pushPTYInfo(L, fname, checkString(L, fname, 1, "id"))
}

// listPTYs is process.list_ptys() → list of info tables.
func (a *api) listPTYs(L *lua.LState) int {
	fname := a.name + ".list_ptys"
	var infos []client.PTYInfo
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		infos, err = a.c.ListPTYs(ctx)
		return err
	})
	if err != nil {
		return fail(L, fname, err)
	}
	t := L.CreateTable(len(infos), 0)
	for i := range infos {
		t.Append(ptyInfoTable(L, &infos[i]))
	}
	L.Push(t)
	return 1
}

// resizePTY is process.resize_pty(id, cols, rows) → info table.
func (a *api) resizePTY(L *lua.LState) int {
	fname := a.name + ".resize_pty"
	id := checkString(L, fname, 1, "id")
	c, ok1 := L.Get(2).(lua.LNumber)
	r, ok2 := L.Get(3).(lua.LNumber)
	if !ok1 || !ok2 || c < 1 || r < 1 || c > 1000 || r > 1000 {
		argError(L, fname, 2, "cols, rows", "two numbers between 1 and 1000 expected")
	}
	var info *client.PTYInfo
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		info, err = a.c.ResizePTY(ctx, id, uint16(c), uint16(r))
		return err
	})
	if err != nil {
		return fail(L, fname, err)
	}
	L.Push(ptyInfoTable(L, info))
	return 1
}

// killPTY is process.kill_pty(id) → true.
func (a *api) killPTY(L *lua.LState) int {
	fname := a.name + ".kill_pty"
	id := checkString(L, fname, 1, "id")
	err := a.h.wait(L, fname, "", func(ctx context.Context) error { return a.c.KillPTY(ctx, id) })
	if err != nil {
		return fail(L, fname, err)
	}
	L.Push(lua.LTrue)
	return 1
}

// recordedPTY is a PTY handle whose reads, writes and resizes go through a
// cast recorder (cast knows only the terminal part of a handle).
type recordedPTY struct {
	client.PTYHandle
	rec *cast.Recorder
}

func (r recordedPTY) Read(p []byte) (int, error)  { return r.rec.Read(p) }
func (r recordedPTY) Write(p []byte) (int, error) { return r.rec.Write(p) }
func (r recordedPTY) Resize(ctx context.Context, cols, rows uint16) error {
	return r.rec.Resize(ctx, cols, rows)
}

// recording is a cast file being written.
type recording struct {
	f *os.File
	w *cast.Writer
}

func startRecording(path string, info *client.PTYInfo, command []string) (*recording, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	hdr := cast.HeaderFor(info.Cols, info.Rows, info.Env)
	if hdr.Width == 0 || hdr.Height == 0 {
		hdr.Width, hdr.Height = 80, 24
	}
	hdr.Command = strings.Join(command, " ")
	w, err := cast.NewWriter(f, hdr)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return &recording{f: f, w: w}, nil
}

// close flushes and closes the recording; it is safe to call twice.
func (r *recording) close() error {
	werr := r.w.Close()
	ferr := r.f.Close()
	if errors.Is(ferr, os.ErrClosed) {
		return nil
	}
	if ferr != nil {
		return ferr
	}
	return werr
}
