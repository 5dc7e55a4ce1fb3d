package luabind

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"
	"github.com/procsh/procsh/luabind/lua51"
)

// task is a function running concurrently under process.spawn.
type task struct {
	th     *lua.LState // the thread the task runs on
	h      *Host
	id     int
	done   chan struct{}
	cancel context.CancelFunc

	// Written by the task goroutine before done is closed.
	results  []lua.LValue
	err      error      // *ScriptError
	errObj   lua.LValue // the value the task raised
	canceled bool       // it failed because it (or its run) was cancelled

	// Guarded by the GIL.
	observed bool     // someone received its outcome
	node     waitNode // for deadlock detection
}

func (t *task) String() string { return fmt.Sprintf("task %d", t.id) }

// spawn is process.spawn(fn, ...): it runs fn(...) as a concurrent task and
// returns a task handle at once. The task starts running when the spawner
// next blocks (or returns); the run does not end before it finishes.
//
//	local t = process.spawn(function(n) process.sleep(0.1); return n * 2 end, 21)
//	print(t:wait()) --> 42
func (h *Host) spawn(L *lua.LState) int {
	fn, ok := L.Get(1).(*lua.LFunction)
	if !ok {
		luaargs.ArgError(L, "process.spawn", 1, "fn", luaargs.TypeMsg("function", L.Get(1)))
	}
	args := make([]lua.LValue, 0, L.GetTop()-1)
	for i := 2; i <= L.GetTop(); i++ {
		args = append(args, L.Get(i))
	}
	r := h.cur
	tctx, cancel := context.WithCancel(r.ctx)
	th, release := h.newThread(tctx)
	t := &task{th: th, h: h, done: make(chan struct{}), cancel: cancel}
	t.id = r.addTask(t)
	t.node.name = t.String()
	h.waitNodes[th] = &t.node
	if d := h.defaultsOf(L); d != nil {
		h.scoped[th] = []*defaults{d} // the spawner's process.with defaults
	}
	r.pending.Add()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		h.gil.Lock(th)
		th.Push(fn)
		for _, a := range args {
			th.Push(a)
		}
		err := lua51.Translate(th, th.PCall(len(args), lua.MultRet, nil))
		if err != nil {
			t.err = toScriptError(err)
			t.errObj = lua.LString(t.err.(*ScriptError).Message)
			var ae *lua.ApiError
			if errors.As(err, &ae) && ae.Object != nil {
				t.errObj = ae.Object
			}
			t.canceled = tctx.Err() != nil || r.exiting()
			if r.repl && !t.canceled {
				fmt.Fprintf(h.stderr, "procsh: %s failed: %v\n", t, t.err)
			}
		} else {
			n := th.GetTop()
			t.results = make([]lua.LValue, n)
			for i := range n {
				t.results[i] = th.Get(i + 1)
			}
			th.Pop(n)
		}
		delete(h.waitNodes, th)
		delete(h.scoped, th)
		t.th = nil // the thread is recycled below
		h.gil.Unlock()
		release()
		cancel()
		close(t.done)
		r.taskDone(t)
		r.pending.Done()
	}()
	L.Push(newUD(L, typeTask, t))
	return 1
}

// checkNotSelf raises when L is the task's own thread (or a coroutine in
// it): a task waiting for itself would never wake.
func (t *task) checkNotSelf(L *lua.LState, fname string) {
	for th := L; th != nil && t.th != nil; th = th.Parent {
		if th == t.th {
			L.RaiseError("%s: a task cannot wait for itself", fname)
		}
	}
}

// raise re-raises the task's error in L (the waiter).
func (t *task) raise(L *lua.LState) {
	t.observed = true
	L.Error(t.errObj, 0)
}

// taskWait is task:wait(timeout?): the task's return values. If the task
// raised an error, wait raises the same error value. With a timeout that
// expires first it returns nil, "timeout", "timeout".
func taskWait(L *lua.LState) int {
	t := self[*task](L, "task:wait")
	d, has := luaargs.OptSeconds(L, "task:wait", 2, "timeout")
	t.checkNotSelf(L, "task:wait")
	h := t.h
	if !has {
		defer h.enterWait(L, "task:wait", []*waitNode{&t.node})()
	}
	timedOut := false
	_ = h.wait(L, "task:wait", "", func(ctx context.Context) error {
		tc, stop := timer(d, has)
		defer stop()
		select {
		case <-t.done:
		case <-tc:
			timedOut = true
		case <-ctx.Done():
		}
		return nil
	})
	if timedOut {
		return luaargs.FailKind(L, "timeout", KindTimeout)
	}
	if t.err != nil {
		t.raise(L)
	}
	t.observed = true
	for _, v := range t.results {
		L.Push(v)
	}
	return len(t.results)
}

// taskCancel is task:cancel(): the task stops at its next instruction or
// blocking call; waiting for it then raises a "context canceled" error.
func taskCancel(L *lua.LState) int {
	t := self[*task](L, "task:cancel")
	t.cancel()
	return 0
}

// taskDone is task:done() → whether the task has finished.
func taskDone(L *lua.LState) int {
	t := self[*task](L, "task:done")
	select {
	case <-t.done:
		L.Push(lua.LTrue)
	default:
		L.Push(lua.LFalse)
	}
	return 1
}

// waitable is a task or a command handle in process.wait_all/wait_any.
type waitable struct {
	t    *task
	c    *command
	done <-chan struct{}
}

func checkWaitables(L *lua.LState, fname string) []waitable {
	list, ok := L.Get(1).(*lua.LTable)
	if !ok {
		luaargs.ArgError(L, fname, 1, "list", luaargs.TypeMsg("table of tasks and commands", L.Get(1)))
	}
	var ws []waitable
	for i := 1; i <= list.Len(); i++ {
		ud, _ := list.RawGetInt(i).(*lua.LUserData)
		var w waitable
		if ud != nil {
			switch v := ud.Value.(type) {
			case *task:
				v.checkNotSelf(L, fname)
				w = waitable{t: v, done: v.done}
			case *command:
				v.checkNotOwnCallback(L, fname)
				w = waitable{c: v, done: v.doneChan()}
			}
		}
		if w.done == nil {
			luaargs.ArgError(L, fname, 1, "list", fmt.Sprintf("element %d is not a task or command (got %s)", i, list.RawGetInt(i).Type()))
		}
		ws = append(ws, w)
	}
	return ws
}

// values returns the outcome of a finished waitable: a command's result
// table, or every return value of a task (raising the task's error).
func (w waitable) values(L *lua.LState) []lua.LValue {
	if w.t != nil {
		if w.t.err != nil {
			w.t.raise(L)
		}
		w.t.observed = true
		return w.t.results
	}
	if w.c.waitErr != nil {
		return []lua.LValue{lua.LNil}
	}
	return []lua.LValue{w.c.result(L)}
}

// pack returns vals as a table {n = #vals, vals...}, as table.pack does.
func pack(L *lua.LState, vals []lua.LValue) *lua.LTable {
	t := L.CreateTable(len(vals), 1)
	for i, v := range vals {
		t.RawSetInt(i+1, v)
	}
	t.RawSetString("n", lua.LNumber(len(vals)))
	return t
}

// waitAll is process.wait_all(list, timeout?) → firsts, all: it waits for
// every task and command in list. firsts lists their outcomes in the same
// order (a command's result table, a task's first return value); all[i] is
// every value of element i, packed as {n = count, ...}. A failed task's
// error is raised. On timeout it returns nil, "timeout", "timeout".
func (h *Host) waitAll(L *lua.LState) int {
	ws := checkWaitables(L, "process.wait_all")
	d, has := luaargs.OptSeconds(L, "process.wait_all", 2, "timeout")
	if !has {
		var ns []*waitNode
		for _, w := range ws {
			if w.t != nil {
				ns = append(ns, &w.t.node)
			} else if w.c.cbDone != nil {
				ns = append(ns, &w.c.node)
			}
		}
		defer h.enterWait(L, "process.wait_all", ns)()
	}
	timedOut := false
	_ = h.wait(L, "process.wait_all", "", func(ctx context.Context) error {
		tc, stop := timer(d, has)
		defer stop()
		for _, w := range ws {
			select {
			case <-w.done:
			case <-tc:
				timedOut = true
				return nil
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	})
	if timedOut {
		return luaargs.FailKind(L, "timeout", KindTimeout)
	}
	firsts := L.CreateTable(len(ws), 0)
	all := L.CreateTable(len(ws), 0)
	for i, w := range ws {
		vals := w.values(L)
		if len(vals) > 0 {
			firsts.RawSetInt(i+1, vals[0])
		}
		all.RawSetInt(i+1, pack(L, vals))
	}
	L.Push(firsts)
	L.Push(all)
	return 2
}

// waitAny is process.wait_any(list, timeout?) → index, values...: it waits
// until one task or command in list is done and returns its index and its
// outcome: a command's result table, or every value the task returned.
func (h *Host) waitAny(L *lua.LState) int {
	ws := checkWaitables(L, "process.wait_any")
	d, has := luaargs.OptSeconds(L, "process.wait_any", 2, "timeout")
	if len(ws) == 0 {
		luaargs.ArgError(L, "process.wait_any", 1, "list", "empty list")
	}
	idx := -1
	_ = h.wait(L, "process.wait_any", "", func(ctx context.Context) error {
		tc, stop := timer(d, has)
		defer stop()
		cases := make([]reflect.SelectCase, 0, len(ws)+2)
		for _, w := range ws {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(w.done)})
		}
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
		if tc != nil {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(tc)})
		}
		i, _, _ := reflect.Select(cases)
		if i < len(ws) {
			idx = i
		}
		return nil
	})
	if idx < 0 {
		return luaargs.FailKind(L, "timeout", KindTimeout)
	}
	L.Push(lua.LNumber(idx + 1))
	vals := ws[idx].values(L)
	for _, v := range vals {
		L.Push(v)
	}
	return 1 + len(vals)
}
