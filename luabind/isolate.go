package luabind

import (
	"context"
	"errors"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind/lua51"
)

// Isolated is the outcome of Host.CallIsolated.
type Isolated struct {
	// Results are the values fn returned.
	Results []lua.LValue
	// Err is fn's error (a *ScriptError), the first error of a callback or
	// an unobserved task it started, or, when the call was stopped, an error
	// matching context.DeadlineExceeded or the caller's cancellation.
	Err error
	// Left describes, one entry each, the commands and PTYs fn started that
	// were still running once fn and its pending work were done. The
	// cleanup has killed them.
	Left []string
}

// ErrIsolatedTimeout is the cause of a CallIsolated stopped by its timeout.
var ErrIsolatedTimeout = errors.New("timed out")

// CallIsolated calls fn(args...) as a run of its own nested in the calling
// one, as RunString runs a chunk: it waits until fn has returned and
// nothing fn started is pending (tasks, commands with callbacks), then it
// ends everything fn started and did not detach (commands killed, sessions
// deleted, PTYs killed, tasks cancelled, connections closed). What was
// started before the call, in the enclosing run, is left alone. Calls nest:
// a Go function called inside fn may call CallIsolated again.
//
// It is meant for Go functions exposed to Lua (WithModule): it must be
// called with the Lua state locked, from the function Lua called, with that
// function's L. timeout > 0 bounds the whole call. os.exit(code) in fn
// stops the enclosing run as it would outside the call. Background work of
// the enclosing run (its tasks and callbacks) may run while fn blocks, and
// what it starts meanwhile is ended with fn's run.
//
// The procsh test runner calls every test this way.
func (h *Host) CallIsolated(L *lua.LState, timeout time.Duration, fn *lua.LFunction, args ...lua.LValue) Isolated {
	parent := h.cur
	pctx := h.threadCtx(L)
	var stopTimer context.CancelFunc = func() {}
	if timeout > 0 {
		pctx, stopTimer = context.WithTimeoutCause(pctx, timeout, ErrIsolatedTimeout)
	}
	defer stopTimer()
	r := h.newRun(pctx, false)
	h.cur = r
	th, release := h.newThread(r.ctx)
	th.Push(fn)
	for _, a := range args {
		th.Push(a)
	}
	err := lua51.Translate(th, th.PCall(len(args), lua.MultRet, nil))
	var results []lua.LValue
	if err == nil {
		n := th.GetTop()
		results = make([]lua.LValue, n)
		for i := range n {
			results[i] = th.Get(i + 1)
		}
		th.Pop(n)
	}
	release()
	var left []string
	h.gil.Block(L, func() {
		if err == nil {
			select {
			case <-r.pending.Idle():
			case <-r.ctx.Done():
			}
		}
		left = r.running()
		r.end()
	})
	h.cur = parent
	if code, ok := r.takeExit(); ok {
		parent.exit(code)
		return Isolated{Err: &ExitError{Code: code}, Left: left}
	}
	res := r.result(pctx, err)
	if res != nil && errors.Is(context.Cause(pctx), ErrIsolatedTimeout) {
		res = fmt.Errorf("luabind: stopped after %v: %w", timeout, context.DeadlineExceeded)
	}
	return Isolated{Results: results, Err: res, Left: left}
}

// liveResource is a resource that can tell whether it still runs.
type liveResource interface {
	// running describes the resource if it is still running.
	running(ctx context.Context) (string, bool)
}

// running lists the resources of the run that still run. It is called
// without the GIL, before end.
func (r *run) running() []string {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	r.mu.Lock()
	res := append([]resource(nil), r.resources...)
	r.mu.Unlock()
	var out []string
	for _, x := range res {
		if lr, ok := x.(liveResource); ok {
			if s, live := lr.running(ctx); live {
				out = append(out, s)
			}
		}
	}
	return out
}

func (c *command) running(ctx context.Context) (string, bool) {
	if c.detached || c.ended.Load() {
		return "", false
	}
	info, err := c.a.c.GetCommand(ctx, c.sid, c.id)
	if err != nil || info.Done() {
		return "", false
	}
	return fmt.Sprintf("command %q in session %s", firstLine(c.text), c.sid), true
}

func (p *ptyObj) running(ctx context.Context) (string, bool) {
	if p.detached {
		return "", false
	}
	info, err := p.a.c.GetPTY(ctx, p.id)
	if err != nil || info.Exited || !info.Active {
		return "", false
	}
	return "pty " + p.id, true
}
