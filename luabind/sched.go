package luabind

// The scheduler: everything that decides which goroutine runs Lua code and
// when. This file is the implementation of the threading contract in the
// package documentation, in one place:
//
//   - the lock (internal/gil): one goroutine at a time executes Lua code on
//     the shared state; it hands the lock over in FIFO order;
//   - the thread pool (newThread): every task, callback dispatcher and Eval
//     runs on its own goroutine in its own recycled Lua thread, bound to the
//     run's context;
//   - waits (Block, and wait for the bindings): a Go function that blocks
//     releases the lock while it waits, honours cancellation and takes the
//     lock back;
//   - the starvation guard (relock): a cancelled wait that cannot get the
//     lock back from a task that never blocks cancels the run's tasks after
//     a grace period rather than hanging;
//   - deadlock detection (waitNode, enterWait): untimed waits between tasks
//     and command callbacks form a graph; a wait that would close a cycle
//     raises "deadlock: ..." instead of hanging;
//   - the coroutine guard (guardCoroutines): a coroutine parked in a
//     blocking call cannot be resumed by another task meanwhile.
//
// Everything here that is "guarded by the GIL" is only touched by the
// goroutine that holds the lock.

import (
	"context"
	"fmt"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind/internal/gil"
)

// scheduler is the part of a Host that the threading contract is made of.
type scheduler struct {
	gil       *gil.GIL
	threads   sync.Pool                 // idle Lua threads for newThread
	waitNodes map[*lua.LState]*waitNode // guarded by the GIL: tasks and callback dispatchers by thread
	busy      map[*lua.LState]int       // guarded by the GIL: threads parked in a blocking call
}

func newScheduler(root *lua.LState) scheduler {
	return scheduler{gil: gil.New(root), waitNodes: map[*lua.LState]*waitNode{}, busy: map[*lua.LState]int{}}
}

// newThread returns a Lua thread whose blocking calls and instructions obey
// ctx. The caller must hold the GIL and must call the returned func once
// the thread has finished running (with or without the GIL).
//
// Threads are recycled: gopher-lua's NewThread allocates a whole unused
// global environment besides the thread's own stacks (about 10 KB), which
// with thousands of tasks made up most of the garbage. A thread is only
// recycled when its function returned and its stack is empty; threads stay
// in a sync.Pool, so the garbage collector reclaims idle ones.
func (h *Host) newThread(ctx context.Context) (*lua.LState, func()) {
	th, _ := h.threads.Get().(*lua.LState)
	if th == nil {
		th, _ = h.L.NewThread() // the root state has no context: no cancel func
	}
	th.SetContext(ctx)
	return th, func() {
		if th.GetTop() != 0 || th.Dead {
			return
		}
		th.RemoveContext()
		h.threads.Put(th)
	}
}

// threadCtx is the context that bounds blocking calls made by L: the run's
// (or the Eval's) context that the host gave the thread, inherited by
// coroutines the script creates.
func (h *Host) threadCtx(L *lua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return h.ctx
}

// Block is the blocking primitive for Go code running under the host: a
// function registered with WithModule or WithGlobal (or any Go function
// that Lua called on this host) calls it with the *lua.LState it received
// to wait without stalling the other tasks and callbacks of the script.
//
// Block releases the Lua state while fn runs, so other tasks run meanwhile,
// and takes it back before it returns fn's error. fn must not touch the Lua
// state, and must return promptly once ctx is done: ctx ends when the run
// (or the Eval) is cancelled or the task is cancelled. If that happened,
// Block does not return but raises a Lua error "what: context canceled",
// so that a cancelled script stops. what names the call: it prefixes that
// error and is what WithWaitObserver reports while fn runs. Block takes
// part in the host's bookkeeping like the process module's own blocking
// calls: the calling coroutine cannot be resumed meanwhile, and a Ctrl-C in
// the REPL gets the interpreter back from a task that never blocks.
//
// Read the arguments from L before calling Block and push the results after
// it returns; see the package's Example (Host_Block).
func (h *Host) Block(L *lua.LState, what string, fn func(ctx context.Context) error) error {
	return h.wait(L, what, what, fn)
}

// wait is Block for the bindings: fname prefixes the cancellation error and
// observed is what the wait observer sees ("" for waits that are not work,
// such as sleeps).
func (h *Host) wait(L *lua.LState, fname, observed string, fn func(ctx context.Context) error) error {
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
		if obs := h.cfg.waitObserver; obs != nil && observed != "" {
			done = obs(observed)
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

// sleep waits d seconds through wait; sleeps are not reported to the wait
// observer.
func (h *Host) sleep(L *lua.LState, fname string, d time.Duration) error {
	return h.wait(L, fname, "", func(ctx context.Context) error {
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

// waitNode is something Lua code runs in that may wait for other such
// things: a task, or the callback dispatcher of a command (a command with
// callbacks is done only when its callbacks are). Guarded by the GIL.
type waitNode struct {
	name       string
	waitingFor []*waitNode // all of them, without a timeout
}

// nodeOf returns the wait node whose thread L is (or runs inside), or nil
// (the main chunk, which nothing can wait for).
func (h *Host) nodeOf(L *lua.LState) *waitNode {
	for th := L; th != nil; th = th.Parent {
		if n, ok := h.waitNodes[th]; ok {
			return n
		}
	}
	return nil
}

// enterWait records that the caller waits for all of targets and raises
// if that closes a cycle (a deadlock: everything in it waits for the next,
// so nothing can finish). It returns the func that ends the wait.
func (h *Host) enterWait(L *lua.LState, fname string, targets []*waitNode) func() {
	me := h.nodeOf(L)
	if me == nil || len(targets) == 0 {
		return func() {}
	}
	seen := map[*waitNode]bool{}
	var reaches func(n *waitNode) bool
	reaches = func(n *waitNode) bool {
		if n == me {
			return true
		}
		if seen[n] {
			return false
		}
		seen[n] = true
		for _, u := range n.waitingFor {
			if reaches(u) {
				return true
			}
		}
		return false
	}
	for _, n := range targets {
		if n != me && reaches(n) {
			L.RaiseError("%s: deadlock: %s waits for %s, which (directly or not) waits for %s", fname, me.name, n.name, me.name)
		}
	}
	me.waitingFor = targets
	return func() { me.waitingFor = nil }
}

// guardCoroutines replaces coroutine.resume and coroutine.wrap so that a
// coroutine suspended in a blocking call (its goroutine parked, the GIL
// released) cannot be resumed by another task meanwhile: gopher-lua would
// run the same thread on two goroutines. Such a resume fails like resuming
// a running coroutine does.
func guardCoroutines(L *lua.LState, h *Host) error {
	co, ok := L.GetGlobal("coroutine").(*lua.LTable)
	if !ok {
		return fmt.Errorf("luabind: coroutine library missing")
	}
	orig, ok := co.RawGetString("resume").(*lua.LFunction)
	if !ok {
		return fmt.Errorf("luabind: coroutine.resume missing")
	}
	co.RawSetString("resume", L.NewFunction(func(L *lua.LState) int {
		th := L.CheckThread(1)
		if h.busy[th] > 0 {
			L.Push(lua.LFalse)
			L.Push(lua.LString("cannot resume a coroutine that is waiting in a blocking call"))
			return 2
		}
		top := L.GetTop()
		L.Push(orig)
		for i := 1; i <= top; i++ {
			L.Push(L.Get(i))
		}
		L.Call(top, lua.MultRet)
		return L.GetTop() - top
	}))
	return L.DoString(`
		local create, resume, error = coroutine.create, coroutine.resume, error
		local function pass(ok, ...)
			if not ok then error((...), 0) end
			return ...
		end
		coroutine.wrap = function(f)
			local co = create(f)
			return function(...) return pass(resume(co, ...)) end
		end`)
}
