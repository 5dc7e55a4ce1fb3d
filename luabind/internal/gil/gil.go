// Package gil holds the two concurrency primitives of the Lua host: a global
// interpreter lock that lets many goroutines share one gopher-lua state, and
// a counter of pending operations that tells the host when a run is over.
//
// # The lock
//
// A gopher-lua state and all its threads share one global table, so at most
// one goroutine may execute Lua code at a time. Every Lua task (a script's
// main chunk, a spawned task, a callback dispatcher) runs on its own
// goroutine in its own Lua thread and holds the lock while it runs Lua code.
// A host function that blocks calls Block, which releases the lock for the
// duration of the wait and takes it back afterwards. Because the waiting
// happens on the task's own goroutine rather than through a Lua yield, a
// blocking call behaves like any other function call: it works inside pcall,
// generic-for iterators, metamethods and user coroutines.
//
// When a goroutine takes the lock it must make its thread the state's
// current thread again (G.CurrentThread), because the coroutine library
// consults it; Lock and Block do that.
//
// # Pending operations
//
// Pending counts what a run still has to finish before it may end (tasks,
// commands with callbacks), in the manner of k6's event loop: Add when the
// operation starts, Done exactly once when it resolves, and Idle to wait
// until the count is zero.
package gil

import (
	"context"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// GIL serialises access to one Lua state. The zero value is not usable; use
// New.
//
// It is a FIFO lock: goroutines get it in the order they asked for it, and
// waiters park on their own channel instead of spinning. Fairness keeps a
// task that blocks often from being overtaken again and again, and with
// thousands of tasks waiting it avoids the spinning and wake-up storms of a
// plain mutex.
type GIL struct {
	mu    sync.Mutex // guards held and queue
	held  bool
	queue []chan struct{} // waiters in arrival order
	L     *lua.LState
}

// New returns a lock guarding L (the root state whose G all threads share).
func New(L *lua.LState) *GIL { return &GIL{L: L} }

// Lock acquires the lock and makes th the running thread.
func (g *GIL) Lock(th *lua.LState) {
	g.mu.Lock()
	if !g.held {
		g.held = true
		g.mu.Unlock()
	} else {
		ch := tokens.Get().(chan struct{})
		g.queue = append(g.queue, ch)
		g.mu.Unlock()
		<-ch // Unlock handed the lock to us
		tokens.Put(ch)
	}
	g.L.G.CurrentThread = th
}

// LockContext is Lock, except that it gives up when ctx is done first and
// then returns ctx.Err() without the lock.
func (g *GIL) LockContext(ctx context.Context, th *lua.LState) error {
	g.mu.Lock()
	if !g.held {
		g.held = true
		g.mu.Unlock()
		g.L.G.CurrentThread = th
		return nil
	}
	ch := tokens.Get().(chan struct{})
	g.queue = append(g.queue, ch)
	g.mu.Unlock()
	select {
	case <-ch:
		tokens.Put(ch)
		g.L.G.CurrentThread = th
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	for i, c := range g.queue {
		if c == ch {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			g.mu.Unlock()
			tokens.Put(ch)
			return ctx.Err()
		}
	}
	g.mu.Unlock()
	// Unlock already dequeued us and hands us the lock: take it and pass it on.
	<-ch
	tokens.Put(ch)
	g.Unlock()
	return ctx.Err()
}

// Unlock releases the lock, handing it to the longest waiter if any.
func (g *GIL) Unlock() {
	g.mu.Lock()
	if len(g.queue) == 0 {
		if !g.held {
			g.mu.Unlock()
			panic("gil: Unlock of an unlocked GIL")
		}
		g.held = false
		g.mu.Unlock()
		return
	}
	next := g.queue[0]
	g.queue[0] = nil
	g.queue = g.queue[1:]
	if len(g.queue) == 0 {
		g.queue = nil // let the backing array go
	}
	g.mu.Unlock()
	next <- struct{}{}
}

// tokens recycles the one-slot channels waiters park on: with thousands of
// tasks, allocating one per wait is a measurable share of the GC load. A
// channel is empty again once its waiter received the token.
var tokens = sync.Pool{New: func() any { return make(chan struct{}, 1) }}

// Block runs wait with the lock released and re-acquires it for th
// afterwards. The caller must hold the lock on behalf of th.
func (g *GIL) Block(th *lua.LState, wait func()) {
	g.Unlock()
	defer g.Lock(th)
	wait()
}

// Pending counts outstanding operations. The zero value is ready to use.
type Pending struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to zero; nil while n == 0
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Add registers one outstanding operation.
func (p *Pending) Add() {
	p.mu.Lock()
	if p.n == 0 {
		p.idle = make(chan struct{})
	}
	p.n++
	p.mu.Unlock()
}

// Done resolves one operation registered with Add. Calling Done more often
// than Add panics, because it means an operation was resolved twice.
func (p *Pending) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		panic("gil: Pending.Done without Add")
	}
	p.n--
	if p.n == 0 {
		close(p.idle)
		p.idle = nil
	}
}

// N returns the number of outstanding operations.
func (p *Pending) N() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// Idle returns a channel that is closed once no operation is outstanding. A
// later Add does not reopen a channel already returned.
func (p *Pending) Idle() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		return closed
	}
	return p.idle
}
