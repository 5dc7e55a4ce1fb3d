package luabind

import (
	"context"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// threadCtx is the context that bounds blocking calls made by L: the run's
// (or the Eval's) context that the host gave the thread, inherited by
// coroutines the script creates.
func (h *Host) threadCtx(L *lua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return h.ctx
}

// wait runs fn with the Lua state unlocked, so other tasks and callbacks
// run meanwhile, and returns fn's error. fn must return promptly once ctx
// is done. If the thread's context ended, wait raises a Lua error instead
// of returning: a cancelled run stops, and the VM's own context check keeps
// a pcall from resurrecting it.
func (h *Host) wait(L *lua.LState, fname, what string, fn func(ctx context.Context) error) error {
	ctx := h.threadCtx(L)
	if ctx.Err() != nil {
		L.RaiseError("%s: %v", fname, context.Cause(ctx))
	}
	// Mark the thread (and the coroutines that resumed it) as suspended in a
	// host call, so no other task resumes them meanwhile.
	for th := L; th != nil; th = th.Parent {
		h.busy[th]++
	}
	defer func() {
		for th := L; th != nil; th = th.Parent {
			if h.busy[th]--; h.busy[th] == 0 {
				delete(h.busy, th)
			}
		}
	}()
	var err error
	r := h.cur
	func() {
		h.gil.Unlock()
		defer h.relock(L, ctx, r)
		var done func()
		if obs := h.cfg.waitObserver; obs != nil && what != "" {
			done = obs(what)
		}
		err = fn(ctx)
		if done != nil {
			done()
		}
	}()
	if ctx.Err() != nil {
		L.RaiseError("%s: %v", fname, context.Cause(ctx))
	}
	return err
}

// relockGrace is how long a cancelled call waits for the interpreter before
// it stops the run's tasks to get it.
const relockGrace = time.Second

// relock takes the GIL back for L after a blocking call. If the call was
// cancelled (Ctrl-C in the REPL) while another task holds the interpreter
// and does not let go (a loop that never blocks), it waits relockGrace and
// then cancels the run's tasks, so that the cancelled call can unwind
// instead of hanging.
func (h *Host) relock(L *lua.LState, ctx context.Context, r *run) {
	if h.gil.LockContext(ctx, L) == nil {
		return
	}
	grace, cancel := context.WithTimeout(context.Background(), relockGrace)
	defer cancel()
	if h.gil.LockContext(grace, L) == nil {
		return
	}
	r.cancelTasks()
	h.gil.Lock(L)
}

// sleep is process.sleep and the stdlib's time.sleep.
func (h *Host) sleep(L *lua.LState, d time.Duration) error {
	return h.wait(L, "sleep", "", func(ctx context.Context) error {
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// timer returns a channel that fires after d, or never when !ok.
func timer(d time.Duration, ok bool) (<-chan time.Time, func()) {
	if !ok {
		return nil, func() {}
	}
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}
